//! The radios as blocking [`ValuePipe`]s, framed into the one proximity seam the reader flow
//! and the holder loop are driven over ([`crate::link::MessageLink`]) by the shared
//! [`BleFramedLink`], exactly as the simulated radio is. Each pipe owns a current-thread
//! tokio runtime and blocks on the async adapter ([`super::ble_central`],
//! [`super::ble_peripheral`]) for every value, so a caller on a plain thread (the CLI, a till
//! session on the server's blocking pool) needs no runtime of its own. Because the real radio
//! is a value pipe like the simulated one, whatever wraps a pipe (the holder simulator's BLE
//! fault profiles) works on both. Nothing of the protocol is here.

use super::RadioError;
use crate::ble_link::{BleFramedLink, ValuePipe};
use crate::link::LinkError;
use std::time::{Duration, Instant};

fn link_error(e: RadioError) -> LinkError {
    match e {
        RadioError::Timeout => LinkError::Timeout,
        RadioError::Closed => LinkError::Closed,
        _ => LinkError::Io(std::io::ErrorKind::Other),
    }
}

/// What is left of the time until `deadline`; [`LinkError::Timeout`] once none is.
fn until(deadline: Instant) -> Result<Duration, LinkError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(LinkError::Timeout);
    }
    Ok(left)
}

fn runtime() -> Result<tokio::runtime::Runtime, LinkError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LinkError::Io(e.kind()))
}

/// The reader as GATT client on a real radio (btleplug): Client2Server writes out,
/// Server2Client notifications in.
#[cfg(feature = "ble-central")]
pub struct CentralPipe {
    rt: tokio::runtime::Runtime,
    radio: Option<super::ble_central::Central>,
    mtu: u16,
}

#[cfg(feature = "ble-central")]
impl core::fmt::Debug for CentralPipe {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CentralPipe")
            .field("open", &self.radio.is_some())
            .field("mtu", &self.mtu)
            .finish()
    }
}

#[cfg(feature = "ble-central")]
impl CentralPipe {
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
        Ok(CentralPipe {
            rt,
            radio: Some(radio),
            mtu,
        })
    }

    /// The ATT MTU the values are cut for.
    pub fn mtu(&self) -> u16 {
        self.mtu
    }

    /// Framed for session messages at this pipe's MTU.
    pub fn framed(self) -> Result<CentralLink, LinkError> {
        let mtu = self.mtu;
        BleFramedLink::new(self, mtu)
    }
}

#[cfg(feature = "ble-central")]
impl ValuePipe for CentralPipe {
    fn send_value(&mut self, value: &[u8]) -> Result<(), LinkError> {
        let radio = self.radio.as_ref().ok_or(LinkError::Closed)?;
        self.rt
            .block_on(radio.write_value(value))
            .map_err(link_error)
    }

    fn receive_value(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        let left = until(deadline)?;
        let radio = self.radio.as_mut().ok_or(LinkError::Closed)?;
        self.rt.block_on(radio.next_value(left)).map_err(link_error)
    }

    /// Write State 0x02 and disconnect.
    fn close_pipe(&mut self) -> Result<(), LinkError> {
        match self.radio.take() {
            Some(r) => self.rt.block_on(r.end()).map_err(link_error),
            None => Ok(()),
        }
    }
}

/// The reader's session link on a real radio.
#[cfg(feature = "ble-central")]
pub type CentralLink = BleFramedLink<CentralPipe>;

#[cfg(feature = "ble-central")]
impl BleFramedLink<CentralPipe> {
    /// [`CentralPipe::connect`], framed.
    pub fn connect(uuid: [u8; 16], mtu: u16, wait: Duration) -> Result<Self, LinkError> {
        CentralPipe::connect(uuid, mtu, wait)?.framed()
    }
}

/// The holder as GATT server on a real radio (BlueZ): Client2Server writes in,
/// Server2Client notifications out.
#[cfg(feature = "ble-peripheral")]
pub struct PeripheralPipe {
    rt: tokio::runtime::Runtime,
    radio: super::ble_peripheral::Peripheral,
}

#[cfg(feature = "ble-peripheral")]
impl core::fmt::Debug for PeripheralPipe {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PeripheralPipe")
            .field("mtu", &self.radio.mtu())
            .finish()
    }
}

#[cfg(feature = "ble-peripheral")]
impl PeripheralPipe {
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
        Ok(PeripheralPipe { rt, radio })
    }

    /// The ATT MTU the values are cut for.
    pub fn mtu(&self) -> u16 {
        self.radio.mtu()
    }

    /// Framed for session messages at this pipe's MTU.
    pub fn framed(self) -> Result<PeripheralLink, LinkError> {
        let mtu = self.mtu();
        BleFramedLink::new(self, mtu)
    }
}

#[cfg(feature = "ble-peripheral")]
impl ValuePipe for PeripheralPipe {
    fn send_value(&mut self, value: &[u8]) -> Result<(), LinkError> {
        self.rt
            .block_on(self.radio.notify_value(value))
            .map_err(link_error)
    }

    fn receive_value(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        let left = until(deadline)?;
        self.rt
            .block_on(self.radio.receive_value(left))
            .map_err(link_error)
    }
}

/// The holder's session link on a real radio ([`PeripheralPipe::framed`]).
#[cfg(feature = "ble-peripheral")]
pub type PeripheralLink = BleFramedLink<PeripheralPipe>;
