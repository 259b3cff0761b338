#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The till with a signed trust bundle: its IACA and status lists in force, a revoked
//! credential NG `revoked` with the audit row saying so, a newer bundle picked up without
//! restart, older/equal/foreign/malformed files refused with the old bundle kept, and NG
//! "trust data too old" past the policy's maximum age.

mod common;
#[path = "common/running.rs"]
mod running;

use common::{http, mdoc_body, post_json, Who, World};
use kakunin_core::crypto::{default_provider, ProviderSigner};
use kakunin_core::status::{build_jwt, Bits, KeyReference, StatusList, StatusListClaims};
use kakunin_core::trust::bundle::{build, BundleContents, BundleIaca, BundleStatusList};
use kakunin_holder_sim::DeviceAuthMode;
use kakunin_issuer::TestPki;
use running::{files, put, start, Running};
use std::time::{Duration, Instant};

const URI: &str = "https://status.kakunin.invalid/lists/1";
const AGE: &[&str] = &["age_over_20", "portrait", "family_name"];

/// A 1-bit list at [`URI`] with `invalid` set to INVALID, signed by the PKI's DS (which
/// chains to the credentials' IACA, as the status check requires).
fn status_list(pki: &TestPki, invalid: &[u64]) -> Vec<u8> {
    let c = default_provider();
    let ds = &pki.document_signers[0];
    let signer = ProviderSigner::new(c, &ds.key).unwrap();
    let mut list = StatusList::new(Bits::One, 16).unwrap();
    for i in invalid {
        list.set(*i, 1).unwrap();
    }
    let now = common::now();
    let mut claims = StatusListClaims::new(URI, now - time::Duration::minutes(1));
    claims.exp = Some(now + time::Duration::days(1));
    let key = KeyReference {
        kid: None,
        x5chain: vec![ds.cert_der.clone()],
    };
    build_jwt(&signer, &list, &claims, &key)
        .unwrap()
        .into_bytes()
}

/// A bundle of `version`, created at `created`, with the IACA and the list, signed by
/// `signer_pki`'s trust-bundle signer.
fn bundle(
    pki: &TestPki,
    signer_pki: &TestPki,
    version: u64,
    created: time::OffsetDateTime,
    invalid: &[u64],
) -> Vec<u8> {
    let mut c = BundleContents::new(version, created);
    c.iacas.push(BundleIaca {
        cert_der: pki.iaca.cert_der.clone(),
        doc_types: vec![],
    });
    c.status_lists.push(BundleStatusList {
        uri: URI.into(),
        token: status_list(pki, invalid),
        fetched_at: common::now(),
    });
    let signer = ProviderSigner::new(default_provider(), &signer_pki.bundle_signer.key).unwrap();
    build(
        &c,
        &signer,
        std::slice::from_ref(&signer_pki.bundle_signer.cert_der),
    )
    .unwrap()
}

fn verify(r: &Running, s: &common::Sample) -> serde_json::Value {
    let (status, v) = post_json(r.addr, "/api/v1/verify/mdoc", &mdoc_body(s, false), None);
    assert_eq!(status, 200, "{v}");
    v
}

/// Poll until the verdict of `s` is `want` (the reload interval is 100 ms).
fn wait_for(r: &Running, s: &common::Sample, want: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v = verify(r, s);
        if v["verdict"] == want {
            return v;
        }
        assert!(Instant::now() < deadline, "still {v}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn trust_info(r: &Running) -> serde_json::Value {
    let (status, _, body) = http(r.addr, "GET", "/api/v1/till/trust", &[], b"");
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn revoked_in_the_bundle_is_ng_and_a_newer_bundle_is_picked_up_without_restart() {
    let w = World::new();
    let now = common::now();
    let f = files(&w, &bundle(&w.pki, &w.pki, 10, now, &[1]));
    let r = start(|c| {
        c.trust_bundle = Some(f.bundle.clone());
        c.bundle_signer = Some(f.anchor.clone());
    })
    .unwrap();
    let info = trust_info(&r);
    assert_eq!(info["bundle_version"], 10, "{info}");
    assert_eq!(info["anchors"], 1, "{info}");

    let revoked = w.mdoc_with_status(Who::Adult, AGE, DeviceAuthMode::Signature, Some((URI, 1)));
    let fine = w.mdoc_with_status(Who::Adult, AGE, DeviceAuthMode::Signature, Some((URI, 0)));
    let unlisted = w.mdoc_with_status(
        Who::Adult,
        AGE,
        DeviceAuthMode::Signature,
        Some(("https://status.kakunin.invalid/other", 0)),
    );
    let v = verify(&r, &revoked);
    assert_eq!(v["verdict"], "NG", "{v}");
    assert_eq!(v["reason"], "revoked", "{v}");
    assert_eq!(verify(&r, &fine)["verdict"], "OK");
    assert_eq!(verify(&r, &unlisted)["reason"], "status_unknown");
    let rows = r.rt.block_on(r.state.audit().export(None)).unwrap();
    let row = rows
        .iter()
        .find(|row| row.reason.as_deref() == Some("revoked"))
        .unwrap();
    let checks: serde_json::Value = serde_json::from_str(&row.checks).unwrap();
    assert_eq!(checks["status"], "invalid", "{checks}");
    let ok = rows.iter().find(|row| row.verdict == "OK").unwrap();
    let checks: serde_json::Value = serde_json::from_str(&ok.checks).unwrap();
    assert_eq!(checks["status"], "valid", "{checks}");

    // Version 11 reinstates index 1: picked up on the reload interval, no restart.
    put(&f.bundle, &bundle(&w.pki, &w.pki, 11, now, &[]));
    wait_for(&r, &revoked, "OK");
    assert_eq!(trust_info(&r)["bundle_version"], 11);

    // Older, equal, foreign-signed and malformed files are refused; version 11 stays.
    let other = TestPki::generate(default_provider(), "JP", 1, now).unwrap();
    for (what, bytes) in [
        ("older", bundle(&w.pki, &w.pki, 9, now, &[1])),
        ("equal", bundle(&w.pki, &w.pki, 11, now, &[1])),
        ("foreign signer", bundle(&w.pki, &other, 99, now, &[1])),
        ("malformed", b"\xd2\x84garbage".to_vec()),
        ("empty", Vec::new()),
    ] {
        put(&f.bundle, &bytes);
        std::thread::sleep(Duration::from_millis(350));
        let v = verify(&r, &revoked);
        assert_eq!(v["verdict"], "OK", "{what}: {v}");
        assert_eq!(trust_info(&r)["bundle_version"], 11, "{what}");
    }
    // And a newer, valid one after the refusals is still taken.
    put(&f.bundle, &bundle(&w.pki, &w.pki, 12, now, &[1]));
    wait_for(&r, &revoked, "NG");
    assert_eq!(trust_info(&r)["bundle_version"], 12);
}

#[test]
fn past_the_maximum_age_every_verification_is_trust_data_too_old() {
    let w = World::new();
    let created = common::now() - time::Duration::hours(2);
    let f = files(&w, &bundle(&w.pki, &w.pki, 1, created, &[]));
    let r = start(|c| {
        c.trust_bundle = Some(f.bundle.clone());
        c.bundle_signer = Some(f.anchor.clone());
        c.max_trust_age = Some(Duration::from_secs(3600));
    })
    .unwrap();
    let age = trust_info(&r)["age_seconds"].as_i64().unwrap();
    assert!((7190..7300).contains(&age), "{age}");
    let fine = w.mdoc_with_status(Who::Adult, AGE, DeviceAuthMode::Signature, Some((URI, 0)));
    let v = verify(&r, &fine);
    assert_eq!(v["verdict"], "NG", "{v}");
    assert_eq!(v["reason"], "status_unknown", "{v}");
    assert_eq!(v["detail"], "trust_data_too_old", "{v}");
    assert!(
        v["text_en"]
            .as_str()
            .unwrap()
            .starts_with("Trust data too old"),
        "{v}"
    );
    assert!(
        v["text_ja"]
            .as_str()
            .unwrap()
            .contains("信頼データが古すぎます"),
        "{v}"
    );
    let p = w.sd_jwt(Who::Adult, "till-1", "n-1");
    let body = serde_json::json!({"presentation": p, "aud": "till-1", "nonce": "n-1"});
    let (_, v) = post_json(r.addr, "/api/v1/verify/sd-jwt", &body.to_string(), None);
    assert_eq!(v["reason"], "status_unknown", "{v}");
    assert_eq!(v["detail"], "trust_data_too_old", "{v}");
    let rows = r.rt.block_on(r.state.audit().export(None)).unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert_eq!(row.reason.as_deref(), Some("status_unknown"));
        assert!(row.checks.contains("too_old"), "{}", row.checks);
    }
    // A fresh bundle (greater version) lifts it without restart.
    put(&f.bundle, &bundle(&w.pki, &w.pki, 2, common::now(), &[]));
    wait_for(&r, &fine, "OK");
}

#[test]
fn a_bundle_that_does_not_verify_stops_the_till_from_starting() {
    let w = World::new();
    let other = TestPki::generate(default_provider(), "JP", 1, common::now()).unwrap();
    let f = files(&w, &bundle(&w.pki, &other, 1, common::now(), &[]));
    let e = start(|c| {
        c.trust_bundle = Some(f.bundle.clone());
        c.bundle_signer = Some(f.anchor.clone());
    })
    .err()
    .unwrap();
    assert!(e.to_string().contains("refused"), "{e}");
    // And the configuration refuses a bundle without its signer anchor.
    let e = start(|c| c.trust_bundle = Some(f.bundle.clone()))
        .err()
        .unwrap();
    assert!(e.to_string().contains("bundle_signer"), "{e}");
}
