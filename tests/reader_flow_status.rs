#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Status checks inside a reader-flow session (what a till session runs): a credential whose
//! index is set in the status list the session is given is NG `revoked`, one whose list is
//! missing is NG `status_unknown`, a VALID one is OK.

use kakunin_core::crypto::{default_provider, Curve, ProviderSigner};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_core::status::{build_jwt, Bits, KeyReference, StatusList, StatusListClaims};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::{CredentialStore, HolderPolicy, MemoryStore};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_verifier::flow::ReaderConfig;
use kakunin_verifier::status::MemoryStatusSource;
use kakunin_verifier::{NgReason, Verdict};
use std::sync::Arc;
use time::macros::datetime;
use time::OffsetDateTime;

mod common;

const URI: &str = "https://status.kakunin.invalid/1";

fn now() -> OffsetDateTime {
    datetime!(2026-12-01 09:00 UTC)
}

fn store_with_status(pki: &TestPki, uri: &str, idx: u64) -> MemoryStore {
    let c = default_provider();
    let claims: serde_json::Value =
        serde_json::from_str(include_str!("../docs/examples/mdl-claims.json")).unwrap();
    let mut claims = claims;
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
            Some(kakunin_issuer::status::mso_status(idx, uri)),
        )
        .unwrap();
    let store = MemoryStore::new();
    store
        .store("mdl", &cred.doc_type, &cred.issuer_signed, &key)
        .unwrap();
    store
}

fn lists(pki: &TestPki) -> Arc<MemoryStatusSource> {
    let c = default_provider();
    let ds = &pki.document_signers[0];
    let signer = ProviderSigner::new(c, &ds.key).unwrap();
    let mut list = StatusList::new(Bits::One, 8).unwrap();
    list.set(1, 1).unwrap();
    let mut claims = StatusListClaims::new(URI, now() - time::Duration::hours(1));
    claims.exp = Some(now() + time::Duration::days(1));
    let key = KeyReference {
        kid: None,
        x5chain: vec![ds.cert_der.clone()],
    };
    let token = build_jwt(&signer, &list, &claims, &key).unwrap();
    let mut source = MemoryStatusSource::new();
    source.insert(URI, token.into_bytes(), now() - time::Duration::minutes(5));
    Arc::new(source)
}

#[test]
fn session_status_revoked_unknown_and_valid() {
    let pki = TestPki::generate(
        default_provider(),
        "JP",
        1,
        now() - time::Duration::days(90),
    )
    .unwrap();
    let config = ReaderConfig::new(TrustAnchors::from_der_certs([&pki.iaca.cert_der]).unwrap())
        .with_status_source(lists(&pki));
    let policy = HolderPolicy::default();
    let run = |uri: &str, idx: u64| {
        common::run_qr(
            &config,
            &store_with_status(&pki, uri, idx),
            policy.clone(),
            now(),
        )
        .0
        .decision
        .verdict
    };
    assert_eq!(run(URI, 1), Verdict::Ng(NgReason::Revoked));
    assert_eq!(run(URI, 0), Verdict::Ok);
    assert_eq!(
        run("https://status.kakunin.invalid/unknown", 0),
        Verdict::Ng(NgReason::StatusUnknown)
    );
    // Without a status source the same revoked credential passes: the check is real.
    let plain = ReaderConfig::new(TrustAnchors::from_der_certs([&pki.iaca.cert_der]).unwrap());
    let out = common::run_qr(
        &plain,
        &store_with_status(&pki, URI, 1),
        policy.clone(),
        now(),
    );
    assert_eq!(out.0.decision.verdict, Verdict::Ok);
}
