//! Kakunin transport: how ISO/IEC 18013-5 session bytes get from one device to the other.
//!
//! Everything compiled by default is sans-IO: device engagement (QR `mdoc:` URI, NFC NDEF
//! handover, clause 8.2), the mdoc and reader session state machines (9.1.1), and BLE / NFC
//! framing (8.3.3). They take bytes and return bytes and events, and never touch a socket,
//! a card reader or a radio.
//!
//! The real-I/O adapters are in [`adapters`], each behind a cargo feature: `vpcd` (a virtual
//! card served to pcscd over TCP), `pcsc` (the NFC reader over PC/SC), `ble-central`
//! (btleplug) and `ble-peripheral` (BlueZ). Without features, [`adapters`] is empty.
#![forbid(unsafe_code)]

pub mod adapters;
pub mod apdu;
pub mod ble;
pub mod ble_link;
pub mod ble_sim;
pub mod handover;
pub mod link;
pub mod ndef;
pub mod nfc;
pub mod nfc_link;
pub mod qr;
pub mod session;

#[cfg(test)]
mod session_tests;

#[cfg(test)]
mod ble_sim_tests;

#[cfg(test)]
mod nfc_tests;
