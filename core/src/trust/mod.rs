//! Certificate trust for ISO 18013-5: X.509 path validation (RFC 5280) from a leaf in a COSE
//! `x5chain` to configured roots, and the Annex B certificate profiles on top of it.
//!
//! Path building, signatures, validity at the given time, basic constraints and extended key
//! usage are checked by rustls-webpki (with our [`sigalgs`]); the 18013-5 profile checks that
//! webpki does not know (key usage bits, the leaf not being a CA, the IACA's shape, issuing
//! country consistency) are done here with x509-cert. The time is always passed in.

mod anchors;
mod profile;
pub mod sigalgs;

pub use anchors::{parse_certificate_input, Anchor, TrustAnchors};
pub use profile::{CertProfile, DistinguishedNameSummary};

use crate::crypto::{Curve, EcPublicKey};
use der::Decode;
use time::OffsetDateTime;

/// Largest certificate accepted, in bytes.
pub const MAX_CERT_LEN: usize = 16 * 1024;
/// Longest x5chain accepted.
pub const MAX_CHAIN_LEN: usize = 8;

/// Why a certificate chain is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error("certificate chain is empty")]
    EmptyChain,
    #[error("certificate chain of {len} exceeds the limit of {MAX_CHAIN_LEN}")]
    ChainTooLong { len: usize },
    #[error("certificate {index} is {len} bytes, over the {MAX_CERT_LEN}-byte limit")]
    CertificateTooLarge { index: usize, len: usize },
    #[error("certificate {index} is malformed: {reason}")]
    MalformedCertificate { index: usize, reason: &'static str },
    #[error("no trust anchor is configured")]
    NoAnchors,
    #[error("the chain does not lead to a trusted root")]
    UnknownIssuer,
    #[error("certificate {index} signature does not verify")]
    BadSignature { index: usize },
    #[error("certificate {index} expired at {not_after}")]
    Expired {
        index: usize,
        not_after: OffsetDateTime,
    },
    #[error("certificate {index} is not valid before {not_before}")]
    NotYetValid {
        index: usize,
        not_before: OffsetDateTime,
    },
    #[error("leaf certificate lacks the extended key usage {expected}")]
    WrongExtendedKeyUsage { expected: &'static str },
    #[error("certificate {index} key usage lacks {needed}")]
    MissingKeyUsage { index: usize, needed: &'static str },
    #[error("leaf certificate is a CA certificate")]
    LeafIsCa,
    #[error("root certificate does not fit the {profile} profile: {reason}")]
    AnchorProfile {
        profile: &'static str,
        reason: &'static str,
    },
    #[error("issuing country mismatch: certificate says {leaf:?}, root says {anchor:?}")]
    CountryMismatch { leaf: String, anchor: String },
    #[error("certificate {index} public key is not an uncompressed P-256/P-384/P-521 EC key")]
    UnsupportedKey { index: usize },
    #[error("certificate {index}: {reason}")]
    Rejected { index: usize, reason: &'static str },
}

impl TrustError {
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
    pub leaf_public_key: EcPublicKey,
    pub leaf_subject: DistinguishedNameSummary,
    /// Subject of the trust anchor the chain ends in.
    pub issuer_subject: DistinguishedNameSummary,
    pub anchor_index: usize,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Certificates in the path, excluding the anchor.
    pub chain_len: usize,
}

pub(crate) fn parse_cert(der: &[u8], index: usize) -> Result<x509_cert::Certificate, TrustError> {
    if der.len() > MAX_CERT_LEN {
        return Err(TrustError::CertificateTooLarge {
            index,
            len: der.len(),
        });
    }
    x509_cert::Certificate::from_der(der).map_err(|_| TrustError::MalformedCertificate {
        index,
        reason: "not a DER X.509 certificate",
    })
}

fn to_time(t: &x509_cert::time::Time) -> OffsetDateTime {
    let secs = t.to_unix_duration().as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn validity(cert: &x509_cert::Certificate) -> (OffsetDateTime, OffsetDateTime) {
    let v = &cert.tbs_certificate.validity;
    (to_time(&v.not_before), to_time(&v.not_after))
}

/// The EC public key of a certificate.
pub fn certificate_public_key(
    cert: &x509_cert::Certificate,
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
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let unsupported = TrustError::UnsupportedKey { index };
    if spki.algorithm.oid != EC_PUBLIC_KEY {
        return Err(unsupported);
    }
    let curve_oid: der::asn1::ObjectIdentifier = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as().ok())
        .ok_or(unsupported.clone())?;
    let curve = match curve_oid {
        c if c == P256 => Curve::P256,
        c if c == P384 => Curve::P384,
        c if c == P521 => Curve::P521,
        _ => return Err(unsupported),
    };
    let point = spki
        .subject_public_key
        .as_bytes()
        .ok_or(unsupported.clone())?;
    EcPublicKey::from_sec1_uncompressed(curve, point).ok_or(unsupported)
}

/// Validate `chain_der` (leaf first, then intermediates, as in a COSE x5chain) against
/// `anchors` under `profile`, at time `at`.
pub fn validate_chain(
    chain_der: &[&[u8]],
    anchors: &TrustAnchors,
    profile: CertProfile,
    at: OffsetDateTime,
) -> Result<ValidatedChain, TrustError> {
    let Some(leaf_der) = chain_der.first() else {
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
        .map(|(i, d)| parse_cert(d, i))
        .collect::<Result<Vec<_>, _>>()?;
    let leaf_cert = &parsed[0];
    let leaf_public_key = certificate_public_key(leaf_cert, 0)?;

    let leaf = rustls_pki_types::CertificateDer::from(*leaf_der);
    let ee =
        webpki::EndEntityCert::try_from(&leaf).map_err(|e| map_webpki(e, &parsed, at, profile))?;
    let anchor_ders: Vec<rustls_pki_types::CertificateDer<'_>> = anchors
        .anchors
        .iter()
        .map(|a| rustls_pki_types::CertificateDer::from(a.der.as_slice()))
        .collect();
    let trust_anchors = anchor_ders
        .iter()
        .map(|d| webpki::anchor_from_trusted_cert(d).map_err(|_| TrustError::NoAnchors))
        .collect::<Result<Vec<_>, _>>()?;
    let intermediates: Vec<rustls_pki_types::CertificateDer<'_>> = chain_der[1..]
        .iter()
        .map(|d| rustls_pki_types::CertificateDer::from(*d))
        .collect();
    let unix = rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(at.unix_timestamp()).unwrap_or(0),
    ));
    let path = ee
        .verify_for_usage(
            sigalgs::ALL,
            &trust_anchors,
            &intermediates,
            unix,
            webpki::KeyUsage::required(profile.eku_der()),
            None,
            None,
        )
        .map_err(|e| map_webpki(e, &parsed, at, profile))?;

    let used = path.anchor();
    let anchor_index = trust_anchors
        .iter()
        .position(|t| {
            t.subject == used.subject && t.subject_public_key_info == used.subject_public_key_info
        })
        .ok_or(TrustError::UnknownIssuer)?;
    let anchor = &anchors.anchors[anchor_index].cert;
    let chain_len = path.intermediate_certificates().count() + 1;

    profile::check_leaf(profile, leaf_cert)?;
    profile::check_anchor(profile, anchor)?;
    profile::check_country(profile, leaf_cert, anchor)?;

    let (not_before, not_after) = validity(leaf_cert);
    Ok(ValidatedChain {
        leaf_public_key,
        leaf_subject: DistinguishedNameSummary::of(&leaf_cert.tbs_certificate.subject),
        issuer_subject: DistinguishedNameSummary::of(&anchor.tbs_certificate.subject),
        anchor_index,
        not_before,
        not_after,
        chain_len,
    })
}

/// Translate a webpki error into ours, naming the certificate where we can tell.
fn map_webpki(
    e: webpki::Error,
    chain: &[x509_cert::Certificate],
    at: OffsetDateTime,
    profile: CertProfile,
) -> TrustError {
    use webpki::Error as E;
    match e {
        E::CertExpired { .. } | E::CertNotValidYet { .. } => {
            for (index, c) in chain.iter().enumerate() {
                let (nb, na) = validity(c);
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
            TrustError::WrongExtendedKeyUsage {
                expected: profile.eku_name(),
            }
        }
        E::UnknownIssuer => TrustError::UnknownIssuer,
        E::CaUsedAsEndEntity => TrustError::LeafIsCa,
        E::BadDer
        | E::BadDerTime
        | E::TrailingData(_)
        | E::MalformedExtensions
        | E::ExtensionValueInvalid => TrustError::MalformedCertificate {
            index: 0,
            reason: "webpki could not parse it",
        },
        E::UnsupportedCertVersion => TrustError::Rejected {
            index: 0,
            reason: "not an X.509 v3 certificate",
        },
        E::UnsupportedCriticalExtension => TrustError::Rejected {
            index: 0,
            reason: "unsupported critical extension",
        },
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::SignatureAlgorithmMismatch => TrustError::Rejected {
            index: 0,
            reason: "unsupported signature algorithm",
        },
        E::PathLenConstraintViolated => TrustError::Rejected {
            index: 0,
            reason: "path length constraint violated",
        },
        E::InvalidSerialNumber => TrustError::Rejected {
            index: 0,
            reason: "invalid serial number",
        },
        E::InvalidCertValidity => TrustError::Rejected {
            index: 0,
            reason: "validity period is inverted",
        },
        #[allow(deprecated)]
        E::RequiredEkuNotFound => TrustError::WrongExtendedKeyUsage {
            expected: profile.eku_name(),
        },
        _ => TrustError::UnknownIssuer,
    }
}

#[cfg(test)]
mod tests;
