//! The command line's error: anything that makes a command exit with code 2.

use crate::input::InputError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Pki(#[from] kakunin_issuer::PkiError),
    #[error(transparent)]
    Claims(#[from] kakunin_issuer::ClaimError),
    #[error(transparent)]
    Issue(#[from] kakunin_issuer::IssueError),
    #[error(transparent)]
    Wallet(#[from] kakunin_holder_sim::WalletError),
    #[error(transparent)]
    Holder(#[from] kakunin_holder_sim::HolderError),
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    BadInput {
        path: std::path::PathBuf,
        reason: String,
    },
}

pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// A JSON file, or a [`CliError::BadInput`] naming it.
pub fn read_json(path: &std::path::Path) -> Result<serde_json::Value, CliError> {
    serde_json::from_slice(&crate::input::read_file(path)?).map_err(|e| CliError::BadInput {
        path: path.into(),
        reason: format!("not JSON: {e}"),
    })
}

/// An EC public key from a JWK, or a [`CliError::BadInput`] naming the file it came from.
pub fn jwk_key(
    jwk: &serde_json::Value,
    path: &std::path::Path,
) -> Result<kakunin_core::crypto::EcPublicKey, CliError> {
    kakunin_core::sdjwt::jwk_to_key(jwk).map_err(|e| CliError::BadInput {
        path: path.into(),
        reason: e.to_string(),
    })
}
