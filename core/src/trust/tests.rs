//! Trust tests on the Annex D certificates (DS under the "utopia" IACA, reader under the
//! reader root), at pinned times.

use super::*;
use crate::crypto::default_provider as dp;
use time::macros::datetime;

fn cert(name: &str) -> Vec<u8> {
    let text = match name {
        "ds" => include_str!("../../../spec-vectors/data/annex-d/ds_cert.der.hex"),
        "iaca" => include_str!("../../../spec-vectors/data/annex-d/iaca_cert.der.hex"),
        "reader" => include_str!("../../../spec-vectors/data/annex-d/reader_cert.der.hex"),
        _ => include_str!("../../../spec-vectors/data/annex-d/reader_root_cert.der.hex"),
    };
    parse_certificate_input(text.as_bytes()).expect("hex certificate")
}

fn anchors(name: &str) -> TrustAnchors {
    TrustAnchors::from_der_certs([cert(name)]).expect("anchor")
}

const AT: OffsetDateTime = datetime!(2021-01-01 00:00:00 UTC);

#[test]
fn ds_validates_under_iaca() {
    let v = validate_chain(
        dp(),
        &[&cert("ds")],
        &anchors("iaca"),
        CertProfile::DocumentSigner,
        AT,
    )
    .unwrap();
    assert_eq!(v.leaf_subject.common_name.as_deref(), Some("utopia ds"));
    assert_eq!(v.issuer_subject.common_name.as_deref(), Some("utopia iaca"));
    assert_eq!(v.issuer_subject.country.as_deref(), Some("US"));
    assert_eq!(v.chain_len, 1);
    assert_eq!(v.leaf_public_key.curve(), Curve::P256);
}

#[test]
fn ds_time_window() {
    let a = anchors("iaca");
    let late = validate_chain(
        dp(),
        &[&cert("ds")],
        &a,
        CertProfile::DocumentSigner,
        datetime!(2021-10-02 00:00:00 UTC),
    );
    assert!(
        matches!(late, Err(TrustError::Expired { index: 0, .. })),
        "{late:?}"
    );
    let early = validate_chain(
        dp(),
        &[&cert("ds")],
        &a,
        CertProfile::DocumentSigner,
        datetime!(2020-09-30 00:00:00 UTC),
    );
    assert!(
        matches!(early, Err(TrustError::NotYetValid { index: 0, .. })),
        "{early:?}"
    );
}

#[test]
fn wrong_anchor_and_wrong_profile() {
    assert_eq!(
        validate_chain(
            dp(),
            &[&cert("ds")],
            &anchors("reader_root"),
            CertProfile::DocumentSigner,
            AT
        ),
        Err(TrustError::UnknownIssuer)
    );
    assert!(matches!(
        validate_chain(
            dp(),
            &[&cert("ds")],
            &anchors("iaca"),
            CertProfile::ReaderAuth,
            AT
        ),
        Err(TrustError::WrongExtendedKeyUsage { .. })
    ));
    let reader = validate_chain(
        dp(),
        &[&cert("reader")],
        &anchors("reader_root"),
        CertProfile::ReaderAuth,
        AT,
    )
    .unwrap();
    assert_eq!(reader.leaf_subject.common_name.as_deref(), Some("reader"));
    assert!(matches!(
        validate_chain(
            dp(),
            &[&cert("reader")],
            &anchors("reader_root"),
            CertProfile::DocumentSigner,
            AT
        ),
        Err(TrustError::WrongExtendedKeyUsage { .. })
    ));
}

#[test]
fn garbled_certificates_give_typed_errors() {
    let a = anchors("iaca");
    let mut sig_flipped = cert("ds");
    let n = sig_flipped.len();
    sig_flipped[n - 5] ^= 0x01;
    assert_eq!(
        validate_chain(dp(), &[&sig_flipped], &a, CertProfile::DocumentSigner, AT),
        Err(TrustError::BadSignature { index: 0 })
    );
    let ds = cert("ds");
    for len in 0..ds.len() {
        let r = validate_chain(dp(), &[&ds[..len]], &a, CertProfile::DocumentSigner, AT);
        assert!(r.is_err(), "truncated to {len} accepted");
    }
    for i in 0..ds.len() {
        let mut m = ds.clone();
        m[i] ^= 0x10;
        assert!(
            validate_chain(dp(), &[&m], &a, CertProfile::DocumentSigner, AT).is_err(),
            "flip at {i} accepted"
        );
    }
}

#[test]
fn bounds_and_empty_inputs() {
    let a = anchors("iaca");
    assert_eq!(
        validate_chain(dp(), &[], &a, CertProfile::DocumentSigner, AT),
        Err(TrustError::EmptyChain)
    );
    let ds = cert("ds");
    let long: Vec<&[u8]> = std::iter::repeat_n(ds.as_slice(), MAX_CHAIN_LEN + 1).collect();
    assert!(matches!(
        validate_chain(dp(), &long, &a, CertProfile::DocumentSigner, AT),
        Err(TrustError::ChainTooLong { .. })
    ));
    let huge = vec![0x30u8; MAX_CERT_LEN + 1];
    assert!(matches!(
        validate_chain(dp(), &[&huge], &a, CertProfile::DocumentSigner, AT),
        Err(TrustError::CertificateTooLarge { .. })
    ));
    assert_eq!(
        validate_chain(
            dp(),
            &[&ds],
            &TrustAnchors::default(),
            CertProfile::DocumentSigner,
            AT
        ),
        Err(TrustError::NoAnchors)
    );
}

#[test]
fn anchor_profile_and_country() {
    let ds = parse_cert(&cert("ds"), 0).unwrap();
    let iaca = parse_cert(&cert("iaca"), 0).unwrap();
    let reader = parse_cert(&cert("reader"), 0).unwrap();
    // A leaf is never an acceptable root.
    assert!(matches!(
        profile::check_anchor(CertProfile::DocumentSigner, &ds),
        Err(TrustError::AnchorProfile { .. })
    ));
    assert_eq!(
        profile::check_anchor(CertProfile::DocumentSigner, &iaca),
        Ok(())
    );
    assert_eq!(
        profile::check_country(CertProfile::DocumentSigner, &ds, &iaca),
        Ok(())
    );
    // The reader certificate is not a DS: no digitalSignature problem, but the EKU is wrong.
    assert!(matches!(
        profile::check_leaf(CertProfile::DocumentSigner, &reader),
        Err(TrustError::WrongExtendedKeyUsage { .. })
    ));
}

#[test]
fn certificate_input_formats() {
    let der = cert("iaca");
    assert_eq!(parse_certificate_input(&der).unwrap(), der);
    let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &der).unwrap();
    assert_eq!(parse_certificate_input(pem.as_bytes()).unwrap(), der);
    assert!(parse_certificate_input(b"not a certificate").is_err());
    let key_pem = der::pem::encode_string("PRIVATE KEY", der::pem::LineEnding::LF, &der).unwrap();
    assert!(parse_certificate_input(key_pem.as_bytes()).is_err());
}

/// A provider that counts ECDSA verifications and can be told to refuse them all, delegating
/// everything else to the default provider.
struct Counting {
    verifies: std::sync::atomic::AtomicUsize,
    refuse: bool,
}

impl Counting {
    fn new(refuse: bool) -> Self {
        Counting {
            verifies: std::sync::atomic::AtomicUsize::new(0),
            refuse,
        }
    }

    fn count(&self) -> usize {
        self.verifies.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl crate::crypto::Forwarding for Counting {
    fn inner(&self) -> &dyn CryptoProvider {
        dp()
    }
    fn verify_ecdsa(
        &self,
        key: &EcPublicKey,
        hash: crate::crypto::HashAlg,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), crate::crypto::CryptoError> {
        self.verifies
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.refuse {
            return Err(crate::crypto::CryptoError::BadSignature);
        }
        dp().verify_ecdsa(key, hash, msg, signature)
    }
}

/// Path validation verifies certificate signatures with the provider it is given, once per
/// certificate signature on the path (the DS certificate's, signed by the IACA; the anchor's
/// own signature is not part of the path), and never with another provider.
#[test]
fn path_validation_uses_the_callers_provider() {
    let counting = Counting::new(false);
    let v = validate_chain(
        &counting,
        &[&cert("ds")],
        &anchors("iaca"),
        CertProfile::DocumentSigner,
        AT,
    )
    .unwrap();
    assert_eq!(v.chain_len, 1);
    assert_eq!(counting.count(), v.chain_len);

    let reader = Counting::new(false);
    let v = validate_chain(
        &reader,
        &[&cert("reader")],
        &anchors("reader_root"),
        CertProfile::ReaderAuth,
        AT,
    )
    .unwrap();
    assert_eq!(reader.count(), v.chain_len);

    // A provider that refuses every signature makes a good chain fail: nothing else was asked.
    let refusing = Counting::new(true);
    assert_eq!(
        validate_chain(
            &refusing,
            &[&cert("ds")],
            &anchors("iaca"),
            CertProfile::DocumentSigner,
            AT
        ),
        Err(TrustError::BadSignature { index: 0 })
    );
    assert_eq!(refusing.count(), 1);
}

/// Every error says what is wrong in words, not in Rust debug syntax.
#[test]
fn trust_errors_read_as_english() {
    let e = TrustError::AnchorProfile {
        profile: CertProfile::DocumentSigner,
        reason: AnchorDefect::NoKeyCertSign,
    };
    assert_eq!(
        e.to_string(),
        "root certificate does not fit the IACA profile: KeyUsage lacks keyCertSign"
    );
    let e = TrustError::MissingKeyUsage {
        index: 0,
        needed: KeyUsageBit::DigitalSignature,
    };
    assert_eq!(
        e.to_string(),
        "certificate 0 key usage lacks digitalSignature"
    );
    let e = TrustError::WrongExtendedKeyUsage {
        profile: CertProfile::ReaderAuth,
    };
    assert!(e
        .to_string()
        .ends_with("1.0.18013.5.1.6 (mdoc reader authentication)"));
}

#[test]
fn an_anchor_sets_identity_covers_certificates_and_scopes_and_follows_changes() {
    let c = crate::crypto::default_provider();
    let der = anchors("iaca").iter().next().unwrap().der().to_vec();
    let unscoped = TrustAnchors::from_der_certs([&der]).unwrap();
    let mut mdl = TrustAnchors::default();
    mdl.push_scoped(&der, vec!["org.iso.18013.5.1.mDL".into()])
        .unwrap();
    let mut other = TrustAnchors::default();
    other
        .push_scoped(&der, vec!["org.example.other".into()])
        .unwrap();
    let ids = [unscoped.identity(c), mdl.identity(c), other.identity(c)];
    assert_eq!(ids[0].len(), 32);
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    // The same set built again has the same identity; a clone keeps it.
    assert_eq!(
        TrustAnchors::from_der_certs([&der]).unwrap().identity(c),
        ids[0]
    );
    assert_eq!(unscoped.clone().identity(c), ids[0]);
    // A change is seen: the identity computed before it is not kept.
    let mut grown = unscoped.clone();
    let before = grown.identity(c).to_vec();
    grown.extend(mdl.clone());
    assert_ne!(grown.identity(c), &before[..]);
    let mut pushed = unscoped.clone();
    let _ = pushed.identity(c);
    pushed
        .push_scoped(&der, vec!["org.iso.18013.5.1.mDL".into()])
        .unwrap();
    assert_eq!(pushed.identity(c), grown.identity(c));
}
