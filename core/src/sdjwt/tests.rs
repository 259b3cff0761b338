//! SD-JWT issuance → presentation → verification, and each RFC 9901 rejection.

use super::*;
use crate::crypto::{default_provider, Curve, EcPrivateKey, HashAlg};
use serde_json::{json, Map, Value};
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-11-24 10:00:00 UTC);

struct Fixture {
    issuer: EcPrivateKey,
    holder: EcPrivateKey,
    issued: String,
}

fn fixture() -> Fixture {
    let c = default_provider();
    let issuer = c.generate_key(Curve::P256).unwrap();
    let holder = c.generate_key(Curve::P256).unwrap();
    let holder_jwk = key_to_jwk(&c.public_key(&holder).unwrap());
    let claims = json!({
        "iss": "https://issuer.example", "vct": "urn:kakunin:jp-pid:1", "iat": NOW.unix_timestamp() - 60,
        "exp": NOW.unix_timestamp() + 86400, "cnf": {"jwk": holder_jwk},
        "name": "Yamada Hanako", "birth_date": "2000-05-05",
        "age_equal_or_over": {"18": true, "20": true, "65": false},
        "nationalities": ["JP", "FR"]
    });
    let Value::Object(claims) = claims else {
        unreachable!()
    };
    let mut header = Map::new();
    header.insert("typ".into(), Value::from("dc+sd-jwt"));
    let issued = issue(
        c,
        &issuer,
        header,
        &claims,
        &SdSpec {
            pointers: &[
                "/name",
                "/birth_date",
                "/age_equal_or_over/18",
                "/age_equal_or_over/20",
                "/age_equal_or_over/65",
                "/age_equal_or_over",
                "/nationalities/1",
            ],
            decoys_per_object: 2,
            decoys_per_array: 2,
            sd_alg: HashAlg::Sha256,
        },
    )
    .unwrap();
    Fixture {
        issuer,
        holder,
        issued,
    }
}

fn kb<'a>() -> KbRequirements<'a> {
    KbRequirements {
        required: true,
        aud: "till-42",
        nonce: "n-123",
        max_age: time::Duration::minutes(5),
        max_skew: time::Duration::minutes(1),
    }
}

fn present(f: &Fixture, keep: impl Fn(&Disclosure) -> bool) -> String {
    let c = default_provider();
    let p = select(&f.issued, keep).unwrap();
    add_key_binding(c, &p, &f.holder, "till-42", "n-123", NOW.unix_timestamp()).unwrap()
}

fn verify(f: &Fixture, p: &str) -> Result<VerifiedSdJwt, SdJwtError> {
    let c = default_provider();
    verify_presentation(c, p, &c.public_key(&f.issuer).unwrap(), Some(&kb()), NOW)
}

#[test]
fn age_over_20_only() {
    let f = fixture();
    // The holder discloses age_equal_or_over (the container) and its "20" entry only.
    let p = present(&f, |d| {
        matches!(d.name.as_deref(), Some("age_equal_or_over") | Some("20"))
    });
    let v = verify(&f, &p).unwrap();
    assert!(v.key_bound);
    assert_eq!(v.claims["age_equal_or_over"], json!({"20": true}));
    assert!(!v.claims.contains_key("name") && !v.claims.contains_key("birth_date"));
    assert_eq!(
        v.claims["nationalities"],
        json!(["JP"]),
        "undisclosed array element dropped"
    );
    assert!(!v.claims.contains_key("_sd") && !v.claims.contains_key("_sd_alg"));
}

#[test]
fn everything_disclosed_round_trips() {
    let f = fixture();
    let p = present(&f, |_| true);
    let v = verify(&f, &p).unwrap();
    assert_eq!(v.claims["name"], "Yamada Hanako");
    assert_eq!(v.claims["nationalities"], json!(["JP", "FR"]));
    assert_eq!(
        v.claims["age_equal_or_over"],
        json!({"18": true, "20": true, "65": false})
    );
    // As issued, the array carries two decoy elements besides "JP" and FR's digest, and
    // every `_sd` two decoy digests; the verifier dropped them all.
    let jwt = Jws::parse(f.issued.split('~').next().unwrap()).unwrap();
    assert_eq!(jwt.payload["nationalities"].as_array().unwrap().len(), 4);
    assert_eq!(jwt.payload["_sd"].as_array().unwrap().len(), 3 + 2);
}

fn tamper_jwt_payload(f: &Fixture, edit: impl Fn(&mut Map<String, Value>)) -> String {
    // Re-sign a modified payload with the issuer key (a well-formed but rule-breaking issuer).
    let c = default_provider();
    let (jwt, rest) = f.issued.split_once('~').unwrap();
    let jws = Jws::parse(jwt).unwrap();
    let mut payload = jws.payload.clone();
    edit(&mut payload);
    let mut header = jws.header.clone();
    header.remove("alg");
    let jwt = Jws::sign(c, &f.issuer, header, &payload).unwrap();
    let p = format!("{jwt}~{rest}");
    // A holder cannot bind a payload whose _sd_alg it does not know; the verifier must
    // reject such a payload before it looks for a KB-JWT, so the bare SD-JWT serves.
    add_key_binding(c, &p, &f.holder, "till-42", "n-123", NOW.unix_timestamp()).unwrap_or(p)
}

#[test]
fn rejections() {
    let c = default_provider();
    let f = fixture();
    let good = present(&f, |_| true);
    assert!(verify(&f, &good).is_ok());

    // alg none.
    let (jwt, rest) = good.split_once('~').unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    let none_header = b64(br#"{"alg":"none","typ":"dc+sd-jwt"}"#);
    let none = format!("{none_header}.{}.~{rest}", parts[1]);
    assert!(matches!(
        verify(&f, &none),
        Err(SdJwtError::Jws {
            source: JwsError::AlgNone,
            ..
        }) | Err(SdJwtError::Jws {
            source: JwsError::Malformed,
            ..
        })
    ));

    // Unsupported _sd_alg.
    let p = tamper_jwt_payload(&f, |m| {
        m.insert("_sd_alg".into(), Value::from("md5"));
    });
    assert_eq!(
        verify(&f, &p).unwrap_err(),
        SdJwtError::UnsupportedSdAlg("md5".into())
    );

    // Duplicate digest in _sd.
    let p = tamper_jwt_payload(&f, |m| {
        if let Some(Value::Array(a)) = m.get_mut("_sd") {
            let first = a[0].clone();
            a.push(first);
        }
    });
    assert!(matches!(
        verify(&f, &p),
        Err(SdJwtError::DuplicateDigest(_))
    ));

    // A Disclosure not referenced by any digest.
    let extra = Disclosure::new("c2FsdHNhbHRzYWx0", Some("extra"), json!(1));
    let base = select(&f.issued, |_| true).unwrap();
    let p = add_key_binding(
        c,
        &format!("{base}{}~", extra.encoded),
        &f.holder,
        "till-42",
        "n-123",
        NOW.unix_timestamp(),
    )
    .unwrap();
    assert!(matches!(
        verify(&f, &p),
        Err(SdJwtError::UnreferencedDisclosure { .. })
    ));

    // Disclosure named _sd / ... and one overwriting a claim.
    for (name, expect_forbidden) in [("_sd", true), ("...", true), ("iss", false)] {
        let d = Disclosure::new("c2FsdHNhbHRzYWx0", Some(name), json!("x"));
        let digest = d.digest(c, HashAlg::Sha256);
        let p = tamper_jwt_payload(&f, |m| {
            if let Some(Value::Array(a)) = m.get_mut("_sd") {
                a.push(Value::from(digest.clone()));
            }
        });
        let p = p.split_once('~').unwrap().0.to_string() + "~" + &d.encoded + "~";
        let p =
            add_key_binding(c, &p, &f.holder, "till-42", "n-123", NOW.unix_timestamp()).unwrap();
        let err = verify(&f, &p).unwrap_err();
        if expect_forbidden {
            assert_eq!(err, SdJwtError::ForbiddenClaimName(name.into()));
        } else {
            assert_eq!(err, SdJwtError::ClaimOverwrite("iss".into()));
        }
    }

    // Wrong sd_hash (KB-JWT over another presentation), missing KB, aud, nonce, iat.
    let other = present(&f, |d| d.name.as_deref() == Some("name"));
    let kb_other = other.rsplit('~').next().unwrap();
    let base = good[..good.rfind('~').unwrap() + 1].to_string();
    assert_eq!(
        verify(&f, &format!("{base}{kb_other}")).unwrap_err(),
        SdJwtError::KbSdHash
    );
    assert_eq!(
        verify(&f, &base).unwrap_err(),
        SdJwtError::MissingKeyBinding
    );
    let sel = select(&f.issued, |_| true).unwrap();
    let wrong_aud =
        add_key_binding(c, &sel, &f.holder, "other", "n-123", NOW.unix_timestamp()).unwrap();
    assert_eq!(verify(&f, &wrong_aud).unwrap_err(), SdJwtError::KbAudience);
    let wrong_nonce =
        add_key_binding(c, &sel, &f.holder, "till-42", "n-999", NOW.unix_timestamp()).unwrap();
    assert_eq!(verify(&f, &wrong_nonce).unwrap_err(), SdJwtError::KbNonce);
    let old = add_key_binding(
        c,
        &sel,
        &f.holder,
        "till-42",
        "n-123",
        NOW.unix_timestamp() - 3600,
    )
    .unwrap();
    assert_eq!(verify(&f, &old).unwrap_err(), SdJwtError::KbIat);
    // KB signed by another key.
    let stranger = c.generate_key(Curve::P256).unwrap();
    let forged =
        add_key_binding(c, &sel, &stranger, "till-42", "n-123", NOW.unix_timestamp()).unwrap();
    assert!(matches!(
        verify(&f, &forged),
        Err(SdJwtError::Jws {
            part: JwtPart::KbJwt,
            source: JwsError::BadSignature
        })
    ));

    // Expired and not yet valid.
    let p = tamper_jwt_payload(&f, |m| {
        m.insert("exp".into(), Value::from(NOW.unix_timestamp() - 1));
    });
    assert_eq!(verify(&f, &p).unwrap_err(), SdJwtError::Expired);
    let p = tamper_jwt_payload(&f, |m| {
        m.insert("nbf".into(), Value::from(NOW.unix_timestamp() + 600));
    });
    assert_eq!(verify(&f, &p).unwrap_err(), SdJwtError::NotYetValid);

    // A modified Disclosure no longer matches its digest: unreferenced.
    let d0 = good.split('~').nth(1).unwrap();
    let mut disc = Disclosure::parse(d0).unwrap();
    disc = Disclosure::new(&disc.salt, disc.name.as_deref(), json!("Someone Else"));
    let p = good.replacen(d0, &disc.encoded, 1);
    assert!(verify(&f, &p).is_err());

    // Another issuer's key.
    let other_issuer = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
    assert!(matches!(
        verify_presentation(c, &good, &other_issuer, Some(&kb()), NOW),
        Err(SdJwtError::Jws {
            source: JwsError::BadSignature,
            ..
        })
    ));
}

#[test]
fn truncation_never_panics() {
    let f = fixture();
    let good = present(&f, |_| true);
    for len in 0..good.len() {
        if good.is_char_boundary(len) {
            assert!(
                verify(&f, &good[..len]).is_err(),
                "truncated to {len} accepted"
            );
        }
    }
}

#[test]
fn sd_jwt_vc_typ_and_claims() {
    let c = default_provider();
    let f = fixture();
    let p = present(&f, |d| d.name.as_deref() == Some("age_equal_or_over"));
    let issuer = c.public_key(&f.issuer).unwrap();
    let v = verify_sd_jwt_vc(c, &p, IssuerKey::Key(&issuer), Some(&kb()), false, NOW).unwrap();
    assert_eq!(v.claims["vct"], "urn:kakunin:jp-pid:1");
    assert_eq!(
        v.claims["age_equal_or_over"],
        json!({}),
        "container disclosed, its entries not"
    );
    // The same credential re-signed with typ vc+sd-jwt: refused unless configured.
    let (jwt, rest) = f.issued.split_once('~').unwrap();
    let jws = Jws::parse(jwt).unwrap();
    let mut header = jws.header.clone();
    header.remove("alg");
    header.insert("typ".into(), Value::from("vc+sd-jwt"));
    let old_typ = format!(
        "{}~{rest}",
        Jws::sign(c, &f.issuer, header, &jws.payload).unwrap()
    );
    let old_typ = add_key_binding(
        c,
        &select(&old_typ, |_| false).unwrap(),
        &f.holder,
        "till-42",
        "n-123",
        NOW.unix_timestamp(),
    )
    .unwrap();
    assert_eq!(
        verify_sd_jwt_vc(
            c,
            &old_typ,
            IssuerKey::Key(&issuer),
            Some(&kb()),
            false,
            NOW
        )
        .unwrap_err(),
        VcError::Typ(Some("vc+sd-jwt".into()))
    );
    assert!(verify_sd_jwt_vc(c, &old_typ, IssuerKey::Key(&issuer), Some(&kb()), true, NOW).is_ok());
    // No x5c in the header: refused when the issuer must chain to anchors.
    let anchors = crate::trust::TrustAnchors::default();
    assert!(matches!(
        verify_sd_jwt_vc(c, &p, IssuerKey::X5c(&anchors), Some(&kb()), false, NOW),
        Err(VcError::SdJwt(SdJwtError::Jws {
            part: JwtPart::X5c,
            ..
        }))
    ));
}

#[test]
fn select_by_path() {
    let c = default_provider();
    let f = fixture();
    let (p, missing) = select_paths(c, &f.issued, &["age_equal_or_over.20", "nope"]).unwrap();
    assert_eq!(missing, vec!["nope".to_string()]);
    let p = add_key_binding(c, &p, &f.holder, "till-42", "n-123", NOW.unix_timestamp()).unwrap();
    let v = verify(&f, &p).unwrap();
    assert_eq!(v.claims["age_equal_or_over"], json!({"20": true}));
    assert_eq!(v.disclosures, 2);
    assert!(!v.claims.contains_key("name"));
}

#[test]
fn select_by_frame() {
    let c = default_provider();
    let f = fixture();
    // Disclose age 20 (inside the recursive age_equal_or_over) and the second nationality.
    let frame =
        json!({"age_equal_or_over": {"20": true, "65": false}, "nationalities": [null, true]});
    let p = select_frame(c, &f.issued, &frame).unwrap();
    let p = add_key_binding(c, &p, &f.holder, "till-42", "n-123", NOW.unix_timestamp()).unwrap();
    let v = verify(&f, &p).unwrap();
    assert_eq!(v.claims["age_equal_or_over"], json!({"20": true}));
    assert_eq!(v.claims["nationalities"], json!(["JP", "FR"]));
    assert_eq!(v.disclosures, 3);
    // An empty frame discloses nothing selectively disclosable.
    let none = select_frame(c, &f.issued, &json!({})).unwrap();
    assert_eq!(none.matches('~').count(), 1);
}

/// The JWS JSON Serialization (§8): flattened and general, the Disclosures and KB-JWT in the
/// (first) unprotected header, `sd_hash` over the compact form of the first signature.
#[test]
fn json_serialization() {
    let c = default_provider();
    let f = fixture();
    let issuer_pub = c.public_key(&f.issuer).unwrap();
    let keep_age = |d: &str| {
        Disclosure::parse(d)
            .is_some_and(|d| matches!(d.name.as_deref(), Some("age_equal_or_over" | "20")))
    };
    let mut json = JsonSdJwt::from_compact(&f.issued).unwrap();
    json.retain_disclosures(keep_age);
    json.add_key_binding(c, &f.holder, "till-42", "n-123", NOW.unix_timestamp())
        .unwrap();
    let text = json.to_json();
    assert_eq!(JsonSdJwt::parse(&text).unwrap(), json);
    let v = verify_json_presentation(c, &text, &issuer_pub, Some(&kb()), NOW).unwrap();
    assert_eq!(v.claims["age_equal_or_over"], json!({"20": true}));
    assert!(v.key_bound);

    // The same presentation in compact form verifies too: sd_hash covers the same string.
    let compact = format!("{}{}", json.sd_hash_input(), json.kb_jwt.clone().unwrap());
    verify_presentation(c, &compact, &issuer_pub, Some(&kb()), NOW).unwrap();

    // General form with a second signer; either signer's key verifies it.
    let other = c.generate_key(Curve::P256).unwrap();
    let mut general = json.clone();
    general
        .add_signature(c, &other, Map::new(), Map::new())
        .unwrap();
    let text = general.to_json();
    assert!(text.contains("\"signatures\""));
    for key in [issuer_pub.clone(), c.public_key(&other).unwrap()] {
        verify_json_presentation(c, &text, &key, Some(&kb()), NOW).unwrap();
    }
    let stranger = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
    assert_eq!(
        verify_json_presentation(c, &text, &stranger, Some(&kb()), NOW).unwrap_err(),
        SdJwtError::Jws {
            part: JwtPart::IssuerJwt,
            source: JwsError::BadSignature
        }
    );

    // Disclosures may only be in the first unprotected header.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["signatures"][1]["header"]["disclosures"] = json!([]);
    assert!(matches!(
        JsonSdJwt::parse(&v.to_string()),
        Err(SdJwtError::Malformed(_))
    ));

    // A Disclosure added after the KB-JWT was made breaks sd_hash.
    let mut v: Value = serde_json::from_str(&json.to_json()).unwrap();
    let all = JsonSdJwt::from_compact(&f.issued).unwrap().disclosures;
    v["header"]["disclosures"]
        .as_array_mut()
        .unwrap()
        .push(Value::from(
            all.iter().find(|d| !keep_age(d)).unwrap().clone(),
        ));
    assert_eq!(
        verify_json_presentation(c, &v.to_string(), &issuer_pub, Some(&kb()), NOW).unwrap_err(),
        SdJwtError::KbSdHash
    );

    // Bounds and shape.
    for bad in [
        "",
        "[]",
        "{}",
        r#"{"payload":"x"}"#,
        r#"{"payload":"x","signatures":[]}"#,
    ] {
        assert!(JsonSdJwt::parse(bad).is_err(), "{bad}");
    }
    let many = json!({"payload": "x", "signatures": vec![json!({"protected": "a", "signature": "b"}); MAX_SIGNATURES + 1]});
    assert!(matches!(
        JsonSdJwt::parse(&many.to_string()),
        Err(SdJwtError::TooLarge(_))
    ));
}

/// SD-JWT VC §3.2.2.2: `iss`, `nbf`, `exp`, `cnf`, `vct` and `status` must be in the clear;
/// each one issued as a Disclosure is refused (even though the SD-JWT itself is sound), while
/// the same credential with the claim in the clear verifies.
#[test]
fn registered_claims_in_disclosures_are_refused() {
    let c = default_provider();
    let issuer = c.generate_key(Curve::P256).unwrap();
    let holder = c.generate_key(Curve::P256).unwrap();
    let issuer_pub = c.public_key(&issuer).unwrap();
    let holder_jwk = key_to_jwk(&c.public_key(&holder).unwrap());
    for name in NEVER_DISCLOSABLE {
        let claims = json!({
            "iss": "https://issuer.example", "vct": "urn:kakunin:jp-pid:1",
            "nbf": NOW.unix_timestamp() - 60, "exp": NOW.unix_timestamp() + 86400,
            "cnf": {"jwk": holder_jwk},
            "status": {"status_list": {"idx": 3, "uri": "https://status.example/1"}},
            "name": "Yamada Hanako",
        });
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        let mut header = Map::new();
        header.insert("typ".into(), Value::from("dc+sd-jwt"));
        let pointer = format!("/{name}");
        let mk = |pointers: &[&str]| {
            let issued = issue(
                c,
                &issuer,
                header.clone(),
                &claims,
                &SdSpec {
                    pointers,
                    decoys_per_object: 1,
                    decoys_per_array: 0,
                    sd_alg: HashAlg::Sha256,
                },
            )
            .unwrap();
            let p = select(&issued, |_| true).unwrap();
            add_key_binding(c, &p, &holder, "till-42", "n-123", NOW.unix_timestamp()).unwrap()
        };
        let bad = mk(&[pointer.as_str(), "/name"]);
        let err =
            verify_sd_jwt_vc(c, &bad, IssuerKey::Key(&issuer_pub), None, false, NOW).unwrap_err();
        assert_eq!(err, VcError::SelectivelyDisclosed(name), "{name}");
        assert_eq!(err.cause(), crate::Cause::Malformed);
        let good = mk(&["/name"]);
        let v = verify_sd_jwt_vc(
            c,
            &good,
            IssuerKey::Key(&issuer_pub),
            Some(&kb()),
            false,
            NOW,
        )
        .unwrap();
        assert_eq!(v.claims["name"], "Yamada Hanako");
    }
}
