//! The command line's error and its exit code.
//!
//! Exit codes (also in `kakunin --help` and the README):
//! - 0: done; for the verify commands, the input verified;
//! - 1: a verify command ran and the input did not verify (or a vector failed);
//! - 2: usage or input error: the command line, or a file it names, is wrong (fix the
//!   invocation);
//! - 3: the command was right but failed while running: a session, a radio, a card, the
//!   wallet's storage, writing an output file, the random generator or a signature
//!   ([`CliError::Session`], [`CliError::Write`] and the runtime cases of the library errors).

use crate::input::InputError;
use std::fmt::Display;

/// Exit code for a usage or input error.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code for a failure while running (session, radio, card, storage, crypto).
pub(crate) const EXIT_RUNTIME: u8 = 3;

/// Why a command stopped; [`CliError::exit_code`] tells usage errors from runtime failures.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// An input file could not be read or parsed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The test PKI could not be made, written or loaded.
    #[error(transparent)]
    Pki(#[from] kakunin_issuer::PkiError),
    /// The claims file is invalid.
    #[error(transparent)]
    Claims(#[from] kakunin_issuer::ClaimError),
    /// mdoc issuance failed.
    #[error(transparent)]
    Issue(#[from] kakunin_issuer::IssueError),
    /// The wallet's storage failed.
    #[error(transparent)]
    Wallet(#[from] kakunin_holder_sim::WalletError),
    /// The holder could not answer.
    #[error(transparent)]
    Holder(#[from] kakunin_holder_sim::HolderError),
    /// The command line is wrong (exit 2). Runtime failures are [`CliError::Session`].
    #[error("{0}")]
    Usage(String),
    /// Something failed while the command ran: a session, a radio, a card, a key
    /// generation or signature (exit 3). Build it with [`CliError::session`].
    #[error("{context}: {message}")]
    Session {
        /// What was being done (`BLE`, `NFC`, `readerAuth`, `key generation`).
        context: String,
        /// The failure, as its Display text.
        message: String,
    },
    /// An output file could not be written (exit 3).
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The till server failed: its configuration or a file it names is wrong (exit 2), or
    /// it failed while running — listening, the audit database, the demo (exit 3).
    #[error("till: {0}")]
    Till(#[from] kakunin_verifier_server::ServerError),
    /// An input file is readable but its content is wrong (exit 2).
    #[error("{path}: {reason}")]
    BadInput {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl CliError {
    /// A runtime failure (exit 3) while doing `context`, e.g.
    /// `.map_err(|e| CliError::session("BLE", e))`.
    pub(crate) fn session(context: impl Into<String>, err: impl Display) -> CliError {
        CliError::Session {
            context: context.into(),
            message: err.to_string(),
        }
    }

    /// A closure for `map_err` that makes a [`CliError::Session`] for `context`:
    /// `.map_err(CliError::session_in("NFC"))`.
    pub(crate) fn session_in<E: Display>(context: &str) -> impl Fn(E) -> CliError + Copy + '_ {
        move |e| CliError::session(context, e)
    }

    /// The process exit code: [`EXIT_USAGE`] when the invocation or its inputs are wrong,
    /// [`EXIT_RUNTIME`] when running failed.
    pub(crate) fn exit_code(&self) -> u8 {
        use kakunin_holder_sim::HolderError;
        use kakunin_issuer::{IssueError, PkiError};
        match self {
            CliError::Input(_) | CliError::Claims(_) | CliError::Usage(_) => EXIT_USAGE,
            CliError::BadInput { .. } => EXIT_USAGE,
            CliError::Session { .. } | CliError::Write { .. } | CliError::Wallet(_) => EXIT_RUNTIME,
            CliError::Pki(e) => match e {
                PkiError::Io { .. } | PkiError::Build(_) => EXIT_RUNTIME,
                _ => EXIT_USAGE,
            },
            CliError::Issue(e) => match e {
                IssueError::Crypto(_) | IssueError::Cose(_) => EXIT_RUNTIME,
                _ => EXIT_USAGE,
            },
            CliError::Till(e) => {
                use kakunin_verifier_server::ServerError as S;
                match e {
                    S::Read { .. }
                    | S::Config { .. }
                    | S::Invalid(_)
                    | S::Certificate { .. }
                    | S::Key { .. } => EXIT_USAGE,
                    _ => EXIT_RUNTIME,
                }
            }
            CliError::Holder(e) => match e {
                // The transcript file given on the command line is malformed or lacks the
                // reader's key: an input error.
                HolderError::Transcript(_) | HolderError::MacKey(_) => EXIT_USAGE,
                // A fault profile asked for where it cannot act (wrong layer, no DS key).
                HolderError::Fault(f) if f.cause() == kakunin_core::Cause::Misuse => EXIT_USAGE,
                _ => EXIT_RUNTIME,
            },
        }
    }
}

/// Write `bytes` to `path` (mode 0644 on unix, subject to the umask); a failure is a
/// [`CliError::Write`]. Private keys go through [`write_secret_file`].
pub(crate) fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Write a secret (a private key) to a new file readable by its owner only: created with
/// mode 0600 on unix (never widened by the umask, never an existing file re-used, so no
/// window where it is world-readable).
pub(crate) fn write_secret_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let err = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut f = options.open(path).map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    f.sync_all().map_err(err)
}

/// A JSON file, or a [`CliError::BadInput`] naming it.
pub(crate) fn read_json(path: &std::path::Path) -> Result<serde_json::Value, CliError> {
    serde_json::from_slice(&crate::input::read_file(path)?).map_err(|e| CliError::BadInput {
        path: path.into(),
        reason: format!("not JSON: {e}"),
    })
}

/// An EC public key from a JWK, or a [`CliError::BadInput`] naming the file it came from.
pub(crate) fn jwk_key(
    jwk: &serde_json::Value,
    path: &std::path::Path,
) -> Result<kakunin_core::crypto::EcPublicKey, CliError> {
    kakunin_core::sdjwt::jwk_to_key(jwk).map_err(|e| CliError::BadInput {
        path: path.into(),
        reason: e.to_string(),
    })
}
