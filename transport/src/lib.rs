//! Kakunin transport: how ISO/IEC 18013-5 session bytes get from one device to the other.
//!
//! Everything here is sans-IO: device engagement (QR `mdoc:` URI, NFC NDEF handover, clause
//! 8.2), the mdoc and reader session state machines (9.1.1), and BLE / NFC framing (8.3.3).
//! They take bytes and return bytes and events; radios and PC/SC are thin adapters outside.
#![forbid(unsafe_code)]

pub mod apdu;
pub mod ble;
pub mod ble_link;
pub mod ble_sim;
pub mod handover;
pub mod link;
pub mod ndef;
pub mod nfc;
pub mod nfc_link;
#[cfg(feature = "pcsc")]
pub mod pcsc_reader;
pub mod qr;
pub mod radio;
pub mod session;
pub mod vpcd;

#[cfg(test)]
mod session_tests;

#[cfg(test)]
mod ble_sim_tests;

#[cfg(test)]
mod nfc_tests;
