//! Importing EC private keys from the formats people hand to a command line: PKCS#8 (DER or
//! PEM), SEC1 `EC PRIVATE KEY` PEM, or a bare big-endian scalar (raw or hex).

use super::{Curve, EcPrivateKey};
use zeroize::Zeroizing;

/// A key could not be imported or exported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyImportError {
    /// The input is none of the accepted formats (PKCS#8 / RFC 5958, SEC1 / RFC 5915 PEM, a
    /// bare scalar, SubjectPublicKeyInfo / RFC 5280 for public keys), or the key in it is not
    /// on P-256, P-384 or P-521.
    #[error("not a P-256/P-384/P-521 key in PKCS#8, SEC1 PEM, SubjectPublicKeyInfo or raw form")]
    UnrecognizedFormat,
    /// The input is larger than any key file (16 KiB), and was not parsed.
    #[error("key input of {0} bytes exceeds the 16 KiB limit")]
    TooLarge(usize),
}

impl KeyImportError {
    /// Always [`crate::Cause::Malformed`].
    pub fn cause(&self) -> crate::Cause {
        crate::Cause::Malformed
    }
}

fn from_secret_bytes(curve: Curve, bytes: &[u8]) -> Option<EcPrivateKey> {
    EcPrivateKey::from_scalar(curve, bytes)
}

/// Import an EC private key from PKCS#8 DER/PEM, SEC1 PEM, or a raw/hex scalar. A bare
/// scalar's curve is inferred from its length (32, 48 or 66 bytes).
pub fn import_private_key(input: &[u8]) -> Result<EcPrivateKey, KeyImportError> {
    use p256::pkcs8::DecodePrivateKey;
    if input.len() > 16 * 1024 {
        return Err(KeyImportError::TooLarge(input.len()));
    }
    let text = std::str::from_utf8(input).ok().map(str::trim);
    if let Some(t) = text {
        if t.starts_with("-----BEGIN PRIVATE KEY-----") {
            if let Ok(k) = p256::SecretKey::from_pkcs8_pem(t) {
                return from_secret_bytes(Curve::P256, &Zeroizing::new(k.to_bytes().to_vec()))
                    .ok_or(KeyImportError::UnrecognizedFormat);
            }
            if let Ok(k) = p384::SecretKey::from_pkcs8_pem(t) {
                return from_secret_bytes(Curve::P384, &Zeroizing::new(k.to_bytes().to_vec()))
                    .ok_or(KeyImportError::UnrecognizedFormat);
            }
            if let Ok(k) = p521::SecretKey::from_pkcs8_pem(t) {
                return from_secret_bytes(Curve::P521, &Zeroizing::new(k.to_bytes().to_vec()))
                    .ok_or(KeyImportError::UnrecognizedFormat);
            }
            return Err(KeyImportError::UnrecognizedFormat);
        }
        if t.starts_with("-----BEGIN EC PRIVATE KEY-----") {
            if let Ok(k) = p256::SecretKey::from_sec1_pem(t) {
                return from_secret_bytes(Curve::P256, &Zeroizing::new(k.to_bytes().to_vec()))
                    .ok_or(KeyImportError::UnrecognizedFormat);
            }
            if let Ok(k) = p384::SecretKey::from_sec1_pem(t) {
                return from_secret_bytes(Curve::P384, &Zeroizing::new(k.to_bytes().to_vec()))
                    .ok_or(KeyImportError::UnrecognizedFormat);
            }
            if let Ok(k) = p521::SecretKey::from_sec1_pem(t) {
                return from_secret_bytes(Curve::P521, &Zeroizing::new(k.to_bytes().to_vec()))
                    .ok_or(KeyImportError::UnrecognizedFormat);
            }
            return Err(KeyImportError::UnrecognizedFormat);
        }
        if !t.is_empty() && t.len() % 2 == 0 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            let raw = Zeroizing::new(decode_hex(t));
            return import_private_key(&raw);
        }
    }
    if let Ok(k) = p256::SecretKey::from_pkcs8_der(input) {
        return from_secret_bytes(Curve::P256, &Zeroizing::new(k.to_bytes().to_vec()))
            .ok_or(KeyImportError::UnrecognizedFormat);
    }
    if let Ok(k) = p384::SecretKey::from_pkcs8_der(input) {
        return from_secret_bytes(Curve::P384, &Zeroizing::new(k.to_bytes().to_vec()))
            .ok_or(KeyImportError::UnrecognizedFormat);
    }
    if let Ok(k) = p521::SecretKey::from_pkcs8_der(input) {
        return from_secret_bytes(Curve::P521, &Zeroizing::new(k.to_bytes().to_vec()))
            .ok_or(KeyImportError::UnrecognizedFormat);
    }
    let curve = match input.len() {
        32 => Curve::P256,
        48 => Curve::P384,
        66 => Curve::P521,
        _ => return Err(KeyImportError::UnrecognizedFormat),
    };
    from_secret_bytes(curve, input).ok_or(KeyImportError::UnrecognizedFormat)
}

/// Hex text (already checked to be an even number of hex digits) as bytes.
fn decode_hex(t: &str) -> Vec<u8> {
    let nibble = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    };
    t.as_bytes()
        .chunks_exact(2)
        .map(|p| match p {
            [hi, lo] => (nibble(*hi) << 4) | nibble(*lo),
            _ => 0,
        })
        .collect()
}

/// Export a private key as PKCS#8 PEM (zeroized on drop).
pub fn export_private_key_pem(key: &EcPrivateKey) -> Result<Zeroizing<String>, KeyImportError> {
    use p256::pkcs8::{EncodePrivateKey, LineEnding};
    let pem = match key.curve() {
        Curve::P256 => p256::SecretKey::from_slice(key.scalar_bytes())
            .map_err(|_| KeyImportError::UnrecognizedFormat)?
            .to_pkcs8_pem(LineEnding::LF),
        Curve::P384 => p384::SecretKey::from_slice(key.scalar_bytes())
            .map_err(|_| KeyImportError::UnrecognizedFormat)?
            .to_pkcs8_pem(LineEnding::LF),
        Curve::P521 => p521::SecretKey::from_slice(key.scalar_bytes())
            .map_err(|_| KeyImportError::UnrecognizedFormat)?
            .to_pkcs8_pem(LineEnding::LF),
    }
    .map_err(|_| KeyImportError::UnrecognizedFormat)?;
    Ok(Zeroizing::new(pem.to_string()))
}

/// Import an EC public key from SubjectPublicKeyInfo (PEM or DER).
pub fn import_public_key(input: &[u8]) -> Result<super::EcPublicKey, KeyImportError> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::DecodePublicKey;
    if input.len() > 16 * 1024 {
        return Err(KeyImportError::TooLarge(input.len()));
    }
    let text = std::str::from_utf8(input).ok().map(str::trim).unwrap_or("");
    let point = |curve: Curve, sec1: &[u8]| super::EcPublicKey::from_sec1_uncompressed(curve, sec1);
    if let Ok(k) = p256::PublicKey::from_public_key_pem(text)
        .or_else(|_| p256::PublicKey::from_public_key_der(input))
    {
        return point(Curve::P256, k.to_encoded_point(false).as_bytes())
            .ok_or(KeyImportError::UnrecognizedFormat);
    }
    if let Ok(k) = p384::PublicKey::from_public_key_pem(text)
        .or_else(|_| p384::PublicKey::from_public_key_der(input))
    {
        return point(Curve::P384, k.to_encoded_point(false).as_bytes())
            .ok_or(KeyImportError::UnrecognizedFormat);
    }
    if let Ok(k) = p521::PublicKey::from_public_key_pem(text)
        .or_else(|_| p521::PublicKey::from_public_key_der(input))
    {
        return point(Curve::P521, k.to_encoded_point(false).as_bytes())
            .ok_or(KeyImportError::UnrecognizedFormat);
    }
    Err(KeyImportError::UnrecognizedFormat)
}
