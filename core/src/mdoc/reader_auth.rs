//! Reader authentication (ISO 18013-5 clause 9.1.4): checking and creating the readerAuth
//! COSE_Sign1 over ReaderAuthenticationBytes. Shared by the verifier (to report on a request)
//! and the holder (to show who is asking before it answers).

use super::{reader_authentication_bytes, DocRequest, SessionTranscript};
use crate::cose::{CoseError, Sign1};
use crate::crypto::{CryptoProvider, EcPrivateKey};
use crate::trust::{
    validate_chain, CertProfile, DistinguishedNameSummary, TrustAnchors, TrustError,
};
use time::OffsetDateTime;

/// Why a DocRequest's reader authentication failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReaderAuthError {
    /// The DocRequest carries no readerAuth.
    #[error("no readerAuth")]
    Missing,
    /// readerAuth is not a valid COSE_Sign1 over ReaderAuthenticationBytes (9.1.4.4).
    #[error("readerAuth: {0}")]
    Cose(CoseError),
    /// The reader certificate chain does not validate to the reader trust anchors.
    #[error("reader certificate: {0}")]
    Untrusted(TrustError),
    /// A certificate of the reader's chain is listed by its issuer's CRL (RFC 5280 §5).
    #[error("reader certificate {index} is revoked ({})", .reason.map_or("no reason given", |r| r.name()))]
    Revoked {
        /// Its position in the x5chain (0 = the reader certificate).
        index: usize,
        /// The CRL entry's reasonCode.
        reason: Option<crate::trust::CrlReason>,
    },
    /// The CRL of a certificate of the reader's chain is stale, not yet valid or unusable:
    /// its revocation cannot be determined, so the reader is not trusted.
    #[error("reader certificate {index}: revocation status cannot be determined")]
    RevocationUnknown {
        /// Its position in the x5chain (0 = the reader certificate).
        index: usize,
    },
}

impl ReaderAuthError {
    /// The cause group of the underlying error; a missing readerAuth is a failed check.
    pub fn cause(&self) -> crate::Cause {
        match self {
            ReaderAuthError::Missing => crate::Cause::FailedCheck,
            ReaderAuthError::Cose(e) => e.cause(),
            ReaderAuthError::Untrusted(e) => e.cause(),
            ReaderAuthError::Revoked { .. } | ReaderAuthError::RevocationUnknown { .. } => {
                crate::Cause::Untrusted
            }
        }
    }
}

/// Check one DocRequest's readerAuth (clause 9.1.4): the reader certificate chain to
/// `reader_trust` at `at`, then the signature over ReaderAuthenticationBytes; both through
/// `crypto`. Returns the authenticated reader's subject.
pub fn verify_reader_auth(
    crypto: &dyn CryptoProvider,
    doc_request: &DocRequest,
    transcript: &SessionTranscript,
    reader_trust: &TrustAnchors,
    at: OffsetDateTime,
) -> Result<DistinguishedNameSummary, ReaderAuthError> {
    verify_reader_auth_with_crls(crypto, doc_request, transcript, reader_trust, None, at)
}

/// [`verify_reader_auth`], and when `crls` is given, every certificate of the validated
/// reader chain checked against its issuer's CRL (RFC 5280 §5): one listed is
/// [`ReaderAuthError::Revoked`]; one whose issuer's CRL is stale, not yet valid or unusable
/// is [`ReaderAuthError::RevocationUnknown`] (a holder has no grace policy); one whose
/// issuer has no CRL in the set passes.
pub fn verify_reader_auth_with_crls(
    crypto: &dyn CryptoProvider,
    doc_request: &DocRequest,
    transcript: &SessionTranscript,
    reader_trust: &TrustAnchors,
    crls: Option<&crate::trust::CrlSet>,
    at: OffsetDateTime,
) -> Result<DistinguishedNameSummary, ReaderAuthError> {
    use crate::trust::RevocationCheck;
    let ra = doc_request
        .reader_auth
        .as_ref()
        .ok_or(ReaderAuthError::Missing)?;
    let certs = ra.x5chain().map_err(ReaderAuthError::Cose)?;
    let chain = validate_chain(crypto, &certs, reader_trust, CertProfile::ReaderAuth, at)
        .map_err(ReaderAuthError::Untrusted)?;
    let payload = reader_authentication_bytes(transcript, &doc_request.items_request.raw);
    ra.verify(crypto, &chain.leaf_public_key, Some(&payload))
        .map_err(ReaderAuthError::Cose)?;
    if let (Some(crls), Some(anchor)) = (crls, reader_trust.iter().nth(chain.anchor_index)) {
        for (index, check) in crls.check_path(&certs, &chain, anchor.der(), at) {
            match check {
                RevocationCheck::NotRevoked { .. } | RevocationCheck::NoCrl => {}
                RevocationCheck::Revoked { reason, .. } => {
                    return Err(ReaderAuthError::Revoked { index, reason })
                }
                _ => return Err(ReaderAuthError::RevocationUnknown { index }),
            }
        }
    }
    Ok(chain.leaf_subject)
}

/// Create a readerAuth for ItemsRequestBytes with the reader's key and certificate chain.
pub fn sign_reader_auth(
    crypto: &dyn CryptoProvider,
    reader_key: &EcPrivateKey,
    reader_chain: &[Vec<u8>],
    transcript: &SessionTranscript,
    items_request_bytes: &[u8],
) -> Result<Sign1, CoseError> {
    let payload = reader_authentication_bytes(transcript, items_request_bytes);
    Sign1::sign(crypto, reader_key, &payload, true, reader_chain)
}
