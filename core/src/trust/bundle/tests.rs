//! Bundle parsing bounds and refusals that need no private key of a real signer; signed
//! round trips against the test PKI are in issuer/tests/trust_bundle.rs.

use super::*;
use crate::crypto::{default_provider as dp, Curve, EcPublicKey, HashAlg};
use crate::trust::parse_certificate_input;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2021-01-01 00:00:00 UTC);

fn annex_d(name: &str) -> Vec<u8> {
    let text = match name {
        "ds" => include_str!("../../../../spec-vectors/data/annex-d/ds_cert.der.hex"),
        _ => include_str!("../../../../spec-vectors/data/annex-d/iaca_cert.der.hex"),
    };
    parse_certificate_input(text.as_bytes()).unwrap()
}

/// A signer that claims a certificate's key and signs with zeros: enough to build a
/// well-formed bundle whose trust checks then fail.
struct FakeSigner(EcPublicKey);

impl Signer for FakeSigner {
    fn curve(&self) -> Curve {
        Curve::P256
    }
    fn hash(&self) -> HashAlg {
        Curve::P256.default_hash()
    }
    fn public_key(&self) -> &EcPublicKey {
        &self.0
    }
    fn sign(&self, _msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(vec![1; 64])
    }
}

fn ds_signed(contents: &BundleContents) -> Vec<u8> {
    let ds = annex_d("ds");
    let cert = crate::trust::parse_cert(&ds, 0).unwrap();
    let key = crate::trust::certificate_public_key(&cert, 0).unwrap();
    build(contents, &FakeSigner(key), &[ds]).unwrap()
}

fn sample() -> BundleContents {
    let mut c = BundleContents::new(7, AT);
    c.iacas.push(BundleIaca {
        cert_der: annex_d("iaca"),
        doc_types: vec!["org.iso.18013.5.1.mDL".into()],
    });
    c.reader_roots.push(annex_d("iaca"));
    c.vicals.push(b"opaque vical".to_vec());
    c.crls.push(b"opaque crl".to_vec());
    c.status_lists.push(BundleStatusList {
        uri: "https://example.com/status/1".into(),
        token: b"eyJ...".to_vec(),
        fetched_at: AT,
    });
    c
}

#[test]
fn parse_recovers_every_field_but_exposes_them_only_as_unverified() {
    let bytes = ds_signed(&sample());
    let parsed = UnverifiedBundle::parse(&bytes).unwrap();
    assert_eq!(parsed.unverified_contents(), &sample());
    assert_eq!(parsed.x5chain().len(), 1);
    assert_eq!(parsed.algorithm(), SignatureAlg::Es256);
}

#[test]
fn a_certificate_issued_for_another_purpose_cannot_sign_bundles() {
    // The Annex D DS chains to its IACA but has the DS EKU.
    let bytes = ds_signed(&sample());
    let anchors = TrustAnchors::from_der_certs([annex_d("iaca")]).unwrap();
    let e = parse_and_verify(dp(), &bytes, &anchors, AT).unwrap_err();
    assert_eq!(
        e,
        BundleError::SignerProfile(SignerDefect::HasExtendedKeyUsage)
    );
    assert_eq!(e.cause(), crate::Cause::Untrusted);
}

#[test]
fn no_anchor_is_misuse() {
    let bytes = ds_signed(&sample());
    let e = parse_and_verify(dp(), &bytes, &TrustAnchors::default(), AT).unwrap_err();
    assert_eq!(e, BundleError::NoAnchor);
    assert_eq!(e.cause(), crate::Cause::Misuse);
}

#[test]
fn a_root_inside_the_bundle_is_not_an_anchor() {
    // The bundle carries the IACA, but the verifier is configured with another root.
    let bytes = ds_signed(&sample());
    let other = TrustAnchors::from_der_certs([parse_certificate_input(
        include_str!("../../../../spec-vectors/data/annex-d/reader_root_cert.der.hex").as_bytes(),
    )
    .unwrap()])
    .unwrap();
    let e = parse_and_verify(dp(), &bytes, &other, AT).unwrap_err();
    assert!(
        matches!(e, BundleError::UntrustedSigner(TrustError::UnknownIssuer)),
        "{e:?}"
    );
}

#[test]
fn oversize_input_is_refused_before_parsing() {
    let big = vec![0u8; MAX_BUNDLE_LEN + 1];
    let e = UnverifiedBundle::parse(&big).unwrap_err();
    assert!(matches!(e, BundleError::TooLarge { .. }), "{e:?}");
    assert_eq!(e.cause(), crate::Cause::Malformed);
}

#[test]
fn too_many_entries_are_refused_when_building() {
    let mut c = BundleContents::new(1, AT);
    c.vicals = vec![vec![0]; MAX_VICALS + 1];
    let ds = annex_d("ds");
    let cert = crate::trust::parse_cert(&ds, 0).unwrap();
    let key = crate::trust::certificate_public_key(&cert, 0).unwrap();
    let e = build(&c, &FakeSigner(key), &[ds]).unwrap_err();
    assert_eq!(
        e,
        BundleError::TooMany {
            field: "vicals",
            count: MAX_VICALS + 1,
            max: MAX_VICALS
        }
    );
}

#[test]
fn building_with_a_certificate_for_another_key_is_misuse() {
    let key = dp().generate_key(Curve::P256).unwrap();
    let signer = crate::crypto::ProviderSigner::new(dp(), &key).unwrap();
    let e = build(&sample(), &signer, &[annex_d("ds")]).unwrap_err();
    assert!(matches!(e, BundleError::BuildMisuse(_)), "{e:?}");
}

#[test]
fn every_truncation_and_byte_flip_is_a_typed_error_never_a_panic() {
    let bytes = ds_signed(&sample());
    for n in 0..bytes.len() {
        let r = UnverifiedBundle::parse(bytes.get(..n).unwrap());
        assert!(r.is_err(), "truncation at {n} parsed");
    }
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0x5a;
        // Either a typed error or a parse (a flip inside opaque bytes); never a panic.
        let _ = UnverifiedBundle::parse(&b).map(|p| p.unverified_contents().version);
    }
}

#[test]
fn other_cose_messages_are_not_bundles() {
    // A COSE_Sign1 with the right shape but no typ.
    let mut p = Encoder::new();
    p.map(1).int(1).int(-7);
    let protected = p.into_bytes();
    let mut e = Encoder::new();
    e.tag(18).array(4).bytes(&protected).map(1).int(33);
    e.bytes(&annex_d("ds")).bytes(b"\xa0").bytes(&[0; 64]);
    assert_eq!(
        UnverifiedBundle::parse(&e.into_bytes()).unwrap_err(),
        BundleError::WrongType
    );
    // Untagged.
    let mut e = Encoder::new();
    e.array(4).bytes(&protected).map(0).bytes(b"").bytes(b"");
    assert!(matches!(
        UnverifiedBundle::parse(&e.into_bytes()),
        Err(BundleError::Malformed { .. })
    ));
}

#[test]
fn scoped_iacas_cover_only_their_doc_types() {
    let c = sample();
    let iaca = c.iacas.first().unwrap();
    assert!(iaca.covers("org.iso.18013.5.1.mDL"));
    assert!(!iaca.covers("eu.europa.ec.eudi.pid.1"));
}
