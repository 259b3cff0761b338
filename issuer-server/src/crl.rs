//! JPKI CRLs at the registry (docs/jpki-registry.md, "Revocation"): a CRL uploaded by an
//! administrator (`POST /admin/jpki-crl`) or read from the JPKI CA directory
//! (`jpki-sign.crl`, `jpki-auth.crl`) is verified under the configured JPKI CAs
//! (`jpki-sign-ca.pem`, `jpki-auth-ca.pem`) through `kakunin_core::trust::crl`, then each
//! revoked certificate's issuer Name and serial become a certificate link (HMAC), which the
//! registry matches against the links it stored. The raw serials are dropped at once.

use crate::error::{ApiError, ServerError};
use crate::links::LinkKey;
use der::{Decode, Encode};
use kakunin_core::crypto::CryptoProvider;
use kakunin_core::trust::crl::parse_crl_input;
use std::path::{Path, PathBuf};

/// The CA files of a JPKI CA directory, signature CAs first.
pub const CA_FILES: [&str; 2] = ["jpki-sign-ca.pem", "jpki-auth-ca.pem"];
/// The CRL files of a JPKI CA directory.
pub const CRL_FILES: [&str; 2] = ["jpki-sign.crl", "jpki-auth.crl"];

/// Every certificate (DER) in a PEM file of one or more `CERTIFICATE` blocks.
pub fn pem_certificates(path: &Path, text: &str) -> Result<Vec<Vec<u8>>, ServerError> {
    const END: &str = "-----END CERTIFICATE-----";
    let bad = |reason: &str| ServerError::Certificate {
        path: path.into(),
        reason: reason.into(),
    };
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let tail = rest.get(start..).unwrap_or_default();
        let end = tail
            .find(END)
            .ok_or_else(|| bad("unterminated PEM block"))?;
        let block = tail.get(..end + END.len()).unwrap_or_default();
        let (_, der) = der::pem::decode_vec(block.as_bytes()).map_err(|_| bad("bad PEM block"))?;
        kakunin_core::trust::parse_certificate_input(&der).map_err(|e| bad(&e.to_string()))?;
        out.push(der);
        rest = tail.get(end + END.len()..).unwrap_or_default();
    }
    if out.is_empty() {
        return Err(bad("no certificate"));
    }
    Ok(out)
}

/// The JPKI CA certificates of `dir` (both files must exist).
pub fn read_ca_certificates(dir: &Path) -> Result<Vec<Vec<u8>>, ServerError> {
    let mut out = Vec::new();
    for f in CA_FILES {
        let path = dir.join(f);
        let text = std::fs::read_to_string(&path).map_err(|source| ServerError::Read {
            path: path.clone(),
            source,
        })?;
        out.extend(pem_certificates(&path, &text)?);
    }
    Ok(out)
}

/// The CRL files present in `dir`.
pub fn crl_files(dir: &Path) -> Vec<PathBuf> {
    CRL_FILES
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
        .collect()
}

/// Verify `crl` (DER or PEM) under one of `cas` and return the certificate link of every
/// certificate it lists.
pub fn revoked_links(
    crypto: &dyn CryptoProvider,
    links: &LinkKey,
    cas: &[Vec<u8>],
    crl: &[u8],
) -> Result<Vec<String>, ApiError> {
    let parsed = parse_crl_input(crl).map_err(|_| ApiError::BAD_CRL)?;
    let verified = parsed
        .verify_by_any(crypto, cas.iter().map(Vec::as_slice))
        .map_err(|_| ApiError::BAD_CRL)?;
    let list = x509_cert::crl::CertificateList::from_der(verified.crl().der())
        .map_err(|_| ApiError::BAD_CRL)?;
    let issuer = list
        .tbs_cert_list
        .issuer
        .to_der()
        .map_err(|_| ApiError::BAD_CRL)?;
    Ok(list
        .tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .map(|r| links.certificate(crypto, &issuer, r.serial_number.as_bytes()))
        .collect())
}
