//! Hazardous materials: the raw private scalar of an [`EcPrivateKey`].
//!
//! Everything else in Kakunin keeps private keys opaque: they are used through a
//! [`CryptoProvider`](super::CryptoProvider), zeroized on drop, never cloned or printed. The
//! functions here hand out or take in the secret itself, for the few places that truly need it:
//! writing or reading a key file, loading published test vectors (ISO 18013-5 Annex D), or
//! passing a key to another library. Every caller of this module is a place to audit; the
//! bytes returned must not be logged, serialized into reports, or kept beyond their use.

use super::{Curve, EcPrivateKey};

/// The big-endian private scalar of `key` (the curve's field length: 32, 48 or 66 bytes).
///
/// This is the secret. Copy it only into memory that is zeroized (e.g.
/// `zeroize::Zeroizing`), and never into logs, errors or files other than a key file.
pub fn scalar_bytes(key: &EcPrivateKey) -> &[u8] {
    key.scalar_bytes()
}

/// A private key from a big-endian scalar of exactly the curve's field length; `None` if the
/// length is wrong. The scalar's range is checked when a backend first uses the key.
///
/// Prefer [`import_private_key`](super::import_private_key) for keys read from files (it
/// also accepts PKCS#8 and SEC1); this is for scalars that are already bare bytes, such as
/// test vectors, or to make a second, independent copy of a key that must be written out.
pub fn private_key_from_scalar(curve: Curve, scalar: &[u8]) -> Option<EcPrivateKey> {
    EcPrivateKey::from_scalar(curve, scalar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_length_check() {
        let scalar = [7u8; 32];
        let key = private_key_from_scalar(Curve::P256, &scalar).unwrap();
        assert_eq!(scalar_bytes(&key), &scalar);
        assert!(private_key_from_scalar(Curve::P256, &[7u8; 31]).is_none());
        assert!(private_key_from_scalar(Curve::P384, &scalar).is_none());
        // Debug shows the curve, never the scalar.
        let shown = format!("{key:?}");
        assert!(!shown.contains("07") && !shown.contains('7'), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
