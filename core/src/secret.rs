//! Secrets typed by the user: PINs.
//!
//! A [`Pin`] is what a person types to unlock a key: the My Number card's JPKI PINs (4 digits
//! for user authentication, 6 to 16 characters for the signature key) or a wallet's unlock
//! PIN. It is held in a fixed buffer zeroized on drop, is never printed (`Debug` shows neither
//! the characters nor the length), cannot be cloned or serialized, and compares in constant
//! time, so neither a log line nor a timing measurement reveals it.

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A PIN could not be accepted. The errors never say how long the refused PIN was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// Fewer than [`Pin::MIN_LEN`] characters.
    #[error("PIN is shorter than {min} characters")]
    TooShort {
        /// The least length accepted.
        min: usize,
    },
    /// More than [`Pin::MAX_LEN`] characters.
    #[error("PIN is longer than {max} characters")]
    TooLong {
        /// The greatest length accepted.
        max: usize,
    },
    /// A character that is not printable ASCII (a space, a line break, a control or non-ASCII
    /// character). Refusing it keeps a stray newline read from a file from being sent to a
    /// card as part of the PIN, which would cost one of the card's few retries.
    #[error("PIN contains a character that is not printable ASCII")]
    InvalidCharacter,
}

impl PinError {
    /// Always [`crate::Cause::Misuse`]: the PIN comes from the local user, not a peer.
    pub fn cause(&self) -> crate::Cause {
        crate::Cause::Misuse
    }
}

/// A PIN of 4 to 16 printable ASCII characters. Zeroized on drop, never printed, not
/// `Clone`, not serializable; compare with [`Pin::ct_eq`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Pin {
    /// The characters, then zeros up to `MAX_LEN`.
    buf: [u8; Pin::MAX_LEN],
    /// How many bytes of `buf` are the PIN.
    len: usize,
}

impl Pin {
    /// The shortest PIN accepted (JPKI user-authentication PIN: 4 digits).
    pub const MIN_LEN: usize = 4;
    /// The longest PIN accepted (JPKI signature PIN: up to 16 characters).
    pub const MAX_LEN: usize = 16;

    /// A PIN from its bytes, which must be 4 to 16 printable ASCII characters. The caller
    /// should zeroize its own copy of `bytes` afterwards.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PinError> {
        if bytes.len() < Self::MIN_LEN {
            return Err(PinError::TooShort { min: Self::MIN_LEN });
        }
        if bytes.len() > Self::MAX_LEN {
            return Err(PinError::TooLong { max: Self::MAX_LEN });
        }
        if !bytes.iter().all(u8::is_ascii_graphic) {
            return Err(PinError::InvalidCharacter);
        }
        let mut buf = [0u8; Self::MAX_LEN];
        let mut len = 0;
        for (slot, b) in buf.iter_mut().zip(bytes) {
            *slot = *b;
            len += 1;
        }
        Ok(Pin { buf, len })
    }

    /// A PIN from text (see [`Pin::from_bytes`]).
    pub fn parse(text: &str) -> Result<Self, PinError> {
        Self::from_bytes(text.as_bytes())
    }

    /// Constant-time equality: the time taken depends on neither PIN's characters nor its
    /// length (whole buffers are compared, and the lengths too).
    pub fn ct_eq(&self, other: &Pin) -> bool {
        bool::from(self.ct_eq_choice(other))
    }

    fn ct_eq_choice(&self, other: &Pin) -> subtle::Choice {
        // usize has no ConstantTimeEq; every valid length fits in a u64.
        let (a, b) = (self.len as u64, other.len as u64);
        self.buf.ct_eq(&other.buf) & a.ct_eq(&b)
    }

    /// The PIN's characters, for the one place that must send them (a VERIFY command to the
    /// card, ISO/IEC 7816-4 §11.5.6). Do not log, store or compare them with `==`.
    pub fn expose_secret(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Number of characters (a PIN is never empty).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a PIN has at least [`Pin::MIN_LEN`] characters.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl ConstantTimeEq for Pin {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.ct_eq_choice(other)
    }
}

impl core::str::FromStr for Pin {
    type Err = PinError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pin::parse(s)
    }
}

impl core::fmt::Debug for Pin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_nothing_of_the_pin() {
        for text in ["1234", "987654", "0000000000000000", "ABC123XYZ"] {
            let pin = Pin::parse(text).unwrap();
            let shown = format!("{pin:?} {pin:#?}");
            assert!(!shown.chars().any(|c| c.is_ascii_digit()), "{shown}");
            assert!(!shown.contains("ABC") && !shown.contains("XYZ"), "{shown}");
            assert!(shown.contains("<redacted>"));
        }
    }

    #[test]
    fn ct_eq_true_and_false() {
        let a = Pin::parse("1234").unwrap();
        assert!(a.ct_eq(&Pin::parse("1234").unwrap()));
        assert!(!a.ct_eq(&Pin::parse("1235").unwrap()));
        assert!(!a.ct_eq(&Pin::parse("0234").unwrap()));
        // A prefix is not equal, though the buffers agree on every byte but the padding.
        assert!(!a.ct_eq(&Pin::parse("12345").unwrap()));
        assert!(!Pin::parse("12345").unwrap().ct_eq(&a));
        // The subtle trait gives the same answers.
        let b = Pin::parse("1234").unwrap();
        assert!(bool::from(ConstantTimeEq::ct_eq(&a, &b)));
        assert!(!bool::from(ConstantTimeEq::ct_eq(
            &a,
            &Pin::parse("4321").unwrap()
        )));
    }

    #[test]
    fn length_bounds() {
        assert_eq!(
            Pin::parse("123").unwrap_err(),
            PinError::TooShort { min: 4 }
        );
        assert_eq!(Pin::parse("").unwrap_err(), PinError::TooShort { min: 4 });
        assert_eq!(Pin::parse("1234").unwrap().len(), 4);
        assert_eq!(Pin::parse("1234567890123456").unwrap().len(), 16);
        assert_eq!(
            Pin::parse("12345678901234567").unwrap_err(),
            PinError::TooLong { max: 16 }
        );
        assert_eq!(
            Pin::from_bytes(&[b'1'; 1000]).unwrap_err(),
            PinError::TooLong { max: 16 }
        );
        assert!(!Pin::parse("1234").unwrap().is_empty());
    }

    #[test]
    fn characters_and_exposure() {
        assert_eq!(
            Pin::parse("1234\n").unwrap_err(),
            PinError::InvalidCharacter
        );
        assert_eq!(Pin::parse("12 34").unwrap_err(), PinError::InvalidCharacter);
        assert_eq!(
            Pin::parse("１２３４").unwrap_err(),
            PinError::InvalidCharacter
        );
        assert_eq!(
            "ABCdef12".parse::<Pin>().unwrap().expose_secret(),
            b"ABCdef12"
        );
        // Errors do not carry the PIN or its length.
        let e = Pin::parse("123456789012345678").unwrap_err().to_string();
        assert!(!e.contains("18") && !e.contains("123"), "{e}");
    }

    #[test]
    fn zeroize_clears_the_buffer() {
        let mut pin = Pin::parse("5678").unwrap();
        pin.zeroize();
        assert_eq!(pin.buf, [0u8; Pin::MAX_LEN]);
        assert_eq!(pin.len, 0);
        assert!(pin.expose_secret().is_empty());
    }
}
