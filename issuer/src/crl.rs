//! Building and signing X.509 CRLs (RFC 5280 §5) for the test PKI's CAs: the IACA (for DS and
//! other IACA-issued certificates) and the reader root (for reader certificates).
//!
//! The CRL is v2 with the CRLNumber (§5.2.3) and the authority key identifier (§5.2.1, the
//! issuer certificate's own subject key identifier) RFC 5280 requires, `thisUpdate`, an
//! optional `nextUpdate`, and one entry per revoked serial with its reasonCode (§5.3.1) when
//! one is given. It is signed with ECDSA P-256 / SHA-256 through the crypto provider.

use crate::pki::{KeyAndCert, PkiError};
use der::asn1::ObjectIdentifier;
use der::Decode;
use kakunin_core::crypto::{CryptoProvider, HashAlg};
use kakunin_core::trust::crl_builder::{
    build_signed_crl, CrlBuildError, CrlContents, RevokedEntry,
};
use kakunin_core::trust::CrlReason;
use time::OffsetDateTime;
use x509_cert::spki::AlgorithmIdentifierOwned;

const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// One certificate to list as revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlEntry {
    /// Its serial number: the DER INTEGER content octets (as `kakunin verify-response`
    /// prints them in hex).
    pub serial: Vec<u8>,
    /// When it was revoked.
    pub revoked_at: OffsetDateTime,
    /// Why, written as the reasonCode entry extension; none is written for `None`.
    pub reason: Option<CrlReason>,
}

/// What a CRL says besides its issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlParams {
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate (RFC 5280 §5.1.2.5 asks for one; `None` only to test verifiers).
    pub next_update: Option<OffsetDateTime>,
    /// CRLNumber (§5.2.3): increases with every CRL of the issuer.
    pub crl_number: u64,
    /// The revoked certificates.
    pub entries: Vec<CrlEntry>,
}

/// Build and sign a CRL of `issuer` (a CA of the test PKI: its certificate names the CRL
/// issuer and gives the authority key identifier; its key signs), DER-encoded. The
/// TBSCertList is assembled by [`kakunin_core::trust::crl_builder`]; this signs it with
/// ECDSA P-256 / SHA-256 through the crypto provider.
pub fn build_crl(
    crypto: &dyn CryptoProvider,
    issuer: &KeyAndCert,
    params: &CrlParams,
) -> Result<Vec<u8>, PkiError> {
    let contents = CrlContents {
        this_update: params.this_update,
        next_update: params.next_update,
        crl_number: params.crl_number,
        entries: params
            .entries
            .iter()
            .map(|e| RevokedEntry {
                serial: e.serial.clone(),
                revoked_at: e.revoked_at,
                reason: e.reason,
            })
            .collect(),
    };
    let algorithm = AlgorithmIdentifierOwned {
        oid: ECDSA_SHA256,
        parameters: None,
    };
    build_signed_crl(&issuer.cert_der, algorithm, &contents, |tbs| {
        let raw = crypto
            .sign_ecdsa(&issuer.key, HashAlg::Sha256, tbs)
            .map_err(|_| PkiError::Build("signing"))?;
        let sig =
            p256::ecdsa::Signature::from_slice(&raw).map_err(|_| PkiError::Build("signing"))?;
        Ok(sig.to_der().as_bytes().to_vec())
    })
    .map_err(|e| match e {
        CrlBuildError::Sign(e) => e,
        CrlBuildError::Issuer(_) => {
            PkiError::Build("issuer certificate has no subject key identifier")
        }
        _ => PkiError::Build("CRL"),
    })
}

/// A CRL as PEM (`X509 CRL`, RFC 7468 §5).
pub fn crl_pem(der: &[u8]) -> Result<String, PkiError> {
    der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, der)
        .map_err(|_| PkiError::Build("PEM"))
}

/// The serial number of a certificate (DER), as INTEGER content octets.
pub fn certificate_serial(cert_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let cert =
        x509_cert::Certificate::from_der(cert_der).map_err(|_| PkiError::Build("certificate"))?;
    Ok(cert.tbs_certificate.serial_number.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TestPki;
    use kakunin_core::crypto::default_provider;
    use kakunin_core::trust::{parse_crl_input, RevocationCheck};
    use time::macros::datetime;

    #[test]
    fn a_built_crl_verifies_under_its_ca_and_lists_the_revoked_ds() {
        let now = datetime!(2026-11-24 00:00 UTC);
        let crypto = default_provider();
        let pki = TestPki::generate(crypto, "JP", 2, now).unwrap();
        let ds1 = certificate_serial(&pki.document_signers[0].cert_der).unwrap();
        let der = build_crl(
            crypto,
            &pki.iaca,
            &CrlParams {
                this_update: now,
                next_update: Some(now + time::Duration::hours(24)),
                crl_number: 42,
                entries: vec![CrlEntry {
                    serial: ds1,
                    revoked_at: now - time::Duration::hours(1),
                    reason: Some(CrlReason::KeyCompromise),
                }],
            },
        )
        .unwrap();
        let crl = parse_crl_input(crl_pem(&der).unwrap().as_bytes()).unwrap();
        assert_eq!(crl.crl_number(), Some(&[42u8][..]));
        // The reader root did not issue it.
        assert!(crl
            .clone()
            .verify(crypto, &pki.reader_root.cert_der)
            .is_err());
        let mut set = kakunin_core::trust::CrlSet::new();
        set.insert(crl.verify(crypto, &pki.iaca.cert_der).unwrap());
        let at = now + time::Duration::hours(1);
        assert!(matches!(
            set.check(&pki.document_signers[0].cert_der, &pki.iaca.cert_der, at),
            RevocationCheck::Revoked {
                reason: Some(CrlReason::KeyCompromise),
                ..
            }
        ));
        assert!(matches!(
            set.check(&pki.document_signers[1].cert_der, &pki.iaca.cert_der, at),
            RevocationCheck::NotRevoked { .. }
        ));
        assert_eq!(
            set.check(&pki.reader.cert_der, &pki.reader_root.cert_der, at),
            RevocationCheck::NoCrl
        );
    }
}
