//! Compact JWS (RFC 7515) with ECDSA (ES256/ES384/ES512, RFC 7518 §3.4) through the crypto
//! provider, and EC JWKs (RFC 7517/7518 §6.2). The signing input is the received text.

use super::{b64, unb64};
use crate::cose::SignatureAlg;
use crate::crypto::{CryptoProvider, Curve, EcPrivateKey, EcPublicKey};
use serde_json::{Map, Value};

/// A JWS is malformed, unsupported or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwsError {
    /// Not three base64url parts separated by dots (RFC 7515 §7.1).
    #[error("not a compact JWS (three base64url parts)")]
    Malformed,
    /// The header or payload does not decode to a JSON object.
    #[error("JWS header or payload is not a JSON object")]
    NotJsonObject,
    /// `alg` is `none` (refused whatever the case, RFC 9901 §7.1 step 2).
    #[error("JWS alg \"none\" is not accepted")]
    AlgNone,
    /// `alg` is absent or not ES256/ES384/ES512 (printed escaped).
    #[error("JWS alg {0:?} is not supported")]
    UnsupportedAlg(String),
    /// `alg` names another curve than the key's.
    #[error("JWS alg {alg:?} does not match a {curve} key")]
    AlgKeyMismatch {
        /// The `alg` of the header.
        alg: String,
        /// The curve of the key it was checked with.
        curve: Curve,
    },
    /// The signature does not verify under the key.
    #[error("JWS signature does not verify")]
    BadSignature,
    /// A JWK that is not an EC public key on P-256/P-384/P-521 (RFC 7518 §6.2.1).
    #[error("JWK is not a P-256/P-384/P-521 EC public key")]
    BadJwk,
    /// `x5c` is absent, empty, or not an array of standard-base64 DER certificates.
    #[error("x5c header is missing or malformed")]
    BadX5c,
    /// The crypto provider failed (while signing or drawing randomness).
    #[error("crypto: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
}

impl JwsError {
    /// The cause group: bad signatures are failed checks, `none` and unknown algorithms
    /// untrusted, the rest malformed (or the crypto error's cause).
    pub fn cause(&self) -> crate::Cause {
        match self {
            JwsError::BadSignature | JwsError::AlgKeyMismatch { .. } => crate::Cause::FailedCheck,
            JwsError::AlgNone | JwsError::UnsupportedAlg(_) => crate::Cause::Untrusted,
            JwsError::Crypto(e) => e.cause(),
            _ => crate::Cause::Malformed,
        }
    }
}

/// A parsed compact JWS.
#[derive(Debug, Clone)]
pub struct Jws {
    raw: String,
    /// The protected header.
    pub header: Map<String, Value>,
    /// The payload (claims).
    pub payload: Map<String, Value>,
    signature: Vec<u8>,
}

fn alg_of(name: &str) -> Result<SignatureAlg, JwsError> {
    match name {
        "ES256" => Ok(SignatureAlg::Es256),
        "ES384" => Ok(SignatureAlg::Es384),
        "ES512" => Ok(SignatureAlg::Es512),
        "none" | "None" | "NONE" => Err(JwsError::AlgNone),
        other => Err(JwsError::UnsupportedAlg(other.to_string())),
    }
}

fn alg_name(alg: SignatureAlg) -> &'static str {
    alg.name()
}

/// The `alg` of a protected header (refusing `none` and anything but ES256/384/512).
pub(crate) fn header_alg(header: &Map<String, Value>) -> Result<SignatureAlg, JwsError> {
    alg_of(
        header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or(JwsError::UnsupportedAlg(String::new()))?,
    )
}

/// The DER certificates of a protected header's `x5c` (standard base64, leaf first).
pub(crate) fn header_x5c(header: &Map<String, Value>) -> Result<Vec<Vec<u8>>, JwsError> {
    use base64::Engine;
    let arr = header
        .get("x5c")
        .and_then(Value::as_array)
        .ok_or(JwsError::BadX5c)?;
    if arr.is_empty() {
        return Err(JwsError::BadX5c);
    }
    arr.iter()
        .map(|c| {
            c.as_str()
                .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                .ok_or(JwsError::BadX5c)
        })
        .collect()
}

impl Jws {
    /// Parse a compact JWS, keeping its text as received (the signing input).
    pub fn parse(s: &str) -> Result<Self, JwsError> {
        let mut parts = s.split('.');
        let (Some(h), Some(p), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::Malformed);
        };
        let object = |part: &str| -> Result<Map<String, Value>, JwsError> {
            let bytes = unb64(part).ok_or(JwsError::Malformed)?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(m)) => Ok(m),
                _ => Err(JwsError::NotJsonObject),
            }
        };
        Ok(Jws {
            raw: s.to_string(),
            header: object(h)?,
            payload: object(p)?,
            signature: unb64(sig).ok_or(JwsError::Malformed)?,
        })
    }

    /// The JWS as received.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// `BASE64URL(header) || '.' || BASE64URL(payload)` as received (RFC 7515 §5.2).
    fn signing_input(&self) -> &str {
        match self.raw.rsplit_once('.') {
            Some((input, _)) => input,
            None => &self.raw,
        }
    }

    /// The `typ` header parameter.
    pub fn typ(&self) -> Option<&str> {
        self.header.get("typ").and_then(Value::as_str)
    }

    /// The signature algorithm (refusing `none` and anything but ES256/384/512).
    pub fn alg(&self) -> Result<SignatureAlg, JwsError> {
        header_alg(&self.header)
    }

    /// Verify with `key`.
    pub fn verify(&self, crypto: &dyn CryptoProvider, key: &EcPublicKey) -> Result<(), JwsError> {
        let alg = self.alg()?;
        if alg.curve() != key.curve() {
            return Err(JwsError::AlgKeyMismatch {
                alg: alg_name(alg).into(),
                curve: key.curve(),
            });
        }
        crypto
            .verify_ecdsa(
                key,
                alg.hash(),
                self.signing_input().as_bytes(),
                &self.signature,
            )
            .map_err(|_| JwsError::BadSignature)
    }

    /// The DER certificates of the `x5c` header (standard base64, leaf first).
    pub fn x5c(&self) -> Result<Vec<Vec<u8>>, JwsError> {
        header_x5c(&self.header)
    }

    /// Sign `payload` with `key`; `header` gets the matching `alg`.
    pub fn sign(
        crypto: &dyn CryptoProvider,
        key: &EcPrivateKey,
        header: Map<String, Value>,
        payload: &Map<String, Value>,
    ) -> Result<String, JwsError> {
        EncodedHeader::new(key, header)?.sign(crypto, key, payload)
    }
}

/// A JWS protected header (RFC 7515 §4) with `alg` set for one signing key, encoded once: a
/// batch signed by one key under one header (an SD-JWT VC issuer's `typ` and `x5c`) pays
/// for its JSON and base64url a single time, not once per credential.
#[derive(Debug, Clone)]
pub struct EncodedHeader {
    b64: String,
    alg: SignatureAlg,
}

impl EncodedHeader {
    /// `header` with the `alg` of `key`'s curve (ES256/ES384/ES512), encoded.
    pub fn new(key: &EcPrivateKey, mut header: Map<String, Value>) -> Result<Self, JwsError> {
        let alg = SignatureAlg::for_curve(key.curve());
        header.insert("alg".into(), Value::from(alg_name(alg)));
        let json = serde_json::to_vec(&header).map_err(|_| JwsError::NotJsonObject)?;
        Ok(EncodedHeader {
            b64: b64(&json),
            alg,
        })
    }

    /// The base64url text of the header, as it heads every JWS signed with it.
    pub fn as_str(&self) -> &str {
        &self.b64
    }

    /// Sign `payload` with `key` (whose curve must be the one the header names):
    /// `<header>.<payload>.<signature>`.
    pub fn sign(
        &self,
        crypto: &dyn CryptoProvider,
        key: &EcPrivateKey,
        payload: &Map<String, Value>,
    ) -> Result<String, JwsError> {
        if SignatureAlg::for_curve(key.curve()) != self.alg {
            return Err(JwsError::AlgKeyMismatch {
                alg: alg_name(self.alg).to_string(),
                curve: key.curve(),
            });
        }
        let json = serde_json::to_vec(payload).map_err(|_| JwsError::NotJsonObject)?;
        let payload_b64 = b64(&json);
        // `<header>.<payload>` is the signing input (RFC 7515 §5.1); the signature is
        // appended to the same buffer.
        let mut out = String::with_capacity(self.b64.len() + payload_b64.len() + 100);
        out.push_str(&self.b64);
        out.push('.');
        out.push_str(&payload_b64);
        let sig = crypto.sign_ecdsa(key, self.alg.hash(), out.as_bytes())?;
        out.push('.');
        out.push_str(&b64(&sig));
        Ok(out)
    }
}

/// Sign an already base64url-encoded payload; returns the base64url protected header (with
/// the matching `alg`) and signature.
pub(crate) fn sign_encoded_payload(
    crypto: &dyn CryptoProvider,
    key: &EcPrivateKey,
    header: Map<String, Value>,
    payload_b64: &str,
) -> Result<(String, String), JwsError> {
    let protected = EncodedHeader::new(key, header)?;
    let sig = crypto.sign_ecdsa(
        key,
        protected.alg.hash(),
        format!("{}.{payload_b64}", protected.b64).as_bytes(),
    )?;
    Ok((protected.b64, b64(&sig)))
}

/// An EC public key from a JWK (`kty` EC, `crv` P-256/P-384/P-521, `x`, `y`).
pub fn jwk_to_key(jwk: &Value) -> Result<EcPublicKey, JwsError> {
    if jwk.get("kty").and_then(Value::as_str) != Some("EC") {
        return Err(JwsError::BadJwk);
    }
    let curve = match jwk.get("crv").and_then(Value::as_str) {
        Some("P-256") => Curve::P256,
        Some("P-384") => Curve::P384,
        Some("P-521") => Curve::P521,
        _ => return Err(JwsError::BadJwk),
    };
    let coord = |k: &str| {
        jwk.get(k)
            .and_then(Value::as_str)
            .and_then(unb64)
            .ok_or(JwsError::BadJwk)
    };
    EcPublicKey::from_coordinates(curve, &coord("x")?, &coord("y")?).ok_or(JwsError::BadJwk)
}

/// The JWK of a public key.
pub fn key_to_jwk(key: &EcPublicKey) -> Value {
    serde_json::json!({"kty": "EC", "crv": key.curve().name(), "x": b64(key.x()), "y": b64(key.y())})
}
