#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! A verifier built with a crypto provider does every cryptographic check of a DeviceResponse
//! through that provider, the X.509 certificate signatures included (none goes to the default
//! provider behind its back). Run on the ISO 18013-5 Annex D vectors.

use kakunin_spec_vectors::annex_d::{bytes, e_reader_key, iaca_anchors, VERIFICATION_TIME};
use kakunin_verifier::Verifier;
use std::sync::atomic::Ordering;

mod common;
use common::Counting;

/// The Annex D DeviceResponse (one mDL, DeviceMac) has two ECDSA signatures to check: the
/// DS certificate's (by the IACA, during path validation) and issuerAuth's (by the DS key).
/// Both go through the verifier's provider, as do the ECDH for EMacKey and the DeviceMac HMAC.
#[test]
fn every_signature_check_goes_through_the_verifiers_provider() {
    let anchors = iaca_anchors();
    let key = e_reader_key();
    let counting = Counting::default();
    let report = Verifier::new(&anchors)
        .with_reader_key(&key)
        .with_crypto(&counting)
        .verify_device_response(
            &bytes("device_response"),
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
        );
    assert!(report.valid(), "{report:?}");
    assert_eq!(counting.verifies.load(Ordering::SeqCst), 2);
    assert_eq!(counting.ecdh.load(Ordering::SeqCst), 1);
    assert!(counting.hmac.load(Ordering::SeqCst) >= 1);
    // The item digests (and the session salt) were computed by this provider too.
    assert!(counting.hashes.load(Ordering::SeqCst) >= 6);
}

/// A provider that refuses every signature makes the same response fail, on both the
/// certificate chain and issuerAuth: the default provider is never consulted instead.
#[test]
fn a_refusing_provider_is_obeyed_for_certificates_too() {
    let anchors = iaca_anchors();
    let key = e_reader_key();
    let refusing = Counting {
        refuse: true.into(),
        ..Counting::default()
    };
    let report = Verifier::new(&anchors)
        .with_reader_key(&key)
        .with_crypto(&refusing)
        .verify_device_response(
            &bytes("device_response"),
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
        );
    assert!(!report.valid());
    let text = format!("{report:?}");
    // The DS certificate chain is refused because its signature "does not verify".
    assert!(text.contains("UntrustedIssuer"), "{text}");
    assert!(text.contains("BadSignature"), "{text}");
    // Path validation asked this provider (and nobody else) about the DS certificate.
    assert!(refusing.verifies.load(Ordering::SeqCst) >= 1);
}
