//! Certificate trust for ISO 18013-5: X.509 path validation (RFC 5280) from a leaf in a COSE
//! `x5chain` to configured roots, and the Annex B certificate profiles on top of it.
//!
//! Path building, signatures, validity at the given time, basic constraints and extended key
//! usage are checked by rustls-webpki (with our [`sigalgs`]); the 18013-5 profile checks that
//! webpki does not know (key usage bits, the leaf not being a CA, the IACA's shape, issuing
//! country consistency) are done here with x509-cert. The time is always passed in.

mod anchors;
pub mod bundle;
mod cert_fields;
pub mod crl;
pub mod crl_builder;
pub mod lenient;
mod profile;
pub mod rsa_link;
pub mod sigalgs;
pub mod vical;

pub use anchors::{parse_certificate_input, Anchor, TrustAnchors};
pub use crl::{
    parse_crl_input, verify_crl, Crl, CrlError, CrlReason, CrlSet, CrlSummary, RevocationCheck,
    RevocationStatus, VerifiedCrl,
};
pub use profile::{CertProfile, DistinguishedNameSummary};

use crate::crypto::{CryptoProvider, Curve, EcPublicKey};
use der::Decode;
use time::OffsetDateTime;

/// Largest certificate accepted, in bytes.
pub const MAX_CERT_LEN: usize = 16 * 1024;
/// Longest x5chain accepted.
pub const MAX_CHAIN_LEN: usize = 8;

/// Why a certificate chain is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// No certificate at all (an empty `x5chain` / `x5c`).
    #[error("certificate chain is empty")]
    EmptyChain,
    /// More certificates than [`MAX_CHAIN_LEN`].
    #[error("certificate chain of {len} exceeds the limit of {MAX_CHAIN_LEN}")]
    ChainTooLong {
        /// Number of certificates received.
        len: usize,
    },
    /// A certificate larger than [`MAX_CERT_LEN`], not parsed.
    #[error("certificate {index} is {len} bytes, over the {MAX_CERT_LEN}-byte limit")]
    CertificateTooLarge {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Size in bytes.
        len: usize,
    },
    /// A certificate that cannot be parsed.
    #[error("certificate {index} is malformed: {reason}")]
    MalformedCertificate {
        /// Position in the chain (0 = leaf), or in the anchor list.
        index: usize,
        /// What is wrong with it.
        reason: CertDefect,
    },
    /// The verifier has no trust anchor for this use (a configuration error).
    #[error("no trust anchor is configured")]
    NoAnchors,
    /// No path from the leaf to a configured anchor (RFC 5280 §6.1).
    #[error("the chain does not lead to a trusted root")]
    UnknownIssuer,
    /// A certificate's signature does not verify under its issuer's key.
    #[error("certificate {index} signature does not verify")]
    BadSignature {
        /// Position in the chain (0 = leaf).
        index: usize,
    },
    /// A certificate's notAfter is before the verification time.
    #[error("certificate {index} expired at {not_after}")]
    Expired {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Its notAfter.
        not_after: OffsetDateTime,
    },
    /// A certificate's notBefore is after the verification time.
    #[error("certificate {index} is not valid before {not_before}")]
    NotYetValid {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Its notBefore.
        not_before: OffsetDateTime,
    },
    /// The leaf lacks the extended key usage of the profile (18013-5 Annex B).
    #[error("leaf certificate lacks the extended key usage {}", .profile.eku_name())]
    WrongExtendedKeyUsage {
        /// The profile whose EKU is missing.
        profile: CertProfile,
    },
    /// A certificate's KeyUsage extension is absent or lacks a required bit.
    #[error("certificate {index} key usage lacks {needed}")]
    MissingKeyUsage {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// The bit required.
        needed: KeyUsageBit,
    },
    /// The leaf is a CA certificate (BasicConstraints cA true), which may not sign documents.
    #[error("leaf certificate is a CA certificate")]
    LeafIsCa,
    /// The trust anchor does not fit the root profile of Annex B.
    #[error("root certificate does not fit the {} profile: {reason}", .profile.anchor_name())]
    AnchorProfile {
        /// The profile the chain was validated under.
        profile: CertProfile,
        /// What the root lacks.
        reason: AnchorDefect,
    },
    /// The leaf names another country than its IACA (Annex B, issuing country). Both values
    /// are certificate text and are printed escaped.
    #[error("issuing country mismatch: certificate says {leaf:?}, root says {anchor:?}")]
    CountryMismatch {
        /// The country in the leaf's issuer or subject.
        leaf: String,
        /// The country of the trust anchor.
        anchor: String,
    },
    /// The chain leads to an anchor imported from a VICAL for other docTypes only (ISO
    /// 18013-5 Annex C); the docType is the document's and is printed escaped.
    #[error("the chain's root is not trusted for docType {doc_type:?}")]
    OutOfScope {
        /// The docType the document signer was validated for.
        doc_type: String,
    },
    /// A public key that is not an uncompressed EC point on P-256, P-384 or P-521.
    #[error("certificate {index} public key is not an uncompressed P-256/P-384/P-521 EC key")]
    UnsupportedKey {
        /// Position in the chain (0 = leaf).
        index: usize,
    },
    /// The Document Signer certificate is not one of the pinned certificates (the
    /// `--pin-ds` test mode, [`lenient::validate_pinned_ds`]).
    #[error("the Document Signer certificate is not one of the pinned certificates")]
    NotPinned,
    /// A certificate path validation refuses for another RFC 5280 rule.
    #[error("certificate {index}: {reason}")]
    Rejected {
        /// Position in the chain (0 = leaf) where known, else 0.
        index: usize,
        /// The rule broken.
        reason: RejectReason,
    },
}

/// Why a certificate cannot be parsed or used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertDefect {
    /// Not a DER X.509 certificate (RFC 5280 §4.1).
    NotDer,
    /// rustls-webpki could not parse it (bad DER, time or extensions).
    Unparsable,
    /// The KeyUsage extension (RFC 5280 §4.2.1.3) does not decode.
    BadKeyUsage,
    /// The certificate cannot serve as a trust anchor.
    NotAnAnchor,
    /// The input is not a certificate in DER, PEM or hex form.
    NotCertificateInput,
}

impl core::fmt::Display for CertDefect {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CertDefect::NotDer => "not a DER X.509 certificate",
            CertDefect::Unparsable => "webpki could not parse it",
            CertDefect::BadKeyUsage => "bad KeyUsage extension",
            CertDefect::NotAnAnchor => "not usable as a trust anchor",
            CertDefect::NotCertificateInput => "not a DER, PEM or hex certificate",
        })
    }
}

/// An RFC 5280 rule a certificate breaks, beyond signatures, validity and usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    /// Not an X.509 v3 certificate (Annex B requires v3).
    NotV3,
    /// A critical extension the validator does not know (RFC 5280 §4.2).
    UnsupportedCriticalExtension,
    /// A signature algorithm outside ECDSA with SHA-2 on P-256/P-384/P-521.
    UnsupportedSignatureAlgorithm,
    /// BasicConstraints pathLenConstraint is exceeded (RFC 5280 §4.2.1.9).
    PathLenConstraint,
    /// The serial number is not a positive integer of at most 20 octets (§4.1.2.2).
    InvalidSerialNumber,
    /// notAfter is before notBefore.
    InvertedValidity,
    /// The issuing certificate is not a CA allowed to sign certificates (basicConstraints cA,
    /// keyUsage keyCertSign; §4.2.1.9, §4.2.1.3).
    IssuerNotCa,
}

impl core::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RejectReason::NotV3 => "not an X.509 v3 certificate",
            RejectReason::UnsupportedCriticalExtension => "unsupported critical extension",
            RejectReason::UnsupportedSignatureAlgorithm => "unsupported signature algorithm",
            RejectReason::PathLenConstraint => "path length constraint violated",
            RejectReason::InvalidSerialNumber => "invalid serial number",
            RejectReason::InvertedValidity => "validity period is inverted",
            RejectReason::IssuerNotCa => "issuer is not a CA that may sign certificates",
        })
    }
}

/// What a trust anchor lacks to be an IACA or reader root (18013-5 Annex B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnchorDefect {
    /// BasicConstraints cA is not true.
    NotCa,
    /// KeyUsage lacks keyCertSign.
    NoKeyCertSign,
    /// The subject names no country (the IACA must, Annex B.1.2).
    NoCountry,
}

impl core::fmt::Display for AnchorDefect {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            AnchorDefect::NotCa => "BasicConstraints cA is not true",
            AnchorDefect::NoKeyCertSign => "KeyUsage lacks keyCertSign",
            AnchorDefect::NoCountry => "subject has no countryName",
        })
    }
}

/// A KeyUsage bit (RFC 5280 §4.2.1.3) a profile requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyUsageBit {
    /// digitalSignature, required of every leaf (DS, reader, JWS signer).
    DigitalSignature,
}

impl core::fmt::Display for KeyUsageBit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            KeyUsageBit::DigitalSignature => "digitalSignature",
        })
    }
}

impl TrustError {
    /// The cause group: unparsable chains are malformed, missing anchors misuse, bad
    /// signatures and validity failed checks, everything else untrusted.
    pub fn cause(&self) -> crate::Cause {
        match self {
            TrustError::EmptyChain
            | TrustError::ChainTooLong { .. }
            | TrustError::CertificateTooLarge { .. }
            | TrustError::MalformedCertificate { .. }
            | TrustError::UnsupportedKey { .. } => crate::Cause::Malformed,
            TrustError::NoAnchors => crate::Cause::Misuse,
            TrustError::BadSignature { .. }
            | TrustError::Expired { .. }
            | TrustError::NotYetValid { .. } => crate::Cause::FailedCheck,
            _ => crate::Cause::Untrusted,
        }
    }
}

/// A chain that validated, and what the verifier needs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedChain {
    /// The leaf's public key: the DS key that signs the MSO, or the reader key.
    pub leaf_public_key: EcPublicKey,
    /// Who the leaf certifies.
    pub leaf_subject: DistinguishedNameSummary,
    /// Subject of the trust anchor the chain ends in.
    pub issuer_subject: DistinguishedNameSummary,
    /// Index of that anchor in the [`TrustAnchors`].
    pub anchor_index: usize,
    /// The leaf's notBefore.
    pub not_before: OffsetDateTime,
    /// The leaf's notAfter.
    pub not_after: OffsetDateTime,
    /// Certificates in the path, excluding the anchor.
    pub chain_len: usize,
    /// The intermediates of the path as positions in the chain given to [`validate_chain`]
    /// (0 = leaf), from the leaf's issuer up to the one the anchor issued: who issued whom,
    /// for revocation checks ([`crl::CrlSet::check`]).
    pub path: Vec<usize>,
}

/// Parse one certificate of a chain (bounded by [`MAX_CERT_LEN`]).
pub(crate) fn parse_cert(der: &[u8], index: usize) -> Result<x509_cert::Certificate, TrustError> {
    parse_cert_as(der, index)
}

/// [`parse_cert`] under the x509-cert profile `P`.
pub(crate) fn parse_cert_as<P: x509_cert::certificate::Profile>(
    der: &[u8],
    index: usize,
) -> Result<x509_cert::certificate::CertificateInner<P>, TrustError> {
    if der.len() > MAX_CERT_LEN {
        return Err(TrustError::CertificateTooLarge {
            index,
            len: der.len(),
        });
    }
    x509_cert::certificate::CertificateInner::<P>::from_der(der).map_err(|_| {
        TrustError::MalformedCertificate {
            index,
            reason: CertDefect::NotDer,
        }
    })
}

/// An X.509 time as an `OffsetDateTime` (saturating; X.509 times are within range).
pub(crate) fn to_time(t: &x509_cert::time::Time) -> OffsetDateTime {
    let secs = t.to_unix_duration().as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// notBefore and notAfter.
pub(crate) fn validity<P: x509_cert::certificate::Profile>(
    cert: &x509_cert::certificate::CertificateInner<P>,
) -> (OffsetDateTime, OffsetDateTime) {
    let v = &cert.tbs_certificate.validity;
    (to_time(&v.not_before), to_time(&v.not_after))
}

/// The EC public key of a certificate (its SubjectPublicKeyInfo, RFC 5480), `index` naming
/// it in errors.
pub fn certificate_public_key<P: x509_cert::certificate::Profile>(
    cert: &x509_cert::certificate::CertificateInner<P>,
    index: usize,
) -> Result<EcPublicKey, TrustError> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    ec_public_key(
        spki.algorithm.oid,
        spki.algorithm
            .parameters
            .as_ref()
            .map(der::asn1::AnyRef::from),
        spki.subject_public_key.as_bytes(),
        index,
    )
}

/// The EC public key in a DER SubjectPublicKeyInfo (RFC 5480).
fn spki_public_key(spki_der: &[u8], index: usize) -> Result<EcPublicKey, TrustError> {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|_| TrustError::UnsupportedKey { index })?;
    ec_public_key(
        spki.algorithm.oid,
        spki.algorithm.parameters,
        spki.subject_public_key.as_bytes(),
        index,
    )
}

/// An uncompressed P-256, P-384 or P-521 point under id-ecPublicKey with a named curve.
fn ec_public_key(
    algorithm: der::asn1::ObjectIdentifier,
    parameters: Option<der::asn1::AnyRef<'_>>,
    point: Option<&[u8]>,
    index: usize,
) -> Result<EcPublicKey, TrustError> {
    const EC_PUBLIC_KEY: der::asn1::ObjectIdentifier =
        der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    const P256: der::asn1::ObjectIdentifier =
        der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    const P384: der::asn1::ObjectIdentifier =
        der::asn1::ObjectIdentifier::new_unwrap("1.3.132.0.34");
    const P521: der::asn1::ObjectIdentifier =
        der::asn1::ObjectIdentifier::new_unwrap("1.3.132.0.35");
    let unsupported = TrustError::UnsupportedKey { index };
    if algorithm != EC_PUBLIC_KEY {
        return Err(unsupported);
    }
    let curve_oid: der::asn1::ObjectIdentifier = parameters
        .and_then(|p| p.decode_as().ok())
        .ok_or(unsupported.clone())?;
    let curve = match curve_oid {
        c if c == P256 => Curve::P256,
        c if c == P384 => Curve::P384,
        c if c == P521 => Curve::P521,
        _ => return Err(unsupported),
    };
    let point = point.ok_or(unsupported.clone())?;
    EcPublicKey::from_sec1_uncompressed(curve, point).ok_or(unsupported)
}

/// Validate `chain_der` (leaf first, then intermediates, as in a COSE x5chain) against
/// `anchors` under `profile`, at time `at` (RFC 5280 §6.1 path validation plus the 18013-5
/// Annex B profile). Every certificate signature on the path is verified through `crypto`,
/// the caller's provider.
///
/// Every anchor is used, whatever its docType scope; a caller validating a Document Signer
/// for a known docType calls [`validate_chain_for_doc_type`] instead.
pub fn validate_chain(
    crypto: &dyn CryptoProvider,
    chain_der: &[&[u8]],
    anchors: &TrustAnchors,
    profile: CertProfile,
    at: OffsetDateTime,
) -> Result<ValidatedChain, TrustError> {
    validate_chain_among(crypto, chain_der, anchors, |_| true, profile, at)
}

/// [`validate_chain`] using only the anchors trusted for `doc_type`: unscoped anchors, and
/// anchors imported from a VICAL whose entry lists `doc_type` (ISO 18013-5 Annex C: a VICAL
/// IACA is trusted only for its listed docTypes). A chain that would validate to an anchor
/// scoped to other docTypes is refused with [`TrustError::OutOfScope`].
pub fn validate_chain_for_doc_type(
    crypto: &dyn CryptoProvider,
    chain_der: &[&[u8]],
    anchors: &TrustAnchors,
    profile: CertProfile,
    doc_type: &str,
    at: OffsetDateTime,
) -> Result<ValidatedChain, TrustError> {
    if !anchors.has_scoped() {
        return validate_chain(crypto, chain_der, anchors, profile, at);
    }
    match validate_chain_among(
        crypto,
        chain_der,
        anchors,
        |a| a.allows_doc_type(doc_type),
        profile,
        at,
    ) {
        Err(TrustError::UnknownIssuer) => {
            // Say why when an anchor of another scope would have accepted the chain.
            if validate_chain(crypto, chain_der, anchors, profile, at).is_ok() {
                Err(TrustError::OutOfScope {
                    doc_type: doc_type.to_string(),
                })
            } else {
                Err(TrustError::UnknownIssuer)
            }
        }
        other => other,
    }
}

/// Path validation against the anchors `usable` selects; `anchor_index` in the result is
/// the anchor's position in the whole set.
fn validate_chain_among(
    crypto: &dyn CryptoProvider,
    chain_der: &[&[u8]],
    anchors: &TrustAnchors,
    usable: impl Fn(&Anchor) -> bool,
    profile: CertProfile,
    at: OffsetDateTime,
) -> Result<ValidatedChain, TrustError> {
    validate_chain_parsed_as::<x509_cert::certificate::Rfc5280>(
        crypto, chain_der, anchors, usable, profile, at,
    )
}

/// [`validate_chain_among`] with the chain's certificates parsed under the x509-cert profile
/// `P`: [`x509_cert::certificate::Rfc5280`] on the default path, `Raw` (no serial number
/// length check) for the lenient test modes ([`lenient`]).
fn validate_chain_parsed_as<P: x509_cert::certificate::Profile>(
    crypto: &dyn CryptoProvider,
    chain_der: &[&[u8]],
    anchors: &TrustAnchors,
    usable: impl Fn(&Anchor) -> bool,
    profile: CertProfile,
    at: OffsetDateTime,
) -> Result<ValidatedChain, TrustError> {
    let Some((leaf_der, intermediate_ders)) = chain_der.split_first() else {
        return Err(TrustError::EmptyChain);
    };
    if chain_der.len() > MAX_CHAIN_LEN {
        return Err(TrustError::ChainTooLong {
            len: chain_der.len(),
        });
    }
    if anchors.is_empty() {
        return Err(TrustError::NoAnchors);
    }
    let parsed = chain_der
        .iter()
        .enumerate()
        .map(|(i, d)| chain_cert::<P>(d, i))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(leaf_cert) = parsed.first() else {
        return Err(TrustError::EmptyChain);
    };
    let leaf_public_key = spki_public_key(leaf_cert.spki, 0)?;

    let leaf = rustls_pki_types::CertificateDer::from(*leaf_der);
    let ee =
        webpki::EndEntityCert::try_from(&leaf).map_err(|e| map_webpki(e, &parsed, at, profile))?;
    let selected: Vec<(usize, &Anchor)> = anchors
        .anchors
        .iter()
        .enumerate()
        .filter(|(_, a)| usable(a))
        .collect();
    if selected.is_empty() {
        return Err(TrustError::UnknownIssuer);
    }
    // Each anchor as webpki reads it (read once per anchor and kept). One webpki refuses is
    // left out; if no path is found, its error is the answer (it may be the issuer).
    let mut refused: Option<TrustError> = None;
    let mut kept: Vec<(usize, &Anchor)> = Vec::with_capacity(selected.len());
    let mut trust_anchors = Vec::with_capacity(selected.len());
    for (i, a) in selected {
        match a.webpki_anchor(i) {
            Ok(t) => {
                trust_anchors.push(t);
                kept.push((i, a));
            }
            Err(e) => {
                refused.get_or_insert(e);
            }
        }
    }
    let selected = kept;
    if trust_anchors.is_empty() {
        return Err(refused.unwrap_or(TrustError::UnknownIssuer));
    }
    let intermediates: Vec<rustls_pki_types::CertificateDer<'_>> = intermediate_ders
        .iter()
        .map(|d| rustls_pki_types::CertificateDer::from(*d))
        .collect();
    let unix = rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(at.unix_timestamp()).unwrap_or(0),
    ));
    let algorithms = sigalgs::all(crypto);
    let algorithm_refs: Vec<&dyn rustls_pki_types::SignatureVerificationAlgorithm> = algorithms
        .iter()
        .map(|a| a as &dyn rustls_pki_types::SignatureVerificationAlgorithm)
        .collect();
    let path = ee
        .verify_for_usage(
            &algorithm_refs,
            &trust_anchors,
            &intermediates,
            unix,
            eku_policy(profile),
            None,
            None,
        )
        .map_err(|e| match (map_webpki(e, &parsed, at, profile), refused) {
            (TrustError::UnknownIssuer, Some(anchor_error)) => anchor_error,
            (other, _) => other,
        })?;

    let used = path.anchor();
    let (anchor_index, anchor) = trust_anchors
        .iter()
        .position(|t| {
            t.subject == used.subject && t.subject_public_key_info == used.subject_public_key_info
        })
        .and_then(|pos| selected.get(pos))
        .ok_or(TrustError::UnknownIssuer)
        .and_then(|(i, a)| Ok((*i, a.cert(*i)?)))?;
    let chain_len = path.intermediate_certificates().count() + 1;
    let path_positions = path
        .intermediate_certificates()
        .filter_map(|c| {
            intermediate_ders
                .iter()
                .position(|d| *d == c.der().as_ref())
                .map(|i| i + 1)
        })
        .collect();

    profile::check_leaf(profile, leaf_cert)?;
    profile::check_anchor(profile, anchor)?;
    profile::check_country(profile, leaf_cert, anchor)?;

    Ok(ValidatedChain {
        leaf_public_key,
        leaf_subject: cert_fields::name_summary(leaf_cert.subject),
        issuer_subject: DistinguishedNameSummary::of(&anchor.tbs_certificate.subject),
        anchor_index,
        not_before: leaf_cert.not_before,
        not_after: leaf_cert.not_after,
        chain_len,
        path: path_positions,
    })
}

/// The EKU rule webpki applies to every certificate of the path. For a VICAL signer the
/// EKU is required of the leaf only (checked in [`profile::check_leaf`]): the real AAMVA chain
/// has an issuing CA without any EKU extension, which `required` would refuse.
fn eku_policy(profile: CertProfile) -> webpki::KeyUsage {
    match profile {
        CertProfile::VicalSigner => webpki::KeyUsage::required_if_present(profile.eku_der()),
        _ => webpki::KeyUsage::required(profile.eku_der()),
    }
}

/// One certificate of a chain as path validation reads it (webpki parses the ones on the
/// path in full): at most [`MAX_CERT_LEN`] bytes, shaped as an X.509 certificate with
/// well-formed Names, and a serial number within the x509-cert profile `P`'s rules (at
/// most 20 octets of value on the default path, RFC 5280 §4.1.2.2; any length for the
/// lenient test modes).
fn chain_cert<P: x509_cert::certificate::Profile>(
    der: &[u8],
    index: usize,
) -> Result<cert_fields::CertFields<'_>, TrustError> {
    if der.len() > MAX_CERT_LEN {
        return Err(TrustError::CertificateTooLarge {
            index,
            len: der.len(),
        });
    }
    let not_der = TrustError::MalformedCertificate {
        index,
        reason: CertDefect::NotDer,
    };
    let fields = cert_fields::cert_fields(der).ok_or(not_der.clone())?;
    x509_cert::serial_number::SerialNumber::<P>::from_der(fields.serial_der)
        .map_err(|_| not_der.clone())?;
    if !cert_fields::name_well_formed(fields.issuer)
        || !cert_fields::name_well_formed(fields.subject)
    {
        return Err(not_der);
    }
    Ok(fields)
}

/// Translate a webpki error into ours, naming the certificate where we can tell.
fn map_webpki(
    e: webpki::Error,
    chain: &[cert_fields::CertFields<'_>],
    at: OffsetDateTime,
    profile: CertProfile,
) -> TrustError {
    use webpki::Error as E;
    match e {
        E::CertExpired { .. } | E::CertNotValidYet { .. } => {
            for (index, c) in chain.iter().enumerate() {
                let (nb, na) = (c.not_before, c.not_after);
                if at > na {
                    return TrustError::Expired {
                        index,
                        not_after: na,
                    };
                }
                if at < nb {
                    return TrustError::NotYetValid {
                        index,
                        not_before: nb,
                    };
                }
            }
            TrustError::UnknownIssuer
        }
        E::InvalidSignatureForPublicKey => TrustError::BadSignature { index: 0 },
        E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
            TrustError::WrongExtendedKeyUsage { profile }
        }
        E::UnknownIssuer => TrustError::UnknownIssuer,
        E::CaUsedAsEndEntity => TrustError::LeafIsCa,
        E::BadDer
        | E::BadDerTime
        | E::TrailingData(_)
        | E::MalformedExtensions
        | E::ExtensionValueInvalid => TrustError::MalformedCertificate {
            index: 0,
            reason: CertDefect::Unparsable,
        },
        E::UnsupportedCertVersion => TrustError::Rejected {
            index: 0,
            reason: RejectReason::NotV3,
        },
        E::UnsupportedCriticalExtension => TrustError::Rejected {
            index: 0,
            reason: RejectReason::UnsupportedCriticalExtension,
        },
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::SignatureAlgorithmMismatch => TrustError::Rejected {
            index: 0,
            reason: RejectReason::UnsupportedSignatureAlgorithm,
        },
        E::PathLenConstraintViolated => TrustError::Rejected {
            index: 0,
            reason: RejectReason::PathLenConstraint,
        },
        E::InvalidSerialNumber => TrustError::Rejected {
            index: 0,
            reason: RejectReason::InvalidSerialNumber,
        },
        E::InvalidCertValidity => TrustError::Rejected {
            index: 0,
            reason: RejectReason::InvertedValidity,
        },
        #[allow(deprecated)]
        E::RequiredEkuNotFound => TrustError::WrongExtendedKeyUsage { profile },
        _ => TrustError::UnknownIssuer,
    }
}

#[cfg(test)]
mod crl_tests;
#[cfg(test)]
mod lenient_tests;
#[cfg(test)]
mod tests;
