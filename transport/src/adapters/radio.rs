//! What the two BLE radio adapters share: their error type and the UUID parsing of the
//! characteristic constants. The adapters serve 18013-5 data transfer in mdoc peripheral
//! server mode: the reader as GATT client through btleplug ([`super::ble_central`]) and the
//! mdoc as GATT server through BlueZ ([`super::ble_peripheral`]). They only move
//! characteristic values; chunking, reassembly and the session are the sans-IO code in
//! [`crate::ble`] and [`crate::session`].
//!
//! These need a Bluetooth controller, which CI machines do not have: CI builds them, and
//! docs/proximity.md says how to run them on real radios.

/// A radio adapter failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RadioError {
    /// The local Bluetooth stack (btleplug or BlueZ) reported an error; its own message, as
    /// the stack printed it (local, not peer-controlled text).
    #[error("Bluetooth: {0}")]
    Bluetooth(String),
    /// The host has no Bluetooth adapter.
    #[error("no Bluetooth adapter")]
    NoAdapter,
    /// Scanning found no device advertising the engagement's service UUID in time.
    #[error("no device advertising the service within the time allowed")]
    NotFound,
    /// The peer's GATT service lacks one of the clause 8.3.3.1.1 characteristics (its UUID).
    #[error("the peer does not offer characteristic {0}")]
    MissingCharacteristic(&'static str),
    /// The peer ended the transaction (State 0x02) or the link went away.
    #[error("the link closed")]
    Closed,
    /// The peer sent nothing within the deadline.
    #[error("timed out waiting for the peer")]
    Timeout,
}

/// Parse one of the characteristic UUID constants.
pub(crate) fn uuid(s: &'static str) -> uuid::Uuid {
    uuid::Uuid::parse_str(s).unwrap_or_else(|_| unreachable!("UUID constants are valid"))
}
