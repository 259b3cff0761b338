//! The throwaway issuer PKI of the `untrusted-ds` profile: an IACA nobody trusts and a
//! Document Signer under it (ISO 18013-5 Annex B shapes, RFC 5280 structure), made in memory
//! for one presentation and dropped with it. Nothing here is a real issuer's key.

use super::FaultError;
use kakunin_core::crypto::{hazmat, CryptoProvider, Curve, EcPrivateKey};
use std::str::FromStr;
use std::time::{Duration, UNIX_EPOCH};
use time::OffsetDateTime;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

/// ExtendedKeyUsage of a mdoc Document Signer (18013-5 Annex B.1.4).
const EKU_MDOC_DS: &str = "1.0.18013.5.1.2";

/// A Document Signer key and its certificate chain `[DS, IACA]` (DER), neither trusted by
/// anyone.
pub(crate) struct RogueSigner {
    /// The DS private key (zeroized on drop by [`EcPrivateKey`]).
    pub(crate) key: EcPrivateKey,
    /// The DS certificate; the IACA is not sent, as 18013-5 clause 9.1.2.4 has the DS alone.
    pub(crate) ds_cert: Vec<u8>,
}

fn err(what: &'static str) -> FaultError {
    FaultError::RoguePki(what)
}

fn signing_key(k: &EcPrivateKey) -> Result<p256::ecdsa::SigningKey, FaultError> {
    p256::ecdsa::SigningKey::from_slice(hazmat::scalar_bytes(k)).map_err(|_| err("P-256 key"))
}

fn spki(k: &p256::ecdsa::SigningKey) -> Result<SubjectPublicKeyInfoOwned, FaultError> {
    use p256::pkcs8::EncodePublicKey;
    let der = k
        .verifying_key()
        .to_public_key_der()
        .map_err(|_| err("public key"))?;
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(|_| err("SPKI"))
}

fn x509_time(t: OffsetDateTime) -> Result<x509_cert::time::Time, FaultError> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| err("time before 1970"))?;
    x509_cert::time::Time::try_from(UNIX_EPOCH + Duration::from_secs(secs)).map_err(|_| err("time"))
}

fn serial(crypto: &dyn CryptoProvider) -> Result<SerialNumber, FaultError> {
    let mut b = [0u8; 12];
    crypto.fill_random(&mut b).map_err(|_| err("RNG"))?;
    // Positive, no leading zero octet (RFC 5280 4.1.2.2).
    if let Some(first) = b.first_mut() {
        *first = (*first & 0x7f) | 0x01;
    }
    SerialNumber::new(&b).map_err(|_| err("serial"))
}

/// A fresh IACA (valid from a day before `now` for a year) and a DS certificate under it.
pub(crate) fn rogue_signer(
    crypto: &dyn CryptoProvider,
    now: OffsetDateTime,
) -> Result<RogueSigner, FaultError> {
    let validity = Validity {
        not_before: x509_time(now - time::Duration::days(1))?,
        not_after: x509_time(now + time::Duration::days(365))?,
    };
    let iaca_key = crypto
        .generate_key(Curve::P256)
        .map_err(|_| err("key generation"))?;
    let ds_key = crypto
        .generate_key(Curve::P256)
        .map_err(|_| err("key generation"))?;
    let iaca_signer = signing_key(&iaca_key)?;
    let ds_signer = signing_key(&ds_key)?;
    let iaca_name =
        Name::from_str("CN=Kakunin fault profile untrusted IACA,C=ZZ").map_err(|_| err("name"))?;
    let ds_name =
        Name::from_str("CN=Kakunin fault profile untrusted DS,C=ZZ").map_err(|_| err("name"))?;
    // The IACA is only needed to sign the DS; it is built so the chain is well formed.
    let _iaca = CertificateBuilder::new(
        Profile::Root,
        serial(crypto)?,
        validity,
        iaca_name.clone(),
        spki(&iaca_signer)?,
        &iaca_signer,
    )
    .map_err(|_| err("IACA builder"))?
    .build::<p256::ecdsa::DerSignature>()
    .map_err(|_| err("IACA signing"))?;
    let mut ds = CertificateBuilder::new(
        Profile::Leaf {
            issuer: iaca_name,
            enable_key_agreement: false,
            enable_key_encipherment: false,
            include_subject_key_identifier: true,
        },
        serial(crypto)?,
        validity,
        ds_name,
        spki(&ds_signer)?,
        &iaca_signer,
    )
    .map_err(|_| err("DS builder"))?;
    let eku = const_oid::ObjectIdentifier::new(EKU_MDOC_DS).map_err(|_| err("EKU"))?;
    ds.add_extension(&ExtendedKeyUsage(vec![eku]))
        .map_err(|_| err("EKU extension"))?;
    let ds = ds
        .build::<p256::ecdsa::DerSignature>()
        .map_err(|_| err("DS signing"))?;
    Ok(RogueSigner {
        key: ds_key,
        ds_cert: ds.to_der().map_err(|_| err("DER"))?,
    })
}
