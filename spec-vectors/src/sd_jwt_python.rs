//! The end-to-end test cases of sd-jwt-python, the SD-JWT reference implementation of the
//! OpenWallet Foundation (whose generator also produced the RFC 9901 examples), run through
//! Kakunin's issuer, holder and verifier.
//!
//! Each case (`data/sd-jwt-python/testcases/*.yml`, converted to `testcases.json` by
//! `tools/sd_jwt_python_testcases.py`; provenance in `data/sd-jwt-python/PROVENANCE.md`) gives
//! the claims with the selectively disclosable places marked, what the holder discloses, and
//! the payload the verifier must end up with. Kakunin issues with the marked places as
//! Disclosures (recursively, array elements included), the holder selects by the case's frame
//! (and adds a KB-JWT when the case asks), and the verifier's processed payload must equal the
//! expected one exactly. Two cases use the JWS JSON Serialization (§8), one with two issuer
//! signatures.

use crate::{err, jwk_private_key, CheckResult, Runner, VectorCheck};
use kakunin_core::crypto::{default_provider, EcPrivateKey, HashAlg};
use kakunin_core::sdjwt::{
    add_key_binding, issue, jwk_to_key, pointer_token, select_frame, verify_json_presentation,
    verify_presentation, JsonSdJwt, KbRequirements, SdSpec, VerifiedSdJwt,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// Where the cases come from.
pub const SOURCE: &str = "sd-jwt-python tests/testcases (openwallet-foundation-labs/sd-jwt-python \
                          @ cde613902c4e23ae7160aa30966a6a5e7c658535)";

const TESTCASES: &str = include_str!("../data/sd-jwt-python/testcases.json");

/// The marker the converter puts where the YAML had `!sd`.
const SD: &str = "!sd";

/// The cases' `iat` setting; KB-JWTs are made then and verified a minute later.
const ISSUED_AT: i64 = 1_683_000_000;

/// The test cases by name, with `settings` separate.
pub fn cases() -> (Value, Vec<(String, Value)>) {
    let all: Map<String, Value> = serde_json::from_str(TESTCASES).unwrap_or_default();
    let settings = all.get("settings").cloned().unwrap_or(Value::Null);
    let cases = all.into_iter().filter(|(k, _)| k != "settings").collect();
    (settings, cases)
}

fn is_wrapper(v: &Value) -> Option<&Value> {
    v.as_object()
        .filter(|m| m.len() == 1)
        .and_then(|m| m.get(SD))
}

/// The claims without the `!sd` wrappers, and the JSON Pointer of every place a wrapper was.
fn unwrap_claims(v: &Value, path: &str, pointers: &mut Vec<String>) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, child)| {
                    let p = format!("{path}/{}", pointer_token(k));
                    let inner = match is_wrapper(child) {
                        Some(inner) => {
                            pointers.push(p.clone());
                            inner
                        }
                        None => child,
                    };
                    (k.clone(), unwrap_claims(inner, &p, pointers))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, child)| {
                    let p = format!("{path}/{i}");
                    let inner = match is_wrapper(child) {
                        Some(inner) => {
                            pointers.push(p.clone());
                            inner
                        }
                        None => child,
                    };
                    unwrap_claims(inner, &p, pointers)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn private_key(jwk: &Value) -> Result<EcPrivateKey, String> {
    jwk_private_key(jwk).ok_or_else(|| "a test key has no usable d".to_string())
}

/// The public members of a JWK (what the reference issuer puts in `cnf.jwk`).
fn public_jwk(jwk: &Value) -> Value {
    let mut m = jwk.as_object().cloned().unwrap_or_default();
    m.remove("d");
    Value::Object(m)
}

/// Run one case with the shared settings, as the reference test does (no decoys).
pub fn run_case(settings: &Value, case: &Value) -> CheckResult {
    run_case_with_decoys(settings, case, 0)
}

/// Run one case with `decoys` decoy digests added to every `_sd` array: what the verifier
/// ends up with must not change.
pub fn run_case_with_decoys(settings: &Value, case: &Value, decoys: usize) -> CheckResult {
    let crypto = default_provider();
    // As the reference test does: the case's overrides replace top-level settings.
    let mut settings = settings.as_object().cloned().unwrap_or_default();
    if let Some(Value::Object(o)) = case.get("settings_override") {
        for (k, v) in o {
            settings.insert(k.clone(), v.clone());
        }
    }
    let settings = Value::Object(settings);
    let (first_issuer_jwk, other_issuer_jwks) = settings
        .pointer("/key_settings/issuer_keys")
        .and_then(Value::as_array)
        .and_then(|a| a.split_first())
        .ok_or("settings: no issuer keys")?;
    let holder_jwk = settings
        .pointer("/key_settings/holder_key")
        .unwrap_or(&Value::Null);
    let issuer = settings
        .pointer("/identifiers/issuer")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let verifier = settings
        .pointer("/identifiers/verifier")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let nonce = settings
        .get("key_binding_nonce")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let key_binding = case["key_binding"].as_bool().unwrap_or(false);
    let json_format = case["serialization_format"].as_str() == Some("json");

    // Issuer.
    let mut pointers = Vec::new();
    let Value::Object(mut claims) = unwrap_claims(&case["user_claims"], "", &mut pointers) else {
        return Err("user_claims is not an object".into());
    };
    claims.insert("iss".into(), Value::from(issuer));
    if key_binding {
        claims.insert(
            "cnf".into(),
            serde_json::json!({ "jwk": public_jwk(holder_jwk) }),
        );
    }
    let mut header = Map::new();
    header.insert("typ".into(), Value::from("testcase+sd-jwt"));
    if let Some(Value::Object(extra)) = case.get("extra_header_parameters") {
        header.extend(extra.clone());
    }
    let pointer_refs: Vec<&str> = pointers.iter().map(String::as_str).collect();
    let spec = SdSpec {
        pointers: &pointer_refs,
        decoys_per_object: decoys,
        decoys_per_array: decoys,
        sd_alg: HashAlg::Sha256,
    };
    let issued = issue(
        crypto,
        &private_key(first_issuer_jwk)?,
        header.clone(),
        &claims,
        &spec,
    )
    .map_err(err("issuance"))?;

    // Holder.
    let frame = &case["holder_disclosed_claims"];
    let chosen = select_frame(crypto, &issued, frame).map_err(err("selection"))?;
    let holder = private_key(holder_jwk)?;
    let kb = KbRequirements {
        required: key_binding,
        aud: verifier,
        nonce,
        max_age: time::Duration::minutes(5),
        max_skew: time::Duration::minutes(1),
    };
    let now = OffsetDateTime::from_unix_timestamp(ISSUED_AT + 60).map_err(err("time"))?;

    // Verifier, with each issuer key in turn (the JSON cases may carry several signatures).
    let verified: Vec<VerifiedSdJwt> = if json_format {
        let mut json = JsonSdJwt::from_compact(&issued).map_err(err("JSON serialization"))?;
        for jwk in other_issuer_jwks {
            let mut h = header.clone();
            if let Some(kid) = jwk.get("kid") {
                h.insert("kid".into(), kid.clone());
            }
            json.add_signature(crypto, &private_key(jwk)?, h, Map::new())
                .map_err(err("second signature"))?;
        }
        let kept: Vec<&str> = chosen.split('~').skip(1).collect();
        json.retain_disclosures(|d| kept.contains(&d));
        if key_binding {
            json.add_key_binding(crypto, &holder, verifier, nonce, ISSUED_AT)
                .map_err(err("KB-JWT"))?;
        }
        let text = json.to_json();
        std::iter::once(first_issuer_jwk)
            .chain(other_issuer_jwks)
            .map(|jwk| {
                let key = jwk_to_key(jwk).map_err(err("issuer key"))?;
                verify_json_presentation(crypto, &text, &key, Some(&kb), now)
                    .map_err(err("verification"))
            })
            .collect::<Result<_, _>>()?
    } else {
        let presentation = if key_binding {
            add_key_binding(crypto, &chosen, &holder, verifier, nonce, ISSUED_AT)
                .map_err(err("KB-JWT"))?
        } else {
            chosen
        };
        let key = jwk_to_key(first_issuer_jwk).map_err(err("issuer key"))?;
        vec![
            verify_presentation(crypto, &presentation, &key, Some(&kb), now)
                .map_err(err("verification"))?,
        ]
    };

    let mut expected = case["expect_verified_user_claims"].clone();
    if let Value::Object(m) = &mut expected {
        m.insert("iss".into(), Value::from(issuer));
        if key_binding {
            m.insert(
                "cnf".into(),
                serde_json::json!({ "jwk": public_jwk(holder_jwk) }),
            );
        }
    }
    for v in &verified {
        if Value::Object(v.claims.clone()) != expected {
            return Err(format!(
                "processed payload {} differs from {expected}",
                Value::Object(v.claims.clone())
            ));
        }
        if v.key_bound != key_binding {
            return Err(format!("key_bound is {}", v.key_bound));
        }
        if !json_format {
            let mut want = header.clone();
            want.insert("alg".into(), Value::from("ES256"));
            if v.header != want {
                return Err(format!("header {:?} differs from {want:?}", v.header));
            }
        }
    }
    Ok(())
}

/// Run every case.
pub fn run_all() -> Vec<VectorCheck> {
    let (settings, cases) = cases();
    let mut r = Runner { checks: Vec::new() };
    for (name, case) in &cases {
        let description = match (
            case["serialization_format"].as_str() == Some("json"),
            case["key_binding"].as_bool().unwrap_or(false),
        ) {
            (true, _) => "issue, disclose per the case, add a KB-JWT; JWS JSON Serialization; verify to the expected payload",
            (false, true) => "issue, disclose per the case, add a KB-JWT; verify to the expected payload and header",
            (false, false) => "issue, disclose per the case; verify to the expected payload and header",
        };
        r.run(
            format!("sd-jwt-python/{name}"),
            name.clone(),
            description,
            || run_case(&settings, case),
        );
    }
    r.checks
}
