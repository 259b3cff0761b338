//! COSE_Key (RFC 9052 §7, RFC 9053 §7.1.1) for EC2 public keys on P-256/P-384/P-521.

use crate::cbor::{Encoder, Item};
use crate::crypto::{Curve, EcPublicKey};

/// Why a COSE_Key was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoseKeyError {
    #[error("COSE_Key is not a map")]
    NotAMap,
    #[error("COSE_Key kty {0:?} is not EC2 (2)")]
    UnsupportedKeyType(Option<i64>),
    #[error("COSE_Key curve {0:?} is not P-256, P-384 or P-521")]
    UnsupportedCurve(Option<i64>),
    #[error("COSE_Key coordinate {0} is missing or has the wrong length")]
    BadCoordinate(&'static str),
    #[error("COSE_Key uses a compressed point, which is not supported")]
    CompressedPoint,
}

/// Decode an EC2 COSE_Key into a public key (lengths checked; the point is validated on use).
pub fn decode_cose_key(item: &Item<'_>) -> Result<EcPublicKey, CoseKeyError> {
    if item.as_map().is_none() {
        return Err(CoseKeyError::NotAMap);
    }
    let kty = item.get_int_key(1).and_then(Item::as_int);
    if kty != Some(2) {
        return Err(CoseKeyError::UnsupportedKeyType(kty));
    }
    let crv = item.get_int_key(-1).and_then(Item::as_int);
    let curve = crv
        .and_then(Curve::from_cose_crv)
        .ok_or(CoseKeyError::UnsupportedCurve(crv))?;
    let x = item
        .get_int_key(-2)
        .and_then(Item::as_bytes)
        .ok_or(CoseKeyError::BadCoordinate("x"))?;
    let y_item = item
        .get_int_key(-3)
        .ok_or(CoseKeyError::BadCoordinate("y"))?;
    if y_item.as_bool().is_some() {
        return Err(CoseKeyError::CompressedPoint);
    }
    let y = y_item.as_bytes().ok_or(CoseKeyError::BadCoordinate("y"))?;
    EcPublicKey::from_coordinates(curve, x, y).ok_or(CoseKeyError::BadCoordinate(
        if x.len() != curve.field_len() {
            "x"
        } else {
            "y"
        },
    ))
}

/// Encode a public key as `{1: 2, -1: crv, -2: x, -3: y}`, the order Annex D uses.
pub fn encode_cose_key(key: &EcPublicKey) -> Vec<u8> {
    let mut e = Encoder::new();
    e.map(4)
        .int(1)
        .int(2)
        .int(-1)
        .int(key.curve().cose_crv())
        .int(-2)
        .bytes(key.x())
        .int(-3)
        .bytes(key.y());
    e.into_bytes()
}
