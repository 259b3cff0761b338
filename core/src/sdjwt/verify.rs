//! SD-JWT verification (RFC 9901 §7.1 and §7.3): the issuer signature, `_sd_alg`, every
//! Disclosure referenced exactly once by a digest, no duplicate digests, no Disclosure named
//! `_sd` or `...` or overwriting a claim, array/object Disclosures in their place, decoys
//! dropped; then the Key Binding JWT (`typ` kb+jwt, holder key from `cnf.jwk`, `iat` window,
//! `aud`, `nonce`, `sd_hash` over the presentation as received) and `exp`/`nbf`.

use super::{b64, sd_alg, Disclosure, Jws, JwsError, MAX_DEPTH, MAX_DISCLOSURES, MAX_SD_JWT};
use crate::crypto::{CryptoProvider, EcPublicKey, HashAlg};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// Why an SD-JWT presentation was rejected (RFC 9901 §7).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdJwtError {
    /// The presentation (or a count in it) exceeds [`MAX_SD_JWT`], [`MAX_DISCLOSURES`] or
    /// [`MAX_SIGNATURES`](super::MAX_SIGNATURES); the size or count found.
    #[error("SD-JWT of {0} bytes exceeds the limit")]
    TooLarge(usize),
    /// The serialization is broken (RFC 9901 §4 compact form, §8 JSON form).
    #[error("SD-JWT is malformed: {0}")]
    Malformed(SdJwtMalformed),
    /// One of the JWTs, or a key in it, is malformed or does not verify.
    #[error("{part}: {source}")]
    Jws {
        /// Which JWT or header member.
        part: JwtPart,
        /// What is wrong with it.
        source: JwsError,
    },
    /// `_sd_alg` names a hash this implementation does not support (printed escaped).
    #[error("_sd_alg {0:?} is not supported")]
    UnsupportedSdAlg(String),
    /// A Disclosure is not base64url JSON `[salt, name, value]` or `[salt, value]` (§4.2).
    #[error("Disclosure {index} is malformed")]
    BadDisclosure {
        /// Position among the presented Disclosures.
        index: usize,
    },
    /// A digest appears more than once in the payload or among the Disclosures (§7.1 step 4).
    #[error("digest {0} appears more than once")]
    DuplicateDigest(String),
    /// A Disclosure no digest refers to (§7.1 step 5).
    #[error("Disclosure {index} is not referenced by any digest")]
    UnreferencedDisclosure {
        /// Position among the presented Disclosures.
        index: usize,
    },
    /// A Disclosure named `_sd` or `...` (§7.1 step 3.2.2.3; printed escaped).
    #[error("Disclosure claim name {0:?} is forbidden")]
    ForbiddenClaimName(String),
    /// A Disclosure whose name is already a claim at that level (§7.1 step 3.2.2.4).
    #[error("Disclosure would overwrite claim {0:?}")]
    ClaimOverwrite(String),
    /// An object Disclosure referenced from an array, or the reverse (§7.1); the JSON Pointer
    /// of the place.
    #[error("a Disclosure of the wrong kind (object vs array element) is referenced at {0}")]
    WrongDisclosureKind(String),
    /// `_sd` is not an array of strings, or a `...` reference not a string; the JSON Pointer.
    #[error("`_sd` at {0} is not an array of digest strings")]
    BadSdArray(String),
    /// Claims nest deeper than [`MAX_DEPTH`].
    #[error("claims nest deeper than {MAX_DEPTH}")]
    TooDeep,
    /// The verifier requires a Key Binding JWT and there is none (§7.3).
    #[error("a Key Binding JWT is required but missing")]
    MissingKeyBinding,
    /// A KB-JWT is present but the SD-JWT has no `cnf.jwk` to check it with.
    #[error("the SD-JWT carries no holder key (cnf.jwk)")]
    NoHolderKey,
    /// The KB-JWT `typ` is not `kb+jwt` (§4.3).
    #[error("KB-JWT typ must be kb+jwt")]
    KbTyp,
    /// The KB-JWT `aud` is not the verifier's.
    #[error("KB-JWT aud does not match")]
    KbAudience,
    /// The KB-JWT `nonce` is not the verifier's.
    #[error("KB-JWT nonce does not match")]
    KbNonce,
    /// The KB-JWT `iat` is missing, too old or too far in the future.
    #[error("KB-JWT iat is outside the accepted window")]
    KbIat,
    /// The KB-JWT `sd_hash` is not the hash of the presentation as received (§4.3.1).
    #[error("KB-JWT sd_hash does not match the presentation")]
    KbSdHash,
    /// `exp` is not after the verification time.
    #[error("the SD-JWT expired")]
    Expired,
    /// `nbf` is after the verification time.
    #[error("the SD-JWT is not valid yet")]
    NotYetValid,
}

/// Which JWT of a presentation (or which key-carrying member) an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwtPart {
    /// The issuer-signed JWT.
    IssuerJwt,
    /// The Key Binding JWT (RFC 9901 §4.3).
    KbJwt,
    /// The `x5c` header of the issuer-signed JWT (RFC 7515 §4.1.6).
    X5c,
    /// The holder key in `cnf.jwk` (RFC 7800).
    CnfJwk,
}

impl core::fmt::Display for JwtPart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            JwtPart::IssuerJwt => "issuer-signed JWT",
            JwtPart::KbJwt => "KB-JWT",
            JwtPart::X5c => "x5c",
            JwtPart::CnfJwk => "cnf.jwk",
        })
    }
}

/// How an SD-JWT's serialization is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SdJwtMalformed {
    /// The compact form has no `~` after the issuer-signed JWT (RFC 9901 §4).
    NoSeparator,
    /// Nothing before the first `~`.
    Empty,
    /// The JSON serialization (§8) is not a JSON object.
    JsonNotObject,
    /// A required member of the JSON serialization is absent.
    JsonMissing(JsonMember),
    /// A member of the JSON serialization has the wrong JSON type.
    JsonWrongType(JsonMember),
    /// `disclosures` or `kb_jwt` in the header of a signature other than the first (§8.2).
    JsonMembersOutsideFirstSignature,
    /// The General form has no signature to verify.
    JsonNoSignature,
}

/// A member of the JWS JSON Serialization of an SD-JWT (RFC 7515 §7.2, RFC 9901 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonMember {
    /// `payload`, a base64url string.
    Payload,
    /// `protected`, a base64url string.
    Protected,
    /// `signature`, a base64url string.
    Signature,
    /// `signatures`, a non-empty array of objects (General form).
    Signatures,
    /// One entry of `signatures`, an object.
    SignatureEntry,
    /// `header`, the unprotected header object.
    Header,
    /// `disclosures`, an array of strings.
    Disclosures,
    /// One entry of `disclosures`, a string.
    DisclosureEntry,
    /// `kb_jwt`, a string.
    KbJwt,
}

impl JsonMember {
    fn name(self) -> &'static str {
        match self {
            JsonMember::Payload => "payload",
            JsonMember::Protected => "protected",
            JsonMember::Signature => "signature",
            JsonMember::Signatures => "signatures",
            JsonMember::SignatureEntry => "an entry of signatures",
            JsonMember::Header => "header",
            JsonMember::Disclosures => "disclosures",
            JsonMember::DisclosureEntry => "a Disclosure",
            JsonMember::KbJwt => "kb_jwt",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            JsonMember::Payload
            | JsonMember::Protected
            | JsonMember::Signature
            | JsonMember::DisclosureEntry
            | JsonMember::KbJwt => "a string",
            JsonMember::Signatures => "a non-empty array",
            JsonMember::SignatureEntry | JsonMember::Header => "an object",
            JsonMember::Disclosures => "an array",
        }
    }
}

impl core::fmt::Display for JsonMember {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::fmt::Display for SdJwtMalformed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SdJwtMalformed::NoSeparator => f.write_str("no '~' after the issuer-signed JWT"),
            SdJwtMalformed::Empty => f.write_str("empty"),
            SdJwtMalformed::JsonNotObject => f.write_str("JSON serialization: not a JSON object"),
            SdJwtMalformed::JsonMissing(m) => write!(f, "JSON serialization: no {m}"),
            SdJwtMalformed::JsonWrongType(m) => {
                write!(f, "JSON serialization: {m} is not {}", m.expected())
            }
            SdJwtMalformed::JsonMembersOutsideFirstSignature => {
                f.write_str("JSON serialization: disclosures or kb_jwt outside the first signature")
            }
            SdJwtMalformed::JsonNoSignature => f.write_str("JSON serialization: no signature"),
        }
    }
}

impl SdJwtError {
    /// The cause group: broken serializations are malformed, an unknown `_sd_alg`
    /// untrusted, the rest failed checks (or the JWS error's own cause).
    pub fn cause(&self) -> crate::Cause {
        match self {
            SdJwtError::Jws { source, .. } => source.cause(),
            SdJwtError::TooLarge(_)
            | SdJwtError::Malformed(_)
            | SdJwtError::BadDisclosure { .. }
            | SdJwtError::BadSdArray(_)
            | SdJwtError::TooDeep => crate::Cause::Malformed,
            SdJwtError::UnsupportedSdAlg(_) => crate::Cause::Untrusted,
            _ => crate::Cause::FailedCheck,
        }
    }
}

/// What a verifier requires of the Key Binding JWT.
#[derive(Debug, Clone, Copy)]
pub struct KbRequirements<'a> {
    /// Refuse a presentation without a KB-JWT.
    pub required: bool,
    /// The `aud` the KB-JWT must carry (the verifier's identifier).
    pub aud: &'a str,
    /// The `nonce` the KB-JWT must carry (fresh per request).
    pub nonce: &'a str,
    /// How old `iat` may be.
    pub max_age: time::Duration,
    /// How far in the future `iat` may be (clock skew).
    pub max_skew: time::Duration,
}

/// A verified presentation.
#[derive(Debug, Clone)]
pub struct VerifiedSdJwt {
    /// The issuer-signed JWT's protected header.
    pub header: Map<String, Value>,
    /// The processed claims: disclosed values in place, `_sd`/`_sd_alg`/decoys removed.
    pub claims: Map<String, Value>,
    /// The holder key from `cnf.jwk`, if the SD-JWT has one.
    pub holder_key: Option<EcPublicKey>,
    /// Whether a KB-JWT was present and verified against the requirements.
    pub key_bound: bool,
    /// Number of Disclosures that were presented.
    pub disclosures: usize,
}

/// Where in the claims the walk is, as a chain of steps; rendered as a JSON Pointer only when
/// an error names it, so the walk allocates no paths on the way.
#[derive(Clone, Copy)]
enum At<'p> {
    Root,
    Key(&'p At<'p>, &'p str),
    Index(&'p At<'p>, usize),
}

impl At<'_> {
    fn pointer(&self) -> String {
        match self {
            At::Root => String::new(),
            At::Key(parent, k) => format!("{}/{}", parent.pointer(), super::pointer_token(k)),
            At::Index(parent, i) => format!("{}/{i}", parent.pointer()),
        }
    }
}

struct Walk<'a> {
    by_digest: HashMap<String, usize>,
    /// Each Disclosure's value is taken out when its digest is met (at most once: a second
    /// meeting is a duplicate digest).
    disclosures: &'a mut [Disclosure],
    used: Vec<bool>,
    seen: HashSet<String>,
}

impl Walk<'_> {
    /// Record a digest met in the payload; a digest met twice is refused (§7.1 step 4). Returns
    /// the Disclosure it references, now marked used, or `None` for a decoy or an undisclosed
    /// claim.
    fn digest_seen(&mut self, d: String) -> Result<Option<&mut Disclosure>, SdJwtError> {
        let idx = self.by_digest.get(&d).copied();
        if let Some(duplicate) = self.seen.replace(d) {
            return Err(SdJwtError::DuplicateDigest(duplicate));
        }
        let Some(idx) = idx else {
            return Ok(None);
        };
        // `by_digest` indexes `disclosures` and `used`, which have the same length.
        if let Some(u) = self.used.get_mut(idx) {
            *u = true;
        }
        Ok(self.disclosures.get_mut(idx))
    }

    fn value(&mut self, v: &mut Value, at: &At<'_>, depth: usize) -> Result<(), SdJwtError> {
        if depth > MAX_DEPTH {
            return Err(SdJwtError::TooDeep);
        }
        match v {
            Value::Object(m) => self.object(m, at, depth),
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, mut el) in std::mem::take(a).into_iter().enumerate() {
                    let here = At::Index(at, i);
                    let reference = match &mut el {
                        Value::Object(m) if m.len() == 1 && m.contains_key("...") => {
                            m.remove("...")
                        }
                        _ => None,
                    };
                    match reference {
                        Some(Value::String(d)) => {
                            // No Disclosure for the digest: a decoy or an undisclosed
                            // element, dropped.
                            if let Some(disc) = self.digest_seen(d)? {
                                if disc.name.is_some() {
                                    return Err(SdJwtError::WrongDisclosureKind(here.pointer()));
                                }
                                let mut value = std::mem::take(&mut disc.value);
                                self.value(&mut value, &here, depth + 1)?;
                                out.push(value);
                            }
                        }
                        Some(_) => return Err(SdJwtError::BadSdArray(here.pointer())),
                        None => {
                            self.value(&mut el, &here, depth + 1)?;
                            out.push(el);
                        }
                    }
                }
                *a = out;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn object(
        &mut self,
        m: &mut Map<String, Value>,
        at: &At<'_>,
        depth: usize,
    ) -> Result<(), SdJwtError> {
        for (k, v) in m.iter_mut() {
            if k != "_sd" {
                self.value(v, &At::Key(at, k), depth + 1)?;
            }
        }
        let Some(sd) = m.remove("_sd") else {
            return Ok(());
        };
        let Value::Array(digests) = sd else {
            return Err(SdJwtError::BadSdArray(at.pointer()));
        };
        for d in digests {
            let Value::String(d) = d else {
                return Err(SdJwtError::BadSdArray(at.pointer()));
            };
            let Some(disc) = self.digest_seen(d)? else {
                continue;
            };
            let Some(name) = disc.name.take() else {
                return Err(SdJwtError::WrongDisclosureKind(at.pointer()));
            };
            if name == "_sd" || name == "..." {
                return Err(SdJwtError::ForbiddenClaimName(name));
            }
            if m.contains_key(&name) {
                return Err(SdJwtError::ClaimOverwrite(name));
            }
            let mut value = std::mem::take(&mut disc.value);
            self.value(&mut value, &At::Key(at, &name), depth + 1)?;
            m.insert(name, value);
        }
        Ok(())
    }
}

/// Verify an SD-JWT presentation (`<JWT>~<Disclosure>~…~[<KB-JWT>]`) against the issuer's key,
/// at `now`.
pub fn verify_presentation(
    crypto: &dyn CryptoProvider,
    presentation: &str,
    issuer_key: &EcPublicKey,
    kb: Option<&KbRequirements<'_>>,
    now: OffsetDateTime,
) -> Result<VerifiedSdJwt, SdJwtError> {
    verify_parts(crypto, &split_compact(presentation)?, issuer_key, kb, now)
}

/// A presentation taken apart: what the checks of RFC 9901 §7 run on, whichever serialization
/// it arrived in.
#[derive(Debug, Clone)]
pub(crate) struct Parts<'a> {
    /// The issuer-signed JWT (compact JWS).
    pub jwt: &'a str,
    /// The Disclosures as received.
    pub disclosures: Vec<&'a str>,
    /// The KB-JWT, if any.
    pub kb_jwt: Option<&'a str>,
    /// The SD-JWT in compact form up to and including the `~` before the KB-JWT: what
    /// `sd_hash` covers (§4.3.1; for the JSON serialization, §8.1 says how it is assembled).
    pub sd_hash_input: &'a str,
}

fn split_compact(presentation: &str) -> Result<Parts<'_>, SdJwtError> {
    if presentation.len() > MAX_SD_JWT {
        return Err(SdJwtError::TooLarge(presentation.len()));
    }
    let parts: Vec<&str> = presentation.split('~').collect();
    if parts.len() < 2 {
        return Err(SdJwtError::Malformed(SdJwtMalformed::NoSeparator));
    }
    if parts.len() - 2 > MAX_DISCLOSURES {
        return Err(SdJwtError::TooLarge(presentation.len()));
    }
    let (kb_jwt, middle) = match parts.split_last() {
        Some((&"", rest)) => (None, rest),
        Some((last, rest)) => (Some(*last), rest),
        None => return Err(SdJwtError::Malformed(SdJwtMalformed::Empty)),
    };
    let (jwt, disclosures) = middle
        .split_first()
        .ok_or(SdJwtError::Malformed(SdJwtMalformed::Empty))?;
    let sd_hash_input = &presentation[..presentation.len() - kb_jwt.map_or(0, str::len)];
    Ok(Parts {
        jwt,
        disclosures: disclosures.to_vec(),
        kb_jwt,
        sd_hash_input,
    })
}

/// Verify a presentation taken apart into [`Parts`].
pub(crate) fn verify_parts(
    crypto: &dyn CryptoProvider,
    parts: &Parts<'_>,
    issuer_key: &EcPublicKey,
    kb: Option<&KbRequirements<'_>>,
    now: OffsetDateTime,
) -> Result<VerifiedSdJwt, SdJwtError> {
    let &Parts {
        jwt,
        disclosures: ref disclosure_texts,
        kb_jwt,
        sd_hash_input,
    } = parts;
    let jws = Jws::parse(jwt).map_err(|source| SdJwtError::Jws {
        part: JwtPart::IssuerJwt,
        source,
    })?;
    jws.verify(crypto, issuer_key)
        .map_err(|source| SdJwtError::Jws {
            part: JwtPart::IssuerJwt,
            source,
        })?;
    let alg = match jws.payload.get("_sd_alg") {
        None => HashAlg::Sha256,
        Some(Value::String(s)) => {
            sd_alg(s).ok_or_else(|| SdJwtError::UnsupportedSdAlg(s.clone()))?
        }
        Some(other) => return Err(SdJwtError::UnsupportedSdAlg(other.to_string())),
    };
    let mut disclosures = Vec::with_capacity(disclosure_texts.len());
    for (index, d) in disclosure_texts.iter().enumerate() {
        disclosures.push(Disclosure::parse(d).ok_or(SdJwtError::BadDisclosure { index })?);
    }
    let mut by_digest = HashMap::with_capacity(disclosures.len());
    for (i, d) in disclosures.iter().enumerate() {
        if by_digest.insert(d.digest(crypto, alg), i).is_some() {
            return Err(SdJwtError::DuplicateDigest(d.digest(crypto, alg)));
        }
    }
    let disclosure_count = disclosures.len();
    let mut walk = Walk {
        by_digest,
        disclosures: &mut disclosures,
        used: vec![false; disclosure_count],
        seen: HashSet::new(),
    };
    let Jws {
        header,
        payload: mut claims,
        ..
    } = jws;
    walk.object(&mut claims, &At::Root, 0)?;
    if let Some(index) = walk.used.iter().position(|u| !u) {
        return Err(SdJwtError::UnreferencedDisclosure { index });
    }
    claims.remove("_sd_alg");

    let ts = |k: &str| claims.get(k).and_then(Value::as_i64);
    if ts("exp").is_some_and(|exp| now.unix_timestamp() >= exp) {
        return Err(SdJwtError::Expired);
    }
    if ts("nbf").is_some_and(|nbf| now.unix_timestamp() < nbf) {
        return Err(SdJwtError::NotYetValid);
    }
    let holder_key = match claims.get("cnf").and_then(|c| c.get("jwk")) {
        Some(jwk) => Some(super::jwk_to_key(jwk).map_err(|source| SdJwtError::Jws {
            part: JwtPart::CnfJwk,
            source,
        })?),
        None => None,
    };

    let mut key_bound = false;
    match (kb_jwt, kb) {
        (None, Some(req)) if req.required => return Err(SdJwtError::MissingKeyBinding),
        (Some(kb_text), Some(req)) => {
            let kbj = Jws::parse(kb_text).map_err(|source| SdJwtError::Jws {
                part: JwtPart::KbJwt,
                source,
            })?;
            if kbj.typ() != Some("kb+jwt") {
                return Err(SdJwtError::KbTyp);
            }
            let key = holder_key.as_ref().ok_or(SdJwtError::NoHolderKey)?;
            kbj.verify(crypto, key).map_err(|source| SdJwtError::Jws {
                part: JwtPart::KbJwt,
                source,
            })?;
            let iat = kbj
                .payload
                .get("iat")
                .and_then(Value::as_i64)
                .ok_or(SdJwtError::KbIat)?;
            let t = now.unix_timestamp();
            if iat < t - req.max_age.whole_seconds() || iat > t + req.max_skew.whole_seconds() {
                return Err(SdJwtError::KbIat);
            }
            if kbj.payload.get("aud").and_then(Value::as_str) != Some(req.aud) {
                return Err(SdJwtError::KbAudience);
            }
            if kbj.payload.get("nonce").and_then(Value::as_str) != Some(req.nonce) {
                return Err(SdJwtError::KbNonce);
            }
            let expected = b64(&crypto.hash(alg, sd_hash_input.as_bytes()));
            if kbj.payload.get("sd_hash").and_then(Value::as_str) != Some(expected.as_str()) {
                return Err(SdJwtError::KbSdHash);
            }
            key_bound = true;
        }
        _ => {}
    }
    Ok(VerifiedSdJwt {
        header,
        claims,
        holder_key,
        key_bound,
        disclosures: disclosure_count,
    })
}
