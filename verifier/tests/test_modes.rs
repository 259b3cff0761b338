#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The verifier's explicit test modes (issue 18) on the ISO 18013-5 Annex D vectors: a pinned
//! Document Signer, and issuer data authentication without a transcript.

use kakunin_core::trust::TrustAnchors;
use kakunin_spec_vectors::annex_d::{bytes, e_reader_key, iaca_anchors, VERIFICATION_TIME};
use kakunin_verifier::{AgePolicy, Check, NgReason, Outcome, TrustMode, Verdict, Verifier};

fn annex_ds() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec-vectors/data/annex-d/ds_cert.der.hex"
    );
    kakunin_core::trust::parse_certificate_input(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_pinned_ds_verifies_the_annex_d_response_and_the_report_says_so() {
    let key = e_reader_key();
    let none = TrustAnchors::default();
    let pins = [annex_ds()];
    let report = Verifier::new(&none)
        .with_reader_key(&key)
        .with_pinned_ds(&pins)
        .verify_device_response(
            &bytes("device_response"),
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
        );
    assert!(report.valid(), "{report:?}");
    assert_eq!(report.trust_mode, TrustMode::PinnedDs);
    assert_eq!(report.to_json()["trust_mode"], "pinned_ds");
    let doc = &report.documents[0];
    assert_eq!(doc.issuer.as_ref().unwrap().iaca_common_name, None);
    // The Annex D DS follows the Annex B profile: nothing to tolerate.
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
    // A till's verdict never accepts it.
    assert_eq!(
        AgePolicy::default().decide_mdoc(&report).verdict,
        Verdict::Ng(NgReason::UntrustedIssuer)
    );
    // The IACA pinned as if it were the DS: not the x5chain leaf.
    let wrong = [iaca_der()];
    let report = Verifier::new(&none)
        .with_reader_key(&key)
        .with_pinned_ds(&wrong)
        .verify_device_response(
            &bytes("device_response"),
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
        );
    assert!(!report.valid());
    assert_eq!(
        report.documents[0].outcome(Check::IssuerCertificateChain),
        Outcome::Failed
    );
    assert_eq!(
        report.documents[0].outcome(Check::IssuerSignature),
        Outcome::NotPerformed
    );
}

fn iaca_der() -> Vec<u8> {
    iaca_anchors().iter().next().unwrap().der().to_vec()
}

#[test]
fn issuer_data_without_a_transcript() {
    let anchors = iaca_anchors();
    let v = Verifier::new(&anchors).with_lenient_certificates();
    let r = v.verify_issuer_data_of_response(&bytes("device_response"), VERIFICATION_TIME);
    assert!(r.valid(), "{r:?}");
    assert_eq!(r.trust_mode, TrustMode::IacaChainLenient);
    let doc = &r.documents[0];
    assert!(doc.issuer_data_valid());
    assert!(
        !doc.valid(),
        "no device authentication: never a valid presentation"
    );
    assert_eq!(
        doc.outcome(Check::DeviceAuthentication),
        Outcome::NotPerformed
    );
    assert_eq!(doc.outcome(Check::DocType), Outcome::Passed);
    assert!(doc.elements.iter().all(|e| e.verified));
    let j = r.to_json();
    assert_eq!(j["issuer_data_valid"], true);
    assert!(j.get("valid").is_none());
    // A bare IssuerSigned (Annex D's): the docType comes from the MSO, not compared.
    let r =
        Verifier::new(&anchors).verify_issuer_signed(&bytes("issuer_signed"), VERIFICATION_TIME);
    assert!(r.valid(), "{r:?}");
    assert_eq!(r.trust_mode, TrustMode::IacaChain);
    assert_eq!(r.documents[0].doc_type, "org.iso.18013.5.1.mDL");
    assert_eq!(
        r.documents[0].outcome(Check::DocType),
        Outcome::NotPerformed
    );
    // Later than the MSO's validUntil: the issuer data is invalid, its elements unverified.
    let late = VERIFICATION_TIME + time::Duration::days(3650);
    let r = Verifier::new(&anchors).verify_issuer_signed(&bytes("issuer_signed"), late);
    assert!(!r.valid());
    assert!(r.documents[0].elements.iter().all(|e| !e.verified));
    // Not an IssuerSigned: a typed error, no document.
    let r = Verifier::new(&anchors).verify_issuer_signed(&[0xa0], VERIFICATION_TIME);
    assert!(!r.valid());
    assert!(r.documents.is_empty());
    assert_eq!(r.errors.len(), 1);
}
