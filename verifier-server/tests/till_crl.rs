#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The till's CRLs: a CRL in the signed trust bundle (or a CRL file of `trust.crls`) revoking
//! the DS certificate makes the API answer NG `revoked` with the audit row recording the
//! revocation check; a bundle carrying a CRL that no anchor of the till issued is refused
//! (at start, and on reload with the bundle in force kept); a CRL past its nextUpdate beyond
//! the offline grace is NG `status_unknown`.

mod common;
#[path = "common/running.rs"]
mod running;

use common::{mdoc_body, post_json, Who, World};
use kakunin_core::crypto::{default_provider, ProviderSigner};
use kakunin_core::trust::bundle::{build, BundleContents, BundleIaca};
use kakunin_core::trust::CrlReason;
use kakunin_holder_sim::DeviceAuthMode;
use kakunin_issuer::crl::{build_crl, certificate_serial, CrlEntry, CrlParams};
use kakunin_issuer::{KeyAndCert, TestPki};
use kakunin_verifier_server::Config;
use running::{files, put, start, Files, Running};
use std::time::Duration;

const AGE: &[&str] = &["age_over_20", "portrait", "family_name"];

/// A CRL of `issuer` issued at `this_update`, valid until `next_update`, revoking `revoked`.
fn crl(
    issuer: &KeyAndCert,
    this_update: time::OffsetDateTime,
    next_update: time::OffsetDateTime,
    revoked: &[&KeyAndCert],
) -> Vec<u8> {
    build_crl(
        default_provider(),
        issuer,
        &CrlParams {
            this_update,
            next_update: Some(next_update),
            crl_number: 1,
            entries: revoked
                .iter()
                .map(|c| CrlEntry {
                    serial: certificate_serial(&c.cert_der).unwrap(),
                    revoked_at: this_update - time::Duration::hours(1),
                    reason: Some(CrlReason::KeyCompromise),
                })
                .collect(),
        },
    )
    .unwrap()
}

/// A current CRL of the PKI's IACA revoking `revoked`.
fn current_crl(pki: &TestPki, revoked: &[&KeyAndCert]) -> Vec<u8> {
    let now = common::now();
    crl(
        &pki.iaca,
        now - time::Duration::hours(1),
        now + time::Duration::days(1),
        revoked,
    )
}

/// A bundle of `version` with the PKI's IACA and `crls`, signed by its trust-bundle signer.
fn bundle(pki: &TestPki, version: u64, crls: Vec<Vec<u8>>) -> Vec<u8> {
    let mut c = BundleContents::new(version, common::now());
    c.iacas.push(BundleIaca {
        cert_der: pki.iaca.cert_der.clone(),
        doc_types: vec![],
    });
    c.crls = crls;
    let signer = ProviderSigner::new(default_provider(), &pki.bundle_signer.key).unwrap();
    build(
        &c,
        &signer,
        std::slice::from_ref(&pki.bundle_signer.cert_der),
    )
    .unwrap()
}

fn with_bundle(f: &Files) -> impl FnOnce(&mut Config) + '_ {
    |c: &mut Config| {
        c.trust_bundle = Some(f.bundle.clone());
        c.bundle_signer = Some(f.anchor.clone());
    }
}

fn verify(r: &Running, s: &common::Sample) -> serde_json::Value {
    let (status, v) = post_json(r.addr, "/api/v1/verify/mdoc", &mdoc_body(s, false), None);
    assert_eq!(status, 200, "{v}");
    v
}

fn verify_sd_jwt(r: &Running, w: &World, nonce: &str) -> serde_json::Value {
    let p = w.sd_jwt(Who::Adult, "till-1", nonce);
    let body = serde_json::json!({"presentation": p, "aud": "till-1", "nonce": nonce});
    let (status, v) = post_json(r.addr, "/api/v1/verify/sd-jwt", &body.to_string(), None);
    assert_eq!(status, 200, "{v}");
    v
}

fn trust_info(r: &Running) -> serde_json::Value {
    let (status, _, body) = common::http(r.addr, "GET", "/api/v1/till/trust", &[], b"");
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

fn audit_checks(r: &Running) -> Vec<(String, Option<String>, serde_json::Value)> {
    r.rt.block_on(r.state.audit().export(None))
        .unwrap()
        .into_iter()
        .map(|row| {
            (
                row.verdict.clone(),
                row.reason.clone(),
                serde_json::from_str(&row.checks).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_bundle_crl_revoking_the_ds_is_ng_revoked_and_audited() {
    let w = World::new();
    let ds = &w.pki.document_signers[0];
    let f = files(
        &w,
        &bundle(
            &w.pki,
            1,
            vec![current_crl(&w.pki, &[ds, &w.pki.jws_signer])],
        ),
    );
    let r = start(with_bundle(&f)).unwrap();
    let info = trust_info(&r);
    assert_eq!(info["crls"], 1, "{info}");
    assert!(info["crl_next_update"].is_string(), "{info}");

    let s = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    let v = verify(&r, &s);
    assert_eq!(v["verdict"], "NG", "{v}");
    assert_eq!(v["reason"], "revoked", "{v}");
    let v = verify_sd_jwt(&r, &w, "n-1");
    assert_eq!(v["verdict"], "NG", "{v}");
    assert_eq!(v["reason"], "revoked", "{v}");
    let rows = audit_checks(&r);
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (verdict, reason, checks) in &rows {
        assert_eq!(verdict, "NG");
        assert_eq!(reason.as_deref(), Some("revoked"));
        assert_eq!(checks["revocation"], "revoked", "{checks}");
    }

    // Version 2's CRL lists nothing: the same credential is OK, and the row says why.
    put(
        &f.bundle,
        &bundle(&w.pki, 2, vec![current_crl(&w.pki, &[])]),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while verify(&r, &s)["verdict"] != "OK" {
        assert!(std::time::Instant::now() < deadline, "still NG");
        std::thread::sleep(Duration::from_millis(50));
    }
    let rows = audit_checks(&r);
    let (_, _, checks) = rows.iter().find(|(v, _, _)| v == "OK").unwrap();
    assert_eq!(checks["revocation"], "not_revoked", "{checks}");
}

#[test]
fn a_bundle_with_a_crl_of_a_foreign_ca_is_refused() {
    let w = World::new();
    let now = common::now();
    let other = TestPki::generate(default_provider(), "JP", 1, now).unwrap();
    let ds = &w.pki.document_signers[0];
    // Same DS serial, but the CRL is signed by an IACA the till does not trust.
    let foreign = crl(
        &other.iaca,
        now - time::Duration::hours(1),
        now + time::Duration::days(1),
        &[ds],
    );
    let f = files(&w, &bundle(&w.pki, 1, vec![foreign.clone()]));
    let e = start(with_bundle(&f)).err().unwrap();
    let text = e.to_string();
    assert!(
        text.contains("trust.bundle refused") && text.contains("CRL 0"),
        "{text}"
    );

    // On reload: a till with bundle 1 (revoking the DS) keeps it when version 2 carries the
    // foreign CRL instead: never OK by default.
    put(
        &f.bundle,
        &bundle(&w.pki, 1, vec![current_crl(&w.pki, &[ds])]),
    );
    let r = start(with_bundle(&f)).unwrap();
    let s = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    assert_eq!(verify(&r, &s)["reason"], "revoked");
    put(&f.bundle, &bundle(&w.pki, 2, vec![foreign]));
    std::thread::sleep(Duration::from_millis(400));
    let v = verify(&r, &s);
    assert_eq!(v["reason"], "revoked", "{v}");
    assert_eq!(trust_info(&r)["bundle_version"], 1);
}

#[test]
fn a_stale_crl_beyond_the_grace_is_status_unknown() {
    let w = World::new();
    let now = common::now();
    // Past its nextUpdate by a day, and listing nothing.
    let stale = crl(
        &w.pki.iaca,
        now - time::Duration::days(3),
        now - time::Duration::days(1),
        &[],
    );
    let f = files(&w, &bundle(&w.pki, 1, vec![stale]));
    let s = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    let r = start(with_bundle(&f)).unwrap();
    let v = verify(&r, &s);
    assert_eq!(v["verdict"], "NG", "{v}");
    assert_eq!(v["reason"], "status_unknown", "{v}");
    let rows = audit_checks(&r);
    assert_eq!(rows[0].2["revocation"], "stale", "{:?}", rows[0]);
    drop(r);
    // Within a two-day offline grace the stale CRL is believed: OK.
    let r = start(|c| {
        with_bundle(&f)(c);
        c.status_offline_grace = Duration::from_secs(2 * 86400);
    })
    .unwrap();
    assert_eq!(verify(&r, &s)["verdict"], "OK");
}

#[test]
fn crl_files_of_the_config_are_used_and_a_bad_one_stops_the_till() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let ds = &w.pki.document_signers[0];
    let good = dir.path().join("iaca.crl");
    std::fs::write(&good, current_crl(&w.pki, &[ds])).unwrap();
    let iaca = w.iaca_file();
    let r = start(|c| {
        c.trust_anchors = vec![iaca.clone()];
        c.crl_files = vec![good.clone()];
    })
    .unwrap();
    let s = w.mdoc(Who::Adult, AGE, DeviceAuthMode::Signature);
    assert_eq!(verify(&r, &s)["reason"], "revoked");
    drop(r);

    let other = TestPki::generate(default_provider(), "JP", 1, common::now()).unwrap();
    let bad = dir.path().join("foreign.crl");
    std::fs::write(&bad, current_crl(&other, &[ds])).unwrap();
    let e = start(|c| {
        c.trust_anchors = vec![iaca.clone()];
        c.crl_files = vec![bad.clone()];
    })
    .err()
    .unwrap();
    assert!(
        e.to_string().contains("CRL file foreign.crl refused"),
        "{e}"
    );
    let garbage = dir.path().join("garbage.crl");
    std::fs::write(&garbage, b"not a crl").unwrap();
    let e = start(|c| {
        c.trust_anchors = vec![iaca.clone()];
        c.crl_files = vec![garbage.clone()];
    })
    .err()
    .unwrap();
    assert!(e.to_string().contains("garbage.crl refused"), "{e}");
}
