//! Small X.509 helpers shared by the CA and the certificate profiles: distinguished names
//! built attribute by attribute, key identifiers, times, and extensions of chosen criticality.

use const_oid::db::rfc4519::{COMMON_NAME, COUNTRY_NAME, LOCALITY_NAME};
use const_oid::db::rfc4519::{ORGANIZATIONAL_UNIT_NAME, ORGANIZATION_NAME};
use const_oid::ObjectIdentifier;
use der::asn1::{Any, OctetString, SetOfVec};
use der::{Encode, Tag};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::AsExtension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use super::error::SimError;

/// The attribute types JPKI names use (notes §2.1–§2.3).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attr {
    /// C, PrintableString.
    C,
    /// O.
    O,
    /// OU.
    Ou,
    /// L.
    L,
    /// CN.
    Cn,
}

impl Attr {
    fn oid(self) -> ObjectIdentifier {
        match self {
            Attr::C => COUNTRY_NAME,
            Attr::O => ORGANIZATION_NAME,
            Attr::Ou => ORGANIZATIONAL_UNIT_NAME,
            Attr::L => LOCALITY_NAME,
            Attr::Cn => COMMON_NAME,
        }
    }
}

/// A Name with one attribute per RDN, in the given order (most general first), C as
/// PrintableString and the rest as UTF8String like the J-LIS certificates (notes §2.1).
pub(crate) fn name(attrs: &[(Attr, &str)]) -> Result<Name, SimError> {
    let mut rdns = Vec::with_capacity(attrs.len());
    for (attr, value) in attrs {
        let tag = match attr {
            Attr::C => Tag::PrintableString,
            _ => Tag::Utf8String,
        };
        let atv = AttributeTypeAndValue {
            oid: attr.oid(),
            value: Any::new(tag, value.as_bytes()).map_err(|_| SimError::Build("name"))?,
        };
        let set = SetOfVec::try_from(vec![atv]).map_err(|_| SimError::Build("name"))?;
        rdns.push(RelativeDistinguishedName(set));
    }
    Ok(RdnSequence(rdns))
}

/// A key identifier: the leftmost 160 bits of the SHA-256 of the subjectPublicKey bits
/// (RFC 7093 §2 method 1).
pub(crate) fn key_id(spki: &spki::SubjectPublicKeyInfoOwned) -> Result<OctetString, SimError> {
    let digest = Sha256::digest(spki.subject_public_key.raw_bytes());
    let head = digest.get(..20).ok_or(SimError::Build("key identifier"))?;
    OctetString::new(head.to_vec()).map_err(|_| SimError::Build("key identifier"))
}

/// An X.509 time (UTCTime before 2050, as every JPKI certificate uses, notes §2.4).
pub(crate) fn x509_time(t: OffsetDateTime) -> Result<x509_cert::time::Time, SimError> {
    let secs =
        u64::try_from(t.unix_timestamp()).map_err(|_| SimError::Build("time before 1970"))?;
    x509_cert::time::Time::try_from(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .map_err(|_| SimError::Build("time"))
}

/// An extension with explicit criticality (x509-cert fixes it per type; the JPKI profiles
/// mark certificatePolicies critical, notes §2.2).
pub(crate) struct WithCriticality<E> {
    pub(crate) ext: E,
    pub(crate) critical: bool,
}

impl<E: const_oid::AssociatedOid> const_oid::AssociatedOid for WithCriticality<E> {
    const OID: ObjectIdentifier = E::OID;
}

impl<E: Encode> Encode for WithCriticality<E> {
    fn encoded_len(&self) -> der::Result<der::Length> {
        self.ext.encoded_len()
    }
    fn encode(&self, w: &mut impl der::Writer) -> der::Result<()> {
        self.ext.encode(w)
    }
}

impl<E: const_oid::AssociatedOid + Encode> AsExtension for WithCriticality<E> {
    fn critical(&self, _subject: &Name, _extensions: &[x509_cert::ext::Extension]) -> bool {
        self.critical
    }
}

/// A critical extension.
pub(crate) fn critical<E>(ext: E) -> WithCriticality<E> {
    WithCriticality {
        ext,
        critical: true,
    }
}

/// A non-critical extension.
pub(crate) fn non_critical<E>(ext: E) -> WithCriticality<E> {
    WithCriticality {
        ext,
        critical: false,
    }
}

/// A certificate as PEM.
pub(crate) fn cert_pem(der: &[u8]) -> Result<String, SimError> {
    der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, der)
        .map_err(|_| SimError::Build("PEM"))
}
