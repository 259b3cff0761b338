#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `JpkiProofing` on the JPKI-SIM fixtures (jpki/tests/data, made by the openssl CLI): the
//! enrolment challenge signed with the fixtures' keys through `ring`.

use kakunin_core::crypto::default_provider;
use kakunin_core::enrolment::enrolment_challenge;
use kakunin_issuer::proofing::{
    load_jpki_trust, ApplicantProofing, EnrolmentEvidence, JpkiProofing, ProofingError,
    ProofingMethod, Sex,
};

macro_rules! data {
    ($f:literal) => {
        include_bytes!(concat!("../../jpki/tests/data/", $f))
    };
}

const ISSUER: &str = "https://issuer.example";
const NONCE: [u8; 32] = [7; 32];
const DEVICE_KEYS: [[u8; 32]; 2] = [[1; 32], [2; 32]];
/// 2026-07-01T00:00:00Z: every fixture valid, the CRLs current.
const NOW: i64 = 1_782_864_000;

fn sign_with(pk8: &[u8], msg: &[u8]) -> Vec<u8> {
    let key = ring::rsa::KeyPair::from_pkcs8(pk8).unwrap();
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        msg,
        &mut sig,
    )
    .unwrap();
    sig
}

fn dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("jpki-sign-ca.pem"), data!("sign-ca.pem")).unwrap();
    std::fs::write(d.path().join("jpki-auth-ca.pem"), data!("auth-ca.pem")).unwrap();
    std::fs::write(d.path().join("jpki-sign.crl"), data!("sign-ca.crl")).unwrap();
    std::fs::write(d.path().join("jpki-auth.crl"), data!("auth-ca.crl")).unwrap();
    d
}

fn proofing() -> JpkiProofing {
    let d = dir();
    JpkiProofing::from_dir(d.path(), default_provider()).unwrap()
}

struct Case {
    sign_cert: &'static [u8],
    sign_key: &'static [u8],
    auth_cert: &'static [u8],
    auth_key: &'static [u8],
}

const CARD: Case = Case {
    sign_cert: data!("sign.der"),
    sign_key: data!("sign.pk8"),
    auth_cert: data!("auth.der"),
    auth_key: data!("auth.pk8"),
};
const PHONE: Case = Case {
    sign_cert: data!("phone-sign.der"),
    sign_key: data!("phone-sign.pk8"),
    auth_cert: data!("phone-auth.der"),
    auth_key: data!("phone-auth.pk8"),
};

/// Prove `case` with signatures over the challenge of (`nonce`, `keys`), checked against the
/// evidence's own NONCE and DEVICE_KEYS.
fn prove_signed(
    p: &JpkiProofing,
    case: &Case,
    nonce: &[u8; 32],
    keys: &[[u8; 32]],
    now: i64,
) -> Result<kakunin_issuer::proofing::ProofedApplicant, ProofingError> {
    let challenge = enrolment_challenge(ISSUER, nonce, keys).unwrap();
    let signature = sign_with(case.sign_key, &challenge);
    let authentication_signature = sign_with(case.auth_key, &challenge);
    p.prove(
        &EnrolmentEvidence {
            issuer: ISSUER,
            nonce: &NONCE,
            device_key_thumbprints: &DEVICE_KEYS,
            signature_certificate: case.sign_cert,
            signature: &signature,
            authentication_certificate: case.auth_cert,
            authentication_signature: &authentication_signature,
        },
        now,
    )
}

#[test]
fn good_card_and_good_phone() {
    let p = proofing();
    let a = prove_signed(&p, &CARD, &NONCE, &DEVICE_KEYS, NOW).unwrap();
    assert_eq!(a.method, ProofingMethod::JpkiCard);
    assert_eq!(a.level, "IAL3");
    assert_eq!(a.name, "見本　花子");
    assert_eq!(a.address, "東京都千代田区千代田１丁目１番地");
    assert_eq!(a.sex, Sex::Female);
    assert_eq!(a.date_of_birth, Some(time::macros::date!(2000 - 01 - 01)));
    assert_eq!(a.signature_certificate.serial, vec![0x5a, 0x1e, 0x00, 0x02]);
    assert_eq!(a.not_after, 1_940_597_999); // 2031-06-30T14:59:59Z
    let b = prove_signed(&p, &PHONE, &NONCE, &DEVICE_KEYS, NOW).unwrap();
    assert_eq!(b.method, ProofingMethod::JpkiSmartphone);
    assert_eq!(b.level, "IAL3");
    assert_ne!(
        b.signature_certificate.serial,
        a.signature_certificate.serial
    );
    // Debug shows neither facts nor serials.
    let dbg = format!("{a:?}");
    assert!(!dbg.contains("花子") && !dbg.contains("5a1e"));
}

#[test]
fn revoked_expired_and_foreign_ca() {
    let p = proofing();
    let revoked = Case {
        sign_cert: data!("revoked-sign.der"),
        ..CARD
    };
    assert_eq!(
        prove_signed(&p, &revoked, &NONCE, &DEVICE_KEYS, NOW).err(),
        Some(ProofingError::Revoked { which: "signature" })
    );
    assert_eq!(
        // 2031-07-01: past the leaves' notAfter.
        prove_signed(&p, &CARD, &NONCE, &DEVICE_KEYS, 1_940_630_400).err(),
        Some(ProofingError::Expired { which: "signature" })
    );
    let foreign = Case {
        sign_cert: data!("foreign-sign.der"),
        ..CARD
    };
    assert_eq!(
        prove_signed(&p, &foreign, &NONCE, &DEVICE_KEYS, NOW).err(),
        Some(ProofingError::Untrusted { which: "signature" })
    );
}

#[test]
fn the_authentication_key_cannot_stand_in_for_the_signature_key() {
    let p = proofing();
    let swapped = Case {
        sign_key: CARD.auth_key,
        ..CARD
    };
    assert_eq!(
        prove_signed(&p, &swapped, &NONCE, &DEVICE_KEYS, NOW).err(),
        Some(ProofingError::BadSignature { which: "signature" })
    );
    // The authentication certificate given as the signature certificate.
    let as_sign = Case {
        sign_cert: CARD.auth_cert,
        ..CARD
    };
    assert!(matches!(
        prove_signed(&p, &as_sign, &NONCE, &DEVICE_KEYS, NOW),
        Err(ProofingError::WrongCertificate(_))
    ));
}

#[test]
fn a_challenge_for_another_nonce_or_other_device_keys_fails() {
    let p = proofing();
    assert_eq!(
        prove_signed(&p, &CARD, &[8; 32], &DEVICE_KEYS, NOW).err(),
        Some(ProofingError::BadSignature { which: "signature" })
    );
    assert_eq!(
        prove_signed(&p, &CARD, &NONCE, &[[1; 32], [3; 32]], NOW).err(),
        Some(ProofingError::BadSignature { which: "signature" })
    );
    assert_eq!(
        prove_signed(&p, &CARD, &NONCE, &DEVICE_KEYS[..1], NOW).err(),
        Some(ProofingError::BadSignature { which: "signature" })
    );
    // Only the authentication signature is over the wrong challenge.
    let challenge = enrolment_challenge(ISSUER, &NONCE, &DEVICE_KEYS).unwrap();
    let other = enrolment_challenge(ISSUER, &[9; 32], &DEVICE_KEYS).unwrap();
    let signature = sign_with(CARD.sign_key, &challenge);
    let authentication_signature = sign_with(CARD.auth_key, &other);
    assert_eq!(
        p.prove(
            &EnrolmentEvidence {
                issuer: ISSUER,
                nonce: &NONCE,
                device_key_thumbprints: &DEVICE_KEYS,
                signature_certificate: CARD.sign_cert,
                signature: &signature,
                authentication_certificate: CARD.auth_cert,
                authentication_signature: &authentication_signature,
            },
            NOW
        )
        .err(),
        Some(ProofingError::BadSignature {
            which: "authentication"
        })
    );
}

#[test]
fn card_and_phone_certificates_do_not_mix() {
    let p = proofing();
    let mixed = Case {
        auth_cert: PHONE.auth_cert,
        auth_key: PHONE.auth_key,
        ..CARD
    };
    assert!(matches!(
        prove_signed(&p, &mixed, &NONCE, &DEVICE_KEYS, NOW),
        Err(ProofingError::WrongCertificate(_))
    ));
}

#[test]
fn without_crls_revocation_is_unknown_and_bad_directories_are_typed() {
    let d = dir();
    std::fs::remove_file(d.path().join("jpki-sign.crl")).unwrap();
    let p = JpkiProofing::from_dir(d.path(), default_provider()).unwrap();
    assert_eq!(
        prove_signed(&p, &CARD, &NONCE, &DEVICE_KEYS, NOW).err(),
        Some(ProofingError::RevocationUnknown { which: "signature" })
    );
    // The auth CRL in the sign CRL's place: does not verify under the sign CA.
    std::fs::write(d.path().join("jpki-sign.crl"), data!("auth-ca.crl")).unwrap();
    assert!(load_jpki_trust(d.path(), default_provider()).is_err());
    std::fs::remove_file(d.path().join("jpki-auth-ca.pem")).unwrap();
    assert!(load_jpki_trust(d.path(), default_provider()).is_err());
    std::fs::write(d.path().join("jpki-auth-ca.pem"), b"not pem").unwrap();
    assert!(load_jpki_trust(d.path(), default_provider()).is_err());
    // Several CAs in one file (generations): both kept.
    let d = dir();
    let mut two = data!("foreign-ca.pem").to_vec();
    two.extend_from_slice(data!("sign-ca.pem"));
    std::fs::write(d.path().join("jpki-sign-ca.pem"), two).unwrap();
    let p = JpkiProofing::from_dir(d.path(), default_provider()).unwrap();
    assert_eq!(
        p.trust().cas(kakunin_jpki::trust::Purpose::Signature).len(),
        2
    );
    prove_signed(&p, &CARD, &NONCE, &DEVICE_KEYS, NOW).unwrap();
}
