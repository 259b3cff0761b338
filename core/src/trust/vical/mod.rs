//! VICAL, the Verified Issuer Certificate Authority List of ISO/IEC 18013-5 Annex C: a
//! COSE_Sign1 (attached payload, `x5chain` in the unprotected header) whose payload lists the
//! IACA certificates a VICAL provider vouches for, each with the docTypes it may issue.
//!
//! The flow is typed so that nothing can be taken from a list that did not verify:
//!
//! 1. [`SignedVical::parse`] decodes the received bytes under size, entry and depth bounds and
//!    walks every entry's certificate once (its DER shape and the fields an entry shows;
//!    webpki reads it as a trust anchor when the entry is first used as one, and an entry
//!    webpki refuses is refused then). Its contents can be looked at
//!    ([`SignedVical::unverified_contents`], for `vical show`) but not imported: entries expose
//!    no certificate bytes there.
//! 2. [`SignedVical::verify`] checks the COSE signature with the `x5chain` leaf, chains the
//!    leaf to a configured VICAL-authority anchor under [`crate::trust::CertProfile::VicalSigner`]
//!    (EKU 1.0.18013.5.1.8; a root shipped inside the `x5chain` is never an anchor), checks the
//!    signer's validity, that `date` is not in the future, `nextUpdate` (with a grace), and an
//!    optional rollback floor on `vicalIssueID`.
//! 3. Only the resulting [`VerifiedVical`] hands out certificates and imports them as
//!    [`crate::trust::TrustAnchors`] scoped to each entry's docTypes.
//!
//! SKI, serial number and validity always come from the parsed certificate; the CBOR copies
//! (`ski`, `serialNumber`, `notBefore`, `notAfter`, `issuer`, `subject`, `issuingCountry`)
//! are hints, and a disagreement is a [`VicalWarning`], not an error. Real lists disagree:
//! AAMVA's `ski` is the DER OCTET STRING around the key identifier, and an Austroads entry
//! carries a `ski` for a certificate without the extension. An entry listed twice (the same
//! certificate bytes) is an error: docs/decisions/0012-vical.md says why.
//!
//! [`build_vical`] builds and signs one (for the test PKI) through a
//! [`crate::crypto::Signer`], with the key order real lists use.

mod build;
mod entry;
mod parse;
mod verify;

#[cfg(test)]
mod tests;

pub use build::{build_vical, VicalBuildEntry, VicalBuildInput};
pub use entry::{VicalEntry, VicalWarning, WarningKind};
pub use parse::{SignedVical, VicalContents};
pub use verify::{VerifiedVical, VicalPolicy};

use crate::cbor::CborError;
use crate::cose::SignatureAlg;
use crate::crypto::{CryptoError, Curve};
use crate::trust::TrustError;
use time::OffsetDateTime;

/// Largest VICAL accepted or built, in bytes. The 35-entry Austroads list is 42 KiB; 4 MiB
/// leaves room for thousands of IACAs while bounding what a download can cost.
pub const MAX_VICAL_LEN: usize = 4 * 1024 * 1024;
/// Most `certificateInfos` entries accepted.
pub const MAX_VICAL_ENTRIES: usize = 4096;
/// Most docTypes (and certificate profiles) one entry may list.
pub const MAX_DOC_TYPES: usize = 64;
/// Longest text field accepted (docType, provider, authority names), in bytes.
pub const MAX_TEXT_LEN: usize = 1024;

/// The extended key usage of a VICAL signer certificate: 1.0.18013.5.1.8 (Annex C).
pub const VICAL_SIGNER_EKU: &str = "1.0.18013.5.1.8";

/// What is wrong with one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldDefect {
    /// A required field is absent.
    Missing,
    /// The field has the wrong CBOR type.
    WrongType,
    /// An array or string that must not be empty is.
    Empty,
    /// More elements than the bound allows.
    TooMany,
    /// A text longer than [`MAX_TEXT_LEN`].
    TooLong,
    /// A `tdate` that is not tag 0 with RFC 3339 text (or, leniently, tag 1 with an epoch).
    BadDate,
}

impl core::fmt::Display for FieldDefect {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            FieldDefect::Missing => "missing",
            FieldDefect::WrongType => "wrong type",
            FieldDefect::Empty => "empty",
            FieldDefect::TooMany => "too many elements",
            FieldDefect::TooLong => "text too long",
            FieldDefect::BadDate => "not a tdate",
        })
    }
}

/// Which CBOR layer failed to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VicalPart {
    /// The COSE_Sign1 envelope.
    Envelope,
    /// The protected header bytes.
    ProtectedHeader,
    /// The payload (the VICAL map).
    Payload,
}

impl core::fmt::Display for VicalPart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            VicalPart::Envelope => "COSE_Sign1",
            VicalPart::ProtectedHeader => "protected header",
            VicalPart::Payload => "payload",
        })
    }
}

/// Why a VICAL could not be parsed, verified or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VicalError {
    /// More bytes than [`MAX_VICAL_LEN`].
    #[error("VICAL of {len} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A CBOR layer does not decode (or exceeds the decoder's bounds).
    #[error("VICAL {part}: {error}")]
    Cbor {
        /// Which layer.
        part: VicalPart,
        /// The decoder's error, with its offset.
        error: CborError,
    },
    /// The COSE_Sign1 envelope has the wrong shape (RFC 9052 §4.2).
    #[error("VICAL COSE_Sign1: {0}")]
    Envelope(&'static str),
    /// The protected `alg` is absent or not ES256/ES384/ES512.
    #[error("VICAL signature algorithm {0:?} is not ES256, ES384 or ES512")]
    UnsupportedAlgorithm(Option<i64>),
    /// `x5chain` (label 33) is absent, malformed or too long.
    #[error("VICAL x5chain: {0}")]
    X5Chain(&'static str),
    /// A top-level VICAL field is missing or malformed.
    #[error("VICAL field {field}: {reason}")]
    Field {
        /// The field name as in Annex C (`vicalProvider`, `date`, ...).
        field: &'static str,
        /// What is wrong.
        reason: FieldDefect,
    },
    /// `version` is not a 1.x version this implementation reads.
    #[error("VICAL version {0:?} is not supported")]
    UnsupportedVersion(String),
    /// `certificateInfos` has more than [`MAX_VICAL_ENTRIES`] entries.
    #[error("VICAL has {count} entries, over the limit of {max}")]
    TooManyEntries {
        /// Entries received.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A field of one `CertificateInfo` entry is missing or malformed.
    #[error("VICAL entry {index}, field {field}: {reason}")]
    Entry {
        /// Position in `certificateInfos` (0-based).
        index: usize,
        /// The field name as in Annex C (`certificate`, `docType`, ...).
        field: &'static str,
        /// What is wrong.
        reason: FieldDefect,
    },
    /// An entry's certificate is too large, not DER, or unusable as a trust anchor.
    #[error("VICAL entry {index} certificate: {error}")]
    EntryCertificate {
        /// Position in `certificateInfos`.
        index: usize,
        /// Why the certificate was refused.
        error: TrustError,
    },
    /// The same certificate is listed twice.
    #[error("VICAL entry {index} repeats the certificate of entry {first}")]
    DuplicateEntry {
        /// The later entry.
        index: usize,
        /// The first entry with the same certificate.
        first: usize,
    },
    /// The `alg` names another curve than the signer certificate's key.
    #[error("VICAL algorithm {alg} does not match the signer's {curve} key")]
    AlgorithmKeyMismatch {
        /// The protected `alg`.
        alg: SignatureAlg,
        /// The signer key's curve.
        curve: Curve,
    },
    /// The COSE signature does not verify with the `x5chain` leaf's key.
    #[error("VICAL signature does not verify")]
    BadSignature,
    /// The crypto provider failed.
    #[error("crypto: {0}")]
    Crypto(CryptoError),
    /// The signer certificate does not chain to a configured VICAL authority under the VICAL
    /// signer profile, or is outside its validity.
    #[error("VICAL signer: {0}")]
    UntrustedSigner(TrustError),
    /// `date` is later than the verification time (beyond the allowed clock skew).
    #[error("VICAL date {date} is in the future (checked at {at})")]
    FutureDate {
        /// The VICAL's `date`.
        date: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// `nextUpdate` has passed (beyond the policy's grace): a newer list should exist.
    #[error("VICAL is stale: nextUpdate {next_update} has passed (checked at {at})")]
    Stale {
        /// The VICAL's `nextUpdate`.
        next_update: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// `vicalIssueID` is lower than the caller's floor (an older list replayed), or absent
    /// where the caller requires one.
    #[error("VICAL issue id {found:?} is below the required {min} (rollback)")]
    Rollback {
        /// The list's `vicalIssueID`.
        found: Option<u64>,
        /// The lowest issue id the caller accepts.
        min: u64,
    },
    /// Building: the signer or the inputs cannot make a valid VICAL.
    #[error("VICAL build: {0}")]
    BuildMisuse(&'static str),
    /// Building: the signer failed.
    #[error("VICAL signer failed: {0}")]
    Signer(CryptoError),
}

impl VicalError {
    /// The cause group: undecodable or ill-shaped lists are malformed, signatures and dates
    /// failed checks, the signer's chain is decided by the chain error, building errors misuse.
    pub fn cause(&self) -> crate::Cause {
        match self {
            VicalError::BadSignature
            | VicalError::AlgorithmKeyMismatch { .. }
            | VicalError::FutureDate { .. }
            | VicalError::Stale { .. }
            | VicalError::Rollback { .. } => crate::Cause::FailedCheck,
            VicalError::Crypto(e) => e.cause(),
            VicalError::UntrustedSigner(e) => match e.cause() {
                crate::Cause::Misuse => crate::Cause::Misuse,
                crate::Cause::FailedCheck => crate::Cause::FailedCheck,
                _ => crate::Cause::Untrusted,
            },
            VicalError::BuildMisuse(_) | VicalError::Signer(_) => crate::Cause::Misuse,
            _ => crate::Cause::Malformed,
        }
    }
}
