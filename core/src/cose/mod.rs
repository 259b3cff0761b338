//! COSE (RFC 9052/9053) as ISO 18013-5 uses it: COSE_Sign1 with an `x5chain` (label 33,
//! RFC 9360) for issuer and reader authentication, COSE_Mac0 with HMAC-256/256 for
//! DeviceMac, and COSE_Key for EC2 public keys.
//!
//! Parsing and Sig_structure/MAC_structure construction are delegated to `coset`, which keeps
//! the protected header exactly as received; this module adds the algorithm policy and the
//! bridge to the [`crate::crypto::CryptoProvider`].

mod key;
mod mac0;
mod sign1;

pub use key::{decode_cose_key, encode_cose_key, Coordinate, CoseKeyError};
pub use mac0::Mac0;
pub use sign1::{Sign1, SignatureAlg};

use crate::crypto::CryptoError;

/// Header label of `x5chain` (RFC 9360).
pub const HEADER_X5CHAIN: i64 = 33;
/// COSE algorithm identifier of HMAC 256/256.
pub const ALG_HMAC_256_256: i64 = 5;

/// Largest COSE message accepted (a DS certificate chain plus an MSO with many digests).
pub const MAX_COSE_LEN: usize = 1024 * 1024;

/// A COSE structure could not be parsed or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoseError {
    /// The bytes are not a COSE_Sign1 / COSE_Mac0 of RFC 9052 §4.2 / §6.2.
    #[error("COSE structure is not well-formed: {0}")]
    Malformed(CoseMalformed),
    /// The message is larger than [`MAX_COSE_LEN`].
    #[error("COSE message of {len} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Size of the message, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The protected header has no `alg` (label 1), which 18013-5 requires there.
    #[error("COSE protected header has no algorithm")]
    MissingAlgorithm,
    /// An `alg` other than ES256/ES384/ES512 (Sign1) or HMAC 256/256 (Mac0).
    #[error("COSE algorithm {0} is not supported here")]
    UnsupportedAlgorithm(i64),
    /// The algorithm names another curve than the key's.
    #[error("COSE algorithm {alg} does not match a {curve} key")]
    AlgorithmKeyMismatch {
        /// The algorithm in the protected header.
        alg: SignatureAlg,
        /// The curve of the key it was checked with.
        curve: crate::crypto::Curve,
    },
    /// No `x5chain` header (label 33, RFC 9360) where a certificate chain is required.
    #[error("x5chain header is missing")]
    MissingX5Chain,
    /// `x5chain` is neither a non-empty bstr nor a non-empty array of non-empty bstr.
    #[error("x5chain header is malformed")]
    MalformedX5Chain,
    /// The payload is `null` (detached) and the caller supplied none.
    #[error("payload is missing (detached) but none was supplied")]
    MissingPayload,
    /// A payload is attached where the caller supplied the detached one.
    #[error("payload is attached where 18013-5 requires a detached (null) payload")]
    UnexpectedPayload,
    /// The signature does not verify under the key.
    #[error("signature does not verify")]
    BadSignature,
    /// The MAC tag does not verify under the key.
    #[error("MAC tag does not verify")]
    BadTag,
    /// A structure Kakunin built could not be encoded (a bug, not bad input).
    #[error("COSE structure could not be encoded")]
    EncodeFailed,
    /// The crypto provider failed.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
}

/// Why the bytes are not a well-formed COSE structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CoseMalformed {
    /// No bytes at all.
    Empty,
    /// Not decodable CBOR.
    Cbor,
    /// A header map with the same label twice.
    DuplicateLabel,
    /// Bytes after the structure.
    TrailingData,
    /// An integer outside the range COSE allows.
    IntegerOutOfRange,
    /// An item of the wrong type or shape (e.g. not a 4-element array).
    UnexpectedItem,
    /// A value outside the IANA registries where one is required.
    UnregisteredIanaValue,
}

impl core::fmt::Display for CoseMalformed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CoseMalformed::Empty => "empty input",
            CoseMalformed::Cbor => "CBOR decoding failed",
            CoseMalformed::DuplicateLabel => "duplicate header label",
            CoseMalformed::TrailingData => "trailing data",
            CoseMalformed::IntegerOutOfRange => "integer out of range",
            CoseMalformed::UnexpectedItem => "unexpected item",
            CoseMalformed::UnregisteredIanaValue => "unregistered IANA value",
        })
    }
}

impl CoseError {
    /// The cause group: bad signatures and tags are failed checks, encoding failures misuse,
    /// everything else malformed input.
    pub fn cause(&self) -> crate::Cause {
        match self {
            CoseError::BadSignature | CoseError::BadTag => crate::Cause::FailedCheck,
            CoseError::Crypto(e) => e.cause(),
            CoseError::AlgorithmKeyMismatch { .. } => crate::Cause::FailedCheck,
            CoseError::EncodeFailed => crate::Cause::Misuse,
            _ => crate::Cause::Malformed,
        }
    }
}

/// Strip an optional COSE tag (18 for Sign1, 17 for Mac0) and check the size bound.
fn untag(bytes: &[u8], tag_byte: u8) -> Result<(&[u8], bool), CoseError> {
    if bytes.len() > MAX_COSE_LEN {
        return Err(CoseError::TooLarge {
            len: bytes.len(),
            max: MAX_COSE_LEN,
        });
    }
    match bytes.split_first() {
        Some((b, rest)) if *b == tag_byte => Ok((rest, true)),
        Some(_) => Ok((bytes, false)),
        None => Err(CoseError::Malformed(CoseMalformed::Empty)),
    }
}

/// Some issuers put header parameters with an `undefined` or `null` value in the unprotected
/// header (e.g. `{4: undefined}` for an absent kid); coset rightly refuses them. The
/// unprotected header is not covered by the signature, so such entries can be dropped
/// without changing what is verified. Returns the structure without them (everything else
/// byte for byte) and the labels dropped, or `None` if there is nothing to drop.
fn drop_empty_unprotected(bytes: &[u8], tagged: bool) -> Option<(Vec<u8>, Vec<i64>)> {
    use crate::cbor::{decode, ItemValue};
    let top = decode(bytes).ok()?;
    let arr = if tagged {
        top.as_tag()?.1.as_array()?
    } else {
        top.as_array()?
    };
    let [protected, unprotected, rest @ ..] = arr else {
        return None;
    };
    let entries = unprotected.as_map()?;
    let empty =
        |v: &crate::cbor::Item<'_>| matches!(v.value(), ItemValue::Undefined | ItemValue::Null);
    let dropped: Vec<i64> = entries
        .iter()
        .filter(|(_, v)| empty(v))
        .filter_map(|(k, _)| k.as_int())
        .collect();
    if dropped.is_empty() {
        return None;
    }
    let mut e = crate::cbor::Encoder::with_capacity(bytes.len());
    if tagged {
        e.tag(top.as_tag()?.0);
    }
    e.array(arr.len()).raw(protected.raw());
    let kept: Vec<_> = entries.iter().filter(|(_, v)| !empty(v)).collect();
    e.map(kept.len());
    for (k, v) in kept {
        e.raw(k.raw()).raw(v.raw());
    }
    for item in rest {
        e.raw(item.raw());
    }
    Some((e.into_bytes(), dropped))
}

/// Translate a coset error into ours.
fn map_coset(e: coset::CoseError) -> CoseError {
    use coset::CoseError as E;
    CoseError::Malformed(match e {
        E::DecodeFailed(_) => CoseMalformed::Cbor,
        E::DuplicateMapKey => CoseMalformed::DuplicateLabel,
        E::ExtraneousData => CoseMalformed::TrailingData,
        E::OutOfRangeIntegerValue => CoseMalformed::IntegerOutOfRange,
        E::UnexpectedItem(_, _) => CoseMalformed::UnexpectedItem,
        E::UnregisteredIanaValue | E::UnregisteredIanaNonPrivateValue => {
            CoseMalformed::UnregisteredIanaValue
        }
        E::EncodeFailed => return CoseError::EncodeFailed,
    })
}

/// The `alg` of a header as a COSE integer (text algorithms are not used by 18013-5).
fn alg_of(header: &coset::Header) -> Option<i64> {
    match header.alg.as_ref()? {
        coset::RegisteredLabelWithPrivate::Assigned(a) => Some(coset::iana::EnumI64::to_i64(a)),
        coset::RegisteredLabelWithPrivate::PrivateUse(a) => Some(*a),
        coset::RegisteredLabelWithPrivate::Text(_) => None,
    }
}
