//! The wallet's unlock PIN: the simulator's stand-in for the user authentication a real wallet
//! does (biometric or passcode) before it presents; ISO 18013-5 leaves that method to the mdoc.
//!
//! A PIN is a secret: zeroized on drop, never cloned, never Debug-printed, compared in
//! constant time (neither content nor length leaks through timing: it is kept in a fixed-size
//! zero-padded buffer and the whole buffer is compared).

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Longest PIN accepted, in bytes.
pub const MAX_PIN_LEN: usize = 64;

/// A PIN could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// The PIN is empty.
    #[error("the PIN is empty")]
    Empty,
    /// The PIN is longer than [`MAX_PIN_LEN`] bytes.
    #[error("the PIN is longer than {MAX_PIN_LEN} bytes")]
    TooLong,
}

impl PinError {
    /// The error's cause group: a PIN of the wrong length is malformed input.
    pub fn cause(&self) -> kakunin_core::Cause {
        kakunin_core::Cause::Malformed
    }
}

/// An unlock PIN: 1 to [`MAX_PIN_LEN`] bytes (any bytes; digits in practice).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Pin {
    /// The PIN, then zeros up to [`MAX_PIN_LEN`].
    bytes: [u8; MAX_PIN_LEN],
    /// How many bytes of `bytes` are the PIN (1..=MAX_PIN_LEN, so it fits a u8).
    len: u8,
}

impl Pin {
    /// The PIN `pin`, or why it is not one.
    pub fn new(pin: &[u8]) -> Result<Pin, PinError> {
        if pin.is_empty() {
            return Err(PinError::Empty);
        }
        let len = u8::try_from(pin.len()).map_err(|_| PinError::TooLong)?;
        let mut bytes = [0u8; MAX_PIN_LEN];
        bytes
            .get_mut(..pin.len())
            .ok_or(PinError::TooLong)?
            .copy_from_slice(pin);
        Ok(Pin { bytes, len })
    }
}

impl ConstantTimeEq for Pin {
    fn ct_eq(&self, other: &Pin) -> subtle::Choice {
        // The padding is zeros, so equal (buffer, length) pairs are exactly equal PINs.
        self.bytes.ct_eq(&other.bytes) & self.len.ct_eq(&other.len)
    }
}

impl PartialEq for Pin {
    fn eq(&self, other: &Pin) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Pin {}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_same_bytes() {
        let a = Pin::new(b"1234").unwrap();
        assert_eq!(a, Pin::new(b"1234").unwrap());
        assert_ne!(a, Pin::new(b"1235").unwrap());
        assert_ne!(a, Pin::new(b"123").unwrap());
        // A shorter PIN is not the longer one's zero-padded prefix.
        assert_ne!(a, Pin::new(b"1234\0").unwrap());
    }

    #[test]
    fn length_is_bounded() {
        assert_eq!(Pin::new(b"").unwrap_err(), PinError::Empty);
        assert!(Pin::new(&[b'9'; MAX_PIN_LEN]).is_ok());
        assert_eq!(
            Pin::new(&[b'9'; MAX_PIN_LEN + 1]).unwrap_err(),
            PinError::TooLong
        );
        assert_eq!(Pin::new(&[b'9'; 300]).unwrap_err(), PinError::TooLong);
    }

    #[test]
    fn debug_is_redacted() {
        let text = format!("{:?}", Pin::new(b"271828").unwrap());
        assert_eq!(text, "Pin(<redacted>)");
        assert!(!text.contains("271828"));
    }

    #[test]
    fn zeroize_clears_the_buffer() {
        let mut p = Pin::new(b"4711").unwrap();
        p.zeroize();
        assert_eq!(p.len, 0);
        assert!(p.bytes.iter().all(|&b| b == 0));
    }
}
