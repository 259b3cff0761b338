//! Real-I/O adapters: the only code in this crate that touches a socket, PC/SC or a radio.
//! Each sits behind its own cargo feature, so a build without features is sans-IO throughout.
//! They move bytes and nothing else: APDU handling, BLE chunking and reassembly and the
//! session live in the sans-IO modules ([`crate::nfc`], [`crate::ble`], [`crate::session`]).
//!
//! | feature | module | what it is |
//! |---|---|---|
//! | `vpcd` | [`vpcd`] | a virtual contactless card served to pcscd through vsmartcard's vpcd (TCP) |
//! | `pcsc` | [`pcsc`] | the NFC reader side over PC/SC (links libpcsclite) |
//! | `ble-central` | [`ble_central`] | the reader as GATT client over btleplug (mdoc peripheral server mode) |
//! | `ble-peripheral` | [`ble_peripheral`] | the mdoc as GATT server over BlueZ (bluer) |
//! | `ble-central`, `ble-peripheral` | [`radio_link`] | both radios as blocking value pipes, framed into `MessageLink`s |
//! | `ble-sim-socket` | [`ble_socket`] | the simulated BLE radio between two processes: a Unix socket (std only) |

#[cfg(feature = "ble-central")]
pub mod ble_central;
#[cfg(feature = "ble-peripheral")]
pub mod ble_peripheral;
#[cfg(all(unix, feature = "ble-sim-socket"))]
pub mod ble_socket;
#[cfg(feature = "pcsc")]
pub mod pcsc;
#[cfg(any(feature = "ble-central", feature = "ble-peripheral"))]
mod radio;
#[cfg(any(feature = "ble-central", feature = "ble-peripheral"))]
pub mod radio_link;
#[cfg(feature = "vpcd")]
pub mod vpcd;

#[cfg(any(feature = "ble-central", feature = "ble-peripheral"))]
pub use radio::RadioError;
