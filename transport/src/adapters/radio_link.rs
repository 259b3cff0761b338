//! The radios as blocking [`MessageLink`]s: the one proximity seam the reader flow and the
//! holder loop are driven over ([`crate::link`]). Each link owns a current-thread tokio
//! runtime and blocks on the async adapter ([`super::ble_central`], [`super::ble_peripheral`])
//! for every send and receive, so a caller on a plain thread (the CLI, a till session on the
//! server's blocking pool) needs no runtime of its own. Nothing of the protocol is here.

use super::RadioError;
use crate::link::{LinkError, MessageLink};
use std::time::{Duration, Instant};

fn link_error(e: RadioError) -> LinkError {
    match e {
        RadioError::Timeout => LinkError::Timeout,
        RadioError::Closed => LinkError::Closed,
        RadioError::Framing(_) => LinkError::Framing {
            what: "BLE chunk framing",
        },
        _ => LinkError::Io(std::io::ErrorKind::Other),
    }
}

fn until(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

fn runtime() -> Result<tokio::runtime::Runtime, LinkError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LinkError::Io(e.kind()))
}

/// The reader as GATT client on a real radio (btleplug).
#[cfg(feature = "ble-central")]
pub struct CentralLink {
    rt: tokio::runtime::Runtime,
    radio: Option<super::ble_central::Central>,
}

#[cfg(feature = "ble-central")]
impl core::fmt::Debug for CentralLink {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CentralLink")
            .field("open", &self.radio.is_some())
            .finish()
    }
}

#[cfg(feature = "ble-central")]
impl CentralLink {
    /// Scan up to `wait` for the peripheral advertising `uuid`, connect, and start the
    /// transaction (State 0x01).
    pub fn connect(uuid: [u8; 16], mtu: u16, wait: Duration) -> Result<Self, LinkError> {
        let rt = runtime()?;
        let radio = rt
            .block_on(async {
                let radio =
                    super::ble_central::Central::connect(::uuid::Uuid::from_bytes(uuid), mtu, wait)
                        .await?;
                radio.start().await?;
                Ok::<_, RadioError>(radio)
            })
            .map_err(link_error)?;
        Ok(CentralLink {
            rt,
            radio: Some(radio),
        })
    }
}

#[cfg(feature = "ble-central")]
impl MessageLink for CentralLink {
    fn send(&mut self, m: &[u8]) -> Result<(), LinkError> {
        let radio = self.radio.as_ref().ok_or(LinkError::Closed)?;
        self.rt.block_on(radio.send(m)).map_err(link_error)
    }
    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        let radio = self.radio.as_mut().ok_or(LinkError::Closed)?;
        self.rt
            .block_on(radio.receive(until(deadline)))
            .map_err(link_error)
    }
    fn close(&mut self) -> Result<(), LinkError> {
        match self.radio.take() {
            Some(r) => self.rt.block_on(r.end()).map_err(link_error),
            None => Ok(()),
        }
    }
}

/// The holder as GATT server on a real radio (BlueZ).
#[cfg(feature = "ble-peripheral")]
pub struct PeripheralLink {
    rt: tokio::runtime::Runtime,
    radio: super::ble_peripheral::Peripheral,
}

#[cfg(feature = "ble-peripheral")]
impl core::fmt::Debug for PeripheralLink {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PeripheralLink")
    }
}

#[cfg(feature = "ble-peripheral")]
impl PeripheralLink {
    /// Advertise `uuid` (calling `advertising` once it is on air) and wait up to `wait` for
    /// a reader to start the transaction.
    pub fn advertise(
        uuid: [u8; 16],
        mtu: u16,
        wait: Duration,
        advertising: impl FnOnce(),
    ) -> Result<Self, LinkError> {
        let rt = runtime()?;
        let radio = rt
            .block_on(async {
                let mut radio = super::ble_peripheral::Peripheral::advertise(
                    ::uuid::Uuid::from_bytes(uuid),
                    mtu,
                )
                .await?;
                advertising();
                radio.wait_start(wait).await?;
                Ok::<_, RadioError>(radio)
            })
            .map_err(link_error)?;
        Ok(PeripheralLink { rt, radio })
    }
}

#[cfg(feature = "ble-peripheral")]
impl MessageLink for PeripheralLink {
    fn send(&mut self, m: &[u8]) -> Result<(), LinkError> {
        self.rt.block_on(self.radio.send(m)).map_err(link_error)
    }
    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        self.rt
            .block_on(self.radio.receive(until(deadline)))
            .map_err(link_error)
    }
}
