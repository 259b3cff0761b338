//! ISO 18013-5 Annex B certificate profiles (IACA, Document Signer, reader authentication)
//! checked on top of path validation.

use super::cert_fields::{name_country, CertFields};
use super::{AnchorDefect, CertDefect, KeyUsageBit, TrustError};
use der::asn1::ObjectIdentifier;
use der::Decode;
use std::borrow::Cow;
use x509_cert::certificate::{CertificateInner, Profile};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};

const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_C: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const OID_ST: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.8");
const OID_O: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");

/// Which Annex B profile a leaf certificate must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertProfile {
    /// mdoc Document Signer, EKU 1.0.18013.5.1.2, under an IACA.
    DocumentSigner,
    /// mdoc reader authentication, EKU 1.0.18013.5.1.6.
    ReaderAuth,
    /// JWS signer (server retrieval, SD-JWT issuers), EKU 1.0.18013.5.1.3.
    JwsSigner,
    /// VICAL signer (Annex C), EKU 1.0.18013.5.1.8, under a VICAL authority root.
    VicalSigner,
}

impl CertProfile {
    /// The DER value bytes of the required EKU OID.
    pub(crate) fn eku_der(self) -> &'static [u8] {
        // 1.0.18013.5.1.x: 0x28 (1*40+0), 18013 = 0x81 0x8c 0x5d, 5, 1, x.
        match self {
            CertProfile::DocumentSigner => &[0x28, 0x81, 0x8c, 0x5d, 0x05, 0x01, 0x02],
            CertProfile::JwsSigner => &[0x28, 0x81, 0x8c, 0x5d, 0x05, 0x01, 0x03],
            CertProfile::ReaderAuth => &[0x28, 0x81, 0x8c, 0x5d, 0x05, 0x01, 0x06],
            CertProfile::VicalSigner => &[0x28, 0x81, 0x8c, 0x5d, 0x05, 0x01, 0x08],
        }
    }

    /// The required EKU, as an OID and a name, for messages.
    pub fn eku_name(self) -> &'static str {
        match self {
            CertProfile::DocumentSigner => "1.0.18013.5.1.2 (mdoc Document Signer)",
            CertProfile::JwsSigner => "1.0.18013.5.1.3 (JWS signer)",
            CertProfile::ReaderAuth => "1.0.18013.5.1.6 (mdoc reader authentication)",
            CertProfile::VicalSigner => "1.0.18013.5.1.8 (VICAL signer)",
        }
    }

    /// The name of the root this profile chains to: "IACA" or "reader root".
    pub fn anchor_name(self) -> &'static str {
        match self {
            CertProfile::DocumentSigner => "IACA",
            CertProfile::JwsSigner => "IACA",
            CertProfile::ReaderAuth => "reader root",
            CertProfile::VicalSigner => "VICAL authority",
        }
    }
}

/// The parts of a distinguished name a person looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistinguishedNameSummary {
    /// commonName (2.5.4.3).
    pub common_name: Option<String>,
    /// countryName (2.5.4.6), the issuing country of an IACA.
    pub country: Option<String>,
    /// stateOrProvinceName (2.5.4.8).
    pub state: Option<String>,
    /// organizationName (2.5.4.10).
    pub organization: Option<String>,
}

impl DistinguishedNameSummary {
    /// The first string value of each attribute of interest in `name`.
    pub fn of(name: &x509_cert::name::Name) -> Self {
        let mut s = DistinguishedNameSummary::default();
        for rdn in name.0.iter() {
            for atv in rdn.0.iter() {
                let Some(text) = string_value(&atv.value) else {
                    continue;
                };
                let slot = match atv.oid {
                    o if o == OID_CN => &mut s.common_name,
                    o if o == OID_C => &mut s.country,
                    o if o == OID_ST => &mut s.state,
                    o if o == OID_O => &mut s.organization,
                    _ => continue,
                };
                slot.get_or_insert(text);
            }
        }
        s
    }
}

fn string_value(any: &der::Any) -> Option<String> {
    use der::{Tag, Tagged};
    match any.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::TeletexString
        | Tag::VisibleString => std::str::from_utf8(any.value()).ok().map(str::to_string),
        _ => None,
    }
}

/// What the Annex B checks read of a certificate: a parsed x509-cert certificate (anchors,
/// the lenient modes) or the fields path validation walked ([`CertFields`]).
pub(crate) trait ProfileFields {
    /// The extnValue (the DER of the extension's own value) of the extension `oid`.
    fn extension_value(&self, oid: &ObjectIdentifier) -> Option<&[u8]>;
    /// The countryName of the issuer Name and of the subject Name, where present.
    fn countries(&self) -> [Option<Cow<'_, str>>; 2];
}

impl<P: Profile> ProfileFields for CertificateInner<P> {
    fn extension_value(&self, oid: &ObjectIdentifier) -> Option<&[u8]> {
        self.tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == *oid)
            .map(|e| e.extn_value.as_bytes())
    }
    fn countries(&self) -> [Option<Cow<'_, str>>; 2] {
        let tbs = &self.tbs_certificate;
        [&tbs.issuer, &tbs.subject].map(|n| DistinguishedNameSummary::of(n).country.map(Cow::Owned))
    }
}

impl ProfileFields for CertFields<'_> {
    fn extension_value(&self, oid: &ObjectIdentifier) -> Option<&[u8]> {
        self.extension(oid.as_bytes())
    }
    fn countries(&self) -> [Option<Cow<'_, str>>; 2] {
        [self.issuer, self.subject].map(|n| name_country(n).map(Cow::Borrowed))
    }
}

pub(crate) fn extension<C: ProfileFields + ?Sized>(
    cert: &C,
    oid: ObjectIdentifier,
) -> Option<&[u8]> {
    cert.extension_value(&oid)
}

pub(crate) fn key_usage<C: ProfileFields + ?Sized>(
    cert: &C,
    index: usize,
) -> Result<Option<KeyUsage>, TrustError> {
    extension(cert, OID_KEY_USAGE)
        .map(|v| {
            KeyUsage::from_der(v).map_err(|_| TrustError::MalformedCertificate {
                index,
                reason: CertDefect::BadKeyUsage,
            })
        })
        .transpose()
}

pub(crate) fn is_ca<C: ProfileFields + ?Sized>(cert: &C) -> bool {
    extension(cert, OID_BASIC_CONSTRAINTS)
        .and_then(|v| BasicConstraints::from_der(v).ok())
        .is_some_and(|bc| bc.ca)
}

/// Leaf checks: digitalSignature key usage, not a CA, and the EKU (also enforced by webpki;
/// checked here too so the profile stands on its own).
pub(crate) fn check_leaf<C: ProfileFields + ?Sized>(
    profile: CertProfile,
    leaf: &C,
) -> Result<(), TrustError> {
    let ku = key_usage(leaf, 0)?.ok_or(TrustError::MissingKeyUsage {
        index: 0,
        needed: KeyUsageBit::DigitalSignature,
    })?;
    // Both real VICAL signers (AAMVA, Austroads) carry nonRepudiation (contentCommitment)
    // only: a VICAL signature is a commitment to the list's content.
    let signs = ku.0.contains(KeyUsages::DigitalSignature)
        || (profile == CertProfile::VicalSigner && ku.0.contains(KeyUsages::NonRepudiation));
    if !signs {
        return Err(TrustError::MissingKeyUsage {
            index: 0,
            needed: KeyUsageBit::DigitalSignature,
        });
    }
    if is_ca(leaf) {
        return Err(TrustError::LeafIsCa);
    }
    let eku = extension(leaf, OID_EKU)
        .and_then(|v| ExtendedKeyUsage::from_der(v).ok())
        .ok_or(TrustError::WrongExtendedKeyUsage { profile })?;
    let wanted = ObjectIdentifier::from_bytes(profile.eku_der())
        .map_err(|_| TrustError::WrongExtendedKeyUsage { profile })?;
    if !eku.0.contains(&wanted) {
        return Err(TrustError::WrongExtendedKeyUsage { profile });
    }
    Ok(())
}

/// Root checks: a CA with keyCertSign (Annex B IACA / reader root profiles).
pub(crate) fn check_anchor(
    profile: CertProfile,
    anchor: &x509_cert::Certificate,
) -> Result<(), TrustError> {
    if !is_ca(anchor) {
        return Err(TrustError::AnchorProfile {
            profile,
            reason: AnchorDefect::NotCa,
        });
    }
    match key_usage(anchor, 0) {
        Ok(Some(ku)) if ku.0.contains(KeyUsages::KeyCertSign) => Ok(()),
        _ => Err(TrustError::AnchorProfile {
            profile,
            reason: AnchorDefect::NoKeyCertSign,
        }),
    }
}

/// Issuing-country consistency (Annex B): the IACA names a country, and the leaf's issuer
/// and subject (where present) name the same one.
pub(crate) fn check_country<C: ProfileFields + ?Sized>(
    profile: CertProfile,
    leaf: &C,
    anchor: &x509_cert::Certificate,
) -> Result<(), TrustError> {
    if matches!(profile, CertProfile::ReaderAuth | CertProfile::VicalSigner) {
        // Readers may be certified by a root of another country; a VICAL signer's
        // authority lists IACAs of many countries.
        return Ok(());
    }
    let anchor_c = DistinguishedNameSummary::of(&anchor.tbs_certificate.subject).country;
    let Some(anchor_c) = anchor_c else {
        return Err(TrustError::AnchorProfile {
            profile,
            reason: AnchorDefect::NoCountry,
        });
    };
    for c in leaf.countries().into_iter().flatten() {
        if !c.eq_ignore_ascii_case(&anchor_c) {
            return Err(TrustError::CountryMismatch {
                leaf: c.into_owned(),
                anchor: anchor_c,
            });
        }
    }
    Ok(())
}
