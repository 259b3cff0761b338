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

pub use key::{decode_cose_key, encode_cose_key, CoseKeyError};
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
pub enum CoseError {
    #[error("COSE structure is not well-formed: {0}")]
    Malformed(&'static str),
    #[error("COSE message of {len} bytes exceeds the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    #[error("COSE protected header has no algorithm")]
    MissingAlgorithm,
    #[error("COSE algorithm {0} is not supported here")]
    UnsupportedAlgorithm(i64),
    #[error("COSE algorithm {alg:?} does not match a {curve:?} key")]
    AlgorithmKeyMismatch {
        alg: SignatureAlg,
        curve: crate::crypto::Curve,
    },
    #[error("x5chain header is missing")]
    MissingX5Chain,
    #[error("x5chain header is malformed")]
    MalformedX5Chain,
    #[error("payload is missing (detached) but none was supplied")]
    MissingPayload,
    #[error("payload is attached where 18013-5 requires a detached (null) payload")]
    UnexpectedPayload,
    #[error("signature does not verify")]
    BadSignature,
    #[error("MAC tag does not verify")]
    BadTag,
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
}

impl CoseError {
    pub fn cause(&self) -> crate::Cause {
        match self {
            CoseError::BadSignature | CoseError::BadTag => crate::Cause::FailedCheck,
            CoseError::Crypto(e) => e.cause(),
            CoseError::AlgorithmKeyMismatch { .. } => crate::Cause::FailedCheck,
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
    match bytes.first() {
        Some(b) if *b == tag_byte => Ok((&bytes[1..], true)),
        Some(_) => Ok((bytes, false)),
        None => Err(CoseError::Malformed("empty input")),
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

fn map_coset(e: coset::CoseError) -> CoseError {
    use coset::CoseError as E;
    CoseError::Malformed(match e {
        E::DecodeFailed(_) => "CBOR decoding failed",
        E::DuplicateMapKey => "duplicate header label",
        E::ExtraneousData => "trailing data",
        E::OutOfRangeIntegerValue => "integer out of range",
        E::UnexpectedItem(_, _) => "unexpected item",
        E::UnregisteredIanaValue | E::UnregisteredIanaNonPrivateValue => "unregistered IANA value",
        E::EncodeFailed => "encoding failed",
    })
}

fn alg_of(header: &coset::Header) -> Option<i64> {
    match header.alg.as_ref()? {
        coset::RegisteredLabelWithPrivate::Assigned(a) => Some(coset::iana::EnumI64::to_i64(a)),
        coset::RegisteredLabelWithPrivate::PrivateUse(a) => Some(*a),
        coset::RegisteredLabelWithPrivate::Text(_) => None,
    }
}
