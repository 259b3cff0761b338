//! The holder over NFC (ISO 18013-5 clauses 8.2.2.1 and 8.3.3.1.2): the phone is a Type 4 Tag
//! and the mdoc application, answering APDUs. [`HolderCard`] joins the card state machine
//! ([`NfcCard`]: handover, ENVELOPE / GET RESPONSE) to the [`HolderLoop`], so the same loop
//! answers over NFC as over BLE. It is a [`Transceive`]: serve it through vpcd to a real
//! pcscd, or hand it to an in-memory [`kakunin_transport::nfc::NfcReader`].

use crate::holder_loop::{HolderFailure, HolderLoop, HolderOutcome, Presented};
use kakunin_core::crypto::CryptoProvider;
use kakunin_transport::apdu::{Response, SW_OK};
use kakunin_transport::nfc::{CardStep, NfcCard, Transceive};
use time::OffsetDateTime;

/// The holder's NFC card: engagement and data transfer in front of the holder loop.
pub struct HolderCard<'a> {
    card: NfcCard,
    holder: HolderLoop<'a>,
    crypto: &'a dyn CryptoProvider,
    now: OffsetDateTime,
    outcome: HolderOutcome,
    handover_fixed: bool,
    on_present: Box<dyn FnMut(&Presented) + 'a>,
}

impl<'a> HolderCard<'a> {
    /// A card (static or negotiated handover, see [`NfcCard`]) answering with `holder`;
    /// `now` is the time of this presentation (the card has no clock).
    pub fn new(
        card: NfcCard,
        holder: HolderLoop<'a>,
        crypto: &'a dyn CryptoProvider,
        now: OffsetDateTime,
    ) -> Self {
        HolderCard {
            card,
            holder,
            crypto,
            now,
            outcome: HolderOutcome::default(),
            handover_fixed: false,
            on_present: Box::new(|_| {}),
        }
    }

    /// Call `f` with each answer as it is sent.
    pub fn on_present(mut self, f: impl FnMut(&Presented) + 'a) -> Self {
        self.on_present = Box::new(f);
        self
    }

    /// The session is over.
    pub fn is_done(&self) -> bool {
        self.holder.is_done()
    }

    /// What the session came to so far.
    pub fn outcome(&self) -> &HolderOutcome {
        &self.outcome
    }

    /// What the session came to.
    pub fn into_outcome(self) -> HolderOutcome {
        self.outcome
    }

    fn message(&mut self, msg: &[u8]) -> Vec<u8> {
        if !self.handover_fixed {
            // Negotiated handover finished before the first message: Handover = [HS, HR].
            // (Static handover: the session was built with [HS, null] already.)
            if let Some(h) = self.card.negotiated_handover() {
                if let Err(e) = self.holder.set_handover(h) {
                    self.outcome.failure = Some(HolderFailure::Session(e));
                }
            }
            self.handover_fixed = true;
        }
        let step = self.holder.handle(self.crypto, msg, self.now);
        if let Some(p) = step.presented {
            (self.on_present)(&p);
            self.outcome.presented.push(p);
        }
        if let Some(f) = step.failure {
            self.outcome.failure = Some(f);
        }
        match step.send {
            // A message too long for a DO53 wrapper cannot go out: the card answers 6F00
            // (no precise diagnosis) rather than a truncated message.
            Some(out) => self
                .card
                .reply_with(&out)
                .unwrap_or_else(|_| Response::status(0x6F00).encode()),
            None => Response::status(SW_OK).encode(),
        }
    }
}

impl Transceive for HolderCard<'_> {
    type Error = std::convert::Infallible;

    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        Ok(match self.card.process(command) {
            CardStep::Reply(r) => r,
            CardStep::Message(m) => self.message(&m),
        })
    }
}
