//! The virtual My Number card's JPKI-AP: a strict state machine answering exactly the command
//! set of jpki-notes §1.3 over the files of §1.2.
//!
//! - SELECT the AP by DF name (`00 A4 04 0C`, no FCI), SELECT an EF (`00 A4 02 0C`, 6A82 if
//!   absent); re-selecting the AP clears the security state (OpenSC's logout is exactly that).
//! - READ BINARY (`00 B0`, offset in P1-P2): `min(Le, remaining)` bytes, 6B00 at or past the
//!   end; EF 0001 (the signature certificate) only after the signature PIN (6982 otherwise).
//! - VERIFY (`00 20 00 80`) against the selected PIN EF (0018 authentication, 3 tries; 001B
//!   signature, 5 tries): 9000 and the counter reset on success, 63Cx on failure; the empty
//!   form always answers 63Cx, even after a success (OpenSC PR #959); a blocked PIN answers
//!   6983 to any VERIFY with data (notes: unverified, the likely value).
//! - COMPUTE DIGITAL SIGNATURE (`80 2A 00 80`) after selecting key EF 0017/001A with its PIN
//!   verified: PKCS#1 v1.5 type-1 padding over the input as given (≤ 245 bytes), 256 bytes back.
//! - 6D00 unknown instruction, 6E00 unknown class, 6986 no suitable current EF, 6A86 bad
//!   P1-P2, 6700 a malformed or extended APDU.
//!
//! Counters are persisted to `card-state.json` (write then rename) when the card was loaded
//! from a profile directory, so a locked PIN stays locked across restarts. Nothing here
//! panics on any input; every malformed command gets an error status word.

use std::path::PathBuf;

use kakunin_core::secret::Pin;

use crate::jpki_sim::card_state::{AUTHENTICATION_PIN_TRIES, SIGNATURE_PIN_TRIES};
use crate::jpki_sim::{CardState, Device, SimError, SimProfile, MAX_SIGN_INPUT};

use super::command::{parse, Command};

/// The JPKI-AP's DF name (AID), jpki-notes §1.1.
pub const JPKI_AP_AID: [u8; 10] = [0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// The ATR OpenSC's jpki driver matches (T=1), jpki-notes §1.3.
pub const JPKI_ATR: [u8; 9] = [0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14];

/// EF 0001: the signature certificate.
pub const EF_SIGN_CERT: u16 = 0x0001;
/// EF 0002: the signature CA certificate.
pub const EF_SIGN_CA: u16 = 0x0002;
/// EF 0006: the token.
pub const EF_TOKEN: u16 = 0x0006;
/// EF 000A: the authentication certificate.
pub const EF_AUTH_CERT: u16 = 0x000a;
/// EF 000B: the authentication CA certificate.
pub const EF_AUTH_CA: u16 = 0x000b;
/// EF 0017: the authentication key.
pub const EF_AUTH_KEY: u16 = 0x0017;
/// EF 0018: the authentication PIN.
pub const EF_AUTH_PIN: u16 = 0x0018;
/// EF 001A: the signature key.
pub const EF_SIGN_KEY: u16 = 0x001a;
/// EF 001B: the signature PIN.
pub const EF_SIGN_PIN: u16 = 0x001b;

/// Status words the card answers with (ISO/IEC 7816-4 §5.6).
pub mod sw {
    /// Success.
    pub const OK: u16 = 0x9000;
    /// Wrong length (malformed, extended or over-long APDU).
    pub const WRONG_LENGTH: u16 = 0x6700;
    /// Security status not satisfied (PIN not verified).
    pub const SECURITY_NOT_SATISFIED: u16 = 0x6982;
    /// Authentication method blocked (VERIFY on a blocked PIN).
    pub const BLOCKED: u16 = 0x6983;
    /// Command not allowed: no current EF, or the wrong kind of EF.
    pub const NO_CURRENT_EF: u16 = 0x6986;
    /// File or application not found.
    pub const NOT_FOUND: u16 = 0x6a82;
    /// Incorrect P1-P2.
    pub const WRONG_P1P2: u16 = 0x6a86;
    /// Offset outside the EF.
    pub const WRONG_OFFSET: u16 = 0x6b00;
    /// Instruction not supported.
    pub const UNKNOWN_INS: u16 = 0x6d00;
    /// Class not supported.
    pub const UNKNOWN_CLA: u16 = 0x6e00;
    /// Memory failure (the counter could not be persisted).
    pub const MEMORY_FAILURE: u16 = 0x6581;
}

/// Which PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinRef {
    /// The signature PIN (EF 001B).
    Signature,
    /// The authentication PIN (EF 0018).
    Authentication,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ef {
    Binary(u16),
    Pin(PinRef),
    Key(PinRef),
}

/// The token of EF 0006: the name NUL-padded to 32 bytes (jpki-notes §1.2).
fn token(device: Device) -> Vec<u8> {
    let name: &[u8] = match device {
        Device::Card => b"JPKIAPICCTOKEN",
        Device::Phone => b"JPKIAPGPSETOKEN",
    };
    let mut t = name.to_vec();
    t.resize(32, 0);
    t
}

/// The virtual My Number card (or the phone's JPKI-AP, with its token and access rules).
pub struct JpkiCard {
    profile: SimProfile,
    token: Vec<u8>,
    tries: CardState,
    persist: Option<PathBuf>,
    ap_selected: bool,
    current: Option<Ef>,
    sign_verified: bool,
    auth_verified: bool,
}

impl core::fmt::Debug for JpkiCard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("JpkiCard")
            .field("device", &self.profile.device)
            .field("tries", &self.tries)
            .field("ap_selected", &self.ap_selected)
            .finish_non_exhaustive()
    }
}

fn with_sw(mut data: Vec<u8>, sw: u16) -> Vec<u8> {
    data.extend_from_slice(&sw.to_be_bytes());
    data
}

fn status(sw: u16) -> Vec<u8> {
    sw.to_be_bytes().to_vec()
}

impl JpkiCard {
    /// The card of a profile loaded in memory, with full counters and nothing persisted.
    pub fn in_memory(profile: SimProfile) -> Self {
        Self::new(profile, CardState::default(), None)
    }

    /// The card of the profile directory `DIR/<NAME>` (or its phone's JPKI-AP with
    /// `Device::Phone`), its counters read from and written back to `card-state.json`
    /// (full counters when that file is absent).
    pub fn load(profile_dir: &std::path::Path, device: Device) -> Result<Self, SimError> {
        let profile = match device {
            Device::Card => SimProfile::load_card(profile_dir)?,
            Device::Phone => SimProfile::load_phone(profile_dir)?,
        };
        let dir = profile.dir.clone();
        let tries = if dir
            .join(crate::jpki_sim::card_state::CARD_STATE_FILE)
            .exists()
        {
            CardState::read(&dir)?
        } else {
            CardState::default()
        };
        Ok(Self::new(profile, tries, Some(dir)))
    }

    fn new(profile: SimProfile, tries: CardState, persist: Option<PathBuf>) -> Self {
        JpkiCard {
            token: token(profile.device),
            profile,
            tries,
            persist,
            ap_selected: false,
            current: None,
            sign_verified: false,
            auth_verified: false,
        }
    }

    /// The tries left on each PIN.
    pub fn tries(&self) -> CardState {
        self.tries
    }

    /// The profile behind the card (certificates for tests to compare against).
    pub fn profile(&self) -> &SimProfile {
        &self.profile
    }

    /// Power-off, power-on or reset: the volatile state (selection, verified PINs) is gone;
    /// the counters are not.
    pub fn reset(&mut self) {
        self.ap_selected = false;
        self.current = None;
        self.sign_verified = false;
        self.auth_verified = false;
    }

    /// Answer one command APDU with a response APDU (data and SW1 SW2). Never fails: every
    /// error is a status word.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        let Ok(cmd) = parse(apdu) else {
            return status(sw::WRONG_LENGTH);
        };
        match (cmd.cla, cmd.ins) {
            (0x00, 0xa4) => self.select(&cmd),
            (0x00, 0xb0) => self.read_binary(&cmd),
            (0x00, 0x20) => self.verify(&cmd),
            (0x80, 0x2a) => self.sign(&cmd),
            (0x00 | 0x80, _) => status(sw::UNKNOWN_INS),
            _ => status(sw::UNKNOWN_CLA),
        }
    }

    fn select(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        if cmd.p2 != 0x0c {
            return status(sw::WRONG_P1P2);
        }
        match cmd.p1 {
            0x04 => {
                if cmd.data != JPKI_AP_AID {
                    return status(sw::NOT_FOUND);
                }
                // Selecting the AP (again) ends the security state (notes §1.3).
                self.reset();
                self.ap_selected = true;
                status(sw::OK)
            }
            0x02 => {
                let Ok(fid) = <[u8; 2]>::try_from(cmd.data) else {
                    return status(sw::WRONG_LENGTH);
                };
                if !self.ap_selected {
                    return status(sw::NOT_FOUND);
                }
                let ef = match u16::from_be_bytes(fid) {
                    f @ (EF_SIGN_CERT | EF_SIGN_CA | EF_TOKEN | EF_AUTH_CERT | EF_AUTH_CA) => {
                        Ef::Binary(f)
                    }
                    EF_AUTH_KEY => Ef::Key(PinRef::Authentication),
                    EF_AUTH_PIN => Ef::Pin(PinRef::Authentication),
                    EF_SIGN_KEY => Ef::Key(PinRef::Signature),
                    EF_SIGN_PIN => Ef::Pin(PinRef::Signature),
                    _ => return status(sw::NOT_FOUND),
                };
                self.current = Some(ef);
                status(sw::OK)
            }
            _ => status(sw::WRONG_P1P2),
        }
    }

    fn read_binary(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        let Some(Ef::Binary(fid)) = self.current else {
            return status(sw::NO_CURRENT_EF);
        };
        if !cmd.data.is_empty() {
            return status(sw::WRONG_LENGTH);
        }
        let Some(le) = cmd.le else {
            return status(sw::WRONG_LENGTH);
        };
        // Bit 8 of P1 set would be a short EF identifier (ISO 7816-4): not used by JPKI.
        if cmd.p1 & 0x80 != 0 {
            return status(sw::WRONG_P1P2);
        }
        let needs_pin = match (fid, self.profile.device) {
            (EF_SIGN_CERT, _) => !self.sign_verified,
            // On a smartphone the authentication certificate needs the authentication PIN
            // (notes §2.6).
            (EF_AUTH_CERT, Device::Phone) => !self.auth_verified,
            _ => false,
        };
        if needs_pin {
            return status(sw::SECURITY_NOT_SATISFIED);
        }
        let content: &[u8] = match fid {
            EF_SIGN_CERT => &self.profile.sign_cert,
            EF_SIGN_CA => &self.profile.sign_ca_cert,
            EF_TOKEN => &self.token,
            EF_AUTH_CERT => &self.profile.auth_cert,
            EF_AUTH_CA => &self.profile.auth_ca_cert,
            _ => return status(sw::NOT_FOUND),
        };
        let offset = usize::from(u16::from_be_bytes([cmd.p1, cmd.p2]));
        let Some(rest) = content.get(offset..).filter(|r| !r.is_empty()) else {
            return status(sw::WRONG_OFFSET);
        };
        let n = le.min(rest.len());
        with_sw(rest.get(..n).unwrap_or(rest).to_vec(), sw::OK)
    }

    fn tries_of(&self, pin: PinRef) -> u8 {
        match pin {
            PinRef::Signature => self.tries.signature_pin_tries,
            PinRef::Authentication => self.tries.authentication_pin_tries,
        }
    }

    fn set_tries(&mut self, pin: PinRef, n: u8) -> Result<(), ()> {
        let before = self.tries;
        match pin {
            PinRef::Signature => self.tries.signature_pin_tries = n,
            PinRef::Authentication => self.tries.authentication_pin_tries = n,
        }
        if before == self.tries {
            return Ok(());
        }
        if let Some(dir) = &self.persist {
            if self.tries.write(dir).is_err() {
                return Err(());
            }
        }
        Ok(())
    }

    fn verify(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        if cmd.p1 != 0x00 || cmd.p2 != 0x80 {
            return status(sw::WRONG_P1P2);
        }
        let Some(Ef::Pin(pin)) = self.current else {
            return status(sw::NO_CURRENT_EF);
        };
        let left = self.tries_of(pin);
        let retry = |n: u8| status(0x63c0 | u16::from(n & 0x0f));
        if cmd.data.is_empty() {
            // The retry-counter query: 63Cx always, never 9000 (notes §1.3).
            return retry(left);
        }
        if left == 0 {
            return status(sw::BLOCKED);
        }
        let expected = match pin {
            PinRef::Signature => &self.profile.pins.signature,
            PinRef::Authentication => &self.profile.pins.authentication,
        };
        // Anything that is not even a PIN (too long, non-printable) is a wrong PIN.
        let ok = Pin::from_bytes(cmd.data).is_ok_and(|given| given.ct_eq(expected));
        let verified = match pin {
            PinRef::Signature => &mut self.sign_verified,
            PinRef::Authentication => &mut self.auth_verified,
        };
        *verified = ok;
        let (next, answer) = if ok {
            let max = match pin {
                PinRef::Signature => SIGNATURE_PIN_TRIES,
                PinRef::Authentication => AUTHENTICATION_PIN_TRIES,
            };
            (max, status(sw::OK))
        } else {
            let n = left.saturating_sub(1);
            (n, retry(n))
        };
        if self.set_tries(pin, next).is_err() {
            // The counter could not be recorded: refuse rather than allow unlimited tries.
            match pin {
                PinRef::Signature => self.sign_verified = false,
                PinRef::Authentication => self.auth_verified = false,
            }
            return status(sw::MEMORY_FAILURE);
        }
        answer
    }

    fn sign(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        if cmd.p1 != 0x00 || cmd.p2 != 0x80 {
            return status(sw::WRONG_P1P2);
        }
        let Some(Ef::Key(key)) = self.current else {
            return status(sw::NO_CURRENT_EF);
        };
        let verified = match key {
            PinRef::Signature => self.sign_verified,
            PinRef::Authentication => self.auth_verified,
        };
        if !verified {
            return status(sw::SECURITY_NOT_SATISFIED);
        }
        if cmd.data.is_empty() || cmd.data.len() > MAX_SIGN_INPUT {
            return status(sw::WRONG_LENGTH);
        }
        let signer = match key {
            PinRef::Signature => &self.profile.sign_key,
            PinRef::Authentication => &self.profile.auth_key,
        };
        match signer.sign_padded_raw(cmd.data) {
            Ok(sig) => with_sw(sig, sw::OK),
            Err(_) => status(sw::MEMORY_FAILURE),
        }
    }
}

/// The card never fails as a link: every problem is a status word.
impl kakunin_transport::nfc::Transceive for JpkiCard {
    type Error = std::convert::Infallible;

    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        Ok(self.process(command))
    }
}
