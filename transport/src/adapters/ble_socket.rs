//! The simulated BLE radio between two processes: a Unix socket standing in for the GATT
//! connection of mdoc peripheral server mode (ISO 18013-5 clause 8.3.3.1.1). Each
//! characteristic value travels as a 2-byte big-endian length and the bytes; the reader
//! (GATT client) opens the transaction by writing State 0x01, as it would to the State
//! characteristic. The GATT chunking of session messages on top is the shared sans-IO
//! [`BleFramedLink`]. `kakunin holder-sim serve --ble-sim` listens, `kakunin reader
//! --ble-sim` and the till (`transports.ble = "sim"`) connect.
//!
//! The socket of a peripheral advertising service UUID `u` is
//! `$TMPDIR/kakunin-ble-sim-<hex u>.sock` ([`sim_socket`]): the UUID of the engagement is
//! all a reader needs to find it, as with a real radio.

use crate::ble::STATE_START;
use crate::ble_link::{BleFramedLink, ValuePipe};
use crate::link::LinkError;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The simulated radio's ATT MTU.
pub const SIM_MTU: u16 = 185;

/// Where the simulated peripheral advertising `uuid` listens.
pub fn sim_socket(uuid: &[u8]) -> PathBuf {
    use core::fmt::Write;
    let mut name = String::with_capacity(uuid.len() * 2);
    for b in uuid {
        let _ = write!(name, "{b:02x}");
    }
    std::env::temp_dir().join(format!("kakunin-ble-sim-{name}.sock"))
}

/// Characteristic values over a Unix socket.
#[derive(Debug)]
pub struct SocketPipe {
    stream: UnixStream,
}

impl SocketPipe {
    /// Values over `stream`.
    pub fn new(stream: UnixStream) -> Self {
        SocketPipe { stream }
    }

    /// The reader's side: connect to the peripheral advertising `uuid` and start the
    /// transaction (State 0x01).
    pub fn connect(uuid: &[u8]) -> Result<Self, LinkError> {
        let stream = UnixStream::connect(sim_socket(uuid))?;
        let mut pipe = SocketPipe::new(stream);
        pipe.write_start()?;
        Ok(pipe)
    }

    /// The reader (GATT client) starts the transaction: State 0x01.
    pub fn write_start(&mut self) -> Result<(), LinkError> {
        self.send_value(&[STATE_START])
    }

    /// The holder (GATT server) waits for the reader's State 0x01.
    pub fn wait_start(&mut self, deadline: Instant) -> Result<(), LinkError> {
        match self.receive_value(deadline)?.as_slice() {
            [STATE_START] => Ok(()),
            _ => Err(LinkError::Framing {
                what: "the reader did not start the transaction (State 0x01)",
            }),
        }
    }

    /// Framed for session messages at [`SIM_MTU`].
    pub fn framed(self) -> Result<BleFramedLink<SocketPipe>, LinkError> {
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
        // At most 64 KiB per value: the 2-byte length bounds the allocation.
        let mut v = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.stream.read_exact(&mut v)?;
        Ok(v)
    }

    fn close_pipe(&mut self) -> Result<(), LinkError> {
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::MessageLink;

    #[test]
    fn values_and_framed_messages_cross_the_socket() {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut reader, mut holder) = (SocketPipe::new(a), SocketPipe::new(b));
        let soon = || Instant::now() + Duration::from_secs(2);
        reader.write_start().unwrap();
        holder.wait_start(soon()).unwrap();
        let (mut r, mut h) = (reader.framed().unwrap(), holder.framed().unwrap());
        let big = vec![0x5a; 1000];
        r.send(&big).unwrap();
        assert_eq!(h.receive(soon()).unwrap(), big);
        assert!(matches!(
            h.receive(Instant::now() + Duration::from_millis(20)),
            Err(LinkError::Timeout)
        ));
        assert_eq!(
            sim_socket(&[0xab, 0x01]).file_name().unwrap(),
            "kakunin-ble-sim-ab01.sock"
        );
    }
}
