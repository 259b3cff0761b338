//! The suite's PKI (ISO 18013-5 Annex B): an IACA, Document Signers and the SD-JWT VC issuer
//! (JWS signer) under it. Fresh for every run, or kept in a directory (`--suite-pki DIR`):
//! created there when missing, reused when present, so a verifier configured once (an HTTP
//! till) can be told to trust `DIR/iaca.cert.pem` before the run.

use super::SuiteError;
use kakunin_core::crypto::CryptoProvider;
use kakunin_issuer::pki::load_pair;
use kakunin_issuer::{KeyAndCert, TestPki};
use std::path::Path;
use time::OffsetDateTime;

/// How long before the verification time the suite's certificates start: old enough that
/// every valid case is inside their validity, recent enough that none has expired.
const BACKDATE_DAYS: i64 = 30;

/// The keys and certificates every generated case is signed with.
pub struct SuitePki {
    /// The IACA: the one trust anchor of the suite.
    pub iaca: KeyAndCert,
    /// Document Signers under it (at least two: cases use both).
    pub document_signers: Vec<KeyAndCert>,
    /// The SD-JWT VC issuer certificate (EKU 1.0.18013.5.1.3) under the IACA.
    pub jws_signer: KeyAndCert,
}

impl SuitePki {
    /// A fresh PKI for country JP whose certificates are valid from 30 days before `at`.
    pub fn generate(crypto: &dyn CryptoProvider, at: OffsetDateTime) -> Result<Self, SuiteError> {
        let pki = TestPki::generate(crypto, "JP", 2, at - time::Duration::days(BACKDATE_DAYS))?;
        Ok(SuitePki {
            iaca: pki.iaca,
            document_signers: pki.document_signers,
            jws_signer: pki.jws_signer,
        })
    }

    /// The PKI kept in `dir` (the `kakunin pki init` layout): created there (valid from 30
    /// days before `at`) when `dir` is missing or empty, read when it holds one.
    pub fn load_or_create(
        crypto: &dyn CryptoProvider,
        dir: &Path,
        at: OffsetDateTime,
    ) -> Result<Self, SuiteError> {
        let present = dir.join("iaca.cert.pem").exists();
        if !present {
            TestPki::generate(crypto, "JP", 2, at - time::Duration::days(BACKDATE_DAYS))?
                .write(dir)?;
        }
        let mut document_signers = vec![load_pair(dir, "ds-1")?];
        if dir.join("ds-2.cert.pem").exists() {
            document_signers.push(load_pair(dir, "ds-2")?);
        }
        Ok(SuitePki {
            iaca: load_pair(dir, "iaca")?,
            document_signers,
            jws_signer: load_pair(dir, "jws-1")?,
        })
    }

    /// The first Document Signer.
    pub(crate) fn ds(&self) -> Result<&KeyAndCert, SuiteError> {
        self.document_signers
            .first()
            .ok_or_else(|| SuiteError::Vector("the suite PKI has no Document Signer".into()))
    }

    /// The second Document Signer, or the first when the directory holds only one.
    pub(crate) fn ds2(&self) -> Result<&KeyAndCert, SuiteError> {
        match self.document_signers.get(1) {
            Some(d) => Ok(d),
            None => self.ds(),
        }
    }
}
