//! The Status List Token (draft-ietf-oauth-status-list-20 §5): a JWT with `typ`
//! `statuslist+jwt` (§5.1) or a CWT, a COSE_Sign1_Tagged with protected `type` (16)
//! `application/statuslist+cwt` (§5.2), carrying `sub`, `iat`, `exp`, `ttl` and the
//! `status_list` claim.
//!
//! Parsing keeps what was signed exactly as received (the JWS signing input; the COSE
//! protected header and payload bytes) and decodes the claims strictly: duplicate CBOR keys,
//! trailing bytes, the forbidden CWT tag 61, `alg` `none` and critical headers are refused.
//! Building signs through a [`Signer`], so the key can live in a card or an HSM.

use super::jwt_payload::{self, JsonStatusList, JwtPayload, Lst};
use super::list::StatusList;
use super::{cwt_claims, StatusListError, CWT_TYP, JWT_TYP, MAX_TOKEN_LEN, MAX_X5CHAIN};
use crate::base64url::encode as b64;
use crate::cbor::{Encoder, Item, ItemValue, Limits};
use crate::cose::{SignatureAlg, HEADER_X5CHAIN};
use crate::crypto::{CryptoProvider, EcPublicKey, Signer};
use crate::sdjwt::{header_alg, header_x5c, unb64, JwsError};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// COSE header label `typ` (RFC 9596).
const HEADER_TYP: i64 = 16;
/// COSE header label `crit` (RFC 9052 §3.1).
const HEADER_CRIT: i64 = 2;
/// COSE header label `alg`.
const HEADER_ALG: i64 = 1;
/// COSE header label `kid`.
const HEADER_KID: i64 = 4;
/// CBOR tag of COSE_Sign1_Tagged.
const TAG_SIGN1: u64 = 18;
/// CBOR tag of COSE_Mac0_Tagged.
const TAG_MAC0: u64 = 17;
/// CBOR tag of a CWT (RFC 8392 §6), which the draft forbids on Status List Tokens.
const TAG_CWT: u64 = 61;

/// The two forms of a Status List Token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenFormat {
    /// JWT, `application/statuslist+jwt`.
    Jwt,
    /// CWT, `application/statuslist+cwt`.
    Cwt,
}

impl TokenFormat {
    /// The media type of the form.
    pub const fn media_type(self) -> &'static str {
        match self {
            TokenFormat::Jwt => "application/statuslist+jwt",
            TokenFormat::Cwt => CWT_TYP,
        }
    }
}

/// The claims of a Status List Token other than the list itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListClaims {
    /// `sub`: the list's URI, equal to the `uri` the Referenced Tokens carry.
    pub sub: String,
    /// `iat`: when the list was issued.
    pub iat: OffsetDateTime,
    /// `exp`: when it expires (RECOMMENDED).
    pub exp: Option<OffsetDateTime>,
    /// `ttl`: how long, in seconds, a consumer may cache it (RECOMMENDED; positive).
    pub ttl: Option<u64>,
    /// `nbf`: not valid before (RFC 7519/8392), if present.
    pub nbf: Option<OffsetDateTime>,
    /// `iss`, if present.
    pub iss: Option<String>,
}

impl StatusListClaims {
    /// Claims with `sub` and `iat` only.
    pub fn new(sub: impl Into<String>, iat: OffsetDateTime) -> Self {
        StatusListClaims {
            sub: sub.into(),
            iat,
            exp: None,
            ttl: None,
            nbf: None,
            iss: None,
        }
    }
}

/// How the token names its signing key, in the header: a `kid` and/or an `x5chain`/`x5c`
/// (DER, leaf first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyReference {
    /// `kid` (a JWT string; its UTF-8 bytes in a CWT).
    pub kid: Option<String>,
    /// The signer's certificate chain, leaf first; empty for none.
    pub x5chain: Vec<Vec<u8>>,
}

/// What the signature covers, as received.
#[derive(Debug, Clone)]
enum Signed {
    Jwt {
        /// The JWS signing input as received.
        signing_input: String,
        /// The decoded signature.
        signature: Vec<u8>,
    },
    Cwt {
        to_be_signed: Vec<u8>,
        signature: Vec<u8>,
    },
}

/// A parsed (not yet verified) Status List Token.
#[derive(Debug, Clone)]
pub struct StatusListToken {
    format: TokenFormat,
    claims: StatusListClaims,
    list: StatusList,
    alg: SignatureAlg,
    kid: Option<Vec<u8>>,
    x5chain: Vec<Vec<u8>>,
    signed: Signed,
}

fn malformed(field: &'static str, reason: &'static str) -> StatusListError {
    StatusListError::Malformed { field, reason }
}

fn time_of(field: &'static str, secs: i64) -> Result<OffsetDateTime, StatusListError> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|_| malformed(field, "time out of range"))
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

impl StatusListToken {
    /// Parse either form: a JWT (compact JWS text, surrounding whitespace ignored) or a
    /// CWT (binary CBOR).
    pub fn parse(bytes: &[u8]) -> Result<Self, StatusListError> {
        if bytes.len() > MAX_TOKEN_LEN {
            return Err(StatusListError::TokenTooLarge {
                len: bytes.len(),
                max: MAX_TOKEN_LEN,
            });
        }
        match std::str::from_utf8(bytes) {
            Ok(text) if text.trim().split('.').count() == 3 => Self::parse_jwt(text.trim()),
            _ => Self::parse_cwt(bytes),
        }
    }

    /// Parse a JWT Status List Token (§5.1).
    pub fn parse_jwt(text: &str) -> Result<Self, StatusListError> {
        if text.len() > MAX_TOKEN_LEN {
            return Err(StatusListError::TokenTooLarge {
                len: text.len(),
                max: MAX_TOKEN_LEN,
            });
        }
        // The compact JWS (RFC 7515 §7.1): the header and signature decoded as `Jws::parse`
        // does, the payload read straight into the claims used (`jwt_payload`).
        let jws_err = StatusListError::Jws;
        let mut parts = text.split('.');
        let (Some(h), Some(p), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(jws_err(JwsError::Malformed));
        };
        let header = match unb64(h).map(|b| serde_json::from_slice::<Value>(&b)) {
            None => return Err(jws_err(JwsError::Malformed)),
            Some(Ok(Value::Object(m))) => m,
            Some(_) => return Err(jws_err(JwsError::NotJsonObject)),
        };
        let payload_bytes = unb64(p).ok_or(jws_err(JwsError::Malformed))?;
        let payload = jwt_payload::read(&payload_bytes).ok_or(jws_err(JwsError::NotJsonObject))?;
        let signature = unb64(sig).ok_or(jws_err(JwsError::Malformed))?;
        let typ = header.get("typ").and_then(Value::as_str);
        let typ_ok = typ.is_some_and(|t| {
            t.eq_ignore_ascii_case(JWT_TYP) || t.eq_ignore_ascii_case("application/statuslist+jwt")
        });
        if !typ_ok {
            return Err(StatusListError::WrongType {
                found: typ.map(str::to_string),
                expected: JWT_TYP,
            });
        }
        if header.contains_key("crit") {
            return Err(malformed(
                "crit",
                "critical header parameters are not supported",
            ));
        }
        let alg = header_alg(&header).map_err(jws_err)?;
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(s)) => Some(s.as_bytes().to_vec()),
            Some(_) => return Err(malformed("kid", "not a string")),
        };
        let x5chain = if header.contains_key("x5c") {
            header_x5c(&header).map_err(jws_err)?
        } else {
            Vec::new()
        };
        if x5chain.len() > MAX_X5CHAIN {
            return Err(malformed("x5c", "too many certificates"));
        }
        let claims = jwt_claims(&payload)?;
        let list = match &payload.status_list {
            None => return Err(StatusListError::MissingClaim("status_list")),
            Some(JsonStatusList::NotObject) => {
                return Err(malformed("status_list", "not a JSON object"))
            }
            Some(JsonStatusList::Object {
                bits,
                lst,
                aggregation_uri,
            }) => StatusList::from_json_members(
                bits.as_ref(),
                lst.as_ref().map(|l| match l {
                    Lst::Text(t) => Ok(t.as_ref()),
                    Lst::NotText => Err(()),
                }),
                aggregation_uri.as_ref(),
            )?,
        };
        // `BASE64URL(header) || '.' || BASE64URL(payload)` as received (RFC 7515 §5.2).
        let signing_input = text
            .get(..h.len() + 1 + p.len())
            .unwrap_or_default()
            .to_string();
        Ok(StatusListToken {
            format: TokenFormat::Jwt,
            claims,
            list,
            alg,
            kid,
            x5chain,
            signed: Signed::Jwt {
                signing_input,
                signature,
            },
        })
    }

    /// Parse a CWT Status List Token (§5.2).
    pub fn parse_cwt(bytes: &[u8]) -> Result<Self, StatusListError> {
        let limits = Limits {
            max_input: MAX_TOKEN_LEN,
            ..Limits::DEFAULT
        };
        let top = crate::cbor::decode_with(bytes, &limits).map_err(StatusListError::Cbor)?;
        let inner = match top.as_tag() {
            Some((TAG_SIGN1, inner)) => inner,
            Some((TAG_CWT, _)) => {
                return Err(StatusListError::UnsupportedCose(
                    "the CWT tag 61 must not be used on a Status List Token",
                ))
            }
            Some((TAG_MAC0, _)) => {
                return Err(StatusListError::UnsupportedCose(
                    "COSE_Mac0 status lists are not supported (no MAC key)",
                ))
            }
            Some(_) => {
                return Err(StatusListError::UnsupportedCose(
                    "not a COSE_Sign1_Tagged (tag 18)",
                ))
            }
            None => {
                return Err(StatusListError::UnsupportedCose(
                    "the COSE_Sign1 must be tagged (18)",
                ))
            }
        };
        let Some([protected, unprotected, payload, signature]) = inner.as_array() else {
            return Err(malformed("COSE_Sign1", "not an array of four items"));
        };
        let protected_bytes = protected
            .as_bytes()
            .ok_or(malformed("protected header", "not a byte string"))?;
        let protected_map = if protected_bytes.is_empty() {
            None
        } else {
            Some(
                crate::cbor::decode_with(protected_bytes, &limits)
                    .map_err(StatusListError::Cbor)?,
            )
        };
        let protected_entries: &[(Item<'_>, Item<'_>)] = match &protected_map {
            None => &[],
            Some(m) => m
                .as_map()
                .ok_or(malformed("protected header", "not a map"))?,
        };
        let unprotected_entries = unprotected
            .as_map()
            .ok_or(malformed("unprotected header", "not a map"))?;
        for (k, _) in protected_entries {
            if unprotected_entries.iter().any(|(u, _)| u.raw() == k.raw()) {
                return Err(malformed(
                    "COSE headers",
                    "a label appears in both protected and unprotected headers",
                ));
            }
        }
        if find(protected_entries, HEADER_CRIT).is_some() {
            return Err(malformed(
                "crit",
                "critical header parameters are not supported",
            ));
        }
        let alg = match find(protected_entries, HEADER_ALG) {
            None => {
                return Err(StatusListError::UnsupportedCose(
                    "no alg in the protected header",
                ))
            }
            Some(a) => a.as_int().and_then(SignatureAlg::from_cose).ok_or(
                StatusListError::UnsupportedCose("alg is not ES256, ES384 or ES512"),
            )?,
        };
        match find(protected_entries, HEADER_TYP) {
            Some(t) if t.as_text().is_some_and(|t| t.eq_ignore_ascii_case(CWT_TYP)) => {}
            Some(t) => {
                return Err(StatusListError::WrongType {
                    found: Some(match (t.as_text(), t.as_uint()) {
                        (Some(text), _) => text.to_string(),
                        (None, Some(n)) => format!("content-format {n}"),
                        _ => t.cbor_type().to_string(),
                    }),
                    expected: CWT_TYP,
                })
            }
            None => {
                return Err(StatusListError::WrongType {
                    found: None,
                    expected: CWT_TYP,
                })
            }
        }
        let kid = match find(protected_entries, HEADER_KID)
            .or_else(|| find(unprotected_entries, HEADER_KID))
        {
            None => None,
            Some(k) => Some(
                k.as_bytes()
                    .ok_or(malformed("kid", "not a byte string"))?
                    .to_vec(),
            ),
        };
        let x5chain = match find(protected_entries, HEADER_X5CHAIN)
            .or_else(|| find(unprotected_entries, HEADER_X5CHAIN))
        {
            None => Vec::new(),
            Some(x) => x5chain_of(x)?,
        };
        let payload_bytes = payload
            .as_bytes()
            .ok_or(malformed("payload", "not an attached byte string"))?;
        let signature = signature
            .as_bytes()
            .ok_or(malformed("signature", "not a byte string"))?
            .to_vec();
        let claims_item =
            crate::cbor::decode_with(payload_bytes, &limits).map_err(StatusListError::Cbor)?;
        let claims = cwt_claims_of(&claims_item)?;
        let list = match claims_item.get_int_key(cwt_claims::STATUS_LIST) {
            None => return Err(StatusListError::MissingClaim("status_list (65533)")),
            Some(l) => StatusList::from_cbor_item(l)?,
        };
        Ok(StatusListToken {
            format: TokenFormat::Cwt,
            claims,
            list,
            alg,
            kid,
            x5chain,
            signed: Signed::Cwt {
                to_be_signed: sig_structure(protected_bytes, payload_bytes),
                signature,
            },
        })
    }

    /// JWT or CWT.
    pub fn format(&self) -> TokenFormat {
        self.format
    }

    /// The claims (`sub`, `iat`, `exp`, `ttl`, ...).
    pub fn claims(&self) -> &StatusListClaims {
        &self.claims
    }

    /// The status list (not trusted until verified).
    pub fn list(&self) -> &StatusList {
        &self.list
    }

    /// The signature algorithm.
    pub fn algorithm(&self) -> SignatureAlg {
        self.alg
    }

    /// The `kid` header, as bytes.
    pub fn kid(&self) -> Option<&[u8]> {
        self.kid.as_deref()
    }

    /// The `x5chain`/`x5c` certificates (DER, leaf first); empty if there are none.
    pub fn x5chain(&self) -> &[Vec<u8>] {
        &self.x5chain
    }

    /// Verify the signature with `key` (the signer's key; trust in it is the caller's
    /// concern, see [`super::check::verify_status_list`]).
    pub fn verify_signature(
        &self,
        crypto: &dyn CryptoProvider,
        key: &EcPublicKey,
    ) -> Result<(), StatusListError> {
        if self.alg.curve() != key.curve() {
            return Err(StatusListError::BadSignature);
        }
        match &self.signed {
            Signed::Jwt {
                signing_input,
                signature,
            } => crypto
                .verify_ecdsa(key, self.alg.hash(), signing_input.as_bytes(), signature)
                .map_err(|_| StatusListError::BadSignature),
            Signed::Cwt {
                to_be_signed,
                signature,
            } => crypto
                .verify_ecdsa(key, self.alg.hash(), to_be_signed, signature)
                .map_err(|_| StatusListError::BadSignature),
        }
    }
}

/// The value of integer label `label` in a COSE header map.
fn find<'a, 'b>(entries: &'b [(Item<'a>, Item<'a>)], label: i64) -> Option<&'b Item<'a>> {
    entries
        .iter()
        .find(|(k, _)| k.as_int() == Some(label))
        .map(|(_, v)| v)
}

fn x5chain_of(item: &Item<'_>) -> Result<Vec<Vec<u8>>, StatusListError> {
    let bad = || malformed("x5chain", "not a certificate or an array of certificates");
    let chain: Vec<Vec<u8>> = match item.value() {
        ItemValue::Bytes(b) if !b.is_empty() => vec![b.to_vec()],
        ItemValue::Array(a) if !a.is_empty() => a
            .iter()
            .map(|c| match c.as_bytes() {
                Some(b) if !b.is_empty() => Ok(b.to_vec()),
                _ => Err(bad()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(bad()),
    };
    if chain.len() > MAX_X5CHAIN {
        return Err(malformed("x5chain", "too many certificates"));
    }
    Ok(chain)
}

/// `Sig_structure = ["Signature1", protected, external_aad = h'', payload]` (RFC 9052 §4.4)
/// over the bytes as received.
fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut e = Encoder::with_capacity(protected.len() + payload.len() + 24);
    e.array(4)
        .text("Signature1")
        .bytes(protected)
        .bytes(&[])
        .bytes(payload);
    e.into_bytes()
}

fn jwt_time(
    v: Option<&Value>,
    field: &'static str,
) -> Result<Option<OffsetDateTime>, StatusListError> {
    match v {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) => time_of(field, n).map(Some),
            None => Err(malformed(field, "not an integer NumericDate")),
        },
    }
}

fn jwt_claims(m: &JwtPayload<'_>) -> Result<StatusListClaims, StatusListError> {
    let sub = match m.sub.as_ref() {
        None => return Err(StatusListError::MissingClaim("sub")),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(malformed("sub", "not a string")),
    };
    let iat = jwt_time(m.iat.as_ref(), "iat")?.ok_or(StatusListError::MissingClaim("iat"))?;
    let ttl = match m.ttl.as_ref() {
        None => None,
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 => Some(n),
            _ => return Err(malformed("ttl", "not a positive integer")),
        },
    };
    let iss = match m.iss.as_ref() {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(malformed("iss", "not a string")),
    };
    Ok(StatusListClaims {
        sub,
        iat,
        exp: jwt_time(m.exp.as_ref(), "exp")?,
        ttl,
        nbf: jwt_time(m.nbf.as_ref(), "nbf")?,
        iss,
    })
}

fn cwt_time(
    claims: &Item<'_>,
    key: i64,
    field: &'static str,
) -> Result<Option<OffsetDateTime>, StatusListError> {
    match claims.get_int_key(key) {
        None => Ok(None),
        Some(v) => match v.as_int() {
            Some(n) => time_of(field, n).map(Some),
            None => Err(malformed(field, "not an integer NumericDate")),
        },
    }
}

fn cwt_claims_of(claims: &Item<'_>) -> Result<StatusListClaims, StatusListError> {
    if claims.as_map().is_none() {
        return Err(malformed("CWT claims", "not a map"));
    }
    let text = |key: i64, field: &'static str| -> Result<Option<String>, StatusListError> {
        match claims.get_int_key(key) {
            None => Ok(None),
            Some(v) => v
                .as_text()
                .map(|s| Some(s.to_string()))
                .ok_or(malformed(field, "not a text string")),
        }
    };
    let sub = text(cwt_claims::SUB, "sub (2)")?.ok_or(StatusListError::MissingClaim("sub (2)"))?;
    let iat = cwt_time(claims, cwt_claims::IAT, "iat (6)")?
        .ok_or(StatusListError::MissingClaim("iat (6)"))?;
    let ttl = match claims.get_int_key(cwt_claims::TTL) {
        None => None,
        Some(v) => match v.as_uint() {
            Some(n) if n > 0 => Some(n),
            _ => return Err(malformed("ttl (65534)", "not a positive unsigned integer")),
        },
    };
    Ok(StatusListClaims {
        sub,
        iat,
        exp: cwt_time(claims, cwt_claims::EXP, "exp (4)")?,
        ttl,
        nbf: cwt_time(claims, 5, "nbf (5)")?,
        iss: text(cwt_claims::ISS, "iss (1)")?,
    })
}

/// Check that `signer` can sign for `key` and the claims are well-formed; the algorithm.
fn prepare(
    signer: &dyn Signer,
    claims: &StatusListClaims,
    key: &KeyReference,
) -> Result<SignatureAlg, StatusListError> {
    let curve = signer.curve();
    if signer.hash() != curve.default_hash() {
        return Err(StatusListError::SignerMisuse(
            "ES256/ES384/ES512 need the curve's own hash",
        ));
    }
    if signer.public_key().curve() != curve {
        return Err(StatusListError::SignerMisuse(
            "the signer's public key is on another curve",
        ));
    }
    if claims.ttl == Some(0) {
        return Err(malformed("ttl", "must be positive"));
    }
    if key.x5chain.len() > MAX_X5CHAIN {
        return Err(malformed("x5chain", "too many certificates"));
    }
    if let Some(leaf) = key.x5chain.first() {
        let cert = crate::trust::parse_cert(leaf, 0).map_err(StatusListError::UntrustedSigner)?;
        let cert_key = crate::trust::certificate_public_key(&cert, 0)
            .map_err(StatusListError::UntrustedSigner)?;
        if &cert_key != signer.public_key() {
            return Err(StatusListError::SignerMisuse(
                "the x5chain leaf certifies another key than the signer's",
            ));
        }
    }
    Ok(SignatureAlg::for_curve(curve))
}

fn checked_signature(signer: &dyn Signer, msg: &[u8]) -> Result<Vec<u8>, StatusListError> {
    let sig = signer.sign(msg).map_err(StatusListError::Signer)?;
    if sig.len() != 2 * signer.curve().field_len() {
        return Err(StatusListError::SignerMisuse(
            "the signature is not raw r || s of the curve's size",
        ));
    }
    Ok(sig)
}

fn alg_name(alg: SignatureAlg) -> &'static str {
    match alg {
        SignatureAlg::Es256 => "ES256",
        SignatureAlg::Es384 => "ES384",
        SignatureAlg::Es512 => "ES512",
    }
}

/// Build and sign a JWT Status List Token (§5.1).
pub fn build_jwt(
    signer: &dyn Signer,
    list: &StatusList,
    claims: &StatusListClaims,
    key: &KeyReference,
) -> Result<String, StatusListError> {
    use base64::Engine;
    let alg = prepare(signer, claims, key)?;
    let mut header = Map::new();
    header.insert("alg".into(), Value::from(alg_name(alg)));
    header.insert("typ".into(), Value::from(JWT_TYP));
    if let Some(kid) = &key.kid {
        header.insert("kid".into(), Value::from(kid.as_str()));
    }
    if !key.x5chain.is_empty() {
        let certs = key
            .x5chain
            .iter()
            .map(|c| Value::from(base64::engine::general_purpose::STANDARD.encode(c)))
            .collect();
        header.insert("x5c".into(), Value::Array(certs));
    }
    let mut payload = Map::new();
    payload.insert("sub".into(), Value::from(claims.sub.as_str()));
    payload.insert("iat".into(), Value::from(unix(claims.iat)));
    if let Some(exp) = claims.exp {
        payload.insert("exp".into(), Value::from(unix(exp)));
    }
    if let Some(nbf) = claims.nbf {
        payload.insert("nbf".into(), Value::from(unix(nbf)));
    }
    if let Some(ttl) = claims.ttl {
        payload.insert("ttl".into(), Value::from(ttl));
    }
    if let Some(iss) = &claims.iss {
        payload.insert("iss".into(), Value::from(iss.as_str()));
    }
    payload.insert("status_list".into(), list.to_json());
    let signing_input = format!(
        "{}.{}",
        b64(Value::Object(header).to_string().as_bytes()),
        b64(Value::Object(payload).to_string().as_bytes())
    );
    let sig = checked_signature(signer, signing_input.as_bytes())?;
    let token = format!("{signing_input}.{}", b64(&sig));
    if token.len() > MAX_TOKEN_LEN {
        return Err(StatusListError::TokenTooLarge {
            len: token.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    Ok(token)
}

/// The CWT claims set of a Status List Token, encoded.
fn cwt_payload(list: &StatusList, claims: &StatusListClaims) -> Vec<u8> {
    let n = 3
        + usize::from(claims.exp.is_some())
        + usize::from(claims.ttl.is_some())
        + usize::from(claims.nbf.is_some())
        + usize::from(claims.iss.is_some());
    let mut e = Encoder::new();
    e.map(n);
    if let Some(iss) = &claims.iss {
        e.int(cwt_claims::ISS).text(iss);
    }
    e.int(cwt_claims::SUB).text(&claims.sub);
    e.int(cwt_claims::IAT).int(unix(claims.iat));
    if let Some(exp) = claims.exp {
        e.int(cwt_claims::EXP).int(unix(exp));
    }
    if let Some(nbf) = claims.nbf {
        e.int(5).int(unix(nbf));
    }
    if let Some(ttl) = claims.ttl {
        e.int(cwt_claims::TTL).uint(ttl);
    }
    e.int(cwt_claims::STATUS_LIST);
    list.encode_cbor(&mut e);
    e.into_bytes()
}

/// Build and sign a CWT Status List Token (§5.2): COSE_Sign1_Tagged, protected `alg` and
/// `type`, unprotected `kid` and `x5chain`.
pub fn build_cwt(
    signer: &dyn Signer,
    list: &StatusList,
    claims: &StatusListClaims,
    key: &KeyReference,
) -> Result<Vec<u8>, StatusListError> {
    use coset::TaggedCborSerializable;
    let alg = prepare(signer, claims, key)?;
    let protected = coset::HeaderBuilder::new()
        .algorithm(match alg {
            SignatureAlg::Es256 => coset::iana::Algorithm::ES256,
            SignatureAlg::Es384 => coset::iana::Algorithm::ES384,
            SignatureAlg::Es512 => coset::iana::Algorithm::ES512,
        })
        .value(HEADER_TYP, ciborium::Value::Text(CWT_TYP.to_string()))
        .build();
    let mut unprotected = coset::HeaderBuilder::new();
    if let Some(kid) = &key.kid {
        unprotected = unprotected.key_id(kid.as_bytes().to_vec());
    }
    match key.x5chain.as_slice() {
        [] => {}
        [one] => {
            unprotected = unprotected.value(HEADER_X5CHAIN, ciborium::Value::Bytes(one.clone()));
        }
        many => {
            let certs = many
                .iter()
                .map(|c| ciborium::Value::Bytes(c.clone()))
                .collect();
            unprotected = unprotected.value(HEADER_X5CHAIN, ciborium::Value::Array(certs));
        }
    }
    let signed = coset::CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected.build())
        .payload(cwt_payload(list, claims))
        .try_create_signature(b"", |tbs| checked_signature(signer, tbs))?
        .build();
    let bytes = signed
        .to_tagged_vec()
        .map_err(|_| StatusListError::SignerMisuse("the COSE_Sign1 could not be encoded"))?;
    if bytes.len() > MAX_TOKEN_LEN {
        return Err(StatusListError::TokenTooLarge {
            len: bytes.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    Ok(bytes)
}
