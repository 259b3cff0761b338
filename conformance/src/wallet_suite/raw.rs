//! A reader session the suite controls byte by byte, for the cases that test the wallet's
//! session behaviour (ISO 18013-5 clause 9.1.1): it builds SessionEstablishment and
//! SessionData (9.1.1.4) from its own session keys (9.1.1.5), and can send what a correct
//! reader never would — garbage ciphertext, plaintext that does not decode, a replayed
//! message — to see the status the wallet answers with (Table 20).
//!
//! The ordinary cases use the verifier's reader flow instead; this exists because the flow
//! (rightly) cannot be made to misbehave.

use super::Failure;
use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{CryptoProvider, EcPrivateKey};
use kakunin_core::mdoc::SessionTranscript;
use kakunin_core::session::{
    derive_session_keys, Role, SessionCipher, SessionData, SessionEstablishment,
};
use kakunin_transport::link::{LinkError, MessageLink};
use kakunin_verifier::flow::Engagement;
use std::time::Instant;

/// What the wallet sent back to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// A SessionData whose `data` decrypted (with its `status`, if it also carried one).
    Data {
        /// The decrypted plaintext (a DeviceResponse).
        plaintext: Vec<u8>,
        /// The status sent alongside, if any.
        status: Option<u64>,
    },
    /// A SessionData with a status and no data.
    Status(u64),
    /// A SessionData whose `data` did not decrypt.
    Undecryptable,
    /// Bytes that are not a SessionData.
    NotSessionData(usize),
    /// The link failed or closed (with the link's reason).
    Link(LinkError),
}

impl Answer {
    /// One line for the report.
    pub(crate) fn describe(&self) -> String {
        match self {
            Answer::Data {
                plaintext,
                status: None,
            } => format!("SessionData with {} bytes of data", plaintext.len()),
            Answer::Data {
                plaintext,
                status: Some(s),
            } => format!(
                "SessionData with {} bytes of data and status {s}",
                plaintext.len()
            ),
            Answer::Status(s) => format!("SessionData status {s}"),
            Answer::Undecryptable => "SessionData whose data does not decrypt".into(),
            Answer::NotSessionData(n) => format!("{n} bytes that are not a SessionData"),
            Answer::Link(e) => format!("no message ({e})"),
        }
    }
}

/// The suite's own reader side of one session.
pub(crate) struct RawReader {
    cipher: SessionCipher,
    e_reader_key_bytes: Vec<u8>,
    transcript: SessionTranscript,
    e_reader_key: EcPrivateKey,
}

impl RawReader {
    /// A fresh session for `engagement`, with a fresh ephemeral reader key.
    pub(crate) fn new(
        crypto: &dyn CryptoProvider,
        engagement: &Engagement,
    ) -> Result<Self, Failure> {
        let engaged = engagement
            .resolve()
            .map_err(|e| Failure::Engagement(e.to_string()))?;
        let curve = engaged.device_engagement.security.e_device_key.curve();
        let setup = |what: &str| {
            let what = what.to_string();
            move |e: kakunin_core::crypto::CryptoError| Failure::Setup(format!("{what}: {e}"))
        };
        let e_reader_key = crypto.generate_key(curve).map_err(setup("reader key"))?;
        let public = crypto
            .public_key(&e_reader_key)
            .map_err(setup("reader key"))?;
        let e_reader_key_bytes = wrap_tag24(&encode_cose_key(&public));
        let transcript = SessionTranscript::build(
            &engaged.device_engagement_bytes,
            &e_reader_key_bytes,
            &engaged.handover,
        );
        let keys = derive_session_keys(
            crypto,
            &e_reader_key,
            &engaged.device_engagement.security.e_device_key,
            &transcript,
        )
        .map_err(setup("session keys"))?;
        Ok(RawReader {
            cipher: SessionCipher::new(keys, Role::Reader),
            e_reader_key_bytes,
            transcript,
            e_reader_key,
        })
    }

    /// This session's transcript.
    pub(crate) fn transcript(&self) -> &SessionTranscript {
        &self.transcript
    }

    /// The ephemeral reader key (a DeviceMac is checked with it).
    pub(crate) fn e_reader_key(&self) -> &EcPrivateKey {
        &self.e_reader_key
    }

    fn seal(&mut self, crypto: &dyn CryptoProvider, plaintext: &[u8]) -> Result<Vec<u8>, Failure> {
        self.cipher
            .encrypt(crypto, plaintext)
            .map_err(|e| Failure::Setup(format!("encrypt: {e}")))
    }

    /// SessionEstablishment carrying `plaintext`, encrypted.
    pub(crate) fn establishment(
        &mut self,
        crypto: &dyn CryptoProvider,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Failure> {
        let data = self.seal(crypto, plaintext)?;
        Ok(self.establishment_with(data))
    }

    /// SessionEstablishment carrying `data` as is (not encrypted by this session).
    pub(crate) fn establishment_with(&self, data: Vec<u8>) -> Vec<u8> {
        SessionEstablishment {
            e_reader_key_bytes: self.e_reader_key_bytes.clone(),
            data,
        }
        .to_bytes()
    }

    /// SessionData carrying `plaintext`, encrypted with the next counter.
    pub(crate) fn data(
        &mut self,
        crypto: &dyn CryptoProvider,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Failure> {
        let data = self.seal(crypto, plaintext)?;
        Ok(SessionData {
            data: Some(data),
            status: None,
        }
        .to_bytes())
    }

    /// What a received message is.
    pub(crate) fn open(&mut self, crypto: &dyn CryptoProvider, msg: &[u8]) -> Answer {
        let Ok(sd) = SessionData::from_bytes(msg) else {
            return Answer::NotSessionData(msg.len());
        };
        match sd.data {
            Some(ct) => match self.cipher.decrypt(crypto, &ct) {
                Ok(plaintext) => Answer::Data {
                    plaintext,
                    status: sd.status,
                },
                Err(_) => Answer::Undecryptable,
            },
            None => Answer::Status(sd.status.unwrap_or_default()),
        }
    }

    /// Send `msg` and wait for the answer until `deadline`.
    pub(crate) fn exchange(
        &mut self,
        crypto: &dyn CryptoProvider,
        link: &mut dyn MessageLink,
        msg: &[u8],
        deadline: Instant,
    ) -> Answer {
        if let Err(e) = link.send(msg) {
            return Answer::Link(e);
        }
        self.receive(crypto, link, deadline)
    }

    /// Wait for the next message until `deadline`.
    pub(crate) fn receive(
        &mut self,
        crypto: &dyn CryptoProvider,
        link: &mut dyn MessageLink,
        deadline: Instant,
    ) -> Answer {
        match link.receive(deadline) {
            Ok(m) => self.open(crypto, &m),
            Err(e) => Answer::Link(e),
        }
    }
}

/// SessionData with only a status (the reader's termination is status 20).
pub(crate) fn status_message(status: u64) -> Vec<u8> {
    SessionData {
        data: None,
        status: Some(status),
    }
    .to_bytes()
}
