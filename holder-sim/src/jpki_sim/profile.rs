//! A person's profile directory as `jpki-sim init` writes it (session 15 layout): the card in
//! `DIR/<NAME>/` and the smartphone JPKI in `DIR/<NAME>/phone/`, each with `sign.pem`,
//! `sign.key`, `auth.pem`, `auth.key`, `pins.json` and `card-state.json`; the CA certificates
//! of the CA directory above them. What the virtual card and the simulated phone load.

use std::path::{Path, PathBuf};

use super::ca::{read_first_cert, read_key, Purpose};
use super::certs::Device;
use super::error::SimError;
use super::pins::SimPins;
use super::rsa_key::SimRsaKey;

/// The signature certificate (PEM).
pub const SIGN_CERT_FILE: &str = "sign.pem";
/// The signature key (PKCS#8 PEM, 0600).
pub const SIGN_KEY_FILE: &str = "sign.key";
/// The authentication certificate (PEM).
pub const AUTH_CERT_FILE: &str = "auth.pem";
/// The authentication key (PKCS#8 PEM, 0600).
pub const AUTH_KEY_FILE: &str = "auth.key";
/// The smartphone JPKI's subdirectory of a profile.
pub const PHONE_DIR: &str = "phone";

/// The keys, certificates and PINs of one simulated card or phone.
#[derive(Debug)]
pub struct SimProfile {
    /// Card or phone.
    pub device: Device,
    /// Where it was loaded from (card: `DIR/<NAME>`, phone: `DIR/<NAME>/phone`); for a
    /// profile made in memory by [`super::init::generate`], that path relative to `DIR`.
    pub dir: PathBuf,
    /// The signature key.
    pub sign_key: SimRsaKey,
    /// The signature certificate, DER.
    pub sign_cert: Vec<u8>,
    /// The authentication key.
    pub auth_key: SimRsaKey,
    /// The authentication certificate, DER.
    pub auth_cert: Vec<u8>,
    /// The signature CA certificate, DER (EF 0002).
    pub sign_ca_cert: Vec<u8>,
    /// The authentication CA certificate, DER (EF 000B).
    pub auth_ca_cert: Vec<u8>,
    /// Both PINs.
    pub pins: SimPins,
}

impl SimProfile {
    /// Load the card of the profile `DIR/<NAME>` (the CA directory is `DIR`).
    pub fn load_card(profile_dir: &Path) -> Result<Self, SimError> {
        let ca_dir = profile_dir.parent().unwrap_or(Path::new("."));
        Self::load(profile_dir.to_path_buf(), ca_dir, Device::Card)
    }

    /// Load the smartphone JPKI of the profile `DIR/<NAME>` (from `DIR/<NAME>/phone`).
    pub fn load_phone(profile_dir: &Path) -> Result<Self, SimError> {
        let ca_dir = profile_dir.parent().unwrap_or(Path::new("."));
        Self::load(profile_dir.join(PHONE_DIR), ca_dir, Device::Phone)
    }

    fn load(dir: PathBuf, ca_dir: &Path, device: Device) -> Result<Self, SimError> {
        if !dir.join(SIGN_CERT_FILE).exists() {
            return Err(SimError::NoSuchCard(dir.display().to_string()));
        }
        Ok(SimProfile {
            device,
            sign_key: read_key(&dir.join(SIGN_KEY_FILE))?,
            sign_cert: read_first_cert(&dir.join(SIGN_CERT_FILE))?,
            auth_key: read_key(&dir.join(AUTH_KEY_FILE))?,
            auth_cert: read_first_cert(&dir.join(AUTH_CERT_FILE))?,
            sign_ca_cert: read_first_cert(&ca_dir.join(Purpose::Signature.cert_file()))?,
            auth_ca_cert: read_first_cert(&ca_dir.join(Purpose::Authentication.cert_file()))?,
            pins: SimPins::read(&dir)?,
            dir,
        })
    }
}
