//! COSE_Key (RFC 9052 §7, RFC 9053 §7.1.1) for EC2 public keys on P-256/P-384/P-521.

use crate::cbor::{Encoder, Item};
use crate::crypto::{Curve, EcPublicKey};

/// Why a COSE_Key was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoseKeyError {
    /// The COSE_Key is not a CBOR map.
    #[error("COSE_Key is not a map")]
    NotAMap,
    /// `kty` (label 1) is absent or not EC2 (2); the value received, if an integer.
    #[error("COSE_Key kty {} is not EC2 (2)", OrAbsent(.0))]
    UnsupportedKeyType(Option<i64>),
    /// `crv` (label -1) is absent or not P-256 (1), P-384 (2) or P-521 (3).
    #[error("COSE_Key curve {} is not P-256, P-384 or P-521", OrAbsent(.0))]
    UnsupportedCurve(Option<i64>),
    /// A coordinate is missing, not a bstr, or not the curve's field length.
    #[error("COSE_Key coordinate {0} is missing or has the wrong length")]
    BadCoordinate(Coordinate),
    /// `y` is a boolean sign bit (point compression), which 18013-5 does not use.
    #[error("COSE_Key uses a compressed point, which is not supported")]
    CompressedPoint,
}

/// One affine coordinate of an EC2 key (RFC 9053 §7.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Coordinate {
    /// `x`, label -2.
    X,
    /// `y`, label -3.
    Y,
}

impl core::fmt::Display for Coordinate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Coordinate::X => "x",
            Coordinate::Y => "y",
        })
    }
}

/// Shows an optional integer label value, or "(absent)".
struct OrAbsent<'a>(&'a Option<i64>);

impl core::fmt::Display for OrAbsent<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("(absent)"),
        }
    }
}

impl CoseKeyError {
    /// Always [`crate::Cause::Malformed`].
    pub fn cause(&self) -> crate::Cause {
        crate::Cause::Malformed
    }
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
        .ok_or(CoseKeyError::BadCoordinate(Coordinate::X))?;
    let y_item = item
        .get_int_key(-3)
        .ok_or(CoseKeyError::BadCoordinate(Coordinate::Y))?;
    if y_item.as_bool().is_some() {
        return Err(CoseKeyError::CompressedPoint);
    }
    let y = y_item
        .as_bytes()
        .ok_or(CoseKeyError::BadCoordinate(Coordinate::Y))?;
    EcPublicKey::from_coordinates(curve, x, y).ok_or(CoseKeyError::BadCoordinate(
        if x.len() != curve.field_len() {
            Coordinate::X
        } else {
            Coordinate::Y
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
