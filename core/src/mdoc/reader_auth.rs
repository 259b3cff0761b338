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
}

impl ReaderAuthError {
    /// The cause group of the underlying error; a missing readerAuth is a failed check.
    pub fn cause(&self) -> crate::Cause {
        match self {
            ReaderAuthError::Missing => crate::Cause::FailedCheck,
            ReaderAuthError::Cose(e) => e.cause(),
            ReaderAuthError::Untrusted(e) => e.cause(),
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
