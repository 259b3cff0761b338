//! The command line's I/O adapters for the one proximity seam
//! ([`kakunin_transport::link::MessageLink`]): a local socket standing in for the BLE radio
//! between two processes (each characteristic value as a 2-byte length and the bytes; the
//! GATT framing on top is the shared [`BleFramedLink`]), and the real radios (btleplug
//! central, BlueZ peripheral) behind the `ble` feature. Protocol code lives in the flow and
//! the holder loop, never here.

use kakunin_transport::ble_link::{BleFramedLink, ValuePipe};
use kakunin_transport::link::LinkError;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The simulated radio's MTU.
pub(crate) const SIM_MTU: u16 = 185;

/// Where the simulated peripheral advertising `uuid` listens.
pub(crate) fn sim_socket(uuid: &[u8]) -> PathBuf {
    std::env::temp_dir().join(format!("kakunin-ble-sim-{}.sock", hex::encode(uuid)))
}

/// Characteristic values over a Unix socket.
pub(crate) struct SocketPipe {
    stream: UnixStream,
}

impl SocketPipe {
    /// Values over `stream`.
    pub(crate) fn new(stream: UnixStream) -> Self {
        SocketPipe { stream }
    }

    /// The reader (GATT client) starts the transaction: State 0x01.
    pub(crate) fn write_start(&mut self) -> Result<(), LinkError> {
        self.send_value(&[kakunin_transport::ble::STATE_START])
    }

    /// The holder (GATT server) waits for the reader's State 0x01.
    pub(crate) fn wait_start(&mut self, deadline: Instant) -> Result<(), LinkError> {
        match self.receive_value(deadline)?.as_slice() {
            [kakunin_transport::ble::STATE_START] => Ok(()),
            _ => Err(LinkError::Framing {
                what: "the reader did not start the transaction (State 0x01)",
            }),
        }
    }

    /// Framed for session messages.
    pub(crate) fn framed(self) -> Result<BleFramedLink<SocketPipe>, LinkError> {
        BleFramedLink::new(self, SIM_MTU)
    }
}

impl ValuePipe for SocketPipe {
    fn send_value(&mut self, value: &[u8]) -> Result<(), LinkError> {
        let len = u16::try_from(value.len()).map_err(|_| LinkError::Framing {
            what: "characteristic value longer than 65535 bytes",
        })?;
        self.stream.write_all(&len.to_be_bytes())?;
        self.stream.write_all(value)?;
        Ok(())
    }

    fn receive_value(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            return Err(LinkError::Timeout);
        }
        self.stream
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        let mut len = [0u8; 2];
        self.stream.read_exact(&mut len)?;
        let mut v = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.stream.read_exact(&mut v)?;
        Ok(v)
    }

    fn close_pipe(&mut self) -> Result<(), LinkError> {
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        Ok(())
    }
}

#[cfg(feature = "ble")]
pub(crate) use radio::{CentralLink, PeripheralLink};

#[cfg(feature = "ble")]
mod radio {
    use kakunin_transport::adapters::ble_central::Central;
    use kakunin_transport::adapters::ble_peripheral::Peripheral;
    use kakunin_transport::adapters::RadioError;
    use kakunin_transport::link::{LinkError, MessageLink};
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

    /// The reader as GATT client on a real radio (btleplug).
    pub(crate) struct CentralLink {
        rt: tokio::runtime::Runtime,
        radio: Option<Central>,
    }

    impl CentralLink {
        /// Connect to the peripheral advertising `uuid` and start the transaction.
        pub(crate) fn connect(uuid: [u8; 16], mtu: u16, wait: Duration) -> Result<Self, LinkError> {
            let rt = super::runtime()?;
            let radio = rt
                .block_on(async {
                    let radio = Central::connect(::uuid::Uuid::from_bytes(uuid), mtu, wait).await?;
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
    pub(crate) struct PeripheralLink {
        rt: tokio::runtime::Runtime,
        radio: Peripheral,
    }

    impl PeripheralLink {
        /// Advertise `uuid` and wait up to `wait` for a reader to start the transaction.
        pub(crate) fn advertise(
            uuid: [u8; 16],
            mtu: u16,
            wait: Duration,
            advertising: impl FnOnce(),
        ) -> Result<Self, LinkError> {
            let rt = super::runtime()?;
            let radio = rt
                .block_on(async {
                    let mut radio =
                        Peripheral::advertise(::uuid::Uuid::from_bytes(uuid), mtu).await?;
                    advertising();
                    radio.wait_start(wait).await?;
                    Ok::<_, RadioError>(radio)
                })
                .map_err(link_error)?;
            Ok(PeripheralLink { rt, radio })
        }
    }

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
}

#[cfg(feature = "ble")]
fn runtime() -> Result<tokio::runtime::Runtime, LinkError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LinkError::Io(e.kind()))
}
