//! The 18013-5 session (clause 9.1.1) as two sans-IO state machines: [`MdocSession`] for the
//! holder's device and [`ReaderSession`] for the reader. Each takes received message bytes
//! and returns the bytes to send and what happened; neither does any I/O, so every path —
//! including every failure — runs in memory and over any transport.
//!
//! Failures end the session with the status the standard assigns (Table 20): 10 for a
//! message that does not decrypt (tampered, replayed, out of order), 11 for one that does not
//! decode; the failing side hands back the SessionData to send, so both ends close cleanly.

use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{CryptoError, CryptoProvider, EcPrivateKey};
use kakunin_core::mdoc::{DeviceEngagement, MdocError, SessionTranscript};
use kakunin_core::session::{
    derive_session_keys, Role, SessionCipher, SessionData, SessionError, SessionEstablishment,
    STATUS_CBOR_ERROR, STATUS_ENCRYPTION_ERROR, STATUS_TERMINATION,
};

/// Largest session message accepted (a DeviceResponse with portraits fits easily).
pub const MAX_MESSAGE: usize = 4 * 1024 * 1024;

/// Why a session ended abnormally. Each carries the SessionData to send to the peer, if any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProximityError {
    /// A received message over [`MAX_MESSAGE`] (status 11 to the peer).
    #[error("message of {len} bytes exceeds {MAX_MESSAGE}")]
    TooLarge {
        /// The message length.
        len: usize,
        /// SessionData with status 11 (CBOR decoding error).
        send: Vec<u8>,
    },
    /// A received message does not decode as SessionEstablishment / SessionData (status 11).
    #[error("message does not decode: {source}")]
    Malformed {
        /// What is wrong with it.
        source: MdocError,
        /// SessionData with status 11 (CBOR decoding error).
        send: Vec<u8>,
    },
    /// A received message does not decrypt: tampered, replayed or out of order (status 10).
    #[error("message does not decrypt: {source}")]
    Decrypt {
        /// The cipher's reason.
        source: SessionError,
        /// SessionData with status 10 (session encryption error).
        send: Vec<u8>,
    },
    /// A message to send could not be encrypted (the send counter is exhausted or the
    /// cipher already terminated): the session ends with status 20.
    #[error("message cannot be encrypted: {source}")]
    Encrypt {
        /// The cipher's reason.
        source: SessionError,
        /// SessionData with status 20 (session termination).
        send: Vec<u8>,
    },
    /// The peer ended the session with status 10 or 11.
    #[error("peer ended the session with status {status}")]
    PeerError {
        /// The status received.
        status: u64,
    },
    /// The peer sent a status Table 20 does not define.
    #[error("peer sent unknown status {status}")]
    UnknownStatus {
        /// The status received.
        status: u64,
        /// SessionData with status 20.
        send: Vec<u8>,
    },
    /// Key agreement or derivation failed.
    #[error("{0}")]
    Crypto(CryptoError),
    /// The DeviceEngagement the reader started from is unusable.
    #[error("the engagement is unusable: {0}")]
    Engagement(MdocError),
    /// The caller asked for something the session's state does not allow.
    #[error("not allowed in state {state}: {action}")]
    WrongState {
        /// The session's state.
        state: &'static str,
        /// What was asked.
        action: &'static str,
    },
}

impl ProximityError {
    /// SessionData to send to the peer before closing the transport, if any.
    pub fn message_to_send(&self) -> Option<&[u8]> {
        match self {
            ProximityError::TooLarge { send, .. }
            | ProximityError::Malformed { send, .. }
            | ProximityError::Decrypt { send, .. }
            | ProximityError::Encrypt { send, .. }
            | ProximityError::UnknownStatus { send, .. } => Some(send),
            _ => None,
        }
    }

    /// What kind of failure this is.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            ProximityError::Encrypt { source, .. } => source.cause(),
            ProximityError::TooLarge { .. }
            | ProximityError::Malformed { .. }
            | ProximityError::Engagement(_) => kakunin_core::Cause::Malformed,
            ProximityError::Decrypt { .. }
            | ProximityError::PeerError { .. }
            | ProximityError::UnknownStatus { .. } => kakunin_core::Cause::FailedCheck,
            ProximityError::Crypto(e) => e.cause(),
            ProximityError::WrongState { .. } => kakunin_core::Cause::Misuse,
        }
    }
}

fn status_message(status: u64) -> Vec<u8> {
    SessionData {
        data: None,
        status: Some(status),
    }
    .to_bytes()
}

/// The meaning of a SessionData that carries a status and no data (Table 20).
fn status_only(status: Option<u64>) -> Result<Event, ProximityError> {
    match status {
        Some(STATUS_TERMINATION) => Ok(Event::Terminated),
        Some(s @ (STATUS_ENCRYPTION_ERROR | STATUS_CBOR_ERROR)) => {
            Err(ProximityError::PeerError { status: s })
        }
        Some(s) => Err(ProximityError::UnknownStatus {
            status: s,
            send: status_message(STATUS_TERMINATION),
        }),
        None => Err(malformed(MdocError::Missing {
            path: "SessionData.data".into(),
        })),
    }
}

/// A received message did not decode: status 11 to the peer.
fn malformed(source: MdocError) -> ProximityError {
    ProximityError::Malformed {
        source,
        send: status_message(STATUS_CBOR_ERROR),
    }
}

/// A received message did not decrypt: status 10 to the peer.
fn decrypt_failed(source: SessionError) -> ProximityError {
    ProximityError::Decrypt {
        source,
        send: status_message(STATUS_ENCRYPTION_ERROR),
    }
}

/// A message to send could not be encrypted: the session ends (status 20).
fn encrypt_failed(source: SessionError) -> ProximityError {
    ProximityError::Encrypt {
        source,
        send: status_message(STATUS_TERMINATION),
    }
}

fn check_size(msg: &[u8]) -> Result<(), ProximityError> {
    if msg.len() > MAX_MESSAGE {
        return Err(ProximityError::TooLarge {
            len: msg.len(),
            send: status_message(STATUS_CBOR_ERROR),
        });
    }
    Ok(())
}

/// What a received message meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// (mdoc side) a DeviceRequest to answer with [`MdocSession::respond`].
    Request(Vec<u8>),
    /// (reader side) a DeviceResponse; `terminated` if the mdoc also ended the session.
    Response {
        /// The DeviceResponse, decrypted.
        response: Vec<u8>,
        /// Whether the same SessionData carried status 20.
        terminated: bool,
    },
    /// The peer ended the session normally (status 20).
    Terminated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MdocState {
    AwaitingEstablishment,
    Responding,
    Established,
    Closed,
}

impl MdocState {
    fn name(self) -> &'static str {
        match self {
            MdocState::AwaitingEstablishment => "awaiting SessionEstablishment",
            MdocState::Responding => "request pending",
            MdocState::Established => "established",
            MdocState::Closed => "closed",
        }
    }
}

/// The holder's side of a session.
pub struct MdocSession {
    e_device_key: EcPrivateKey,
    device_engagement_bytes: Vec<u8>,
    handover: Vec<u8>,
    transcript: Option<SessionTranscript>,
    cipher: Option<SessionCipher>,
    state: MdocState,
}

impl MdocSession {
    /// `device_engagement_bytes` is DeviceEngagementBytes (tag 24) exactly as the reader
    /// received it; `handover` the encoded Handover (`null` for QR).
    pub fn new(
        e_device_key: EcPrivateKey,
        device_engagement_bytes: Vec<u8>,
        handover: Vec<u8>,
    ) -> Self {
        MdocSession {
            e_device_key,
            device_engagement_bytes,
            handover,
            transcript: None,
            cipher: None,
            state: MdocState::AwaitingEstablishment,
        }
    }

    /// Set the Handover once negotiated handover has finished (before the reader's first
    /// message); the engagement bytes stay as they were.
    pub fn set_handover(&mut self, handover: Vec<u8>) -> Result<(), ProximityError> {
        if self.state != MdocState::AwaitingEstablishment {
            return Err(ProximityError::WrongState {
                state: self.state.name(),
                action: "change the handover",
            });
        }
        self.handover = handover;
        Ok(())
    }

    /// The SessionTranscript, once the reader's key is known.
    pub fn transcript(&self) -> Option<&SessionTranscript> {
        self.transcript.as_ref()
    }

    /// DeviceEngagementBytes this session was engaged with.
    pub fn device_engagement_bytes(&self) -> &[u8] {
        &self.device_engagement_bytes
    }

    /// Whether the session has ended (normally or not).
    pub fn is_closed(&self) -> bool {
        self.state == MdocState::Closed
    }

    fn fail(&mut self, e: ProximityError) -> ProximityError {
        self.state = MdocState::Closed;
        if let Some(c) = &mut self.cipher {
            c.terminate();
        }
        e
    }

    /// Decode a received message with `decode`; failing to decode ends the session (status 11).
    fn decode<M>(
        &mut self,
        decode: impl FnOnce() -> Result<M, MdocError>,
    ) -> Result<M, ProximityError> {
        decode().map_err(|source| self.fail(malformed(source)))
    }

    /// Handle a message from the reader.
    pub fn handle(
        &mut self,
        crypto: &dyn CryptoProvider,
        msg: &[u8],
    ) -> Result<Event, ProximityError> {
        check_size(msg).map_err(|e| self.fail(e))?;
        match self.state {
            MdocState::AwaitingEstablishment => self.establish(crypto, msg),
            MdocState::Established | MdocState::Responding => self.session_data(crypto, msg),
            MdocState::Closed => Err(ProximityError::WrongState {
                state: self.state.name(),
                action: "receive",
            }),
        }
    }

    fn establish(
        &mut self,
        crypto: &dyn CryptoProvider,
        msg: &[u8],
    ) -> Result<Event, ProximityError> {
        let se = self.decode(|| SessionEstablishment::from_bytes(msg))?;
        let transcript = SessionTranscript::build(
            &self.device_engagement_bytes,
            &se.e_reader_key_bytes,
            &self.handover,
        );
        let reader_key = self.decode(|| reader_public_key(&se.e_reader_key_bytes))?;
        let keys = derive_session_keys(crypto, &self.e_device_key, &reader_key, &transcript)
            .map_err(|e| self.fail(ProximityError::Crypto(e)))?;
        let mut cipher = SessionCipher::new(keys, Role::Mdoc);
        let request = cipher
            .decrypt(crypto, &se.data)
            .map_err(|source| self.fail(decrypt_failed(source)))?;
        self.cipher = Some(cipher);
        self.transcript = Some(transcript);
        self.state = MdocState::Responding;
        Ok(Event::Request(request))
    }

    fn session_data(
        &mut self,
        crypto: &dyn CryptoProvider,
        msg: &[u8],
    ) -> Result<Event, ProximityError> {
        let sd = self.decode(|| SessionData::from_bytes(msg))?;
        if let Some(data) = &sd.data {
            let Some(cipher) = self.cipher.as_mut() else {
                return Err(ProximityError::WrongState {
                    state: "no keys",
                    action: "decrypt",
                });
            };
            let request = cipher.decrypt(crypto, data).map_err(decrypt_failed);
            let request = request.map_err(|e| self.fail(e))?;
            self.state = MdocState::Responding;
            return Ok(Event::Request(request));
        }
        // A status without data ends the session either way.
        self.state = MdocState::Closed;
        status_only(sd.status)
    }

    /// Encrypt the DeviceResponse for the pending request; with `terminate`, the same
    /// message also ends the session (status 20).
    pub fn respond(
        &mut self,
        crypto: &dyn CryptoProvider,
        device_response: &[u8],
        terminate: bool,
    ) -> Result<Vec<u8>, ProximityError> {
        if self.state != MdocState::Responding {
            return Err(ProximityError::WrongState {
                state: self.state.name(),
                action: "respond",
            });
        }
        let Some(cipher) = self.cipher.as_mut() else {
            return Err(ProximityError::WrongState {
                state: "no keys",
                action: "respond",
            });
        };
        let data = cipher
            .encrypt(crypto, device_response)
            .map_err(encrypt_failed);
        let data = data.map_err(|e| self.fail(e))?;
        self.state = if terminate {
            MdocState::Closed
        } else {
            MdocState::Established
        };
        Ok(SessionData {
            data: Some(data),
            status: terminate.then_some(STATUS_TERMINATION),
        }
        .to_bytes())
    }

    /// End the session: the SessionData to send.
    pub fn terminate(&mut self) -> Vec<u8> {
        self.state = MdocState::Closed;
        status_message(STATUS_TERMINATION)
    }
}

fn reader_public_key(
    e_reader_key_bytes: &[u8],
) -> Result<kakunin_core::crypto::EcPublicKey, MdocError> {
    use kakunin_core::mdoc::InvalidReason;
    let bad = |reason| MdocError::Invalid {
        path: "SessionEstablishment.eReaderKey".into(),
        reason,
    };
    let item =
        kakunin_core::cbor::decode(e_reader_key_bytes).map_err(|source| MdocError::Cbor {
            path: "SessionEstablishment.eReaderKey".into(),
            source,
        })?;
    let inner = match item.as_tag() {
        Some((24, inner)) => inner.as_bytes().ok_or_else(|| {
            bad(InvalidReason::Tag24NotBstr {
                found: inner.cbor_type(),
            })
        })?,
        Some((found, _)) => {
            return Err(bad(InvalidReason::WrongTag {
                expected: 24,
                found,
            }))
        }
        None => {
            return Err(MdocError::WrongType {
                path: "SessionEstablishment.eReaderKey".into(),
                expected: kakunin_core::mdoc::Expected::Tag24,
                found: item.cbor_type(),
            })
        }
    };
    let key = kakunin_core::cbor::decode(inner).map_err(|source| MdocError::Cbor {
        path: "SessionEstablishment.eReaderKey".into(),
        source,
    })?;
    kakunin_core::cose::decode_cose_key(&key).map_err(|source| MdocError::CoseKey {
        path: "SessionEstablishment.eReaderKey".into(),
        source,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReaderState {
    Ready,
    AwaitingResponse,
    Established,
    Closed,
}

impl ReaderState {
    fn name(self) -> &'static str {
        match self {
            ReaderState::Ready => "ready",
            ReaderState::AwaitingResponse => "awaiting response",
            ReaderState::Established => "established",
            ReaderState::Closed => "closed",
        }
    }
}

/// The reader's side of a session.
pub struct ReaderSession {
    e_reader_key_bytes: Vec<u8>,
    transcript: SessionTranscript,
    cipher: SessionCipher,
    state: ReaderState,
}

impl ReaderSession {
    /// Start from the engagement the reader received: DeviceEngagementBytes (tag 24, exactly
    /// as read from the QR code or NFC record) and the encoded Handover, with the reader's
    /// fresh ephemeral key (on the curve of EDeviceKey).
    pub fn new(
        crypto: &dyn CryptoProvider,
        device_engagement_bytes: &[u8],
        handover: &[u8],
        e_reader_key: &EcPrivateKey,
    ) -> Result<Self, ProximityError> {
        let de = DeviceEngagement::from_tagged(device_engagement_bytes)
            .map_err(ProximityError::Engagement)?;
        let reader_pub = crypto
            .public_key(e_reader_key)
            .map_err(ProximityError::Crypto)?;
        let e_reader_key_bytes = wrap_tag24(&encode_cose_key(&reader_pub));
        let transcript =
            SessionTranscript::build(device_engagement_bytes, &e_reader_key_bytes, handover);
        let keys =
            derive_session_keys(crypto, e_reader_key, &de.security.e_device_key, &transcript)
                .map_err(ProximityError::Crypto)?;
        Ok(ReaderSession {
            e_reader_key_bytes,
            transcript,
            cipher: SessionCipher::new(keys, Role::Reader),
            state: ReaderState::Ready,
        })
    }

    /// The SessionTranscript of this session (for verifying the response).
    pub fn transcript(&self) -> &SessionTranscript {
        &self.transcript
    }

    /// Whether the session has ended (normally or not).
    pub fn is_closed(&self) -> bool {
        self.state == ReaderState::Closed
    }

    /// Send a DeviceRequest: SessionEstablishment the first time, SessionData afterwards.
    pub fn request(
        &mut self,
        crypto: &dyn CryptoProvider,
        device_request: &[u8],
    ) -> Result<Vec<u8>, ProximityError> {
        let first = match self.state {
            ReaderState::Ready => true,
            ReaderState::Established => false,
            s => {
                return Err(ProximityError::WrongState {
                    state: s.name(),
                    action: "request",
                })
            }
        };
        let data = self
            .cipher
            .encrypt(crypto, device_request)
            .map_err(encrypt_failed);
        let data = data.map_err(|e| self.fail(e))?;
        self.state = ReaderState::AwaitingResponse;
        Ok(if first {
            SessionEstablishment {
                e_reader_key_bytes: self.e_reader_key_bytes.clone(),
                data,
            }
            .to_bytes()
        } else {
            SessionData {
                data: Some(data),
                status: None,
            }
            .to_bytes()
        })
    }

    fn fail(&mut self, e: ProximityError) -> ProximityError {
        self.state = ReaderState::Closed;
        self.cipher.terminate();
        e
    }

    /// Decode a received message with `decode`; failing to decode ends the session (status 11).
    fn decode<M>(
        &mut self,
        decode: impl FnOnce() -> Result<M, MdocError>,
    ) -> Result<M, ProximityError> {
        decode().map_err(|source| self.fail(malformed(source)))
    }

    /// Handle a message from the mdoc.
    pub fn handle(
        &mut self,
        crypto: &dyn CryptoProvider,
        msg: &[u8],
    ) -> Result<Event, ProximityError> {
        if self.state == ReaderState::Closed {
            return Err(ProximityError::WrongState {
                state: self.state.name(),
                action: "receive",
            });
        }
        check_size(msg).map_err(|e| self.fail(e))?;
        let sd = self.decode(|| SessionData::from_bytes(msg))?;
        if let Some(data) = &sd.data {
            if self.state != ReaderState::AwaitingResponse {
                return Err(self.fail(ProximityError::WrongState {
                    state: self.state.name(),
                    action: "receive unsolicited data",
                }));
            }
            let response = self.cipher.decrypt(crypto, data).map_err(decrypt_failed);
            let response = response.map_err(|e| self.fail(e))?;
            let terminated = sd.status == Some(STATUS_TERMINATION);
            self.state = if terminated {
                ReaderState::Closed
            } else {
                ReaderState::Established
            };
            return Ok(Event::Response {
                response,
                terminated,
            });
        }
        self.state = ReaderState::Closed;
        self.cipher.terminate();
        status_only(sd.status)
    }

    /// End the session: the SessionData to send.
    pub fn terminate(&mut self) -> Vec<u8> {
        self.state = ReaderState::Closed;
        status_message(STATUS_TERMINATION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::crypto::{default_provider, Curve};
    use kakunin_spec_vectors::annex_d::{bytes, e_reader_key};

    fn annex_d_pair() -> (ReaderSession, MdocSession) {
        let c = default_provider();
        let de = bytes("device_engagement_bytes_nfc");
        let handover = bytes("nfc_handover");
        let reader = ReaderSession::new(c, &de, &handover, &e_reader_key()).unwrap();
        let key = kakunin_core::crypto::hazmat::private_key_from_scalar(
            Curve::P256,
            &bytes("e_device_key_priv_d"),
        )
        .unwrap();
        (reader, MdocSession::new(key, de, handover))
    }

    #[test]
    fn a_cipher_that_cannot_encrypt_is_an_encrypt_error_on_both_sides() {
        let c = default_provider();
        // Reader: its cipher can no longer encrypt (as when the send counter is exhausted).
        let (mut reader, mut mdoc) = annex_d_pair();
        reader.cipher.terminate();
        let err = reader.request(c, b"request").unwrap_err();
        assert_eq!(
            err,
            ProximityError::Encrypt {
                source: SessionError::Terminated,
                send: status_message(STATUS_TERMINATION),
            }
        );
        assert_eq!(err.cause(), kakunin_core::Cause::Misuse);
        assert!(err.to_string().starts_with("message cannot be encrypted"));
        assert!(reader.is_closed());
        // Mdoc: a request arrives, then its cipher cannot encrypt the response.
        let (mut reader, _) = annex_d_pair();
        let msg = reader.request(c, &bytes("device_request")).unwrap();
        assert!(matches!(mdoc.handle(c, &msg), Ok(Event::Request(_))));
        if let Some(cipher) = mdoc.cipher.as_mut() {
            cipher.terminate();
        }
        let err = mdoc.respond(c, b"response", false).unwrap_err();
        assert!(
            matches!(
                &err,
                ProximityError::Encrypt {
                    source: SessionError::Terminated,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.message_to_send(),
            Some(status_message(STATUS_TERMINATION).as_slice())
        );
        assert!(mdoc.is_closed());
    }

    #[test]
    fn an_exhausted_send_counter_maps_to_encrypt_not_decrypt() {
        let e = encrypt_failed(SessionError::CounterExhausted {
            direction: kakunin_core::session::CounterDirection::Send,
        });
        assert!(matches!(e, ProximityError::Encrypt { .. }));
        assert_eq!(e.cause(), kakunin_core::Cause::Misuse);
        let d = decrypt_failed(SessionError::DecryptFailed { counter: 3 });
        assert_eq!(d.cause(), kakunin_core::Cause::FailedCheck);
        assert_eq!(
            d.message_to_send(),
            Some(status_message(STATUS_ENCRYPTION_ERROR).as_slice())
        );
    }
}
