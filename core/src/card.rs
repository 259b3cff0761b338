//! The smart-card seam: one APDU exchange (ISO/IEC 7816-4 §5.1, a command APDU out and a
//! response APDU back), so that every card protocol — the mdoc NFC reader of
//! `kakunin-transport` and the JPKI client of `kakunin-jpki` — runs unchanged over PC/SC, a
//! virtual card, or an in-memory card in tests.
//!
//! It lives on floor 1 because two floor-2 crates share it; neither may import the other.

/// One APDU exchange with a card (PC/SC, a virtual card, or memory).
pub trait Transceive {
    /// Why an exchange failed (the link, not the card's status word).
    type Error: std::fmt::Display;
    /// Send one command APDU and return the card's response APDU (data and SW1 SW2).
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error>;
}
