#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The JSON written straight to bytes (kakunin_verifier::json_write, the API's answer body)
//! is byte for byte what the `serde_json::Value` tree gave before: over real reports (OK,
//! each NG reason the till gives here, SD-JWT VC answers) and over reports edited to hold
//! every CBOR value kind, text that needs escaping, status and revocation variants.

mod common;

use common::{tamper, Who, World};
use kakunin_core::cbor::Value;
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::DeviceAuthMode;
use kakunin_verifier::{AgePolicy, NgDetail, ResponseReport, Verdict, Verifier};
use kakunin_verifier_server::answer::answer_body;
use kakunin_verifier_server::verify::Report;
use serde_json::json;

/// The answer body as api.rs built it before: a `json!` tree, serialised by serde_json.
fn old_answer(
    verdict: Verdict,
    report: serde_json::Value,
    id: &str,
    detail: Option<NgDetail>,
) -> Vec<u8> {
    let mut body = json!({
        "verdict": verdict.label(),
        "reason": verdict.reason().map(|r| r.code()),
        "report": report,
        "audit_id": id,
    });
    if let (Some(d), Some(obj)) = (detail, body.as_object_mut()) {
        obj.insert("detail".into(), d.code().into());
        obj.insert("text_en".into(), d.text_en().into());
        obj.insert("text_ja".into(), d.text_ja().into());
    }
    serde_json::to_vec(&body).unwrap()
}

fn same(name: &str, old: &[u8], new: &[u8]) {
    assert_eq!(
        String::from_utf8_lossy(old),
        String::from_utf8_lossy(new),
        "{name}: the direct JSON differs from the tree's"
    );
}

/// The report and the answer, each both ways, for every detail.
fn check_report(name: &str, r: &ResponseReport, policy: &AgePolicy) -> Verdict {
    same(
        name,
        &serde_json::to_vec(&r.to_json()).unwrap(),
        &r.to_json_bytes(),
    );
    let verdict = policy.decide_mdoc(r).verdict;
    let report = Report::Mdoc(Box::new(r.clone()));
    for detail in [None, Some(NgDetail::TrustDataTooOld)] {
        for id in ["0123456789abcdef0123456789abcdef", "a\"b\\c\u{1}\n"] {
            same(
                &format!("{name} answer"),
                &old_answer(verdict, r.to_json(), id, detail),
                &answer_body(verdict, &report, id, detail),
            );
        }
    }
    verdict
}

#[test]
fn direct_report_json_equals_the_tree() {
    let w = World::new();
    let other = World::new();
    let anchors = TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap();
    let wrong_anchors = TrustAnchors::from_der_certs([other.pki.iaca.cert_der.clone()]).unwrap();
    let policy = AgePolicy::default();
    let at = common::now();
    let many = [
        "age_over_20",
        "family_name",
        "given_name",
        "birth_date",
        "portrait",
        "driving_privileges",
        "issue_date",
        "expiry_date",
        "document_number",
    ];
    let adult = w.mdoc(Who::Adult, &["age_over_20"], DeviceAuthMode::Signature);
    let rich = w.mdoc(Who::Adult, &many, DeviceAuthMode::Signature);
    let minor = w.mdoc(Who::Minor, &["age_over_20"], DeviceAuthMode::Signature);
    let expired = w.mdoc(Who::Expired, &["age_over_20"], DeviceAuthMode::Signature);
    let no_age = w.mdoc(Who::Adult, &["family_name"], DeviceAuthMode::Signature);
    let mac = w.mdoc(Who::Adult, &["age_over_20"], DeviceAuthMode::Mac);
    let status = w.mdoc_with_status(
        Who::Adult,
        &["age_over_20"],
        DeviceAuthMode::Signature,
        Some(("https://status.example/lists/1", 42)),
    );
    let verify = |a: &TrustAnchors, resp: &[u8], t: &[u8], key| {
        let mut v = Verifier::new(a);
        if let Some(k) = key {
            v = v.with_reader_key(k);
        }
        v.verify_device_response(resp, t, at)
    };
    let mut truncated = adult.response.clone();
    truncated.truncate(adult.response.len() / 2);
    let cases: Vec<(&str, ResponseReport)> = vec![
        (
            "ok",
            verify(&anchors, &adult.response, &adult.transcript, None),
        ),
        (
            "ok, many elements",
            verify(&anchors, &rich.response, &rich.transcript, None),
        ),
        (
            "under age",
            verify(&anchors, &minor.response, &minor.transcript, None),
        ),
        (
            "expired",
            verify(&anchors, &expired.response, &expired.transcript, None),
        ),
        (
            "no age element",
            verify(&anchors, &no_age.response, &no_age.transcript, None),
        ),
        (
            "tampered digest",
            verify(&anchors, &tamper(&adult.response), &adult.transcript, None),
        ),
        (
            "untrusted issuer",
            verify(&wrong_anchors, &adult.response, &adult.transcript, None),
        ),
        (
            "another session",
            verify(&anchors, &adult.response, &minor.transcript, None),
        ),
        (
            "device MAC without the reader key",
            verify(&anchors, &mac.response, &mac.transcript, None),
        ),
        (
            "device MAC",
            verify(
                &anchors,
                &mac.response,
                &mac.transcript,
                Some(&mac.reader_key),
            ),
        ),
        (
            "status reference",
            verify(&anchors, &status.response, &status.transcript, None),
        ),
        (
            "truncated",
            verify(&anchors, &truncated, &adult.transcript, None),
        ),
        ("empty", verify(&anchors, &[], &adult.transcript, None)),
        (
            "not CBOR",
            verify(&anchors, &[0xff, 0x00], &adult.transcript, None),
        ),
        (
            "an empty map",
            verify(&anchors, &[0xa0], &adult.transcript, None),
        ),
    ];
    let mut verdicts = std::collections::BTreeSet::new();
    for (name, r) in &cases {
        let v = check_report(name, r, &policy);
        verdicts.insert(v.reason().map_or("ok", |r| r.code()));
    }
    // The real reports reach OK and several NG reasons.
    assert!(verdicts.len() >= 5, "{verdicts:?}");

    // Edited reports: every CBOR kind, text to escape, status and revocation variants.
    let mut edited = cases[1].1.clone();
    edited.version = None;
    edited.status = None;
    edited.document_errors = vec![kakunin_core::mdoc::DocumentError {
        doc_type: "org.example.\"quoted\"\u{7f}\u{1f}".into(),
        code: -5,
    }];
    let doc = edited.documents.first_mut().unwrap();
    let all_kinds = Value::Map(vec![
        (Value::Text("z".into()), Value::Uint(u64::MAX)),
        (Value::Text("a".into()), Value::Nint(u64::MAX)),
        (Value::Uint(1), Value::Nint(0)),
        (
            Value::Text("1".into()),
            Value::Text("after the integer key 1".into()),
        ),
        (Value::Bytes(vec![0, 1, 0xfe]), Value::Bytes(vec![])),
        (
            Value::Text("tags".into()),
            Value::Array(vec![
                Value::Tag(0, Box::new(Value::Text("2026-01-01T00:00:00Z".into()))),
                Value::Tag(1004, Box::new(Value::Text("2026-01-01".into()))),
                Value::Tag(1004, Box::new(Value::Uint(3))),
                Value::Tag(24, Box::new(Value::Bytes(vec![0xa0]))),
            ]),
        ),
        (
            Value::Text("floats".into()),
            Value::Array(vec![
                Value::Float(1.5),
                Value::Float(-0.0),
                Value::Float(1e300),
                Value::Float(f64::NAN),
                Value::Float(f64::INFINITY),
            ]),
        ),
        (
            Value::Text("other".into()),
            Value::Array(vec![
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
                Value::Undefined,
                Value::Simple(19),
                Value::Raw(vec![0xf7]),
            ]),
        ),
        (
            Value::Text("text".into()),
            Value::Text("\"\\/\u{0}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1b} 日本語 \u{2028}".into()),
        ),
        (Value::Text("".into()), Value::Array(vec![])),
        (Value::Text("Z".into()), Value::Map(vec![])),
    ]);
    doc.elements.push(kakunin_verifier::DisclosedElement {
        namespace: "org.example\n".into(),
        identifier: "all_kinds".into(),
        value: all_kinds,
        digest_id: None,
        verified: false,
    });
    doc.not_returned = vec![kakunin_core::mdoc::ElementError {
        namespace: "org.iso.18013.5.1".into(),
        element: "portrait\t".into(),
        code: 0,
    }];
    doc.warnings = vec![kakunin_verifier::Warning::IgnoredUnprotectedHeader {
        structure: "issuerAuth",
        labels: vec![4, -7],
    }];
    doc.issuer = doc.issuer.clone().map(|mut i| {
        i.country = None;
        i.iaca_common_name = Some("IACA \"test\" \\ root".into());
        i
    });
    doc.validity = doc.validity.map(|mut v| {
        v.expected_update = Some(v.valid_until);
        v
    });
    check_report("edited", &edited, &policy);

    let statuses = [
        kakunin_core::mdoc::MsoStatus::StatusList {
            idx: 7,
            uri: "https://s.example/1".into(),
            certificate: None,
        },
        kakunin_core::mdoc::MsoStatus::IdentifierList {
            id: vec![0xde, 0xad],
            uri: "https://s.example/ids".into(),
            certificate: Some(vec![1]),
        },
        kakunin_core::mdoc::MsoStatus::Other(Value::Map(vec![(
            Value::Text("x".into()),
            Value::Uint(1),
        )])),
    ];
    use kakunin_core::status::{StatusCheck, StatusListError};
    use kakunin_verifier::{StatusOutcome, StatusRef, StatusReport};
    let reference = Some(StatusRef {
        uri: "https://s.example/1".into(),
        idx: 7,
    });
    let checks = [
        StatusReport::default(),
        StatusReport {
            reference: reference.clone(),
            outcome: StatusOutcome::NotChecked,
            stale: None,
        },
        StatusReport {
            reference: reference.clone(),
            outcome: StatusOutcome::NotPerformed,
            stale: None,
        },
        StatusReport {
            reference: reference.clone(),
            outcome: StatusOutcome::Checked(StatusCheck::Valid),
            stale: None,
        },
        StatusReport {
            reference: reference.clone(),
            outcome: StatusOutcome::Checked(StatusCheck::Invalid),
            stale: None,
        },
        StatusReport {
            reference: reference.clone(),
            outcome: StatusOutcome::Checked(StatusCheck::Other(3)),
            stale: None,
        },
        StatusReport {
            reference: reference.clone(),
            outcome: StatusOutcome::Checked(StatusCheck::Undetermined {
                reason: StatusListError::Unreachable,
            }),
            stale: Some(kakunin_verifier::status::StaleStatus {
                status: StatusCheck::Suspended,
                overdue: time::Duration::seconds(-90),
            }),
        },
    ];
    let revocations = [
        kakunin_verifier::RevocationReport::NotChecked,
        kakunin_verifier::RevocationReport::NotPerformed,
        kakunin_verifier::RevocationReport::Checked(vec![kakunin_verifier::CertRevocation {
            index: 0,
            serial: "01".into(),
            check: kakunin_core::trust::RevocationCheck::NoCrl,
        }]),
    ];
    for (i, st) in statuses.iter().enumerate() {
        for (j, sc) in checks.iter().enumerate() {
            for (k, rv) in revocations.iter().enumerate() {
                let mut r = cases[0].1.clone();
                let d = r.documents.first_mut().unwrap();
                d.status = Some(st.clone());
                d.status_check = sc.clone();
                d.revocation = rv.clone();
                check_report(
                    &format!("status {i}, check {j}, revocation {k}"),
                    &r,
                    &policy,
                );
            }
        }
    }
}

#[test]
fn direct_answer_equals_the_tree_for_sd_jwt_and_too_old() {
    let w = World::new();
    let other = World::new();
    let anchors = TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap();
    let wrong_anchors = TrustAnchors::from_der_certs([other.pki.iaca.cert_der.clone()]).unwrap();
    let policy = AgePolicy::default();
    let at = common::now();
    let (aud, nonce) = ("https://till.example", "n-0123");
    let adult = w.sd_jwt(Who::Adult, aud, nonce);
    let minor = w.sd_jwt(Who::Minor, aud, nonce);
    let cases = [
        ("ok", &anchors, adult.as_str(), aud, nonce),
        ("under age", &anchors, minor.as_str(), aud, nonce),
        ("wrong nonce", &anchors, adult.as_str(), aud, "other"),
        (
            "wrong aud",
            &anchors,
            adult.as_str(),
            "https://x.example",
            nonce,
        ),
        ("untrusted", &wrong_anchors, adult.as_str(), aud, nonce),
        ("garbage", &anchors, "not.an~sd-jwt\u{1}", aud, nonce),
    ];
    let mut reasons = std::collections::BTreeSet::new();
    for (name, a, p, aud, nonce) in cases {
        let o = kakunin_verifier_server::verify::verify_sd_jwt(a, &policy, p, aud, nonce, at);
        let verdict = o.decision.verdict;
        reasons.insert(verdict.reason().map_or("ok", |r| r.code()));
        let report = o.report.clone();
        let o = o.into_report();
        for detail in [None, o.detail, Some(NgDetail::TrustDataTooOld)] {
            same(
                name,
                &old_answer(verdict, report.clone(), "id", detail),
                &answer_body(verdict, &o.report, "id", detail),
            );
        }
    }
    assert!(reasons.len() >= 3, "{reasons:?}");
    let o = kakunin_verifier_server::verify::trust_too_old(
        kakunin_verifier_server::audit::CredentialFormat::Mdoc,
    );
    let verdict = o.decision.verdict;
    let (report, detail) = (o.report.clone(), o.detail);
    assert!(detail.is_some());
    let o = o.into_report();
    same(
        "trust too old",
        &old_answer(verdict, report, "id", detail),
        &answer_body(verdict, &o.report, "id", detail),
    );
}
