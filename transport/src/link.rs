//! The one seam between the proximity protocol machines (the reader flow, the holder loop) and
//! whatever carries their messages: a blocking [`MessageLink`] that sends one whole session
//! message (SessionEstablishment or SessionData, ISO 18013-5 clause 9.1.1.4) and receives the
//! next one before a deadline.
//!
//! Adapters implement it for each transport: BLE GATT framing over any value pipe
//! ([`crate::ble_link`]), NFC ENVELOPE exchanges over any [`crate::nfc::Transceive`]
//! ([`crate::nfc_link`]), and an in-memory pair ([`memory_pair`]) for tests and the demo. The
//! protocol code above never sees which one it runs over.

use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Instant;

/// Why a link could not carry a message. Never carries peer-chosen text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// Nothing arrived before the deadline.
    #[error("the peer did not answer before the deadline")]
    Timeout,
    /// The peer (or the medium) closed the link.
    #[error("the link closed")]
    Closed,
    /// The transport framing was broken (a BLE chunk flag, a DO53 wrapper, an oversize value).
    #[error("transport framing: {what}")]
    Framing {
        /// Which framing rule was broken.
        what: &'static str,
    },
    /// The card refused an APDU (NFC): the step and its status word, if one came back.
    #[error("card refused {step}{}", sw.map(|s| format!(" ({s:04X})")).unwrap_or_default())]
    Card {
        /// The APDU step that failed.
        step: &'static str,
        /// The status word, when the card answered.
        sw: Option<u16>,
    },
    /// The operating system's I/O failed.
    #[error("I/O: {0:?}")]
    Io(std::io::ErrorKind),
    /// The link was used out of order (receive with nothing sent on a half-duplex link).
    #[error("link misuse: {0}")]
    Misuse(&'static str),
}

impl LinkError {
    /// The cause group of this failure.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            LinkError::Framing { .. } => kakunin_core::Cause::Malformed,
            LinkError::Misuse(_) => kakunin_core::Cause::Misuse,
            LinkError::Timeout | LinkError::Closed | LinkError::Card { .. } | LinkError::Io(_) => {
                kakunin_core::Cause::FailedCheck
            }
        }
    }
}

impl From<std::io::Error> for LinkError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => LinkError::Timeout,
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::ConnectionAborted => LinkError::Closed,
            k => LinkError::Io(k),
        }
    }
}

/// Carries whole session messages between the two sides of a proximity session.
pub trait MessageLink {
    /// Send one whole message.
    fn send(&mut self, message: &[u8]) -> Result<(), LinkError>;

    /// Wait for the next whole message from the peer until `deadline`.
    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError>;

    /// Whether a `receive` that ended in [`LinkError::Timeout`] may be called again to go on
    /// waiting for the same message (a caller polling a cancel flag cuts its wait into
    /// slices). True for pipes that buffer what arrives; false for NFC, where the timed-out
    /// exchange is abandoned, so a caller must give it the whole deadline at once.
    fn resumable_wait(&self) -> bool {
        true
    }

    /// The session is over: flush what must still go out (NFC sends a buffered final message
    /// without expecting an answer) and release the medium. Default: nothing to do.
    fn close(&mut self) -> Result<(), LinkError> {
        Ok(())
    }
}

impl<L: MessageLink + ?Sized> MessageLink for &mut L {
    fn send(&mut self, message: &[u8]) -> Result<(), LinkError> {
        (**self).send(message)
    }
    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        (**self).receive(deadline)
    }
    fn resumable_wait(&self) -> bool {
        (**self).resumable_wait()
    }
    fn close(&mut self) -> Result<(), LinkError> {
        (**self).close()
    }
}

/// One end of an in-memory link (see [`memory_pair`]).
#[derive(Debug)]
pub struct MemoryEnd {
    tx: Option<Sender<Vec<u8>>>,
    rx: Receiver<Vec<u8>>,
}

/// Two connected in-memory ends: what one sends, the other receives, in order. Dropping or
/// closing one end makes the other's `receive` fail with [`LinkError::Closed`]; `receive`
/// honours the deadline, so a silent peer ends in [`LinkError::Timeout`].
pub fn memory_pair() -> (MemoryEnd, MemoryEnd) {
    let (a_tx, b_rx) = channel();
    let (b_tx, a_rx) = channel();
    (
        MemoryEnd {
            tx: Some(a_tx),
            rx: a_rx,
        },
        MemoryEnd {
            tx: Some(b_tx),
            rx: b_rx,
        },
    )
}

impl MemoryEnd {
    fn push(&mut self, message: &[u8]) -> Result<(), LinkError> {
        let tx = self.tx.as_ref().ok_or(LinkError::Closed)?;
        tx.send(message.to_vec()).map_err(|_| LinkError::Closed)
    }

    fn pull(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        let wait = deadline.saturating_duration_since(Instant::now());
        self.rx.recv_timeout(wait).map_err(|e| match e {
            RecvTimeoutError::Timeout => LinkError::Timeout,
            RecvTimeoutError::Disconnected => LinkError::Closed,
        })
    }
}

impl MessageLink for MemoryEnd {
    fn send(&mut self, message: &[u8]) -> Result<(), LinkError> {
        self.push(message)
    }

    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        self.pull(deadline)
    }

    fn close(&mut self) -> Result<(), LinkError> {
        self.tx = None;
        Ok(())
    }
}

impl crate::ble_link::ValuePipe for MemoryEnd {
    fn send_value(&mut self, value: &[u8]) -> Result<(), LinkError> {
        self.push(value)
    }

    fn receive_value(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        self.pull(deadline)
    }

    fn close_pipe(&mut self) -> Result<(), LinkError> {
        self.tx = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn memory_pair_carries_in_order_and_times_out() {
        let (mut a, mut b) = memory_pair();
        a.send(b"one").unwrap();
        a.send(b"two").unwrap();
        let soon = Instant::now() + Duration::from_millis(20);
        assert_eq!(b.receive(soon).unwrap(), b"one");
        assert_eq!(b.receive(soon).unwrap(), b"two");
        assert_eq!(
            b.receive(Instant::now() + Duration::from_millis(5)),
            Err(LinkError::Timeout)
        );
        a.close().unwrap();
        assert_eq!(
            b.receive(Instant::now() + Duration::from_millis(5)),
            Err(LinkError::Closed)
        );
        assert_eq!(a.send(b"x"), Err(LinkError::Closed));
    }
}
