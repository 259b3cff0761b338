//! Tests of the JPKI-SIM CA directory: what `init` writes, the certificate profiles, and
//! revocation.

use std::path::Path;

use der::{Decode, Encode};
use kakunin_core::crypto::{default_provider, HashAlg, RsaPublicKey};
use kakunin_core::trust::CrlReason;
use time::macros::{date, datetime};
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

use super::*;

fn cert(path: &Path) -> Certificate {
    let der = ca::read_first_cert(path).unwrap();
    Certificate::from_der(&der).unwrap()
}

fn verify_under(tbs: &[u8], sig: &[u8], issuer: &Certificate) {
    let spki = issuer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let key = RsaPublicKey::from_spki_der(&spki).unwrap();
    default_provider()
        .verify_rsa_pkcs1v15(&key, HashAlg::Sha256, tbs, sig)
        .unwrap();
}

fn ext<'a>(c: &'a Certificate, oid: &str) -> &'a x509_cert::ext::Extension {
    let oid = const_oid::ObjectIdentifier::new_unwrap(oid);
    c.tbs_certificate
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == oid)
        .unwrap_or_else(|| panic!("no extension {oid}"))
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_writes_cas_crls_and_profiles_to_the_jpki_profiles_and_revoke_lists_both_serials() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ca");
    let now = datetime!(2026-12-01 03:00 UTC);
    let hanako = CardSpec {
        name: "hanako".into(),
        facts: PersonFacts {
            name: "確認\u{3000}花子".into(),
            birth_date: date!(2004 - 06 - 15),
            sex: SimSex::Female,
            address: "大阪府大阪市北区１－２－３".into(),
            prefecture: "Osaka".into(),
            city: "Osaka-shi".into(),
        },
    };
    init(&out, &[CardSpec::default_taro(), hanako], now).unwrap();

    // CAs: self-signed, named O=JPKI-SIM, CA extensions critical.
    let sign_ca = cert(&out.join("jpki-sign-ca.pem"));
    let auth_ca = cert(&out.join("jpki-auth-ca.pem"));
    assert_eq!(
        sign_ca.tbs_certificate.subject.to_string(),
        "OU=JPKI-SIM for digital signature,O=JPKI-SIM,C=JP"
    );
    assert_eq!(
        auth_ca.tbs_certificate.issuer.to_string(),
        "OU=JPKI-SIM for user authentication,O=JPKI-SIM,C=JP"
    );
    verify_under(
        &sign_ca.tbs_certificate.to_der().unwrap(),
        sign_ca.signature.raw_bytes(),
        &sign_ca,
    );
    assert!(ext(&sign_ca, "2.5.29.19").critical);
    assert!(ext(&sign_ca, "2.5.29.15").critical);
    ext(&sign_ca, "2.5.29.14");

    // The signature certificate (notes §2.2).
    let s = cert(&out.join("hanako/sign.pem"));
    verify_under(
        &s.tbs_certificate.to_der().unwrap(),
        s.signature.raw_bytes(),
        &sign_ca,
    );
    assert_eq!(s.tbs_certificate.issuer, sign_ca.tbs_certificate.subject);
    let subject = s.tbs_certificate.subject.to_string();
    assert!(subject.ends_with(",L=Osaka-shi,L=Osaka,C=JP"), "{subject}");
    assert!(!subject.contains("花子"));
    assert_eq!(s.tbs_certificate.serial_number.as_bytes().len(), 4);
    assert_eq!(
        s.tbs_certificate
            .validity
            .not_after
            .to_unix_duration()
            .as_secs(),
        u64::try_from(datetime!(2031-06-15 14:59:59 UTC).unix_timestamp()).unwrap()
    );
    assert!(ext(&s, "2.5.29.15").critical);
    let policies = ext(&s, "2.5.29.32");
    assert!(policies.critical);
    let card_sign_oid = oids::CARD_SIGNATURE_POLICY.to_der().unwrap();
    assert!(policies
        .extn_value
        .as_bytes()
        .windows(card_sign_oid.len())
        .any(|w| w == card_sign_oid.as_slice()));
    ext(&s, "2.5.29.35");
    ext(&s, "2.5.29.14");
    ext(&s, "2.5.29.31");
    let san = SubjectAltName::from_der(ext(&s, "2.5.29.17").extn_value.as_bytes()).unwrap();
    let value = |oid: const_oid::ObjectIdentifier| {
        san.0
            .iter()
            .find_map(|g| match g {
                GeneralName::OtherName(o) if o.type_id == oid => Some(
                    der::asn1::Utf8StringRef::try_from(&o.value)
                        .unwrap()
                        .as_str()
                        .to_owned(),
                ),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(san.0.len(), 6);
    assert_eq!(value(oids::PD_COMMON_NAME), "確認\u{3000}花子");
    assert_eq!(value(oids::PD_SUBSTITUTE_COMMON_NAME), "00000");
    assert_eq!(value(oids::PD_GENDER), "2");
    assert_eq!(value(oids::PD_DATE_OF_BIRTH), "420040615");
    assert_eq!(value(oids::PD_ADDRESS), "大阪府大阪市北区１－２－３");
    assert_eq!(value(oids::PD_SUBSTITUTE_ADDRESS), "0".repeat(13));

    // The authentication certificate (notes §2.3).
    let a = cert(&out.join("hanako/auth.pem"));
    verify_under(
        &a.tbs_certificate.to_der().unwrap(),
        a.signature.raw_bytes(),
        &auth_ca,
    );
    let cn = a.tbs_certificate.subject.to_string();
    let id = cn
        .strip_prefix("CN=")
        .unwrap()
        .strip_suffix(",C=JP")
        .unwrap();
    assert_eq!(id.len(), 23);
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
    ext(&a, "2.5.29.37");
    assert!(ext(&a, "2.5.29.32").critical);

    // The phone: its own keys and serials, the smartphone policy.
    let ps = cert(&out.join("hanako/phone/sign.pem"));
    assert_ne!(
        ps.tbs_certificate.serial_number,
        s.tbs_certificate.serial_number
    );
    assert_ne!(
        ps.tbs_certificate.subject_public_key_info,
        s.tbs_certificate.subject_public_key_info
    );
    let phone_oid = oids::PHONE_SIGNATURE_POLICY.to_der().unwrap();
    assert!(ext(&ps, "2.5.29.32")
        .extn_value
        .as_bytes()
        .windows(phone_oid.len())
        .any(|w| w == phone_oid.as_slice()));
    let card = SimProfile::load_card(&out.join("hanako")).unwrap();
    let phone = SimProfile::load_phone(&out.join("hanako")).unwrap();
    assert_eq!(card.device, Device::Card);
    assert_eq!(phone.device, Device::Phone);
    assert!(!card.pins.signature.ct_eq(&phone.pins.signature) || card.sign_cert != phone.sign_cert);
    assert_eq!(
        CardState::read(&out.join("hanako")).unwrap(),
        CardState::default()
    );

    // Modes.
    #[cfg(unix)]
    {
        assert_eq!(mode(&out.join("private")), 0o700);
        assert_eq!(mode(&out.join("private/jpki-sign-ca.key")), 0o600);
        assert_eq!(mode(&out.join("taro/sign.key")), 0o600);
        assert_eq!(mode(&out.join("taro/pins.json")), 0o600);
        assert_eq!(mode(&out.join("taro/phone/auth.key")), 0o600);
    }

    // The empty CRL, number 1, signed by the CA.
    let crl_der = std::fs::read(out.join("jpki-sign.crl")).unwrap();
    let crl = CertificateList::from_der(&crl_der).unwrap();
    verify_under(
        &crl.tbs_cert_list.to_der().unwrap(),
        crl.signature.raw_bytes(),
        &sign_ca,
    );
    assert!(crl.tbs_cert_list.revoked_certificates.is_none());
    let auth_crl =
        CertificateList::from_der(&std::fs::read(out.join("jpki-auth.crl")).unwrap()).unwrap();
    verify_under(
        &auth_crl.tbs_cert_list.to_der().unwrap(),
        auth_crl.signature.raw_bytes(),
        &auth_ca,
    );

    // init again: refused, nothing overwritten.
    assert!(matches!(
        init(&out, &[CardSpec::default_taro()], now),
        Err(SimError::Exists(_))
    ));
    assert_eq!(std::fs::read(out.join("jpki-sign.crl")).unwrap(), crl_der);

    // revoke: both signature serials listed with affiliationChanged, CRL number 2.
    let later = now + time::Duration::days(3);
    let r = revoke(&out, "hanako", DEFAULT_REASON, later).unwrap();
    assert_eq!(r.crl_number, 2);
    assert_eq!(
        r.serials,
        vec![
            s.tbs_certificate.serial_number.as_bytes().to_vec(),
            ps.tbs_certificate.serial_number.as_bytes().to_vec()
        ]
    );
    let crl =
        CertificateList::from_der(&std::fs::read(out.join("jpki-sign.crl")).unwrap()).unwrap();
    verify_under(
        &crl.tbs_cert_list.to_der().unwrap(),
        crl.signature.raw_bytes(),
        &sign_ca,
    );
    let listed: Vec<Vec<u8>> = crl
        .tbs_cert_list
        .revoked_certificates
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.serial_number.as_bytes().to_vec())
        .collect();
    assert_eq!(listed, r.serials);
    let parsed =
        kakunin_core::trust::parse_crl_input(&std::fs::read(out.join("jpki-sign.crl")).unwrap())
            .unwrap();
    assert_eq!(parsed.crl_number(), Some(&[2u8][..]));
    let entry = crl.tbs_cert_list.revoked_certificates.as_ref().unwrap()[0]
        .crl_entry_extensions
        .as_ref()
        .unwrap()[0]
        .extn_value
        .as_bytes()
        .to_vec();
    assert_eq!(entry, vec![0x0a, 0x01, 3u8]);
    // Again: same entries, next number.
    let r2 = revoke(&out, "hanako", CrlReason::KeyCompromise, later).unwrap();
    assert_eq!(r2.crl_number, 3);
    let crl =
        CertificateList::from_der(&std::fs::read(out.join("jpki-sign.crl")).unwrap()).unwrap();
    assert_eq!(crl.tbs_cert_list.revoked_certificates.unwrap().len(), 2);
    assert!(matches!(
        revoke(&out, "nobody", DEFAULT_REASON, later),
        Err(SimError::NoSuchCard(_))
    ));
    assert!(matches!(
        revoke(&out, "../x", DEFAULT_REASON, later),
        Err(SimError::BadCardName(_))
    ));
}

#[test]
fn init_refuses_bad_names_and_duplicate_cards() {
    let tmp = tempfile::tempdir().unwrap();
    let now = datetime!(2026-12-01 03:00 UTC);
    let mut bad = CardSpec::default_taro();
    bad.name = "../evil".into();
    assert!(matches!(
        init(tmp.path(), &[bad], now),
        Err(SimError::BadCardName(_))
    ));
    assert!(matches!(
        init(
            tmp.path(),
            &[CardSpec::default_taro(), CardSpec::default_taro()],
            now
        ),
        Err(SimError::BadCardName(_))
    ));
    let mut empty = CardSpec::default_taro();
    empty.facts.name = " ".into();
    assert!(matches!(
        init(tmp.path(), &[empty], now),
        Err(SimError::BadFacts(_))
    ));
    assert!(!tmp.path().join("private").exists());
    // A profile directory already there: refused before anything is written.
    std::fs::create_dir(tmp.path().join("taro")).unwrap();
    assert!(matches!(
        init(tmp.path(), &[CardSpec::default_taro()], now),
        Err(SimError::Exists(_))
    ));
    assert!(!tmp.path().join("private").exists());
    assert!(!tmp.path().join("jpki-sign-ca.pem").exists());
}
