//! CRL revocation end to end: the test PKI's IACA signs a CRL (kakunin_issuer::crl), the
//! verifier checks the DS chain of a presented mdoc against it (Verifier::with_crls), and the
//! till's verdict says OK, NG `revoked` or NG `status_unknown`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::mdoc::{
    encode_device_engagement, encode_device_request, encode_items_request, RequestedElement,
    SessionTranscript, ValidityInfo,
};
use kakunin_core::trust::{parse_crl_input, CrlReason, CrlSet, RevocationCheck, TrustAnchors};
use kakunin_holder_sim::{respond, HolderPolicy, Wallet};
use kakunin_issuer::crl::{build_crl, certificate_serial, CrlEntry, CrlParams};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_verifier::{AgePolicy, NgReason, RevocationReport, StatusPolicy, Verdict, Verifier};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-24 10:00:00 UTC);
const NS: &str = "org.iso.18013.5.1";

struct Presented {
    pki: TestPki,
    response: Vec<u8>,
    transcript: Vec<u8>,
    wallet: tempfile::TempDir,
}

/// An mDL signed by `ds-1` of a fresh PKI (two DS), presented with age_over_20.
fn presented() -> Presented {
    let c = default_provider();
    let pki = TestPki::generate(c, "JP", 2, NOW - Duration::days(30)).unwrap();
    let claims = serde_json::json!({
        "family_name": "Yamada", "given_name": "Hanako", "birth_date": "2000-05-05",
        "issue_date": "2026-11-01", "expiry_date": "2031-11-01", "issuing_country": "JP",
        "issuing_authority": "Kakunin test prefecture", "document_number": "JP-000123",
        "portrait": "/9j/4AAQ", "un_distinguishing_sign": "J",
        "driving_privileges": []
    });
    let elements = elements_from_json(DocProfile::Mdl, &claims, NOW.date()).unwrap();
    let ds = &pki.document_signers[0];
    let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
    let keys: Vec<EcPrivateKey> = (0..3)
        .map(|_| c.generate_key(Curve::P256).unwrap())
        .collect();
    let publics: Vec<_> = keys.iter().map(|k| c.public_key(k).unwrap()).collect();
    let batch = issuer
        .issue_batch(
            DocProfile::Mdl.doc_type(),
            &elements,
            &publics,
            ValidityInfo {
                signed: NOW - Duration::days(1),
                valid_from: NOW - Duration::days(1),
                valid_until: NOW + Duration::days(30),
                expected_update: None,
            },
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(dir.path()).unwrap();
    for (i, (cred, key)) in batch.iter().zip(&keys).enumerate() {
        wallet
            .store(
                &format!("mdl-{i}"),
                &cred.doc_type,
                &cred.issuer_signed,
                key,
            )
            .unwrap();
    }
    let device_eph = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
    let reader_pub = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
    let t = SessionTranscript::build(
        &wrap_tag24(&encode_device_engagement(&device_eph, &[])),
        &wrap_tag24(&encode_cose_key(&reader_pub)),
        &[0xf6],
    );
    let items = encode_items_request(
        DocProfile::Mdl.doc_type(),
        &[RequestedElement {
            namespace: NS.into(),
            element: "age_over_20".into(),
            intent_to_retain: false,
        }],
    );
    let request = encode_device_request(&[(items, None)]);
    let p = respond(
        c,
        &wallet,
        &request,
        t.tagged_bytes(),
        &HolderPolicy::default(),
        None,
        NOW,
    )
    .unwrap();
    Presented {
        pki,
        response: p.response,
        transcript: t.tagged_bytes().to_vec(),
        wallet: dir,
    }
}

/// A CRL of the IACA issued at `this_update`, valid a day, revoking `revoked` DS (by index).
fn iaca_crl(p: &Presented, this_update: OffsetDateTime, revoked: &[usize]) -> Vec<u8> {
    build_crl(
        default_provider(),
        &p.pki.iaca,
        &CrlParams {
            this_update,
            next_update: Some(this_update + Duration::hours(24)),
            crl_number: 1,
            entries: revoked
                .iter()
                .map(|i| CrlEntry {
                    serial: certificate_serial(&p.pki.document_signers[*i].cert_der).unwrap(),
                    revoked_at: this_update - Duration::hours(1),
                    reason: Some(CrlReason::KeyCompromise),
                })
                .collect(),
        },
    )
    .unwrap()
}

fn crl_set(p: &Presented, crls: &[Vec<u8>]) -> CrlSet {
    let mut set = CrlSet::new();
    for der in crls {
        set.insert(
            parse_crl_input(der)
                .unwrap()
                .verify(default_provider(), &p.pki.iaca.cert_der)
                .unwrap(),
        );
    }
    set
}

fn report(
    p: &Presented,
    crls: Option<&CrlSet>,
    at: OffsetDateTime,
) -> kakunin_verifier::ResponseReport {
    let anchors = TrustAnchors::from_der_certs([p.pki.iaca.cert_der.clone()]).unwrap();
    let mut v = Verifier::new(&anchors);
    if let Some(crls) = crls {
        v = v.with_crls(crls);
    }
    v.verify_device_response(&p.response, &p.transcript, at)
}

fn verdict(r: &kakunin_verifier::ResponseReport, grace: Duration) -> Verdict {
    AgePolicy {
        status: StatusPolicy {
            offline_grace: grace,
            ..StatusPolicy::default()
        },
        ..AgePolicy::default()
    }
    .decide_mdoc(r)
    .verdict
}

#[test]
fn a_revoked_ds_is_ng_revoked_with_its_reason() {
    let p = presented();
    let set = crl_set(&p, &[iaca_crl(&p, NOW - Duration::hours(2), &[0])]);
    let r = report(&p, Some(&set), NOW);
    assert!(!r.valid());
    let doc = &r.documents[0];
    assert_eq!(doc.revocation.name(), "revoked");
    let RevocationReport::Checked(certs) = &doc.revocation else {
        panic!("{:?}", doc.revocation)
    };
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].index, 0);
    assert_eq!(
        Some(&certs[0].serial),
        doc.issuer.as_ref().unwrap().ds_serial.as_ref()
    );
    assert!(matches!(
        certs[0].check,
        RevocationCheck::Revoked {
            reason: Some(CrlReason::KeyCompromise),
            ..
        }
    ));
    // No element of a revoked document is verified.
    assert_eq!(doc.verified_value(NS, "age_over_20"), None);
    assert_eq!(verdict(&r, Duration::ZERO), Verdict::Ng(NgReason::Revoked));
    let json = r.to_json();
    let rev = &json["documents"][0]["revocation"];
    assert_eq!(json["documents"][0]["checks"]["revocation"], "revoked");
    assert_eq!(rev["certificates"][0]["reason"], "keyCompromise");
    assert_eq!(rev["certificates"][0]["result"], "revoked");
    assert!(rev["certificates"][0]["crl"]["thisUpdate"].is_string());
    assert!(rev["certificates"][0]["crl"]["nextUpdate"].is_string());
}

#[test]
fn a_ds_not_listed_is_ok_and_without_crls_not_checked() {
    let p = presented();
    // ds-2 is revoked, not ds-1 that signed.
    let set = crl_set(&p, &[iaca_crl(&p, NOW - Duration::hours(2), &[1])]);
    let r = report(&p, Some(&set), NOW);
    assert!(r.valid(), "{:?}", r.documents[0].revocation);
    assert_eq!(r.documents[0].revocation.name(), "not_revoked");
    assert_eq!(verdict(&r, Duration::ZERO), Verdict::Ok);
    // No CRLs configured: not checked, and OK.
    let r = report(&p, None, NOW);
    assert_eq!(r.documents[0].revocation, RevocationReport::NotChecked);
    assert_eq!(
        r.to_json()["documents"][0]["revocation"]["value"],
        "not_checked"
    );
    assert_eq!(verdict(&r, Duration::ZERO), Verdict::Ok);
    // CRLs configured, none of this IACA: no statement, and OK.
    let empty = CrlSet::new();
    let r = report(&p, Some(&empty), NOW);
    assert_eq!(r.documents[0].revocation.name(), "no_crl");
    assert!(r.valid());
    assert_eq!(verdict(&r, Duration::ZERO), Verdict::Ok);
}

#[test]
fn a_stale_crl_is_status_unknown_unless_within_the_grace() {
    let p = presented();
    // nextUpdate was 6 hours ago.
    let set = crl_set(&p, &[iaca_crl(&p, NOW - Duration::hours(30), &[])]);
    let r = report(&p, Some(&set), NOW);
    assert!(!r.valid());
    assert_eq!(r.documents[0].revocation.name(), "stale");
    assert_eq!(
        verdict(&r, Duration::ZERO),
        Verdict::Ng(NgReason::StatusUnknown)
    );
    assert_eq!(verdict(&r, Duration::hours(12)), Verdict::Ok);
    assert_eq!(
        verdict(&r, Duration::hours(5)),
        Verdict::Ng(NgReason::StatusUnknown)
    );
    // Within the grace, a stale CRL that lists the DS still revokes it.
    let set = crl_set(&p, &[iaca_crl(&p, NOW - Duration::hours(30), &[0])]);
    let r = report(&p, Some(&set), NOW);
    assert_eq!(
        verdict(&r, Duration::hours(12)),
        Verdict::Ng(NgReason::Revoked)
    );
    assert_eq!(
        r.to_json()["documents"][0]["revocation"]["certificates"][0]["overdueSeconds"],
        6 * 3600
    );
}

#[test]
fn a_crl_from_the_future_is_status_unknown() {
    let p = presented();
    let set = crl_set(&p, &[iaca_crl(&p, NOW + Duration::hours(1), &[])]);
    let r = report(&p, Some(&set), NOW);
    assert!(!r.valid());
    assert_eq!(r.documents[0].revocation.name(), "undetermined");
    assert_eq!(
        verdict(&r, Duration::hours(100)),
        Verdict::Ng(NgReason::StatusUnknown)
    );
}

#[test]
fn a_crl_of_another_ca_is_refused_and_never_says_not_revoked() {
    let p = presented();
    let der = build_crl(
        default_provider(),
        &p.pki.reader_root,
        &CrlParams {
            this_update: NOW,
            next_update: Some(NOW + Duration::hours(24)),
            crl_number: 1,
            entries: vec![],
        },
    )
    .unwrap();
    assert!(parse_crl_input(&der)
        .unwrap()
        .verify(default_provider(), &p.pki.iaca.cert_der)
        .is_err());
    // The reader root's CRL, verified under the reader root, does not speak for the IACA.
    let mut set = CrlSet::new();
    set.insert(
        parse_crl_input(&der)
            .unwrap()
            .verify(default_provider(), &p.pki.reader_root.cert_der)
            .unwrap(),
    );
    let r = report(&p, Some(&set), NOW);
    assert_eq!(r.documents[0].revocation.name(), "no_crl");
}

/// A DeviceRequest for age_over_20 with readerAuth by the PKI's reader, in a new session.
fn authenticated_request(p: &Presented) -> (Vec<u8>, Vec<u8>) {
    let c = default_provider();
    let device_eph = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
    let reader_pub = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
    let t = SessionTranscript::build(
        &wrap_tag24(&encode_device_engagement(&device_eph, &[])),
        &wrap_tag24(&encode_cose_key(&reader_pub)),
        &[0xf6],
    );
    let items = encode_items_request(
        DocProfile::Mdl.doc_type(),
        &[RequestedElement {
            namespace: NS.into(),
            element: "age_over_20".into(),
            intent_to_retain: false,
        }],
    );
    let ra = kakunin_core::mdoc::sign_reader_auth(
        c,
        &p.pki.reader.key,
        std::slice::from_ref(&p.pki.reader.cert_der),
        &t,
        &items,
    )
    .unwrap();
    (
        encode_device_request(&[(items, Some(ra.raw().to_vec()))]),
        t.tagged_bytes().to_vec(),
    )
}

#[test]
fn the_holder_refuses_a_revoked_reader() {
    use kakunin_holder_sim::{respond_with, ReaderIdentity, Refusal, RespondOptions};
    let p = presented();
    let c = default_provider();
    let wallet = Wallet::open(p.wallet.path()).unwrap();
    let policy = HolderPolicy {
        reader_trust: Some(
            TrustAnchors::from_der_certs([p.pki.reader_root.cert_der.clone()]).unwrap(),
        ),
        ..HolderPolicy::default()
    };
    let reader_crl = |revoked: bool, this_update: OffsetDateTime| {
        let der = build_crl(
            c,
            &p.pki.reader_root,
            &CrlParams {
                this_update,
                next_update: Some(this_update + Duration::hours(24)),
                crl_number: 1,
                entries: if revoked {
                    vec![CrlEntry {
                        serial: certificate_serial(&p.pki.reader.cert_der).unwrap(),
                        revoked_at: this_update,
                        reason: Some(CrlReason::CessationOfOperation),
                    }]
                } else {
                    vec![]
                },
            },
        )
        .unwrap();
        let mut set = CrlSet::new();
        set.insert(
            parse_crl_input(&der)
                .unwrap()
                .verify(c, &p.pki.reader_root.cert_der)
                .unwrap(),
        );
        set
    };
    let answer = |crls: &CrlSet| {
        let (request, transcript) = authenticated_request(&p);
        respond_with(
            c,
            &wallet,
            &request,
            &transcript,
            &policy,
            RespondOptions {
                entered_pin: None,
                reader_crls: Some(crls),
            },
            NOW,
        )
        .unwrap()
    };
    let revoked = reader_crl(true, NOW - Duration::hours(1));
    let doc = &answer(&revoked).documents[0];
    assert_eq!(
        doc.reader,
        ReaderIdentity::Untrusted(kakunin_core::mdoc::ReaderAuthError::Revoked {
            index: 0,
            reason: Some(CrlReason::CessationOfOperation)
        })
    );
    assert_eq!(doc.refusal, Some(Refusal::UntrustedReader));
    assert!(doc.disclosed.is_empty());
    // A stale reader-root CRL: revocation unknown, untrusted.
    let stale = reader_crl(false, NOW - Duration::hours(30));
    let doc = &answer(&stale).documents[0];
    assert_eq!(
        doc.reader,
        ReaderIdentity::Untrusted(kakunin_core::mdoc::ReaderAuthError::RevocationUnknown {
            index: 0
        })
    );
    // A current CRL not listing the reader: authenticated and answered.
    let fine = reader_crl(false, NOW - Duration::hours(1));
    let doc = &answer(&fine).documents[0];
    assert!(
        matches!(doc.reader, ReaderIdentity::Authenticated { .. }),
        "{:?}",
        doc.reader
    );
    assert_eq!(doc.refusal, None);
}
