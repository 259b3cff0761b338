//! The command line's I/O adapters for the one proximity seam
//! ([`kakunin_transport::link::MessageLink`]), all from kakunin-transport: the simulated BLE
//! radio between two processes (a Unix socket, [`kakunin_transport::adapters::ble_socket`])
//! and the real radios (btleplug central, BlueZ peripheral) behind the `ble` feature
//! ([`kakunin_transport::adapters::radio_link`]). Protocol code lives in the flow and the
//! holder loop, never here.

pub(crate) use kakunin_transport::adapters::ble_socket::{sim_socket, SocketPipe};

/// The radios chunk for the simulated radio's MTU (safe for current phones).
#[cfg(feature = "ble")]
pub(crate) use kakunin_transport::adapters::ble_socket::SIM_MTU;
#[cfg(feature = "ble")]
pub(crate) use kakunin_transport::adapters::radio_link::{CentralLink, PeripheralPipe};
