//! [`JpkiProofing`]: the [`ApplicantProofing`] of Kakunin — JPKI evidence from a My Number card
//! or smartphone JPKI, checked with `kakunin-jpki` (/work/shared/jpki-notes.md §2–3).
//!
//! For one enrolment: both certificates parse under their profiles (the signature certificate's
//! four facts; the authentication certificate's clientAuth), both are of the same kind (card and
//! card, or phone and phone), both chain to a configured CA of their own purpose, are valid at
//! `now` and are not on a current CRL of that CA (a missing or stale CRL refuses: revocation
//! unknown is not good enough to issue). Then the enrolment challenge is rebuilt from the
//! evidence ([`kakunin_core::enrolment::enrolment_challenge`]) and each card signature must
//! verify under its own certificate — the authentication key's signature in the place of the
//! signature key's does not. The level is IAL3 for both kinds (docs/profiles/jpki-proofing.md).
//!
//! [`load_jpki_trust`] reads the JPKI CA directory shared by `jpki-sim init --out DIR` and
//! `issuer serve --jpki-ca DIR`: `jpki-sign-ca.pem`, `jpki-auth-ca.pem` (one or more PEM
//! certificates each), and optionally `jpki-sign.crl`, `jpki-auth.crl` (DER or PEM CRLs).

use std::path::Path;

use kakunin_core::crypto::{CryptoProvider, HashAlg};
use kakunin_jpki::profile::{CertificateKind, Sex as JpkiSex};
use kakunin_jpki::trust::{Purpose, Revocation};
use kakunin_jpki::{
    AuthenticationCertificate, JpkiTrust, ProfileError, SignatureCertificate, TrustCheckError,
};

use crate::proofing::{
    ApplicantProofing, CertificateRef, EnrolmentEvidence, ProofedApplicant, ProofingError,
    ProofingMethod, Sex,
};

/// The identity assurance level of JPKI proofing (docs/profiles/jpki-proofing.md).
pub const JPKI_LEVEL: &str = "IAL3";
/// Largest CA or CRL file read from a JPKI CA directory.
pub const MAX_TRUST_FILE: u64 = 16 * 1024 * 1024;

/// JPKI proofing under configured CAs and CRLs.
pub struct JpkiProofing {
    // Behind a lock so a CRL refresh reaches a running service (`ApplicantProofing::update_crl`).
    trust: std::sync::RwLock<JpkiTrust>,
    crypto: &'static dyn CryptoProvider,
}

impl core::fmt::Debug for JpkiProofing {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("JpkiProofing").finish_non_exhaustive()
    }
}

impl JpkiProofing {
    /// Proofing under `trust`, verifying through `crypto` (it must implement RSA:
    /// [`kakunin_core::crypto::Ring`], the default provider, does).
    pub fn new(trust: JpkiTrust, crypto: &'static dyn CryptoProvider) -> Self {
        JpkiProofing {
            trust: std::sync::RwLock::new(trust),
            crypto,
        }
    }

    /// Proofing under the JPKI CA directory `dir` ([`load_jpki_trust`]).
    pub fn from_dir(
        dir: &Path,
        crypto: &'static dyn CryptoProvider,
    ) -> Result<Self, JpkiTrustLoadError> {
        Ok(Self::new(load_jpki_trust(dir, crypto)?, crypto))
    }

    /// Replace the trust (e.g. after the CA directory changed).
    pub fn set_trust(&self, trust: JpkiTrust) {
        *self
            .trust
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = trust;
    }

    /// The trust in use (held for reading while the guard lives).
    pub fn trust(&self) -> std::sync::RwLockReadGuard<'_, JpkiTrust> {
        // A panic while holding the lock cannot leave the trust half-updated (updates are
        // whole assignments or one `CrlSet::insert`), so a poisoned lock is still sound.
        self.trust
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn profile_error(which: &'static str, e: &ProfileError) -> ProofingError {
    match e {
        ProfileError::UnknownPolicy { .. } | ProfileError::NoClientAuth => {
            ProofingError::WrongCertificate(match which {
                "signature" => "the signature certificate is not a JPKI signature certificate",
                _ => "the authentication certificate is not a JPKI authentication certificate",
            })
        }
        _ => ProofingError::Malformed {
            what: match which {
                "signature" => "signature certificate",
                _ => "authentication certificate",
            },
        },
    }
}

fn trust_error(which: &'static str, e: &TrustCheckError) -> ProofingError {
    match e {
        TrustCheckError::OutsideValidity { .. } | TrustCheckError::CaOutsideValidity { .. } => {
            ProofingError::Expired { which }
        }
        TrustCheckError::RevocationUnknown { .. }
        | TrustCheckError::CrlNotYetValid { .. }
        | TrustCheckError::Crl(_) => ProofingError::RevocationUnknown { which },
        _ => ProofingError::Untrusted { which },
    }
}

fn revocation(which: &'static str, r: &Revocation) -> Result<(), ProofingError> {
    match r {
        Revocation::Good => Ok(()),
        Revocation::Revoked { .. } => Err(ProofingError::Revoked { which }),
        // Listed on a stale CRL is still revoked; unlisted on one is unknown.
        Revocation::Stale { listed: true, .. } => Err(ProofingError::Revoked { which }),
        _ => Err(ProofingError::RevocationUnknown { which }),
    }
}

impl ApplicantProofing for JpkiProofing {
    fn prove(
        &self,
        evidence: &EnrolmentEvidence<'_>,
        now: i64,
    ) -> Result<ProofedApplicant, ProofingError> {
        let c = self.crypto;
        let sign = SignatureCertificate::parse(evidence.signature_certificate)
            .map_err(|e| profile_error("signature", &e))?;
        let auth = AuthenticationCertificate::parse(evidence.authentication_certificate)
            .map_err(|e| profile_error("authentication", &e))?;
        if sign.info.kind != auth.info.kind {
            return Err(ProofingError::WrongCertificate(
                "the signature and authentication certificates come from different kinds of token",
            ));
        }
        let at = time::OffsetDateTime::from_unix_timestamp(now)
            .map_err(|_| ProofingError::Malformed { what: "time" })?;
        let trust = self.trust();
        let v = trust
            .validate_signature_cert(&sign, at, c)
            .map_err(|e| trust_error("signature", &e))?;
        revocation("signature", &v.revocation)?;
        let v = trust
            .validate_authentication_cert(&auth, at, c)
            .map_err(|e| trust_error("authentication", &e))?;
        revocation("authentication", &v.revocation)?;

        let challenge = kakunin_core::enrolment::enrolment_challenge(
            evidence.issuer,
            evidence.nonce,
            evidence.device_key_thumbprints,
        )
        .map_err(|_| ProofingError::Malformed {
            what: "enrolment challenge",
        })?;
        c.verify_rsa_pkcs1v15(
            &sign.info.public_key,
            HashAlg::Sha256,
            &challenge,
            evidence.signature,
        )
        .map_err(|_| ProofingError::BadSignature { which: "signature" })?;
        c.verify_rsa_pkcs1v15(
            &auth.info.public_key,
            HashAlg::Sha256,
            &challenge,
            evidence.authentication_signature,
        )
        .map_err(|_| ProofingError::BadSignature {
            which: "authentication",
        })?;

        let method = match sign.info.kind {
            CertificateKind::Smartphone => ProofingMethod::JpkiSmartphone,
            _ => ProofingMethod::JpkiCard,
        };
        let sex = match sign.facts.sex {
            JpkiSex::Male => Sex::Male,
            JpkiSex::Female => Sex::Female,
            _ => Sex::NotKnown,
        };
        Ok(ProofedApplicant {
            method,
            level: JPKI_LEVEL,
            name: sign.facts.name.clone(),
            date_of_birth: sign.facts.date_of_birth,
            sex,
            address: sign.facts.address.clone(),
            signature_certificate: CertificateRef {
                issuer: sign.info.issuer.clone(),
                serial: sign.info.serial.clone(),
            },
            authentication_certificate: CertificateRef {
                issuer: auth.info.issuer.clone(),
                serial: auth.info.serial.clone(),
            },
            not_after: sign.info.not_after.unix_timestamp(),
        })
    }

    fn update_crl(&self, crl: &[u8]) -> Result<(), ProofingError> {
        let mut trust = self
            .trust
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A CRL names its issuer, but the J-LIS generations share one DN: try each purpose's
        // CAs, which verify by key.
        for purpose in [Purpose::Signature, Purpose::Authentication] {
            if trust.add_crl(self.crypto, purpose, crl).is_ok() {
                return Ok(());
            }
        }
        Err(ProofingError::Untrusted { which: "CRL" })
    }
}

/// Why a JPKI CA directory could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JpkiTrustLoadError {
    /// A file could not be read (or is over [`MAX_TRUST_FILE`]).
    #[error("{file}: {reason}")]
    Io {
        /// The file name within the directory.
        file: &'static str,
        /// Why.
        reason: std::io::ErrorKind,
    },
    /// A CA file holds no PEM certificate, or a block that does not decode.
    #[error("{file}: not PEM certificates")]
    Pem {
        /// The file name.
        file: &'static str,
    },
    /// The CAs or a CRL are refused.
    #[error("{file}: {error}")]
    Trust {
        /// The file name.
        file: &'static str,
        /// Why.
        error: TrustCheckError,
    },
}

impl JpkiTrustLoadError {
    /// The cause group: a configuration that cannot be used is misuse, except bad contents.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            JpkiTrustLoadError::Pem { .. } => kakunin_core::Cause::Malformed,
            JpkiTrustLoadError::Trust { error, .. } => error.cause(),
            _ => kakunin_core::Cause::Misuse,
        }
    }
}

fn read_bounded(path: &Path, file: &'static str) -> Result<Option<Vec<u8>>, JpkiTrustLoadError> {
    use std::io::Read;
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(JpkiTrustLoadError::Io {
                file,
                reason: e.kind(),
            })
        }
    };
    let mut buf = Vec::new();
    f.take(MAX_TRUST_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(|e| JpkiTrustLoadError::Io {
            file,
            reason: e.kind(),
        })?;
    if u64::try_from(buf.len()).unwrap_or(u64::MAX) > MAX_TRUST_FILE {
        return Err(JpkiTrustLoadError::Io {
            file,
            reason: std::io::ErrorKind::InvalidData,
        });
    }
    Ok(Some(buf))
}

/// Every `CERTIFICATE` PEM block of `text`, as DER.
fn pem_certificates(text: &[u8], file: &'static str) -> Result<Vec<Vec<u8>>, JpkiTrustLoadError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = core::str::from_utf8(text).map_err(|_| JpkiTrustLoadError::Pem { file })?;
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let tail = rest.get(start..).unwrap_or_default();
        let end = tail.find(END).ok_or(JpkiTrustLoadError::Pem { file })? + END.len();
        let block = tail.get(..end).ok_or(JpkiTrustLoadError::Pem { file })?;
        let (label, der) =
            der::pem::decode_vec(block.as_bytes()).map_err(|_| JpkiTrustLoadError::Pem { file })?;
        if label != "CERTIFICATE" {
            return Err(JpkiTrustLoadError::Pem { file });
        }
        out.push(der);
        rest = tail.get(end..).unwrap_or_default();
    }
    if out.is_empty() {
        return Err(JpkiTrustLoadError::Pem { file });
    }
    Ok(out)
}

/// Load the JPKI CA directory `dir` (the layout in the module documentation). A missing CRL
/// file means no CRL for those CAs, so every enrolment is refused as revocation unknown; a
/// CRL that is present must verify under a CA of its purpose.
pub fn load_jpki_trust(
    dir: &Path,
    crypto: &dyn CryptoProvider,
) -> Result<JpkiTrust, JpkiTrustLoadError> {
    let required = |file: &'static str| -> Result<Vec<Vec<u8>>, JpkiTrustLoadError> {
        let bytes = read_bounded(&dir.join(file), file)?.ok_or(JpkiTrustLoadError::Io {
            file,
            reason: std::io::ErrorKind::NotFound,
        })?;
        pem_certificates(&bytes, file)
    };
    let sign = required("jpki-sign-ca.pem")?;
    let auth = required("jpki-auth-ca.pem")?;
    let mut trust =
        JpkiTrust::new(crypto, sign, auth).map_err(|error| JpkiTrustLoadError::Trust {
            file: "jpki-sign-ca.pem / jpki-auth-ca.pem",
            error,
        })?;
    for (file, purpose) in [
        ("jpki-sign.crl", Purpose::Signature),
        ("jpki-auth.crl", Purpose::Authentication),
    ] {
        if let Some(crl) = read_bounded(&dir.join(file), file)? {
            trust
                .add_crl(crypto, purpose, &crl)
                .map_err(|error| JpkiTrustLoadError::Trust { file, error })?;
        }
    }
    Ok(trust)
}
