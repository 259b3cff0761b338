//! `jpki-sim init`: a new JPKI-SIM CA directory with both CAs, their (empty) CRLs, and one
//! profile per person — a card and a smartphone JPKI, each with its own keys, certificates
//! (own serials, card or smartphone policies, notes §2.6), random PINs and PIN counters.
//!
//! Layout (session 15 convention): `DIR/jpki-sign-ca.pem`, `DIR/jpki-auth-ca.pem`,
//! `DIR/jpki-sign.crl`, `DIR/jpki-auth.crl`, `DIR/private/` (0700: the CA keys and the CAs'
//! books), `DIR/<NAME>/` (0700: the card) and `DIR/<NAME>/phone/` (the phone). Running it on
//! a directory that already holds a CA is an error: nothing is overwritten.

use std::path::Path;

use time::OffsetDateTime;

use super::ca::{CaBook, CaState, Purpose, SimCa, PRIVATE_DIR};
use super::card_state::CardState;
use super::certs::{check_facts, issue_person_cert, Device};
use super::error::SimError;
use super::facts::PersonFacts;
use super::files;
use super::pins::SimPins;
use super::profile::{AUTH_CERT_FILE, AUTH_KEY_FILE, PHONE_DIR, SIGN_CERT_FILE, SIGN_KEY_FILE};
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

/// Create the CA directory `out` with `cards` (at least one), everything valid from `now`.
pub fn init(out: &Path, cards: &[CardSpec], now: OffsetDateTime) -> Result<(), SimError> {
    if cards.is_empty() {
        return Err(SimError::BadFacts("at least one card"));
    }
    for (i, c) in cards.iter().enumerate() {
        if !is_plain_name(&c.name) || cards.iter().take(i).any(|o| o.name == c.name) {
            return Err(SimError::BadCardName(c.name.clone()));
        }
        check_facts(&c.facts)?;
    }
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
    std::fs::create_dir_all(out).map_err(|source| SimError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    files::create_dir(&out.join(PRIVATE_DIR), 0o700)?;

    let mut state = CaState::default();
    let sign_ca = SimCa::generate(Purpose::Signature, now, &mut state.sign)?;
    let auth_ca = SimCa::generate(Purpose::Authentication, now, &mut state.auth)?;
    sign_ca.write_new(out)?;
    auth_ca.write_new(out)?;

    for card in cards {
        let dir = out.join(&card.name);
        files::create_dir(&dir, 0o700)?;
        write_device(
            &dir,
            &card.facts,
            Device::Card,
            &sign_ca,
            &auth_ca,
            &mut state,
            now,
        )?;
        let phone = dir.join(PHONE_DIR);
        files::create_dir(&phone, 0o700)?;
        write_device(
            &phone,
            &card.facts,
            Device::Phone,
            &sign_ca,
            &auth_ca,
            &mut state,
            now,
        )?;
    }

    for (ca, book) in [(&sign_ca, &mut state.sign), (&auth_ca, &mut state.auth)] {
        book.crl_number = 1;
        let crl = ca.sign_crl(book, now)?;
        files::write_new(&out.join(ca.purpose().crl_file()), &crl, files::PUBLIC)?;
    }
    state.store(out)
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

fn issue(
    ca: &SimCa,
    book: &mut CaBook,
    facts: &PersonFacts,
    device: Device,
    now: OffsetDateTime,
) -> Result<(SimRsaKey, Vec<u8>), SimError> {
    let key = SimRsaKey::generate()?;
    let cert = issue_person_cert(ca, book, &key, facts, device, now)?;
    Ok((key, cert))
}

fn write_device(
    dir: &Path,
    facts: &PersonFacts,
    device: Device,
    sign_ca: &SimCa,
    auth_ca: &SimCa,
    state: &mut CaState,
    now: OffsetDateTime,
) -> Result<(), SimError> {
    let (sign_key, sign_cert) = issue(sign_ca, &mut state.sign, facts, device, now)?;
    let (auth_key, auth_cert) = issue(auth_ca, &mut state.auth, facts, device, now)?;
    write_pair(dir, SIGN_CERT_FILE, SIGN_KEY_FILE, &sign_cert, &sign_key)?;
    write_pair(dir, AUTH_CERT_FILE, AUTH_KEY_FILE, &auth_cert, &auth_key)?;
    SimPins::generate()?.write_new(dir)?;
    CardState::default().write(dir)
}
