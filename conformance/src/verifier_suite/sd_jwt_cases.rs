//! The SD-JWT VC cases: presentations (`<JWT>~<Disclosures>~<KB-JWT>`, RFC 9901; the JP PID
//! SD-JWT VC profile of draft-ietf-oauth-sd-jwt-vc) issued by the suite's JWS signer under the
//! suite IACA (`x5c`), valid or broken in exactly one way.
//!
//! Every valid case discloses `age_equal_or_over.20` = true (the till's age policy, docs/verdict.md).

use super::{CaseInput, SuiteError, SuitePki, VerifierCase};
use crate::case::Expected;
use base64::Engine;
use kakunin_core::crypto::{default_provider, CryptoProvider, Curve, EcPrivateKey, HashAlg};
use kakunin_core::sdjwt::{
    add_key_binding, issue, key_to_jwk, select_paths, Disclosure, JsonSdJwt, Jws, SdSpec,
    JP_PID_VCT,
};
use kakunin_issuer::pki::{issue_leaf, issue_root, EKU_JWS_SIGNER};
use kakunin_issuer::KeyAndCert;
use serde_json::{json, Map, Value};
use time::{Duration, OffsetDateTime};

const GROUP: &str = "sd-jwt";
/// The KB-JWT audience every case expects.
pub const AUD: &str = "https://verifier.conformance.kakunin.invalid";
/// The claims every valid case discloses.
const AGE: &str = "age_equal_or_over.20";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn reject(reason: &str) -> Expected {
    Expected::Reject {
        reason: reason.to_string(),
    }
}

/// How one credential is issued.
struct Issue<'a> {
    signer: &'a KeyAndCert,
    chain: Vec<Vec<u8>>,
    typ: Option<&'a str>,
    sd_alg: HashAlg,
    decoys: usize,
    /// Extra claims made selectively disclosable (JSON Pointers), e.g. `/iss`.
    extra_pointers: Vec<&'a str>,
    /// Applied to the claims before signing.
    edit: fn(&mut Map<String, Value>),
    holder_curve: Curve,
}

struct Issued {
    sd_jwt: String,
    holder_key: EcPrivateKey,
}

struct Gen<'a> {
    crypto: &'static dyn CryptoProvider,
    pki: &'a SuitePki,
    at: OffsetDateTime,
    cases: Vec<VerifierCase>,
}

fn no_edit(_: &mut Map<String, Value>) {}

impl<'a> Gen<'a> {
    fn err(case: &str) -> impl Fn(String) -> SuiteError + '_ {
        move |detail| SuiteError::Issue {
            case: case.to_string(),
            detail,
        }
    }

    fn default_issue(&self) -> Issue<'a> {
        Issue {
            signer: &self.pki.jws_signer,
            chain: vec![self.pki.jws_signer.cert_der.clone()],
            typ: Some("dc+sd-jwt"),
            sd_alg: HashAlg::Sha256,
            decoys: 2,
            extra_pointers: Vec::new(),
            edit: no_edit,
            holder_curve: Curve::P256,
        }
    }

    fn issue(&self, spec: &Issue<'_>) -> Result<Issued, SuiteError> {
        let e = Self::err("sd-jwt issue");
        let holder_key = self
            .crypto
            .generate_key(spec.holder_curve)
            .map_err(|x| e(x.to_string()))?;
        let holder_pub = self
            .crypto
            .public_key(&holder_key)
            .map_err(|x| e(x.to_string()))?;
        let t0 = (self.at - Duration::days(1)).unix_timestamp();
        let t1 = (self.at + Duration::days(30)).unix_timestamp();
        let mut claims = match json!({
            "iss": "https://issuer.conformance.kakunin.invalid",
            "vct": JP_PID_VCT,
            "iat": t0, "nbf": t0, "exp": t1,
            "cnf": {"jwk": key_to_jwk(&holder_pub)},
            "name": "山田 花子", "family_name": "山田", "given_name": "花子",
            "birth_date": "2000-05-05", "sex": 2,
            "resident_address": "東京都千代田区霞が関1-1",
            "issuing_country": "JP",
            "age_equal_or_over": {"18": true, "20": true, "21": true, "65": false},
        }) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        (spec.edit)(&mut claims);
        let mut pointers: Vec<&str> = vec![
            "/name",
            "/family_name",
            "/given_name",
            "/birth_date",
            "/sex",
            "/resident_address",
            "/issuing_country",
            "/age_equal_or_over/18",
            "/age_equal_or_over/20",
            "/age_equal_or_over/21",
            "/age_equal_or_over/65",
            "/age_equal_or_over",
        ];
        pointers.extend(spec.extra_pointers.iter().copied());
        let mut header = Map::new();
        if let Some(t) = spec.typ {
            header.insert("typ".into(), json!(t));
        }
        header.insert(
            "x5c".into(),
            Value::Array(
                spec.chain
                    .iter()
                    .map(|c| Value::from(base64::engine::general_purpose::STANDARD.encode(c)))
                    .collect(),
            ),
        );
        let sd_jwt = issue(
            self.crypto,
            &spec.signer.key,
            header,
            &claims,
            &SdSpec {
                pointers: &pointers,
                decoys_per_object: spec.decoys,
                decoys_per_array: spec.decoys,
                sd_alg: spec.sd_alg,
            },
        )
        .map_err(|x| e(x.to_string()))?;
        Ok(Issued { sd_jwt, holder_key })
    }

    /// `<JWT>~<the Disclosures for paths>~` (no KB-JWT).
    fn select(&self, issued: &Issued, paths: &[&str]) -> Result<String, SuiteError> {
        let (p, missing) = select_paths(self.crypto, &issued.sd_jwt, paths)
            .map_err(|x| Self::err("select")(x.to_string()))?;
        if !missing.is_empty() {
            return Err(Self::err("select")(format!("paths not found: {missing:?}")));
        }
        Ok(p)
    }

    /// A KB-JWT over `selected` with the holder key.
    fn bind(
        &self,
        selected: &str,
        key: &EcPrivateKey,
        aud: &str,
        nonce: &str,
        iat: i64,
    ) -> Result<String, SuiteError> {
        add_key_binding(self.crypto, selected, key, aud, nonce, iat)
            .map_err(|x| Self::err("key binding")(x.to_string()))
    }

    fn nonce(&self) -> String {
        format!("conformance-nonce-{}", self.cases.len() + 1)
    }

    fn push(
        &mut self,
        id: &str,
        description: &str,
        expected: Expected,
        presentation: String,
        nonce: String,
    ) {
        self.cases.push(VerifierCase {
            id: format!("sd-jwt/{id}"),
            group: GROUP,
            description: description.to_string(),
            required: true,
            expected,
            input: CaseInput::SdJwt {
                presentation,
                aud: AUD.to_string(),
                nonce,
            },
            trust_der: self.pki.iaca.cert_der.clone(),
            at: self.at,
            suite_trust: true,
        });
    }

    /// Issue with `spec`, disclose `paths`, bind with aud/nonce at `iat`.
    fn standard(
        &mut self,
        id: &str,
        description: &str,
        expected: Expected,
        spec: &Issue<'_>,
        paths: &[&str],
    ) -> Result<(), SuiteError> {
        let issued = self.issue(spec)?;
        let sel = self.select(&issued, paths)?;
        let nonce = self.nonce();
        let p = self.bind(
            &sel,
            &issued.holder_key,
            AUD,
            &nonce,
            self.at.unix_timestamp(),
        )?;
        self.push(id, description, expected, p, nonce);
        Ok(())
    }
}

/// A JWT `header.payload.` with `alg` none (no signature).
fn unsigned_jwt(header: &Map<String, Value>, payload: &Map<String, Value>) -> String {
    let mut h = header.clone();
    h.insert("alg".into(), json!("none"));
    format!(
        "{}.{}.",
        b64(Value::Object(h).to_string().as_bytes()),
        b64(Value::Object(payload.clone()).to_string().as_bytes())
    )
}

/// Build every SD-JWT VC case.
pub fn build(pki: &SuitePki, at: OffsetDateTime) -> Result<Vec<VerifierCase>, SuiteError> {
    let mut g = Gen {
        crypto: default_provider(),
        pki,
        at,
        cases: Vec::new(),
    };
    valid(&mut g)?;
    faults(&mut g)?;
    Ok(g.cases)
}

fn valid(g: &mut Gen<'_>) -> Result<(), SuiteError> {
    let ok = Expected::Accept;
    let d = g.default_issue();
    g.standard("valid/age20", "valid JP PID SD-JWT VC, only age_equal_or_over.20 disclosed, ES256, KB-JWT: accept (RFC 9901 §7.1, §7.3)", ok.clone(), &d, &[AGE])?;
    g.standard(
        "valid/age20-names",
        "valid, age 20 and family_name, given_name disclosed: accept (RFC 9901 §7.1)",
        ok.clone(),
        &d,
        &[AGE, "family_name", "given_name"],
    )?;
    g.standard(
        "valid/age20-address",
        "valid, age 20, birth_date, resident_address, sex: accept (RFC 9901 §7.1)",
        ok.clone(),
        &d,
        &[AGE, "birth_date", "resident_address", "sex"],
    )?;
    g.standard(
        "valid/every-claim",
        "valid, every selectively disclosable claim disclosed: accept (RFC 9901 §7.1)",
        ok.clone(),
        &d,
        &[
            AGE,
            "age_equal_or_over.18",
            "age_equal_or_over.21",
            "age_equal_or_over.65",
            "name",
            "family_name",
            "given_name",
            "birth_date",
            "sex",
            "resident_address",
            "issuing_country",
        ],
    )?;
    let sha384 = Issue {
        sd_alg: HashAlg::Sha384,
        ..g.default_issue()
    };
    g.standard(
        "valid/sd-alg-sha-384",
        "valid, _sd_alg sha-384: accept (RFC 9901 §4.1.1)",
        ok.clone(),
        &sha384,
        &[AGE],
    )?;
    let no_decoys = Issue {
        decoys: 0,
        ..g.default_issue()
    };
    g.standard(
        "valid/no-decoys",
        "valid, no decoy digests: accept (RFC 9901 §4.2.5)",
        ok.clone(),
        &no_decoys,
        &[AGE],
    )?;
    let many = Issue {
        decoys: 12,
        ..g.default_issue()
    };
    g.standard(
        "valid/many-decoys",
        "valid, 12 decoy digests per _sd and array: accept (RFC 9901 §4.2.5)",
        ok.clone(),
        &many,
        &[AGE],
    )?;
    for (curve, alg) in [(Curve::P384, "ES384"), (Curve::P521, "ES512")] {
        let s = Issue {
            holder_curve: curve,
            ..g.default_issue()
        };
        g.standard(
            &format!("valid/kb-{}", alg.to_ascii_lowercase()),
            &format!("valid, holder key (cnf.jwk) on {curve:?}, KB-JWT signed {alg}: accept (RFC 9901 §4.3, RFC 7518 §3.4)"),
            ok.clone(),
            &s,
            &[AGE],
        )?;
    }
    let p384 = super::curves::p384_leaf(
        g.crypto,
        &g.pki.iaca,
        "Kakunin conformance SD-JWT VC issuer P-384",
        kakunin_issuer::pki::EKU_JWS_SIGNER,
        g.at - Duration::days(30),
        365,
    )?;
    let es384 = Issue {
        signer: &p384,
        chain: vec![p384.cert_der.clone()],
        ..g.default_issue()
    };
    g.standard(
        "valid/issuer-es384",
        "valid, issuer certificate on P-384 under the P-256 IACA, issuer JWT signed ES384: accept (RFC 7518 §3.4, draft-ietf-oauth-sd-jwt-vc §3.5)",
        ok.clone(),
        &es384,
        &[AGE],
    )?;
    let no_exp = Issue {
        edit: |c| {
            c.remove("exp");
        },
        ..g.default_issue()
    };
    g.standard(
        "valid/no-exp",
        "valid, no exp claim (optional in SD-JWT VC): accept (draft-ietf-oauth-sd-jwt-vc §3.2.2.2)",
        ok.clone(),
        &no_exp,
        &[AGE],
    )?;
    // KB-JWT iat inside the window (5 minutes old, 1 minute ahead: docs/till-api.md).
    for (id, desc, offset) in [
        ("valid/kb-iat-4-minutes-old", "valid, KB-JWT iat 4 minutes before the verification time: accept (RFC 9901 §7.3 step 5)", Duration::minutes(-4)),
        ("valid/kb-iat-30-seconds-ahead", "valid, KB-JWT iat 30 seconds after the verification time (clock skew): accept (RFC 9901 §7.3)", Duration::seconds(30)),
    ] {
        let issued = g.issue(&g.default_issue())?;
        let sel = g.select(&issued, &[AGE])?;
        let nonce = g.nonce();
        let p = g.bind(&sel, &issued.holder_key, AUD, &nonce, (g.at + offset).unix_timestamp())?;
        g.push(id, desc, ok.clone(), p, nonce);
    }
    // A nonce with characters a shell must not interpret (the runner quotes every value).
    let issued = g.issue(&g.default_issue())?;
    let sel = g.select(&issued, &[AGE])?;
    let nonce = "n 'q' \"d\" $HOME; `x` \\".to_string();
    let p = g.bind(&sel, &issued.holder_key, AUD, &nonce, g.at.unix_timestamp())?;
    g.push("valid/nonce-with-shell-characters", "valid, the nonce holds spaces, quotes, $ and backquotes: accept (RFC 9901 §7.3; the runner passes values verbatim)", ok.clone(), p, nonce);
    // JWS JSON Serialization (RFC 9901 §8), flattened.
    let issued = g.issue(&g.default_issue())?;
    let sel = g.select(&issued, &[AGE])?;
    let mut j = JsonSdJwt::from_compact(&sel).map_err(|x| Gen::err("json")(x.to_string()))?;
    let nonce = g.nonce();
    j.add_key_binding(
        g.crypto,
        &issued.holder_key,
        AUD,
        &nonce,
        g.at.unix_timestamp(),
    )
    .map_err(|x| Gen::err("json")(x.to_string()))?;
    g.push("valid/json-serialization", "valid, JWS JSON Serialization (flattened) with disclosures and kb_jwt in the header: accept (RFC 9901 §8)", ok, j.to_json(), nonce);
    Ok(())
}

fn faults(g: &mut Gen<'_>) -> Result<(), SuiteError> {
    let at = g.at;
    let now = at.unix_timestamp();
    let d = g.default_issue();

    // Key binding faults (RFC 9901 §7.3).
    let issued = g.issue(&d)?;
    let sel = g.select(&issued, &[AGE])?;
    for (id, desc, aud, nonce_ok) in [
        (
            "fault/wrong-aud",
            "KB-JWT aud is another verifier's: reject (RFC 9901 §7.3 step 5)",
            "https://other-verifier.invalid",
            true,
        ),
        (
            "fault/wrong-nonce",
            "KB-JWT nonce is not the one the verifier expects: reject (RFC 9901 §7.3 step 5)",
            AUD,
            false,
        ),
    ] {
        let nonce = g.nonce();
        let signed_nonce = if nonce_ok {
            nonce.clone()
        } else {
            format!("{nonce}-other")
        };
        let p = g.bind(&sel, &issued.holder_key, aud, &signed_nonce, now)?;
        g.push(id, desc, reject("device_auth_failed"), p, nonce);
    }
    let nonce = g.nonce();
    g.push("fault/missing-kb-jwt", "no KB-JWT (presentation ends with ~) though key binding is required: reject (RFC 9901 §7.3 step 1)", reject("device_auth_failed"), sel.clone(), nonce);
    // sd_hash over another disclosure set.
    let other_sel = g.select(&issued, &[AGE, "family_name"])?;
    let nonce = g.nonce();
    let bound_other = g.bind(&other_sel, &issued.holder_key, AUD, &nonce, now)?;
    let kb = bound_other.rsplit('~').next().unwrap_or_default();
    g.push("fault/sd-hash-mismatch", "KB-JWT sd_hash covers another disclosure set than the one presented: reject (RFC 9901 §7.3 step 5, §4.3.1)", reject("tampered"), format!("{sel}{kb}"), nonce);
    // KB signed by another key.
    let stranger = g
        .crypto
        .generate_key(Curve::P256)
        .map_err(|x| Gen::err("key")(x.to_string()))?;
    let nonce = g.nonce();
    let p = g.bind(&sel, &stranger, AUD, &nonce, now)?;
    g.push(
        "fault/kb-signed-by-other-key",
        "KB-JWT signed by a key other than cnf.jwk: reject (RFC 9901 §7.3 step 4)",
        reject("device_auth_failed"),
        p,
        nonce,
    );
    for (id, desc, offset) in [
        (
            "fault/kb-iat-stale",
            "KB-JWT iat 10 minutes old (window 5 minutes): reject (RFC 9901 §7.3 step 5)",
            Duration::minutes(-10),
        ),
        (
            "fault/kb-iat-future",
            "KB-JWT iat 5 minutes in the future: reject (RFC 9901 §7.3 step 5)",
            Duration::minutes(5),
        ),
    ] {
        let nonce = g.nonce();
        let p = g.bind(
            &sel,
            &issued.holder_key,
            AUD,
            &nonce,
            (at + offset).unix_timestamp(),
        )?;
        g.push(id, desc, reject("device_auth_failed"), p, nonce);
    }
    // KB-JWT with alg none, with typ JWT, without sd_hash.
    let sd_hash = b64(&g.crypto.hash(HashAlg::Sha256, sel.as_bytes()));
    let kb_payload = |nonce: &str, with_hash: bool| {
        let mut p = Map::new();
        p.insert("iat".into(), json!(now));
        p.insert("aud".into(), json!(AUD));
        p.insert("nonce".into(), json!(nonce));
        if with_hash {
            p.insert("sd_hash".into(), json!(sd_hash));
        }
        p
    };
    let kb_header = |typ: &str| {
        let mut h = Map::new();
        h.insert("typ".into(), json!(typ));
        h
    };
    let nonce = g.nonce();
    g.push(
        "fault/kb-alg-none",
        "KB-JWT with alg none and no signature: reject (RFC 9901 §7.3 step 3, RFC 8725 §3.1)",
        reject("device_auth_failed"),
        format!(
            "{sel}{}",
            unsigned_jwt(&kb_header("kb+jwt"), &kb_payload(&nonce, true))
        ),
        nonce,
    );
    let nonce = g.nonce();
    let kb = Jws::sign(
        g.crypto,
        &issued.holder_key,
        kb_header("JWT"),
        &kb_payload(&nonce, true),
    )
    .map_err(|x| Gen::err("kb")(x.to_string()))?;
    g.push(
        "fault/kb-wrong-typ",
        "KB-JWT typ JWT instead of kb+jwt: reject (RFC 9901 §4.3, §7.3 step 3)",
        reject("device_auth_failed"),
        format!("{sel}{kb}"),
        nonce,
    );
    let nonce = g.nonce();
    let kb = Jws::sign(
        g.crypto,
        &issued.holder_key,
        kb_header("kb+jwt"),
        &kb_payload(&nonce, false),
    )
    .map_err(|x| Gen::err("kb")(x.to_string()))?;
    g.push(
        "fault/kb-no-sd-hash",
        "KB-JWT without sd_hash: reject (RFC 9901 §4.3 required claim)",
        reject("tampered"),
        format!("{sel}{kb}"),
        nonce,
    );

    // Disclosure faults (RFC 9901 §7.1).
    let issued = g.issue(&d)?;
    let sel = g.select(&issued, &[AGE])?;
    // A Disclosure with its value changed: its digest is in no _sd.
    let mut parts: Vec<String> = sel.split('~').map(str::to_string).collect();
    let tampered_ok = parts
        .iter_mut()
        .skip(1)
        .any(|p| match Disclosure::parse(p) {
            Some(dis) if dis.name.as_deref() == Some("20") => {
                *p = Disclosure::new("c2FsdHNhbHRzYWx0", Some("20"), json!(false)).encoded;
                true
            }
            _ => false,
        });
    if tampered_ok {
        let t = parts.join("~");
        let nonce = g.nonce();
        let p = g.bind(&t, &issued.holder_key, AUD, &nonce, now)?;
        g.push("fault/tampered-disclosure", "the age 20 Disclosure replaced by one saying false (its digest is in no _sd): reject (RFC 9901 §7.1 step 3)", reject("tampered"), p, nonce);
    }
    // A well-formed Disclosure of another credential.
    let other = g.issue(&d)?;
    let other_sel = g.select(&other, &["family_name"])?;
    let foreign = other_sel.split('~').nth(1).unwrap_or_default();
    let nonce = g.nonce();
    let p = g.bind(
        &format!("{sel}{foreign}~"),
        &issued.holder_key,
        AUD,
        &nonce,
        now,
    )?;
    g.push("fault/disclosure-digest-not-in-sd", "an extra Disclosure from another credential, its digest in no _sd of this one: reject (RFC 9901 §7.1 step 3)", reject("tampered"), p, nonce);
    // The same Disclosure twice.
    let age_d = sel.split('~').nth(1).unwrap_or_default();
    let nonce = g.nonce();
    let p = g.bind(
        &format!("{sel}{age_d}~"),
        &issued.holder_key,
        AUD,
        &nonce,
        now,
    )?;
    g.push(
        "fault/duplicate-disclosure",
        "the same Disclosure presented twice: reject (RFC 9901 §7.1 step 3.d)",
        reject("tampered"),
        p,
        nonce,
    );

    // Issuer-signed JWT faults.
    let issued = g.issue(&d)?;
    let sel = g.select(&issued, &[AGE])?;
    let (jwt, rest) = sel.split_once('~').unwrap_or((&sel, ""));
    let jws_parts: Vec<&str> = jwt.split('.').collect();
    if let [h, p, s] = jws_parts.as_slice() {
        // Payload changed (iss), signature kept.
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap_or_default();
        let mut v: Map<String, Value> = serde_json::from_slice(&payload).unwrap_or_default();
        v.insert("iss".into(), json!("https://forged.invalid"));
        let forged = format!(
            "{h}.{}.{s}~{rest}",
            b64(Value::Object(v.clone()).to_string().as_bytes())
        );
        let nonce = g.nonce();
        let pr = g.bind(&forged, &issued.holder_key, AUD, &nonce, now)?;
        g.push(
            "fault/issuer-payload-tampered",
            "issuer-signed JWT payload changed after signing (iss): reject (RFC 9901 §7.1 step 2)",
            reject("tampered"),
            pr,
            nonce,
        );
        // Signature bit flipped.
        let mut sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .unwrap_or_default();
        if let Some(b) = sig.last_mut() {
            *b ^= 1;
        }
        let flipped = format!("{h}.{p}.{}~{rest}", b64(&sig));
        let nonce = g.nonce();
        let pr = g.bind(&flipped, &issued.holder_key, AUD, &nonce, now)?;
        g.push(
            "fault/issuer-signature-flipped",
            "one bit of the issuer JWT signature flipped: reject (RFC 9901 §7.1 step 2)",
            reject("tampered"),
            pr,
            nonce,
        );
        // alg none on the issuer JWT.
        let header_json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(h)
            .unwrap_or_default();
        let header: Map<String, Value> = serde_json::from_slice(&header_json).unwrap_or_default();
        let none = format!("{}~{rest}", unsigned_jwt(&header, &v_original(&payload)));
        let nonce = g.nonce();
        let pr = g.bind(&none, &issued.holder_key, AUD, &nonce, now)?;
        g.push("fault/issuer-alg-none", "issuer-signed JWT with alg none and no signature: reject (RFC 9901 §7.1 step 2, RFC 8725 §3.1)", reject("tampered"), pr, nonce);
    }
    // Other issuers, certificates, types, claims.
    let rogue_root = issue_root(
        g.crypto,
        "Kakunin conformance rogue root",
        "JP",
        at - Duration::days(30),
        3650,
    )?;
    let rogue = issue_leaf(
        g.crypto,
        &rogue_root,
        "Kakunin conformance rogue SD-JWT issuer",
        "JP",
        EKU_JWS_SIGNER,
        at - Duration::days(30),
        365,
    )?;
    let expired_signer = issue_leaf(
        g.crypto,
        &g.pki.iaca,
        "Kakunin conformance expired SD-JWT issuer",
        "JP",
        EKU_JWS_SIGNER,
        at - Duration::days(400),
        30,
    )?;
    let ds = g.pki.ds()?;
    let specs: Vec<(&str, &str, &str, Issue<'_>)> = vec![
        ("fault/untrusted-issuer", "issuer certificate (x5c) under a root the verifier does not trust: reject (draft-ietf-oauth-sd-jwt-vc §3.5)", "untrusted_issuer", Issue { signer: &rogue, chain: vec![rogue.cert_der.clone()], ..g.default_issue() }),
        ("fault/issuer-cert-expired", "issuer certificate expired a year ago: reject (RFC 5280 6.1.3)", "untrusted_issuer", Issue { signer: &expired_signer, chain: vec![expired_signer.cert_der.clone()], ..g.default_issue() }),
        ("fault/issuer-cert-mdoc-ds", "signed by an mdoc Document Signer certificate (EKU 1.0.18013.5.1.2, not the JWS signer's): reject (Annex B.1.4 profile)", "untrusted_issuer", Issue { signer: ds, chain: vec![ds.cert_der.clone()], ..g.default_issue() }),
        ("fault/no-x5c", "no x5c header and no configured issuer key: reject (draft-ietf-oauth-sd-jwt-vc §3.5)", "untrusted_issuer", Issue { chain: Vec::new(), ..g.default_issue() }),
        ("fault/expired", "exp passed a day ago: reject (RFC 7519 §4.1.4)", "expired", Issue { edit: |c| { c.insert("exp".into(), json!(0)); }, ..g.default_issue() }),
        ("fault/nbf-in-the-future", "nbf is tomorrow: reject (RFC 7519 §4.1.5)", "not_yet_valid", Issue { edit: |c| { c.insert("nbf".into(), json!(4_102_444_800_i64)); }, ..g.default_issue() }),
        ("fault/wrong-typ", "typ JWT instead of dc+sd-jwt: reject (draft-ietf-oauth-sd-jwt-vc §3.2.1)", "malformed", Issue { typ: Some("JWT"), ..g.default_issue() }),
        ("fault/no-typ", "no typ header: reject (draft-ietf-oauth-sd-jwt-vc §3.2.1)", "malformed", Issue { typ: None, ..g.default_issue() }),
        ("fault/missing-vct", "no vct claim: reject (draft-ietf-oauth-sd-jwt-vc §3.2.2.2)", "malformed", Issue { edit: |c| { c.remove("vct"); }, ..g.default_issue() }),
        ("fault/missing-iss", "no iss claim: reject (draft-ietf-oauth-sd-jwt-vc §3.2.2.2)", "malformed", Issue { edit: |c| { c.remove("iss"); }, ..g.default_issue() }),
        ("fault/missing-cnf", "no cnf claim, so no holder key for the KB-JWT: reject (RFC 9901 §7.3 step 4)", "device_auth_failed", Issue { edit: |c| { c.remove("cnf"); }, ..g.default_issue() }),
    ];
    // exp/nbf edits above use fixed instants: 0 (1970) and 2100-01-01, both far from `at`.
    for (id, desc, reason, spec) in specs {
        g.standard(id, desc, reject(reason), &spec, &[AGE])?;
    }
    // Claims that must not be selectively disclosable arrive in Disclosures
    // (draft-ietf-oauth-sd-jwt-vc §3.2.2.2).
    for claim in ["iss", "nbf", "exp", "cnf", "vct", "status"] {
        let pointer: &'static str = match claim {
            "iss" => "/iss",
            "nbf" => "/nbf",
            "exp" => "/exp",
            "cnf" => "/cnf",
            "vct" => "/vct",
            _ => "/status",
        };
        let spec = Issue {
            extra_pointers: vec![pointer],
            edit: |c| {
                c.insert(
                    "status".into(),
                    json!({"status_list": {"idx": 7, "uri": "https://status.conformance.kakunin.invalid/list/1"}}),
                );
            },
            ..g.default_issue()
        };
        g.standard(
            &format!("fault/{claim}-selectively-disclosed"),
            &format!("{claim} arrives in a Disclosure, though it must not be selectively disclosable: reject (draft-ietf-oauth-sd-jwt-vc §3.2.2.2)"),
            reject("malformed"),
            &spec,
            &[AGE, claim],
        )?;
    }
    // Not an SD-JWT at all.
    for (id, desc, text) in [
        (
            "fault/not-an-sd-jwt",
            "the presentation is plain text: reject (RFC 9901 §4)",
            "this is not an SD-JWT".to_string(),
        ),
        (
            "fault/empty",
            "the presentation is empty: reject (RFC 9901 §4)",
            String::new(),
        ),
        (
            "fault/jwt-only",
            "a JWT with no ~ separator: reject (RFC 9901 §4)",
            jwt_only(g)?,
        ),
    ] {
        let nonce = g.nonce();
        g.push(id, desc, reject("malformed"), text, nonce);
    }
    Ok(())
}

/// The payload bytes as a JSON object (empty when they are not one).
fn v_original(payload: &[u8]) -> Map<String, Value> {
    serde_json::from_slice(payload).unwrap_or_default()
}

/// The issuer-signed JWT of a good credential alone, without any `~`.
fn jwt_only(g: &Gen<'_>) -> Result<String, SuiteError> {
    let issued = g.issue(&g.default_issue())?;
    Ok(issued
        .sd_jwt
        .split('~')
        .next()
        .unwrap_or_default()
        .to_string())
}
