//! X.509 certificate revocation lists (RFC 5280 §5): parsing, verifying a CRL by its issuer,
//! freshness (`thisUpdate`/`nextUpdate`, §5.1.2.4–5) and serial lookup with reason codes
//! (§5.3.1), for DS, IACA-issued and reader certificates (ISO 18013-5 Annex B) and the JPKI CA.
//!
//! Three steps, each typed:
//! - [`Crl::from_der`] / [`parse_crl_input`] decode a CRL (DER, or PEM `X509 CRL`) with
//!   x509-cert, keeping the received bytes: the signature is checked over the `tbsCertList`
//!   exactly as received, never a re-encoding. Bounds: [`MAX_CRL_LEN`] bytes and
//!   [`MAX_REVOKED_ENTRIES`] entries. Unknown critical CRL or entry extensions are refused
//!   (§5.2, §5.3), and so are delta CRLs (§5.2.4) and indirect CRLs (§5.2.5, §5.3.3): neither
//!   is supported, so a CRL of either kind is an error rather than a silently partial answer.
//!   Only v2 CRLs decode (x509-cert requires the version field); RFC 5280 conforming CRL
//!   issuers must emit v2, since the CRL number and the authority key identifier are required.
//! - [`Crl::verify`] checks it against its issuer's certificate: issuer Name equal to the CRL
//!   issuer (binary comparison of the DER names), `cRLSign` when the issuer has a KeyUsage
//!   extension (§4.2.1.3), authority key identifier equal to the issuer's subject key
//!   identifier when both are present, and the signature through the caller's
//!   [`CryptoProvider`]: ECDSA on P-256/P-384/P-521 with SHA-256/384/512, and
//!   sha256WithRSAEncryption (RSASSA-PKCS1-v1_5, RFC 4055 §5; the JPKI CAs' algorithm) through
//!   [`CryptoProvider::verify_rsa_pkcs1v15`] with the issuer's RSA key. A provider without RSA
//!   gives [`CrlError::UnsupportedAlgorithm`], never "not revoked". Which chains may end in an
//!   RSA CA is not decided here: the mdoc chains stay ECDSA-only (their path validation refuses
//!   RSA keys), and only the JPKI profiles (`kakunin-jpki`) ask for RSA CRLs.
//! - [`VerifiedCrl::status`] looks a serial up at a time: a CRL whose `thisUpdate` is after
//!   that time is [`CrlError::NotYetValid`]; one past its `nextUpdate` answers
//!   [`Freshness::Stale`] with how long overdue, and the caller's policy decides whether that
//!   is still believed. A CRL without `nextUpdate` is allowed (the field is OPTIONAL in the
//!   ASN.1 although §5.1.2.5 requires conforming issuers to include it): it never goes stale
//!   by itself, and [`Freshness::NoNextUpdate`] says so.
//!
//! [`CrlSet`] holds several verified CRLs keyed by issuer (Name and public key) and answers
//! [`CrlSet::check`] for one certificate and the certificate that issued it.

use super::{certificate_public_key, parse_cert, to_time, TrustError};
use crate::crypto::{CryptoProvider, HashAlg, RsaPublicKey};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Reader};
use time::{Duration, OffsetDateTime};
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;

/// Largest CRL accepted, in bytes. It bounds what the decoder allocates before the entry count
/// is known.
pub const MAX_CRL_LEN: usize = 8 * 1024 * 1024;
/// Most revoked entries accepted in one CRL (an 8 MiB CRL of minimal entries holds about
/// 400 000).
pub const MAX_REVOKED_ENTRIES: usize = 500_000;

const OID_AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_ISSUER_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.18");
const OID_CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
const OID_REASON_CODE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");
const OID_HOLD_INSTRUCTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.23");
const OID_INVALIDITY_DATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.24");
const OID_DELTA_CRL_INDICATOR: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.27");
const OID_ISSUING_DP: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.28");
const OID_CERTIFICATE_ISSUER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.29");
const OID_FRESHEST_CRL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.46");
const OID_AUTHORITY_INFO_ACCESS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");

const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const OID_ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// Why a CRL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrlError {
    /// The CRL is larger than [`MAX_CRL_LEN`]; not parsed.
    #[error("CRL of {len} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input is not a CRL in DER or PEM (`X509 CRL`) form, or its DER does not decode
    /// as a v2 `CertificateList` (RFC 5280 §5.1).
    #[error("CRL is malformed: {reason}")]
    Malformed {
        /// What is wrong, and where.
        reason: CrlDefect,
    },
    /// More revoked entries than [`MAX_REVOKED_ENTRIES`].
    #[error("CRL lists {count} revoked certificates, over the limit of {max}")]
    TooManyEntries {
        /// Entries in the CRL.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The same serial number is listed twice: two parsers could disagree on its reason.
    #[error("CRL entry {entry} repeats serial number {serial}")]
    DuplicateSerial {
        /// Index of the second occurrence in `revokedCertificates`.
        entry: usize,
        /// The serial, lowercase hex of the INTEGER content.
        serial: String,
    },
    /// A critical extension this implementation does not process (§5.2, §5.3: the CRL must
    /// then not be used).
    #[error("CRL {} has the unsupported critical extension {oid}", .entry.map_or_else(|| "extensions".to_string(), |e| format!("entry {e}")))]
    UnsupportedCriticalExtension {
        /// `None` for a CRL extension, `Some(index)` for an entry extension.
        entry: Option<usize>,
        /// The extension's OID.
        oid: String,
    },
    /// A delta CRL (deltaCRLIndicator, §5.2.4): not supported, only complete CRLs are.
    #[error("delta CRLs are not supported")]
    DeltaCrl,
    /// An indirect CRL (indirectCRL in the issuing distribution point, or a certificateIssuer
    /// entry extension, §5.2.5, §5.3.3): not supported.
    #[error("indirect CRLs are not supported")]
    IndirectCrl,
    /// An issuing distribution point that limits the CRL to some reasons or to attribute
    /// certificates (§5.2.5): a partial CRL cannot say "not revoked"; not supported.
    #[error("CRL scope ({scope}) is not supported")]
    UnsupportedScope {
        /// Which restriction: `onlySomeReasons` or `onlyContainsAttributeCerts`.
        scope: &'static str,
    },
    /// An entry of a complete CRL with reason removeFromCRL, which only delta CRLs may use
    /// (§5.3.1).
    #[error("CRL entry {entry} has reason removeFromCRL, which only a delta CRL may use")]
    RemoveFromCrlInCompleteCrl {
        /// Index of the entry.
        entry: usize,
    },
    /// A signature algorithm the provider cannot verify: anything but ECDSA with SHA-2 on
    /// P-256/P-384/P-521 and sha256WithRSAEncryption, or RSA under a provider without RSA.
    #[error("CRL signature algorithm {oid} is not supported")]
    UnsupportedAlgorithm {
        /// The signature algorithm's OID.
        oid: String,
    },
    /// The issuer certificate does not parse or has a key the CRL's algorithm cannot use.
    #[error("CRL issuer certificate: {0}")]
    IssuerCertificate(TrustError),
    /// The CRL's issuer Name is not the issuer certificate's subject.
    #[error("CRL issuer is not the subject of the given issuer certificate")]
    IssuerMismatch,
    /// The issuer certificate's KeyUsage lacks cRLSign (§4.2.1.3).
    #[error("CRL issuer certificate's key usage lacks cRLSign")]
    IssuerCannotSignCrls,
    /// The CRL's authority key identifier is not the issuer's subject key identifier.
    #[error("CRL authority key identifier does not match the issuer's subject key identifier")]
    AuthorityKeyIdMismatch,
    /// The signature does not verify under the issuer's key.
    #[error("CRL signature does not verify under the issuer's key")]
    BadSignature,
    /// No issuer certificate among those given has the CRL's issuer Name.
    #[error("no certificate among those given issued this CRL")]
    UnknownIssuer,
    /// The CRL's thisUpdate is after the time of the check.
    #[error("CRL is not valid before its thisUpdate {this_update}")]
    NotYetValid {
        /// Its thisUpdate.
        this_update: OffsetDateTime,
    },
}

impl CrlError {
    /// The cause group: undecodable or ambiguous CRLs are malformed, a bad signature or a
    /// future CRL is a failed check, the rest (unsupported kinds, wrong issuer) untrusted.
    pub fn cause(&self) -> crate::Cause {
        match self {
            CrlError::TooLarge { .. }
            | CrlError::Malformed { .. }
            | CrlError::TooManyEntries { .. }
            | CrlError::DuplicateSerial { .. }
            | CrlError::RemoveFromCrlInCompleteCrl { .. } => crate::Cause::Malformed,
            CrlError::BadSignature | CrlError::NotYetValid { .. } => crate::Cause::FailedCheck,
            _ => crate::Cause::Untrusted,
        }
    }
}

/// What is wrong with a CRL's encoding, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CrlDefect {
    /// Neither DER nor PEM with the `X509 CRL` label.
    NotCrlInput,
    /// The DER does not decode as a `CertificateList` (or has trailing bytes).
    NotDer,
    /// The version is not v2.
    NotV2,
    /// `tbsCertList.signature` differs from `signatureAlgorithm` (§5.1.1.2).
    AlgorithmMismatch,
    /// A CRL extension of a known type whose value does not decode, or appears twice.
    BadExtension,
    /// An entry extension of a known type whose value does not decode, or appears twice, at
    /// this entry index.
    BadEntryExtension(usize),
    /// nextUpdate is before thisUpdate.
    InvertedValidity,
}

impl core::fmt::Display for CrlDefect {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CrlDefect::NotCrlInput => f.write_str("not a DER or PEM (X509 CRL) CRL"),
            CrlDefect::NotDer => f.write_str("DER does not decode as an RFC 5280 CertificateList"),
            CrlDefect::NotV2 => f.write_str("version is not v2"),
            CrlDefect::AlgorithmMismatch => {
                f.write_str("tbsCertList.signature differs from signatureAlgorithm")
            }
            CrlDefect::BadExtension => f.write_str("a CRL extension does not decode"),
            CrlDefect::BadEntryExtension(i) => {
                write!(f, "an extension of entry {i} does not decode")
            }
            CrlDefect::InvertedValidity => f.write_str("nextUpdate is before thisUpdate"),
        }
    }
}

/// A CRL reason code (RFC 5280 §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CrlReason {
    /// unspecified (0).
    Unspecified,
    /// keyCompromise (1).
    KeyCompromise,
    /// cACompromise (2).
    CaCompromise,
    /// affiliationChanged (3).
    AffiliationChanged,
    /// superseded (4).
    Superseded,
    /// cessationOfOperation (5).
    CessationOfOperation,
    /// certificateHold (6): suspended, may be released later.
    CertificateHold,
    /// removeFromCRL (8): only in delta CRLs, which are refused here.
    RemoveFromCrl,
    /// privilegeWithdrawn (9).
    PrivilegeWithdrawn,
    /// aACompromise (10).
    AaCompromise,
}

impl CrlReason {
    /// The reason of an ENUMERATED code, `None` for 7 (unused) and unknown values.
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => CrlReason::Unspecified,
            1 => CrlReason::KeyCompromise,
            2 => CrlReason::CaCompromise,
            3 => CrlReason::AffiliationChanged,
            4 => CrlReason::Superseded,
            5 => CrlReason::CessationOfOperation,
            6 => CrlReason::CertificateHold,
            8 => CrlReason::RemoveFromCrl,
            9 => CrlReason::PrivilegeWithdrawn,
            10 => CrlReason::AaCompromise,
            _ => return None,
        })
    }

    /// The ENUMERATED code.
    pub const fn code(self) -> u32 {
        match self {
            CrlReason::Unspecified => 0,
            CrlReason::KeyCompromise => 1,
            CrlReason::CaCompromise => 2,
            CrlReason::AffiliationChanged => 3,
            CrlReason::Superseded => 4,
            CrlReason::CessationOfOperation => 5,
            CrlReason::CertificateHold => 6,
            CrlReason::RemoveFromCrl => 8,
            CrlReason::PrivilegeWithdrawn => 9,
            CrlReason::AaCompromise => 10,
        }
    }

    /// The ASN.1 name (`keyCompromise`), used in reports and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            CrlReason::Unspecified => "unspecified",
            CrlReason::KeyCompromise => "keyCompromise",
            CrlReason::CaCompromise => "cACompromise",
            CrlReason::AffiliationChanged => "affiliationChanged",
            CrlReason::Superseded => "superseded",
            CrlReason::CessationOfOperation => "cessationOfOperation",
            CrlReason::CertificateHold => "certificateHold",
            CrlReason::RemoveFromCrl => "removeFromCRL",
            CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
            CrlReason::AaCompromise => "aACompromise",
        }
    }

    /// The reason of an ASN.1 name (case-insensitive) or a decimal code.
    pub fn from_name(s: &str) -> Option<Self> {
        if let Ok(code) = s.parse::<u32>() {
            return Self::from_code(code);
        }
        (0..=10)
            .filter_map(Self::from_code)
            .find(|r| r.name().eq_ignore_ascii_case(s))
    }
}

impl core::fmt::Display for CrlReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// One revoked certificate (§5.1.2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    /// The serial number: the DER INTEGER content octets as encoded.
    pub serial: Vec<u8>,
    /// revocationDate.
    pub revoked_at: OffsetDateTime,
    /// The reasonCode entry extension, if present.
    pub reason: Option<CrlReason>,
}

/// What a CRL says about one serial number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Not listed.
    NotRevoked,
    /// Listed (certificateHold included: suspended is not usable either).
    Revoked {
        /// The reasonCode, if the entry has one.
        reason: Option<CrlReason>,
        /// The revocationDate.
        revoked_at: OffsetDateTime,
    },
}

/// How fresh a CRL is at a time on or after its thisUpdate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// At or before nextUpdate.
    Current,
    /// Past nextUpdate by `overdue`: a newer CRL should exist.
    Stale {
        /// How long past nextUpdate.
        overdue: Duration,
    },
    /// The CRL has no nextUpdate (allowed by the ASN.1, though §5.1.2.5 asks issuers for
    /// one): it does not go stale by itself; the caller's policy may bound its age.
    NoNextUpdate,
}

/// A parsed CRL, not yet verified: nothing in it may be believed before [`Crl::verify`].
#[derive(Debug, Clone)]
pub struct Crl {
    der: Vec<u8>,
    tbs: core::ops::Range<usize>,
    issuer: Name,
    this_update: OffsetDateTime,
    next_update: Option<OffsetDateTime>,
    crl_number: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    signature_algorithm: ObjectIdentifier,
    signature: Vec<u8>,
    only_user_certs: bool,
    only_ca_certs: bool,
    /// Sorted by serial; no two alike.
    entries: Vec<RevokedEntry>,
}

fn malformed(reason: CrlDefect) -> CrlError {
    CrlError::Malformed { reason }
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    use core::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parse a CRL given as DER or as PEM with the `X509 CRL` label (RFC 7468 §5).
pub fn parse_crl_input(input: &[u8]) -> Result<Crl, CrlError> {
    // Checked before PEM decoding too: base64 is larger than the DER it holds.
    if input.len() > MAX_CRL_LEN.saturating_mul(4) / 3 + 4096 {
        return Err(CrlError::TooLarge {
            len: input.len(),
            max: MAX_CRL_LEN,
        });
    }
    match input.first() {
        Some(0x30) => Crl::from_der(input),
        _ => {
            let (label, der) =
                der::pem::decode_vec(input).map_err(|_| malformed(CrlDefect::NotCrlInput))?;
            if label != "X509 CRL" {
                return Err(malformed(CrlDefect::NotCrlInput));
            }
            Crl::from_der(&der)
        }
    }
}

/// The value of the one extension with `oid` in `exts`; a repeated one is an error.
fn single(exts: &[Extension], oid: ObjectIdentifier) -> Result<Option<&Extension>, ()> {
    let mut found = exts.iter().filter(|e| e.extn_id == oid);
    let first = found.next();
    if found.next().is_some() {
        return Err(());
    }
    Ok(first)
}

impl Crl {
    /// Decode a DER CRL (RFC 5280 §5.1), bounded by [`MAX_CRL_LEN`] and
    /// [`MAX_REVOKED_ENTRIES`], refusing what the module documentation lists.
    pub fn from_der(der: &[u8]) -> Result<Self, CrlError> {
        if der.len() > MAX_CRL_LEN {
            return Err(CrlError::TooLarge {
                len: der.len(),
                max: MAX_CRL_LEN,
            });
        }
        let list = CertificateList::from_der(der).map_err(|_| malformed(CrlDefect::NotDer))?;
        let tbs = tbs_range(der).ok_or(malformed(CrlDefect::NotDer))?;
        let t = &list.tbs_cert_list;
        if t.version != x509_cert::Version::V2 {
            return Err(malformed(CrlDefect::NotV2));
        }
        if t.signature != list.signature_algorithm {
            return Err(malformed(CrlDefect::AlgorithmMismatch));
        }
        let this_update = to_time(&t.this_update);
        let next_update = t.next_update.as_ref().map(to_time);
        if next_update.is_some_and(|n| n < this_update) {
            return Err(malformed(CrlDefect::InvertedValidity));
        }

        let mut crl_number = None;
        let mut authority_key_id = None;
        let mut only_user_certs = false;
        let mut only_ca_certs = false;
        let exts: &[Extension] = t.crl_extensions.as_deref().unwrap_or(&[]);
        let bad = |_| malformed(CrlDefect::BadExtension);
        for (i, e) in exts.iter().enumerate() {
            if exts.iter().take(i).any(|p| p.extn_id == e.extn_id) {
                return Err(malformed(CrlDefect::BadExtension));
            }
            let value = e.extn_value.as_bytes();
            match e.extn_id {
                OID_CRL_NUMBER => {
                    let n = der::asn1::Uint::from_der(value).map_err(bad)?;
                    crl_number = Some(n.as_bytes().to_vec());
                }
                OID_AKI => {
                    let aki = AuthorityKeyIdentifier::from_der(value).map_err(bad)?;
                    authority_key_id = aki.key_identifier.map(|k| k.as_bytes().to_vec());
                }
                OID_DELTA_CRL_INDICATOR => return Err(CrlError::DeltaCrl),
                OID_ISSUING_DP => {
                    let idp = IssuingDistributionPoint::from_der(value).map_err(bad)?;
                    if idp.indirect_crl {
                        return Err(CrlError::IndirectCrl);
                    }
                    if idp.only_some_reasons.is_some() {
                        return Err(CrlError::UnsupportedScope {
                            scope: "onlySomeReasons",
                        });
                    }
                    if idp.only_contains_attribute_certs {
                        return Err(CrlError::UnsupportedScope {
                            scope: "onlyContainsAttributeCerts",
                        });
                    }
                    only_user_certs = idp.only_contains_user_certs;
                    only_ca_certs = idp.only_contains_ca_certs;
                }
                OID_ISSUER_ALT_NAME | OID_FRESHEST_CRL | OID_AUTHORITY_INFO_ACCESS => {}
                oid if e.critical => {
                    return Err(CrlError::UnsupportedCriticalExtension {
                        entry: None,
                        oid: oid.to_string(),
                    })
                }
                _ => {}
            }
        }

        let revoked: &[x509_cert::crl::RevokedCert] =
            t.revoked_certificates.as_deref().unwrap_or(&[]);
        if revoked.len() > MAX_REVOKED_ENTRIES {
            return Err(CrlError::TooManyEntries {
                count: revoked.len(),
                max: MAX_REVOKED_ENTRIES,
            });
        }
        let mut entries = Vec::with_capacity(revoked.len());
        for (index, r) in revoked.iter().enumerate() {
            entries.push((index, entry(index, r)?));
        }
        entries.sort_by(|a, b| a.1.serial.cmp(&b.1.serial));
        for pair in entries.windows(2) {
            if let [(ia, a), (ib, b)] = pair {
                if a.serial == b.serial {
                    return Err(CrlError::DuplicateSerial {
                        entry: (*ia).max(*ib),
                        serial: hex_lower(&a.serial),
                    });
                }
            }
        }

        Ok(Crl {
            der: der.to_vec(),
            tbs,
            issuer: t.issuer.clone(),
            this_update,
            next_update,
            crl_number,
            authority_key_id,
            signature_algorithm: list.signature_algorithm.oid,
            signature: list.signature.raw_bytes().to_vec(),
            only_user_certs,
            only_ca_certs,
            entries: entries.into_iter().map(|(_, e)| e).collect(),
        })
    }

    /// The CRL as received.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The issuer Name.
    pub fn issuer(&self) -> &Name {
        &self.issuer
    }

    /// thisUpdate.
    pub fn this_update(&self) -> OffsetDateTime {
        self.this_update
    }

    /// nextUpdate, if present.
    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.next_update
    }

    /// The CRLNumber extension (§5.2.3) as INTEGER content octets, if present.
    pub fn crl_number(&self) -> Option<&[u8]> {
        self.crl_number.as_deref()
    }

    /// Number of revoked entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no certificate is listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Verify this CRL as issued by the certificate `issuer_der` (see the module
    /// documentation for the checks), through `crypto`.
    pub fn verify(
        self,
        crypto: &dyn CryptoProvider,
        issuer_der: &[u8],
    ) -> Result<VerifiedCrl, CrlError> {
        let issuer = parse_cert(issuer_der, 0).map_err(CrlError::IssuerCertificate)?;
        let tbs = &issuer.tbs_certificate;
        if tbs.subject != self.issuer {
            return Err(CrlError::IssuerMismatch);
        }
        let exts: &[Extension] = tbs.extensions.as_deref().unwrap_or(&[]);
        let bad_cert = || {
            CrlError::IssuerCertificate(TrustError::MalformedCertificate {
                index: 0,
                reason: super::CertDefect::BadKeyUsage,
            })
        };
        if let Some(ku) = single(exts, OID_KEY_USAGE).map_err(|_| bad_cert())? {
            let ku = KeyUsage::from_der(ku.extn_value.as_bytes()).map_err(|_| bad_cert())?;
            if !ku.0.contains(KeyUsages::CRLSign) {
                return Err(CrlError::IssuerCannotSignCrls);
            }
        }
        if let (Some(aki), Some(ski)) = (
            &self.authority_key_id,
            single(exts, OID_SKI).map_err(|_| bad_cert())?,
        ) {
            let ski = SubjectKeyIdentifier::from_der(ski.extn_value.as_bytes())
                .map_err(|_| bad_cert())?;
            if ski.0.as_bytes() != aki.as_slice() {
                return Err(CrlError::AuthorityKeyIdMismatch);
            }
        }
        let message = self
            .der
            .get(self.tbs.clone())
            .ok_or(malformed(CrlDefect::NotDer))?;
        let issuer_spki = tbs
            .subject_public_key_info
            .to_der()
            .map_err(|_| bad_cert())?;
        let ecdsa_hash = match self.signature_algorithm {
            OID_ECDSA_SHA256 => Some(HashAlg::Sha256),
            OID_ECDSA_SHA384 => Some(HashAlg::Sha384),
            OID_ECDSA_SHA512 => Some(HashAlg::Sha512),
            OID_RSA_SHA256 => None,
            oid => {
                return Err(CrlError::UnsupportedAlgorithm {
                    oid: oid.to_string(),
                })
            }
        };
        match ecdsa_hash {
            Some(hash) => {
                let key =
                    certificate_public_key(&issuer, 0).map_err(CrlError::IssuerCertificate)?;
                let raw = super::sigalgs::der_to_raw(key.curve(), &self.signature)
                    .ok_or(CrlError::BadSignature)?;
                crypto
                    .verify_ecdsa(&key, hash, message, &raw)
                    .map_err(|_| CrlError::BadSignature)?;
            }
            None => {
                // sha256WithRSAEncryption (RFC 4055 §5): the JPKI CAs' algorithm.
                let key = RsaPublicKey::from_spki_der(&issuer_spki).map_err(|_| {
                    CrlError::IssuerCertificate(TrustError::UnsupportedKey { index: 0 })
                })?;
                crypto
                    .verify_rsa_pkcs1v15(&key, HashAlg::Sha256, message, &self.signature)
                    .map_err(|e| match e {
                        crate::crypto::CryptoError::Unsupported(_) => {
                            CrlError::UnsupportedAlgorithm {
                                oid: OID_RSA_SHA256.to_string(),
                            }
                        }
                        _ => CrlError::BadSignature,
                    })?;
            }
        }
        Ok(VerifiedCrl {
            crl: self,
            issuer_spki,
        })
    }

    /// Verify against whichever of `issuers` (DER certificates) has the CRL's issuer Name as
    /// its subject: the first such certificate whose checks pass. [`CrlError::UnknownIssuer`]
    /// when none has that Name; otherwise the last candidate's error.
    pub fn verify_by_any<'c, I>(
        self,
        crypto: &dyn CryptoProvider,
        issuers: I,
    ) -> Result<VerifiedCrl, CrlError>
    where
        I: IntoIterator<Item = &'c [u8]>,
    {
        let mut last = CrlError::UnknownIssuer;
        for der in issuers {
            let Ok(cert) = parse_cert(der, 0) else {
                continue;
            };
            if cert.tbs_certificate.subject != self.issuer {
                continue;
            }
            match self.clone().verify(crypto, der) {
                Ok(v) => return Ok(v),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// The byte range of the first element of the outer SEQUENCE in `der`: `tbsCertList` of a
/// CRL, `tbsCertificate` of a certificate.
pub(super) fn tbs_range(der: &[u8]) -> Option<core::ops::Range<usize>> {
    let mut reader = der::SliceReader::new(der).ok()?;
    let outer = der::Header::decode(&mut reader).ok()?;
    if outer.tag != der::Tag::Sequence {
        return None;
    }
    let start = usize::try_from(reader.position()).ok()?;
    let tbs = reader.tlv_bytes().ok()?;
    Some(start..start.checked_add(tbs.len())?)
}

/// One `revokedCertificates` entry, its extensions checked (§5.3).
fn entry(index: usize, r: &x509_cert::crl::RevokedCert) -> Result<RevokedEntry, CrlError> {
    let bad = || malformed(CrlDefect::BadEntryExtension(index));
    let exts: &[Extension] = r.crl_entry_extensions.as_deref().unwrap_or(&[]);
    let mut reason = None;
    for (i, e) in exts.iter().enumerate() {
        if exts.iter().take(i).any(|p| p.extn_id == e.extn_id) {
            return Err(bad());
        }
        match e.extn_id {
            OID_REASON_CODE => {
                let code = x509_cert::ext::pkix::crl::CrlReason::from_der(e.extn_value.as_bytes())
                    .map_err(|_| bad())?;
                let r = CrlReason::from_code(code as u32).ok_or_else(bad)?;
                if r == CrlReason::RemoveFromCrl {
                    return Err(CrlError::RemoveFromCrlInCompleteCrl { entry: index });
                }
                reason = Some(r);
            }
            OID_CERTIFICATE_ISSUER => return Err(CrlError::IndirectCrl),
            OID_INVALIDITY_DATE | OID_HOLD_INSTRUCTION => {}
            oid if e.critical => {
                return Err(CrlError::UnsupportedCriticalExtension {
                    entry: Some(index),
                    oid: oid.to_string(),
                })
            }
            _ => {}
        }
    }
    Ok(RevokedEntry {
        serial: r.serial_number.as_bytes().to_vec(),
        revoked_at: to_time(&r.revocation_date),
        reason,
    })
}

/// A CRL whose signature verified under its issuer's certificate.
#[derive(Debug, Clone)]
pub struct VerifiedCrl {
    crl: Crl,
    /// DER SubjectPublicKeyInfo of the certificate that verified it: a certificate is only
    /// looked up here when its issuer has this key.
    issuer_spki: Vec<u8>,
}

impl VerifiedCrl {
    /// The CRL itself.
    pub fn crl(&self) -> &Crl {
        &self.crl
    }

    /// Freshness at `at`: [`CrlError::NotYetValid`] before thisUpdate.
    pub fn freshness(&self, at: OffsetDateTime) -> Result<Freshness, CrlError> {
        if at < self.crl.this_update {
            return Err(CrlError::NotYetValid {
                this_update: self.crl.this_update,
            });
        }
        Ok(match self.crl.next_update {
            None => Freshness::NoNextUpdate,
            Some(n) if at <= n => Freshness::Current,
            Some(n) => Freshness::Stale { overdue: at - n },
        })
    }

    /// What the CRL lists for `serial` (DER INTEGER content octets), by binary search.
    pub fn lookup(&self, serial: &[u8]) -> RevocationStatus {
        match self
            .crl
            .entries
            .binary_search_by(|e| e.serial.as_slice().cmp(serial))
        {
            Ok(i) => match self.crl.entries.get(i) {
                Some(e) => RevocationStatus::Revoked {
                    reason: e.reason,
                    revoked_at: e.revoked_at,
                },
                None => RevocationStatus::NotRevoked,
            },
            Err(_) => RevocationStatus::NotRevoked,
        }
    }

    /// Freshness at `at` and what the CRL lists for `serial`.
    pub fn status(
        &self,
        serial: &[u8],
        at: OffsetDateTime,
    ) -> Result<(Freshness, RevocationStatus), CrlError> {
        Ok((self.freshness(at)?, self.lookup(serial)))
    }

    /// What a report shows of this CRL.
    pub fn summary(&self) -> CrlSummary {
        CrlSummary {
            issuer: self.crl.issuer.to_string(),
            this_update: self.crl.this_update,
            next_update: self.crl.next_update,
            crl_number: self.crl.crl_number.as_deref().map(hex_lower),
            entries: self.crl.entries.len(),
        }
    }

    fn same_authority(&self, other: &VerifiedCrl) -> bool {
        self.crl.issuer == other.crl.issuer && self.issuer_spki == other.issuer_spki
    }

    /// Whether `self` supersedes `other` of the same authority: a higher CRLNumber, else a
    /// later thisUpdate.
    fn newer_than(&self, other: &VerifiedCrl) -> bool {
        match (&self.crl.crl_number, &other.crl.crl_number) {
            (Some(a), Some(b)) if a != b => cmp_uint(a, b) == core::cmp::Ordering::Greater,
            _ => self.crl.this_update > other.crl.this_update,
        }
    }
}

/// Compare two unsigned INTEGER contents (minimal DER, possibly a leading 00).
fn cmp_uint(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    let strip = |x: &[u8]| -> Vec<u8> { x.iter().copied().skip_while(|b| *b == 0).collect() };
    let (a, b) = (strip(a), strip(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(&b))
}

/// What a report shows of a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlSummary {
    /// The issuer as an RFC 4514 string (certificate text: escape before printing).
    pub issuer: String,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: Option<OffsetDateTime>,
    /// CRLNumber, lowercase hex.
    pub crl_number: Option<String>,
    /// Number of revoked entries.
    pub entries: usize,
}

/// The revocation status of one certificate under a [`CrlSet`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationCheck {
    /// A current CRL of the issuer does not list it.
    NotRevoked {
        /// The CRL used.
        crl: CrlSummary,
        /// Current, or without nextUpdate.
        freshness: Freshness,
    },
    /// A current CRL of the issuer lists it.
    Revoked {
        /// The entry's reasonCode.
        reason: Option<CrlReason>,
        /// Its revocationDate.
        revoked_at: OffsetDateTime,
        /// The CRL used.
        crl: CrlSummary,
    },
    /// The set holds no CRL of this certificate's issuer (or none whose scope covers it):
    /// no statement is made.
    NoCrl,
    /// The issuer's CRL is past its nextUpdate; what it says is kept for a policy with a
    /// grace period.
    Stale {
        /// How long past nextUpdate.
        overdue: Duration,
        /// What the stale CRL lists.
        status: RevocationStatus,
        /// The CRL.
        crl: CrlSummary,
    },
    /// The issuer's CRL is not valid yet (thisUpdate after the check time).
    NotYetValid {
        /// The CRL.
        crl: CrlSummary,
    },
    /// The certificate or its issuer's certificate does not parse.
    Unusable(CrlError),
}

/// Verified CRLs keyed by issuer (Name and public key): at most one per issuer, the newest.
#[derive(Debug, Clone, Default)]
pub struct CrlSet {
    crls: Vec<VerifiedCrl>,
}

impl CrlSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a verified CRL; one of the same issuer is replaced when this one is newer (higher
    /// CRLNumber, else later thisUpdate) and kept otherwise.
    pub fn insert(&mut self, crl: VerifiedCrl) {
        match self.crls.iter_mut().find(|c| c.same_authority(&crl)) {
            Some(existing) => {
                if crl.newer_than(existing) {
                    *existing = crl;
                }
            }
            None => self.crls.push(crl),
        }
    }

    /// Number of CRLs.
    pub fn len(&self) -> usize {
        self.crls.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.crls.is_empty()
    }

    /// The CRLs.
    pub fn iter(&self) -> impl Iterator<Item = &VerifiedCrl> {
        self.crls.iter()
    }

    /// The revocation status at `at` of the certificate `cert_der` issued by `issuer_der`
    /// (both DER; the caller has validated the path between them).
    pub fn check(&self, cert_der: &[u8], issuer_der: &[u8], at: OffsetDateTime) -> RevocationCheck {
        let cert = match parse_cert(cert_der, 0) {
            Ok(c) => c,
            Err(e) => return RevocationCheck::Unusable(CrlError::IssuerCertificate(e)),
        };
        let issuer = match parse_cert(issuer_der, 1) {
            Ok(c) => c,
            Err(e) => return RevocationCheck::Unusable(CrlError::IssuerCertificate(e)),
        };
        let Ok(issuer_spki) = issuer.tbs_certificate.subject_public_key_info.to_der() else {
            return RevocationCheck::NoCrl;
        };
        let is_ca = cert
            .tbs_certificate
            .extensions
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .find(|e| e.extn_id == OID_BASIC_CONSTRAINTS)
            .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|bc| bc.ca);
        let Some(crl) = self.crls.iter().find(|c| {
            c.crl.issuer == cert.tbs_certificate.issuer
                && c.issuer_spki == issuer_spki
                && !(c.crl.only_user_certs && is_ca)
                && (!c.crl.only_ca_certs || is_ca)
        }) else {
            return RevocationCheck::NoCrl;
        };
        let status = crl.lookup(cert.tbs_certificate.serial_number.as_bytes());
        match crl.freshness(at) {
            Err(_) => RevocationCheck::NotYetValid { crl: crl.summary() },
            Ok(Freshness::Stale { overdue }) => RevocationCheck::Stale {
                overdue,
                status,
                crl: crl.summary(),
            },
            Ok(freshness) => match status {
                RevocationStatus::NotRevoked => RevocationCheck::NotRevoked {
                    crl: crl.summary(),
                    freshness,
                },
                RevocationStatus::Revoked { reason, revoked_at } => RevocationCheck::Revoked {
                    reason,
                    revoked_at,
                    crl: crl.summary(),
                },
            },
        }
    }
}

impl CrlSet {
    /// The revocation status at `at` of every certificate of a validated path: the leaf of
    /// `certs` (the chain as given to [`super::validate_chain`]), then each intermediate of
    /// `chain.path`, each looked up with the certificate that issued it (the next one, and
    /// for the last the anchor `anchor_der`). Pairs of (position in `certs`, result).
    pub fn check_path(
        &self,
        certs: &[&[u8]],
        chain: &super::ValidatedChain,
        anchor_der: &[u8],
        at: OffsetDateTime,
    ) -> Vec<(usize, RevocationCheck)> {
        let subjects = core::iter::once(0).chain(chain.path.iter().copied());
        let issuers = chain
            .path
            .iter()
            .map(|i| certs.get(*i).copied())
            .chain(core::iter::once(Some(anchor_der)));
        subjects
            .zip(issuers)
            .map(
                |(index, issuer)| match (certs.get(index).copied(), issuer) {
                    (Some(cert), Some(issuer)) => (index, self.check(cert, issuer, at)),
                    // webpki reports positions within `certs`; were one outside, say so.
                    _ => (index, RevocationCheck::Unusable(CrlError::UnknownIssuer)),
                },
            )
            .collect()
    }
}

/// Parse `input` (DER or PEM) and verify it against whichever of `issuers` issued it: the one
/// call a trust-bundle loader or a command line needs.
pub fn verify_crl<'c, I>(
    crypto: &dyn CryptoProvider,
    input: &[u8],
    issuers: I,
) -> Result<VerifiedCrl, CrlError>
where
    I: IntoIterator<Item = &'c [u8]>,
{
    parse_crl_input(input)?.verify_by_any(crypto, issuers)
}
