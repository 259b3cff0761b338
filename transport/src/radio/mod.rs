//! Real BLE radios for 18013-5 data transfer in mdoc peripheral server mode: the reader as
//! GATT client through btleplug (`ble-central`) and the mdoc as GATT server through BlueZ
//! (`ble-peripheral`). They only move characteristic values; chunking, reassembly and the
//! session are the sans-IO code in [`crate::ble`] and [`crate::session`].
//!
//! These need a Bluetooth controller, which CI machines do not have: CI builds them, and
//! docs/proximity.md says how to run them on real radios.

#[cfg(feature = "ble-central")]
pub mod central;
#[cfg(feature = "ble-peripheral")]
pub mod peripheral;

/// A radio adapter failed.
#[derive(Debug, thiserror::Error)]
pub enum RadioError {
    #[error("Bluetooth: {0}")]
    Bluetooth(String),
    #[error("no Bluetooth adapter")]
    NoAdapter,
    #[error("no device advertising the service within the time allowed")]
    NotFound,
    #[error("the peer does not offer characteristic {0}")]
    MissingCharacteristic(&'static str),
    #[error("BLE framing: {0}")]
    Framing(#[from] crate::ble::BleError),
    #[error("the link closed")]
    Closed,
    #[error("timed out waiting for the peer")]
    Timeout,
}

/// Parse one of the characteristic UUID constants.
#[cfg(any(feature = "ble-central", feature = "ble-peripheral"))]
pub(crate) fn uuid(s: &'static str) -> uuid::Uuid {
    uuid::Uuid::parse_str(s).unwrap_or_else(|_| unreachable!("UUID constants are valid"))
}
