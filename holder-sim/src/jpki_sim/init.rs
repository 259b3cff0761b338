//! `jpki-sim init`: a new JPKI-SIM CA directory with both CAs, their (empty) CRLs, and one
//! profile per person — a card and a smartphone JPKI, each with its own keys, certificates
//! (own serials, card or smartphone policies, notes §2.6), random PINs and PIN counters.
//!
//! Layout (session 15 convention): `DIR/jpki-sign-ca.pem`, `DIR/jpki-auth-ca.pem`,
//! `DIR/jpki-sign.crl`, `DIR/jpki-auth.crl`, `DIR/private/` (0700: the CA keys and the CAs'
//! books), `DIR/<NAME>/` (0700: the card) and `DIR/<NAME>/phone/` (the phone). Running it on
//! a directory that already holds a CA is an error: nothing is overwritten. [`generate`] builds
//! the same in memory (for a demo without files).

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::ca::{CaState, Purpose, SimCa, PRIVATE_DIR};
use super::card_state::CardState;
use super::certs::{check_facts, issue_person_cert, Device};
use super::error::SimError;
use super::facts::PersonFacts;
use super::files;
use super::pins::SimPins;
use super::profile::{
    SimProfile, AUTH_CERT_FILE, AUTH_KEY_FILE, PHONE_DIR, SIGN_CERT_FILE, SIGN_KEY_FILE,
};
use super::rsa_key::SimRsaKey;
use super::x509::cert_pem;

/// One person to create: the profile's directory name and the four facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSpec {
    /// The profile's directory name under the CA directory (ASCII letters, digits, `-`, `_`).
    pub name: String,
    /// The person.
    pub facts: PersonFacts,
}

impl CardSpec {
    /// The default profile `taro` with invented facts.
    pub fn default_taro() -> Self {
        CardSpec {
            name: "taro".to_owned(),
            facts: PersonFacts::default_taro(),
        }
    }
}

/// Whether `name` is a plain directory name for a profile.
pub(crate) fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name != PRIVATE_DIR
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A whole JPKI-SIM in memory: both CAs, their first CRLs (number 1, empty), and each
/// person's card and phone. What `init` writes, and what an in-memory demo uses directly.
#[derive(Debug)]
pub struct SimJpki {
    /// The signature CA.
    pub sign_ca: SimCa,
    /// The authentication CA.
    pub auth_ca: SimCa,
    /// The signature CA's CRL, DER.
    pub sign_crl: Vec<u8>,
    /// The authentication CA's CRL, DER.
    pub auth_crl: Vec<u8>,
    /// The people, in the order given.
    pub people: Vec<SimPerson>,
    state: CaState,
}

/// One simulated person: the card and the smartphone JPKI.
#[derive(Debug)]
pub struct SimPerson {
    /// The profile's name.
    pub name: String,
    /// The card (its `dir` is `NAME`, relative to the CA directory).
    pub card: SimProfile,
    /// The phone (its `dir` is `NAME/phone`).
    pub phone: SimProfile,
}

fn check_specs(cards: &[CardSpec]) -> Result<(), SimError> {
    if cards.is_empty() {
        return Err(SimError::BadFacts("at least one card"));
    }
    for (i, c) in cards.iter().enumerate() {
        if !is_plain_name(&c.name) || cards.iter().take(i).any(|o| o.name == c.name) {
            return Err(SimError::BadCardName(c.name.clone()));
        }
        check_facts(&c.facts)?;
    }
    Ok(())
}

/// Generate a JPKI-SIM with `cards` (at least one), everything valid from `now`, in memory.
pub fn generate(cards: &[CardSpec], now: OffsetDateTime) -> Result<SimJpki, SimError> {
    check_specs(cards)?;
    let mut state = CaState::default();
    let sign_ca = SimCa::generate(Purpose::Signature, now, &mut state.sign)?;
    let auth_ca = SimCa::generate(Purpose::Authentication, now, &mut state.auth)?;
    let mut people = Vec::with_capacity(cards.len());
    for c in cards {
        let dir = PathBuf::from(&c.name);
        let card = device(
            dir.clone(),
            &c.facts,
            Device::Card,
            &sign_ca,
            &auth_ca,
            &mut state,
            now,
        )?;
        let phone = device(
            dir.join(PHONE_DIR),
            &c.facts,
            Device::Phone,
            &sign_ca,
            &auth_ca,
            &mut state,
            now,
        )?;
        people.push(SimPerson {
            name: c.name.clone(),
            card,
            phone,
        });
    }
    state.sign.crl_number = 1;
    state.auth.crl_number = 1;
    let sign_crl = sign_ca.sign_crl(&state.sign, now)?;
    let auth_crl = auth_ca.sign_crl(&state.auth, now)?;
    Ok(SimJpki {
        sign_ca,
        auth_ca,
        sign_crl,
        auth_crl,
        people,
        state,
    })
}

impl SimJpki {
    /// Write what a relying party (the issuer service's `--jpki-ca DIR`) reads into the
    /// existing directory `dir`: both CA certificates (PEM) and both CRLs (DER), under the
    /// shared file names — no private key and no card. Refuses to overwrite.
    pub fn write_trust_dir(&self, dir: &Path) -> Result<(), SimError> {
        for (ca, crl) in [
            (&self.sign_ca, &self.sign_crl),
            (&self.auth_ca, &self.auth_crl),
        ] {
            let purpose = ca.purpose();
            files::write_new(
                &dir.join(purpose.cert_file()),
                cert_pem(ca.cert_der())?.as_bytes(),
                files::PUBLIC,
            )?;
            files::write_new(&dir.join(purpose.crl_file()), crl, files::PUBLIC)?;
        }
        Ok(())
    }
}

/// Create the CA directory `out` with `cards` (at least one), everything valid from `now`.
pub fn init(out: &Path, cards: &[CardSpec], now: OffsetDateTime) -> Result<(), SimError> {
    check_specs(cards)?;
    for existing in [
        Purpose::Signature.cert_file(),
        Purpose::Authentication.cert_file(),
        Purpose::Signature.crl_file(),
        Purpose::Authentication.crl_file(),
        PRIVATE_DIR,
    ] {
        let p = out.join(existing);
        if p.exists() {
            return Err(SimError::Exists(p));
        }
    }
    // Checked up front so that a clash leaves nothing half-written.
    for c in cards {
        let p = out.join(&c.name);
        if p.exists() {
            return Err(SimError::Exists(p));
        }
    }
    let sim = generate(cards, now)?;
    std::fs::create_dir_all(out).map_err(|source| SimError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    files::create_dir(&out.join(PRIVATE_DIR), 0o700)?;
    sim.sign_ca.write_new(out)?;
    sim.auth_ca.write_new(out)?;
    for person in &sim.people {
        files::create_dir(&out.join(&person.card.dir), 0o700)?;
        write_profile(out, &person.card)?;
        files::create_dir(&out.join(&person.phone.dir), 0o700)?;
        write_profile(out, &person.phone)?;
    }
    files::write_new(
        &out.join(Purpose::Signature.crl_file()),
        &sim.sign_crl,
        files::PUBLIC,
    )?;
    files::write_new(
        &out.join(Purpose::Authentication.crl_file()),
        &sim.auth_crl,
        files::PUBLIC,
    )?;
    sim.state.store(out)
}

fn write_pair(
    dir: &Path,
    cert_file: &str,
    key_file: &str,
    cert_der: &[u8],
    key: &SimRsaKey,
) -> Result<(), SimError> {
    files::write_new(
        &dir.join(cert_file),
        cert_pem(cert_der)?.as_bytes(),
        files::PUBLIC,
    )?;
    files::write_new(
        &dir.join(key_file),
        key.to_pkcs8_pem()?.as_bytes(),
        files::SECRET,
    )
}

fn write_profile(out: &Path, p: &SimProfile) -> Result<(), SimError> {
    let dir = out.join(&p.dir);
    write_pair(
        &dir,
        SIGN_CERT_FILE,
        SIGN_KEY_FILE,
        &p.sign_cert,
        &p.sign_key,
    )?;
    write_pair(
        &dir,
        AUTH_CERT_FILE,
        AUTH_KEY_FILE,
        &p.auth_cert,
        &p.auth_key,
    )?;
    p.pins.write_new(&dir)?;
    CardState::default().write(&dir)
}

fn device(
    dir: PathBuf,
    facts: &PersonFacts,
    device: Device,
    sign_ca: &SimCa,
    auth_ca: &SimCa,
    state: &mut CaState,
    now: OffsetDateTime,
) -> Result<SimProfile, SimError> {
    let sign_key = SimRsaKey::generate()?;
    let sign_cert = issue_person_cert(sign_ca, &mut state.sign, &sign_key, facts, device, now)?;
    let auth_key = SimRsaKey::generate()?;
    let auth_cert = issue_person_cert(auth_ca, &mut state.auth, &auth_key, facts, device, now)?;
    Ok(SimProfile {
        device,
        dir,
        sign_key,
        sign_cert,
        auth_key,
        auth_cert,
        sign_ca_cert: sign_ca.cert_der().to_vec(),
        auth_ca_cert: auth_ca.cert_der().to_vec(),
        pins: SimPins::generate()?,
    })
}
