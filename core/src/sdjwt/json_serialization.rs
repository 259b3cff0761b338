//! The JWS JSON Serialization of SD-JWT and SD-JWT+KB (RFC 9901 §8, optional in the RFC).
//!
//! Flattened (`protected`, `payload`, `signature`, `header`) and General (`payload`,
//! `signatures[]`, each with its own `protected`, `signature`, `header`) forms. The Disclosures
//! travel in the unprotected header member `disclosures` and the KB-JWT in `kb_jwt`; in the
//! General form only the first signature's header may carry them (§8.2). `sd_hash` covers the
//! compact form rebuilt from the first signature (§8.1), and verification runs the same
//! §7 checks as for the compact form.

use super::jws::sign_encoded_payload;
use super::verify::{verify_parts, Parts};
use super::{
    add_key_binding, JsonMember, JwsError, JwtPart, KbRequirements, SdJwtError, SdJwtMalformed,
    VerifiedSdJwt, MAX_DISCLOSURES, MAX_SD_JWT,
};
use crate::crypto::{CryptoProvider, EcPrivateKey, EcPublicKey};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// Most signatures accepted in the General form.
pub const MAX_SIGNATURES: usize = 16;

/// One signature of a JSON-serialized JWS.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonSignature {
    /// The base64url protected header, as received.
    pub protected: String,
    /// The base64url signature, as received.
    pub signature: String,
    /// The unprotected header, without `disclosures` and `kb_jwt`.
    pub header: Map<String, Value>,
}

/// An SD-JWT or SD-JWT+KB in the JWS JSON Serialization.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonSdJwt {
    /// The base64url payload, as received.
    pub payload: String,
    /// At least one; the first carries the Disclosures and the KB-JWT.
    pub signatures: Vec<JsonSignature>,
    /// The Disclosures, as received (from the first signature's `header.disclosures`).
    pub disclosures: Vec<String>,
    /// The KB-JWT, if any (from the first signature's `header.kb_jwt`).
    pub kb_jwt: Option<String>,
    /// Flattened (one signature, members at the top level) or General.
    pub flattened: bool,
}

/// A member of the JSON serialization has the wrong type.
fn wrong(member: JsonMember) -> SdJwtError {
    SdJwtError::Malformed(SdJwtMalformed::JsonWrongType(member))
}

/// A required string member.
fn string_member(
    m: &Map<String, Value>,
    key: &str,
    member: JsonMember,
) -> Result<String, SdJwtError> {
    match m.get(key) {
        None => Err(SdJwtError::Malformed(SdJwtMalformed::JsonMissing(member))),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(wrong(member)),
    }
}

/// An unprotected header split into the rest, `disclosures` and `kb_jwt`.
type SplitHeader = (Map<String, Value>, Option<Vec<String>>, Option<String>);

/// Split an unprotected header into the SD-JWT members and the rest.
fn take_sd_members(header: Option<&Value>) -> Result<SplitHeader, SdJwtError> {
    let mut header = match header {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(wrong(JsonMember::Header)),
    };
    let disclosures = match header.remove("disclosures") {
        None => None,
        Some(Value::Array(a)) => {
            if a.len() > MAX_DISCLOSURES {
                return Err(SdJwtError::TooLarge(a.len()));
            }
            Some(
                a.into_iter()
                    .map(|d| match d {
                        Value::String(s) => Ok(s),
                        _ => Err(wrong(JsonMember::DisclosureEntry)),
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        Some(_) => return Err(wrong(JsonMember::Disclosures)),
    };
    let kb_jwt = match header.remove("kb_jwt") {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(wrong(JsonMember::KbJwt)),
    };
    Ok((header, disclosures, kb_jwt))
}

impl JsonSdJwt {
    /// Parse either JSON form, within the size bounds of the compact form.
    pub fn parse(text: &str) -> Result<Self, SdJwtError> {
        if text.len() > MAX_SD_JWT {
            return Err(SdJwtError::TooLarge(text.len()));
        }
        let Ok(Value::Object(top)) = serde_json::from_str::<Value>(text) else {
            return Err(SdJwtError::Malformed(SdJwtMalformed::JsonNotObject));
        };
        let payload = string_member(&top, "payload", JsonMember::Payload)?;
        if let Some(sigs) = top.get("signatures") {
            let sigs = sigs
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or(wrong(JsonMember::Signatures))?;
            if sigs.len() > MAX_SIGNATURES {
                return Err(SdJwtError::TooLarge(sigs.len()));
            }
            let mut signatures = Vec::with_capacity(sigs.len());
            let (mut disclosures, mut kb_jwt) = (Vec::new(), None);
            for (i, s) in sigs.iter().enumerate() {
                let m = s.as_object().ok_or(wrong(JsonMember::SignatureEntry))?;
                let (header, d, k) = take_sd_members(m.get("header"))?;
                if i > 0 && (d.is_some() || k.is_some()) {
                    // §8.2: only the first unprotected header may carry them.
                    return Err(SdJwtError::Malformed(
                        SdJwtMalformed::JsonMembersOutsideFirstSignature,
                    ));
                }
                if i == 0 {
                    disclosures = d.unwrap_or_default();
                    kb_jwt = k;
                }
                signatures.push(JsonSignature {
                    protected: string_member(m, "protected", JsonMember::Protected)?,
                    signature: string_member(m, "signature", JsonMember::Signature)?,
                    header,
                });
            }
            return Ok(JsonSdJwt {
                payload,
                signatures,
                disclosures,
                kb_jwt,
                flattened: false,
            });
        }
        let (header, disclosures, kb_jwt) = take_sd_members(top.get("header"))?;
        Ok(JsonSdJwt {
            payload,
            signatures: vec![JsonSignature {
                protected: string_member(&top, "protected", JsonMember::Protected)?,
                signature: string_member(&top, "signature", JsonMember::Signature)?,
                header,
            }],
            disclosures: disclosures.unwrap_or_default(),
            kb_jwt,
            flattened: true,
        })
    }

    /// The Flattened form of a compact SD-JWT (`<JWT>~<Disclosure>~…~[<KB-JWT>]`).
    pub fn from_compact(compact: &str) -> Result<Self, SdJwtError> {
        let mut parts: Vec<&str> = compact.split('~').collect();
        let kb = parts.pop().filter(|k| !k.is_empty()).map(str::to_string);
        let (jwt, disclosures) = parts
            .split_first()
            .ok_or(SdJwtError::Malformed(SdJwtMalformed::NoSeparator))?;
        let mut jws = jwt.split('.');
        let (Some(protected), Some(payload), Some(signature), None) =
            (jws.next(), jws.next(), jws.next(), jws.next())
        else {
            return Err(SdJwtError::Jws {
                part: JwtPart::IssuerJwt,
                source: JwsError::Malformed,
            });
        };
        Ok(JsonSdJwt {
            payload: payload.into(),
            signatures: vec![JsonSignature {
                protected: protected.into(),
                signature: signature.into(),
                header: Map::new(),
            }],
            disclosures: disclosures.iter().map(|d| d.to_string()).collect(),
            kb_jwt: kb,
            flattened: true,
        })
    }

    /// Sign the payload once more (General form), with `header` as the protected header.
    pub fn add_signature(
        &mut self,
        crypto: &dyn CryptoProvider,
        key: &EcPrivateKey,
        header: Map<String, Value>,
        unprotected: Map<String, Value>,
    ) -> Result<(), JwsError> {
        let (protected, signature) = sign_encoded_payload(crypto, key, header, &self.payload)?;
        self.signatures.push(JsonSignature {
            protected,
            signature,
            header: unprotected,
        });
        self.flattened = false;
        Ok(())
    }

    /// The compact issuer-signed JWT of signature `i`.
    pub fn jwt(&self, i: usize) -> Option<String> {
        let s = self.signatures.get(i)?;
        Some(format!("{}.{}.{}", s.protected, self.payload, s.signature))
    }

    /// The compact SD-JWT `sd_hash` covers: the first signature's JWT, then each Disclosure,
    /// each followed by `~` (§8.1).
    pub fn sd_hash_input(&self) -> String {
        let mut s = self.jwt(0).unwrap_or_default();
        s.push('~');
        for d in &self.disclosures {
            s.push_str(d);
            s.push('~');
        }
        s
    }

    /// Keep only the Disclosures `keep` selects (holder side) and drop any KB-JWT.
    pub fn retain_disclosures(&mut self, keep: impl Fn(&str) -> bool) {
        self.disclosures.retain(|d| keep(d));
        self.kb_jwt = None;
    }

    /// Add a Key Binding JWT over [`Self::sd_hash_input`] (holder side).
    pub fn add_key_binding(
        &mut self,
        crypto: &dyn CryptoProvider,
        holder_key: &EcPrivateKey,
        aud: &str,
        nonce: &str,
        iat: i64,
    ) -> Result<(), JwsError> {
        let input = self.sd_hash_input();
        let with_kb = add_key_binding(crypto, &input, holder_key, aud, nonce, iat)?;
        self.kb_jwt = Some(with_kb[input.len()..].to_string());
        Ok(())
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        let sd_header = |s: &JsonSignature, first: bool| {
            let mut h = s.header.clone();
            if first {
                h.insert("disclosures".into(), Value::from(self.disclosures.clone()));
                if let Some(kb) = &self.kb_jwt {
                    h.insert("kb_jwt".into(), Value::from(kb.clone()));
                }
            }
            Value::Object(h)
        };
        let sig = |s: &JsonSignature, first: bool| {
            serde_json::json!({
                "protected": s.protected,
                "signature": s.signature,
                "header": sd_header(s, first),
            })
        };
        let v = if let (true, [only]) = (self.flattened, self.signatures.as_slice()) {
            let mut m = match sig(only, true) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            m.insert("payload".into(), Value::from(self.payload.clone()));
            Value::Object(m)
        } else {
            serde_json::json!({
                "payload": self.payload,
                "signatures": self.signatures.iter().enumerate()
                    .map(|(i, s)| sig(s, i == 0)).collect::<Vec<_>>(),
            })
        };
        v.to_string()
    }
}

/// Verify an SD-JWT(+KB) in either JSON form against the issuer's key: the first signature
/// that verifies under `issuer_key` is the issuer's; everything else is as for the compact
/// form.
pub fn verify_json_presentation(
    crypto: &dyn CryptoProvider,
    text: &str,
    issuer_key: &EcPublicKey,
    kb: Option<&KbRequirements<'_>>,
    now: OffsetDateTime,
) -> Result<VerifiedSdJwt, SdJwtError> {
    verify_parsed_json(crypto, &JsonSdJwt::parse(text)?, issuer_key, kb, now)
}

/// [`verify_json_presentation`] of an already parsed presentation.
pub(crate) fn verify_parsed_json(
    crypto: &dyn CryptoProvider,
    sd: &JsonSdJwt,
    issuer_key: &EcPublicKey,
    kb: Option<&KbRequirements<'_>>,
    now: OffsetDateTime,
) -> Result<VerifiedSdJwt, SdJwtError> {
    let sd_hash_input = sd.sd_hash_input();
    let n = sd.signatures.len();
    for i in 0..n {
        let jwt = sd.jwt(i).unwrap_or_default();
        let parts = Parts {
            jwt: &jwt,
            disclosures: sd.disclosures.iter().map(String::as_str).collect(),
            kb_jwt: sd.kb_jwt.as_deref(),
            sd_hash_input: &sd_hash_input,
        };
        let result = verify_parts(crypto, &parts, issuer_key, kb, now);
        let other_signer = matches!(
            result,
            Err(SdJwtError::Jws {
                part: JwtPart::IssuerJwt,
                source: JwsError::BadSignature | JwsError::AlgKeyMismatch { .. },
            })
        );
        if !(other_signer && i + 1 < n) {
            return result;
        }
    }
    Err(SdJwtError::Malformed(SdJwtMalformed::JsonNoSignature))
}
