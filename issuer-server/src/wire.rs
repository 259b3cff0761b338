//! The enrolment wire format (docs/profiles/jpki-enrolment.md): the JSON bodies of
//! `POST /enrol/nonce` and `POST /enrol`, parsed strictly (unknown members refused) into
//! typed values, and the device-key checks that need nothing but the request: distinct keys
//! and each key's proof of possession (ES256, raw r‖s, over
//! [`kakunin_core::enrolment::device_pop_message`]).

use crate::error::ApiError;
use base64::Engine as _;
use kakunin_core::crypto::{CryptoProvider, Curve, EcPublicKey, HashAlg};
use kakunin_core::enrolment::{device_pop_message, jwk_thumbprint, NONCE_LEN};
use serde::Deserialize;
use serde_json::Value;

/// Keys in one batch (mdoc or SD-JWT VC) at most.
pub const MAX_BATCH_KEYS: usize = 32;
/// Longest device label, in characters.
pub const MAX_LABEL_CHARS: usize = 64;
/// Largest certificate accepted, in bytes of DER.
pub const MAX_CERTIFICATE_BYTES: usize = 8 * 1024;
/// Largest card signature accepted (RSA-4096 would be 512 bytes).
pub const MAX_SIGNATURE_BYTES: usize = 1024;

/// A key and its proof of possession, as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyIn {
    /// The public key, a JWK (EC P-256).
    pub key: Value,
    /// ES256 signature (raw r‖s, base64url) over the PoP message.
    pub pop: String,
}

/// The holder's device key, as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceIn {
    /// The device's own public key (JWK, EC P-256): it names the device in the registry.
    pub key: Value,
    /// Its proof of possession.
    pub pop: String,
    /// A label the holder chose ("my phone"), at most 64 characters.
    #[serde(default)]
    pub label: Option<String>,
}

/// The body of `POST /enrol`, as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The nonce from `POST /enrol/nonce`, base64url.
    pub nonce: String,
    /// The JPKI signature certificate, base64 DER.
    pub signature_certificate: String,
    /// The signature key's signature over the enrolment challenge, base64url.
    pub signature: String,
    /// The JPKI authentication certificate, base64 DER.
    pub authentication_certificate: String,
    /// The authentication key's signature over the same challenge, base64url.
    pub authentication_signature: String,
    /// The device.
    pub device: DeviceIn,
    /// One key per mdoc to issue.
    pub mdoc_keys: Vec<KeyIn>,
    /// One key per SD-JWT VC to issue.
    pub sd_jwt_keys: Vec<KeyIn>,
}

/// A device key, decoded: the key, its thumbprint and its PoP signature.
#[derive(Debug, Clone)]
pub struct ParsedKey {
    /// The public key (P-256).
    pub key: EcPublicKey,
    /// Its RFC 7638 thumbprint.
    pub thumbprint: [u8; 32],
    /// Its proof of possession (64 bytes).
    pub pop: Vec<u8>,
}

/// A decoded enrolment request.
#[derive(Clone)]
pub struct ParsedEnrolment {
    /// The nonce (32 bytes).
    pub nonce: Vec<u8>,
    /// DER of the signature certificate.
    pub signature_certificate: Vec<u8>,
    /// The signature key's signature.
    pub signature: Vec<u8>,
    /// DER of the authentication certificate.
    pub authentication_certificate: Vec<u8>,
    /// The authentication key's signature.
    pub authentication_signature: Vec<u8>,
    /// The device key.
    pub device: ParsedKey,
    /// The device label.
    pub label: Option<String>,
    /// The mdoc keys.
    pub mdoc_keys: Vec<ParsedKey>,
    /// The SD-JWT VC keys.
    pub sd_jwt_keys: Vec<ParsedKey>,
}

impl core::fmt::Debug for ParsedEnrolment {
    // The certificates carry the four facts: never print them.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ParsedEnrolment")
            .field("mdoc_keys", &self.mdoc_keys.len())
            .field("sd_jwt_keys", &self.sd_jwt_keys.len())
            .finish_non_exhaustive()
    }
}

fn b64url(s: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| ApiError::MALFORMED_REQUEST)
}

fn b64_der(s: &str) -> Result<Vec<u8>, ApiError> {
    let v = base64::engine::general_purpose::STANDARD
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .map_err(|_| ApiError::MALFORMED_REQUEST)?;
    if v.is_empty() || v.len() > MAX_CERTIFICATE_BYTES {
        return Err(ApiError::MALFORMED_REQUEST);
    }
    Ok(v)
}

fn signature(s: &str) -> Result<Vec<u8>, ApiError> {
    let v = b64url(s)?;
    if v.is_empty() || v.len() > MAX_SIGNATURE_BYTES {
        return Err(ApiError::MALFORMED_REQUEST);
    }
    Ok(v)
}

fn parse_key(crypto: &dyn CryptoProvider, key: &Value, pop: &str) -> Result<ParsedKey, ApiError> {
    let key = kakunin_core::sdjwt::jwk_to_key(key).map_err(|_| ApiError::MALFORMED_REQUEST)?;
    if key.curve() != Curve::P256 {
        return Err(ApiError::MALFORMED_REQUEST);
    }
    let pop = b64url(pop)?;
    if pop.len() != 64 {
        return Err(ApiError::MALFORMED_REQUEST);
    }
    Ok(ParsedKey {
        thumbprint: jwk_thumbprint(crypto, &key),
        key,
        pop,
    })
}

fn batch(crypto: &dyn CryptoProvider, keys: &[KeyIn]) -> Result<Vec<ParsedKey>, ApiError> {
    if keys.len() > MAX_BATCH_KEYS {
        return Err(ApiError::TOO_MANY_KEYS);
    }
    if keys.is_empty() {
        return Err(ApiError::MALFORMED_REQUEST);
    }
    keys.iter()
        .map(|k| parse_key(crypto, &k.key, &k.pop))
        .collect()
}

impl ParsedEnrolment {
    /// Decode and size-check every member (no signature is verified here).
    pub fn parse(crypto: &dyn CryptoProvider, r: &EnrolRequest) -> Result<Self, ApiError> {
        // Counts first: a request with 10,000 keys is refused before any key is decoded.
        if r.mdoc_keys.len() > MAX_BATCH_KEYS || r.sd_jwt_keys.len() > MAX_BATCH_KEYS {
            return Err(ApiError::TOO_MANY_KEYS);
        }
        let nonce = b64url(&r.nonce)?;
        if nonce.len() != NONCE_LEN {
            return Err(ApiError::MALFORMED_REQUEST);
        }
        let label = match &r.device.label {
            Some(l)
                if l.is_empty()
                    || l.chars().count() > MAX_LABEL_CHARS
                    || l.chars().any(char::is_control) =>
            {
                return Err(ApiError::MALFORMED_REQUEST)
            }
            other => other.clone(),
        };
        Ok(ParsedEnrolment {
            nonce,
            signature_certificate: b64_der(&r.signature_certificate)?,
            signature: signature(&r.signature)?,
            authentication_certificate: b64_der(&r.authentication_certificate)?,
            authentication_signature: signature(&r.authentication_signature)?,
            device: parse_key(crypto, &r.device.key, &r.device.pop)?,
            label,
            mdoc_keys: batch(crypto, &r.mdoc_keys)?,
            sd_jwt_keys: batch(crypto, &r.sd_jwt_keys)?,
        })
    }

    /// Every key in challenge order: the device key, the mdoc keys, the SD-JWT VC keys.
    pub fn keys(&self) -> impl Iterator<Item = &ParsedKey> {
        core::iter::once(&self.device)
            .chain(self.mdoc_keys.iter())
            .chain(self.sd_jwt_keys.iter())
    }

    /// The thumbprints in challenge order.
    pub fn thumbprints(&self) -> Vec<[u8; 32]> {
        self.keys().map(|k| k.thumbprint).collect()
    }

    /// Refuse a key given twice (by thumbprint), anywhere in the request.
    pub fn check_distinct(&self) -> Result<(), ApiError> {
        let mut t = self.thumbprints();
        let n = t.len();
        t.sort_unstable();
        t.dedup();
        if t.len() != n {
            return Err(ApiError::DEVICE_KEY_REUSED);
        }
        Ok(())
    }

    /// Verify every key's proof of possession over this nonce.
    pub fn verify_pops(&self, crypto: &dyn CryptoProvider) -> Result<(), ApiError> {
        for k in self.keys() {
            let msg = device_pop_message(&self.nonce, &k.thumbprint)
                .map_err(|_| ApiError::MALFORMED_REQUEST)?;
            crypto
                .verify_ecdsa(&k.key, HashAlg::Sha256, &msg, &k.pop)
                .map_err(|_| ApiError::BAD_POP)?;
        }
        Ok(())
    }
}

/// The SHA-256 of a nonce, hex: what the registry stores in its place.
pub fn nonce_hash(crypto: &dyn CryptoProvider, nonce: &[u8]) -> String {
    hex::encode(crypto.hash(HashAlg::Sha256, nonce))
}

/// base64url without padding.
pub fn b64url_encode(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
