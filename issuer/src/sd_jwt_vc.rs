//! SD-JWT VC issuance for the Japanese PID profile (docs/profiles/jp-pid-mdoc.md): the same
//! claims as the mdoc, every one selectively disclosable, ages as `age_equal_or_over`
//! {"18": …, "20": …} with each entry disclosable on its own, bound to a holder key (`cnf.jwk`),
//! signed by a JWS signer certificate (`x5c`) under the IACA.

use crate::claims::Element;
use kakunin_core::cbor::Value as Cbor;
use kakunin_core::crypto::RandomPool;
use kakunin_core::crypto::{CryptoProvider, EcPrivateKey, EcPublicKey, HashAlg};
use kakunin_core::sdjwt::{
    issue_with, key_to_jwk, random_bytes_per_sd_jwt, EncodedHeader, JwsError, SdSpec,
    NEVER_DISCLOSABLE,
};
use serde_json::{json, Map, Value};

/// The `vct` of the profile.
pub use kakunin_core::sdjwt::JP_PID_VCT;

fn to_json(v: &Cbor) -> Value {
    match v {
        Cbor::Uint(n) => json!(n),
        // CBOR negative integer -1-n. Below i64::MIN a JSON number can only be a double
        // (serde_json has no wider integer here; I-JSON, RFC 7493, promises no more anyway).
        Cbor::Nint(n) => match i64::try_from(*n) {
            Ok(n) => json!(-1 - n),
            Err(_) => json!(-1.0 - *n as f64),
        },
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

pub use crate::status::StatusList;

/// How a batch of SD-JWT VCs is issued.
#[derive(Debug, Clone)]
pub struct SdJwtVcSettings<'a> {
    /// The `iss` claim.
    pub issuer_id: &'a str,
    /// `iat` and `nbf` (Unix seconds).
    pub valid_from: i64,
    /// `exp` (Unix seconds).
    pub valid_until: i64,
    /// The `_sd_alg` digest (RFC 9901 §4.1.1); SHA-256 unless configured.
    pub sd_alg: HashAlg,
    /// Decoy digests per `_sd` array, and per array with selectively disclosable elements
    /// (RFC 9901 §4.2.5), hiding how many claims or elements there are.
    pub decoys_per_object: usize,
    /// The `status` claim to carry, if the credentials are on a status list.
    pub status_list: Option<StatusList>,
}

impl Default for SdJwtVcSettings<'_> {
    fn default() -> Self {
        SdJwtVcSettings {
            issuer_id: "https://issuer.kakunin.invalid",
            valid_from: 0,
            valid_until: 0,
            sd_alg: HashAlg::Sha256,
            decoys_per_object: 2,
            status_list: None,
        }
    }
}

/// Issue one SD-JWT VC per holder key: `<JWT>~<Disclosures>~`.
pub fn issue_sd_jwt_vcs(
    crypto: &dyn CryptoProvider,
    signer_key: &EcPrivateKey,
    signer_chain: &[Vec<u8>],
    elements: &[Element],
    holder_keys: &[EcPublicKey],
    settings: &SdJwtVcSettings<'_>,
) -> Result<Vec<String>, JwsError> {
    use base64::Engine;
    let mut claims = Map::new();
    let mut ages = Map::new();
    let mut pointers: Vec<String> = Vec::new();
    for e in elements {
        if let Some(n) = e.identifier.strip_prefix("age_over_") {
            ages.insert(n.to_string(), to_json(&e.value));
            pointers.push(format!("/age_equal_or_over/{n}"));
        } else if NEVER_DISCLOSABLE.contains(&e.identifier.as_str()) {
            // SD-JWT VC §3.2.2.2: these are the issuer's own registered claims, set below in
            // the clear; an element so named is never made selectively disclosable.
            claims.insert(e.identifier.clone(), to_json(&e.value));
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
    let spec = SdSpec {
        pointers: &pointer_refs,
        decoys_per_object: settings.decoys_per_object,
        decoys_per_array: settings.decoys_per_object,
        sd_alg: settings.sd_alg,
    };
    // The same header heads every credential of the batch: encoded once.
    let header = EncodedHeader::new(signer_key, header)?;
    // The batch's salts and decoys from one provider call (the credential and its
    // `age_equal_or_over` object each have an `_sd` array).
    let mut pool = RandomPool::with_capacity(
        crypto,
        random_bytes_per_sd_jwt(&spec, 2).saturating_mul(holder_keys.len()),
    );
    holder_keys
        .iter()
        .enumerate()
        .map(|(i, hk)| {
            let mut c = claims.clone();
            c.insert("iss".into(), json!(settings.issuer_id));
            c.insert("vct".into(), json!(JP_PID_VCT));
            c.insert("iat".into(), json!(settings.valid_from));
            c.insert("nbf".into(), json!(settings.valid_from));
            c.insert("exp".into(), json!(settings.valid_until));
            c.insert("cnf".into(), json!({ "jwk": key_to_jwk(hk) }));
            if let Some(list) = &settings.status_list {
                // An index past 2^64 - 1 cannot be written (the CLI refuses it with a message
                // first); the JWS error set has nothing closer than "malformed".
                let idx = list.index_of(i).ok_or(JwsError::Malformed)?;
                // Not selectively disclosable: the verifier needs it to check revocation.
                c.insert(
                    "status".into(),
                    json!({"status_list": {"idx": idx, "uri": list.uri}}),
                );
            }
            issue_with(crypto, &mut pool, signer_key, &header, c, &spec)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::crypto::{default_provider, Curve};
    use kakunin_core::sdjwt::{verify_sd_jwt_vc, Disclosure, IssuerKey};

    /// A batch's salts and decoys come from one provider call; no Disclosure salt repeats
    /// across the batch.
    #[test]
    fn a_batch_draws_its_randomness_in_one_call() {
        let counting = crate::test_support::CountingRandom::default();
        let c = default_provider();
        let signer = c.generate_key(Curve::P256).unwrap();
        let holders: Vec<_> = (0..5)
            .map(|_| c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap())
            .collect();
        let el = |id: &str, v: Cbor| Element {
            namespace: "org.iso.23220.1.jp".into(),
            identifier: id.into(),
            value: v,
        };
        let elements = [
            el("family_name", Cbor::Text("Yamada".into())),
            el("given_name", Cbor::Text("Taro".into())),
            el("age_over_18", Cbor::Bool(true)),
            el("age_over_20", Cbor::Bool(true)),
        ];
        let settings = SdJwtVcSettings::default();
        let creds =
            issue_sd_jwt_vcs(&counting, &signer, &[], &elements, &holders, &settings).unwrap();
        assert_eq!(counting.calls(), 1);
        let mut salts = std::collections::BTreeSet::new();
        for cred in &creds {
            for d in cred.split('~').skip(1).filter(|d| !d.is_empty()) {
                let d = Disclosure::parse(d).unwrap();
                assert!(salts.insert(d.salt), "a salt repeated");
            }
        }
        // family_name, given_name, age_equal_or_over and its two entries, per credential.
        assert_eq!(salts.len(), 5 * 5);
    }

    /// Whatever the elements are named, the registered claims of SD-JWT VC §3.2.2.2 are
    /// never in a Disclosure, and the credential verifies as an SD-JWT VC.
    #[test]
    fn registered_claims_are_never_disclosable() {
        let c = default_provider();
        let signer = c.generate_key(Curve::P256).unwrap();
        let holder = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
        let el = |id: &str, v: Cbor| Element {
            namespace: "org.iso.23220.1.jp".into(),
            identifier: id.into(),
            value: v,
        };
        let elements = [
            el("family_name", Cbor::Text("Yamada".into())),
            el("age_over_20", Cbor::Bool(true)),
            el("status", Cbor::Text("not a status".into())),
            el("iss", Cbor::Text("someone else".into())),
        ];
        let settings = SdJwtVcSettings {
            valid_from: 1_700_000_000,
            valid_until: 1_900_000_000,
            status_list: Some(StatusList {
                uri: "https://status.example/1".into(),
                first_index: 7,
            }),
            ..SdJwtVcSettings::default()
        };
        let creds = issue_sd_jwt_vcs(c, &signer, &[], &elements, &[holder], &settings).unwrap();
        let cred = creds.first().unwrap();
        let names: Vec<String> = cred
            .split('~')
            .skip(1)
            .filter(|d| !d.is_empty())
            .filter_map(|d| Disclosure::parse(d).and_then(|d| d.name))
            .collect();
        assert!(names.contains(&"family_name".to_string()), "{names:?}");
        for n in NEVER_DISCLOSABLE {
            assert!(!names.iter().any(|x| x == n), "{n} disclosed: {names:?}");
        }
        let key = c.public_key(&signer).unwrap();
        let at = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let v = verify_sd_jwt_vc(c, cred, IssuerKey::Key(&key), None, false, at).unwrap();
        assert_eq!(v.claims["iss"], "https://issuer.kakunin.invalid");
        assert_eq!(v.claims["status"]["status_list"]["idx"], 7);
    }
}
