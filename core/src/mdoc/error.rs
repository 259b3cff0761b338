//! Structure errors: what is wrong with a received 18013-5 structure, and where.
//!
//! Every reason is a typed value ([`Expected`], [`InvalidReason`]) a caller can match, and
//! renders as plain English; the `path` says where in the structure it was found.

use crate::cbor::{CborError, CborType};
use crate::cose::{CoseError, CoseKeyError};

/// A received 18013-5 structure is malformed. `path` names the place, e.g.
/// `DeviceResponse.documents[0].issuerSigned.nameSpaces["org.iso.18013.5.1"][2]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MdocError {
    /// The bytes are not well-formed CBOR (maps to DeviceResponse status 11, Table 8).
    #[error("{path}: invalid CBOR: {source}")]
    Cbor {
        /// Where the undecodable bytes are.
        path: String,
        /// What the decoder found.
        source: CborError,
    },
    /// An item has a different CBOR type than the CDDL of 18013-5 prescribes.
    #[error("{path}: expected {expected}, found {found}")]
    WrongType {
        /// Where the item is.
        path: String,
        /// What the CDDL asks for.
        expected: Expected,
        /// The type received.
        found: CborType,
    },
    /// A required field is absent.
    #[error("{path}: required field is missing")]
    Missing {
        /// The missing field, e.g. `DeviceResponse.version`.
        path: String,
    },
    /// The item has the right type but breaks a rule of 18013-5.
    #[error("{path}: {reason}")]
    Invalid {
        /// Where the offending item is.
        path: String,
        /// Which rule it breaks.
        reason: InvalidReason,
    },
    /// A `version` this implementation does not speak (only "1.x" is accepted).
    #[error("{path}: unsupported version {version:?}")]
    UnsupportedVersion {
        /// Where the version field is.
        path: String,
        /// The version received (printed escaped: it is the sender's text).
        version: String,
    },
    /// An embedded COSE_Sign1 or COSE_Mac0 could not be parsed.
    #[error("{path}: {source}")]
    Cose {
        /// Where the COSE structure is.
        path: String,
        /// What is wrong with it.
        source: CoseError,
    },
    /// An embedded COSE_Key could not be parsed.
    #[error("{path}: {source}")]
    CoseKey {
        /// Where the COSE_Key is.
        path: String,
        /// What is wrong with it.
        source: CoseKeyError,
    },
}

/// What the 18013-5 CDDL expects at a place where something else was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expected {
    /// One specific CBOR type.
    Type(CborType),
    /// An integer of either sign (`int`).
    Int,
    /// `#6.24(bstr .cbor X)`, an embedded encoded item.
    Tag24,
    /// A `tdate` (tag 0) or, leniently, an epoch time (tag 1).
    Tdate,
}

impl core::fmt::Display for Expected {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Expected::Type(t) => t.fmt(f),
            Expected::Int => f.write_str("int"),
            Expected::Tag24 => f.write_str("tag 24 (encoded CBOR)"),
            Expected::Tdate => f.write_str("tdate (tag 0)"),
        }
    }
}

/// Which rule of ISO 18013-5 a well-typed item breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidReason {
    /// A tagged item carries another tag than the one required (24 for encoded CBOR,
    /// 0 or 1 for a `tdate`).
    WrongTag {
        /// The tag required here.
        expected: u64,
        /// The tag received.
        found: u64,
    },
    /// Tag 24 wraps something other than a byte string.
    Tag24NotBstr {
        /// The type inside the tag.
        found: CborType,
    },
    /// Tag 24 wraps an indefinite-length byte string, whose bytes as received cannot be
    /// the hashed encoding.
    Tag24Indefinite,
    /// A `tdate` that is not RFC 3339 date-time text.
    BadTdate,
    /// An epoch time (tag 1) outside the representable range.
    EpochOutOfRange,
    /// An array of a fixed shape with the wrong number of elements.
    WrongLength {
        /// The number of elements required.
        expected: usize,
        /// The number received.
        found: usize,
    },
    /// An array with fewer elements than its shape requires.
    TooShort {
        /// The least number of elements required.
        min: usize,
        /// The number received.
        found: usize,
    },
    /// A cipher suite other than 1, the only one 18013-5 defines (clause 9.1.5.2).
    UnsupportedCipherSuite(i64),
    /// DeviceEngagement keys 5 (OriginInfos) or 6 (Capabilities) in a version "1.0"
    /// engagement; they require "1.1".
    SecondEditionKeysInVersion10,
    /// `digestAlgorithm` is not SHA-256, SHA-384 or SHA-512 (clause 9.1.2.5).
    UnsupportedDigestAlgorithm(String),
    /// A value digest whose length does not match `digestAlgorithm`.
    DigestLength {
        /// The length of the algorithm's output.
        expected: usize,
        /// The length received.
        found: usize,
    },
    /// `validUntil` is before `validFrom` (clause 9.1.2.4).
    ValidityInverted,
    /// A namespace listed in both `keyAuthorizations.nameSpaces` and `dataElements`
    /// (clause 9.1.2.4 forbids it).
    NamespaceAuthorizedTwice,
    /// An IssuerNameSpaces entry with no items (the CDDL requires `+ IssuerSignedItemBytes`).
    EmptyNamespace,
    /// issuerAuth has a detached payload where the MobileSecurityObjectBytes must be.
    MissingMsoPayload,
    /// DeviceAuth holds both `deviceSignature` and `deviceMac`; it must hold exactly one.
    BothSignatureAndMac,
    /// DeviceAuth holds neither `deviceSignature` nor `deviceMac`.
    NoDeviceAuth,
    /// SessionData with neither `data` nor `status` (clause 9.1.1.4).
    EmptySessionData,
    /// A collection over its named cap ([`super::limits`]).
    TooMany {
        /// Which collection.
        what: super::Collection,
        /// Its cap.
        max: usize,
    },
}

impl core::fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            InvalidReason::WrongTag { expected, found } => {
                write!(f, "expected tag {expected}, found tag {found}")
            }
            InvalidReason::Tag24NotBstr { found } => {
                write!(f, "tag 24 must hold a byte string, found {found}")
            }
            InvalidReason::Tag24Indefinite => {
                f.write_str("tag 24 content must be a definite-length byte string")
            }
            InvalidReason::BadTdate => f.write_str("tdate is not RFC 3339 date-time text"),
            InvalidReason::EpochOutOfRange => f.write_str("epoch time out of range"),
            InvalidReason::WrongLength { expected, found } => {
                write!(f, "must have {expected} elements, has {found}")
            }
            InvalidReason::TooShort { min, found } => {
                write!(f, "must have at least {min} elements, has {found}")
            }
            InvalidReason::UnsupportedCipherSuite(n) => {
                write!(f, "cipher suite {n} is not supported (must be 1)")
            }
            InvalidReason::SecondEditionKeysInVersion10 => {
                f.write_str("keys 5/6 (OriginInfos/Capabilities) require version 1.1")
            }
            InvalidReason::UnsupportedDigestAlgorithm(name) => {
                write!(
                    f,
                    "digest algorithm {name:?} is not SHA-256, SHA-384 or SHA-512"
                )
            }
            InvalidReason::DigestLength { expected, found } => write!(
                f,
                "digest is {found} bytes, digestAlgorithm gives {expected}"
            ),
            InvalidReason::ValidityInverted => f.write_str("validUntil is before validFrom"),
            InvalidReason::NamespaceAuthorizedTwice => {
                f.write_str("namespace is also listed in keyAuthorizations.nameSpaces")
            }
            InvalidReason::EmptyNamespace => f.write_str("namespace has no items"),
            InvalidReason::MissingMsoPayload => {
                f.write_str("payload (MobileSecurityObjectBytes) is missing")
            }
            InvalidReason::BothSignatureAndMac => {
                f.write_str("has both deviceSignature and deviceMac")
            }
            InvalidReason::NoDeviceAuth => f.write_str("has neither deviceSignature nor deviceMac"),
            InvalidReason::EmptySessionData => f.write_str("has neither data nor status"),
            InvalidReason::TooMany { what, max } => write!(f, "more than {max} {what}"),
        }
    }
}

impl MdocError {
    /// Always [`crate::Cause::Malformed`]: a structure error is the sender's fault.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdoc::DeviceResponse;

    /// Errors built by the decoders carry typed reasons and print plain English with the path.
    #[test]
    fn typed_reasons_and_readable_text() {
        // {"version": "1.0", "status": 0, "documents": 5}
        let mut e = crate::cbor::Encoder::new();
        e.map(3)
            .text("version")
            .text("1.0")
            .text("status")
            .uint(0)
            .text("documents")
            .uint(5);
        let err = DeviceResponse::from_bytes(&e.into_bytes()).unwrap_err();
        assert_eq!(
            err,
            MdocError::WrongType {
                path: "DeviceResponse.documents".into(),
                expected: Expected::Type(CborType::Array),
                found: CborType::Uint,
            }
        );
        assert_eq!(
            err.to_string(),
            "DeviceResponse.documents: expected array, found uint"
        );

        let err = crate::session::SessionData::from_bytes(&[0xa0]).unwrap_err();
        assert!(matches!(
            err,
            MdocError::Invalid {
                reason: InvalidReason::EmptySessionData,
                ..
            }
        ));
        assert_eq!(err.to_string(), "SessionData: has neither data nor status");

        // Trailing bytes: the CBOR kind is shown in words, not as `TrailingBytes { count: 1 }`.
        let err = crate::session::SessionData::from_bytes(&[0xa0, 0x00]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "SessionData: invalid CBOR: CBOR: 1 trailing byte(s) after the item at byte 1"
        );
        assert_eq!(err.iso_status(), crate::mdoc::STATUS_CBOR_DECODING_ERROR);
    }

    #[test]
    fn tag24_reasons() {
        // SessionEstablishment with eReaderKey = tag 25 and = tag 24 around a uint.
        for (tag_and_inner, reason) in [
            (
                vec![0xd8, 0x19, 0x41, 0xa0],
                InvalidReason::WrongTag {
                    expected: 24,
                    found: 25,
                },
            ),
            (
                vec![0xd8, 0x18, 0x01],
                InvalidReason::Tag24NotBstr {
                    found: CborType::Uint,
                },
            ),
        ] {
            let mut e = crate::cbor::Encoder::new();
            e.map(2)
                .text("eReaderKey")
                .raw(&tag_and_inner)
                .text("data")
                .bytes(b"x");
            let err =
                crate::session::SessionEstablishment::from_bytes(&e.into_bytes()).unwrap_err();
            assert_eq!(
                err,
                MdocError::Invalid {
                    path: "SessionEstablishment.eReaderKey".into(),
                    reason
                }
            );
        }
    }
}
