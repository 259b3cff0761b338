#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! Issue 18: the verifier's test modes (a pinned Document Signer, lenient certificates) are
//! never a till's policy. The till's verification path always validates the DS chain to its
//! IACAs (its reports say `trust_mode` `iaca_chain`), a DS it cannot chain is NG
//! `untrusted_issuer` even though a pin would accept it, and its configuration file has no
//! key that could turn a test mode on.

mod common;

use common::{Who, World};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::DeviceAuthMode;
use kakunin_verifier::{AgePolicy, NgReason, Verdict};
use kakunin_verifier_server::verify::verify_mdoc;
use kakunin_verifier_server::Config;

#[test]
fn the_till_never_pins_a_document_signer() {
    let w = World::new();
    let s = w.mdoc(Who::Adult, &["age_over_20"], DeviceAuthMode::Signature);
    let policy = AgePolicy::default();
    let anchors = TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap();
    let ok = verify_mdoc(
        &anchors,
        &policy,
        &s.response,
        &s.transcript,
        None,
        common::now(),
    );
    assert_eq!(ok.decision.verdict, Verdict::Ok);
    assert_eq!(ok.report["trust_mode"], "iaca_chain", "{}", ok.report);
    // Without its IACA the same DS (which `--pin-ds` of the CLI would accept) is refused: the
    // till's path has no pin to fall back on.
    let none = TrustAnchors::default();
    let ng = verify_mdoc(
        &none,
        &policy,
        &s.response,
        &s.transcript,
        None,
        common::now(),
    );
    assert_eq!(ng.decision.verdict, Verdict::Ng(NgReason::UntrustedIssuer));
    assert_eq!(ng.report["trust_mode"], "iaca_chain");
}

#[test]
fn the_till_config_has_no_test_mode_keys() {
    let dir = tempfile::tempdir().unwrap();
    for (name, extra_top, extra_trust) in [
        ("top-level pin_ds", "pin_ds = [\"ds.pem\"]\n", ""),
        ("trust.pin_ds", "", "pin_ds = [\"ds.pem\"]\n"),
        (
            "trust.lenient_certificates",
            "",
            "lenient_certificates = true\n",
        ),
    ] {
        let path = dir.path().join("till.toml");
        std::fs::write(
            &path,
            format!("till_id = \"t\"\n{extra_top}[trust]\nanchors = []\n{extra_trust}"),
        )
        .unwrap();
        assert!(
            Config::from_file(&path, Some(dir.path())).is_err(),
            "{name} accepted"
        );
    }
    // The same file without them loads.
    let path = dir.path().join("till.toml");
    std::fs::write(&path, "till_id = \"t\"\n[trust]\nanchors = []\n").unwrap();
    Config::from_file(&path, Some(dir.path())).unwrap();
}
