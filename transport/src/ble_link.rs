//! BLE GATT data transfer (ISO 18013-5 clause 8.3.3.1.1) as a [`MessageLink`] over any
//! [`ValuePipe`] — a medium that moves single characteristic values (Client2Server writes one
//! way, Server2Client notifications the other). Each session message is cut into values with
//! [`crate::ble::fragment`] and put back together with [`crate::ble::Reassembler`], bounded by
//! [`crate::session::MAX_MESSAGE`], so the in-memory pipe, a socket standing in for the radio
//! and a real radio all share the same framing code.

use crate::ble::{fragment, BleError, Reassembler};
use crate::link::{LinkError, MessageLink};
use crate::session::MAX_MESSAGE;
use std::time::Instant;

/// Most values accepted for one message before giving up: a whole [`MAX_MESSAGE`] at the
/// smallest MTU (20 payload bytes per value), plus one.
const MAX_VALUES_PER_MESSAGE: usize = MAX_MESSAGE / 19 + 1;

/// Moves single characteristic values between a GATT client and server.
pub trait ValuePipe {
    /// Write (or notify) one characteristic value.
    fn send_value(&mut self, value: &[u8]) -> Result<(), LinkError>;
    /// Wait for the next characteristic value until `deadline`.
    fn receive_value(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError>;
    /// Release the medium (e.g. write State 0x02 / disconnect). Default: nothing.
    fn close_pipe(&mut self) -> Result<(), LinkError> {
        Ok(())
    }
}

/// Session messages over a value pipe, framed as clause 8.3.3.1.1 says.
#[derive(Debug)]
pub struct BleFramedLink<P> {
    pipe: P,
    mtu: u16,
    reassembler: Reassembler,
}

fn framing(e: &BleError) -> LinkError {
    LinkError::Framing {
        what: match e {
            BleError::MessageTooLarge { .. } => "message exceeds the session limit",
            _ => "BLE chunk framing (flag, value length or MTU)",
        },
    }
}

impl<P: ValuePipe> BleFramedLink<P> {
    /// Frame messages for a link with ATT MTU `mtu` over `pipe`.
    pub fn new(pipe: P, mtu: u16) -> Result<Self, LinkError> {
        let reassembler = Reassembler::new(mtu, MAX_MESSAGE).map_err(|e| framing(&e))?;
        Ok(BleFramedLink {
            pipe,
            mtu,
            reassembler,
        })
    }

    /// The pipe underneath (e.g. to read its statistics).
    pub fn pipe(&self) -> &P {
        &self.pipe
    }

    /// The pipe underneath, mutably.
    pub fn pipe_mut(&mut self) -> &mut P {
        &mut self.pipe
    }
}

impl<P: ValuePipe> MessageLink for BleFramedLink<P> {
    fn send(&mut self, message: &[u8]) -> Result<(), LinkError> {
        for value in fragment(message, self.mtu).map_err(|e| framing(&e))? {
            self.pipe.send_value(&value)?;
        }
        Ok(())
    }

    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        for _ in 0..MAX_VALUES_PER_MESSAGE {
            let value = self.pipe.receive_value(deadline)?;
            if let Some(message) = self.reassembler.push(&value).map_err(|e| framing(&e))? {
                return Ok(message);
            }
        }
        Err(LinkError::Framing {
            what: "too many values for one message",
        })
    }

    fn close(&mut self) -> Result<(), LinkError> {
        self.pipe.close_pipe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::memory_pair;
    use std::time::Duration;

    #[test]
    fn messages_cross_in_chunks_and_bad_chunks_are_framing_errors() {
        let (a, mut raw_b) = memory_pair();
        let mut a = BleFramedLink::new(a, 23).unwrap();
        let msg: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        a.send(&msg).unwrap();
        let soon = Instant::now() + Duration::from_millis(50);
        // 1000 bytes at 19 per value: 53 values on the pipe.
        let mut values = Vec::new();
        while let Ok(v) = ValuePipe::receive_value(&mut raw_b, soon) {
            values.push(v);
            if values.last().and_then(|v| v.first()) == Some(&0x00) {
                break;
            }
        }
        assert_eq!(values.len(), 53);
        let mut b = BleFramedLink::new(raw_b, 23).unwrap();
        for v in &values {
            ValuePipe::send_value(a.pipe_mut(), v).unwrap();
        }
        assert_eq!(b.receive(soon).unwrap(), msg);
        ValuePipe::send_value(a.pipe_mut(), &[0x07, 1]).unwrap();
        assert!(matches!(b.receive(soon), Err(LinkError::Framing { .. })));
        assert_eq!(
            b.receive(Instant::now() + Duration::from_millis(5)),
            Err(LinkError::Timeout)
        );
    }
}
