#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The certificate profile, chain, validity and CRL checks on the JPKI-SIM fixtures made by
//! the openssl CLI (tests/data/gen.sh, PROVENANCE.md).

use kakunin_core::crypto::default_provider;
use kakunin_core::trust::crl::CrlReason;
use kakunin_jpki::profile::Sex;
use kakunin_jpki::trust::{Purpose, Revocation};
use kakunin_jpki::{
    AuthenticationCertificate, CertificateKind, JpkiTrust, ProfileError, SignatureCertificate,
    TrustCheckError,
};
use time::macros::{date, datetime};

const SIGN_CA: &[u8] = include_bytes!("data/sign-ca.der");
const AUTH_CA: &[u8] = include_bytes!("data/auth-ca.der");
const FOREIGN_CA: &[u8] = include_bytes!("data/foreign-ca.der");
const SIGN: &[u8] = include_bytes!("data/sign.der");
const PHONE_SIGN: &[u8] = include_bytes!("data/phone-sign.der");
const REVOKED_SIGN: &[u8] = include_bytes!("data/revoked-sign.der");
const NOPOLICY_SIGN: &[u8] = include_bytes!("data/nopolicy-sign.der");
const FOREIGN_SIGN: &[u8] = include_bytes!("data/foreign-sign.der");
const AUTH: &[u8] = include_bytes!("data/auth.der");
const PHONE_AUTH: &[u8] = include_bytes!("data/phone-auth.der");
const SIGN_CRL: &[u8] = include_bytes!("data/sign-ca.crl");
const AUTH_CRL: &[u8] = include_bytes!("data/auth-ca.crl");

const NOW: time::OffsetDateTime = datetime!(2026-07-01 00:00 UTC);

fn trust(with_crls: bool) -> JpkiTrust {
    let c = default_provider();
    let mut t = JpkiTrust::new(c, vec![SIGN_CA.to_vec()], vec![AUTH_CA.to_vec()]).unwrap();
    if with_crls {
        t.add_crl(c, Purpose::Signature, SIGN_CRL).unwrap();
        t.add_crl(c, Purpose::Authentication, AUTH_CRL).unwrap();
    }
    t
}

#[test]
fn the_four_facts_by_oid() {
    let s = SignatureCertificate::parse(SIGN).unwrap();
    assert_eq!(s.info.kind, CertificateKind::Card);
    assert_eq!(s.facts.name, "見本　花子");
    assert_eq!(s.facts.date_of_birth, Some(date!(2000 - 01 - 01)));
    assert_eq!(s.facts.sex, Sex::Female);
    assert_eq!(s.facts.address, "東京都千代田区千代田１丁目１番地");
    assert!(!s.facts.name_has_substitutes());
    assert!(s.facts.address_has_substitutes());
    assert_eq!(s.info.serial, vec![0x5a, 0x1e, 0x00, 0x02]);
    assert!(s.info.subject().contains("CN=JPKISIM0000000000000001S"));
    assert_eq!(s.info.not_after, datetime!(2031-06-30 14:59:59 UTC));
    assert_eq!(s.info.public_key.bits(), 2048);
    // Debug never shows the facts.
    assert!(!format!("{s:?}").contains("花子"));
    let p = SignatureCertificate::parse(PHONE_SIGN).unwrap();
    assert_eq!(p.info.kind, CertificateKind::Smartphone);
    assert_eq!(p.facts.name, s.facts.name);
}

#[test]
fn kinds_by_policy_and_purpose() {
    assert_eq!(
        AuthenticationCertificate::parse(AUTH).unwrap().info.kind,
        CertificateKind::Card
    );
    assert_eq!(
        AuthenticationCertificate::parse(PHONE_AUTH)
            .unwrap()
            .info
            .kind,
        CertificateKind::Smartphone
    );
    // An authentication certificate is not a signature certificate, nor the reverse.
    assert_eq!(
        SignatureCertificate::parse(AUTH).err(),
        Some(ProfileError::UnknownPolicy {
            purpose: "signature"
        })
    );
    assert_eq!(
        AuthenticationCertificate::parse(SIGN).err(),
        Some(ProfileError::UnknownPolicy {
            purpose: "authentication"
        })
    );
    assert_eq!(
        SignatureCertificate::parse(NOPOLICY_SIGN).err(),
        Some(ProfileError::UnknownPolicy {
            purpose: "signature"
        })
    );
    assert_eq!(
        SignatureCertificate::parse(&SIGN[..SIGN.len() - 1]).err(),
        Some(ProfileError::NotDer)
    );
    assert!(matches!(
        SignatureCertificate::parse(&vec![0x30; 9000]),
        Err(ProfileError::TooLarge { len: 9000, .. })
    ));
}

#[test]
fn good_certificates_validate_with_current_crls() {
    let c = default_provider();
    let t = trust(true);
    for der in [SIGN, PHONE_SIGN] {
        let s = SignatureCertificate::parse(der).unwrap();
        let v = t.validate_signature_cert(&s, NOW, c).unwrap();
        assert_eq!(v.revocation, Revocation::Good);
        assert_eq!(v.ca_index, 0);
    }
    for der in [AUTH, PHONE_AUTH] {
        let a = AuthenticationCertificate::parse(der).unwrap();
        assert_eq!(
            t.validate_authentication_cert(&a, NOW, c)
                .unwrap()
                .revocation,
            Revocation::Good
        );
    }
}

#[test]
fn revoked_expired_unknown_and_foreign() {
    let c = default_provider();
    let t = trust(true);
    let revoked = SignatureCertificate::parse(REVOKED_SIGN).unwrap();
    assert!(matches!(
        t.validate_signature_cert(&revoked, NOW, c)
            .unwrap()
            .revocation,
        Revocation::Revoked {
            reason: Some(CrlReason::AffiliationChanged),
            ..
        }
    ));
    let good = SignatureCertificate::parse(SIGN).unwrap();
    assert!(matches!(
        t.validate_signature_cert(&good, datetime!(2031-07-01 00:00 UTC), c),
        Err(TrustCheckError::OutsideValidity {
            purpose: Purpose::Signature,
            ..
        })
    ));
    assert!(matches!(
        t.validate_signature_cert(&good, datetime!(2025-12-31 00:00 UTC), c),
        Err(TrustCheckError::OutsideValidity { .. })
    ));
    // No CRL configured: revocation unknown, not "good".
    assert_eq!(
        trust(false).validate_signature_cert(&good, NOW, c),
        Err(TrustCheckError::RevocationUnknown {
            purpose: Purpose::Signature
        })
    );
    // Same DN as the sign CA, other key: not trusted.
    let foreign = SignatureCertificate::parse(FOREIGN_SIGN).unwrap();
    assert_eq!(
        t.validate_signature_cert(&foreign, NOW, c),
        Err(TrustCheckError::UnknownIssuer {
            purpose: Purpose::Signature
        })
    );
}

#[test]
fn ca_of_the_wrong_purpose_is_never_used() {
    let c = default_provider();
    // The sign CA configured only as an authentication CA: the signature cert has no CA.
    let t = JpkiTrust::new(c, vec![AUTH_CA.to_vec()], vec![SIGN_CA.to_vec()]).unwrap();
    let s = SignatureCertificate::parse(SIGN).unwrap();
    assert_eq!(
        t.validate_signature_cert(&s, NOW, c),
        Err(TrustCheckError::UnknownIssuer {
            purpose: Purpose::Signature
        })
    );
}

#[test]
fn the_right_ca_is_picked_among_generations_sharing_a_dn() {
    let c = default_provider();
    // foreign-ca has the sign CA's DN; listed first, it must be skipped by key.
    let mut t = JpkiTrust::new(
        c,
        vec![FOREIGN_CA.to_vec(), SIGN_CA.to_vec()],
        vec![AUTH_CA.to_vec()],
    )
    .unwrap();
    t.add_crl(c, Purpose::Signature, SIGN_CRL).unwrap();
    let s = SignatureCertificate::parse(SIGN).unwrap();
    let v = t.validate_signature_cert(&s, NOW, c).unwrap();
    assert_eq!(v.ca_index, 1);
    assert_eq!(v.revocation, Revocation::Good);
}

#[test]
fn a_tampered_certificate_or_crl_is_refused() {
    let c = default_provider();
    let t = trust(true);
    // Flip a bit of the signature: same issuer and key id, so a bad signature.
    let mut bad = SIGN.to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let s = SignatureCertificate::parse(&bad).unwrap();
    assert_eq!(
        t.validate_signature_cert(&s, NOW, c),
        Err(TrustCheckError::BadSignature {
            purpose: Purpose::Signature
        })
    );
    let mut t = trust(false);
    let mut crl = SIGN_CRL.to_vec();
    let last = crl.len() - 1;
    crl[last] ^= 1;
    assert!(matches!(
        t.add_crl(c, Purpose::Signature, &crl),
        Err(TrustCheckError::Crl(_))
    ));
    // The sign CRL is not the auth CA's.
    assert!(t.add_crl(c, Purpose::Authentication, SIGN_CRL).is_err());
}

#[test]
fn configuration_errors_are_typed() {
    let c = default_provider();
    assert_eq!(
        JpkiTrust::new(c, vec![], vec![AUTH_CA.to_vec()]).err(),
        Some(TrustCheckError::NoCas {
            purpose: Purpose::Signature
        })
    );
    assert!(matches!(
        JpkiTrust::new(c, vec![SIGN.to_vec()], vec![AUTH_CA.to_vec()]),
        Err(TrustCheckError::BadCa { index: 0, .. })
    ));
}

/// A card whose authentication key is the fixture's (ring signs what the card would: PKCS#1
/// v1.5 over the SHA-256 DigestInfo of the message it is given out of band).
struct RingCard {
    key: ring::rsa::KeyPair,
    msg: Vec<u8>,
}

impl kakunin_core::card::Transceive for RingCard {
    type Error = String;
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, String> {
        if command.first() == Some(&0x80) {
            // The DigestInfo sent must be that of the message.
            let digest = default_provider().hash(kakunin_core::crypto::HashAlg::Sha256, &self.msg);
            assert_eq!(&command[5 + 19..5 + 51], digest.as_slice());
            let mut sig = vec![0; self.key.public().modulus_len()];
            self.key
                .sign(
                    &ring::signature::RSA_PKCS1_SHA256,
                    &ring::rand::SystemRandom::new(),
                    &self.msg,
                    &mut sig,
                )
                .unwrap();
            sig.extend_from_slice(&[0x90, 0x00]);
            return Ok(sig);
        }
        Ok(vec![0x90, 0x00])
    }
}

#[test]
fn a_card_signer_signature_verifies_under_the_certificate() {
    use kakunin_core::crypto::RsaSigner;
    let c = default_provider();
    let msg = b"kakunin enrolment challenge".to_vec();
    let key = ring::rsa::KeyPair::from_pkcs8(include_bytes!("data/auth.pk8")).unwrap();
    let mut card = kakunin_jpki::JpkiCard::new(RingCard {
        key,
        msg: msg.clone(),
    });
    card.select_jpki_ap().unwrap();
    let cert = AuthenticationCertificate::parse(AUTH).unwrap();
    let mut signer = kakunin_jpki::CardSigner::new(
        &mut card,
        kakunin_jpki::KeyKind::Authentication,
        cert.info.public_key.clone(),
        c,
    );
    let sig = signer.sign_pkcs1v15(&msg).unwrap();
    c.verify_rsa_pkcs1v15(
        &cert.info.public_key,
        kakunin_core::crypto::HashAlg::Sha256,
        &msg,
        &sig,
    )
    .unwrap();
    // Not under the signature certificate's key.
    let other = SignatureCertificate::parse(SIGN).unwrap();
    assert!(c
        .verify_rsa_pkcs1v15(
            &other.info.public_key,
            kakunin_core::crypto::HashAlg::Sha256,
            &msg,
            &sig
        )
        .is_err());
}
