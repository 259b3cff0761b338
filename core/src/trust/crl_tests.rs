//! CRL tests (RFC 5280 §5) on certificates and CRLs built here with x509-cert and signed
//! with p256, at pinned times.

use super::crl::*;
use super::TrustError;
use crate::crypto::default_provider as dp;
use der::asn1::{BitString, ObjectIdentifier, OctetString, Uint};
use der::{Decode, Encode};
use std::str::FromStr;
use std::time::Duration as StdDuration;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, KeyUsage, KeyUsages};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

const AT: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

fn x509_time(t: OffsetDateTime) -> Time {
    Time::try_from(
        std::time::UNIX_EPOCH + StdDuration::from_secs(u64::try_from(t.unix_timestamp()).unwrap()),
    )
    .unwrap()
}

struct Ca {
    key: p256::ecdsa::SigningKey,
    name: Name,
    der: Vec<u8>,
}

fn spki(key: &p256::ecdsa::SigningKey) -> SubjectPublicKeyInfoOwned {
    use p256::pkcs8::EncodePublicKey;
    SubjectPublicKeyInfoOwned::from_der(key.verifying_key().to_public_key_der().unwrap().as_bytes())
        .unwrap()
}

fn validity() -> Validity {
    Validity {
        not_before: x509_time(datetime!(2025-01-01 00:00 UTC)),
        not_after: x509_time(datetime!(2030-01-01 00:00 UTC)),
    }
}

/// A root CA; `crl_sign` false gives it a KeyUsage with keyCertSign only.
fn ca(cn: &str, crl_sign: bool) -> Ca {
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let name = Name::from_str(&format!("CN={cn},C=JP")).unwrap();
    let der = if crl_sign {
        let b = CertificateBuilder::new(
            Profile::Root,
            SerialNumber::from(1u32),
            validity(),
            name.clone(),
            spki(&key),
            &key,
        )
        .unwrap();
        b.build::<p256::ecdsa::DerSignature>().unwrap()
    } else {
        let mut b = CertificateBuilder::new(
            Profile::Manual { issuer: None },
            SerialNumber::from(1u32),
            validity(),
            name.clone(),
            spki(&key),
            &key,
        )
        .unwrap();
        b.add_extension(&KeyUsage(KeyUsages::KeyCertSign.into()))
            .unwrap();
        b.build::<p256::ecdsa::DerSignature>().unwrap()
    }
    .to_der()
    .unwrap();
    Ca { key, name, der }
}

/// A leaf certificate with `serial` issued by `ca`.
fn leaf(ca: &Ca, serial: u32) -> Vec<u8> {
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    CertificateBuilder::new(
        Profile::Leaf {
            issuer: ca.name.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
            include_subject_key_identifier: true,
        },
        SerialNumber::from(serial),
        validity(),
        Name::from_str("CN=leaf,C=JP").unwrap(),
        spki(&key),
        &ca.key,
    )
    .unwrap()
    .build::<p256::ecdsa::DerSignature>()
    .unwrap()
    .to_der()
    .unwrap()
}

fn ext<E: AsExtension>(e: &E) -> Extension {
    e.to_extension(&Name::default(), &[]).unwrap()
}

fn raw_ext(oid: &str, critical: bool, value: &[u8]) -> Extension {
    Extension {
        extn_id: ObjectIdentifier::new_unwrap(oid),
        critical,
        extn_value: OctetString::new(value.to_vec()).unwrap(),
    }
}

fn reason_ext(code: u8) -> Extension {
    // ENUMERATED (10) of one octet.
    raw_ext("2.5.29.21", false, &[0x0a, 0x01, code])
}

fn entry(serial: u32, exts: Vec<Extension>) -> RevokedCert {
    RevokedCert {
        serial_number: SerialNumber::from(serial),
        revocation_date: x509_time(datetime!(2026-05-01 12:00 UTC)),
        crl_entry_extensions: (!exts.is_empty()).then_some(exts),
    }
}

fn crl_number(n: u32) -> Extension {
    ext(&x509_cert::ext::pkix::crl::CrlNumber(
        Uint::new(&n.to_be_bytes()).unwrap(),
    ))
}

/// A TBSCertList of `ca` (thisUpdate 2026-05-31, nextUpdate 2026-06-07, CRLNumber 1).
fn tbs(ca: &Ca, entries: Vec<RevokedCert>) -> TbsCertList {
    TbsCertList {
        version: x509_cert::Version::V2,
        signature: AlgorithmIdentifierOwned {
            oid: ECDSA_SHA256,
            parameters: None,
        },
        issuer: ca.name.clone(),
        this_update: x509_time(datetime!(2026-05-31 00:00 UTC)),
        next_update: Some(x509_time(datetime!(2026-06-07 00:00 UTC))),
        revoked_certificates: (!entries.is_empty()).then_some(entries),
        crl_extensions: Some(vec![crl_number(1)]),
    }
}

fn sign(key: &p256::ecdsa::SigningKey, tbs: TbsCertList) -> Vec<u8> {
    use p256::ecdsa::signature::Signer;
    let tbs_der = tbs.to_der().unwrap();
    let sig: p256::ecdsa::DerSignature = key.sign(&tbs_der);
    CertificateList {
        signature_algorithm: tbs.signature.clone(),
        tbs_cert_list: tbs,
        signature: BitString::from_bytes(sig.as_bytes()).unwrap(),
    }
    .to_der()
    .unwrap()
}

fn pem(der: &[u8]) -> Vec<u8> {
    der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, der)
        .unwrap()
        .into_bytes()
}

#[test]
fn revoked_and_not_revoked_with_reason_from_der_and_pem() {
    let ca = ca("CRL test CA", true);
    let der = sign(
        &ca.key,
        tbs(&ca, vec![entry(7, vec![reason_ext(1)]), entry(3, vec![])]),
    );
    for input in [der.clone(), pem(&der)] {
        let crl = parse_crl_input(&input).unwrap();
        assert_eq!(crl.der(), der.as_slice());
        assert_eq!(crl.len(), 2);
        assert_eq!(crl.crl_number(), Some(&[1u8][..]));
        let v = crl.verify(dp(), &ca.der).unwrap();
        assert_eq!(
            v.status(&[7], AT).unwrap(),
            (
                Freshness::Current,
                RevocationStatus::Revoked {
                    reason: Some(CrlReason::KeyCompromise),
                    revoked_at: datetime!(2026-05-01 12:00 UTC),
                }
            )
        );
        assert_eq!(
            v.lookup(&[3]),
            RevocationStatus::Revoked {
                reason: None,
                revoked_at: datetime!(2026-05-01 12:00 UTC)
            }
        );
        assert_eq!(v.lookup(&[4]), RevocationStatus::NotRevoked);
    }
    // Through a set, from the certificates themselves.
    let mut set = CrlSet::new();
    set.insert(verify_crl(dp(), &der, [ca.der.as_slice()]).unwrap());
    match set.check(&leaf(&ca, 7), &ca.der, AT) {
        RevocationCheck::Revoked { reason, crl, .. } => {
            assert_eq!(reason, Some(CrlReason::KeyCompromise));
            assert_eq!(crl.next_update, Some(datetime!(2026-06-07 00:00 UTC)));
            assert_eq!(crl.crl_number.as_deref(), Some("01"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        set.check(&leaf(&ca, 8), &ca.der, AT),
        RevocationCheck::NotRevoked {
            freshness: Freshness::Current,
            ..
        }
    ));
    // Another issuer's certificate: no CRL, never "not revoked".
    let other = self::ca("Other CA", true);
    assert_eq!(
        set.check(&leaf(&other, 7), &other.der, AT),
        RevocationCheck::NoCrl
    );
}

#[test]
fn a_crl_signed_by_the_wrong_ca_is_refused() {
    let ca1 = ca("CRL test CA", true);
    let ca2 = ca("Other CA", true);
    let der = sign(&ca1.key, tbs(&ca1, vec![entry(7, vec![])]));
    // Another CA's certificate.
    assert_eq!(
        parse_crl_input(&der).unwrap().verify(dp(), &ca2.der).err(),
        Some(CrlError::IssuerMismatch)
    );
    assert_eq!(
        verify_crl(dp(), &der, [ca2.der.as_slice()]).err(),
        Some(CrlError::UnknownIssuer)
    );
    // Same name, another key: the signature fails.
    let impostor = self::ca("CRL test CA", true);
    let forged = sign(&impostor.key, tbs(&ca1, vec![]));
    let e = parse_crl_input(&forged)
        .unwrap()
        .verify(dp(), &ca1.der)
        .err();
    assert_eq!(e, Some(CrlError::BadSignature));
    assert_eq!(e.unwrap().cause(), crate::Cause::FailedCheck);
    // A CRL verified under the impostor's certificate is not used for ca1's certificates.
    let mut set = CrlSet::new();
    let impostor_crl = sign(&impostor.key, tbs(&impostor, vec![]));
    set.insert(
        parse_crl_input(&impostor_crl)
            .unwrap()
            .verify(dp(), &impostor.der)
            .unwrap(),
    );
    assert_eq!(
        set.check(&leaf(&ca1, 7), &ca1.der, AT),
        RevocationCheck::NoCrl
    );
    // A tampered byte in the signed part.
    let mut tampered = der.clone();
    let date = b"260501120000Z";
    let pos = tampered
        .windows(date.len())
        .position(|w| w == date)
        .unwrap();
    tampered[pos + 11] = b'1';
    let crl = parse_crl_input(&tampered).unwrap();
    assert_eq!(
        crl.verify(dp(), &ca1.der).err(),
        Some(CrlError::BadSignature)
    );
}

#[test]
fn issuer_needs_crl_sign_and_a_matching_key_identifier() {
    let ca = ca("No CRL sign", false);
    let der = sign(&ca.key, tbs(&ca, vec![]));
    assert_eq!(
        parse_crl_input(&der).unwrap().verify(dp(), &ca.der).err(),
        Some(CrlError::IssuerCannotSignCrls)
    );
    let ca = self::ca("CRL test CA", true);
    let mut t = tbs(&ca, vec![]);
    t.crl_extensions
        .as_mut()
        .unwrap()
        .push(ext(&AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(vec![9; 20]).unwrap()),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        }));
    let der = sign(&ca.key, t);
    assert_eq!(
        parse_crl_input(&der).unwrap().verify(dp(), &ca.der).err(),
        Some(CrlError::AuthorityKeyIdMismatch)
    );
}

#[test]
fn freshness_stale_future_and_no_next_update() {
    let ca = ca("CRL test CA", true);
    let v = verify_crl(dp(), &sign(&ca.key, tbs(&ca, vec![])), [ca.der.as_slice()]).unwrap();
    assert_eq!(
        v.freshness(datetime!(2026-06-08 06:00 UTC)),
        Ok(Freshness::Stale {
            overdue: Duration::hours(30)
        })
    );
    assert_eq!(
        v.freshness(datetime!(2026-05-30 00:00 UTC)),
        Err(CrlError::NotYetValid {
            this_update: datetime!(2026-05-31 00:00 UTC)
        })
    );
    let mut set = CrlSet::new();
    set.insert(v);
    assert!(matches!(
        set.check(&leaf(&ca, 7), &ca.der, datetime!(2026-06-08 06:00 UTC)),
        RevocationCheck::Stale {
            status: RevocationStatus::NotRevoked,
            ..
        }
    ));
    assert!(matches!(
        set.check(&leaf(&ca, 7), &ca.der, datetime!(2026-05-30 00:00 UTC)),
        RevocationCheck::NotYetValid { .. }
    ));
    let mut t = tbs(&ca, vec![]);
    t.next_update = None;
    let v = verify_crl(dp(), &sign(&ca.key, t), [ca.der.as_slice()]).unwrap();
    assert_eq!(
        v.freshness(datetime!(2036-01-01 00:00 UTC)),
        Ok(Freshness::NoNextUpdate)
    );
    // nextUpdate before thisUpdate.
    let mut t = tbs(&ca, vec![]);
    t.next_update = Some(x509_time(datetime!(2026-05-01 00:00 UTC)));
    assert_eq!(
        parse_crl_input(&sign(&ca.key, t)).err(),
        Some(CrlError::Malformed {
            reason: CrlDefect::InvertedValidity
        })
    );
}

#[test]
fn malformed_oversize_and_wrong_pem_label() {
    let ca = ca("CRL test CA", true);
    let der = sign(&ca.key, tbs(&ca, vec![]));
    let not_der = Some(CrlError::Malformed {
        reason: CrlDefect::NotDer,
    });
    assert_eq!(parse_crl_input(&der[..der.len() - 1]).err(), not_der);
    let mut trailing = der.clone();
    trailing.push(0);
    assert_eq!(parse_crl_input(&trailing).err(), not_der);
    assert_eq!(parse_crl_input(&[0x30, 0x00]).err(), not_der);
    assert_eq!(
        parse_crl_input(b"").err(),
        Some(CrlError::Malformed {
            reason: CrlDefect::NotCrlInput
        })
    );
    let cert_pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &der).unwrap();
    assert_eq!(
        parse_crl_input(cert_pem.as_bytes()).err(),
        Some(CrlError::Malformed {
            reason: CrlDefect::NotCrlInput
        })
    );
    let big = vec![0x30; MAX_CRL_LEN + 1];
    assert!(matches!(
        Crl::from_der(&big),
        Err(CrlError::TooLarge { len, .. }) if len == MAX_CRL_LEN + 1
    ));
    assert!(matches!(
        parse_crl_input(&vec![b'A'; 2 * MAX_CRL_LEN]),
        Err(CrlError::TooLarge { .. })
    ));
    // A certificate is not a CRL.
    assert_eq!(parse_crl_input(&ca.der).err(), not_der);
}

#[test]
fn unknown_critical_extensions_are_refused_non_critical_ignored() {
    let ca = ca("CRL test CA", true);
    let mut t = tbs(&ca, vec![]);
    t.crl_extensions
        .as_mut()
        .unwrap()
        .push(raw_ext("1.2.3.4", true, &[0x05, 0x00]));
    let e = parse_crl_input(&sign(&ca.key, t)).err().unwrap();
    assert_eq!(
        e,
        CrlError::UnsupportedCriticalExtension {
            entry: None,
            oid: "1.2.3.4".into()
        }
    );
    assert_eq!(e.cause(), crate::Cause::Untrusted);

    let t = tbs(
        &ca,
        vec![
            entry(1, vec![]),
            entry(2, vec![raw_ext("1.2.3.5", true, &[0x05, 0x00])]),
        ],
    );
    assert_eq!(
        parse_crl_input(&sign(&ca.key, t)).err(),
        Some(CrlError::UnsupportedCriticalExtension {
            entry: Some(1),
            oid: "1.2.3.5".into()
        })
    );

    let mut t = tbs(
        &ca,
        vec![entry(2, vec![raw_ext("1.2.3.5", false, &[0x05, 0x00])])],
    );
    t.crl_extensions
        .as_mut()
        .unwrap()
        .push(raw_ext("1.2.3.4", false, &[0x05, 0x00]));
    let v = verify_crl(dp(), &sign(&ca.key, t), [ca.der.as_slice()]).unwrap();
    assert!(matches!(v.lookup(&[2]), RevocationStatus::Revoked { .. }));
}

#[test]
fn duplicate_serials_are_malformed() {
    let ca = ca("CRL test CA", true);
    let t = tbs(
        &ca,
        vec![
            entry(5, vec![reason_ext(1)]),
            entry(6, vec![]),
            entry(5, vec![reason_ext(4)]),
        ],
    );
    let e = parse_crl_input(&sign(&ca.key, t)).err().unwrap();
    assert_eq!(
        e,
        CrlError::DuplicateSerial {
            entry: 2,
            serial: "05".into()
        }
    );
    assert_eq!(e.cause(), crate::Cause::Malformed);
}

#[test]
fn delta_indirect_scoped_and_remove_from_crl_are_refused() {
    let ca = ca("CRL test CA", true);
    let with = |e: Extension| {
        let mut t = tbs(&ca, vec![]);
        t.crl_extensions.as_mut().unwrap().push(e);
        parse_crl_input(&sign(&ca.key, t)).err()
    };
    // deltaCRLIndicator, BaseCRLNumber 1.
    assert_eq!(
        with(raw_ext("2.5.29.27", true, &[0x02, 0x01, 0x01])),
        Some(CrlError::DeltaCrl)
    );
    // IssuingDistributionPoint { indirectCRL [4] TRUE }.
    assert_eq!(
        with(raw_ext("2.5.29.28", true, &[0x30, 0x03, 0x84, 0x01, 0xff])),
        Some(CrlError::IndirectCrl)
    );
    // IssuingDistributionPoint { onlyContainsAttributeCerts [5] TRUE }.
    assert_eq!(
        with(raw_ext("2.5.29.28", true, &[0x30, 0x03, 0x85, 0x01, 0xff])),
        Some(CrlError::UnsupportedScope {
            scope: "onlyContainsAttributeCerts"
        })
    );
    // certificateIssuer entry extension.
    let t = tbs(
        &ca,
        vec![entry(1, vec![raw_ext("2.5.29.29", true, &[0x30, 0x00])])],
    );
    assert_eq!(
        parse_crl_input(&sign(&ca.key, t)).err(),
        Some(CrlError::IndirectCrl)
    );
    let t = tbs(&ca, vec![entry(1, vec![reason_ext(8)])]);
    assert_eq!(
        parse_crl_input(&sign(&ca.key, t)).err(),
        Some(CrlError::RemoveFromCrlInCompleteCrl { entry: 0 })
    );
    // Reason 7 is not assigned.
    let t = tbs(&ca, vec![entry(1, vec![reason_ext(7)])]);
    assert_eq!(
        parse_crl_input(&sign(&ca.key, t)).err(),
        Some(CrlError::Malformed {
            reason: CrlDefect::BadEntryExtension(0)
        })
    );
}

#[test]
fn only_user_certs_scope_does_not_cover_ca_certificates() {
    let root = ca("CRL test CA", true);
    let mut t = tbs(&root, vec![entry(1, vec![])]);
    // IssuingDistributionPoint { onlyContainsUserCerts [1] TRUE }.
    t.crl_extensions.as_mut().unwrap().push(raw_ext(
        "2.5.29.28",
        true,
        &[0x30, 0x03, 0x81, 0x01, 0xff],
    ));
    let mut set = CrlSet::new();
    set.insert(verify_crl(dp(), &sign(&root.key, t), [root.der.as_slice()]).unwrap());
    assert!(matches!(
        set.check(&leaf(&root, 1), &root.der, AT),
        RevocationCheck::Revoked { .. }
    ));
    // The self-signed root is a CA certificate (serial 1 too): outside the CRL's scope.
    assert_eq!(set.check(&root.der, &root.der, AT), RevocationCheck::NoCrl);
}

#[test]
fn other_algorithms_are_typed_unsupported_and_rsa_needs_an_rsa_issuer() {
    let ca = ca("CRL test CA", true);
    let relabelled = |oid: &str| {
        let mut t = tbs(&ca, vec![]);
        t.signature = AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap(oid),
            parameters: Some(der::Any::null()),
        };
        parse_crl_input(&sign(&ca.key, t))
            .unwrap()
            .verify(dp(), &ca.der)
            .err()
    };
    // sha1WithRSAEncryption: not accepted at all.
    assert_eq!(
        relabelled("1.2.840.113549.1.1.5"),
        Some(CrlError::UnsupportedAlgorithm {
            oid: "1.2.840.113549.1.1.5".into()
        })
    );
    // sha256WithRSAEncryption claimed by an EC CA: its key cannot verify it.
    assert_eq!(
        relabelled("1.2.840.113549.1.1.11"),
        Some(CrlError::IssuerCertificate(TrustError::UnsupportedKey {
            index: 0
        }))
    );
}

// The JPKI-SIM fixtures of kakunin-jpki (made by the openssl CLI, jpki/tests/data/gen.sh):
// a sha256WithRSAEncryption CRL of an RSA-2048 CA revoking serial 5A1E0004.
const JPKI_SIGN_CA: &[u8] = include_bytes!("../../../jpki/tests/data/sign-ca.der");
const JPKI_AUTH_CA: &[u8] = include_bytes!("../../../jpki/tests/data/auth-ca.der");
const JPKI_SIGN_CRL: &[u8] = include_bytes!("../../../jpki/tests/data/sign-ca.crl");
const JPKI_REVOKED: &[u8] = include_bytes!("../../../jpki/tests/data/revoked-sign.der");
const JPKI_GOOD: &[u8] = include_bytes!("../../../jpki/tests/data/sign.der");

#[test]
fn an_rsa_signed_crl_verifies_and_lists_its_revoked_serial() {
    let at = datetime!(2026-07-01 00:00 UTC);
    let crl = verify_crl(dp(), JPKI_SIGN_CRL, [JPKI_AUTH_CA, JPKI_SIGN_CA]).unwrap();
    assert_eq!(crl.crl().len(), 1);
    assert!(matches!(
        crl.status(&[0x5a, 0x1e, 0x00, 0x04], at),
        Ok((
            Freshness::Current,
            RevocationStatus::Revoked {
                reason: Some(CrlReason::AffiliationChanged),
                ..
            }
        ))
    ));
    let mut set = CrlSet::new();
    set.insert(crl);
    assert!(matches!(
        set.check(JPKI_REVOKED, JPKI_SIGN_CA, at),
        RevocationCheck::Revoked { .. }
    ));
    assert!(matches!(
        set.check(JPKI_GOOD, JPKI_SIGN_CA, at),
        RevocationCheck::NotRevoked { .. }
    ));
}

#[test]
fn an_rsa_crl_with_a_flipped_bit_or_the_wrong_ca_fails() {
    // One bit in the middle of the tbsCertList, and one in the signature: never accepted
    // (the first may also break the DER, which is malformed rather than a bad signature).
    let tbs_bit = JPKI_SIGN_CRL.len() / 2;
    let sig_bit = JPKI_SIGN_CRL.len() - 10;
    for at in [tbs_bit, sig_bit] {
        let mut bad = JPKI_SIGN_CRL.to_vec();
        bad[at] ^= 0x01;
        let e = parse_crl_input(&bad).and_then(|c| c.verify(dp(), JPKI_SIGN_CA));
        assert!(
            matches!(
                e,
                Err(CrlError::BadSignature) | Err(CrlError::Malformed { .. })
            ),
            "flip at {at}: {e:?}"
        );
    }
    let mut sig_flip = JPKI_SIGN_CRL.to_vec();
    sig_flip[sig_bit] ^= 0x01;
    assert_eq!(
        parse_crl_input(&sig_flip)
            .unwrap()
            .verify(dp(), JPKI_SIGN_CA)
            .err(),
        Some(CrlError::BadSignature)
    );
    // The auth CA has another Name: not this CRL's issuer.
    assert_eq!(
        parse_crl_input(JPKI_SIGN_CRL)
            .unwrap()
            .verify(dp(), JPKI_AUTH_CA)
            .err(),
        Some(CrlError::IssuerMismatch)
    );
    // RustCrypto has no RSA: a typed refusal, never "not revoked".
    assert_eq!(
        parse_crl_input(JPKI_SIGN_CRL)
            .unwrap()
            .verify(&crate::crypto::RustCrypto, JPKI_SIGN_CA)
            .err(),
        Some(CrlError::UnsupportedAlgorithm {
            oid: "1.2.840.113549.1.1.11".into()
        })
    );
}

#[test]
fn a_newer_crl_replaces_an_older_one_of_the_same_issuer() {
    let ca = ca("CRL test CA", true);
    let old = verify_crl(dp(), &sign(&ca.key, tbs(&ca, vec![])), [ca.der.as_slice()]).unwrap();
    let mut t = tbs(&ca, vec![entry(7, vec![reason_ext(6)])]);
    t.crl_extensions = Some(vec![crl_number(2)]);
    let new = verify_crl(dp(), &sign(&ca.key, t), [ca.der.as_slice()]).unwrap();
    let mut set = CrlSet::new();
    set.insert(new.clone());
    set.insert(old.clone());
    assert_eq!(set.len(), 1);
    assert!(matches!(
        set.check(&leaf(&ca, 7), &ca.der, AT),
        RevocationCheck::Revoked {
            reason: Some(CrlReason::CertificateHold),
            ..
        }
    ));
    let mut set = CrlSet::new();
    set.insert(old);
    set.insert(new);
    assert_eq!(set.len(), 1);
    assert!(matches!(
        set.check(&leaf(&ca, 7), &ca.der, AT),
        RevocationCheck::Revoked { .. }
    ));
}

#[test]
fn reason_names_and_codes_round_trip() {
    for code in 0..=10u32 {
        match CrlReason::from_code(code) {
            Some(r) => {
                assert_eq!(r.code(), code);
                assert_eq!(CrlReason::from_name(r.name()), Some(r));
                assert_eq!(CrlReason::from_name(&code.to_string()), Some(r));
            }
            None => assert_eq!(code, 7),
        }
    }
    assert_eq!(
        CrlReason::from_name("KEYCOMPROMISE"),
        Some(CrlReason::KeyCompromise)
    );
    assert_eq!(CrlReason::from_name("nope"), None);
}
