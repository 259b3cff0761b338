//! The person's two certificate profiles, as JPKI-SIM issues them for a card or a phone:
//!
//! - the **signature certificate** (署名用電子証明書, jpki-notes §2.2): subject
//!   `C=JP, L=<prefecture>, L=<city>, CN=<random id>` (no personal data in the DN), keyUsage
//!   digitalSignature + nonRepudiation (critical), certificatePolicies (critical) with the card
//!   or smartphone signature policy, subjectAltName with the six personal-data otherNames
//!   (`[0] EXPLICIT UTF8String`, by OID), authority and subject key identifiers, and a
//!   dirName CRL distribution point partitioned by municipality like the real one;
//! - the **authentication certificate** (利用者証明用電子証明書, §2.3): subject
//!   `C=JP, CN=<23 alphanumerics>`, keyUsage digitalSignature (critical), extKeyUsage
//!   clientAuth, the authentication policy (critical), AKI, SKI, CRL distribution point.
//!
//! Both run from the issuance instant to the 5th birthday after it (§2.4) and carry random
//! 4-byte serials unique within their CA.

use der::asn1::Any;
use der::{Encode, Tag};
use time::OffsetDateTime;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName, OtherName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, CertificatePolicies, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage,
    KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

use super::ca::{spki_of, CaBook, Purpose, SimCa};
use super::error::SimError;
use super::facts::{encode_birth_date, no_substitutes, PersonFacts};
use super::oids;
use super::rsa_key::SimRsaKey;
use super::validity::jpki_not_after;
use super::x509::{critical, key_id, name, non_critical, x509_time, Attr};

/// Which device holds the key: a My Number card or a phone's secure element (notes §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The card (JPKIAPICCTOKEN).
    Card,
    /// Smartphone JPKI (JPKIAPGPSETOKEN).
    Phone,
}

impl Device {
    fn policy(self, purpose: Purpose) -> const_oid::ObjectIdentifier {
        match (self, purpose) {
            (Device::Card, Purpose::Signature) => oids::CARD_SIGNATURE_POLICY,
            (Device::Card, Purpose::Authentication) => oids::CARD_AUTHENTICATION_POLICY,
            (Device::Phone, Purpose::Signature) => oids::PHONE_SIGNATURE_POLICY,
            (Device::Phone, Purpose::Authentication) => oids::PHONE_AUTHENTICATION_POLICY,
        }
    }
}

const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// `len` random uppercase letters and digits (issuance ids in subject CNs).
fn random_id(len: usize) -> Result<String, SimError> {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut b = [0u8; 16];
        rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut b)
            .map_err(|_| SimError::Random("id"))?;
        for v in b {
            // 252 = 7 * 36: reject the tail for a uniform pick.
            if v < 252 && out.len() < len {
                if let Some(c) = ALNUM.get(usize::from(v % 36)) {
                    out.push(char::from(*c));
                }
            }
        }
    }
    Ok(out)
}

fn printable_romaji(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b' ')
}

/// The CRL distribution point of `purpose` for the person's municipality: a dirName
/// `C=JP, O=JPKI-SIM, OU=<CA OU>, OU=CRL Distribution Points, OU=<prefecture>, CN=<city> CRLDP`
/// (notes §2.2, §2.3: the real one names `O=JPKI` and has no URL).
fn crl_dp(purpose: Purpose, facts: &PersonFacts) -> Result<CrlDistributionPoints, SimError> {
    let cn = format!("{} CRLDP", facts.city);
    let dn = name(&[
        (Attr::C, "JP"),
        (Attr::O, "JPKI-SIM"),
        (Attr::Ou, purpose.ou()),
        (Attr::Ou, "CRL Distribution Points"),
        (Attr::Ou, &facts.prefecture),
        (Attr::Cn, &cn),
    ])?;
    Ok(CrlDistributionPoints(vec![DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![
            GeneralName::DirectoryName(dn),
        ])),
        reasons: None,
        crl_issuer: None,
    }]))
}

fn other_name(oid: const_oid::ObjectIdentifier, value: &str) -> Result<GeneralName, SimError> {
    Ok(GeneralName::OtherName(OtherName {
        type_id: oid,
        value: Any::new(Tag::Utf8String, value.as_bytes())
            .map_err(|_| SimError::Build("otherName"))?,
    }))
}

/// The six personal-data otherNames of notes §2.2, in the table's order.
fn personal_data_san(facts: &PersonFacts) -> Result<SubjectAltName, SimError> {
    Ok(SubjectAltName(vec![
        other_name(oids::PD_COMMON_NAME, &facts.name)?,
        other_name(
            oids::PD_SUBSTITUTE_COMMON_NAME,
            &no_substitutes(&facts.name),
        )?,
        other_name(oids::PD_GENDER, facts.sex.code())?,
        other_name(oids::PD_DATE_OF_BIRTH, &encode_birth_date(facts.birth_date))?,
        other_name(oids::PD_ADDRESS, &facts.address)?,
        other_name(oids::PD_SUBSTITUTE_ADDRESS, &no_substitutes(&facts.address))?,
    ]))
}

/// Check the facts can go into a certificate.
pub(crate) fn check_facts(facts: &PersonFacts) -> Result<(), SimError> {
    if facts.name.trim().is_empty() || facts.name.len() > 256 {
        return Err(SimError::BadFacts("the name must be 1 to 256 bytes"));
    }
    if facts.address.trim().is_empty() || facts.address.len() > 512 {
        return Err(SimError::BadFacts("the address must be 1 to 512 bytes"));
    }
    if !printable_romaji(&facts.prefecture) || !printable_romaji(&facts.city) {
        return Err(SimError::BadFacts(
            "prefecture and city must be romaji (ASCII letters, digits, '-', ' ')",
        ));
    }
    Ok(())
}

/// Issue the person's certificate of `purpose` for `device` under `ca`, with `subject_key`,
/// valid from `now`; its serial is drawn from (and recorded in) `book`. DER.
pub(crate) fn issue_person_cert(
    ca: &SimCa,
    book: &mut CaBook,
    subject_key: &SimRsaKey,
    facts: &PersonFacts,
    device: Device,
    now: OffsetDateTime,
) -> Result<Vec<u8>, SimError> {
    check_facts(facts)?;
    let purpose = ca.purpose();
    let subject: Name = match purpose {
        Purpose::Signature => {
            let id = random_id(16)?;
            name(&[
                (Attr::C, "JP"),
                (Attr::L, &facts.prefecture),
                (Attr::L, &facts.city),
                (Attr::Cn, &id),
            ])?
        }
        Purpose::Authentication => {
            let id = random_id(23)?;
            name(&[(Attr::C, "JP"), (Attr::Cn, &id)])?
        }
    };
    let not_after = jpki_not_after(now, facts.birth_date)
        .ok_or(SimError::BadFacts("the birth date gives no validity end"))?;
    let validity = Validity {
        not_before: x509_time(now)?,
        not_after: x509_time(not_after)?,
    };
    let spki = spki_of(subject_key)?;
    let ca_spki = spki_of(ca.key())?;
    let serial = book.draw_serial()?;
    let mut b = CertificateBuilder::new(
        Profile::Manual {
            issuer: Some(ca.name().clone()),
        },
        SerialNumber::new(&serial).map_err(|_| SimError::Build("serial"))?,
        validity,
        subject,
        spki.clone(),
        ca.key().x509_signer(),
    )
    .map_err(|_| SimError::Build("certificate"))?;
    let e = |_| SimError::Build("extension");
    let usage = match purpose {
        Purpose::Signature => KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
        Purpose::Authentication => KeyUsages::DigitalSignature.into(),
    };
    b.add_extension(&critical(KeyUsage(usage))).map_err(e)?;
    if purpose == Purpose::Authentication {
        b.add_extension(&non_critical(ExtendedKeyUsage(vec![oids::KP_CLIENT_AUTH])))
            .map_err(e)?;
    }
    b.add_extension(&critical(CertificatePolicies(vec![PolicyInformation {
        policy_identifier: device.policy(purpose),
        policy_qualifiers: None,
    }])))
    .map_err(e)?;
    if purpose == Purpose::Signature {
        b.add_extension(&non_critical(personal_data_san(facts)?))
            .map_err(e)?;
    }
    b.add_extension(&non_critical(crl_dp(purpose, facts)?))
        .map_err(e)?;
    b.add_extension(&non_critical(AuthorityKeyIdentifier {
        key_identifier: Some(key_id(&ca_spki)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    }))
    .map_err(e)?;
    b.add_extension(&non_critical(SubjectKeyIdentifier(key_id(&spki)?)))
        .map_err(e)?;
    let cert = b
        .build_with_rng::<rsa::pkcs1v15::Signature>(&mut rand_core::OsRng)
        .map_err(|_| SimError::Build("certificate signature"))?;
    cert.to_der()
        .map_err(|_| SimError::Build("certificate DER"))
}
