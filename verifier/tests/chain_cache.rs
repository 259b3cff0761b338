#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The DS-chain cache (kakunin_verifier::ChainCache): a chain validated under the same
//! anchors in the same hour is not validated again — the certificate's signature is not
//! checked a second time — while another hour validates again and an untrusted chain is
//! never remembered as trusted. On the ISO 18013-5 Annex D vectors.

use kakunin_spec_vectors::annex_d::{bytes, e_reader_key, iaca_anchors, VERIFICATION_TIME};
use kakunin_verifier::{ChainCache, Verifier};
use std::sync::atomic::Ordering;

mod common;
use common::Counting;

fn verify(
    counting: &Counting,
    cache: &ChainCache,
    at: time::OffsetDateTime,
) -> (kakunin_verifier::ResponseReport, usize) {
    let anchors = iaca_anchors();
    let key = e_reader_key();
    let before = counting.verifies.load(Ordering::SeqCst);
    let report = Verifier::new(&anchors)
        .with_reader_key(&key)
        .with_crypto(counting)
        .with_chain_cache(cache)
        .verify_device_response(
            &bytes("device_response"),
            &bytes("session_transcript_bytes"),
            at,
        );
    (report, counting.verifies.load(Ordering::SeqCst) - before)
}

#[test]
fn a_chain_validated_this_hour_is_not_validated_again() {
    let counting = Counting::default();
    let cache = ChainCache::new(8);
    // First time: the DS certificate's signature and issuerAuth's.
    let (first, n) = verify(&counting, &cache, VERIFICATION_TIME);
    assert!(first.valid(), "{first:?}");
    assert_eq!(n, 2);
    assert_eq!((cache.len(), cache.hits(), cache.misses()), (1, 0, 1));
    // Same chain, same anchors, same hour: issuerAuth only.
    let later = VERIFICATION_TIME + time::Duration::minutes(59);
    let (second, n) = verify(&counting, &cache, later);
    assert!(second.valid());
    assert_eq!(
        n, 1,
        "the cached chain's certificate signature is not checked again"
    );
    assert_eq!(cache.hits(), 1);
    // The report is the same, issuer facts included.
    assert_eq!(first.documents[0].issuer, second.documents[0].issuer);
    let issuer = second.documents[0].issuer.clone().unwrap();
    assert!(issuer.ds_serial.as_deref().is_some_and(|s| !s.is_empty()));
    let subject = issuer.iaca_subject.unwrap();
    assert!(
        subject.contains("CN=") && subject.contains("C=US"),
        "{subject}"
    );
    // Another hour: validated again.
    let (_, n) = verify(
        &counting,
        &cache,
        VERIFICATION_TIME + time::Duration::hours(1),
    );
    assert_eq!(n, 2);
    assert_eq!(cache.len(), 2);
}

#[test]
fn an_untrusted_chain_is_never_cached_as_trusted() {
    let counting = Counting::default();
    let cache = ChainCache::new(8);
    counting.refuse.store(true, Ordering::SeqCst);
    for _ in 0..2 {
        let (report, _) = verify(&counting, &cache, VERIFICATION_TIME);
        assert!(!report.valid());
        assert!(format!("{report:?}").contains("UntrustedIssuer"));
        assert!(report.documents[0].issuer.is_none());
    }
    assert!(cache.is_empty());
    assert_eq!(cache.hits(), 0);
    // Once the certificate verifies, it is validated (not answered from the cache).
    counting.refuse.store(false, Ordering::SeqCst);
    let (report, n) = verify(&counting, &cache, VERIFICATION_TIME);
    assert!(report.valid());
    assert_eq!(n, 2);
}

#[test]
fn other_anchors_miss() {
    let counting = Counting::default();
    let cache = ChainCache::new(8);
    let (report, _) = verify(&counting, &cache, VERIFICATION_TIME);
    assert!(report.valid());
    // The same chain under an empty anchor set: not answered from the entry of the other set.
    let none = kakunin_core::trust::TrustAnchors::default();
    let key = e_reader_key();
    let report = Verifier::new(&none)
        .with_reader_key(&key)
        .with_crypto(&counting)
        .with_chain_cache(&cache)
        .verify_device_response(
            &bytes("device_response"),
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
        );
    assert!(!report.valid());
    assert_eq!(cache.hits(), 0);
}

/// The Annex D IACA alone, trusted only for `doc_type` (as a VICAL entry scopes it).
fn scoped_iaca(doc_type: &str) -> kakunin_core::trust::TrustAnchors {
    let der = iaca_anchors().iter().next().unwrap().der().to_vec();
    let mut anchors = kakunin_core::trust::TrustAnchors::default();
    anchors
        .push_scoped(&der, vec![doc_type.to_string()])
        .unwrap();
    anchors
}

#[test]
fn the_same_iaca_under_another_scope_misses() {
    // One cache shared by two anchor sets holding the same certificate: one trusts it for the
    // mDL, the other only for another docType (a new VICAL narrowed its scope). The second
    // set must validate for itself, and refuse, not take the first set's entry.
    let counting = Counting::default();
    let cache = ChainCache::new(8);
    let key = e_reader_key();
    let run = |anchors: &kakunin_core::trust::TrustAnchors| {
        Verifier::new(anchors)
            .with_reader_key(&key)
            .with_crypto(&counting)
            .with_chain_cache(&cache)
            .verify_device_response(
                &bytes("device_response"),
                &bytes("session_transcript_bytes"),
                VERIFICATION_TIME,
            )
    };
    let mdl = scoped_iaca("org.iso.18013.5.1.mDL");
    assert!(run(&mdl).valid());
    assert_eq!((cache.len(), cache.hits()), (1, 0));
    assert!(run(&mdl).valid());
    assert_eq!(cache.hits(), 1);
    let other = scoped_iaca("org.example.other");
    let report = run(&other);
    assert!(!report.valid());
    assert!(
        format!("{report:?}").contains("UntrustedIssuer"),
        "{report:?}"
    );
    assert_eq!(cache.hits(), 1);
}
