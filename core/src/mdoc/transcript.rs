//! SessionTranscript (clause 9.1.5.1) and the authentication payloads built on it:
//! DeviceAuthentication (9.1.3.4) and ReaderAuthentication (9.1.4.4).

use super::fields::{array, decode_top, invalid, tag24};
use super::{InvalidReason, MdocError};
use crate::cbor::{wrap_tag24, Encoder, Item};

/// A SessionTranscript, kept as received: `[DeviceEngagementBytes, EReaderKeyBytes, Handover]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTranscript {
    /// The bare array encoding (what is embedded in DeviceAuthentication).
    bare: Vec<u8>,
    /// `#6.24(bstr .cbor SessionTranscript)` (what is hashed into the session salt).
    tagged: Vec<u8>,
}

impl SessionTranscript {
    /// Accept either the bare array or the tag-24-wrapped SessionTranscriptBytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MdocError> {
        let top = decode_top(bytes, "SessionTranscript")?;
        if top.as_tag().is_some() {
            let inner = tag24(&top, "SessionTranscriptBytes")?;
            Self::check_shape(&inner)?;
            Ok(SessionTranscript {
                bare: inner.raw().to_vec(),
                tagged: bytes.to_vec(),
            })
        } else {
            Self::check_shape(&top)?;
            Ok(SessionTranscript {
                bare: bytes.to_vec(),
                tagged: wrap_tag24(bytes),
            })
        }
    }

    /// Build from its three parts, each already encoded.
    ///
    /// `device_engagement_bytes` and `e_reader_key_bytes` are the tag-24 items as exchanged;
    /// `handover` is the encoded Handover (`null` for QR, `[HS, HR/null]` for NFC).
    pub fn build(
        device_engagement_bytes: &[u8],
        e_reader_key_bytes: &[u8],
        handover: &[u8],
    ) -> Self {
        let mut e = Encoder::new();
        e.array(3)
            .raw(device_engagement_bytes)
            .raw(e_reader_key_bytes)
            .raw(handover);
        let bare = e.into_bytes();
        let tagged = wrap_tag24(&bare);
        SessionTranscript { bare, tagged }
    }

    fn check_shape(item: &Item<'_>) -> Result<(), MdocError> {
        let a = array(item, "SessionTranscript")?;
        if a.len() != 3 {
            return Err(invalid(
                "SessionTranscript",
                InvalidReason::WrongLength {
                    expected: 3,
                    found: a.len(),
                },
            ));
        }
        Ok(())
    }

    /// The bare SessionTranscript array bytes.
    pub fn bare_bytes(&self) -> &[u8] {
        &self.bare
    }

    /// SessionTranscriptBytes (`#6.24`-wrapped), the input to the session-key salt.
    pub fn tagged_bytes(&self) -> &[u8] {
        &self.tagged
    }

    /// The EReaderKeyBytes element (index 1), as encoded.
    pub fn e_reader_key_bytes(&self) -> Result<Vec<u8>, MdocError> {
        self.element(1)
    }

    /// The DeviceEngagementBytes element (index 0), as encoded.
    pub fn device_engagement_bytes(&self) -> Result<Vec<u8>, MdocError> {
        self.element(0)
    }

    /// The Handover element (index 2), as encoded.
    pub fn handover_bytes(&self) -> Result<Vec<u8>, MdocError> {
        self.element(2)
    }

    fn element(&self, index: usize) -> Result<Vec<u8>, MdocError> {
        let top = decode_top(&self.bare, "SessionTranscript")?;
        let a = array(&top, "SessionTranscript")?;
        a.get(index).map(|i| i.raw().to_vec()).ok_or_else(|| {
            invalid(
                "SessionTranscript",
                InvalidReason::WrongLength {
                    expected: 3,
                    found: a.len(),
                },
            )
        })
    }
}

/// `DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript,
/// DocType, DeviceNameSpacesBytes])`, the detached payload of DeviceSignature and DeviceMac.
pub fn device_authentication_bytes(
    transcript: &SessionTranscript,
    doc_type: &str,
    device_name_spaces_bytes: &[u8],
) -> Vec<u8> {
    let mut e = Encoder::with_capacity(transcript.bare.len() + device_name_spaces_bytes.len() + 64);
    e.array(4)
        .text("DeviceAuthentication")
        .raw(&transcript.bare)
        .text(doc_type)
        .raw(device_name_spaces_bytes);
    wrap_tag24(&e.into_bytes())
}

/// `ReaderAuthenticationBytes = #6.24(bstr .cbor ["ReaderAuthentication", SessionTranscript,
/// ItemsRequestBytes])`, the detached payload of readerAuth.
pub fn reader_authentication_bytes(
    transcript: &SessionTranscript,
    items_request_bytes: &[u8],
) -> Vec<u8> {
    let mut e = Encoder::with_capacity(transcript.bare.len() + items_request_bytes.len() + 32);
    e.array(3)
        .text("ReaderAuthentication")
        .raw(&transcript.bare)
        .raw(items_request_bytes);
    wrap_tag24(&e.into_bytes())
}
