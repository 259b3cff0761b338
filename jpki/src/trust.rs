//! Trust in JPKI certificates (/work/shared/jpki-notes.md §2.1, §3): a single-tier chain to a
//! configured CA **of the right purpose** (signature certificates only under signature CAs,
//! authentication certificates only under authentication CAs, never mixed), the RSA signature
//! through the caller's crypto provider, validity at `now`, the leaf not a CA, its key usage,
//! and revocation by the CRLs of [`kakunin_core::trust::crl`].
//!
//! The issuing CA is picked by key — each configured CA of the purpose is tried
//! ([`kakunin_core::trust::rsa_link::verify_rsa_issued`]: Name, AKI/SKI, signature) — never by
//! DN alone: the J-LIS CA generations share one DN. Production configures the J-LIS roots;
//! tests the simulated `O=JPKI-SIM` CA. Which CAs to trust is configuration only: nothing here
//! knows a J-LIS certificate.

use kakunin_core::crypto::CryptoProvider;
use kakunin_core::trust::crl::{CrlError, CrlReason, CrlSet, RevocationCheck, RevocationStatus};
use kakunin_core::trust::rsa_link::verify_rsa_issued;
use kakunin_core::trust::TrustError;
use time::{Duration, OffsetDateTime};

use crate::profile::{AuthenticationCertificate, CertificateInfo, SignatureCertificate};

/// Most CA certificates of one purpose (J-LIS has three generations).
pub const MAX_CAS: usize = 16;

/// The purpose of a JPKI CA and of the certificates it issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// 署名用: signature certificates.
    Signature,
    /// 利用者証明用: user-authentication certificates.
    Authentication,
}

impl Purpose {
    /// `signature` or `authentication`.
    pub const fn name(self) -> &'static str {
        match self {
            Purpose::Signature => "signature",
            Purpose::Authentication => "authentication",
        }
    }
}

/// What the CRL of the issuing CA says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revocation {
    /// A current CRL does not list it.
    Good,
    /// A current CRL lists it.
    Revoked {
        /// The entry's reasonCode.
        reason: Option<CrlReason>,
        /// Its revocationDate.
        revoked_at: OffsetDateTime,
    },
    /// The CRL is past its nextUpdate; what it lists is kept for a policy with a grace period.
    Stale {
        /// How long past nextUpdate.
        overdue: Duration,
        /// Whether the stale CRL lists the certificate.
        listed: bool,
    },
}

/// A certificate that chained, is valid at the time and fits its purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// Index of the issuing CA in the configured list of its purpose.
    pub ca_index: usize,
    /// What the CA's CRL says.
    pub revocation: Revocation,
}

/// Why a JPKI certificate is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustCheckError {
    /// No CA of this purpose is configured (a configuration error).
    #[error("no JPKI {} CA is configured", .purpose.name())]
    NoCas {
        /// The purpose.
        purpose: Purpose,
    },
    /// More than [`MAX_CAS`] CAs of one purpose.
    #[error("more than {MAX_CAS} JPKI {} CAs configured", .purpose.name())]
    TooManyCas {
        /// The purpose.
        purpose: Purpose,
    },
    /// A configured CA certificate is not an RSA CA certificate.
    #[error("configured JPKI {} CA {index} is unusable: {reason}", .purpose.name())]
    BadCa {
        /// The purpose.
        purpose: Purpose,
        /// Its index in the list.
        index: usize,
        /// Why.
        reason: TrustError,
    },
    /// No configured CA of the purpose issued it.
    #[error("the {} certificate is not from a configured JPKI CA", .purpose.name())]
    UnknownIssuer {
        /// The purpose.
        purpose: Purpose,
    },
    /// A configured CA with the certificate's issuer Name and key identifier has a key
    /// under which its signature does not verify.
    #[error("the {} certificate's signature does not verify", .purpose.name())]
    BadSignature {
        /// The purpose.
        purpose: Purpose,
    },
    /// The certificate is outside its validity at the time of the check.
    #[error("the {} certificate is not valid at {at} ({not_before} to {not_after})", .purpose.name())]
    OutsideValidity {
        /// The purpose.
        purpose: Purpose,
        /// The time of the check.
        at: OffsetDateTime,
        /// Its notBefore.
        not_before: OffsetDateTime,
        /// Its notAfter.
        not_after: OffsetDateTime,
    },
    /// The issuing CA is outside its validity at the time of the check.
    #[error("the JPKI {} CA is not valid at {at}", .purpose.name())]
    CaOutsideValidity {
        /// The purpose.
        purpose: Purpose,
        /// The time of the check.
        at: OffsetDateTime,
    },
    /// The leaf is a CA certificate.
    #[error("the {} certificate is a CA certificate", .purpose.name())]
    LeafIsCa {
        /// The purpose.
        purpose: Purpose,
    },
    /// The key usage lacks what the purpose needs (signature: digitalSignature and
    /// nonRepudiation; authentication: digitalSignature).
    #[error("the {} certificate's key usage lacks {needed}", .purpose.name())]
    KeyUsage {
        /// The purpose.
        purpose: Purpose,
        /// The missing bit.
        needed: &'static str,
    },
    /// No CRL of the issuing CA is configured: revocation unknown.
    #[error("no CRL of the JPKI {} CA is configured: revocation unknown", .purpose.name())]
    RevocationUnknown {
        /// The purpose.
        purpose: Purpose,
    },
    /// The CA's CRL is not valid yet at the time of the check.
    #[error("the JPKI {} CA's CRL is not valid yet", .purpose.name())]
    CrlNotYetValid {
        /// The purpose.
        purpose: Purpose,
    },
    /// A CRL could not be used.
    #[error("JPKI CRL: {0}")]
    Crl(CrlError),
}

impl TrustCheckError {
    /// The cause group of this error.
    pub fn cause(&self) -> kakunin_core::Cause {
        use kakunin_core::Cause;
        match self {
            TrustCheckError::NoCas { .. }
            | TrustCheckError::TooManyCas { .. }
            | TrustCheckError::BadCa { .. } => Cause::Misuse,
            TrustCheckError::BadSignature { .. }
            | TrustCheckError::OutsideValidity { .. }
            | TrustCheckError::CaOutsideValidity { .. }
            | TrustCheckError::RevocationUnknown { .. }
            | TrustCheckError::CrlNotYetValid { .. } => Cause::FailedCheck,
            TrustCheckError::Crl(e) => e.cause(),
            _ => Cause::Untrusted,
        }
    }
}

/// The configured JPKI trust: CA certificates (DER) of each purpose and their verified CRLs.
#[derive(Debug, Clone)]
pub struct JpkiTrust {
    signature_cas: Vec<Vec<u8>>,
    authentication_cas: Vec<Vec<u8>>,
    crls: CrlSet,
}

/// Parse check of one configured CA: an RSA CA certificate that signed itself.
fn check_ca(
    crypto: &dyn CryptoProvider,
    purpose: Purpose,
    index: usize,
    der: &[u8],
) -> Result<(), TrustCheckError> {
    verify_rsa_issued(crypto, der, der).map_err(|reason| TrustCheckError::BadCa {
        purpose,
        index,
        reason,
    })
}

impl JpkiTrust {
    /// Trust with these CA certificates (DER), each checked to be a self-signed RSA CA, and
    /// no CRL yet.
    pub fn new(
        crypto: &dyn CryptoProvider,
        signature_cas: Vec<Vec<u8>>,
        authentication_cas: Vec<Vec<u8>>,
    ) -> Result<Self, TrustCheckError> {
        for (purpose, cas) in [
            (Purpose::Signature, &signature_cas),
            (Purpose::Authentication, &authentication_cas),
        ] {
            if cas.is_empty() {
                return Err(TrustCheckError::NoCas { purpose });
            }
            if cas.len() > MAX_CAS {
                return Err(TrustCheckError::TooManyCas { purpose });
            }
            for (index, der) in cas.iter().enumerate() {
                check_ca(crypto, purpose, index, der)?;
            }
        }
        Ok(JpkiTrust {
            signature_cas,
            authentication_cas,
            crls: CrlSet::new(),
        })
    }

    /// Add a CRL (DER or PEM), verified against the configured CAs of `purpose`.
    pub fn add_crl(
        &mut self,
        crypto: &dyn CryptoProvider,
        purpose: Purpose,
        crl: &[u8],
    ) -> Result<(), TrustCheckError> {
        let cas = self.cas(purpose);
        let verified =
            kakunin_core::trust::crl::verify_crl(crypto, crl, cas.iter().map(Vec::as_slice))
                .map_err(TrustCheckError::Crl)?;
        self.crls.insert(verified);
        Ok(())
    }

    /// The CAs of a purpose.
    pub fn cas(&self, purpose: Purpose) -> &[Vec<u8>] {
        match purpose {
            Purpose::Signature => &self.signature_cas,
            Purpose::Authentication => &self.authentication_cas,
        }
    }

    /// The CRLs held.
    pub fn crls(&self) -> &CrlSet {
        &self.crls
    }

    /// Validate a signature certificate at `now` (see the module documentation).
    pub fn validate_signature_cert(
        &self,
        cert: &SignatureCertificate,
        now: OffsetDateTime,
        crypto: &dyn CryptoProvider,
    ) -> Result<Validated, TrustCheckError> {
        let purpose = Purpose::Signature;
        if !cert.info.digital_signature {
            return Err(TrustCheckError::KeyUsage {
                purpose,
                needed: "digitalSignature",
            });
        }
        if !cert.info.non_repudiation {
            return Err(TrustCheckError::KeyUsage {
                purpose,
                needed: "nonRepudiation",
            });
        }
        self.validate(&cert.info, purpose, now, crypto)
    }

    /// Validate an authentication certificate at `now` (see the module documentation).
    pub fn validate_authentication_cert(
        &self,
        cert: &AuthenticationCertificate,
        now: OffsetDateTime,
        crypto: &dyn CryptoProvider,
    ) -> Result<Validated, TrustCheckError> {
        let purpose = Purpose::Authentication;
        if !cert.info.digital_signature {
            return Err(TrustCheckError::KeyUsage {
                purpose,
                needed: "digitalSignature",
            });
        }
        self.validate(&cert.info, purpose, now, crypto)
    }

    fn validate(
        &self,
        info: &CertificateInfo,
        purpose: Purpose,
        now: OffsetDateTime,
        crypto: &dyn CryptoProvider,
    ) -> Result<Validated, TrustCheckError> {
        if info.is_ca {
            return Err(TrustCheckError::LeafIsCa { purpose });
        }
        let mut error = TrustCheckError::UnknownIssuer { purpose };
        let mut issuer = None;
        for (index, ca) in self.cas(purpose).iter().enumerate() {
            match verify_rsa_issued(crypto, info.der(), ca) {
                Ok(()) => {
                    issuer = Some((index, ca));
                    break;
                }
                Err(TrustError::BadSignature { .. }) => {
                    error = TrustCheckError::BadSignature { purpose }
                }
                Err(_) => {}
            }
        }
        let Some((ca_index, ca_der)) = issuer else {
            return Err(error);
        };
        if now < info.not_before || now > info.not_after {
            return Err(TrustCheckError::OutsideValidity {
                purpose,
                at: now,
                not_before: info.not_before,
                not_after: info.not_after,
            });
        }
        // Parsed when configured (JpkiTrust::new): a failure here cannot happen, but is typed.
        let ca = <x509_cert::Certificate as der::Decode>::from_der(ca_der).map_err(|_| {
            TrustCheckError::BadCa {
                purpose,
                index: ca_index,
                reason: TrustError::MalformedCertificate {
                    index: 1,
                    reason: kakunin_core::trust::CertDefect::NotDer,
                },
            }
        })?;
        let (ca_nb, ca_na) = (
            to_time(&ca.tbs_certificate.validity.not_before),
            to_time(&ca.tbs_certificate.validity.not_after),
        );
        if now < ca_nb || now > ca_na {
            return Err(TrustCheckError::CaOutsideValidity { purpose, at: now });
        }
        let revocation = match self.crls.check(info.der(), ca_der, now) {
            RevocationCheck::NotRevoked { .. } => Revocation::Good,
            RevocationCheck::Revoked {
                reason, revoked_at, ..
            } => Revocation::Revoked { reason, revoked_at },
            RevocationCheck::Stale {
                overdue, status, ..
            } => Revocation::Stale {
                overdue,
                listed: matches!(status, RevocationStatus::Revoked { .. }),
            },
            RevocationCheck::NotYetValid { .. } => {
                return Err(TrustCheckError::CrlNotYetValid { purpose })
            }
            RevocationCheck::Unusable(e) => return Err(TrustCheckError::Crl(e)),
            _ => return Err(TrustCheckError::RevocationUnknown { purpose }),
        };
        Ok(Validated {
            ca_index,
            revocation,
        })
    }
}

fn to_time(t: &x509_cert::time::Time) -> OffsetDateTime {
    let secs = t.to_unix_duration().as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
