//! The virtual My Number card and the simulated smartphone JPKI: the JPKI-AP of
//! jpki-notes §1 (AID §1.1, files §1.2, command set §1.3) over a JPKI-SIM profile
//! ([`crate::jpki_sim`]), served to a reader through any transport (in memory, or to pcscd
//! through vpcd with the JPKI ATR of §1.3, see `kakunin jpki-sim serve`).

mod card;
mod command;
mod phone;

#[cfg(test)]
mod tests;

pub use card::{
    sw, JpkiCard, PinRef, EF_AUTH_CA, EF_AUTH_CERT, EF_AUTH_KEY, EF_AUTH_PIN, EF_SIGN_CA,
    EF_SIGN_CERT, EF_SIGN_KEY, EF_SIGN_PIN, EF_TOKEN, JPKI_AP_AID, JPKI_ATR,
};
pub use phone::{PhoneAuthKey, PhoneError, SimulatedPhone};
