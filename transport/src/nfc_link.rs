//! NFC data transfer (ISO 18013-5 clause 8.3.3.1.2) as a [`MessageLink`] for the reader: the
//! card only speaks when spoken to, so `send` keeps the message and the following `receive`
//! carries it in ENVELOPE commands and returns the card's answer (with GET RESPONSE as
//! needed). A message sent with no answer expected (the final status 20) goes out on
//! `close` as ENVELOPEs without Le.
//!
//! `receive(deadline)` holds to its deadline: the link's clock is read before every APDU of
//! the exchange ([`NfcReader::exchange_until`]), so a card that keeps answering `61XX` with a
//! byte at a time ends in [`LinkError::Timeout`] at the deadline, and the GET RESPONSE count
//! is bounded ([`crate::nfc::MAX_GET_RESPONSES`]) whatever the clock says. One APDU that never
//! returns is the card stack's to time out (PC/SC's own timeouts, or an in-memory card that
//! answers at once).

use crate::link::{LinkError, MessageLink};
use crate::nfc::{ApduStats, NfcError, NfcReader, Transceive};
use std::sync::Arc;
use std::time::Instant;

/// The monotonic clock an [`NfcMessageLink`] checks its deadlines against.
pub type LinkClock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The reader's NFC link to the mdoc application, once engagement is done.
pub struct NfcMessageLink<T: Transceive> {
    reader: NfcReader<T>,
    pending: Option<Vec<u8>>,
    clock: LinkClock,
}

/// The link error for an NFC failure (the card's own error text is not kept).
pub fn nfc_link_error<E: std::fmt::Display>(e: &NfcError<E>) -> LinkError {
    match e {
        NfcError::Transport(_) => LinkError::Io(std::io::ErrorKind::Other),
        NfcError::DeadlineExceeded { .. } => LinkError::Timeout,
        NfcError::Status { step, sw } => LinkError::Card {
            step: step.name(),
            sw: Some(*sw),
        },
        NfcError::NoHandoverService => LinkError::Card {
            step: "negotiated handover: the card offers no TNEP handover service",
            sw: None,
        },
        NfcError::HandoverServiceRefused => LinkError::Card {
            step: "negotiated handover: the card refused the handover service",
            sw: None,
        },
        _ => LinkError::Framing {
            what: "APDU, DO53 or NDEF framing",
        },
    }
}

impl<T: Transceive> NfcMessageLink<T> {
    /// Select the mdoc application (AID A0 00 00 02 48 04 00) and carry messages to it,
    /// with deadlines read from the system's monotonic clock (this is the I/O adapter: the
    /// protocol machines above never read it).
    pub fn open(reader: NfcReader<T>) -> Result<Self, LinkError> {
        Self::open_with_clock(reader, Arc::new(Instant::now))
    }

    /// [`NfcMessageLink::open`] with deadlines read from `clock` (a simulated clock in tests;
    /// the same one the reader flow's driver is given).
    pub fn open_with_clock(mut reader: NfcReader<T>, clock: LinkClock) -> Result<Self, LinkError> {
        reader.select_mdoc().map_err(|e| nfc_link_error(&e))?;
        Ok(NfcMessageLink {
            reader,
            pending: None,
            clock,
        })
    }

    /// APDU counts so far.
    pub fn stats(&self) -> ApduStats {
        self.reader.stats()
    }

    /// The reader underneath.
    pub fn into_reader(self) -> NfcReader<T> {
        self.reader
    }
}

impl<T: Transceive> MessageLink for NfcMessageLink<T> {
    fn send(&mut self, message: &[u8]) -> Result<(), LinkError> {
        if let Some(unanswered) = self.pending.replace(message.to_vec()) {
            // Two sends in a row: the first expects no answer.
            self.reader
                .send_final(&unanswered)
                .map_err(|e| nfc_link_error(&e))?;
        }
        Ok(())
    }

    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        let message = self
            .pending
            .take()
            .ok_or(LinkError::Misuse("NFC: receive without a message to send"))?;
        let clock = Arc::clone(&self.clock);
        self.reader
            .exchange_until(&message, deadline, &*clock)
            .map_err(|e| nfc_link_error(&e))
    }

    /// The exchange that timed out is abandoned: the message went with it.
    fn resumable_wait(&self) -> bool {
        false
    }

    fn close(&mut self) -> Result<(), LinkError> {
        match self.pending.take() {
            Some(last) => self
                .reader
                .send_final(&last)
                .map_err(|e| nfc_link_error(&e)),
            None => Ok(()),
        }
    }
}
