//! `jpki-sim revoke`: put a person's **signature** certificates (the card's and the phone's) on
//! the signature CA's CRL and re-sign it with the next CRL number.
//!
//! This is what J-LIS does automatically when any of the four facts changes — a move, a
//! marriage, a name change (jpki-notes §3.4) — so the default reason is RFC 5280
//! `affiliationChanged` ("the subject's name or other information in the certificate has been
//! modified", §5.3.1), not `keyCompromise`. The authentication certificates survive such a
//! change (§3.4) and are left alone.

use std::path::Path;

use kakunin_core::trust::CrlReason;
use time::OffsetDateTime;

use super::ca::{read_first_cert, CaState, Purpose, RevokedRecord, SimCa};
use super::error::SimError;
use super::files;
use super::init::is_plain_name;
use super::profile::{PHONE_DIR, SIGN_CERT_FILE};

/// The reason `revoke` writes unless told otherwise: a change of the four facts.
pub const DEFAULT_REASON: CrlReason = CrlReason::AffiliationChanged;

/// What a revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// The serials now listed (card, phone): INTEGER content octets.
    pub serials: Vec<Vec<u8>>,
    /// The number of the CRL just signed.
    pub crl_number: u64,
}

fn serial_of(cert_der: &[u8]) -> Result<Vec<u8>, SimError> {
    use der::Decode;
    let cert =
        x509_cert::Certificate::from_der(cert_der).map_err(|_| SimError::Build("certificate"))?;
    Ok(cert.tbs_certificate.serial_number.as_bytes().to_vec())
}

/// Revoke the signature certificates of the profile `card` of the CA directory `ca_dir` at
/// `now` for `reason`, and re-sign `jpki-sign.crl` (thisUpdate `now`). Revoking again keeps
/// one entry per certificate and still issues a new CRL.
pub fn revoke(
    ca_dir: &Path,
    card: &str,
    reason: CrlReason,
    now: OffsetDateTime,
) -> Result<Revoked, SimError> {
    if !is_plain_name(card) {
        return Err(SimError::BadCardName(card.to_owned()));
    }
    let profile = ca_dir.join(card);
    let card_cert = profile.join(SIGN_CERT_FILE);
    if !card_cert.exists() {
        return Err(SimError::NoSuchCard(card.to_owned()));
    }
    let mut serials = vec![serial_of(&read_first_cert(&card_cert)?)?];
    let phone_cert = profile.join(PHONE_DIR).join(SIGN_CERT_FILE);
    if phone_cert.exists() {
        serials.push(serial_of(&read_first_cert(&phone_cert)?)?);
    }
    let ca = SimCa::load(ca_dir, Purpose::Signature)?;
    let mut state = CaState::load(ca_dir)?;
    let book = state.book_mut(Purpose::Signature);
    for s in &serials {
        let h = hex::encode(s);
        if !book.revoked.iter().any(|r| r.serial == h) {
            book.revoked.push(RevokedRecord {
                serial: h,
                revoked_at: now.unix_timestamp(),
                reason: reason.code(),
            });
        }
    }
    book.crl_number = book
        .crl_number
        .checked_add(1)
        .ok_or(SimError::Build("CRL number"))?;
    let crl_number = book.crl_number;
    let crl = ca.sign_crl(book, now)?;
    // The book first: a crash between the two writes must never reuse a CRL number.
    state.store(ca_dir)?;
    files::write_replace(
        &ca_dir.join(Purpose::Signature.crl_file()),
        &crl,
        files::PUBLIC,
    )?;
    Ok(Revoked {
        serials,
        crl_number,
    })
}
