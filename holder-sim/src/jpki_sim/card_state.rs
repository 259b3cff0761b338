//! A simulated card's persistent PIN retry counters (`card-state.json`, session 15 layout): so
//! that a PIN locked by wrong attempts stays locked when the card is served again, like the
//! real card's counters that reset only on a successful VERIFY (jpki-notes §1.2).

use std::path::Path;

use super::error::SimError;
use super::files;

/// The file a profile keeps its counters in.
pub const CARD_STATE_FILE: &str = "card-state.json";
/// Tries of the signature PIN (notes §1.2, OpenSC's `JPKI_SIGN_PIN_MAX_TRIES`).
pub const SIGNATURE_PIN_TRIES: u8 = 5;
/// Tries of the authentication PIN (`JPKI_AUTH_PIN_MAX_TRIES`).
pub const AUTHENTICATION_PIN_TRIES: u8 = 3;

/// Tries left on each PIN (0: blocked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CardState {
    /// Signature PIN tries left, 0 to 5.
    pub signature_pin_tries: u8,
    /// Authentication PIN tries left, 0 to 3.
    pub authentication_pin_tries: u8,
}

impl Default for CardState {
    fn default() -> Self {
        CardState {
            signature_pin_tries: SIGNATURE_PIN_TRIES,
            authentication_pin_tries: AUTHENTICATION_PIN_TRIES,
        }
    }
}

impl CardState {
    /// Read `dir/card-state.json`; counters above the maxima are refused.
    pub fn read(dir: &Path) -> Result<Self, SimError> {
        let path = dir.join(CARD_STATE_FILE);
        let bytes = files::read_small(&path, 4096)?;
        let s: CardState = serde_json::from_slice(&bytes).map_err(|_| SimError::BadFile {
            path: path.clone(),
            what: "card-state.json",
        })?;
        if s.signature_pin_tries > SIGNATURE_PIN_TRIES
            || s.authentication_pin_tries > AUTHENTICATION_PIN_TRIES
        {
            return Err(SimError::BadFile {
                path,
                what: "card-state.json (counter above its maximum)",
            });
        }
        Ok(s)
    }

    /// Replace `dir/card-state.json` atomically (write, then rename).
    pub fn write(&self, dir: &Path) -> Result<(), SimError> {
        let text = serde_json::to_vec(self).map_err(|_| SimError::Build("card state"))?;
        files::write_replace(&dir.join(CARD_STATE_FILE), &text, files::SECRET)
    }
}
