//! Lenient certificate reading for the verifier's explicit test modes (issue 18:
//! `verify-response --pin-ds`, `verify-issuer-signed`, `kakunin inspect`).
//!
//! Real-world test issuers publish certificates that break RFC 5280 in harmless ways: serial
//! numbers longer than the 20 octets of §4.1.2.2, or without the extensions the ISO 18013-5
//! Annex B profile demands (authority/subject key identifiers, CRL distribution points, an
//! issuer alternative name). Here such certificates are read and each deviation is a
//! [`CertWarning`] instead of "not a certificate". The default path ([`super::validate_chain`]
//! and everything a till uses) keeps the strict parse: nothing in this module is reachable
//! from it.
//!
//! Pinning ([`validate_pinned_ds`]) trusts one Document Signer certificate directly, for test
//! issuers that publish no IACA: the leaf of the `x5chain` must equal a pinned certificate
//! byte for byte; its validity is still checked and its key still verifies the MSO, but no
//! chain is built and Annex B profile deviations of the pinned certificate are warnings.

use super::profile::{extension, is_ca, key_usage};
use super::{
    certificate_public_key, parse_cert_as, validate_chain_parsed_as, validity, Anchor, CertDefect,
    CertProfile, DistinguishedNameSummary, TrustAnchors, TrustError, ValidatedChain, MAX_CERT_LEN,
    MAX_CHAIN_LEN,
};
use crate::crypto::{CryptoProvider, EcPublicKey};
use der::asn1::ObjectIdentifier;
use der::Decode;
use time::OffsetDateTime;
use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsages};

const OID_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_KU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_IAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.18");
const OID_BC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_CRL_DP: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.31");
const OID_AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// The largest serial number RFC 5280 §4.1.2.2 allows, in octets of the value.
const MAX_SERIAL_OCTETS: usize = 20;

/// An extension a profile expects (RFC 5280 §4.2.1, ISO 18013-5 Annex B.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProfileExtension {
    /// authorityKeyIdentifier (RFC 5280 §4.2.1.1; Annex B: every non-root certificate).
    AuthorityKeyIdentifier,
    /// subjectKeyIdentifier (RFC 5280 §4.2.1.2; Annex B: every certificate).
    SubjectKeyIdentifier,
    /// cRLDistributionPoints (RFC 5280 §4.2.1.13; Annex B.1.4 for the Document Signer).
    CrlDistributionPoints,
    /// issuerAltName (RFC 5280 §4.2.1.7; Annex B.1.4 for the Document Signer).
    IssuerAltName,
    /// keyUsage (RFC 5280 §4.2.1.3).
    KeyUsage,
    /// extKeyUsage (RFC 5280 §4.2.1.12; Annex B: the Document Signer EKU).
    ExtendedKeyUsage,
}

impl ProfileExtension {
    /// The extension's name in RFC 5280.
    pub fn name(self) -> &'static str {
        match self {
            ProfileExtension::AuthorityKeyIdentifier => "authorityKeyIdentifier",
            ProfileExtension::SubjectKeyIdentifier => "subjectKeyIdentifier",
            ProfileExtension::CrlDistributionPoints => "cRLDistributionPoints",
            ProfileExtension::IssuerAltName => "issuerAltName",
            ProfileExtension::KeyUsage => "keyUsage",
            ProfileExtension::ExtendedKeyUsage => "extKeyUsage",
        }
    }
}

/// A harmless deviation from RFC 5280 or the Annex B profile, tolerated in a test mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertWarning {
    /// The serial number's value is longer than 20 octets (RFC 5280 §4.1.2.2).
    SerialTooLong {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Octets of the value (without a leading 00 that only keeps it positive).
        octets: usize,
    },
    /// The serial number is zero or negative (RFC 5280 §4.1.2.2: a positive integer).
    SerialNotPositive {
        /// Position in the chain (0 = leaf).
        index: usize,
    },
    /// Not an X.509 v3 certificate (Annex B requires v3).
    NotV3 {
        /// Position in the chain (0 = leaf).
        index: usize,
    },
    /// An extension the profile demands is absent.
    MissingExtension {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Which extension.
        extension: ProfileExtension,
    },
    /// A pinned Document Signer's keyUsage lacks digitalSignature (Annex B.1.4).
    NoDigitalSignature,
    /// A pinned Document Signer lacks the Document Signer EKU 1.0.18013.5.1.2 (Annex B.1.4).
    NoDocumentSignerEku,
    /// A pinned Document Signer is a CA certificate (basicConstraints cA true).
    PinnedIsCa,
}

impl core::fmt::Display for CertWarning {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CertWarning::SerialTooLong { index, octets } => write!(
                f,
                "certificate {index}: serial number of {octets} octets exceeds RFC 5280's 20 (tolerated)"
            ),
            CertWarning::SerialNotPositive { index } => write!(
                f,
                "certificate {index}: serial number is not positive (RFC 5280 4.1.2.2; tolerated)"
            ),
            CertWarning::NotV3 { index } => {
                write!(f, "certificate {index}: not an X.509 v3 certificate")
            }
            CertWarning::MissingExtension { index, extension } => write!(
                f,
                "certificate {index}: no {} extension (required by the profile; tolerated)",
                extension.name()
            ),
            CertWarning::NoDigitalSignature => f.write_str(
                "pinned Document Signer: keyUsage lacks digitalSignature (tolerated: pinned)",
            ),
            CertWarning::NoDocumentSignerEku => f.write_str(
                "pinned Document Signer: no EKU 1.0.18013.5.1.2 (tolerated: pinned)",
            ),
            CertWarning::PinnedIsCa => {
                f.write_str("pinned Document Signer: is a CA certificate (tolerated: pinned)")
            }
        }
    }
}

/// One extension of a certificate as [`read_certificate_lenient`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtensionSummary {
    /// The extension's OID, dotted.
    pub oid: String,
    /// Its RFC 5280 name, for the ones this module knows.
    pub name: Option<&'static str>,
    /// Whether it is marked critical.
    pub critical: bool,
}

/// A certificate read leniently: its fields and every tolerated deviation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateSummary {
    /// The X.509 version (1, 2 or 3).
    pub version: u8,
    /// The serial number, lowercase hex of the INTEGER's content octets.
    pub serial: String,
    /// The signature algorithm OID, dotted.
    pub signature_algorithm: String,
    /// The issuer DN (RFC 4514; certificate text, to be escaped by whoever prints it).
    pub issuer: String,
    /// The subject DN (RFC 4514; certificate text, to be escaped by whoever prints it).
    pub subject: String,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
    /// The EC public key, when it is an uncompressed P-256/P-384/P-521 key.
    pub public_key: Option<EcPublicKey>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Every extension, in order.
    pub extensions: Vec<ExtensionSummary>,
    /// What breaks RFC 5280 or the Annex B profile (for the certificate's apparent role:
    /// a CA, or an end entity).
    pub warnings: Vec<CertWarning>,
}

fn extension_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match *oid {
        o if o == OID_SKI => "subjectKeyIdentifier",
        o if o == OID_KU => "keyUsage",
        o if o == OID_SAN => "subjectAltName",
        o if o == OID_IAN => "issuerAltName",
        o if o == OID_BC => "basicConstraints",
        o if o == OID_CRL_DP => "cRLDistributionPoints",
        o if o == OID_AKI => "authorityKeyIdentifier",
        o if o == OID_EKU => "extKeyUsage",
        _ => return None,
    })
}

/// The RFC 5280 deviations of `cert` (serial, version, key identifiers), `index` naming it.
fn rfc5280_warnings(cert: &CertificateInner<Raw>, index: usize) -> Vec<CertWarning> {
    let mut w = Vec::new();
    let serial = cert.tbs_certificate.serial_number.as_bytes();
    let value = match serial {
        [0, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 != 0) => rest,
        all => all,
    };
    if value.len() > MAX_SERIAL_OCTETS {
        w.push(CertWarning::SerialTooLong {
            index,
            octets: value.len(),
        });
    }
    if serial.first().is_some_and(|b| b & 0x80 != 0) || serial.iter().all(|b| *b == 0) {
        w.push(CertWarning::SerialNotPositive { index });
    }
    if cert.tbs_certificate.version != x509_cert::Version::V3 {
        w.push(CertWarning::NotV3 { index });
    }
    if extension(cert, OID_SKI).is_none() {
        w.push(CertWarning::MissingExtension {
            index,
            extension: ProfileExtension::SubjectKeyIdentifier,
        });
    }
    let self_issued = cert.tbs_certificate.issuer == cert.tbs_certificate.subject;
    if !self_issued && extension(cert, OID_AKI).is_none() {
        w.push(CertWarning::MissingExtension {
            index,
            extension: ProfileExtension::AuthorityKeyIdentifier,
        });
    }
    w
}

/// The Annex B.1.4 Document Signer extensions `leaf` lacks beyond the key identifiers.
fn ds_extension_warnings(leaf: &CertificateInner<Raw>) -> Vec<CertWarning> {
    [
        (OID_CRL_DP, ProfileExtension::CrlDistributionPoints),
        (OID_IAN, ProfileExtension::IssuerAltName),
    ]
    .into_iter()
    .filter(|(oid, _)| extension(leaf, *oid).is_none())
    .map(|(_, extension)| CertWarning::MissingExtension {
        index: 0,
        extension,
    })
    .collect()
}

/// Read one DER certificate without the strict serial number rule, listing its fields and
/// its RFC 5280 deviations (for `kakunin inspect`); only bytes that are not an X.509
/// certificate at all are an error.
pub fn read_certificate_lenient(der: &[u8]) -> Result<CertificateSummary, TrustError> {
    let cert = parse_cert_as::<Raw>(der, 0)?;
    let tbs = &cert.tbs_certificate;
    let (not_before, not_after) = validity(&cert);
    let mut warnings = rfc5280_warnings(&cert, 0);
    let ca = is_ca(&cert);
    if !ca && extension(&cert, OID_KU).is_none() {
        warnings.push(CertWarning::MissingExtension {
            index: 0,
            extension: ProfileExtension::KeyUsage,
        });
    }
    let version = match tbs.version {
        x509_cert::Version::V1 => 1,
        x509_cert::Version::V2 => 2,
        x509_cert::Version::V3 => 3,
    };
    Ok(CertificateSummary {
        version,
        serial: super::crl::hex_lower(tbs.serial_number.as_bytes()),
        signature_algorithm: cert.signature_algorithm.oid.to_string(),
        issuer: tbs.issuer.to_string(),
        subject: tbs.subject.to_string(),
        not_before,
        not_after,
        public_key: certificate_public_key(&cert, 0).ok(),
        is_ca: ca,
        extensions: tbs
            .extensions
            .iter()
            .flatten()
            .map(|e| ExtensionSummary {
                oid: e.extn_id.to_string(),
                name: extension_name(&e.extn_id),
                critical: e.critical,
            })
            .collect(),
        warnings,
    })
}

/// Accept a certificate as DER, PEM or hex text like [`super::parse_certificate_input`],
/// but read it leniently ([`read_certificate_lenient`]): for `--pin-ds` files and `inspect`.
pub fn parse_certificate_input_lenient(input: &[u8]) -> Result<Vec<u8>, TrustError> {
    let der = super::anchors::certificate_input_der(input)?;
    parse_cert_as::<Raw>(&der, 0)?;
    Ok(der)
}

/// A Document Signer trusted by pinning ([`validate_pinned_ds`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PinnedDs {
    /// The DS public key, which must verify the MSO.
    pub leaf_public_key: EcPublicKey,
    /// Who the DS certifies.
    pub leaf_subject: DistinguishedNameSummary,
    /// The DS certificate's issuer DN (not validated: no chain is built).
    pub issuer_subject: DistinguishedNameSummary,
    /// Which pinned certificate it is (position in the pins given).
    pub pin_index: usize,
    /// The DS serial number, lowercase hex of the INTEGER's content octets.
    pub serial: String,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
    /// The tolerated deviations of the pinned certificate.
    pub warnings: Vec<CertWarning>,
}

/// Trust the leaf of `chain_der` (a COSE x5chain, leaf first) because it equals, byte for
/// byte, one of `pins`; check it is valid at `at` and take its EC key. Other certificates of
/// the chain are ignored. RFC 5280 and Annex B deviations of the leaf are warnings; a leaf
/// that is not pinned is [`TrustError::NotPinned`].
pub fn validate_pinned_ds(
    chain_der: &[&[u8]],
    pins: &[Vec<u8>],
    at: OffsetDateTime,
) -> Result<PinnedDs, TrustError> {
    let Some(leaf_der) = chain_der.first() else {
        return Err(TrustError::EmptyChain);
    };
    if chain_der.len() > MAX_CHAIN_LEN {
        return Err(TrustError::ChainTooLong {
            len: chain_der.len(),
        });
    }
    if pins.is_empty() {
        return Err(TrustError::NoAnchors);
    }
    if leaf_der.len() > MAX_CERT_LEN {
        return Err(TrustError::CertificateTooLarge {
            index: 0,
            len: leaf_der.len(),
        });
    }
    let pin_index = pins
        .iter()
        .position(|p| p.as_slice() == *leaf_der)
        .ok_or(TrustError::NotPinned)?;
    let leaf = parse_cert_as::<Raw>(leaf_der, 0)?;
    let (not_before, not_after) = validity(&leaf);
    if at < not_before {
        return Err(TrustError::NotYetValid {
            index: 0,
            not_before,
        });
    }
    if at > not_after {
        return Err(TrustError::Expired {
            index: 0,
            not_after,
        });
    }
    let leaf_public_key = certificate_public_key(&leaf, 0)?;
    let mut warnings = rfc5280_warnings(&leaf, 0);
    warnings.extend(ds_extension_warnings(&leaf));
    match key_usage(&leaf, 0) {
        Ok(Some(ku)) if ku.0.contains(KeyUsages::DigitalSignature) => {}
        Ok(None) => warnings.push(CertWarning::MissingExtension {
            index: 0,
            extension: ProfileExtension::KeyUsage,
        }),
        _ => warnings.push(CertWarning::NoDigitalSignature),
    }
    let ds_eku = ObjectIdentifier::from_bytes(CertProfile::DocumentSigner.eku_der()).ok();
    match extension(&leaf, OID_EKU).map(ExtendedKeyUsage::from_der) {
        None => warnings.push(CertWarning::MissingExtension {
            index: 0,
            extension: ProfileExtension::ExtendedKeyUsage,
        }),
        Some(Ok(eku)) if ds_eku.is_some_and(|o| eku.0.contains(&o)) => {}
        Some(_) => warnings.push(CertWarning::NoDocumentSignerEku),
    }
    if is_ca(&leaf) {
        warnings.push(CertWarning::PinnedIsCa);
    }
    Ok(PinnedDs {
        leaf_public_key,
        leaf_subject: DistinguishedNameSummary::of(&leaf.tbs_certificate.subject),
        issuer_subject: DistinguishedNameSummary::of(&leaf.tbs_certificate.issuer),
        pin_index,
        serial: super::crl::hex_lower(leaf.tbs_certificate.serial_number.as_bytes()),
        not_before,
        not_after,
        warnings,
    })
}

/// [`super::validate_chain_for_doc_type`] for the lenient test modes: the same path
/// validation and Annex B checks (key usage, EKU, the IACA, the country), but the chain's
/// certificates are read without the serial number length rule, and their RFC 5280 and
/// Annex B extension deviations are returned as warnings.
pub fn validate_chain_for_doc_type_lenient(
    crypto: &dyn CryptoProvider,
    chain_der: &[&[u8]],
    anchors: &TrustAnchors,
    profile: CertProfile,
    doc_type: &str,
    at: OffsetDateTime,
) -> Result<(ValidatedChain, Vec<CertWarning>), TrustError> {
    let usable = |a: &Anchor| !anchors.has_scoped() || a.allows_doc_type(doc_type);
    let chain = validate_chain_parsed_as::<Raw>(crypto, chain_der, anchors, usable, profile, at)?;
    let mut warnings = Vec::new();
    for (index, der) in chain_der.iter().enumerate() {
        let cert = parse_cert_as::<Raw>(der, index)?;
        warnings.extend(rfc5280_warnings(&cert, index));
        if index == 0 && profile == CertProfile::DocumentSigner {
            warnings.extend(ds_extension_warnings(&cert));
        }
    }
    Ok((chain, warnings))
}

/// Whether `der` is rejected by the strict parse but read by the lenient one (for messages
/// that suggest the test modes).
pub fn only_lenient_reads(der: &[u8]) -> bool {
    matches!(
        super::parse_cert(der, 0),
        Err(TrustError::MalformedCertificate {
            reason: CertDefect::NotDer,
            ..
        })
    ) && parse_cert_as::<Raw>(der, 0).is_ok()
}
