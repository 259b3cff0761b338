//! End to end across the crates: issue an mdoc batch, request age_over_20, present from the
//! holder simulator, verify — and the verifier learns exactly what was asked and approved.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use base64::Engine;
use kakunin_core::cbor::{wrap_tag24, Value};
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::mdoc::{
    encode_device_engagement, encode_device_request, encode_items_request, sign_reader_auth,
    RequestedElement, SessionTranscript, ValidityInfo,
};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::{
    respond, Consent, DeviceAuthMode, HolderPolicy, Pin, ReaderIdentity, Refusal, Wallet, Withheld,
};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_verifier::Verifier;
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2026-11-24 10:00:00 UTC);
const NS: &str = "org.iso.18013.5.1";

fn portrait_b64() -> String {
    let hex_text = include_str!("../spec-vectors/data/annex-d/portrait.jpg.hex");
    base64::engine::general_purpose::STANDARD.encode(hex::decode(hex_text.trim()).unwrap())
}

fn claims(birth: &str) -> serde_json::Value {
    serde_json::json!({
        "family_name": "Yamada", "given_name": "Hanako", "birth_date": birth,
        "issue_date": "2026-11-01", "expiry_date": "2031-11-01", "issuing_country": "JP",
        "issuing_authority": "Kakunin test prefecture", "document_number": "JP-000123",
        "portrait": portrait_b64(), "un_distinguishing_sign": "J",
        "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2020-01-01", "expiry_date": "2031-11-01"}]
    })
}

struct World {
    pki: TestPki,
    wallet_dir: tempfile::TempDir,
    wallet: Wallet,
}

fn validity(from: OffsetDateTime, days: i64) -> ValidityInfo {
    ValidityInfo {
        signed: from,
        valid_from: from,
        valid_until: from + time::Duration::days(days),
        expected_update: None,
    }
}

fn world(count: usize, birth: &str, valid: ValidityInfo) -> World {
    let c = default_provider();
    let pki = TestPki::generate(c, "JP", 1, NOW - time::Duration::days(30)).unwrap();
    let elements = elements_from_json(DocProfile::Mdl, &claims(birth), NOW.date()).unwrap();
    let ds = &pki.document_signers[0];
    let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
    let keys: Vec<EcPrivateKey> = (0..count)
        .map(|_| c.generate_key(Curve::P256).unwrap())
        .collect();
    let publics: Vec<_> = keys.iter().map(|k| c.public_key(k).unwrap()).collect();
    let batch = issuer
        .issue_batch(DocProfile::Mdl.doc_type(), &elements, &publics, valid)
        .unwrap();
    let wallet_dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(wallet_dir.path()).unwrap();
    for (i, (cred, key)) in batch.iter().zip(&keys).enumerate() {
        wallet
            .store(
                &format!("mdl-{i:03}"),
                &cred.doc_type,
                &cred.issuer_signed,
                key,
            )
            .unwrap();
    }
    World {
        pki,
        wallet_dir,
        wallet,
    }
}

struct Session {
    transcript: Vec<u8>,
    reader_key: EcPrivateKey,
}

fn session() -> Session {
    let c = default_provider();
    let device_eph = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
    let reader_key = c.generate_key(Curve::P256).unwrap();
    let reader_pub = c.public_key(&reader_key).unwrap();
    let de = wrap_tag24(&encode_device_engagement(&device_eph, &[]));
    let ek = wrap_tag24(&encode_cose_key(&reader_pub));
    let t = SessionTranscript::build(&de, &ek, &[0xf6]);
    Session {
        transcript: t.tagged_bytes().to_vec(),
        reader_key,
    }
}

fn request(w: &World, s: &Session, elements: &[&str]) -> Vec<u8> {
    let c = default_provider();
    let wanted: Vec<RequestedElement> = elements
        .iter()
        .map(|e| RequestedElement {
            namespace: NS.into(),
            element: e.to_string(),
            intent_to_retain: false,
        })
        .collect();
    let items = encode_items_request(DocProfile::Mdl.doc_type(), &wanted);
    let t = SessionTranscript::from_bytes(&s.transcript).unwrap();
    let ra = sign_reader_auth(
        c,
        &w.pki.reader.key,
        std::slice::from_ref(&w.pki.reader.cert_der),
        &t,
        &items,
    )
    .unwrap();
    encode_device_request(&[(items, Some(ra.raw().to_vec()))])
}

fn policy(w: &World) -> HolderPolicy {
    HolderPolicy {
        reader_trust: Some(
            TrustAnchors::from_der_certs([w.pki.reader_root.cert_der.clone()]).unwrap(),
        ),
        require_reader_auth: true,
        ..HolderPolicy::default()
    }
}

fn verify(
    w: &World,
    s: &Session,
    response: &[u8],
    at: OffsetDateTime,
) -> kakunin_verifier::ResponseReport {
    let anchors = TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap();
    Verifier::new(&anchors)
        .with_reader_key(&s.reader_key)
        .verify_device_response(response, &s.transcript, at)
}

fn disclosed(r: &kakunin_verifier::ResponseReport) -> Vec<(String, Value)> {
    r.documents[0]
        .elements
        .iter()
        .filter(|e| e.verified)
        .map(|e| (e.identifier.clone(), e.value.clone()))
        .collect()
}

#[test]
fn age_over_20_only_is_disclosed() {
    let w = world(3, "2000-05-05", validity(NOW - time::Duration::days(1), 30));
    let s = session();
    let p = respond(
        default_provider(),
        &w.wallet,
        &request(&w, &s, &["age_over_20"]),
        &s.transcript,
        &policy(&w),
        None,
        NOW,
    )
    .unwrap();
    let doc = &p.documents[0];
    assert!(
        matches!(doc.reader, ReaderIdentity::Authenticated { ref common_name, .. } if common_name.as_deref() == Some("Kakunin test reader"))
    );
    assert_eq!(
        doc.disclosed,
        vec![(NS.to_string(), "age_over_20".to_string(), false)]
    );
    assert_eq!(doc.remaining, 2);
    let r = verify(&w, &s, &p.response, NOW);
    assert!(r.valid(), "{:?}", r.all_errors().collect::<Vec<_>>());
    assert_eq!(
        disclosed(&r),
        vec![("age_over_20".to_string(), Value::Bool(true))]
    );
    assert_eq!(r.documents[0].device_auth, "deviceSignature");
}

#[test]
fn age_over_20_and_portrait_and_nothing_else() {
    let w = world(1, "2000-05-05", validity(NOW - time::Duration::days(1), 30));
    let s = session();
    let p = respond(
        default_provider(),
        &w.wallet,
        &request(&w, &s, &["age_over_20", "portrait"]),
        &s.transcript,
        &policy(&w),
        None,
        NOW,
    )
    .unwrap();
    let r = verify(&w, &s, &p.response, NOW);
    assert!(r.valid());
    let names: Vec<String> = disclosed(&r).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["age_over_20", "portrait"]);
    // Nothing beyond the two elements is in the response bytes: no name, no birth date.
    let text = String::from_utf8_lossy(&p.response);
    assert!(
        !text.contains("Yamada") && !text.contains("birth_date") && !text.contains("2000-05-05")
    );
}

#[test]
fn under_20_gets_false_and_device_mac_works() {
    let w = world(1, "2008-01-01", validity(NOW - time::Duration::days(1), 30));
    let s = session();
    let pol = HolderPolicy {
        device_auth: DeviceAuthMode::Mac,
        ..policy(&w)
    };
    let p = respond(
        default_provider(),
        &w.wallet,
        &request(&w, &s, &["age_over_20"]),
        &s.transcript,
        &pol,
        None,
        NOW,
    )
    .unwrap();
    let r = verify(&w, &s, &p.response, NOW);
    assert!(r.valid(), "{:?}", r.all_errors().collect::<Vec<_>>());
    assert_eq!(r.documents[0].device_auth, "deviceMac");
    assert_eq!(
        disclosed(&r),
        vec![("age_over_20".to_string(), Value::Bool(false))]
    );
}

#[test]
fn second_presentation_uses_another_credential() {
    let w = world(2, "2000-05-05", validity(NOW - time::Duration::days(1), 30));
    let (s1, s2) = (session(), session());
    let p1 = respond(
        default_provider(),
        &w.wallet,
        &request(&w, &s1, &["age_over_20"]),
        &s1.transcript,
        &policy(&w),
        None,
        NOW,
    )
    .unwrap();
    let p2 = respond(
        default_provider(),
        &w.wallet,
        &request(&w, &s2, &["age_over_20"]),
        &s2.transcript,
        &policy(&w),
        None,
        NOW,
    )
    .unwrap();
    assert_ne!(p1.documents[0].credential_id, p2.documents[0].credential_id);
    let (r1, r2) = (
        verify(&w, &s1, &p1.response, NOW),
        verify(&w, &s2, &p2.response, NOW),
    );
    assert!(r1.valid() && r2.valid());
    // Different MSOs (so device keys and digests), different salted items.
    let is = |p: &kakunin_holder_sim::Presentation| {
        let resp = kakunin_core::mdoc::DeviceResponse::from_bytes(&p.response).unwrap();
        resp.documents[0].issuer_signed.clone()
    };
    let (a, b) = (is(&p1), is(&p2));
    assert_ne!(a.issuer_auth.payload(), b.issuer_auth.payload());
    assert_ne!(a.name_spaces[0].items[0].raw, b.name_spaces[0].items[0].raw);
    assert_ne!(
        a.name_spaces[0].items[0].random,
        b.name_spaces[0].items[0].random
    );
    // The batch is now spent: the third request is refused and says so.
    let s3 = session();
    let p3 = respond(
        default_provider(),
        &w.wallet,
        &request(&w, &s3, &["age_over_20"]),
        &s3.transcript,
        &policy(&w),
        None,
        NOW,
    )
    .unwrap();
    assert_eq!(p3.documents[0].refusal, Some(Refusal::BatchExhausted));
    let r3 = verify(&w, &s3, &p3.response, NOW);
    assert!(!r3.valid());
    assert_eq!(r3.document_errors.len(), 1);
}

#[test]
fn denied_element_is_absent_and_reported() {
    let w = world(1, "2000-05-05", validity(NOW - time::Duration::days(1), 30));
    let s = session();
    let pol = HolderPolicy {
        consent: Consent::ApproveListed(vec!["age_over_20".into()]),
        ..policy(&w)
    };
    let p = respond(
        default_provider(),
        &w.wallet,
        &request(&w, &s, &["age_over_20", "portrait"]),
        &s.transcript,
        &pol,
        None,
        NOW,
    )
    .unwrap();
    assert_eq!(
        p.documents[0].withheld,
        vec![(
            NS.to_string(),
            "portrait".to_string(),
            Withheld::NotApproved
        )]
    );
    let r = verify(&w, &s, &p.response, NOW);
    assert!(r.valid());
    assert_eq!(disclosed(&r).len(), 1);
    let nr = &r.documents[0].not_returned;
    assert_eq!(nr.len(), 1);
    assert_eq!((nr[0].element.as_str(), nr[0].code), ("portrait", 0));
}

#[test]
fn expired_and_not_yet_valid_are_rejected() {
    let w = world(
        2,
        "2000-05-05",
        validity(NOW - time::Duration::days(40), 30),
    );
    let s = session();
    let p = respond(
        default_provider(),
        &w.wallet,
        &request(&w, &s, &["age_over_20"]),
        &s.transcript,
        &policy(&w),
        None,
        NOW,
    )
    .unwrap();
    let r = verify(&w, &s, &p.response, NOW);
    assert!(r
        .all_errors()
        .any(|e| matches!(e, kakunin_verifier::CheckError::Expired { .. })));
    let w2 = world(1, "2000-05-05", validity(NOW + time::Duration::days(2), 30));
    let s2 = session();
    let p2 = respond(
        default_provider(),
        &w2.wallet,
        &request(&w2, &s2, &["age_over_20"]),
        &s2.transcript,
        &policy(&w2),
        None,
        NOW,
    )
    .unwrap();
    let r2 = verify(&w2, &s2, &p2.response, NOW);
    assert!(r2
        .all_errors()
        .any(|e| matches!(e, kakunin_verifier::CheckError::NotYetValid { .. })));
    assert!(!r.valid() && !r2.valid());
}

#[test]
fn pin_gate_and_untrusted_reader() {
    let w = world(2, "2000-05-05", validity(NOW - time::Duration::days(1), 30));
    let s = session();
    let pol = HolderPolicy {
        unlock_pin: Some(std::sync::Arc::new(Pin::from_bytes(b"1234").unwrap())),
        ..policy(&w)
    };
    let req = request(&w, &s, &["age_over_20"]);
    let denied = respond(
        default_provider(),
        &w.wallet,
        &req,
        &s.transcript,
        &pol,
        Some(&Pin::from_bytes(b"9999").unwrap()),
        NOW,
    )
    .unwrap();
    assert_eq!(denied.documents[0].refusal, Some(Refusal::PinRejected));
    let ok = respond(
        default_provider(),
        &w.wallet,
        &req,
        &s.transcript,
        &pol,
        Some(&Pin::from_bytes(b"1234").unwrap()),
        NOW,
    )
    .unwrap();
    assert_eq!(ok.documents[0].refusal, None);
    // A reader certified by another root is refused.
    let other = TestPki::generate(default_provider(), "JP", 1, NOW).unwrap();
    let pol2 = HolderPolicy {
        reader_trust: Some(
            TrustAnchors::from_der_certs([other.reader_root.cert_der.clone()]).unwrap(),
        ),
        ..policy(&w)
    };
    let s2 = session();
    let p = respond(
        default_provider(),
        &w.wallet,
        &request(&w, &s2, &["age_over_20"]),
        &s2.transcript,
        &pol2,
        None,
        NOW,
    )
    .unwrap();
    assert_eq!(p.documents[0].refusal, Some(Refusal::UntrustedReader));
    assert!(matches!(
        p.documents[0].reader,
        ReaderIdentity::Untrusted(_)
    ));
    drop(w.wallet_dir);
}
