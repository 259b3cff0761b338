//! The two JPKI PINs (/work/shared/jpki-notes.md §1.2): the signature PIN (署名用パスワード,
//! 6–16 upper-case letters and digits with at least one of each; 5 tries) and the
//! authentication PIN (利用者証明用暗証番号, 4 digits; 3 tries).
//!
//! A PIN is checked for its format before it reaches a card, so a typo in the format never
//! costs a try. The signature PIN is upper-cased first, as jpki/myna does: the card only knows
//! upper case, and a person may type lower case. Values are zeroized on drop, have no `Debug`
//! of their content and no `Clone`.

use zeroize::{Zeroize, Zeroizing};

/// Which PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PinKind {
    /// The signature PIN, guarding EF 0001 and the signature key.
    Signature,
    /// The authentication PIN, guarding the authentication key.
    Authentication,
}

impl PinKind {
    /// Tries a fresh card allows (notes §1.2, OpenSC `jpki.h`).
    pub const fn max_tries(self) -> u8 {
        match self {
            PinKind::Signature => 5,
            PinKind::Authentication => 3,
        }
    }

    /// The name used in messages.
    pub const fn name(self) -> &'static str {
        match self {
            PinKind::Signature => "signature PIN",
            PinKind::Authentication => "authentication PIN",
        }
    }
}

impl core::fmt::Display for PinKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a PIN was refused before it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinFormatError {
    /// Signature PIN not 6–16 characters.
    #[error("the signature PIN must be 6 to 16 characters ({len} given)")]
    SignatureLength {
        /// Characters given.
        len: usize,
    },
    /// Signature PIN with a character other than A–Z and 0–9.
    #[error("the signature PIN may only hold letters A-Z and digits 0-9")]
    SignatureCharacters,
    /// Signature PIN without a letter or without a digit.
    #[error("the signature PIN needs at least one letter and one digit")]
    SignatureMix,
    /// Authentication PIN not exactly 4 ASCII digits.
    #[error("the authentication PIN must be 4 digits")]
    Authentication,
}

impl PinFormatError {
    /// The cause group: a PIN of the wrong shape is the caller's input error.
    pub fn cause(&self) -> kakunin_core::Cause {
        kakunin_core::Cause::Malformed
    }
}

/// The signature PIN, upper-cased and checked.
pub struct SignaturePin(Zeroizing<Vec<u8>>);

/// The authentication PIN, checked.
pub struct AuthenticationPin(Zeroizing<Vec<u8>>);

impl SignaturePin {
    /// Check and keep `pin` (upper-cased first).
    pub fn new(pin: &str) -> Result<Self, PinFormatError> {
        let mut up = Zeroizing::new(pin.as_bytes().to_vec());
        up.make_ascii_uppercase();
        let len = pin.chars().count();
        if !(6..=16).contains(&len) {
            return Err(PinFormatError::SignatureLength { len });
        }
        if !up
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(PinFormatError::SignatureCharacters);
        }
        if !up.iter().any(u8::is_ascii_uppercase) || !up.iter().any(u8::is_ascii_digit) {
            return Err(PinFormatError::SignatureMix);
        }
        Ok(SignaturePin(up))
    }

    /// The PIN as sent in VERIFY (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl AuthenticationPin {
    /// Check and keep `pin`.
    pub fn new(pin: &str) -> Result<Self, PinFormatError> {
        let b = pin.as_bytes();
        if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
            return Err(PinFormatError::Authentication);
        }
        Ok(AuthenticationPin(Zeroizing::new(b.to_vec())))
    }

    /// The PIN as sent in VERIFY (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl TryFrom<Zeroizing<String>> for SignaturePin {
    type Error = PinFormatError;
    fn try_from(mut s: Zeroizing<String>) -> Result<Self, PinFormatError> {
        let r = Self::new(&s);
        s.zeroize();
        r
    }
}

impl TryFrom<Zeroizing<String>> for AuthenticationPin {
    type Error = PinFormatError;
    fn try_from(mut s: Zeroizing<String>) -> Result<Self, PinFormatError> {
        let r = Self::new(&s);
        s.zeroize();
        r
    }
}

impl core::fmt::Debug for SignaturePin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SignaturePin(..)")
    }
}

impl core::fmt::Debug for AuthenticationPin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AuthenticationPin(..)")
    }
}

/// Either PIN, for [`crate::client::JpkiCard::verify_pin`].
#[derive(Debug)]
pub enum Pin {
    /// The signature PIN.
    Signature(SignaturePin),
    /// The authentication PIN.
    Authentication(AuthenticationPin),
}

impl Pin {
    /// Which PIN this is.
    pub fn kind(&self) -> PinKind {
        match self {
            Pin::Signature(_) => PinKind::Signature,
            Pin::Authentication(_) => PinKind::Authentication,
        }
    }

    /// The PIN as sent in VERIFY.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Pin::Signature(p) => p.as_bytes(),
            Pin::Authentication(p) => p.as_bytes(),
        }
    }
}

impl From<SignaturePin> for Pin {
    fn from(p: SignaturePin) -> Self {
        Pin::Signature(p)
    }
}

impl From<AuthenticationPin> for Pin {
    fn from(p: AuthenticationPin) -> Self {
        Pin::Authentication(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_pin_rules() {
        assert_eq!(SignaturePin::new("abc123").unwrap().as_bytes(), b"ABC123");
        assert_eq!(
            SignaturePin::new("AB12").err(),
            Some(PinFormatError::SignatureLength { len: 4 })
        );
        assert_eq!(
            SignaturePin::new("ABCDEFGHIJKLMNOP1").err(),
            Some(PinFormatError::SignatureLength { len: 17 })
        );
        assert_eq!(
            SignaturePin::new("ABCDEF").err(),
            Some(PinFormatError::SignatureMix)
        );
        assert_eq!(
            SignaturePin::new("123456").err(),
            Some(PinFormatError::SignatureMix)
        );
        assert_eq!(
            SignaturePin::new("ABC 123").err(),
            Some(PinFormatError::SignatureCharacters)
        );
        assert_eq!(
            SignaturePin::new("ＡＢＣ１２３").err(),
            Some(PinFormatError::SignatureCharacters)
        );
        assert!(SignaturePin::try_from(Zeroizing::new("Pass1234".to_string())).is_ok());
        assert_eq!(
            format!("{:?}", SignaturePin::new("SECRET1").unwrap()),
            "SignaturePin(..)"
        );
    }

    #[test]
    fn authentication_pin_rules() {
        assert_eq!(AuthenticationPin::new("0123").unwrap().as_bytes(), b"0123");
        for bad in ["123", "12345", "12a4", "１２３４", ""] {
            assert_eq!(
                AuthenticationPin::new(bad).err(),
                Some(PinFormatError::Authentication),
                "{bad}"
            );
        }
        let p = Pin::from(AuthenticationPin::new("9876").unwrap());
        assert_eq!(p.kind(), PinKind::Authentication);
        assert_eq!(format!("{p:?}"), "Authentication(AuthenticationPin(..))");
    }
}
