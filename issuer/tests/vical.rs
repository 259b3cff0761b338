#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! VICALs built and signed with the test PKI (`pki init`'s VICAL authority and signer), and
//! refused when the signer, its certificate or the list's dates are wrong; and the docType
//! scope of imported IACAs.

use kakunin_core::crypto::{default_provider, ProviderSigner};
use kakunin_core::trust::vical::{
    build_vical, SignedVical, VerifiedVical, VicalBuildEntry, VicalBuildInput, VicalError,
    VicalPolicy,
};
use kakunin_core::trust::{
    validate_chain_for_doc_type, CertDefect, CertProfile, TrustAnchors, TrustError,
};
use kakunin_issuer::pki::{issue_leaf, issue_root, KeyAndCert, TestPki, EKU_MDOC_DS};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2026-06-01 00:00:00 UTC);
const MDL: &str = "org.iso.18013.5.1.mDL";
const PID: &str = "eu.europa.ec.eudi.pid.1";

fn pki() -> TestPki {
    TestPki::generate(default_provider(), "JP", 1, NOW).unwrap()
}

fn input(pki: &TestPki, doc_types: &[&str]) -> VicalBuildInput {
    VicalBuildInput {
        provider: "Kakunin test".into(),
        date: NOW,
        issue_id: Some(7),
        next_update: Some(NOW + time::Duration::hours(24)),
        url: None,
        entries: vec![VicalBuildEntry {
            certificate: pki.iaca.cert_der.clone(),
            doc_types: doc_types.iter().map(|s| s.to_string()).collect(),
            certificate_profiles: vec![],
            issuing_authority: None,
        }],
    }
}

fn sign(signer: &KeyAndCert, chain: &[Vec<u8>], input: &VicalBuildInput) -> Vec<u8> {
    let c = default_provider();
    let s = ProviderSigner::new(c, &signer.key).unwrap();
    build_vical(&s, chain, input).unwrap()
}

fn authority(pki: &TestPki) -> TrustAnchors {
    TrustAnchors::from_der_certs([&pki.vical_root.cert_der]).unwrap()
}

fn verify(
    bytes: &[u8],
    anchors: &TrustAnchors,
    at: OffsetDateTime,
) -> Result<VerifiedVical, VicalError> {
    VerifiedVical::from_bytes(
        bytes,
        anchors,
        default_provider(),
        at,
        &VicalPolicy::default(),
    )
}

#[test]
fn built_list_verifies_with_the_key_order_of_real_lists() {
    let p = pki();
    let bytes = sign(
        &p.vical_signer,
        std::slice::from_ref(&p.vical_signer.cert_der),
        &input(&p, &[MDL]),
    );
    // Untagged COSE_Sign1, protected {1: -7}, unprotected {33: bstr}.
    assert_eq!(&bytes[..7], &[0x84, 0x43, 0xa1, 0x01, 0x26, 0xa1, 0x18]);
    let v = verify(&bytes, &authority(&p), NOW + time::Duration::hours(1)).unwrap();
    assert_eq!(v.provider(), "Kakunin test");
    assert_eq!(v.issue_id(), Some(7));
    assert_eq!(v.entries().len(), 1);
    assert!(v.warnings().is_empty(), "{:?}", v.warnings());
    assert_eq!(v.entries()[0].doc_types(), [MDL]);
    assert_eq!(
        v.signer().leaf_subject.common_name.as_deref(),
        Some("Kakunin test VICAL signer")
    );
    // Key order of the payload: version, vicalProvider, date, vicalIssueID, nextUpdate,
    // certificateInfos; entries: certificate, serialNumber, ski, docType, ...
    let top = kakunin_core::cbor::decode(&bytes).unwrap();
    let payload =
        kakunin_core::cbor::decode(top.as_array().unwrap()[2].as_bytes().unwrap()).unwrap();
    let keys: Vec<&str> = payload
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_text().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "version",
            "vicalProvider",
            "date",
            "vicalIssueID",
            "nextUpdate",
            "certificateInfos"
        ]
    );
    let entry = &payload
        .get_text_key("certificateInfos")
        .unwrap()
        .as_array()
        .unwrap()[0];
    let ekeys: Vec<&str> = entry
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_text().unwrap())
        .collect();
    assert_eq!(
        ekeys,
        [
            "certificate",
            "serialNumber",
            "ski",
            "docType",
            "issuingAuthority",
            "issuingCountry",
            "issuer",
            "subject",
            "notBefore",
            "notAfter"
        ]
    );
}

#[test]
fn bad_signature_imports_nothing() {
    let p = pki();
    let mut bytes = sign(
        &p.vical_signer,
        std::slice::from_ref(&p.vical_signer.cert_der),
        &input(&p, &[MDL]),
    );
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let mut anchors = TrustAnchors::default();
    let r = verify(&bytes, &authority(&p), NOW);
    assert_eq!(r.as_ref().unwrap_err(), &VicalError::BadSignature);
    if let Ok(v) = r {
        v.import_into(&mut anchors);
    }
    assert!(anchors.is_empty());
}

#[test]
fn wrong_authority_refused() {
    let p = pki();
    let other = pki();
    let bytes = sign(
        &p.vical_signer,
        std::slice::from_ref(&p.vical_signer.cert_der),
        &input(&p, &[MDL]),
    );
    // Same subject names, other keys: the signer's certificate signature fails under it.
    let e = verify(&bytes, &authority(&other), NOW).unwrap_err();
    assert!(
        matches!(
            e,
            VicalError::UntrustedSigner(
                TrustError::UnknownIssuer | TrustError::BadSignature { .. }
            )
        ),
        "{e:?}"
    );
    // The IACA root is no VICAL authority either.
    let iaca = TrustAnchors::from_der_certs([&p.iaca.cert_der]).unwrap();
    assert!(verify(&bytes, &iaca, NOW).is_err());
}

#[test]
fn shipped_root_is_not_an_anchor() {
    // A forger's own root in the x5chain, after a signer it issued: refused.
    let p = pki();
    let c = default_provider();
    let fake_root = issue_root(c, "Kakunin test VICAL authority", "JP", NOW, 30).unwrap();
    let fake_signer = issue_leaf(
        c,
        &fake_root,
        "Kakunin test VICAL signer",
        "JP",
        "1.0.18013.5.1.8",
        NOW,
        30,
    )
    .unwrap();
    let bytes = sign(
        &fake_signer,
        &[fake_signer.cert_der.clone(), fake_root.cert_der.clone()],
        &input(&p, &[MDL]),
    );
    let e = verify(&bytes, &authority(&p), NOW).unwrap_err();
    assert!(matches!(e, VicalError::UntrustedSigner(_)), "{e:?}");
}

#[test]
fn signer_without_the_vical_eku_refused() {
    let p = pki();
    let c = default_provider();
    let ds_eku_signer = issue_leaf(
        c,
        &p.vical_root,
        "not a VICAL signer",
        "JP",
        EKU_MDOC_DS,
        NOW,
        30,
    )
    .unwrap();
    let bytes = sign(
        &ds_eku_signer,
        std::slice::from_ref(&ds_eku_signer.cert_der),
        &input(&p, &[MDL]),
    );
    let e = verify(&bytes, &authority(&p), NOW).unwrap_err();
    assert_eq!(
        e,
        VicalError::UntrustedSigner(TrustError::WrongExtendedKeyUsage {
            profile: CertProfile::VicalSigner
        })
    );
}

#[test]
fn expired_signer_refused() {
    let p = pki();
    let c = default_provider();
    let old = issue_leaf(
        c,
        &p.vical_root,
        "old VICAL signer",
        "JP",
        "1.0.18013.5.1.8",
        NOW - time::Duration::days(40),
        30,
    )
    .unwrap();
    let mut list = input(&p, &[MDL]);
    list.date = NOW - time::Duration::days(35);
    list.next_update = None;
    let bytes = sign(&old, std::slice::from_ref(&old.cert_der), &list);
    let e = verify(&bytes, &authority(&p), NOW).unwrap_err();
    assert!(
        matches!(
            e,
            VicalError::UntrustedSigner(TrustError::Expired { index: 0, .. })
        ),
        "{e:?}"
    );
    assert_eq!(e.cause(), kakunin_core::Cause::FailedCheck);
}

#[test]
fn stale_future_and_rollback() {
    let p = pki();
    let bytes = sign(
        &p.vical_signer,
        std::slice::from_ref(&p.vical_signer.cert_der),
        &input(&p, &[MDL]),
    );
    let a = authority(&p);
    let stale = verify(&bytes, &a, NOW + time::Duration::hours(25)).unwrap_err();
    assert!(matches!(stale, VicalError::Stale { .. }));
    let future = verify(&bytes, &a, NOW - time::Duration::minutes(5)).unwrap_err();
    assert!(matches!(future, VicalError::FutureDate { .. }));
    let policy = VicalPolicy {
        min_issue_id: Some(8),
        ..VicalPolicy::default()
    };
    let rollback = VerifiedVical::from_bytes(&bytes, &a, default_provider(), NOW, &policy);
    assert_eq!(
        rollback.unwrap_err(),
        VicalError::Rollback {
            found: Some(7),
            min: 8
        }
    );
}

#[test]
fn duplicate_entries_refused_when_built_and_parsed() {
    let p = pki();
    let mut list = input(&p, &[MDL]);
    list.entries.push(list.entries[0].clone());
    let c = default_provider();
    let s = ProviderSigner::new(c, &p.vical_signer.key).unwrap();
    let e = build_vical(&s, std::slice::from_ref(&p.vical_signer.cert_der), &list).unwrap_err();
    assert_eq!(e, VicalError::DuplicateEntry { index: 1, first: 0 });
}

#[test]
fn imported_iaca_is_scoped_to_its_doc_types() {
    let p = pki();
    let bytes = sign(
        &p.vical_signer,
        std::slice::from_ref(&p.vical_signer.cert_der),
        &input(&p, &[MDL]),
    );
    let v = SignedVical::parse(&bytes)
        .unwrap()
        .verify(
            &authority(&p),
            default_provider(),
            NOW,
            &VicalPolicy::default(),
        )
        .unwrap();
    let mut anchors = TrustAnchors::default();
    assert_eq!(v.import_into(&mut anchors), 1);
    assert_eq!(
        anchors.iter().next().unwrap().doc_types(),
        Some(&[MDL.to_string()][..])
    );
    let ds = &p.document_signers[0].cert_der;
    let c = default_provider();
    let ok = validate_chain_for_doc_type(c, &[ds], &anchors, CertProfile::DocumentSigner, MDL, NOW);
    assert!(ok.is_ok(), "{ok:?}");
    let pid =
        validate_chain_for_doc_type(c, &[ds], &anchors, CertProfile::DocumentSigner, PID, NOW);
    assert_eq!(
        pid.unwrap_err(),
        TrustError::OutOfScope {
            doc_type: PID.into()
        }
    );
    // The same IACA configured by hand (unscoped) validates every docType.
    let mut both = TrustAnchors::from_der_certs([&p.iaca.cert_der]).unwrap();
    assert!(
        validate_chain_for_doc_type(c, &[ds], &both, CertProfile::DocumentSigner, PID, NOW).is_ok()
    );
    both.extend(v.into_trust_anchors());
    assert!(
        validate_chain_for_doc_type(c, &[ds], &both, CertProfile::DocumentSigner, PID, NOW).is_ok()
    );
}

/// The IACA with its outer signatureAlgorithm changed (ecdsa-with-SHA256 <-> SHA384), so it
/// no longer equals the TBS one: DER-shaped (the list parses) but refused by webpki as a
/// trust anchor.
fn iaca_webpki_refuses(p: &TestPki) -> Vec<u8> {
    let mut der = p.iaca.cert_der.clone();
    let oid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03];
    let at = der.windows(oid.len()).rposition(|w| w == oid).unwrap() + oid.len();
    der[at] = if der[at] == 0x02 { 0x03 } else { 0x02 };
    der
}

#[test]
fn an_entry_webpki_refuses_is_refused_when_used() {
    let p = pki();
    let mut list = input(&p, &[MDL]);
    list.entries.push(VicalBuildEntry {
        certificate: iaca_webpki_refuses(&p),
        ..list.entries[0].clone()
    });
    let bytes = sign(
        &p.vical_signer,
        std::slice::from_ref(&p.vical_signer.cert_der),
        &list,
    );
    // The list verifies: webpki reads an entry's certificate when the entry is first used.
    let v = verify(&bytes, &authority(&p), NOW).unwrap();
    assert_eq!(v.entries().len(), 2);
    let refused = TrustError::MalformedCertificate {
        index: 1,
        reason: CertDefect::NotAnAnchor,
    };
    assert_eq!(v.certificate_der(0).unwrap().unwrap(), &p.iaca.cert_der[..]);
    assert_eq!(
        v.certificate_der(1).unwrap().unwrap_err(),
        VicalError::EntryCertificate {
            index: 1,
            error: refused.clone()
        }
    );
    assert!(v.certificate_der(2).is_none());
    let ds = &p.document_signers[0].cert_der;
    let c = default_provider();
    // The good entry still validates chains; the refused one is never used.
    let anchors = v.clone().into_trust_anchors();
    let ok = validate_chain_for_doc_type(c, &[ds], &anchors, CertProfile::DocumentSigner, MDL, NOW);
    assert_eq!(ok.unwrap().anchor_index, 0);
    // A chain with no path (the VICAL signer's, under the VICAL root) while the refused entry is in
    // scope gets the entry's error, the same on every use.
    let elsewhere = &p.vical_signer.cert_der;
    for _ in 0..2 {
        let e = validate_chain_for_doc_type(
            c,
            &[elsewhere],
            &anchors,
            CertProfile::VicalSigner,
            MDL,
            NOW,
        );
        assert_eq!(e.unwrap_err(), refused);
    }
    // The refused entry alone: the chain it would have ended in is refused with its error.
    let mut only_bad = TrustAnchors::default();
    let mut single = input(&p, &[MDL]);
    single.entries[0].certificate = iaca_webpki_refuses(&p);
    let bytes = sign(
        &p.vical_signer,
        std::slice::from_ref(&p.vical_signer.cert_der),
        &single,
    );
    verify(&bytes, &authority(&p), NOW)
        .unwrap()
        .import_into(&mut only_bad);
    let e = validate_chain_for_doc_type(c, &[ds], &only_bad, CertProfile::DocumentSigner, MDL, NOW);
    assert_eq!(
        e.unwrap_err(),
        TrustError::MalformedCertificate {
            index: 0,
            reason: CertDefect::NotAnAnchor
        }
    );
}
