//! Verification failures: each names the check, the place, and its cause group.

use kakunin_core::cose::CoseError;
use kakunin_core::crypto::CryptoError;
use kakunin_core::mdoc::{MdocError, ReaderAuthError};
use kakunin_core::trust::TrustError;
use kakunin_core::Cause;

/// The checks of clause 9.3.1 that a document goes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Check {
    /// The MSO (issuerAuth payload) decodes.
    MsoStructure,
    /// The DS certificate chains to a trusted IACA under the Annex B profile.
    IssuerCertificateChain,
    /// issuerAuth verifies with the DS key.
    IssuerSignature,
    /// The MSO docType equals the document's docType.
    DocType,
    /// validityInfo against the verification time and the DS certificate.
    Validity,
    /// Every returned element's digest matches the MSO.
    ValueDigests,
    /// Device-signed elements are allowed by KeyAuthorizations.
    KeyAuthorizations,
    /// DeviceSignature or DeviceMac over DeviceAuthenticationBytes.
    DeviceAuthentication,
}

impl Check {
    /// Every check, in the order 9.3.1 performs them (and a report lists them).
    pub const ALL: [Check; 8] = [
        Check::MsoStructure,
        Check::IssuerCertificateChain,
        Check::IssuerSignature,
        Check::DocType,
        Check::Validity,
        Check::ValueDigests,
        Check::KeyAuthorizations,
        Check::DeviceAuthentication,
    ];

    /// The stable snake_case name used in JSON reports (the serde name too).
    pub fn name(self) -> &'static str {
        match self {
            Check::MsoStructure => "mso_structure",
            Check::IssuerCertificateChain => "issuer_certificate_chain",
            Check::IssuerSignature => "issuer_signature",
            Check::DocType => "doc_type",
            Check::Validity => "validity",
            Check::ValueDigests => "value_digests",
            Check::KeyAuthorizations => "key_authorizations",
            Check::DeviceAuthentication => "device_authentication",
        }
    }
}

/// Why a response, document or element was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The DeviceResponse or DeviceRequest, or the SessionTranscript, does not decode as an
    /// 18013-5 structure.
    #[error("malformed: {0}")]
    Malformed(#[from] MdocError),
    /// The DeviceResponse status is not 0 (OK).
    #[error("DeviceResponse status is {status}, not 0 (OK)")]
    ResponseStatus {
        /// The status the mdoc returned (Table 8).
        status: u64,
    },
    /// The DeviceResponse holds no documents.
    #[error("DeviceResponse holds no documents")]
    NoDocuments,
    /// The MSO (issuerAuth payload) is malformed.
    #[error("document {doc}: MSO: {source}")]
    MalformedMso {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// Why the MSO does not decode (9.1.2.4).
        source: MdocError,
    },
    /// issuerAuth lacks a usable x5chain.
    #[error("document {doc}: issuerAuth: {source}")]
    IssuerAuthHeader {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// Why the x5chain header (label 33) is unusable.
        source: CoseError,
    },
    /// The DS certificate chain is not trusted.
    #[error("document {doc}: issuer certificate: {source}")]
    UntrustedIssuer {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// Why the chain does not validate to a trusted IACA (Annex B profile).
        source: TrustError,
    },
    /// issuerAuth does not verify.
    #[error("document {doc}: issuer signature: {source}")]
    IssuerSignature {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// Why the COSE_Sign1 does not verify with the DS key.
        source: CoseError,
    },
    /// The MSO docType differs from the document's.
    #[error("document {doc}: docType {document:?} but the MSO says {mso:?}")]
    DocTypeMismatch {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// The docType of the document.
        document: String,
        /// The docType the MSO names.
        mso: String,
    },
    /// The verification time is before validFrom.
    #[error("document {doc}: not valid before {valid_from} (verified at {at})")]
    NotYetValid {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// `validFrom` of the MSO's validityInfo.
        valid_from: time::OffsetDateTime,
        /// The verification time.
        at: time::OffsetDateTime,
    },
    /// The verification time is after validUntil.
    #[error("document {doc}: expired at {valid_until} (verified at {at})")]
    Expired {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// `validUntil` of the MSO's validityInfo.
        valid_until: time::OffsetDateTime,
        /// The verification time.
        at: time::OffsetDateTime,
    },
    /// The MSO was signed outside the DS certificate's validity.
    #[error("document {doc}: MSO signed at {signed}, outside the DS certificate validity")]
    SignedOutsideCertificateValidity {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// `signed` of the MSO's validityInfo.
        signed: time::OffsetDateTime,
    },
    /// An element's digest differs from the MSO's.
    #[error("document {doc}: digest of {namespace}/{element} (digestID {digest_id}) does not match the MSO")]
    DigestMismatch {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// The namespace.
        namespace: String,
        /// The element identifier.
        element: String,
        /// The digestID the returned item carries.
        digest_id: u64,
    },
    /// An element's digestID is not in the MSO.
    #[error("document {doc}: {namespace}/{element} has digestID {digest_id}, which the MSO does not list")]
    DigestMissing {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// The namespace.
        namespace: String,
        /// The element identifier.
        element: String,
        /// The digestID the returned item carries.
        digest_id: u64,
    },
    /// Two returned items share a digestID.
    #[error("document {doc}: digestID {digest_id} is used twice in {namespace}")]
    DuplicateDigestId {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// The namespace.
        namespace: String,
        /// The digestID the returned item carries.
        digest_id: u64,
    },
    /// The same element identifier is returned twice in one namespace.
    #[error("document {doc}: {namespace}/{element} is returned twice")]
    DuplicateElement {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// The namespace.
        namespace: String,
        /// The element identifier.
        element: String,
    },
    /// A device-signed element is not allowed by KeyAuthorizations.
    #[error("document {doc}: device key is not authorized to sign {namespace}/{element}")]
    DeviceKeyNotAuthorized {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// The namespace.
        namespace: String,
        /// The element identifier.
        element: String,
    },
    /// A device-signed element is also issuer-signed (9.1.2.4 forbids it).
    #[error("document {doc}: {namespace}/{element} is both device-signed and issuer-signed")]
    DeviceSignedOverridesIssuer {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// The namespace.
        namespace: String,
        /// The element identifier.
        element: String,
    },
    /// DeviceSignature does not verify.
    #[error("document {doc}: device signature: {source}")]
    DeviceSignature {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// Why the COSE_Sign1 over DeviceAuthenticationBytes (9.1.3.6) does not verify.
        source: CoseError,
    },
    /// DeviceMac does not verify.
    #[error("document {doc}: device MAC: {source}")]
    DeviceMac {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// Why the COSE_Mac0 over DeviceAuthenticationBytes (9.1.3.5) does not verify.
        source: CoseError,
    },
    /// DeviceMac needs the reader's ephemeral private key, which was not supplied.
    #[error("document {doc}: DeviceMac needs the reader's ephemeral private key")]
    DeviceMacNeedsReaderKey {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
    },
    /// The supplied reader key is not the EReaderKey of the session transcript.
    #[error("document {doc}: the reader key is not the transcript's EReaderKey")]
    ReaderKeyNotInTranscript {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
    },
    /// A key agreement or derivation failed (e.g. device key on another curve).
    #[error("document {doc}: {source}")]
    Crypto {
        /// Index of the document in `DeviceResponse.documents`.
        doc: usize,
        /// The key agreement or derivation error.
        source: CryptoError,
    },
    /// A DocRequest's readerAuth is malformed or does not verify.
    #[error("docRequest {doc}: reader authentication: {source}")]
    ReaderAuthSignature {
        /// Index of the DocRequest in `DeviceRequest.docRequests`.
        doc: usize,
        /// Why readerAuth is not a valid COSE_Sign1 over ReaderAuthenticationBytes.
        source: CoseError,
    },
    /// A DocRequest's reader certificate is not trusted.
    #[error("docRequest {doc}: reader certificate: {source}")]
    UntrustedReader {
        /// Index of the DocRequest in `DeviceRequest.docRequests`.
        doc: usize,
        /// Why the reader certificate chain does not validate to the reader trust anchors.
        source: TrustError,
    },
    /// A DocRequest's readerAuth failed in a way not named above (9.1.4); the error is
    /// carried as core reported it, and the request counts as not authenticated.
    #[error("docRequest {doc}: reader authentication: {source}")]
    ReaderAuth {
        /// Index of the DocRequest in `DeviceRequest.docRequests`.
        doc: usize,
        /// The failure as core's `verify_reader_auth` reported it.
        source: ReaderAuthError,
    },
}

impl CheckError {
    /// The cause group.
    pub fn cause(&self) -> Cause {
        match self {
            CheckError::Malformed(_)
            | CheckError::MalformedMso { .. }
            | CheckError::IssuerAuthHeader { .. } => Cause::Malformed,
            CheckError::UntrustedIssuer { source, .. }
            | CheckError::UntrustedReader { source, .. } => source.cause(),
            CheckError::DeviceMacNeedsReaderKey { .. }
            | CheckError::ReaderKeyNotInTranscript { .. } => Cause::Misuse,
            CheckError::IssuerSignature { source, .. }
            | CheckError::DeviceSignature { source, .. }
            | CheckError::DeviceMac { source, .. }
            | CheckError::ReaderAuthSignature { source, .. } => source.cause(),
            CheckError::Crypto { source, .. } => source.cause(),
            CheckError::ReaderAuth { source, .. } => source.cause(),
            _ => Cause::FailedCheck,
        }
    }

    /// The check this error fails, if it belongs to one.
    pub fn check(&self) -> Option<Check> {
        Some(match self {
            CheckError::MalformedMso { .. } => Check::MsoStructure,
            CheckError::IssuerAuthHeader { .. } | CheckError::UntrustedIssuer { .. } => {
                Check::IssuerCertificateChain
            }
            CheckError::IssuerSignature { .. } => Check::IssuerSignature,
            CheckError::DocTypeMismatch { .. } => Check::DocType,
            CheckError::NotYetValid { .. }
            | CheckError::Expired { .. }
            | CheckError::SignedOutsideCertificateValidity { .. } => Check::Validity,
            CheckError::DigestMismatch { .. }
            | CheckError::DigestMissing { .. }
            | CheckError::DuplicateDigestId { .. }
            | CheckError::DuplicateElement { .. } => Check::ValueDigests,
            CheckError::DeviceKeyNotAuthorized { .. }
            | CheckError::DeviceSignedOverridesIssuer { .. } => Check::KeyAuthorizations,
            CheckError::DeviceSignature { .. }
            | CheckError::DeviceMac { .. }
            | CheckError::DeviceMacNeedsReaderKey { .. }
            | CheckError::ReaderKeyNotInTranscript { .. }
            | CheckError::Crypto { .. } => Check::DeviceAuthentication,
            _ => return None,
        })
    }

    /// The DeviceResponse status (Table 8) a holder would report for this kind of failure.
    pub fn iso_status(&self) -> u64 {
        match self {
            CheckError::Malformed(e) => e.iso_status(),
            CheckError::MalformedMso { .. } => kakunin_core::mdoc::STATUS_CBOR_VALIDATION_ERROR,
            _ => kakunin_core::mdoc::STATUS_GENERAL_ERROR,
        }
    }

    /// A stable machine-readable name for the error kind.
    pub fn code(&self) -> &'static str {
        match self {
            CheckError::Malformed(_) => "malformed",
            CheckError::ResponseStatus { .. } => "response_status",
            CheckError::NoDocuments => "no_documents",
            CheckError::MalformedMso { .. } => "malformed_mso",
            CheckError::IssuerAuthHeader { .. } => "issuer_auth_header",
            CheckError::UntrustedIssuer { .. } => "untrusted_issuer",
            CheckError::IssuerSignature { .. } => "issuer_signature",
            CheckError::DocTypeMismatch { .. } => "doc_type_mismatch",
            CheckError::NotYetValid { .. } => "not_yet_valid",
            CheckError::Expired { .. } => "expired",
            CheckError::SignedOutsideCertificateValidity { .. } => {
                "signed_outside_certificate_validity"
            }
            CheckError::DigestMismatch { .. } => "digest_mismatch",
            CheckError::DigestMissing { .. } => "digest_missing",
            CheckError::DuplicateDigestId { .. } => "duplicate_digest_id",
            CheckError::DuplicateElement { .. } => "duplicate_element",
            CheckError::DeviceKeyNotAuthorized { .. } => "device_key_not_authorized",
            CheckError::DeviceSignedOverridesIssuer { .. } => "device_signed_overrides_issuer",
            CheckError::DeviceSignature { .. } => "device_signature",
            CheckError::DeviceMac { .. } => "device_mac",
            CheckError::DeviceMacNeedsReaderKey { .. } => "device_mac_needs_reader_key",
            CheckError::ReaderKeyNotInTranscript { .. } => "reader_key_not_in_transcript",
            CheckError::Crypto { .. } => "crypto",
            CheckError::ReaderAuthSignature { .. } => "reader_auth_signature",
            CheckError::UntrustedReader { .. } => "untrusted_reader",
            CheckError::ReaderAuth { .. } => "reader_auth",
        }
    }
}
