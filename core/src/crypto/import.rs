//! Importing EC private keys from the formats people hand to a command line: PKCS#8 (DER or
//! PEM), SEC1 `EC PRIVATE KEY` PEM, or a bare big-endian scalar (raw or hex).

use super::{Curve, EcPrivateKey};
use zeroize::Zeroizing;

/// A private key could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyImportError {
    #[error("not a P-256/P-384/P-521 private key in PKCS#8, SEC1 PEM, or raw scalar form")]
    UnrecognizedFormat,
    #[error("key input of {0} bytes exceeds the 16 KiB limit")]
    TooLarge(usize),
}

impl KeyImportError {
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

fn decode_hex(t: &str) -> Vec<u8> {
    t.as_bytes()
        .chunks(2)
        .map(|p| {
            let h = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            (h(p[0]) << 4) | h(p[1])
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
