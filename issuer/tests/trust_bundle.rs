#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Signed trust bundles against the test PKI's trust-bundle root and signer: round trip,
//! tampering, a signer outside the configured anchor, version ordering, age.

use kakunin_core::crypto::{default_provider, ProviderSigner};
use kakunin_core::trust::bundle::{
    build, parse_and_verify, BundleContents, BundleError, BundleIaca, BundleStatusList,
    SignerDefect, UnverifiedBundle,
};
use kakunin_core::trust::{TrustAnchors, TrustError};
use kakunin_issuer::pki::TestPki;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-06-01 09:00:00 UTC);

fn pki() -> TestPki {
    TestPki::generate(default_provider(), "JP", 1, NOW).unwrap()
}

fn contents(pki: &TestPki, version: u64) -> BundleContents {
    let mut c = BundleContents::new(version, NOW);
    c.iacas.push(BundleIaca {
        cert_der: pki.iaca.cert_der.clone(),
        doc_types: vec![],
    });
    c.reader_roots.push(pki.reader_root.cert_der.clone());
    c.vicals.push(b"vical bytes".to_vec());
    c.crls.push(b"crl bytes".to_vec());
    c.status_lists.push(BundleStatusList {
        uri: "https://status.example/1".into(),
        token: b"token".to_vec(),
        fetched_at: NOW - Duration::hours(1),
    });
    c
}

fn sign(pki: &TestPki, c: &BundleContents) -> Vec<u8> {
    let signer = ProviderSigner::new(default_provider(), &pki.bundle_signer.key).unwrap();
    build(
        c,
        &signer,
        std::slice::from_ref(&pki.bundle_signer.cert_der),
    )
    .unwrap()
}

fn anchor(pki: &TestPki) -> TrustAnchors {
    TrustAnchors::from_der_certs([&pki.bundle_root.cert_der]).unwrap()
}

#[test]
fn round_trip() {
    let pki = pki();
    let c = contents(&pki, 3);
    let bytes = sign(&pki, &c);
    let v = parse_and_verify(default_provider(), &bytes, &anchor(&pki), NOW).unwrap();
    assert_eq!(v.contents(), &c);
    assert_eq!(v.version(), 3);
    assert_eq!(v.iaca_anchors().unwrap().len(), 1);
    assert_eq!(v.reader_anchors().unwrap().len(), 1);
    assert_eq!(
        v.iaca_anchors_for("org.iso.18013.5.1.mDL").unwrap().len(),
        1
    );
    assert_eq!(v.age(NOW + Duration::hours(2)), Duration::hours(2));
    assert!(v.is_older_than(Duration::hours(1), NOW + Duration::hours(2)));
    assert!(!v.is_older_than(Duration::hours(3), NOW + Duration::hours(2)));
}

#[test]
fn tampered_payload_is_refused() {
    let pki = pki();
    let bytes = sign(&pki, &contents(&pki, 1));
    // Flip one byte inside the "vical bytes" payload entry.
    let at = bytes.windows(11).position(|w| w == b"vical bytes").unwrap();
    let mut t = bytes.clone();
    t[at] ^= 1;
    let e = parse_and_verify(default_provider(), &t, &anchor(&pki), NOW).unwrap_err();
    assert_eq!(e, BundleError::BadSignature);
}

#[test]
fn a_signer_outside_the_configured_anchor_is_refused() {
    let pki = pki();
    let other = TestPki::generate(default_provider(), "JP", 1, NOW).unwrap();
    // Signed by the other PKI's bundle signer; the till holds this PKI's root.
    let bytes = sign(&other, &contents(&other, 1));
    let e = parse_and_verify(default_provider(), &bytes, &anchor(&pki), NOW).unwrap_err();
    // Same subject names as the configured root, other key: the path does not verify.
    assert!(
        matches!(
            e,
            BundleError::UntrustedSigner(
                TrustError::UnknownIssuer | TrustError::BadSignature { .. }
            )
        ),
        "{e:?}"
    );
    assert_eq!(e.cause(), kakunin_core::Cause::Untrusted);
    // A DS certificate of the IACA configured as the anchor cannot sign bundles either.
    let signer = ProviderSigner::new(default_provider(), &pki.document_signers[0].key).unwrap();
    let bytes = build(
        &contents(&pki, 1),
        &signer,
        &[pki.document_signers[0].cert_der.clone()],
    )
    .unwrap();
    let iaca = TrustAnchors::from_der_certs([&pki.iaca.cert_der]).unwrap();
    let e = parse_and_verify(default_provider(), &bytes, &iaca, NOW).unwrap_err();
    assert_eq!(
        e,
        BundleError::SignerProfile(SignerDefect::HasExtendedKeyUsage)
    );
}

#[test]
fn older_or_equal_versions_do_not_replace() {
    let pki = pki();
    let a = anchor(&pki);
    let v = |n| parse_and_verify(default_provider(), &sign(&pki, &contents(&pki, n)), &a, NOW);
    let (v4, v5) = (v(4).unwrap(), v(5).unwrap());
    assert_eq!(v5.check_replaces(&v4), Ok(()));
    assert_eq!(
        v4.check_replaces(&v5),
        Err(BundleError::NotNewer {
            current: 5,
            offered: 4
        })
    );
    assert!(v(5).unwrap().check_replaces(&v5).is_err());
}

#[test]
fn future_and_expired_signers_are_refused() {
    let pki = pki();
    let bytes = sign(&pki, &contents(&pki, 1));
    let early = NOW - Duration::hours(1);
    let e = parse_and_verify(default_provider(), &bytes, &anchor(&pki), early).unwrap_err();
    assert!(matches!(e, BundleError::CreatedInFuture { .. }), "{e:?}");
    let late = NOW + Duration::days(4 * 365);
    let e = parse_and_verify(default_provider(), &bytes, &anchor(&pki), late).unwrap_err();
    assert!(
        matches!(e, BundleError::UntrustedSigner(TrustError::Expired { .. })),
        "{e:?}"
    );
}

#[test]
fn show_decodes_without_trust() {
    let pki = pki();
    let c = contents(&pki, 9);
    let parsed = UnverifiedBundle::parse(&sign(&pki, &c)).unwrap();
    assert_eq!(parsed.unverified_contents().version, 9);
}
