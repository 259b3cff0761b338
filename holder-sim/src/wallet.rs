//! The wallet's storage: one directory per credential, holding the IssuerSigned as issued,
//! the device private key (PKCS#8 PEM, mode 0600) and whether it has been presented.
//!
//! Credentials are single-use: each presentation takes an unused credential of the batch and
//! marks it used, so no two presentations share an MSO, device key or salts.

use kakunin_core::crypto::EcPrivateKey;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// A wallet operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// Reading or writing the wallet directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A stored file is there but its content is unusable.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A credential (or its file) with this name already exists; nothing was overwritten.
    #[error("{0} already exists")]
    Exists(PathBuf),
    /// No credential with this id (in a store that is not a directory).
    #[error("no credential {id:?} in the store")]
    NotFound {
        /// The id asked for.
        id: String,
    },
}

impl WalletError {
    /// The cause group: a corrupt file is malformed, the rest misuse of the store.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            WalletError::Corrupt { .. } => kakunin_core::Cause::Malformed,
            WalletError::NotFound { .. } => kakunin_core::Cause::Misuse,
            _ => kakunin_core::Cause::Misuse,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WalletError + '_ {
    move |source| WalletError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A stored credential.
pub struct StoredCredential {
    /// The credential's id (its directory name).
    pub id: String,
    /// The docType it was issued for.
    pub doc_type: String,
    /// The IssuerSigned (8.3.2.1.2.2) exactly as issued.
    pub issuer_signed: Vec<u8>,
    /// The device private key (its public key is the MSO's DeviceKey).
    pub device_key: EcPrivateKey,
    /// Whether it has been presented (single use).
    pub used: bool,
}

/// What the wallet lists (no key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInfo {
    /// The credential's id.
    pub id: String,
    /// Its docType (mdoc) or `vct` (SD-JWT VC).
    pub doc_type: String,
    /// Whether it has been presented (single use).
    pub used: bool,
}

/// A wallet directory.
#[derive(Debug, Clone)]
pub struct Wallet {
    dir: PathBuf,
}

const ISSUER_SIGNED: &str = "issuer_signed.cbor";
const SD_JWT: &str = "sd_jwt.txt";
const DEVICE_KEY: &str = "device_key.pem";
const DOC_TYPE: &str = "doctype";
const USED: &str = "used";

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), WalletError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    o.mode(mode);
    let _ = mode;
    let mut f = o.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            WalletError::Exists(path.to_path_buf())
        } else {
            WalletError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// The device (or holder) key of the credential in directory `d`; the PEM is wiped after use.
fn load_key(d: &Path) -> Result<EcPrivateKey, WalletError> {
    let key_pem = Zeroizing::new(std::fs::read(d.join(DEVICE_KEY)).map_err(io(d))?);
    kakunin_core::crypto::import_private_key(&key_pem).map_err(|_| WalletError::Corrupt {
        path: d.join(DEVICE_KEY),
        reason: "not a PKCS#8 private key",
    })
}

impl Wallet {
    /// Open (creating if needed) a wallet directory.
    pub fn open(dir: &Path) -> Result<Self, WalletError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        Ok(Wallet {
            dir: dir.to_path_buf(),
        })
    }

    /// The wallet directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Store an mdoc credential under `id` (a fresh directory name).
    pub fn store(
        &self,
        id: &str,
        doc_type: &str,
        issuer_signed: &[u8],
        device_key: &EcPrivateKey,
    ) -> Result<(), WalletError> {
        self.store_files(id, doc_type, ISSUER_SIGNED, issuer_signed, device_key)
    }

    fn store_files(
        &self,
        id: &str,
        doc_type: &str,
        file: &str,
        content: &[u8],
        device_key: &EcPrivateKey,
    ) -> Result<(), WalletError> {
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(WalletError::Corrupt {
                path: self.dir.join(id),
                reason: "credential id must be [A-Za-z0-9._-]+",
            });
        }
        let d = self.dir.join(id);
        // Write into a temporary directory and rename, so a crash never leaves half a credential.
        let tmp = self.dir.join(format!(".{id}.tmp"));
        let _ = std::fs::remove_dir_all(&tmp);
        if d.exists() {
            return Err(WalletError::Exists(d));
        }
        std::fs::create_dir(&tmp).map_err(io(&tmp))?;
        write_new(&tmp.join(file), content, 0o644)?;
        write_new(&tmp.join(DOC_TYPE), doc_type.as_bytes(), 0o644)?;
        let pem = kakunin_core::crypto::export_private_key_pem(device_key).map_err(|_| {
            WalletError::Corrupt {
                path: d.clone(),
                reason: "device key cannot be encoded",
            }
        })?;
        write_new(&tmp.join(DEVICE_KEY), pem.as_bytes(), 0o600)?;
        std::fs::rename(&tmp, &d).map_err(io(&d))
    }

    /// Store an SD-JWT VC (as issued, with all Disclosures) and its holder key.
    pub fn store_sd_jwt(
        &self,
        id: &str,
        vct: &str,
        sd_jwt: &str,
        holder_key: &EcPrivateKey,
    ) -> Result<(), WalletError> {
        self.store_files(id, vct, SD_JWT, sd_jwt.as_bytes(), holder_key)
    }

    /// Load a stored SD-JWT VC and its holder key.
    pub fn load_sd_jwt(&self, id: &str) -> Result<(String, EcPrivateKey), WalletError> {
        let d = self.dir.join(id);
        let text = std::fs::read_to_string(d.join(SD_JWT)).map_err(io(&d))?;
        Ok((text.trim().to_string(), load_key(&d)?))
    }

    /// Every credential, sorted by id.
    pub fn list(&self) -> Result<Vec<CredentialInfo>, WalletError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let entry = entry.map_err(io(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with('.')
                || !(path.join(ISSUER_SIGNED).exists() || path.join(SD_JWT).exists())
            {
                continue;
            }
            let doc_type = std::fs::read_to_string(path.join(DOC_TYPE)).map_err(io(&path))?;
            out.push(CredentialInfo {
                id: name,
                doc_type: doc_type.trim().to_string(),
                used: path.join(USED).exists(),
            });
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Load one credential with its key.
    pub fn load(&self, id: &str) -> Result<StoredCredential, WalletError> {
        let d = self.dir.join(id);
        let issuer_signed = std::fs::read(d.join(ISSUER_SIGNED)).map_err(io(&d))?;
        let doc_type = std::fs::read_to_string(d.join(DOC_TYPE)).map_err(io(&d))?;
        let device_key = load_key(&d)?;
        Ok(StoredCredential {
            id: id.to_string(),
            doc_type: doc_type.trim().to_string(),
            issuer_signed,
            device_key,
            used: d.join(USED).exists(),
        })
    }

    /// Mark a credential presented; it will not be used again.
    pub fn mark_used(&self, id: &str) -> Result<(), WalletError> {
        let p = self.dir.join(id).join(USED);
        match write_new(&p, b"", 0o644) {
            Ok(()) | Err(WalletError::Exists(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl crate::store::CredentialStore for Wallet {
    fn list(&self) -> Result<Vec<CredentialInfo>, WalletError> {
        Wallet::list(self)
    }

    fn load(&self, id: &str) -> Result<StoredCredential, WalletError> {
        Wallet::load(self, id)
    }

    fn load_sd_jwt(&self, id: &str) -> Result<(String, EcPrivateKey), WalletError> {
        Wallet::load_sd_jwt(self, id)
    }

    fn mark_used(&self, id: &str) -> Result<(), WalletError> {
        Wallet::mark_used(self, id)
    }

    fn store(
        &self,
        id: &str,
        doc_type: &str,
        issuer_signed: &[u8],
        device_key: &EcPrivateKey,
    ) -> Result<(), WalletError> {
        Wallet::store(self, id, doc_type, issuer_signed, device_key)
    }

    fn store_sd_jwt(
        &self,
        id: &str,
        vct: &str,
        sd_jwt: &str,
        holder_key: &EcPrivateKey,
    ) -> Result<(), WalletError> {
        Wallet::store_sd_jwt(self, id, vct, sd_jwt, holder_key)
    }
}
