//! The lenient reading and DS pinning of the test modes (issue 18), on the Annex D DS and
//! on a copy of it re-encoded with a 24-octet serial number.

use super::lenient::*;
use super::*;
use crate::crypto::default_provider as dp;
use time::macros::datetime;

fn annex(name: &str) -> Vec<u8> {
    let text = match name {
        "ds" => include_str!("../../../spec-vectors/data/annex-d/ds_cert.der.hex"),
        _ => include_str!("../../../spec-vectors/data/annex-d/iaca_cert.der.hex"),
    };
    parse_certificate_input(text.as_bytes()).expect("hex certificate")
}

const AT: OffsetDateTime = datetime!(2021-01-01 00:00:00 UTC);

/// The Annex D DS with its serial replaced by a 24-octet one (its signature no longer
/// verifies: nothing here checks the pinned certificate's own signature).
fn long_serial_ds() -> Vec<u8> {
    use der::Encode;
    use x509_cert::certificate::{CertificateInner, Raw};
    use x509_cert::serial_number::SerialNumber;
    let mut cert = CertificateInner::<Raw>::from_der(&annex("ds")).unwrap();
    let mut int = vec![0x02, 24];
    int.extend(1..=24u8);
    cert.tbs_certificate.serial_number = SerialNumber::<Raw>::from_der(&int).unwrap();
    cert.to_der().unwrap()
}

#[test]
fn a_pinned_ds_is_trusted_by_byte_equality_and_validity() {
    let ds = annex("ds");
    let p = validate_pinned_ds(&[&ds], &[annex("iaca"), ds.clone()], AT).unwrap();
    assert_eq!(p.pin_index, 1);
    assert_eq!(p.leaf_subject.common_name.as_deref(), Some("utopia ds"));
    assert_eq!(p.issuer_subject.common_name.as_deref(), Some("utopia iaca"));
    let chain = validate_chain(
        dp(),
        &[&ds],
        &TrustAnchors::from_der_certs([annex("iaca")]).unwrap(),
        CertProfile::DocumentSigner,
        AT,
    )
    .unwrap();
    assert_eq!(p.leaf_public_key, chain.leaf_public_key);
    // Not pinned, no pins, an empty chain, outside its validity.
    assert_eq!(
        validate_pinned_ds(&[&ds], &[annex("iaca")], AT),
        Err(TrustError::NotPinned)
    );
    assert_eq!(
        validate_pinned_ds(&[&ds], &[], AT),
        Err(TrustError::NoAnchors)
    );
    assert_eq!(
        validate_pinned_ds(&[], std::slice::from_ref(&ds), AT),
        Err(TrustError::EmptyChain)
    );
    assert!(matches!(
        validate_pinned_ds(
            &[&ds],
            std::slice::from_ref(&ds),
            datetime!(2040-01-01 00:00 UTC)
        ),
        Err(TrustError::Expired { index: 0, .. })
    ));
    assert!(matches!(
        validate_pinned_ds(
            &[&ds],
            std::slice::from_ref(&ds),
            datetime!(2000-01-01 00:00 UTC)
        ),
        Err(TrustError::NotYetValid { index: 0, .. })
    ));
    // A pin that differs in one byte is another certificate.
    let mut other = ds.clone();
    if let Some(last) = other.last_mut() {
        *last ^= 1;
    }
    assert_eq!(
        validate_pinned_ds(&[&ds], &[other], AT),
        Err(TrustError::NotPinned)
    );
}

#[test]
fn a_long_serial_is_a_warning_in_the_test_modes_and_refused_on_the_default_path() {
    let long = long_serial_ds();
    // Default path: not a certificate.
    assert!(matches!(
        parse_certificate_input(&long),
        Err(TrustError::MalformedCertificate {
            reason: CertDefect::NotDer,
            ..
        })
    ));
    let anchors = TrustAnchors::from_der_certs([annex("iaca")]).unwrap();
    assert!(matches!(
        validate_chain(dp(), &[&long], &anchors, CertProfile::DocumentSigner, AT),
        Err(TrustError::MalformedCertificate {
            index: 0,
            reason: CertDefect::NotDer
        })
    ));
    assert!(only_lenient_reads(&long));
    assert!(!only_lenient_reads(&annex("ds")));
    // Lenient: read, with the deviation named.
    let c = read_certificate_lenient(&long).unwrap();
    assert_eq!(c.serial.len(), 48);
    assert!(c.warnings.contains(&CertWarning::SerialTooLong {
        index: 0,
        octets: 24
    }));
    assert_eq!(c.subject, "C=US,CN=utopia ds");
    assert_eq!(parse_certificate_input_lenient(&long).unwrap(), long);
    let p = validate_pinned_ds(&[&long], std::slice::from_ref(&long), AT).unwrap();
    assert!(p.warnings.contains(&CertWarning::SerialTooLong {
        index: 0,
        octets: 24
    }));
    // The lenient chain still verifies signatures: the re-encoded TBS no longer matches the
    // IACA's signature.
    assert!(matches!(
        validate_chain_for_doc_type_lenient(
            dp(),
            &[&long],
            &anchors,
            CertProfile::DocumentSigner,
            "org.iso.18013.5.1.mDL",
            AT
        ),
        Err(TrustError::BadSignature { .. })
    ));
    // And the original validates leniently too, with its warnings.
    let (chain, _) = validate_chain_for_doc_type_lenient(
        dp(),
        &[&annex("ds")],
        &anchors,
        CertProfile::DocumentSigner,
        "org.iso.18013.5.1.mDL",
        AT,
    )
    .unwrap();
    assert_eq!(chain.leaf_subject.common_name.as_deref(), Some("utopia ds"));
    // Garbage is still no certificate.
    assert!(read_certificate_lenient(b"\x30\x03\x02\x01\x01").is_err());
    assert!(matches!(
        read_certificate_lenient(&vec![0x30; MAX_CERT_LEN + 1]),
        Err(TrustError::CertificateTooLarge { .. })
    ));
}
