//! Identity proofing before issuance: the seam between the issuer service and whatever proves
//! who an applicant is. Kakunin's implementation checks JPKI evidence from a My Number card
//! or smartphone JPKI (the signature certificate's four facts, its chain to the configured J-LIS
//! or simulated CA, its CRL, and signatures by both card keys over the enrolment challenge of
//! [`kakunin_core::enrolment`]); the service only sees [`ApplicantProofing`].
//!
//! Nothing here stores or logs anything: the result carries the four facts so the service can
//! derive claims, and the certificate references the registry keys its pairwise identifiers on.

pub use crate::jpki_proofing::{
    load_jpki_trust, JpkiProofing, JpkiTrustLoadError, JPKI_LEVEL, MAX_TRUST_FILE,
};

/// What the applicant sent to prove who they are, as received.
#[derive(Clone, Copy)]
pub struct EnrolmentEvidence<'a> {
    /// The issuer identifier the challenge was bound to (its base URL).
    pub issuer: &'a str,
    /// The nonce the service handed out (already checked single-use and unexpired).
    pub nonce: &'a [u8],
    /// RFC 7638 thumbprints of the device keys, in request order (each already proven).
    pub device_key_thumbprints: &'a [[u8; 32]],
    /// DER of the JPKI signature certificate (署名用電子証明書).
    pub signature_certificate: &'a [u8],
    /// RSASSA-PKCS1-v1_5 SHA-256 signature by the signature key over the enrolment challenge.
    pub signature: &'a [u8],
    /// DER of the JPKI user-authentication certificate (利用者証明用電子証明書).
    pub authentication_certificate: &'a [u8],
    /// RSASSA-PKCS1-v1_5 SHA-256 signature by the authentication key over the same challenge.
    pub authentication_signature: &'a [u8],
}

impl core::fmt::Debug for EnrolmentEvidence<'_> {
    // The certificates carry the four facts: never print them.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EnrolmentEvidence")
            .field("issuer", &self.issuer)
            .field("device_keys", &self.device_key_thumbprints.len())
            .finish_non_exhaustive()
    }
}

/// How the applicant was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofingMethod {
    /// The signature key of a My Number card, after its signature PIN.
    JpkiCard,
    /// Smartphone JPKI (スマホ用電子証明書): keys in the phone's secure element.
    JpkiSmartphone,
}

impl ProofingMethod {
    /// The name carried in credentials' verification metadata.
    pub fn name(self) -> &'static str {
        match self {
            ProofingMethod::JpkiCard => "jpki_card",
            ProofingMethod::JpkiSmartphone => "jpki_smartphone",
        }
    }
}

/// Sex as the JPKI signature certificate records it (1 male, 2 female, anything else unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sex {
    /// Code `1`.
    Male,
    /// Code `2`.
    Female,
    /// Any other code (ISO/IEC 5218 `9`, not applicable, or a code we do not know).
    NotKnown,
}

/// A certificate by issuer and serial: what the registry derives its keys from and matches
/// CRL entries against.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateRef {
    /// DER of the issuer Name.
    pub issuer: Vec<u8>,
    /// The serial number's content octets.
    pub serial: Vec<u8>,
}

impl core::fmt::Debug for CertificateRef {
    // A raw serial is a global identifier of the person: never print it.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CertificateRef(..)")
    }
}

/// A proven applicant: the four facts and how they were proven.
#[derive(Clone)]
pub struct ProofedApplicant {
    /// How they were proven.
    pub method: ProofingMethod,
    /// The identity assurance level reached (docs/profiles/jpki-proofing.md), e.g. `IAL3`.
    pub level: &'static str,
    /// 氏名 as registered.
    pub name: String,
    /// 生年月日; `None` when the certificate holds an incomplete date.
    pub date_of_birth: Option<time::Date>,
    /// 性別.
    pub sex: Sex,
    /// 住所.
    pub address: String,
    /// The signature certificate (revoked on a move or a name change).
    pub signature_certificate: CertificateRef,
    /// The authentication certificate (survives moves and name changes, not renewal).
    pub authentication_certificate: CertificateRef,
    /// The signature certificate's notAfter (Unix seconds): credentials never outlive it.
    pub not_after: i64,
}

impl core::fmt::Debug for ProofedApplicant {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProofedApplicant")
            .field("method", &self.method)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// Why an applicant could not be proven. Each maps to a 4xx at the service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofingError {
    /// A certificate or signature is not well-formed.
    #[error("malformed {what}")]
    Malformed {
        /// Which part.
        what: &'static str,
    },
    /// A certificate does not chain to a configured JPKI CA of the right purpose.
    #[error("{which} certificate is not from a trusted JPKI CA")]
    Untrusted {
        /// `signature` or `authentication`.
        which: &'static str,
    },
    /// A certificate is outside its validity at the time of enrolment.
    #[error("{which} certificate is expired or not yet valid")]
    Expired {
        /// `signature` or `authentication`.
        which: &'static str,
    },
    /// A certificate is on its CA's CRL.
    #[error("{which} certificate is revoked")]
    Revoked {
        /// `signature` or `authentication`.
        which: &'static str,
    },
    /// The CRL needed is missing or too old to decide.
    #[error("no current CRL for the {which} certificate")]
    RevocationUnknown {
        /// `signature` or `authentication`.
        which: &'static str,
    },
    /// A signature over the enrolment challenge does not verify under its certificate (this
    /// is also what a signature by the authentication key in place of the signature key gives).
    #[error("{which} signature does not verify")]
    BadSignature {
        /// `signature` or `authentication`.
        which: &'static str,
    },
    /// The certificate given as the signature certificate is not one (wrong policy, no four
    /// facts), or the two certificates come from different kinds of token.
    #[error("{0}")]
    WrongCertificate(&'static str),
}

impl ProofingError {
    /// The cause group of this error.
    pub fn cause(&self) -> kakunin_core::Cause {
        use kakunin_core::Cause;
        match self {
            ProofingError::Malformed { .. } => Cause::Malformed,
            ProofingError::Untrusted { .. } => Cause::Untrusted,
            _ => Cause::FailedCheck,
        }
    }
}

/// Something that proves applicants. `now` is Unix seconds (the service reads the clock).
pub trait ApplicantProofing: Send + Sync {
    /// Check the evidence; on success, who the applicant is.
    fn prove(
        &self,
        evidence: &EnrolmentEvidence<'_>,
        now: i64,
    ) -> Result<ProofedApplicant, ProofingError>;

    /// Take a new CRL (DER or PEM) of one of the proofing's CAs — uploaded by an administrator
    /// or re-read from disk —, so that the next enrolment with a certificate it lists is
    /// refused. A CRL no configured CA signed is refused (`Untrusted`), and an older CRL than
    /// the one held changes nothing.
    fn update_crl(&self, crl: &[u8]) -> Result<(), ProofingError>;
}
