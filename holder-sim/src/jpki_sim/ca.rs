//! The two JPKI-SIM certification authorities (jpki-notes §2.1): one for signature
//! certificates, one for authentication certificates, both self-signed single-tier RSA-2048
//! roots with sha256WithRSAEncryption, basicConstraints CA (critical), keyUsage keyCertSign +
//! cRLSign (critical) and a subject key identifier — the shape of the J-LIS roots, under a
//! name that can never be mistaken for them (`O=JPKI-SIM`).
//!
//! Each CA keeps a book (`private/ca-state.json`): every serial it has issued (so serials stay
//! unique), its CRL number and its revoked entries, from which its CRL is re-signed.

use std::path::Path;

use der::asn1::Any;
use der::{Decode, Encode};
use kakunin_core::trust::crl_builder::{
    build_signed_crl, CrlBuildError, CrlContents, RevokedEntry,
};
use kakunin_core::trust::CrlReason;
use time::OffsetDateTime;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::Validity;

use super::error::SimError;
use super::files;
use super::oids::SHA256_WITH_RSA;
use super::rsa_key::SimRsaKey;
use super::x509::{cert_pem, critical, key_id, name, non_critical, x509_time, Attr};

/// How long the CA certificates are valid (the J-LIS roots: 10 years, notes §2.1).
const CA_YEARS: i64 = 10;
/// How long a CRL is current: nextUpdate = thisUpdate + this. J-LIS's CRLs are not public
/// (notes §3.3); a month keeps a demo's CA usable without re-signing.
pub const CRL_VALIDITY: time::Duration = time::Duration::days(30);
/// Upper bound on draws for an unused serial (2^31 possible 4-byte serials).
const SERIAL_DRAWS: usize = 64;

/// Which of the two JPKI CAs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// 署名用: issues signature certificates.
    Signature,
    /// 利用者証明用: issues authentication certificates.
    Authentication,
}

impl Purpose {
    /// The OU of the CA's name (and of its CRL distribution points).
    pub fn ou(self) -> &'static str {
        match self {
            Purpose::Signature => "JPKI-SIM for digital signature",
            Purpose::Authentication => "JPKI-SIM for user authentication",
        }
    }

    /// The CA certificate's file in the CA directory.
    pub fn cert_file(self) -> &'static str {
        match self {
            Purpose::Signature => "jpki-sign-ca.pem",
            Purpose::Authentication => "jpki-auth-ca.pem",
        }
    }

    /// The CA's CRL (DER) in the CA directory.
    pub fn crl_file(self) -> &'static str {
        match self {
            Purpose::Signature => "jpki-sign.crl",
            Purpose::Authentication => "jpki-auth.crl",
        }
    }

    /// The CA's private key under `private/`.
    pub fn key_file(self) -> &'static str {
        match self {
            Purpose::Signature => "jpki-sign-ca.key",
            Purpose::Authentication => "jpki-auth-ca.key",
        }
    }
}

/// The directory holding the CAs' private keys and books (0700).
pub const PRIVATE_DIR: &str = "private";
/// The CAs' books, under [`PRIVATE_DIR`].
pub const STATE_FILE: &str = "ca-state.json";

/// One revoked entry of a CA's book.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RevokedRecord {
    /// Serial, hex of the INTEGER content octets.
    pub(crate) serial: String,
    /// Revocation time, Unix seconds.
    pub(crate) revoked_at: i64,
    /// RFC 5280 CRLReason code.
    pub(crate) reason: u32,
}

/// What a CA remembers between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct CaBook {
    /// The number of the CRL last signed.
    pub(crate) crl_number: u64,
    /// Every serial issued (hex), the CA's own included.
    pub(crate) issued: Vec<String>,
    /// The revoked certificates.
    pub(crate) revoked: Vec<RevokedRecord>,
}

/// Both CAs' books.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct CaState {
    pub(crate) sign: CaBook,
    pub(crate) auth: CaBook,
}

impl CaState {
    pub(crate) fn book_mut(&mut self, p: Purpose) -> &mut CaBook {
        match p {
            Purpose::Signature => &mut self.sign,
            Purpose::Authentication => &mut self.auth,
        }
    }

    pub(crate) fn load(ca_dir: &Path) -> Result<Self, SimError> {
        let path = ca_dir.join(PRIVATE_DIR).join(STATE_FILE);
        let bytes = files::read_small(&path, 16 * 1024 * 1024)?;
        serde_json::from_slice(&bytes).map_err(|_| SimError::BadFile {
            path,
            what: "CA state",
        })
    }

    pub(crate) fn store(&self, ca_dir: &Path) -> Result<(), SimError> {
        let text = serde_json::to_vec_pretty(self).map_err(|_| SimError::Build("CA state"))?;
        files::write_replace(
            &ca_dir.join(PRIVATE_DIR).join(STATE_FILE),
            &text,
            files::SECRET,
        )
    }
}

impl CaBook {
    /// A fresh random 4-byte positive serial (notes §2.3: real JPKI serials are 4 bytes),
    /// not issued before, recorded as issued.
    pub(crate) fn draw_serial(&mut self) -> Result<[u8; 4], SimError> {
        for _ in 0..SERIAL_DRAWS {
            let mut b = [0u8; 4];
            rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut b)
                .map_err(|_| SimError::Random("serial"))?;
            let [first, ..] = &mut b;
            // Positive and exactly four content octets: 0x01..=0x7F first.
            *first = (*first & 0x7f).max(1);
            let h = hex::encode(b);
            if !self.issued.contains(&h) {
                self.issued.push(h);
                return Ok(b);
            }
        }
        Err(SimError::Random("no unused serial"))
    }
}

/// A JPKI-SIM CA: its key, its certificate, and its name.
pub struct SimCa {
    purpose: Purpose,
    key: SimRsaKey,
    cert_der: Vec<u8>,
    name: Name,
}

impl core::fmt::Debug for SimCa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SimCa({:?})", self.purpose)
    }
}

/// sha256WithRSAEncryption with its NULL parameters (RFC 8017 Appendix C).
pub(crate) fn rsa_sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: SHA256_WITH_RSA,
        parameters: Some(Any::null()),
    }
}

pub(crate) fn spki_of(key: &SimRsaKey) -> Result<SubjectPublicKeyInfoOwned, SimError> {
    SubjectPublicKeyInfoOwned::from_der(&key.spki_der()?).map_err(|_| SimError::Build("SPKI"))
}

impl SimCa {
    /// The CA's name: `C=JP, O=JPKI-SIM, OU=JPKI-SIM for digital signature` (or `…for user
    /// authentication`).
    pub fn name_of(purpose: Purpose) -> Result<Name, SimError> {
        name(&[
            (Attr::C, "JP"),
            (Attr::O, "JPKI-SIM"),
            (Attr::Ou, purpose.ou()),
        ])
    }

    /// A new self-signed CA valid from `now` for ten years, its serial recorded in `book`.
    pub(crate) fn generate(
        purpose: Purpose,
        now: OffsetDateTime,
        book: &mut CaBook,
    ) -> Result<Self, SimError> {
        let key = SimRsaKey::generate()?;
        let subject = Self::name_of(purpose)?;
        let spki = spki_of(&key)?;
        let serial = book.draw_serial()?;
        let validity = Validity {
            not_before: x509_time(now)?,
            not_after: x509_time(now + time::Duration::days(365 * CA_YEARS + 2))?,
        };
        let mut b = CertificateBuilder::new(
            Profile::Manual { issuer: None },
            SerialNumber::new(&serial).map_err(|_| SimError::Build("serial"))?,
            validity,
            subject.clone(),
            spki.clone(),
            key.x509_signer(),
        )
        .map_err(|_| SimError::Build("CA certificate"))?;
        let e = |_| SimError::Build("CA extension");
        b.add_extension(&critical(BasicConstraints {
            ca: true,
            path_len_constraint: None,
        }))
        .map_err(e)?;
        b.add_extension(&critical(KeyUsage(
            KeyUsages::KeyCertSign | KeyUsages::CRLSign,
        )))
        .map_err(e)?;
        b.add_extension(&non_critical(SubjectKeyIdentifier(key_id(&spki)?)))
            .map_err(e)?;
        let cert = b
            .build_with_rng::<rsa::pkcs1v15::Signature>(&mut rand_core::OsRng)
            .map_err(|_| SimError::Build("CA signature"))?;
        let cert_der = cert.to_der().map_err(|_| SimError::Build("CA DER"))?;
        Ok(SimCa {
            purpose,
            key,
            cert_der,
            name: subject,
        })
    }

    /// Load the CA of `purpose` from a CA directory (its certificate and private key).
    pub fn load(ca_dir: &Path, purpose: Purpose) -> Result<Self, SimError> {
        let cert_path = ca_dir.join(purpose.cert_file());
        let cert_der = read_first_cert(&cert_path)?;
        let key_path = ca_dir.join(PRIVATE_DIR).join(purpose.key_file());
        let key = read_key(&key_path)?;
        let cert = x509_cert::Certificate::from_der(&cert_der).map_err(|_| SimError::BadFile {
            path: cert_path.clone(),
            what: "CA certificate",
        })?;
        if spki_of(&key)? != cert.tbs_certificate.subject_public_key_info {
            return Err(SimError::BadFile {
                path: key_path,
                what: "key of the CA certificate",
            });
        }
        Ok(SimCa {
            purpose,
            key,
            name: cert.tbs_certificate.subject,
            cert_der,
        })
    }

    /// Write the certificate (0644) and the private key (0600, under `private/`), refusing to
    /// overwrite.
    pub(crate) fn write_new(&self, ca_dir: &Path) -> Result<(), SimError> {
        files::write_new(
            &ca_dir.join(self.purpose.cert_file()),
            cert_pem(&self.cert_der)?.as_bytes(),
            files::PUBLIC,
        )?;
        files::write_new(
            &ca_dir.join(PRIVATE_DIR).join(self.purpose.key_file()),
            self.key.to_pkcs8_pem()?.as_bytes(),
            files::SECRET,
        )
    }

    /// Which CA this is.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The CA's name (issuer of what it signs).
    pub fn name(&self) -> &Name {
        &self.name
    }

    pub(crate) fn key(&self) -> &SimRsaKey {
        &self.key
    }

    /// Sign this CA's CRL from its book at `now` (nextUpdate `now` + [`CRL_VALIDITY`]), DER.
    pub(crate) fn sign_crl(&self, book: &CaBook, now: OffsetDateTime) -> Result<Vec<u8>, SimError> {
        let mut entries = Vec::with_capacity(book.revoked.len());
        for r in &book.revoked {
            entries.push(RevokedEntry {
                serial: hex::decode(&r.serial).map_err(|_| SimError::Build("CA state serial"))?,
                revoked_at: OffsetDateTime::from_unix_timestamp(r.revoked_at)
                    .map_err(|_| SimError::Build("CA state time"))?,
                reason: Some(
                    CrlReason::from_code(r.reason).ok_or(SimError::Build("CA state reason"))?,
                ),
            });
        }
        let contents = CrlContents {
            this_update: now,
            next_update: Some(now + CRL_VALIDITY),
            crl_number: book.crl_number,
            entries,
        };
        build_signed_crl(&self.cert_der, rsa_sha256_algorithm(), &contents, |tbs| {
            self.key.sign_sha256(tbs)
        })
        .map_err(|e| match e {
            CrlBuildError::Sign(k) => SimError::Key(k),
            _ => SimError::Build("CRL"),
        })
    }
}

/// Read a PKCS#8 PEM RSA key file.
pub(crate) fn read_key(path: &Path) -> Result<SimRsaKey, SimError> {
    let bytes = zeroize::Zeroizing::new(files::read_small(path, 64 * 1024)?);
    let text = std::str::from_utf8(&bytes).map_err(|_| SimError::BadFile {
        path: path.to_path_buf(),
        what: "PKCS#8 PEM key",
    })?;
    SimRsaKey::from_pkcs8_pem(text).map_err(|_| SimError::BadFile {
        path: path.to_path_buf(),
        what: "PKCS#8 PEM RSA-2048 key",
    })
}

/// Read the first certificate of a PEM (or DER) file, as DER.
pub(crate) fn read_first_cert(path: &Path) -> Result<Vec<u8>, SimError> {
    let bytes = files::read_small(path, 1024 * 1024)?;
    kakunin_core::trust::parse_certificate_input(&bytes).map_err(|_| SimError::BadFile {
        path: path.to_path_buf(),
        what: "certificate",
    })
}
