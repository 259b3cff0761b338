//! Disclosures (RFC 9901 §4.2): `base64url(JSON [salt, name, value])` for an object property,
//! `base64url(JSON [salt, value])` for an array element. The received text is kept: the
//! digest is over it.

use super::{b64, unb64};
use crate::crypto::{CryptoProvider, HashAlg};
use serde_json::Value;

/// One Disclosure, as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    /// The base64url text exactly as received (the digest input).
    pub encoded: String,
    /// The salt (RFC 9901 §4.2.1: at least 128 bits of randomness).
    pub salt: String,
    /// `None` for an array-element Disclosure.
    pub name: Option<String>,
    /// The disclosed claim value.
    pub value: Value,
}

impl Disclosure {
    /// Parse one Disclosure; `None` if it is not base64url JSON of the right shape.
    pub fn parse(encoded: &str) -> Option<Self> {
        let json = unb64(encoded)?;
        let mut arr: Vec<Value> = serde_json::from_slice(&json).ok()?;
        if !(2..=3).contains(&arr.len()) {
            return None;
        }
        let value = arr.pop()?;
        let name = match arr.len() {
            2 => Some(arr.pop()?.as_str()?.to_string()),
            _ => None,
        };
        let salt = arr.pop()?.as_str()?.to_string();
        Some(Disclosure {
            encoded: encoded.to_string(),
            salt,
            name,
            value,
        })
    }

    /// Make a Disclosure (issuer side).
    pub fn new(salt: &str, name: Option<&str>, value: Value) -> Self {
        let arr = match name {
            Some(n) => Value::Array(vec![Value::from(salt), Value::from(n), value.clone()]),
            None => Value::Array(vec![Value::from(salt), value.clone()]),
        };
        Disclosure {
            encoded: b64(arr.to_string().as_bytes()),
            salt: salt.to_string(),
            name: name.map(str::to_string),
            value,
        }
    }

    /// The digest: base64url(hash(ASCII of the encoded Disclosure)).
    pub fn digest(&self, crypto: &dyn CryptoProvider, alg: HashAlg) -> String {
        b64(&crypto.hash(alg, self.encoded.as_bytes()))
    }
}
