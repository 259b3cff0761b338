#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! CRL checks inside a reader-flow session (what a till's BLE and NFC sessions run): a
//! session given a CRL of the IACA that lists the DS certificate (mdoc) or the SD-JWT VC
//! signer (`x5c`) is NG `revoked`; a CRL listing nothing is OK, and a CRL past its
//! nextUpdate is NG `status_unknown`; without CRLs the same credential passes.

use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_core::trust::{verify_crl, CrlReason, CrlSet, TrustAnchors};
use kakunin_holder_sim::{CredentialStore, HolderPolicy, MemoryStore};
use kakunin_issuer::crl::{build_crl, certificate_serial, CrlEntry, CrlParams};
use kakunin_issuer::sd_jwt_vc::{issue_sd_jwt_vcs, SdJwtVcSettings, JP_PID_VCT};
use kakunin_issuer::{elements_from_json, DocProfile, KeyAndCert, MdocIssuer, TestPki};
use kakunin_verifier::flow::{ReaderConfig, SdJwtMode};
use kakunin_verifier::status::MemoryStatusSource;
use kakunin_verifier::{NgReason, RevocationReport, Verdict};
use std::sync::Arc;
use time::macros::datetime;
use time::OffsetDateTime;

mod common;

fn now() -> OffsetDateTime {
    datetime!(2026-12-01 09:00 UTC)
}

fn mdl_store(pki: &TestPki) -> MemoryStore {
    let c = default_provider();
    let mut claims: serde_json::Value =
        serde_json::from_str(include_str!("../docs/examples/mdl-claims.json")).unwrap();
    claims["birth_date"] = "1990-01-01".into();
    let elements = elements_from_json(DocProfile::Mdl, &claims, now().date()).unwrap();
    let ds = &pki.document_signers[0];
    let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
    let key = c.generate_key(Curve::P256).unwrap();
    let signed = now() - time::Duration::days(10);
    let cred = issuer
        .issue(
            DocProfile::Mdl.doc_type(),
            &elements,
            &c.public_key(&key).unwrap(),
            ValidityInfo {
                signed,
                valid_from: signed,
                valid_until: now() + time::Duration::days(30),
                expected_update: None,
            },
            None,
        )
        .unwrap();
    let store = MemoryStore::new();
    store
        .store("mdl", &cred.doc_type, &cred.issuer_signed, &key)
        .unwrap();
    store
}

fn pid_store(pki: &TestPki) -> MemoryStore {
    let c = default_provider();
    let claims: serde_json::Value =
        serde_json::from_str(include_str!("../docs/examples/jp-pid-claims.json")).unwrap();
    let elements = elements_from_json(DocProfile::JpPid, &claims, now().date()).unwrap();
    let key: EcPrivateKey = c.generate_key(Curve::P256).unwrap();
    let creds = issue_sd_jwt_vcs(
        c,
        &pki.jws_signer.key,
        std::slice::from_ref(&pki.jws_signer.cert_der),
        &elements,
        &[c.public_key(&key).unwrap()],
        &SdJwtVcSettings {
            issuer_id: "https://issuer.example",
            valid_from: (now() - time::Duration::days(1)).unix_timestamp(),
            valid_until: (now() + time::Duration::days(1)).unix_timestamp(),
            ..SdJwtVcSettings::default()
        },
    )
    .unwrap();
    let store = MemoryStore::new();
    store
        .store_sd_jwt("sd-0", JP_PID_VCT, &creds[0], &key)
        .unwrap();
    store
}

/// A verified CRL of the IACA, issued `age` ago and valid a day from then, listing `revoked`.
fn crls(pki: &TestPki, age: time::Duration, revoked: &[&KeyAndCert]) -> Arc<CrlSet> {
    let this_update = now() - age;
    let der = build_crl(
        default_provider(),
        &pki.iaca,
        &CrlParams {
            this_update,
            next_update: Some(this_update + time::Duration::days(1)),
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
    .unwrap();
    let crl = verify_crl(default_provider(), &der, [pki.iaca.cert_der.as_slice()]).unwrap();
    let mut set = CrlSet::new();
    set.insert(crl);
    Arc::new(set)
}

fn config(pki: &TestPki) -> ReaderConfig {
    ReaderConfig::new(TrustAnchors::from_der_certs([&pki.iaca.cert_der]).unwrap())
}

#[test]
fn session_with_a_crl_revoking_the_ds_is_ng_revoked() {
    let pki = TestPki::generate(
        default_provider(),
        "JP",
        1,
        now() - time::Duration::days(90),
    )
    .unwrap();
    let ds = &pki.document_signers[0];
    let hour = time::Duration::hours(1);
    let run = |config: &ReaderConfig| {
        // A fresh wallet each time: a presented credential is not shown twice.
        common::run_qr(config, &mdl_store(&pki), HolderPolicy::default(), now()).0
    };
    let out = run(&config(&pki).with_crls(crls(&pki, hour, &[ds])));
    assert_eq!(out.decision.verdict, Verdict::Ng(NgReason::Revoked));
    let doc = &out.mdoc.as_ref().unwrap().documents[0];
    assert_eq!(doc.revocation.name(), "revoked");

    let out = run(&config(&pki).with_crls(crls(&pki, hour, &[])));
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.failure);
    assert_eq!(
        out.mdoc.as_ref().unwrap().documents[0].revocation.name(),
        "not_revoked"
    );
    // Past its nextUpdate (issued two days ago, valid one): status unknown.
    let out = run(&config(&pki).with_crls(crls(&pki, time::Duration::days(2), &[])));
    assert_eq!(out.decision.verdict, Verdict::Ng(NgReason::StatusUnknown));
    // Without CRLs the same credential passes: the check is real.
    let out = run(&config(&pki));
    assert_eq!(out.decision.verdict, Verdict::Ok);
    assert_eq!(
        out.mdoc.as_ref().unwrap().documents[0].revocation,
        RevocationReport::NotChecked
    );
}

#[test]
fn sd_jwt_session_with_a_crl_revoking_the_signer_is_ng_revoked() {
    let pki = TestPki::generate(
        default_provider(),
        "JP",
        1,
        now() - time::Duration::days(90),
    )
    .unwrap();
    let run = |crls: Option<Arc<CrlSet>>| {
        let mut c = config(&pki);
        c.sd_jwt = SdJwtMode::Only;
        c.policy.portrait = false;
        if let Some(crls) = crls {
            c = c.with_crls(crls);
        }
        common::run_qr(&c, &pid_store(&pki), HolderPolicy::default(), now()).0
    };
    let hour = time::Duration::hours(1);
    let out = run(Some(crls(&pki, hour, &[&pki.jws_signer])));
    assert_eq!(out.decision.verdict, Verdict::Ng(NgReason::Revoked));
    assert_eq!(out.sd_jwt_revocation.len(), 1);
    assert_eq!(out.sd_jwt_revocation[0].name(), "revoked");
    // The till's audit row of this session records the revocation outcome (no values).
    let facts = kakunin_verifier_server::session::flow_facts(&out);
    assert_eq!(facts.checks["revocation"], "revoked", "{}", facts.checks);
    let out = run(Some(crls(&pki, hour, &[])));
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.failure);
    assert_eq!(out.sd_jwt_revocation[0].name(), "not_revoked");
    let out = run(None);
    assert_eq!(out.decision.verdict, Verdict::Ok);
    assert!(out.sd_jwt_revocation.is_empty());
}

#[test]
fn sd_jwt_session_audit_facts_carry_the_status_outcome() {
    let pki = TestPki::generate(
        default_provider(),
        "JP",
        1,
        now() - time::Duration::days(90),
    )
    .unwrap();
    let mut c = config(&pki).with_status_source(Arc::new(MemoryStatusSource::new()));
    c.sd_jwt = SdJwtMode::Only;
    c.policy.portrait = false;
    let out = common::run_qr(&c, &pid_store(&pki), HolderPolicy::default(), now()).0;
    // The credential has no status reference: the check says so, and the audit row too.
    assert_eq!(out.sd_jwt_status.len(), 1);
    let facts = kakunin_verifier_server::session::flow_facts(&out);
    assert_eq!(
        facts.checks["status"],
        out.sd_jwt_status[0].name(),
        "{}",
        facts.checks
    );
    assert!(facts.checks.get("revocation").is_none(), "{}", facts.checks);
}
