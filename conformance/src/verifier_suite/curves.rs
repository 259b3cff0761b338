//! Signer certificates on P-384 under the suite's P-256 IACA: the issuer crate's test PKI
//! makes P-256 keys only, and ISO 18013-5 Annex B (Table B.1, 9.1.2.4) allows Document
//! Signers on P-384 too (MSO signed ES384); so may an SD-JWT VC issuer (ES384, RFC 7518 §3.4).

use super::SuiteError;
use der::{Decode, Encode};
use kakunin_core::crypto::{hazmat, CryptoProvider, Curve};
use kakunin_issuer::KeyAndCert;
use std::str::FromStr;
use time::OffsetDateTime;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

fn build(what: &'static str) -> impl Fn(String) -> SuiteError {
    move |detail| SuiteError::Issue {
        case: format!("P-384 {what} certificate"),
        detail,
    }
}

fn x509_time(t: OffsetDateTime) -> Result<x509_cert::time::Time, SuiteError> {
    let e = build("validity");
    let secs = u64::try_from(t.unix_timestamp()).map_err(|x| e(x.to_string()))?;
    x509_cert::time::Time::try_from(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .map_err(|x| e(x.to_string()))
}

/// A P-384 leaf (KeyUsage digitalSignature, extended key usage `eku`) named `cn` under
/// `issuer` (a P-256 CA), valid `days` from `from`.
pub(crate) fn p384_leaf(
    crypto: &dyn CryptoProvider,
    issuer: &KeyAndCert,
    cn: &str,
    eku: &str,
    from: OffsetDateTime,
    days: i64,
) -> Result<KeyAndCert, SuiteError> {
    use p384::pkcs8::EncodePublicKey;
    let e = build("leaf");
    let key = crypto
        .generate_key(Curve::P384)
        .map_err(|x| e(x.to_string()))?;
    let spki_der = p384::SecretKey::from_slice(hazmat::scalar_bytes(&key))
        .map_err(|x| e(x.to_string()))?
        .public_key()
        .to_public_key_der()
        .map_err(|x| e(x.to_string()))?;
    let spki =
        SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).map_err(|x| e(x.to_string()))?;
    let issuer_cert =
        x509_cert::Certificate::from_der(&issuer.cert_der).map_err(|x| e(x.to_string()))?;
    let signer = p256::ecdsa::SigningKey::from_slice(hazmat::scalar_bytes(&issuer.key))
        .map_err(|x| e(x.to_string()))?;
    let mut serial = [0u8; 16];
    crypto
        .fill_random(&mut serial)
        .map_err(|x| e(x.to_string()))?;
    // Positive, and no leading zero byte (RFC 5280 4.1.2.2).
    if let Some(b) = serial.first_mut() {
        *b = (*b & 0x7f) | 0x01;
    }
    let validity = Validity {
        not_before: x509_time(from)?,
        not_after: x509_time(from + time::Duration::days(days))?,
    };
    let subject = Name::from_str(&format!("CN={cn},C=JP")).map_err(|x| e(x.to_string()))?;
    let mut b = CertificateBuilder::new(
        Profile::Manual {
            issuer: Some(issuer_cert.tbs_certificate.subject.clone()),
        },
        SerialNumber::new(&serial).map_err(|x| e(x.to_string()))?,
        validity,
        subject,
        spki,
        &signer,
    )
    .map_err(|x| e(x.to_string()))?;
    b.add_extension(&KeyUsage(KeyUsages::DigitalSignature.into()))
        .map_err(|x| e(x.to_string()))?;
    let oid = der::asn1::ObjectIdentifier::new(eku).map_err(|x| e(x.to_string()))?;
    b.add_extension(&ExtendedKeyUsage(vec![oid]))
        .map_err(|x| e(x.to_string()))?;
    let cert = b
        .build::<p256::ecdsa::DerSignature>()
        .map_err(|x| e(x.to_string()))?;
    Ok(KeyAndCert {
        key,
        cert_der: cert.to_der().map_err(|x| e(x.to_string()))?,
    })
}
