//! The issuer's two secrets in its data directory, generated on first start: the registry
//! secret (`issuer-secret`, 32 random bytes, the HMAC key of [`crate::links`]) and the
//! administration token (`admin-token`, 32 random bytes as hex text). Both files are created
//! 0600 (`O_EXCL`, so two processes starting at once cannot both write one), read back on
//! every later start, never printed.

use crate::links::SECRET_LEN;
use kakunin_core::crypto::CryptoProvider;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// File name of the registry secret in the data directory.
pub const SECRET_FILE: &str = "issuer-secret";
/// File name of the administration token in the data directory.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

/// A secret file could not be created or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file exists but does not hold a secret of the expected form.
    #[error("{path}: {reason}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the content).
        reason: &'static str,
    },
    /// The random generator failed.
    #[error("random generator failed")]
    Random,
}

impl SecretError {
    /// The cause group of this error.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            SecretError::Bad { .. } => kakunin_core::Cause::Malformed,
            _ => kakunin_core::Cause::Misuse,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SecretError + '_ {
    move |source| SecretError::Io {
        path: path.into(),
        source,
    }
}

/// Create `path` with `content`, mode 0600, failing if it exists.
fn create_0600(path: &Path, content: &[u8]) -> Result<(), std::io::Error> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(content)?;
    f.sync_all()
}

/// Read `path`, or create it with `make()` when it does not exist yet.
fn read_or_create(
    path: &Path,
    make: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, SecretError>,
) -> Result<Zeroizing<Vec<u8>>, SecretError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Zeroizing::new(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
            }
            let content = make()?;
            match create_0600(path, &content) {
                Ok(()) => Ok(content),
                // Another process created it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    std::fs::read(path).map(Zeroizing::new).map_err(io(path))
                }
                Err(e) => Err(io(path)(e)),
            }
        }
        Err(e) => Err(io(path)(e)),
    }
}

fn random(crypto: &dyn CryptoProvider) -> Result<Zeroizing<[u8; SECRET_LEN]>, SecretError> {
    let mut b = Zeroizing::new([0u8; SECRET_LEN]);
    crypto
        .fill_random(b.as_mut_slice())
        .map_err(|_| SecretError::Random)?;
    Ok(b)
}

/// The registry secret in `data_dir`, created on first use.
pub fn registry_secret(
    crypto: &dyn CryptoProvider,
    data_dir: &Path,
) -> Result<Zeroizing<[u8; SECRET_LEN]>, SecretError> {
    let path = data_dir.join(SECRET_FILE);
    let bytes = read_or_create(&path, || Ok(Zeroizing::new(random(crypto)?.to_vec())))?;
    let mut out = Zeroizing::new([0u8; SECRET_LEN]);
    if bytes.len() != SECRET_LEN {
        return Err(SecretError::Bad {
            path,
            reason: "the registry secret is not 32 bytes",
        });
    }
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// The administration token in `data_dir` (hex text), created on first use.
pub fn admin_token(
    crypto: &dyn CryptoProvider,
    data_dir: &Path,
) -> Result<Zeroizing<String>, SecretError> {
    let path = data_dir.join(ADMIN_TOKEN_FILE);
    let bytes = read_or_create(&path, || {
        Ok(Zeroizing::new(
            format!("{}\n", hex::encode(random(crypto)?.as_slice())).into_bytes(),
        ))
    })?;
    token_from_bytes(&path, &bytes)
}

/// A token file's content: its first line, trimmed, at least 16 characters.
pub fn token_from_bytes(path: &Path, bytes: &[u8]) -> Result<Zeroizing<String>, SecretError> {
    let text = std::str::from_utf8(bytes).map_err(|_| SecretError::Bad {
        path: path.into(),
        reason: "the token is not UTF-8 text",
    })?;
    let token = text.lines().next().unwrap_or_default().trim();
    if token.len() < 16 {
        return Err(SecretError::Bad {
            path: path.into(),
            reason: "the token is shorter than 16 characters",
        });
    }
    Ok(Zeroizing::new(token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::crypto::default_provider;

    #[test]
    fn created_once_0600_and_read_back() {
        let d = tempfile::tempdir().unwrap();
        let c = default_provider();
        let s1 = registry_secret(c, d.path()).unwrap();
        let s2 = registry_secret(c, d.path()).unwrap();
        assert_eq!(*s1, *s2);
        let t1 = admin_token(c, d.path()).unwrap();
        assert_eq!(t1.len(), 64);
        assert_eq!(*t1, *admin_token(c, d.path()).unwrap());
        #[cfg(unix)]
        for f in [SECRET_FILE, ADMIN_TOKEN_FILE] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
        std::fs::write(d.path().join("short"), "abc").unwrap();
        assert!(token_from_bytes(&d.path().join("short"), b"abc").is_err());
    }
}
