//! The JPKI certificate profiles (/work/shared/jpki-notes.md §2.2–2.3, §2.5–2.6): what the
//! signature certificate (署名用電子証明書) says about its holder, and what the
//! authentication certificate (利用者証明用電子証明書) is.
//!
//! - The signature certificate carries the four facts in its subjectAltName, as `otherName`s
//!   whose value is `[0] EXPLICIT UTF8String` (notes §2.2). They are looked up **by OID**, never
//!   by position (public parsers disagree on the order); unknown otherName OIDs (former surname,
//!   furigana, reported newer additions) are ignored; a known one given twice is refused, since
//!   two readers could take different values.
//! - Date of birth `GYYYYMMDD`: an era digit, then the Gregorian date. The era digit is not
//!   needed (the date is Gregorian) and not checked; a date that is not a calendar date (e.g.
//!   `…0000`, an unknown day) is `None`, never a guess.
//! - Card or smartphone is told by the certificate policy ([`crate::oids`]); any other policy is
//!   [`ProfileError::UnknownPolicy`] (production J-LIS vs test is the trust anchors' business).
//!
//! Parsing checks structure only: whether a certificate is trusted, valid now, of the right key
//! usage and not revoked is [`crate::trust::JpkiTrust`]'s job.

use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::{Decode, Encode};
use kakunin_core::crypto::RsaPublicKey;
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, CertificatePolicies, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};
use x509_cert::ext::Extension;
use x509_cert::Certificate;

use crate::client::MAX_CERTIFICATE_LEN;
use crate::oids;

const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_POLICIES: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");

/// What holds the certificate's key, by its policy OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertificateKind {
    /// A My Number card.
    Card,
    /// Smartphone JPKI (スマホ用電子証明書).
    Smartphone,
}

/// 性別 as the signature certificate records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sex {
    /// `1`.
    Male,
    /// `2`.
    Female,
    /// Any other code (none seen in public samples, notes §2.2).
    NotKnown,
}

/// Why a certificate does not fit the JPKI profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// Larger than [`MAX_CERTIFICATE_LEN`]; not parsed.
    #[error("certificate of {len} bytes is over the {max}-byte cap")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Not a DER X.509 certificate (or trailing bytes).
    #[error("not a DER X.509 certificate")]
    NotDer,
    /// An extension JPKI uses does not decode, or appears twice.
    #[error("the {which} extension is malformed or repeated")]
    BadExtension {
        /// Which extension.
        which: &'static str,
    },
    /// The public key is not an acceptable RSA key.
    #[error("the certificate's public key is not an acceptable RSA key")]
    BadKey,
    /// No certificate policy of this kind of JPKI certificate (or several).
    #[error("the certificate has no {purpose} policy of a JPKI card or smartphone")]
    UnknownPolicy {
        /// `signature` or `authentication`.
        purpose: &'static str,
    },
    /// A fact of the signature certificate is missing.
    #[error("the signature certificate has no {fact}")]
    MissingFact {
        /// Which fact.
        fact: &'static str,
    },
    /// A fact is given twice, is not a UTF8String, or is not in its format.
    #[error("the signature certificate's {fact} is malformed or repeated")]
    BadFact {
        /// Which fact.
        fact: &'static str,
    },
    /// The authentication certificate lacks the clientAuth extended key usage.
    #[error("the authentication certificate lacks extended key usage clientAuth")]
    NoClientAuth,
}

impl ProfileError {
    /// The cause group: an unknown policy or missing EKU is a certificate of another kind
    /// (untrusted for this use); the rest is malformed.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            ProfileError::UnknownPolicy { .. } | ProfileError::NoClientAuth => {
                kakunin_core::Cause::Untrusted
            }
            _ => kakunin_core::Cause::Malformed,
        }
    }
}

/// What both kinds of JPKI certificate share.
#[derive(Clone)]
pub struct CertificateInfo {
    der: Vec<u8>,
    /// Card or smartphone.
    pub kind: CertificateKind,
    /// The serial number's content octets.
    pub serial: Vec<u8>,
    /// DER of the issuer Name.
    pub issuer: Vec<u8>,
    /// DER of the subject Name ([`CertificateInfo::subject`] gives it as text).
    subject: Vec<u8>,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
    /// The RSA public key.
    pub public_key: RsaPublicKey,
    /// KeyUsage digitalSignature.
    pub digital_signature: bool,
    /// KeyUsage nonRepudiation (contentCommitment).
    pub non_repudiation: bool,
    /// BasicConstraints cA.
    pub is_ca: bool,
}

impl CertificateInfo {
    /// The certificate as given.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject as an RFC 4514 string (certificate text: escape before printing). Built
    /// when asked for: naming each attribute looks its OID up in a table, work the issuer
    /// service would do for every enrolment and never read.
    pub fn subject(&self) -> String {
        x509_cert::name::Name::from_der(&self.subject)
            .map(|n| n.to_string())
            .unwrap_or_default()
    }
}

impl core::fmt::Debug for CertificateInfo {
    // The serial is a global identifier of the person: never print it.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CertificateInfo")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The four facts (基本4情報) and their substitute-character flags.
#[derive(Clone, PartialEq, Eq)]
pub struct FourFacts {
    /// 氏名, as registered.
    pub name: String,
    /// 生年月日; `None` when the certificate holds no complete calendar date.
    pub date_of_birth: Option<time::Date>,
    /// 性別.
    pub sex: Sex,
    /// 住所.
    pub address: String,
    /// 氏名代替文字の使用位置情報 (`0`/`1` per character), when present.
    pub name_substitutes: Option<String>,
    /// 住所代替文字の使用位置情報, when present.
    pub address_substitutes: Option<String>,
}

impl FourFacts {
    /// Whether any character of the name was replaced by a substitute character (外字).
    pub fn name_has_substitutes(&self) -> bool {
        self.name_substitutes
            .as_deref()
            .is_some_and(|f| f.contains('1'))
    }

    /// Whether any character of the address was replaced by a substitute character.
    pub fn address_has_substitutes(&self) -> bool {
        self.address_substitutes
            .as_deref()
            .is_some_and(|f| f.contains('1'))
    }
}

impl core::fmt::Debug for FourFacts {
    // Personal data: never printed by Debug.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FourFacts(..)")
    }
}

/// A parsed signature certificate (EF 0001).
#[derive(Debug, Clone)]
pub struct SignatureCertificate {
    /// What every JPKI certificate has.
    pub info: CertificateInfo,
    /// The four facts.
    pub facts: FourFacts,
}

/// A parsed user-authentication certificate (EF 000A): no personal facts.
#[derive(Debug, Clone)]
pub struct AuthenticationCertificate {
    /// What every JPKI certificate has.
    pub info: CertificateInfo,
}

/// The one extension with `oid`, decoded, or `None`; repeated or undecodable is an error.
fn extension<'a, T: Decode<'a>>(
    exts: &'a [Extension],
    oid: ObjectIdentifier,
    which: &'static str,
) -> Result<Option<T>, ProfileError> {
    let bad = ProfileError::BadExtension { which };
    let mut found = exts.iter().filter(|e| e.extn_id == oid);
    let first = found.next();
    if found.next().is_some() {
        return Err(bad);
    }
    first
        .map(|e| T::from_der(e.extn_value.as_bytes()).map_err(|_| bad.clone()))
        .transpose()
}

fn to_time(t: &x509_cert::time::Time) -> OffsetDateTime {
    let secs = t.to_unix_duration().as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Parse `der` and read the common fields; `card`/`phone` are the policies of the two kinds.
fn parse_common(
    der: &[u8],
    purpose: &'static str,
    card: ObjectIdentifier,
    phone: ObjectIdentifier,
) -> Result<(CertificateInfo, Certificate), ProfileError> {
    if der.len() > MAX_CERTIFICATE_LEN {
        return Err(ProfileError::TooLarge {
            len: der.len(),
            max: MAX_CERTIFICATE_LEN,
        });
    }
    let cert = Certificate::from_der(der).map_err(|_| ProfileError::NotDer)?;
    let tbs = &cert.tbs_certificate;
    let exts: &[Extension] = tbs.extensions.as_deref().unwrap_or(&[]);
    let policies: Option<CertificatePolicies> =
        extension(exts, OID_POLICIES, "certificatePolicies")?;
    let ids: Vec<ObjectIdentifier> = policies
        .map(|p| p.0.into_iter().map(|i| i.policy_identifier).collect())
        .unwrap_or_default();
    let kind = match (ids.contains(&card), ids.contains(&phone)) {
        (true, false) => CertificateKind::Card,
        (false, true) => CertificateKind::Smartphone,
        _ => return Err(ProfileError::UnknownPolicy { purpose }),
    };
    let ku: Option<KeyUsage> = extension(exts, OID_KEY_USAGE, "keyUsage")?;
    let ku = ku.map(|k| k.0);
    let bc: Option<BasicConstraints> = extension(exts, OID_BASIC_CONSTRAINTS, "basicConstraints")?;
    let spki = tbs
        .subject_public_key_info
        .to_der()
        .map_err(|_| ProfileError::BadKey)?;
    let public_key = RsaPublicKey::from_spki_der(&spki).map_err(|_| ProfileError::BadKey)?;
    let info = CertificateInfo {
        der: der.to_vec(),
        kind,
        serial: tbs.serial_number.as_bytes().to_vec(),
        issuer: tbs.issuer.to_der().map_err(|_| ProfileError::NotDer)?,
        subject: tbs.subject.to_der().map_err(|_| ProfileError::NotDer)?,
        not_before: to_time(&tbs.validity.not_before),
        not_after: to_time(&tbs.validity.not_after),
        public_key,
        digital_signature: ku.is_some_and(|k| k.contains(KeyUsages::DigitalSignature)),
        non_repudiation: ku.is_some_and(|k| k.contains(KeyUsages::NonRepudiation)),
        is_ca: bc.is_some_and(|b| b.ca),
    };
    Ok((info, cert))
}

/// `GYYYYMMDD` → the date, `None` when not a calendar date; `Err` when not 9 ASCII digits.
pub fn parse_date_of_birth(s: &str) -> Result<Option<time::Date>, ProfileError> {
    let bad = ProfileError::BadFact {
        fact: "date of birth",
    };
    let b = s.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
        return Err(bad);
    }
    let num = |r: core::ops::Range<usize>| -> Option<u32> { s.get(r).and_then(|t| t.parse().ok()) };
    let (Some(year), Some(month), Some(day)) = (num(1..5), num(5..7), num(7..9)) else {
        return Err(bad);
    };
    let date = i32::try_from(year).ok().and_then(|y| {
        let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
        time::Date::from_calendar_date(y, month, u8::try_from(day).ok()?).ok()
    });
    Ok(date)
}

/// The subject of any certificate (e.g. a CA certificate read from EF 0002 / 000B) as an
/// RFC 4514 string (certificate text: escape before printing).
pub fn certificate_subject(der: &[u8]) -> Result<String, ProfileError> {
    if der.len() > MAX_CERTIFICATE_LEN {
        return Err(ProfileError::TooLarge {
            len: der.len(),
            max: MAX_CERTIFICATE_LEN,
        });
    }
    let cert = Certificate::from_der(der).map_err(|_| ProfileError::NotDer)?;
    Ok(cert.tbs_certificate.subject.to_string())
}

impl SignatureCertificate {
    /// Parse a signature certificate (see the module documentation).
    pub fn parse(der: &[u8]) -> Result<Self, ProfileError> {
        let (info, cert) = parse_common(
            der,
            "signature",
            oids::POLICY_CARD_SIGNATURE,
            oids::POLICY_SMARTPHONE_SIGNATURE,
        )?;
        let exts: &[Extension] = cert.tbs_certificate.extensions.as_deref().unwrap_or(&[]);
        let san: Option<SubjectAltName> = extension(exts, OID_SAN, "subjectAltName")?;
        let names = san.map(|s| s.0).unwrap_or_default();
        let fact =
            |oid: ObjectIdentifier, fact: &'static str| -> Result<Option<String>, ProfileError> {
                let mut values = names.iter().filter_map(|n| match n {
                    GeneralName::OtherName(o) if o.type_id == oid => Some(&o.value),
                    _ => None,
                });
                let first = values.next();
                if values.next().is_some() {
                    return Err(ProfileError::BadFact { fact });
                }
                first
                    .map(|v| {
                        v.decode_as::<Utf8StringRef<'_>>()
                            .map(|s| s.as_str().to_string())
                            .map_err(|_| ProfileError::BadFact { fact })
                    })
                    .transpose()
            };
        let required = |oid, name| fact(oid, name)?.ok_or(ProfileError::MissingFact { fact: name });
        let name = required(oids::NAME, "name")?;
        let dob = required(oids::DATE_OF_BIRTH, "date of birth")?;
        let sex = match required(oids::SEX, "sex")?.as_str() {
            "1" => Sex::Male,
            "2" => Sex::Female,
            _ => Sex::NotKnown,
        };
        let address = required(oids::ADDRESS, "address")?;
        let facts = FourFacts {
            name,
            date_of_birth: parse_date_of_birth(&dob)?,
            sex,
            address,
            name_substitutes: fact(oids::NAME_SUBSTITUTE_CHARACTERS, "name substitute flags")?,
            address_substitutes: fact(
                oids::ADDRESS_SUBSTITUTE_CHARACTERS,
                "address substitute flags",
            )?,
        };
        Ok(SignatureCertificate { info, facts })
    }
}

impl AuthenticationCertificate {
    /// Parse an authentication certificate: its policy tells the kind, and it must carry the
    /// clientAuth extended key usage (notes §2.3).
    pub fn parse(der: &[u8]) -> Result<Self, ProfileError> {
        let (info, cert) = parse_common(
            der,
            "authentication",
            oids::POLICY_CARD_AUTHENTICATION,
            oids::POLICY_SMARTPHONE_AUTHENTICATION,
        )?;
        let exts: &[Extension] = cert.tbs_certificate.extensions.as_deref().unwrap_or(&[]);
        let eku: Option<ExtendedKeyUsage> = extension(exts, OID_EKU, "extKeyUsage")?;
        if !eku.is_some_and(|e| e.0.contains(&oids::EKU_CLIENT_AUTH)) {
            return Err(ProfileError::NoClientAuth);
        }
        Ok(AuthenticationCertificate { info })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_birth() {
        let d = |s| parse_date_of_birth(s);
        assert_eq!(
            d("419900102").unwrap(),
            Some(time::macros::date!(1990 - 01 - 02))
        );
        assert_eq!(
            d("118991201").unwrap(),
            Some(time::macros::date!(1899 - 12 - 01))
        );
        assert_eq!(d("400000000").unwrap(), None);
        assert_eq!(d("419900000").unwrap(), None);
        assert_eq!(d("419900230").unwrap(), None);
        for bad in [
            "41990010",
            "4199001020",
            "4199O0102",
            "",
            "４１９９００１０２",
        ] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }
}
