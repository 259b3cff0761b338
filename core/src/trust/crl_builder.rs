//! Assembling and signing an X.509 v2 CRL (RFC 5280 §5) with any signer: the TBSCertList
//! (§5.1.2) is built here, the caller's closure signs its DER, and the CertificateList (§5.1)
//! is put together around the signature.
//!
//! Signer-agnostic on purpose: the test PKI signs its CRLs with ECDSA P-256 (issuer crate),
//! the JPKI simulator with RSA (holder-sim); neither depends on the other, so what both need
//! lives here. The CRL carries what RFC 5280 requires of a conforming CA: version v2, the
//! issuer's subject name, thisUpdate, nextUpdate when given (§5.1.2.5), the authority key
//! identifier (§5.2.1, the issuer certificate's own subject key identifier), the CRL number
//! (§5.2.3), and per entry the serial, the revocation date and the reasonCode (§5.3.1).

use der::asn1::{BitString, ObjectIdentifier, OctetString, Uint};
use der::{Decode, Encode};
use time::OffsetDateTime;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};
use x509_cert::ext::Extension;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::CrlReason;

const OID_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
const OID_REASON_CODE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");

/// One revoked certificate to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    /// Its serial number: the DER INTEGER content octets.
    pub serial: Vec<u8>,
    /// When it was revoked.
    pub revoked_at: OffsetDateTime,
    /// Why (the reasonCode entry extension); none is written for `None`.
    pub reason: Option<CrlReason>,
}

/// What a CRL says besides its issuer and signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlContents {
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate (RFC 5280 §5.1.2.5 asks for one; `None` only to test verifiers).
    pub next_update: Option<OffsetDateTime>,
    /// CRLNumber (§5.2.3): increases with every CRL of the issuer.
    pub crl_number: u64,
    /// The revoked certificates.
    pub entries: Vec<RevokedEntry>,
}

/// Why a CRL could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CrlBuildError<E> {
    /// The issuer certificate does not decode, or has no subject key identifier.
    #[error("CRL issuer certificate: {0}")]
    Issuer(&'static str),
    /// A field cannot be encoded (a serial that is not a valid INTEGER, a time before 1970).
    #[error("CRL field: {0}")]
    Encode(&'static str),
    /// The signer failed.
    #[error("CRL signer: {0}")]
    Sign(E),
}

impl<E> CrlBuildError<E> {
    /// The error's [`crate::Cause`].
    pub fn cause(&self) -> crate::Cause {
        match self {
            CrlBuildError::Issuer(_) => crate::Cause::Malformed,
            CrlBuildError::Encode(_) | CrlBuildError::Sign(_) => crate::Cause::Misuse,
        }
    }
}

fn to_x509<E>(t: OffsetDateTime) -> Result<x509_cert::time::Time, CrlBuildError<E>> {
    let secs =
        u64::try_from(t.unix_timestamp()).map_err(|_| CrlBuildError::Encode("time before 1970"))?;
    // x509-cert picks UTCTime before 2050 and GeneralizedTime after (RFC 5280 §5.1.2.4).
    x509_cert::time::Time::try_from(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .map_err(|_| CrlBuildError::Encode("time"))
}

fn extension<E>(oid: ObjectIdentifier, value: &impl Encode) -> Result<Extension, CrlBuildError<E>> {
    let bytes = value
        .to_der()
        .map_err(|_| CrlBuildError::Encode("extension"))?;
    Ok(Extension {
        extn_id: oid,
        critical: false,
        extn_value: OctetString::new(bytes).map_err(|_| CrlBuildError::Encode("extension"))?,
    })
}

/// Build the CRL of the CA whose certificate is `issuer_cert_der`, signed by `sign`, DER.
///
/// `algorithm` is the signature AlgorithmIdentifier written in both the TBSCertList and the
/// CertificateList (e.g. ecdsa-with-SHA256 without parameters, sha256WithRSAEncryption with
/// NULL). `sign` receives the DER of the TBSCertList and returns the signature value as it
/// goes into the BIT STRING (a DER `Ecdsa-Sig-Value` for ECDSA, the raw octets for RSA).
pub fn build_signed_crl<E>(
    issuer_cert_der: &[u8],
    algorithm: AlgorithmIdentifierOwned,
    contents: &CrlContents,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, CrlBuildError<E>> {
    let cert = x509_cert::Certificate::from_der(issuer_cert_der)
        .map_err(|_| CrlBuildError::Issuer("does not decode"))?;
    let ski = cert
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .find(|e| e.extn_id == OID_SKI)
        .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        .ok_or(CrlBuildError::Issuer("no subject key identifier"))?;
    let mut revoked = Vec::with_capacity(contents.entries.len());
    for e in &contents.entries {
        let reason = e
            .reason
            .map(|r| {
                // ENUMERATED with one content octet: every RFC 5280 code is below 128.
                let code = u8::try_from(r.code()).map_err(|_| CrlBuildError::Encode("reason"))?;
                Ok::<_, CrlBuildError<E>>(Extension {
                    extn_id: OID_REASON_CODE,
                    critical: false,
                    extn_value: OctetString::new(vec![0x0a, 0x01, code])
                        .map_err(|_| CrlBuildError::Encode("reason"))?,
                })
            })
            .transpose()?;
        revoked.push(RevokedCert {
            serial_number: SerialNumber::new(&e.serial)
                .map_err(|_| CrlBuildError::Encode("serial"))?,
            revocation_date: to_x509(e.revoked_at)?,
            crl_entry_extensions: reason.map(|r| vec![r]),
        });
    }
    let tbs = TbsCertList {
        version: x509_cert::Version::V2,
        signature: algorithm.clone(),
        issuer: cert.tbs_certificate.subject.clone(),
        this_update: to_x509(contents.this_update)?,
        next_update: contents.next_update.map(to_x509).transpose()?,
        revoked_certificates: (!revoked.is_empty()).then_some(revoked),
        crl_extensions: Some(vec![
            extension(
                OID_AKI,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(ski.0),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            )?,
            extension(
                OID_CRL_NUMBER,
                &Uint::new(&contents.crl_number.to_be_bytes())
                    .map_err(|_| CrlBuildError::Encode("CRL number"))?,
            )?,
        ]),
    };
    let tbs_der = tbs.to_der().map_err(|_| CrlBuildError::Encode("DER"))?;
    let signature = sign(&tbs_der).map_err(CrlBuildError::Sign)?;
    CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&signature)
            .map_err(|_| CrlBuildError::Encode("signature"))?,
    }
    .to_der()
    .map_err(|_| CrlBuildError::Encode("DER"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use time::macros::datetime;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::name::Name;
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    use x509_cert::time::Validity;

    const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

    fn root(key: &p256::ecdsa::SigningKey) -> Vec<u8> {
        use p256::pkcs8::EncodePublicKey;
        let spki = SubjectPublicKeyInfoOwned::from_der(
            key.verifying_key().to_public_key_der().unwrap().as_bytes(),
        )
        .unwrap();
        // Profile::Root adds basicConstraints, keyUsage and the subject key identifier.
        CertificateBuilder::new(
            Profile::Root,
            SerialNumber::from(7u32),
            Validity::from_now(std::time::Duration::from_secs(86400 * 3650)).unwrap(),
            Name::from_str("CN=CRL builder test,C=JP").unwrap(),
            spki,
            key,
        )
        .unwrap()
        .build::<p256::ecdsa::DerSignature>()
        .unwrap()
        .to_der()
        .unwrap()
    }

    #[test]
    fn a_built_crl_verifies_and_lists_its_entries_and_errors_are_typed() {
        let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let ca = root(&key);
        let now = datetime!(2026-12-01 00:00 UTC);
        let contents = CrlContents {
            this_update: now,
            next_update: Some(now + time::Duration::days(1)),
            crl_number: 9,
            entries: vec![RevokedEntry {
                serial: vec![0x12, 0x34],
                revoked_at: now,
                reason: Some(CrlReason::AffiliationChanged),
            }],
        };
        let alg = AlgorithmIdentifierOwned {
            oid: ECDSA_SHA256,
            parameters: None,
        };
        let der = build_signed_crl(&ca, alg.clone(), &contents, |tbs| {
            use p256::ecdsa::signature::Signer;
            let sig: p256::ecdsa::DerSignature = key.sign(tbs);
            Ok::<_, ()>(sig.as_bytes().to_vec())
        })
        .unwrap();
        let crl = crate::trust::parse_crl_input(&der).unwrap();
        assert_eq!(crl.crl_number(), Some(&[9u8][..]));
        crl.verify(crate::crypto::default_provider(), &ca).unwrap();
        let list = CertificateList::from_der(&der).unwrap();
        let entries = list.tbs_cert_list.revoked_certificates.unwrap();
        assert_eq!(entries[0].serial_number.as_bytes(), &[0x12, 0x34]);
        let reason = entries[0].crl_entry_extensions.as_ref().unwrap()[0]
            .extn_value
            .as_bytes();
        assert_eq!(reason, &[0x0a, 0x01, 3]);

        // The signer's error comes back as Sign; an issuer without SKI or a bad serial is typed.
        let failed = build_signed_crl(&ca, alg.clone(), &contents, |_| Err("no key"));
        assert!(matches!(failed, Err(CrlBuildError::Sign("no key"))));
        let bad_issuer = build_signed_crl(&[0x30, 0x00], alg.clone(), &contents, |_| {
            Ok::<_, ()>(vec![])
        });
        assert!(matches!(bad_issuer, Err(CrlBuildError::Issuer(_))));
        assert_eq!(
            bad_issuer.map(|_| ()).unwrap_err().cause(),
            crate::Cause::Malformed
        );
        let mut bad_serial = contents.clone();
        bad_serial.entries[0].serial = vec![0x7f; 30];
        assert!(matches!(
            build_signed_crl(&ca, alg, &bad_serial, |_| Ok::<_, ()>(vec![])),
            Err(CrlBuildError::Encode("serial"))
        ));
    }
}
