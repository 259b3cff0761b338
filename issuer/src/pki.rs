//! A test PKI following ISO 18013-5 Annex B: an IACA root, Document Signer certificates, and
//! a reader-authentication root with one reader certificate. Keys are P-256, written as
//! PKCS#8 PEM with mode 0600; nothing is ever overwritten.
//!
//! This is for tests and interop sessions, not for production issuance: a real IACA key lives
//! in an HSM and never on disk.

use der::asn1::{Ia5String, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use kakunin_core::crypto::{hazmat, Curve, EcPrivateKey};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, IssuerAltName, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::ext::AsExtension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;
use zeroize::Zeroizing;

/// CRLs of the test PKI's CAs (crate::crl).
pub use crate::crl::{build_crl, CrlEntry, CrlParams};

/// mdoc Document Signer EKU (Annex B).
pub const EKU_MDOC_DS: &str = "1.0.18013.5.1.2";
/// mdoc reader authentication EKU (Annex B).
pub const EKU_MDOC_READER_AUTH: &str = "1.0.18013.5.1.6";
/// JWS signer EKU (Annex B), used here for SD-JWT VC issuers.
pub const EKU_JWS_SIGNER: &str = "1.0.18013.5.1.3";
/// VICAL signer EKU (Annex C).
pub const EKU_VICAL_SIGNER: &str = "1.0.18013.5.1.8";

/// A PKI operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// The directory or file exists; a PKI is never overwritten.
    #[error("{0} already exists; refusing to overwrite a PKI")]
    Exists(PathBuf),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The IACA's country is not an ISO 3166-1 alpha-2 code (Annex B requires one).
    #[error("country \"{0}\" is not a two-letter ISO 3166-1 code")]
    BadCountry(String),
    /// Building or encoding a certificate or key failed.
    #[error("certificate building failed: {0}")]
    Build(&'static str),
    /// A key file holds no PKCS#8 P-256 private key.
    #[error("{path}: not a PKCS#8 P-256 private key")]
    BadKey {
        /// The file.
        path: PathBuf,
    },
    /// A certificate file holds no usable certificate.
    #[error("{path}: {source}")]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// Why it was rejected.
        source: kakunin_core::trust::TrustError,
    },
}

impl PkiError {
    /// The error's cause group: bad files are malformed, the rest is misuse.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            PkiError::Exists(_) | PkiError::BadCountry(_) => kakunin_core::Cause::Misuse,
            PkiError::Io { .. } | PkiError::Build(_) => kakunin_core::Cause::Misuse,
            PkiError::BadKey { .. } | PkiError::BadCertificate { .. } => {
                kakunin_core::Cause::Malformed
            }
        }
    }
}

/// A certificate and its private key.
pub struct KeyAndCert {
    /// The private key (P-256).
    pub key: EcPrivateKey,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
}

/// The whole test PKI.
pub struct TestPki {
    /// The IACA root (Annex B): the verifiers' trust anchor.
    pub iaca: KeyAndCert,
    /// Document Signers under the IACA (Annex B), `ds-1`, `ds-2`...
    pub document_signers: Vec<KeyAndCert>,
    /// SD-JWT VC issuer (JWS signer) certificate under the IACA.
    pub jws_signer: KeyAndCert,
    /// The reader-authentication root (Annex B): the holders' reader trust.
    pub reader_root: KeyAndCert,
    /// A reader certificate under it (Annex B), for readerAuth.
    pub reader: KeyAndCert,
    /// The trust-bundle root: the anchor a till is configured with to accept signed trust
    /// bundles (`trust-bundle-root`). It certifies nothing else.
    pub bundle_root: KeyAndCert,
    /// The trust-bundle signer under it (`trust-bundle-1`): KeyUsage digitalSignature, no
    /// EKU (there is no standard one; see docs/decisions/0013-trust-bundle.md).
    pub bundle_signer: KeyAndCert,
    /// The VICAL authority root (Annex C): the anchor VICAL verifiers configure.
    pub vical_root: KeyAndCert,
    /// The VICAL signer under it, EKU 1.0.18013.5.1.8, which signs `vical build` lists.
    pub vical_signer: KeyAndCert,
}

/// An extension with explicit criticality (x509-cert fixes criticality per type; Annex B
/// wants KeyUsage and EKU critical on leaf certificates).
struct Critical<E>(E);

impl<E: const_oid::AssociatedOid> const_oid::AssociatedOid for Critical<E> {
    const OID: ObjectIdentifier = E::OID;
}

impl<E: Encode> Encode for Critical<E> {
    fn encoded_len(&self) -> der::Result<der::Length> {
        self.0.encoded_len()
    }
    fn encode(&self, w: &mut impl der::Writer) -> der::Result<()> {
        self.0.encode(w)
    }
}

impl<E: const_oid::AssociatedOid + Encode> AsExtension for Critical<E> {
    fn critical(&self, _subject: &Name, _extensions: &[x509_cert::ext::Extension]) -> bool {
        true
    }
}

fn signing_key(k: &EcPrivateKey) -> Result<p256::ecdsa::SigningKey, PkiError> {
    // x509-cert's builder signs with a p256 key of its own: hand it the scalar.
    p256::ecdsa::SigningKey::from_slice(hazmat::scalar_bytes(k))
        .map_err(|_| PkiError::Build("bad P-256 key"))
}

fn spki_of(k: &EcPrivateKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    use p256::pkcs8::EncodePublicKey;
    let sk = signing_key(k)?;
    let der = sk
        .verifying_key()
        .to_public_key_der()
        .map_err(|_| PkiError::Build("public key encoding"))?;
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(|_| PkiError::Build("SPKI"))
}

fn key_id(spki: &SubjectPublicKeyInfoOwned) -> OctetString {
    use sha1::Digest;
    // RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
    let digest = sha1::Sha1::digest(spki.subject_public_key.raw_bytes());
    OctetString::new(digest.to_vec())
        .unwrap_or_else(|_| unreachable!("20 bytes fit an OCTET STRING"))
}

fn random_serial(
    crypto: &dyn kakunin_core::crypto::CryptoProvider,
) -> Result<SerialNumber, PkiError> {
    let mut b = [0u8; 16];
    crypto
        .fill_random(&mut b)
        .map_err(|_| PkiError::Build("RNG"))?;
    b[0] &= 0x7f; // positive
    b[0] |= 0x01; // and not starting with a zero byte
    SerialNumber::new(&b).map_err(|_| PkiError::Build("serial"))
}

fn validity(from: time::OffsetDateTime, days: i64) -> Result<Validity, PkiError> {
    let to_x509 = |t: time::OffsetDateTime| {
        let secs =
            u64::try_from(t.unix_timestamp()).map_err(|_| PkiError::Build("time before 1970"))?;
        x509_cert::time::Time::try_from(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
        )
        .map_err(|_| PkiError::Build("time"))
    };
    Ok(Validity {
        not_before: to_x509(from)?,
        not_after: to_x509(from + time::Duration::days(days))?,
    })
}

fn name(cn: &str, country: &str) -> Result<Name, PkiError> {
    Name::from_str(&format!("CN={cn},C={country}"))
        .map_err(|_| PkiError::Build("distinguished name"))
}

enum Kind {
    Root,
    Leaf {
        eku: &'static str,
    },
    /// A leaf with KeyUsage digitalSignature and no EKU (the trust-bundle signer).
    LeafWithoutEku,
}

fn build_cert(
    crypto: &dyn kakunin_core::crypto::CryptoProvider,
    kind: Kind,
    subject: Name,
    subject_key: &EcPrivateKey,
    issuer: Option<(&Name, &EcPrivateKey)>,
    valid: Validity,
    issuer_alt_uri: Option<&str>,
) -> Result<Vec<u8>, PkiError> {
    let spki = spki_of(subject_key)?;
    let (issuer_name, issuer_key) = match issuer {
        Some((n, k)) => (n.clone(), k),
        None => (subject.clone(), subject_key),
    };
    let signer = signing_key(issuer_key)?;
    let issuer_spki = spki_of(issuer_key)?;
    let mut b = CertificateBuilder::new(
        Profile::Manual {
            issuer: Some(issuer_name),
        },
        random_serial(crypto)?,
        valid,
        subject,
        spki.clone(),
        &signer,
    )
    .map_err(|_| PkiError::Build("builder"))?;
    let e = |_| PkiError::Build("extension");
    b.add_extension(&SubjectKeyIdentifier(key_id(&spki)))
        .map_err(e)?;
    match kind {
        Kind::Root => {
            b.add_extension(&BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            })
            .map_err(e)?;
            b.add_extension(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))
                .map_err(e)?;
        }
        Kind::Leaf { eku } => {
            b.add_extension(&AuthorityKeyIdentifier {
                key_identifier: Some(key_id(&issuer_spki)),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            })
            .map_err(e)?;
            b.add_extension(&Critical(KeyUsage(KeyUsages::DigitalSignature.into())))
                .map_err(e)?;
            let oid = ObjectIdentifier::new(eku).map_err(|_| PkiError::Build("EKU OID"))?;
            b.add_extension(&Critical(ExtendedKeyUsage(vec![oid])))
                .map_err(e)?;
        }
        Kind::LeafWithoutEku => {
            b.add_extension(&AuthorityKeyIdentifier {
                key_identifier: Some(key_id(&issuer_spki)),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            })
            .map_err(e)?;
            b.add_extension(&Critical(KeyUsage(KeyUsages::DigitalSignature.into())))
                .map_err(e)?;
        }
    }
    if let Some(uri) = issuer_alt_uri {
        let ia5 = Ia5String::new(uri).map_err(|_| PkiError::Build("IssuerAltName"))?;
        b.add_extension(&IssuerAltName(vec![
            GeneralName::UniformResourceIdentifier(ia5),
        ]))
        .map_err(e)?;
    }
    let cert = b
        .build::<p256::ecdsa::DerSignature>()
        .map_err(|_| PkiError::Build("signing"))?;
    cert.to_der().map_err(|_| PkiError::Build("DER"))
}

impl TestPki {
    /// Generate a PKI for `country` whose certificates are valid from `now` (IACA and reader
    /// root 10 years, DS and reader certificates 3 years).
    pub fn generate(
        crypto: &dyn kakunin_core::crypto::CryptoProvider,
        country: &str,
        document_signers: usize,
        now: time::OffsetDateTime,
    ) -> Result<Self, PkiError> {
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(PkiError::BadCountry(country.to_string()));
        }
        let new_key = || {
            crypto
                .generate_key(Curve::P256)
                .map_err(|_| PkiError::Build("key generation"))
        };
        // Back-date by a day so a clock slightly behind still accepts fresh certificates.
        let start = now - time::Duration::days(1);
        let iaca_name = name(&format!("Kakunin test IACA {country}"), country)?;
        let iaca_key = new_key()?;
        let iaca_cert = build_cert(
            crypto,
            Kind::Root,
            iaca_name.clone(),
            &iaca_key,
            None,
            validity(start, 3650)?,
            Some("https://kakunin.invalid/iaca"),
        )?;
        let mut dss = Vec::new();
        for i in 0..document_signers.max(1) {
            let key = new_key()?;
            let cert = build_cert(
                crypto,
                Kind::Leaf { eku: EKU_MDOC_DS },
                name(&format!("Kakunin test DS {country} {}", i + 1), country)?,
                &key,
                Some((&iaca_name, &iaca_key)),
                validity(start, 3 * 365)?,
                Some("https://kakunin.invalid/iaca"),
            )?;
            dss.push(KeyAndCert {
                key,
                cert_der: cert,
            });
        }
        let jws_key = new_key()?;
        let jws_cert = build_cert(
            crypto,
            Kind::Leaf {
                eku: EKU_JWS_SIGNER,
            },
            name(&format!("Kakunin test SD-JWT VC issuer {country}"), country)?,
            &jws_key,
            Some((&iaca_name, &iaca_key)),
            validity(start, 3 * 365)?,
            Some("https://kakunin.invalid/iaca"),
        )?;
        let root_name = name("Kakunin test reader root", country)?;
        let root_key = new_key()?;
        let root_cert = build_cert(
            crypto,
            Kind::Root,
            root_name.clone(),
            &root_key,
            None,
            validity(start, 3650)?,
            None,
        )?;
        let reader_key = new_key()?;
        let reader_cert = build_cert(
            crypto,
            Kind::Leaf {
                eku: EKU_MDOC_READER_AUTH,
            },
            name("Kakunin test reader", country)?,
            &reader_key,
            Some((&root_name, &root_key)),
            validity(start, 3 * 365)?,
            None,
        )?;
        let (vical_root, vical_signer) = root_and_leaf(
            crypto,
            country,
            start,
            "Kakunin test VICAL authority",
            (
                "Kakunin test VICAL signer",
                Kind::Leaf {
                    eku: EKU_VICAL_SIGNER,
                },
            ),
        )?;
        let (bundle_root, bundle_signer) = root_and_leaf(
            crypto,
            country,
            start,
            "Kakunin test trust-bundle root",
            ("Kakunin test trust-bundle signer 1", Kind::LeafWithoutEku),
        )?;
        Ok(TestPki {
            bundle_root,
            bundle_signer,
            vical_root,
            vical_signer,
            iaca: KeyAndCert {
                key: iaca_key,
                cert_der: iaca_cert,
            },
            document_signers: dss,
            jws_signer: KeyAndCert {
                key: jws_key,
                cert_der: jws_cert,
            },
            reader_root: KeyAndCert {
                key: root_key,
                cert_der: root_cert,
            },
            reader: KeyAndCert {
                key: reader_key,
                cert_der: reader_cert,
            },
        })
    }

    /// Write the PKI into `dir` (created; must not exist or be empty).
    pub fn write(&self, dir: &Path) -> Result<(), PkiError> {
        if dir.exists()
            && std::fs::read_dir(dir)
                .map(|mut d| d.next().is_some())
                .unwrap_or(true)
        {
            return Err(PkiError::Exists(dir.to_path_buf()));
        }
        std::fs::create_dir_all(dir).map_err(|source| PkiError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        write_pair(dir, "iaca", &self.iaca)?;
        for (i, ds) in self.document_signers.iter().enumerate() {
            write_pair(dir, &format!("ds-{}", i + 1), ds)?;
        }
        write_pair(dir, "jws-1", &self.jws_signer)?;
        write_pair(dir, "reader-root", &self.reader_root)?;
        write_pair(dir, "reader", &self.reader)?;
        write_pair(dir, BUNDLE_ROOT_NAME, &self.bundle_root)?;
        write_pair(dir, BUNDLE_SIGNER_NAME, &self.bundle_signer)?;
        write_pair(dir, "vical-root", &self.vical_root)?;
        write_pair(dir, "vical-signer", &self.vical_signer)?;
        Ok(())
    }
}

/// File name (without `.cert.pem`) of the trust-bundle root in a PKI directory.
pub const BUNDLE_ROOT_NAME: &str = "trust-bundle-root";
/// File name (without `.cert.pem`/`.key.pem`) of the default trust-bundle signer.
pub const BUNDLE_SIGNER_NAME: &str = "trust-bundle-1";

/// A root named `root_cn` (10 years) and a leaf of `kind` named `leaf_cn` under it (3 years),
/// from `start`: the VICAL authority and signer, the trust-bundle root and signer.
fn root_and_leaf(
    crypto: &dyn kakunin_core::crypto::CryptoProvider,
    country: &str,
    start: time::OffsetDateTime,
    root_cn: &str,
    (leaf_cn, kind): (&str, Kind),
) -> Result<(KeyAndCert, KeyAndCert), PkiError> {
    let new_key = || {
        crypto
            .generate_key(Curve::P256)
            .map_err(|_| PkiError::Build("key generation"))
    };
    let root_name = name(root_cn, country)?;
    let root_key = new_key()?;
    let root_cert = build_cert(
        crypto,
        Kind::Root,
        root_name.clone(),
        &root_key,
        None,
        validity(start, 3650)?,
        None,
    )?;
    let signer_key = new_key()?;
    let signer_cert = build_cert(
        crypto,
        kind,
        name(leaf_cn, country)?,
        &signer_key,
        Some((&root_name, &root_key)),
        validity(start, 3 * 365)?,
        None,
    )?;
    Ok((
        KeyAndCert {
            key: root_key,
            cert_der: root_cert,
        },
        KeyAndCert {
            key: signer_key,
            cert_der: signer_cert,
        },
    ))
}

/// Issue a test leaf certificate with extended key usage `eku` under `issuer` (whose
/// certificate names the issuer), valid `days` from `not_before`: for tests that need a
/// signer with another EKU, or one outside its validity.
pub fn issue_leaf(
    crypto: &dyn kakunin_core::crypto::CryptoProvider,
    issuer: &KeyAndCert,
    common_name: &str,
    country: &str,
    eku: &'static str,
    not_before: time::OffsetDateTime,
    days: i64,
) -> Result<KeyAndCert, PkiError> {
    let issuer_cert = x509_cert::Certificate::from_der(&issuer.cert_der)
        .map_err(|_| PkiError::Build("issuer certificate"))?;
    let issuer_name = issuer_cert.tbs_certificate.subject;
    let key = crypto
        .generate_key(Curve::P256)
        .map_err(|_| PkiError::Build("key generation"))?;
    let cert_der = build_cert(
        crypto,
        Kind::Leaf { eku },
        name(common_name, country)?,
        &key,
        Some((&issuer_name, &issuer.key)),
        validity(not_before, days)?,
        None,
    )?;
    Ok(KeyAndCert { key, cert_der })
}

/// Issue a test root (CA, keyCertSign) named `common_name`, valid `days` from `not_before`.
pub fn issue_root(
    crypto: &dyn kakunin_core::crypto::CryptoProvider,
    common_name: &str,
    country: &str,
    not_before: time::OffsetDateTime,
    days: i64,
) -> Result<KeyAndCert, PkiError> {
    let key = crypto
        .generate_key(Curve::P256)
        .map_err(|_| PkiError::Build("key generation"))?;
    let cert_der = build_cert(
        crypto,
        Kind::Root,
        name(common_name, country)?,
        &key,
        None,
        validity(not_before, days)?,
        None,
    )?;
    Ok(KeyAndCert { key, cert_der })
}

/// File layout of a PKI directory: where the certificate `name` lives.
pub fn cert_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.cert.pem"))
}

/// Where the private key `name` of a PKI directory lives.
pub fn key_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.key.pem"))
}

fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(mode);
    let _ = mode;
    let io = |source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            PkiError::Exists(path.to_path_buf())
        } else {
            io(e)
        }
    })?;
    f.write_all(contents).map_err(io)
}

fn write_pair(dir: &Path, name: &str, pair: &KeyAndCert) -> Result<(), PkiError> {
    use p256::pkcs8::EncodePrivateKey;
    let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &pair.cert_der)
        .map_err(|_| PkiError::Build("PEM"))?;
    write_new(&cert_path(dir, name), pem.as_bytes(), 0o644)?;
    let sk = p256::SecretKey::from_slice(hazmat::scalar_bytes(&pair.key))
        .map_err(|_| PkiError::Build("key"))?;
    let key_pem = sk
        .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
        .map_err(|_| PkiError::Build("PKCS#8"))?;
    write_new(&key_path(dir, name), key_pem.as_bytes(), 0o600)
}

/// Read a PKCS#8 PEM private key.
pub fn read_key(path: &Path) -> Result<EcPrivateKey, PkiError> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })?);
    kakunin_core::crypto::import_private_key(&bytes).map_err(|_| PkiError::BadKey {
        path: path.to_path_buf(),
    })
}

/// Read a certificate (PEM, DER or hex) as DER.
pub fn read_cert(path: &Path) -> Result<Vec<u8>, PkiError> {
    let bytes = std::fs::read(path).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    kakunin_core::trust::parse_certificate_input(&bytes).map_err(|source| {
        PkiError::BadCertificate {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Load one key and certificate pair by name (`iaca`, `ds-1`, `reader`, ...).
pub fn load_pair(dir: &Path, name: &str) -> Result<KeyAndCert, PkiError> {
    Ok(KeyAndCert {
        key: read_key(&key_path(dir, name))?,
        cert_der: read_cert(&cert_path(dir, name))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::crypto::default_provider;
    use kakunin_core::trust::{validate_chain, CertProfile, TrustAnchors, TrustError};

    #[test]
    fn generated_pki_follows_the_profiles() {
        let now = time::macros::datetime!(2026-11-24 00:00 UTC);
        let pki = TestPki::generate(default_provider(), "JP", 2, now).unwrap();
        let iaca = TrustAnchors::from_der_certs([pki.iaca.cert_der.clone()]).unwrap();
        let readers = TrustAnchors::from_der_certs([pki.reader_root.cert_der.clone()]).unwrap();
        for ds in &pki.document_signers {
            let v = validate_chain(
                default_provider(),
                &[&ds.cert_der],
                &iaca,
                CertProfile::DocumentSigner,
                now,
            )
            .unwrap();
            assert_eq!(v.leaf_subject.country.as_deref(), Some("JP"));
            // A DS is not a reader certificate.
            assert!(matches!(
                validate_chain(
                    default_provider(),
                    &[&ds.cert_der],
                    &iaca,
                    CertProfile::ReaderAuth,
                    now
                ),
                Err(TrustError::WrongExtendedKeyUsage { .. })
            ));
        }
        validate_chain(
            default_provider(),
            &[&pki.reader.cert_der],
            &readers,
            CertProfile::ReaderAuth,
            now,
        )
        .unwrap();
        assert_eq!(
            validate_chain(
                default_provider(),
                &[&pki.reader.cert_der],
                &iaca,
                CertProfile::ReaderAuth,
                now
            ),
            Err(TrustError::UnknownIssuer)
        );
        let later = now + time::Duration::days(4 * 365);
        assert!(matches!(
            validate_chain(
                default_provider(),
                &[&pki.document_signers[0].cert_der],
                &iaca,
                CertProfile::DocumentSigner,
                later
            ),
            Err(TrustError::Expired { .. })
        ));
        assert!(matches!(
            TestPki::generate(default_provider(), "Japan", 1, now),
            Err(PkiError::BadCountry(_))
        ));
    }

    #[test]
    fn write_refuses_to_overwrite_and_round_trips() {
        let now = time::macros::datetime!(2026-11-24 00:00 UTC);
        let pki = TestPki::generate(default_provider(), "JP", 1, now).unwrap();
        let dir = std::env::temp_dir().join(format!("kakunin-pki-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        pki.write(&dir).unwrap();
        assert!(matches!(pki.write(&dir), Err(PkiError::Exists(_))));
        let ds = load_pair(&dir, "ds-1").unwrap();
        assert_eq!(ds.cert_der, pki.document_signers[0].cert_der);
        assert_eq!(
            hazmat::scalar_bytes(&ds.key),
            hazmat::scalar_bytes(&pki.document_signers[0].key)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
