//! Structure errors: what is wrong with a received 18013-5 structure, and where.

use crate::cbor::CborError;
use crate::cose::{CoseError, CoseKeyError};

/// A received 18013-5 structure is malformed. `path` names the place, e.g.
/// `DeviceResponse.documents[0].issuerSigned.nameSpaces["org.iso.18013.5.1"][2]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MdocError {
    #[error("{path}: invalid CBOR: {source}")]
    Cbor { path: String, source: CborError },
    #[error("{path}: expected {expected}, found {found}")]
    WrongType {
        path: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("{path}: required field is missing")]
    Missing { path: String },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: &'static str },
    #[error("{path}: unsupported version {version:?}")]
    UnsupportedVersion { path: String, version: String },
    #[error("{path}: {source}")]
    Cose { path: String, source: CoseError },
    #[error("{path}: {source}")]
    CoseKey { path: String, source: CoseKeyError },
}

impl MdocError {
    pub fn cause(&self) -> crate::Cause {
        crate::Cause::Malformed
    }

    /// Where the problem is.
    pub fn path(&self) -> &str {
        match self {
            MdocError::Cbor { path, .. }
            | MdocError::WrongType { path, .. }
            | MdocError::Missing { path }
            | MdocError::Invalid { path, .. }
            | MdocError::UnsupportedVersion { path, .. }
            | MdocError::Cose { path, .. }
            | MdocError::CoseKey { path, .. } => path,
        }
    }

    /// The DeviceResponse status code (Table 8) that reports this error: 11 for undecodable
    /// CBOR, 12 for CBOR that decodes but does not match the 18013-5 structure.
    pub fn iso_status(&self) -> u64 {
        match self {
            MdocError::Cbor { .. } => super::STATUS_CBOR_DECODING_ERROR,
            _ => super::STATUS_CBOR_VALIDATION_ERROR,
        }
    }
}
