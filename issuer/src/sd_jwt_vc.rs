//! SD-JWT VC issuance for the Japanese PID profile (docs/profiles/jp-pid-mdoc.md): the same
//! claims as the mdoc, every one selectively disclosable, ages as `age_equal_or_over`
//! {"18": …, "20": …} with each entry disclosable on its own, bound to a holder key (`cnf.jwk`),
//! signed by a JWS signer certificate (`x5c`) under the IACA.

use crate::claims::Element;
use kakunin_core::cbor::Value as Cbor;
use kakunin_core::crypto::{CryptoProvider, EcPrivateKey, EcPublicKey, HashAlg};
use kakunin_core::sdjwt::{issue, key_to_jwk, JwsError, SdSpec};
use serde_json::{json, Map, Value};

/// The `vct` of the profile.
pub const JP_PID_VCT: &str = "urn:kakunin:jp-pid:1";

fn to_json(v: &Cbor) -> Value {
    match v {
        Cbor::Uint(n) => json!(n),
        Cbor::Nint(n) => json!(-1 - (*n as i128) as i64),
        Cbor::Text(t) => json!(t),
        Cbor::Bool(b) => json!(b),
        Cbor::Bytes(b) => json!(kakunin_core_b64(b)),
        Cbor::Tag(_, inner) => to_json(inner),
        Cbor::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Cbor::Map(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_text().map(str::to_string).unwrap_or_default(),
                        to_json(v),
                    )
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn kakunin_core_b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Issue one SD-JWT VC per holder key: `<JWT>~<Disclosures>~`, valid from `iat` to `exp`
/// (Unix seconds).
pub fn issue_sd_jwt_vcs(
    crypto: &dyn CryptoProvider,
    signer_key: &EcPrivateKey,
    signer_chain: &[Vec<u8>],
    issuer_id: &str,
    elements: &[Element],
    holder_keys: &[EcPublicKey],
    (iat, exp): (i64, i64),
) -> Result<Vec<String>, JwsError> {
    use base64::Engine;
    let mut claims = Map::new();
    let mut ages = Map::new();
    let mut pointers: Vec<String> = Vec::new();
    for e in elements {
        if let Some(n) = e.identifier.strip_prefix("age_over_") {
            ages.insert(n.to_string(), to_json(&e.value));
            pointers.push(format!("/age_equal_or_over/{n}"));
        } else {
            claims.insert(e.identifier.clone(), to_json(&e.value));
            pointers.push(format!("/{}", e.identifier));
        }
    }
    if !ages.is_empty() {
        claims.insert("age_equal_or_over".into(), Value::Object(ages));
        pointers.push("/age_equal_or_over".into());
    }
    let mut header = Map::new();
    header.insert("typ".into(), json!("dc+sd-jwt"));
    header.insert(
        "x5c".into(),
        Value::Array(
            signer_chain
                .iter()
                .map(|c| Value::from(base64::engine::general_purpose::STANDARD.encode(c)))
                .collect(),
        ),
    );
    let pointer_refs: Vec<&str> = pointers.iter().map(String::as_str).collect();
    holder_keys
        .iter()
        .map(|hk| {
            let mut c = claims.clone();
            c.insert("iss".into(), json!(issuer_id));
            c.insert("vct".into(), json!(JP_PID_VCT));
            c.insert("iat".into(), json!(iat));
            c.insert("exp".into(), json!(exp));
            c.insert("cnf".into(), json!({ "jwk": key_to_jwk(hk) }));
            issue(
                crypto,
                signer_key,
                header.clone(),
                &c,
                &SdSpec {
                    pointers: &pointer_refs,
                    decoys_per_object: 2,
                    sd_alg: HashAlg::Sha256,
                },
            )
        })
        .collect()
}
