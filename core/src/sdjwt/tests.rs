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
    add_key_binding(
        c,
        &p,
        &f.holder,
        HashAlg::Sha256,
        "till-42",
        "n-123",
        NOW.unix_timestamp(),
    )
    .unwrap()
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
    add_key_binding(
        c,
        &p,
        &f.holder,
        HashAlg::Sha256,
        "till-42",
        "n-123",
        NOW.unix_timestamp(),
    )
    .unwrap()
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
        HashAlg::Sha256,
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
        let p = add_key_binding(
            c,
            &p,
            &f.holder,
            HashAlg::Sha256,
            "till-42",
            "n-123",
            NOW.unix_timestamp(),
        )
        .unwrap();
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
    let wrong_aud = add_key_binding(
        c,
        &sel,
        &f.holder,
        HashAlg::Sha256,
        "other",
        "n-123",
        NOW.unix_timestamp(),
    )
    .unwrap();
    assert_eq!(verify(&f, &wrong_aud).unwrap_err(), SdJwtError::KbAudience);
    let wrong_nonce = add_key_binding(
        c,
        &sel,
        &f.holder,
        HashAlg::Sha256,
        "till-42",
        "n-999",
        NOW.unix_timestamp(),
    )
    .unwrap();
    assert_eq!(verify(&f, &wrong_nonce).unwrap_err(), SdJwtError::KbNonce);
    let old = add_key_binding(
        c,
        &sel,
        &f.holder,
        HashAlg::Sha256,
        "till-42",
        "n-123",
        NOW.unix_timestamp() - 3600,
    )
    .unwrap();
    assert_eq!(verify(&f, &old).unwrap_err(), SdJwtError::KbIat);
    // KB signed by another key.
    let stranger = c.generate_key(Curve::P256).unwrap();
    let forged = add_key_binding(
        c,
        &sel,
        &stranger,
        HashAlg::Sha256,
        "till-42",
        "n-123",
        NOW.unix_timestamp(),
    )
    .unwrap();
    assert!(matches!(
        verify(&f, &forged),
        Err(SdJwtError::Jws {
            part: "KB-JWT",
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
        HashAlg::Sha256,
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
        Err(VcError::SdJwt(SdJwtError::Jws { part: "x5c", .. }))
    ));
}

#[test]
fn select_by_path() {
    let c = default_provider();
    let f = fixture();
    let (p, missing) = select_paths(c, &f.issued, &["age_equal_or_over.20", "nope"]).unwrap();
    assert_eq!(missing, vec!["nope".to_string()]);
    let p = add_key_binding(
        c,
        &p,
        &f.holder,
        HashAlg::Sha256,
        "till-42",
        "n-123",
        NOW.unix_timestamp(),
    )
    .unwrap();
    let v = verify(&f, &p).unwrap();
    assert_eq!(v.claims["age_equal_or_over"], json!({"20": true}));
    assert_eq!(v.disclosures, 2);
    assert!(!v.claims.contains_key("name"));
}
