//! SD-JWT issuance (RFC 9901 §4) and presentation (§4.3, §4.3.1 Key Binding JWT).

use super::{b64, Disclosure, EncodedHeader, Jws, JwsError};
use crate::crypto::{CryptoProvider, EcPrivateKey, HashAlg, RandomPool};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Salt bytes per Disclosure (RFC 9901 recommends 128 bits or more).
pub const SALT_BYTES: usize = 16;

/// What to make selectively disclosable: JSON pointers (RFC 6901, so `~` and `/` in a name are
/// written `~0` and `~1`) such as `/given_name`, `/address/street_address` or
/// `/nationalities/1`. Nested pointers give recursive Disclosures.
pub struct SdSpec<'a> {
    /// The JSON Pointers of the claims and array elements to make selectively disclosable.
    pub pointers: &'a [&'a str],
    /// Decoy digests added to every `_sd` array.
    pub decoys_per_object: usize,
    /// Decoy `{"...": digest}` elements added, at random places, to every array that has a
    /// selectively disclosable element (RFC 9901 §4.2.5): the verifier drops them, and the
    /// array's length no longer tells how many elements it really has.
    pub decoys_per_array: usize,
    /// The digest algorithm (`_sd_alg`, RFC 9901 §4.1.1).
    pub sd_alg: HashAlg,
}

struct Builder<'a, 'p> {
    crypto: &'a dyn CryptoProvider,
    /// Salts and decoys: every byte handed out once (crate::crypto::pool).
    pool: &'a mut RandomPool<'p>,
    sd: HashSet<&'a str>,
    decoys: usize,
    array_decoys: usize,
    alg: HashAlg,
    /// The encoded Disclosures, in the order they are made.
    disclosures: Vec<String>,
}

impl Builder<'_, '_> {
    fn salt(&mut self) -> Result<String, JwsError> {
        Ok(b64(&self.pool.array::<SALT_BYTES>()?))
    }

    fn decoy(&mut self) -> Result<String, JwsError> {
        let s = self.pool.array::<32>()?;
        Ok(b64(&self.crypto.hash(self.alg, &s)))
    }

    /// A new Disclosure of `value` (under `name` for an object property): its digest, and
    /// the encoding kept for the output.
    fn disclose(&mut self, name: Option<&str>, value: &Value) -> Result<String, JwsError> {
        let encoded = encode_disclosure(&self.salt()?, name, value)?;
        let digest = b64(&self.crypto.hash(self.alg, encoded.as_bytes()));
        self.disclosures.push(encoded);
        Ok(digest)
    }

    fn apply(&mut self, v: &mut Value, path: &mut String) -> Result<(), JwsError> {
        let base = path.len();
        match v {
            Value::Object(m) => {
                let keys: Vec<String> = m.keys().cloned().collect();
                let mut digests = Vec::new();
                for k in keys {
                    path.truncate(base);
                    path.push('/');
                    push_pointer_token(path, &k);
                    if let Some(child) = m.get_mut(&k) {
                        self.apply(child, path)?;
                    }
                    if self.sd.contains(path.as_str()) {
                        if let Some(value) = m.remove(&k) {
                            digests.push(self.disclose(Some(&k), &value)?);
                        }
                    }
                }
                path.truncate(base);
                if !digests.is_empty() {
                    for _ in 0..self.decoys {
                        digests.push(self.decoy()?);
                    }
                    // Sorted, so the order says nothing about the claims' order.
                    digests.sort();
                    m.insert("_sd".into(), Value::from(digests));
                }
                Ok(())
            }
            Value::Array(a) => {
                let mut any_sd = false;
                for (i, el) in a.iter_mut().enumerate() {
                    path.truncate(base);
                    path.push('/');
                    path.push_str(&i.to_string());
                    self.apply(el, path)?;
                    if self.sd.contains(path.as_str()) {
                        let digest = self.disclose(None, &el.take())?;
                        *el = serde_json::json!({ "...": digest });
                        any_sd = true;
                    }
                }
                path.truncate(base);
                if any_sd {
                    for _ in 0..self.array_decoys {
                        let r = self.pool.array::<8>()?;
                        // The position is below a.len() + 1, which is a usize, so it fits.
                        let slots = a.len() as u64 + 1;
                        let at = usize::try_from(u64::from_le_bytes(r) % slots).unwrap_or(a.len());
                        a.insert(at, serde_json::json!({ "...": self.decoy()? }));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// `base64url(JSON [salt, name, value])`, or `[salt, value]` for an array element (RFC 9901
/// §4.2.1, §4.2.2), written straight from the parts.
fn encode_disclosure(salt: &str, name: Option<&str>, value: &Value) -> Result<String, JwsError> {
    let json = match name {
        Some(n) => serde_json::to_vec(&(salt, n, value)),
        None => serde_json::to_vec(&(salt, value)),
    }
    .map_err(|_| JwsError::NotJsonObject)?;
    Ok(b64(&json))
}

/// Random bytes one SD-JWT issued under `spec` draws, about: a salt per pointer, the decoys
/// of each object or array that has one (`objects` of them). A pool this size serves one
/// credential in one provider call; a shortfall only costs another call.
pub fn random_bytes_per_sd_jwt(spec: &SdSpec<'_>, objects: usize) -> usize {
    let decoys = spec.decoys_per_object.max(spec.decoys_per_array);
    spec.pointers
        .len()
        .saturating_mul(SALT_BYTES)
        .saturating_add(objects.saturating_mul(decoys).saturating_mul(32 + 8))
}

/// Issue an SD-JWT: `claims` with `spec.pointers` made selectively disclosable, signed with
/// `key` under `header` (e.g. `typ` dc+sd-jwt, `x5c`). Returns `<JWT>~<Disclosure>~…~`.
pub fn issue(
    crypto: &dyn CryptoProvider,
    key: &EcPrivateKey,
    header: Map<String, Value>,
    claims: &Map<String, Value>,
    spec: &SdSpec<'_>,
) -> Result<String, JwsError> {
    let header = EncodedHeader::new(key, header)?;
    let mut pool = RandomPool::new(crypto);
    issue_with(crypto, &mut pool, key, &header, claims.clone(), spec)
}

/// [`issue`] for one credential of a batch: the header encoded once for the batch, the salts
/// and decoys drawn from `pool` (shared by the batch; each byte is handed out once, so the
/// credentials' salts stay independent), `claims` taken by value.
pub fn issue_with(
    crypto: &dyn CryptoProvider,
    pool: &mut RandomPool<'_>,
    key: &EcPrivateKey,
    header: &EncodedHeader,
    claims: Map<String, Value>,
    spec: &SdSpec<'_>,
) -> Result<String, JwsError> {
    let mut b = Builder {
        crypto,
        pool,
        sd: spec.pointers.iter().copied().collect(),
        decoys: spec.decoys_per_object,
        array_decoys: spec.decoys_per_array,
        alg: spec.sd_alg,
        disclosures: Vec::with_capacity(spec.pointers.len()),
    };
    let mut payload = Value::Object(claims);
    b.apply(&mut payload, &mut String::new())?;
    let Value::Object(mut payload) = payload else {
        return Err(JwsError::NotJsonObject);
    };
    payload.insert("_sd_alg".into(), Value::from(alg_name(spec.sd_alg)));
    let mut out = header.sign(crypto, key, &payload)?;
    out.reserve(
        b.disclosures
            .iter()
            .map(|d| d.len().saturating_add(1))
            .sum::<usize>()
            .saturating_add(1),
    );
    for d in &b.disclosures {
        out.push('~');
        out.push_str(d);
    }
    out.push('~');
    Ok(out)
}

/// Append `name` as a JSON Pointer reference token (RFC 6901 §3) to `path`.
fn push_pointer_token(path: &mut String, name: &str) {
    for c in name.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// A property name as a JSON Pointer reference token (RFC 6901 §3).
pub fn pointer_token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn alg_name(alg: HashAlg) -> &'static str {
    match alg {
        HashAlg::Sha256 => "sha-256",
        HashAlg::Sha384 => "sha-384",
        HashAlg::Sha512 => "sha-512",
    }
}

/// Keep only the Disclosures `keep` selects (holder side); returns `<JWT>~<kept>~…~`.
pub fn select(sd_jwt: &str, keep: impl Fn(&Disclosure) -> bool) -> Option<String> {
    let mut parts = sd_jwt.split('~');
    let jwt = parts.next()?;
    let mut out = jwt.to_string();
    for p in parts.filter(|p| !p.is_empty()) {
        let d = Disclosure::parse(p)?;
        if keep(&d) {
            out.push('~');
            out.push_str(p);
        }
    }
    out.push('~');
    Some(out)
}

/// Append a Key Binding JWT (`typ` kb+jwt; `iat`, `aud`, `nonce`, `sd_hash`) signed with the
/// holder's key to a presentation that ends with `~`. `sd_hash` uses the SD-JWT's own
/// `_sd_alg` (RFC 9901 §4.3.1), read from the issuer-signed JWT, so it cannot disagree with
/// what the verifier computes.
pub fn add_key_binding(
    crypto: &dyn CryptoProvider,
    presentation: &str,
    holder_key: &EcPrivateKey,
    aud: &str,
    nonce: &str,
    iat: i64,
) -> Result<String, JwsError> {
    let jwt = presentation.split('~').next().unwrap_or_default();
    let sd_alg = payload_sd_alg(&Jws::parse(jwt)?)?;
    let mut header = Map::new();
    header.insert("typ".into(), Value::from("kb+jwt"));
    let mut payload = Map::new();
    payload.insert("iat".into(), Value::from(iat));
    payload.insert("aud".into(), Value::from(aud));
    payload.insert("nonce".into(), Value::from(nonce));
    payload.insert(
        "sd_hash".into(),
        Value::from(b64(&crypto.hash(sd_alg, presentation.as_bytes()))),
    );
    Ok(format!(
        "{presentation}{}",
        Jws::sign(crypto, holder_key, header, &payload)?
    ))
}

/// The `_sd_alg` of an issuer-signed JWT (SHA-256 when absent, §4.1.1).
fn payload_sd_alg(jws: &Jws) -> Result<HashAlg, JwsError> {
    match jws.payload.get("_sd_alg").and_then(Value::as_str) {
        None => Ok(HashAlg::Sha256),
        Some(s) => super::sd_alg(s).ok_or_else(|| JwsError::UnsupportedAlg(s.to_string())),
    }
}

/// An issued SD-JWT taken apart on the holder's side, for choosing what to present.
struct Held<'a> {
    jwt: &'a str,
    payload: Map<String, Value>,
    disclosures: Vec<Disclosure>,
    by_digest: std::collections::HashMap<String, usize>,
}

impl<'a> Held<'a> {
    fn parse(crypto: &dyn CryptoProvider, sd_jwt: &'a str) -> Result<Self, JwsError> {
        let mut parts = sd_jwt.split('~');
        let jwt = parts.next().ok_or(JwsError::Malformed)?;
        let jws = Jws::parse(jwt)?;
        let alg = payload_sd_alg(&jws)?;
        let disclosures: Vec<Disclosure> = parts
            .filter(|p| !p.is_empty())
            .map(|p| Disclosure::parse(p).ok_or(JwsError::Malformed))
            .collect::<Result<_, _>>()?;
        let by_digest = disclosures
            .iter()
            .enumerate()
            .map(|(i, d)| (d.digest(crypto, alg), i))
            .collect();
        Ok(Held {
            jwt,
            payload: jws.payload,
            disclosures,
            by_digest,
        })
    }

    /// `<JWT>~<kept>~…~`, in the issued order.
    fn presentation(&self, keep: &[bool]) -> String {
        let mut out = self.jwt.to_string();
        for (d, k) in self.disclosures.iter().zip(keep) {
            if *k {
                out.push('~');
                out.push_str(&d.encoded);
            }
        }
        out.push('~');
        out
    }
}

/// Keep the Disclosures needed to reveal each dotted path (e.g. `age_equal_or_over.20`):
/// the Disclosure of every selectively disclosable step on the way. Returns the presentation
/// (`<JWT>~<kept>~…~`) and the paths that could not be found.
pub fn select_paths(
    crypto: &dyn CryptoProvider,
    sd_jwt: &str,
    paths: &[&str],
) -> Result<(String, Vec<String>), JwsError> {
    let held = Held::parse(crypto, sd_jwt)?;
    let (disclosures, by_digest) = (&held.disclosures, &held.by_digest);
    let mut keep = vec![false; disclosures.len()];
    let mut missing = Vec::new();
    for path in paths {
        let mut node = Value::Object(held.payload.clone());
        let mut found = true;
        for step in path.split('.') {
            let Value::Object(m) = &node else {
                found = false;
                break;
            };
            if let Some(v) = m.get(step) {
                node = v.clone();
                continue;
            }
            let hit = m
                .get("_sd")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter_map(|d| by_digest.get(d).copied())
                .find_map(|i| {
                    disclosures
                        .get(i)
                        .filter(|d| d.name.as_deref() == Some(step))
                        .map(|d| (i, d))
                });
            match hit {
                Some((i, d)) => {
                    if let Some(k) = keep.get_mut(i) {
                        *k = true;
                    }
                    node = d.value.clone();
                }
                None => {
                    found = false;
                    break;
                }
            }
        }
        if !found {
            missing.push(path.to_string());
        }
    }
    Ok((held.presentation(&keep), missing))
}

/// Keep the Disclosures a disclosure frame asks for (holder side): the frame mirrors the
/// claims, and at each selectively disclosable place `true`, an object or an array discloses
/// it (the object or array then says what to disclose inside it), while `false`, `null` or an
/// absent entry withholds it. For arrays, the frame is an array with one entry per element as
/// issued (decoys do not count).
/// This is the frame of the sd-jwt-python test cases (`holder_disclosed_claims`). Returns
/// `<JWT>~<kept>~…~`.
pub fn select_frame(
    crypto: &dyn CryptoProvider,
    sd_jwt: &str,
    frame: &Value,
) -> Result<String, JwsError> {
    let held = Held::parse(crypto, sd_jwt)?;
    let mut frames = Frames {
        by_digest: &held.by_digest,
        disclosures: &held.disclosures,
        keep: vec![false; held.disclosures.len()],
    };
    frames.walk(&Value::Object(held.payload.clone()), frame, 0);
    Ok(held.presentation(&frames.keep))
}

struct Frames<'a> {
    by_digest: &'a std::collections::HashMap<String, usize>,
    disclosures: &'a [Disclosure],
    keep: Vec<bool>,
}

/// Whether a frame entry asks for the selectively disclosable value it stands beside.
fn frame_selects(entry: Option<&Value>) -> bool {
    matches!(
        entry,
        Some(Value::Bool(true) | Value::Object(_) | Value::Array(_))
    )
}

impl Frames<'_> {
    /// Keep Disclosure `i`.
    fn mark(&mut self, i: usize) {
        if let Some(k) = self.keep.get_mut(i) {
            *k = true;
        }
    }

    /// Mark the Disclosures `frame` selects within `claims`.
    fn walk(&mut self, claims: &Value, frame: &Value, depth: usize) {
        if depth > super::MAX_DEPTH {
            return;
        }
        // Indices come from `by_digest`, built over `disclosures`; `get` keeps that unchecked
        // assumption from ever panicking.
        let disclosures = self.disclosures;
        match claims {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "_sd" {
                        for digest in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                            let Some(&i) = self.by_digest.get(digest) else {
                                continue;
                            };
                            let Some(disc) = disclosures.get(i) else {
                                continue;
                            };
                            let Some(name) = disc.name.as_deref() else {
                                continue;
                            };
                            let entry = frame.get(name);
                            if frame_selects(entry) {
                                self.mark(i);
                                self.walk(&disc.value, entry.unwrap_or(&Value::Null), depth + 1);
                            }
                        }
                    } else {
                        self.walk(v, frame.get(k).unwrap_or(&Value::Null), depth + 1);
                    }
                }
            }
            Value::Array(a) => {
                // Frame positions count the array's real elements: a decoy (a digest with no
                // Disclosure) takes no position, so the frame matches the claims as issued.
                let mut position = 0;
                for el in a {
                    let reference = el
                        .as_object()
                        .filter(|m| m.len() == 1)
                        .and_then(|m| m.get("..."))
                        .and_then(Value::as_str);
                    let disclosure = reference.and_then(|d| self.by_digest.get(d).copied());
                    if reference.is_some() && disclosure.is_none() {
                        continue;
                    }
                    let entry = frame.get(position);
                    position += 1;
                    match disclosure.and_then(|di| Some((di, disclosures.get(di)?))) {
                        Some((di, disc)) if disc.name.is_none() => {
                            if frame_selects(entry) {
                                self.mark(di);
                                self.walk(&disc.value, entry.unwrap_or(&Value::Null), depth + 1);
                            }
                        }
                        _ => self.walk(el, entry.unwrap_or(&Value::Null), depth + 1),
                    }
                }
            }
            _ => {}
        }
    }
}
