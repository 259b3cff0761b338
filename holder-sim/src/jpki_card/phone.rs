//! The simulated smartphone JPKI (スマホ用電子証明書, jpki-notes §2.6): the phone's own
//! signature and authentication keys and certificates, loaded from `DIR/<NAME>/phone/`, used
//! by the enrolment flow without a card.
//!
//! It signs through [`RsaSigner`] like the card does, and through the same JPKI-AP state
//! machine ([`JpkiCard`] with the smartphone token and access rules), so the PINs, their
//! counters and the lock-out apply exactly as on the card.

use std::path::Path;

use kakunin_core::crypto::{sha256_digest_info, RsaPublicKey, RsaSigner};
use kakunin_core::secret::Pin;
use sha2::{Digest, Sha256};

use crate::jpki_sim::{Device, SimError};

use super::card::JPKI_AP_AID;
use super::card::{sw, JpkiCard, PinRef, EF_AUTH_KEY, EF_AUTH_PIN, EF_SIGN_KEY, EF_SIGN_PIN};

/// Why the phone refused to sign or to unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// The PIN was wrong; this many tries are left (0: now blocked).
    #[error("wrong PIN, {tries_left} tries left")]
    WrongPin {
        /// Tries left.
        tries_left: u8,
    },
    /// The PIN is blocked: nothing is tried.
    #[error("PIN blocked")]
    Blocked,
    /// Signing before the key's PIN was presented.
    #[error("the key's PIN has not been verified")]
    NotUnlocked,
    /// The JPKI-AP answered an unexpected status word.
    #[error("JPKI-AP status {0:04X}")]
    Status(u16),
}

impl PhoneError {
    /// The error's [`kakunin_core::Cause`].
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            PhoneError::WrongPin { .. } => kakunin_core::Cause::FailedCheck,
            PhoneError::Blocked | PhoneError::NotUnlocked => kakunin_core::Cause::Misuse,
            PhoneError::Status(_) => kakunin_core::Cause::Malformed,
        }
    }
}

fn sw_of(resp: &[u8]) -> u16 {
    match resp {
        [.., a, b] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    }
}

/// A phone with smartphone JPKI.
#[derive(Debug)]
pub struct SimulatedPhone {
    ap: JpkiCard,
}

impl SimulatedPhone {
    /// The phone of the profile `DIR/<NAME>` (from `DIR/<NAME>/phone/`, counters persisted).
    pub fn load(profile_dir: &Path) -> Result<Self, SimError> {
        Ok(Self::from_ap(JpkiCard::load(profile_dir, Device::Phone)?))
    }

    /// A phone around a JPKI-AP state machine (built with `Device::Phone`).
    pub fn from_ap(mut ap: JpkiCard) -> Self {
        let mut select = vec![0x00, 0xa4, 0x04, 0x0c, 0x0a];
        select.extend_from_slice(&JPKI_AP_AID);
        ap.process(&select);
        SimulatedPhone { ap }
    }

    /// The signature certificate, DER.
    pub fn signature_certificate(&self) -> &[u8] {
        &self.ap.profile().sign_cert
    }

    /// The authentication certificate, DER.
    pub fn authentication_certificate(&self) -> &[u8] {
        &self.ap.profile().auth_cert
    }

    /// The JPKI-AP behind the phone (its counters).
    pub fn ap(&self) -> &JpkiCard {
        &self.ap
    }

    fn select(&mut self, fid: u16) -> Result<(), PhoneError> {
        let [hi, lo] = fid.to_be_bytes();
        match sw_of(&self.ap.process(&[0x00, 0xa4, 0x02, 0x0c, 0x02, hi, lo])) {
            sw::OK => Ok(()),
            other => Err(PhoneError::Status(other)),
        }
    }

    /// Present `pin` for `which` key (VERIFY; a wrong PIN costs a try, a blocked one is
    /// refused without trying).
    pub fn unlock(&mut self, which: PinRef, pin: &Pin) -> Result<(), PhoneError> {
        self.select(match which {
            PinRef::Signature => EF_SIGN_PIN,
            PinRef::Authentication => EF_AUTH_PIN,
        })?;
        let secret = pin.expose_secret();
        let lc = u8::try_from(secret.len()).map_err(|_| PhoneError::WrongPin { tries_left: 0 })?;
        let mut apdu = zeroize::Zeroizing::new(vec![0x00, 0x20, 0x00, 0x80, lc]);
        apdu.extend_from_slice(secret);
        match sw_of(&self.ap.process(&apdu)) {
            sw::OK => Ok(()),
            sw::BLOCKED => Err(PhoneError::Blocked),
            s if s & 0xfff0 == 0x63c0 => Err(PhoneError::WrongPin {
                tries_left: u8::try_from(s & 0x0f).unwrap_or(0),
            }),
            other => Err(PhoneError::Status(other)),
        }
    }

    fn sign_with(&mut self, which: PinRef, msg: &[u8]) -> Result<Vec<u8>, PhoneError> {
        self.select(match which {
            PinRef::Signature => EF_SIGN_KEY,
            PinRef::Authentication => EF_AUTH_KEY,
        })?;
        let digest: [u8; 32] = Sha256::digest(msg).into();
        let info = sha256_digest_info(&digest);
        let mut apdu = vec![0x80, 0x2a, 0x00, 0x80, 51];
        apdu.extend_from_slice(&info);
        apdu.push(0x00);
        let mut resp = self.ap.process(&apdu);
        match sw_of(&resp) {
            sw::OK => {
                resp.truncate(resp.len().saturating_sub(2));
                Ok(resp)
            }
            sw::SECURITY_NOT_SATISFIED => Err(PhoneError::NotUnlocked),
            other => Err(PhoneError::Status(other)),
        }
    }

    /// The authentication key as a signer (after [`SimulatedPhone::unlock`] with
    /// [`PinRef::Authentication`]).
    pub fn authentication_key(&mut self) -> PhoneAuthKey<'_> {
        PhoneAuthKey { phone: self }
    }
}

/// The phone's signature key (after [`SimulatedPhone::unlock`] with [`PinRef::Signature`]).
impl RsaSigner for SimulatedPhone {
    type Error = PhoneError;

    fn public_key(&self) -> &RsaPublicKey {
        self.ap.profile().sign_key.public()
    }

    fn sign_pkcs1v15(&mut self, msg: &[u8]) -> Result<Vec<u8>, PhoneError> {
        self.sign_with(PinRef::Signature, msg)
    }
}

/// The phone's authentication key as an [`RsaSigner`].
#[derive(Debug)]
pub struct PhoneAuthKey<'a> {
    phone: &'a mut SimulatedPhone,
}

impl RsaSigner for PhoneAuthKey<'_> {
    type Error = PhoneError;

    fn public_key(&self) -> &RsaPublicKey {
        self.phone.ap.profile().auth_key.public()
    }

    fn sign_pkcs1v15(&mut self, msg: &[u8]) -> Result<Vec<u8>, PhoneError> {
        self.phone.sign_with(PinRef::Authentication, msg)
    }
}
