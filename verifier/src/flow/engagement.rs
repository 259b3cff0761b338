//! How the reader learned about the mdoc (ISO 18013-5 clause 8.2): from the `mdoc:` URI of a
//! QR code (Handover `null`) or from NFC — a Handover Select read from the card (static
//! handover, `[HS, null]`) or answered to the reader's Handover Request (negotiated handover,
//! `[HS, HR]`). The DeviceEngagementBytes and the Handover feed the SessionTranscript exactly
//! as received (9.1.5.1).

use super::FlowError;
use kakunin_core::cbor::{wrap_tag24, Value};
use kakunin_core::mdoc::DeviceEngagement;
use kakunin_transport::handover::{build_handover_request, nfc_handover, Handover, NfcCarrier};
use kakunin_transport::link::LinkError;
use kakunin_transport::nfc::{NfcReader, Transceive};
use kakunin_transport::nfc_link::nfc_link_error;

/// The engagement a reader flow starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engagement {
    /// A QR code: `mdoc:` + base64url(DeviceEngagement).
    Qr {
        /// The URI as scanned.
        uri: String,
    },
    /// NFC static handover: the Handover Select message read from the card.
    NfcStatic {
        /// The Handover Select NDEF message, as read.
        handover_select: Vec<u8>,
    },
    /// NFC negotiated handover (TNEP): the reader's Handover Request and the card's answer.
    NfcNegotiated {
        /// The Handover Select NDEF message, as read.
        handover_select: Vec<u8>,
        /// The Handover Request NDEF message, as written.
        handover_request: Vec<u8>,
    },
}

/// What the transcript needs from an engagement.
#[derive(Debug, Clone, PartialEq)]
pub struct Engaged {
    /// DeviceEngagementBytes (tag 24 around the DeviceEngagement as received).
    pub device_engagement_bytes: Vec<u8>,
    /// The encoded Handover.
    pub handover: Vec<u8>,
    /// The decoded DeviceEngagement (retrieval methods, EDeviceKey).
    pub device_engagement: DeviceEngagement,
}

impl Engagement {
    /// DeviceEngagementBytes and the Handover for the SessionTranscript.
    pub fn resolve(&self) -> Result<Engaged, FlowError> {
        let (de, handover) = match self {
            Engagement::Qr { uri } => {
                let de = kakunin_transport::qr::parse_engagement_uri(uri).map_err(FlowError::Qr)?;
                (de, vec![0xf6])
            }
            Engagement::NfcStatic { handover_select } => (
                nfc_engagement(handover_select)?,
                nfc_handover(handover_select, None),
            ),
            Engagement::NfcNegotiated {
                handover_select,
                handover_request,
            } => (
                nfc_engagement(handover_select)?,
                nfc_handover(handover_select, Some(handover_request)),
            ),
        };
        let device_engagement = DeviceEngagement::from_bytes(&de).map_err(FlowError::Engagement)?;
        Ok(Engaged {
            device_engagement_bytes: wrap_tag24(&de),
            handover,
            device_engagement,
        })
    }
}

fn nfc_engagement(handover_select: &[u8]) -> Result<Vec<u8>, FlowError> {
    let hs = Handover::parse(handover_select).map_err(FlowError::Handover)?;
    hs.device_engagement.ok_or(FlowError::NoDeviceEngagement)
}

/// The BLE mdoc peripheral server mode service UUID (DeviceRetrievalMethod type 2, option
/// 10) a DeviceEngagement offers, if any.
pub fn ble_peripheral_uuid(engagement: &DeviceEngagement) -> Option<[u8; 16]> {
    engagement
        .device_retrieval_methods
        .iter()
        .filter(|m| m.kind == 2)
        .find_map(|m| match &m.options {
            Value::Map(opts) => opts.iter().find_map(|(k, v)| match (k, v) {
                (Value::Uint(10), Value::Bytes(b)) => <[u8; 16]>::try_from(b.as_slice()).ok(),
                _ => None,
            }),
            _ => None,
        })
}

/// How the reader engages over NFC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NfcHandoverMode {
    /// Read the Handover Select from the card's NDEF file.
    Static,
    /// Negotiate (TNEP): write a Handover Request offering NFC data transfer with these
    /// limits (max command data, max response data).
    Negotiated {
        /// Largest command data field the reader sends.
        max_command_data: u32,
        /// Largest response data field the reader accepts.
        max_response_data: u32,
    },
}

/// Engage over NFC: read or negotiate the handover with the card, returning the
/// [`Engagement`] to start the flow from. The card's mdoc application is selected afterwards
/// by [`kakunin_transport::nfc_link::NfcMessageLink::open`].
pub fn engage_nfc<T: Transceive>(
    reader: &mut NfcReader<T>,
    mode: NfcHandoverMode,
    collision_random: u16,
) -> Result<Engagement, LinkError> {
    match mode {
        NfcHandoverMode::Static => {
            let handover_select = reader
                .read_handover_select()
                .map_err(|e| nfc_link_error(&e))?;
            Ok(Engagement::NfcStatic { handover_select })
        }
        NfcHandoverMode::Negotiated {
            max_command_data,
            max_response_data,
        } => {
            let handover_request = build_handover_request(
                collision_random,
                &NfcCarrier {
                    version: 1,
                    max_command_data: Some(max_command_data),
                    max_response_data: Some(max_response_data),
                },
            )
            .map_err(|_| LinkError::Misuse("Handover Request does not encode"))?;
            let handover_select = reader
                .negotiate_handover(&handover_request)
                .map_err(|e| nfc_link_error(&e))?;
            Ok(Engagement::NfcNegotiated {
                handover_select,
                handover_request,
            })
        }
    }
}
