//! The server's typed errors, grouped by cause like the library crates' errors.

use std::path::PathBuf;

/// Why the server could not start, or an operation outside a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A file named by the configuration or a flag could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML or has unknown or mistyped keys.
    #[error("{path}: {message}")]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// The parser's message (line and column included).
        message: String,
    },
    /// The configuration is well-formed but cannot be served as it stands.
    #[error("configuration: {0}")]
    Invalid(String),
    /// A trust-anchor certificate could not be used.
    #[error("{path}: {source}")]
    Certificate {
        /// The certificate file.
        path: PathBuf,
        /// Why it was refused.
        source: kakunin_core::trust::TrustError,
    },
    /// The reader private key could not be imported.
    #[error("{path}: {source}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why it was refused.
        source: kakunin_core::crypto::KeyImportError,
    },
    /// The audit database failed.
    #[error("audit store: {0}")]
    Audit(#[from] crate::audit::AuditError),
    /// Listening or serving failed.
    #[error("listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The demo customers could not be prepared.
    #[error("demo: {0}")]
    Demo(String),
}

impl ServerError {
    /// The cause group (kakunin_core::Cause) this error belongs to.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            ServerError::Read { .. }
            | ServerError::Config { .. }
            | ServerError::Invalid(_)
            | ServerError::Listen { .. }
            | ServerError::Demo(_) => kakunin_core::Cause::Misuse,
            ServerError::Certificate { source, .. } => source.cause(),
            ServerError::Key { source, .. } => source.cause(),
            ServerError::Audit(_) => kakunin_core::Cause::Misuse,
        }
    }
}
