//! Errors of the JPKI-SIM CA, its profiles and their files.

use std::path::PathBuf;

use super::rsa_key::SimKeyError;

/// Why a JPKI-SIM operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A key could not be generated, read or used.
    #[error("key: {0}")]
    Key(#[from] SimKeyError),
    /// A certificate or CRL could not be built (names the part).
    #[error("building {0}")]
    Build(&'static str),
    /// `init` was pointed at a directory that already holds a JPKI CA (or a file it would
    /// write exists): never overwritten.
    #[error("{} already exists (jpki-sim init never overwrites)", .0.display())]
    Exists(PathBuf),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file of the CA or a profile is not what it should be.
    #[error("{}: not a valid {what}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What it should hold.
        what: &'static str,
    },
    /// A card name that is not a plain directory name (ASCII letters, digits, `-`, `_`, at
    /// most 64), or is given twice.
    #[error("card name {0:?} is not a plain unique directory name")]
    BadCardName(String),
    /// No profile of that name under the CA directory.
    #[error("no card profile {0:?} in the CA directory")]
    NoSuchCard(String),
    /// A person's facts cannot go into a certificate (empty name or address, a date the
    /// validity rule cannot place, romaji that is not printable ASCII).
    #[error("person facts: {0}")]
    BadFacts(&'static str),
    /// The random generator failed, or no unused serial could be drawn.
    #[error("random generator: {0}")]
    Random(&'static str),
}

impl SimError {
    /// The error's [`kakunin_core::Cause`].
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            SimError::Key(e) => e.cause(),
            SimError::BadFile { .. } => kakunin_core::Cause::Malformed,
            SimError::Build(_)
            | SimError::Exists(_)
            | SimError::Io { .. }
            | SimError::BadCardName(_)
            | SimError::NoSuchCard(_)
            | SimError::BadFacts(_)
            | SimError::Random(_) => kakunin_core::Cause::Misuse,
        }
    }
}
