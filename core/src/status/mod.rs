//! The IETF Token Status List (draft-ietf-oauth-status-list-20): the status of each issued
//! credential as 1, 2, 4 or 8 bits in a zlib-compressed byte array, carried in a signed
//! Status List Token (JWT `typ statuslist+jwt` or CWT `application/statuslist+cwt`).
//!
//! - [`list`]: the byte array ("Status List" §4): packing, bounded inflation, the JSON and
//!   CBOR `StatusList` encodings, and the Status Type values ("Status Types" §7).
//! - [`token`]: the Status List Token ("Status List Token" §5): parsing both forms, and
//!   building and signing them through a [`crate::crypto::Signer`].
//! - [`check`]: the relying party's side ("Validation Rules" §8.3): the signer chained to the
//!   credential's IACA (or a key the issuer declared), `sub` against the referencing `uri`,
//!   `iat`/`exp`/`ttl` freshness under a policy, then the value at the index. The result is
//!   never a boolean: [`StatusCheck`] is VALID, INVALID, SUSPENDED, an application-specific
//!   value, or undetermined with its reason.
//!
//! Every input is hostile: the token is capped at [`MAX_TOKEN_LEN`] bytes, inflation stops at
//! [`MAX_LIST_BYTES`] (a zlib bomb is an error, not an allocation), and every failure is a
//! typed [`StatusListError`], never a panic. Time is always passed in.

pub mod check;
mod jwt_payload;
pub mod list;
pub mod token;

#[cfg(test)]
mod tests;

pub use check::{
    check_status, verify_status_list, CheckContext, FreshnessPolicy, SignerIdentity, SignerTrust,
    StatusCheck, StatusReference, UndeterminedKind, VerifiedStatusList,
};
pub use list::{Bits, StatusList, StatusValue};
pub use token::{
    build_cwt, build_jwt, KeyReference, StatusListClaims, StatusListToken, TokenFormat,
};

use crate::trust::TrustError;

/// Largest decompressed status array accepted or built: 16 MiB, i.e. 2^27 entries of 1 bit
/// (2^24 of 8 bits). The draft sets no limit; this one is far above any list a real issuer
/// publishes (the draft's examples are 2^20 entries) and bounds what a zlib bomb can cost.
pub const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

/// Largest Status List Token accepted, in bytes (JWT text or CWT binary): room for a
/// [`MAX_LIST_BYTES`] list that does not compress, base64url-encoded, plus headers.
pub const MAX_TOKEN_LEN: usize = 24 * 1024 * 1024;

/// Longest `x5chain`/`x5c` accepted in a Status List Token.
pub const MAX_X5CHAIN: usize = crate::trust::MAX_CHAIN_LEN;

/// JWT `typ` of a Status List Token (§5.1).
pub const JWT_TYP: &str = "statuslist+jwt";
/// CWT `type` (protected header 16, RFC 9596) of a Status List Token (§5.2).
pub const CWT_TYP: &str = "application/statuslist+cwt";

/// CWT claim keys used by the Status List Token (RFC 8392 §4 and the draft's registrations).
pub mod cwt_claims {
    /// `iss` (RFC 8392).
    pub const ISS: i64 = 1;
    /// `sub` (RFC 8392): the list's URI.
    pub const SUB: i64 = 2;
    /// `exp` (RFC 8392).
    pub const EXP: i64 = 4;
    /// `iat` (RFC 8392).
    pub const IAT: i64 = 6;
    /// `status_list` (the draft's CWT claim registration).
    pub const STATUS_LIST: i64 = 65533;
    /// `ttl` (the draft's CWT claim registration).
    pub const TTL: i64 = 65534;
}

/// Why a status list could not be decoded, built, or trusted, or why a status could not be
/// determined from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusListError {
    /// The token is larger than [`MAX_TOKEN_LEN`].
    #[error("status list token of {len} bytes exceeds the {max}-byte limit")]
    TokenTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `bits` is not 1, 2, 4 or 8.
    #[error("bits {0} is not 1, 2, 4 or 8")]
    InvalidBits(i128),
    /// `lst` is empty (not even a zlib stream; an empty list is still a zlib stream).
    #[error("lst is empty")]
    EmptyLst,
    /// `lst` is not a valid zlib (RFC 1950) stream.
    #[error("lst is not a zlib stream: {reason}")]
    NotZlib {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `lst` inflates beyond [`MAX_LIST_BYTES`]; inflation stopped there.
    #[error("lst inflates beyond the {max}-byte limit")]
    InflatedTooLarge {
        /// The limit.
        max: usize,
    },
    /// A field of the token or of the StatusList is missing or has the wrong type.
    #[error("{field}: {reason}")]
    Malformed {
        /// The field (`status_list.lst`, `iat`, `protected header` ...).
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A required claim is absent.
    #[error("required claim {0} is missing")]
    MissingClaim(&'static str),
    /// The CBOR of a CWT is malformed.
    #[error("CWT: {0}")]
    Cbor(crate::cbor::CborError),
    /// The JWS of a JWT is malformed or unsupported.
    #[error("JWT: {0}")]
    Jws(crate::sdjwt::JwsError),
    /// The header type is not that of a Status List Token.
    #[error("type {found:?} is not {expected}")]
    WrongType {
        /// What the token says (absent: `None`).
        found: Option<String>,
        /// What it must say.
        expected: &'static str,
    },
    /// The COSE message is not a tagged COSE_Sign1 with an ECDSA algorithm.
    #[error("CWT: {0}")]
    UnsupportedCose(&'static str),
    /// The signature does not verify under the signer's key.
    #[error("signature does not verify")]
    BadSignature,
    /// The signer is not trusted: its certificate does not chain to the credential's IACA
    /// under the status-signer profile.
    #[error("status list signer: {0}")]
    UntrustedSigner(TrustError),
    /// The list carries no certificate (`x5chain`/`x5c`) to chain to the IACA.
    #[error("status list signer: the token carries no x5chain/x5c to validate")]
    NoSignerCertificate,
    /// The list's `sub` is not the `uri` the credential refers to.
    #[error("sub {found:?} does not match the referenced uri {expected:?}")]
    SubjectMismatch {
        /// The referenced token's `uri`.
        expected: String,
        /// The list's `sub`.
        found: String,
    },
    /// `exp` has passed (beyond the policy's grace).
    #[error("the list expired at {exp} (checked at {now})")]
    Expired {
        /// The list's `exp`.
        exp: time::OffsetDateTime,
        /// The check time.
        now: time::OffsetDateTime,
    },
    /// The list was resolved longer ago than its `ttl` (clamped by policy) plus grace.
    #[error("the list's ttl of {ttl} s since {resolved_at} has passed (checked at {now})")]
    TtlElapsed {
        /// When it was fetched (or, not knowing, its `iat`).
        resolved_at: time::OffsetDateTime,
        /// The ttl applied, in seconds.
        ttl: u64,
        /// The check time.
        now: time::OffsetDateTime,
    },
    /// `iat` is older than the policy's maximum age.
    #[error("the list was issued at {iat}, older than the policy allows (checked at {now})")]
    TooOld {
        /// The list's `iat`.
        iat: time::OffsetDateTime,
        /// The check time.
        now: time::OffsetDateTime,
    },
    /// `iat` is in the future (beyond the policy's clock skew).
    #[error("the list is issued in the future ({iat}, checked at {now})")]
    IssuedInFuture {
        /// The list's `iat`.
        iat: time::OffsetDateTime,
        /// The check time.
        now: time::OffsetDateTime,
    },
    /// The index is beyond the list: no statement can be made (§8.3 step 6).
    #[error("index {index} is beyond the list's {len} entries")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The list's number of entries.
        len: u64,
    },
    /// The list could not be obtained (for fetching adapters; this crate does no I/O).
    #[error("the status list could not be retrieved")]
    Unreachable,
    /// The credential names a status mechanism this version cannot check (the ISO 18013-5
    /// identifier list, or one it does not know).
    #[error("status mechanism {0} is not supported")]
    UnsupportedMechanism(&'static str),
    /// A value does not fit the list's `bits`.
    #[error("value {value} does not fit in {bits} bits")]
    ValueTooWide {
        /// The value.
        value: u8,
        /// The list's bits.
        bits: u8,
    },
    /// A list to build is larger than [`MAX_LIST_BYTES`].
    #[error("{entries} entries of {bits} bits exceed the {max}-byte limit")]
    ListTooLarge {
        /// Entries asked for.
        entries: u64,
        /// Bits per entry.
        bits: u8,
        /// The limit.
        max: usize,
    },
    /// The signer cannot be used for this token (a hash other than its curve's, a
    /// signature of the wrong length, a certificate for another key).
    #[error("signer: {0}")]
    SignerMisuse(&'static str),
    /// The signer failed.
    #[error("signer: {0}")]
    Signer(crate::crypto::CryptoError),
}

impl StatusListError {
    /// The cause group of this error.
    pub fn cause(&self) -> crate::Cause {
        use StatusListError as E;
        match self {
            E::BadSignature
            | E::SubjectMismatch { .. }
            | E::Expired { .. }
            | E::TtlElapsed { .. }
            | E::TooOld { .. }
            | E::IssuedInFuture { .. }
            | E::IndexOutOfRange { .. }
            | E::Unreachable
            | E::UnsupportedMechanism(_) => crate::Cause::FailedCheck,
            E::UntrustedSigner(_) | E::NoSignerCertificate => crate::Cause::Untrusted,
            E::ValueTooWide { .. } | E::ListTooLarge { .. } | E::SignerMisuse(_) | E::Signer(_) => {
                crate::Cause::Misuse
            }
            E::Jws(e) => e.cause(),
            _ => crate::Cause::Malformed,
        }
    }
}
