//! What the reader asks for and with which keys and deadlines: the [`ReaderConfig`] a
//! [`super::ReaderFlow`] is built from, and the requests it derives — a DeviceRequest (ISO
//! 18013-5 clause 8.3.2.1.2.1) with one DocRequest per accepted docType, each signed with
//! readerAuth over this session's transcript (9.1.4), and the SD-JWT request of
//! docs/profiles/sd-jwt-proximity.md.

use crate::verdict::AgePolicy;
use kakunin_core::crypto::{CryptoProvider, EcPrivateKey};
use kakunin_core::mdoc::{
    encode_device_request, encode_items_request, sign_reader_auth, RequestedElement,
    SessionTranscript,
};
use kakunin_core::sdjwt::proximity::{encode_request, SdJwtRequest};
use kakunin_core::trust::TrustAnchors;
use std::time::Duration;

/// The reader's certificate chain (leaf first, DER) and its private key, to sign readerAuth.
/// The key never shows in `Debug` and is zeroized on drop.
#[derive(Clone)]
pub struct ReaderAuthSigner {
    chain: Vec<Vec<u8>>,
    // Shared, never copied: a clone of the signer (one per till session) points at the
    // same zeroize-on-drop key.
    key: std::sync::Arc<EcPrivateKey>,
}

impl ReaderAuthSigner {
    /// A signer from the reader certificate chain (leaf first) and the leaf's key.
    pub fn new(chain: Vec<Vec<u8>>, key: EcPrivateKey) -> Self {
        ReaderAuthSigner {
            chain,
            key: std::sync::Arc::new(key),
        }
    }
}

impl core::fmt::Debug for ReaderAuthSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "ReaderAuthSigner(<{} certificate(s), key>)",
            self.chain.len()
        )
    }
}

/// What the first request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestSpec {
    /// Derived from the policy: per accepted mdoc docType, `age_over_NN` and (if the policy
    /// shows it) `portrait`, intentToRetain false.
    FromPolicy,
    /// Exactly these DocRequests: (docType, elements).
    Elements(Vec<(String, Vec<RequestedElement>)>),
}

/// Whether and when to ask for an SD-JWT VC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdJwtMode {
    /// Never: mdoc only.
    Never,
    /// Ask for the policy's SD-JWT VC types, in the same session, when the mdoc response
    /// held no accepted document.
    Fallback,
    /// Ask for the SD-JWT VC only.
    Only,
}

/// How long the reader waits: per message, per session, and how many messages at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// For each answer from the phone.
    pub per_message: Duration,
    /// For the whole session, from the first message sent.
    pub session: Duration,
    /// Most messages received in one session.
    pub max_messages: usize,
}

impl Default for Deadlines {
    /// Ten seconds per message, thirty per session, eight messages.
    fn default() -> Self {
        Deadlines {
            per_message: Duration::from_secs(10),
            session: Duration::from_secs(30),
            max_messages: 8,
        }
    }
}

/// Everything a reader flow needs besides the engagement.
#[derive(Debug)]
pub struct ReaderConfig {
    /// The verdict policy (also what the default request asks for).
    pub policy: AgePolicy,
    /// What the mdoc request asks for.
    pub request: RequestSpec,
    /// Sign readerAuth with this, if set.
    pub reader_auth: Option<ReaderAuthSigner>,
    /// The trusted IACAs (for mdoc issuers and SD-JWT VC `x5c` chains).
    pub trust: TrustAnchors,
    /// Whether to ask for an SD-JWT VC.
    pub sd_jwt: SdJwtMode,
    /// Deadlines and bounds.
    pub deadlines: Deadlines,
    /// Where the status lists come from (a till's trust bundle and cache); `None`: no
    /// status check (the verdict then follows [`AgePolicy::status`]'s `required`).
    pub status: Option<SharedStatusSource>,
    /// The CRLs the certificate chains are checked against (a till's trust bundle and CRL
    /// files, RFC 5280 §5); `None`: no revocation check (`not_checked`).
    pub crls: Option<SharedCrlSet>,
}

/// Verified CRLs shared between sessions (like [`SharedStatusSource`]: a till swaps the set
/// when its trust data reloads; a session keeps the one it started with).
#[derive(Clone, Debug)]
pub struct SharedCrlSet(pub std::sync::Arc<kakunin_core::trust::CrlSet>);

/// A status-list source shared between sessions (a till swaps it when its trust data
/// reloads; a session keeps the one it started with).
#[derive(Clone)]
pub struct SharedStatusSource(pub std::sync::Arc<dyn crate::status::StatusSource + Send + Sync>);

impl core::fmt::Debug for SharedStatusSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SharedStatusSource(..)")
    }
}

impl ReaderConfig {
    /// The till's defaults: [`AgePolicy::default`], the request derived from it, no readerAuth,
    /// the SD-JWT fallback, default deadlines.
    pub fn new(trust: TrustAnchors) -> Self {
        ReaderConfig {
            policy: AgePolicy::default(),
            request: RequestSpec::FromPolicy,
            reader_auth: None,
            trust,
            sd_jwt: SdJwtMode::Fallback,
            deadlines: Deadlines::default(),
            status: None,
            crls: None,
        }
    }

    /// Check the DS (mdoc) and `x5c` (SD-JWT VC) chains against the CRLs of `crls`.
    pub fn with_crls(mut self, crls: std::sync::Arc<kakunin_core::trust::CrlSet>) -> Self {
        self.crls = Some(SharedCrlSet(crls));
        self
    }

    /// Check credentials' status against the lists in `source`.
    pub fn with_status_source(
        mut self,
        source: std::sync::Arc<dyn crate::status::StatusSource + Send + Sync>,
    ) -> Self {
        self.status = Some(SharedStatusSource(source));
        self
    }

    /// Sign readerAuth with `signer`.
    pub fn with_reader_auth(mut self, signer: ReaderAuthSigner) -> Self {
        self.reader_auth = Some(signer);
        self
    }

    /// The DocRequests to send: (docType, elements).
    pub fn doc_requests(&self) -> Vec<(String, Vec<RequestedElement>)> {
        match &self.request {
            RequestSpec::Elements(list) => list.clone(),
            RequestSpec::FromPolicy => self
                .policy
                .mdoc_documents
                .iter()
                .map(|d| {
                    let mut names = vec![self.policy.mdoc_element()];
                    if self.policy.portrait {
                        names.push("portrait".into());
                    }
                    let elements = names
                        .into_iter()
                        .map(|element| RequestedElement {
                            namespace: d.namespace.clone(),
                            element,
                            intent_to_retain: false,
                        })
                        .collect();
                    (d.doc_type.clone(), elements)
                })
                .collect(),
        }
    }

    /// The DeviceRequest for this session, each DocRequest with readerAuth if configured.
    pub fn device_request(
        &self,
        crypto: &dyn CryptoProvider,
        transcript: &SessionTranscript,
    ) -> Result<Vec<u8>, kakunin_core::cose::CoseError> {
        let mut docs = Vec::new();
        for (doc_type, elements) in self.doc_requests() {
            let items = encode_items_request(&doc_type, &elements);
            let reader_auth = match &self.reader_auth {
                Some(s) => Some(
                    sign_reader_auth(crypto, &s.key, &s.chain, transcript, &items)?
                        .raw()
                        .to_vec(),
                ),
                None => None,
            };
            docs.push((items, reader_auth));
        }
        Ok(encode_device_request(&docs))
    }

    /// The SD-JWT request, encoded: per accepted `vct`, the age claim and (if shown) the
    /// portrait ([`ReaderConfig::sd_jwt_requests`]).
    pub fn sd_jwt_request(&self) -> Vec<u8> {
        encode_request(&self.sd_jwt_requests())
    }

    /// What the SD-JWT request asks for: per accepted `vct`, the age claim and (if shown)
    /// the portrait.
    pub fn sd_jwt_requests(&self) -> Vec<SdJwtRequest> {
        self.policy
            .sd_jwt_vcts
            .iter()
            .map(|vct| {
                let mut claims = vec![self.policy.sd_jwt_claim()];
                if self.policy.portrait {
                    claims.push("portrait".into());
                }
                SdJwtRequest {
                    vct: vct.clone(),
                    claims,
                }
            })
            .collect()
    }
}
