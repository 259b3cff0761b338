//! One `CertificateInfo` of a VICAL (Annex C): the IACA certificate, with the docTypes it
//! is listed for, and the warnings raised where the CBOR hints disagree with it.
//!
//! An entry copies nothing out of the list: its certificate, texts and the certificate's
//! fields are ranges of the received bytes, which the entry shares (one buffer per list), and
//! entries listing the same docTypes share one list of them. The certificate is walked once
//! while parsing (its DER shape, serial, Names, validity, SKI); webpki's trust-anchor check
//! runs when the entry is first used as an anchor (`crate::trust::anchors`).

use super::cert_fields::{cert_fields, name_country, name_summary};
use super::parse::{bounded_str, tdate_field, TextLists};
use super::{FieldDefect, VicalError};
use crate::cbor::Item;
use crate::trust::anchors::Anchor;
use crate::trust::{CertDefect, DistinguishedNameSummary, TrustError, MAX_CERT_LEN};
use core::ops::Range;
use std::sync::Arc;
use time::OffsetDateTime;

/// A VICAL entry: an IACA certificate and what the list says about it. SKI, serial and
/// validity are read from the certificate itself; the CBOR copies only raise warnings.
#[derive(Debug, Clone)]
pub struct VicalEntry {
    pub(crate) index: usize,
    /// The certificate as the trust anchor it becomes, scoped to the entry's docTypes; it
    /// holds the list's bytes, which the ranges below point into.
    pub(crate) anchor: Anchor,
    // Where in the certificate the subject and issuer Names, the serial (without leading
    // zeros) and the SKI keyIdentifier are: found while parsing, summarised when asked for.
    subject: Range<usize>,
    issuer: Range<usize>,
    serial: Range<usize>,
    ski: Option<Range<usize>>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    certificate_profiles: Arc<[String]>,
    // Where in the list's bytes the optional texts are (already checked as UTF-8 and bounded).
    issuing_authority: Option<Range<usize>>,
    issuing_country: Option<Range<usize>>,
    state_or_province: Option<Range<usize>>,
}

impl VicalEntry {
    /// Position in `certificateInfos` (0-based).
    pub fn index(&self) -> usize {
        self.index
    }
    /// The certificate's DER (given out only by a verified list).
    pub(crate) fn der(&self) -> &[u8] {
        self.anchor.der()
    }
    /// The part of the certificate at `r` (a range found while parsing it).
    fn part(&self, r: &Range<usize>) -> &[u8] {
        self.der().get(r.clone()).unwrap_or_default()
    }
    /// A text of the list at `r` (found while parsing, when the decoder checked its UTF-8).
    fn text(&self, r: Option<&Range<usize>>) -> Option<&str> {
        let bytes = self.anchor.buffer().get(r?.clone())?;
        std::str::from_utf8(bytes).ok()
    }
    /// The certificate's subject (peer text: escape before printing), read from the
    /// certificate on each call.
    pub fn subject(&self) -> DistinguishedNameSummary {
        name_summary(self.part(&self.subject))
    }
    /// The certificate's issuer (the same as the subject for a self-signed IACA), read from
    /// the certificate on each call.
    pub fn issuer(&self) -> DistinguishedNameSummary {
        name_summary(self.part(&self.issuer))
    }
    /// The certificate's serial number, big-endian without leading zero bytes.
    pub fn serial(&self) -> &[u8] {
        self.part(&self.serial)
    }
    /// The certificate's SubjectKeyIdentifier keyIdentifier (RFC 5280 §4.2.1.2), if it has
    /// the extension.
    pub fn ski(&self) -> Option<&[u8]> {
        self.ski.as_ref().map(|r| self.part(r))
    }
    /// The certificate's notBefore.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }
    /// The certificate's notAfter.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
    /// The docTypes the IACA is listed for (`docType`), the scope it is imported with.
    pub fn doc_types(&self) -> &[String] {
        self.anchor.doc_types().unwrap_or_default()
    }
    /// `certificateProfile`, if given.
    pub fn certificate_profiles(&self) -> &[String] {
        &self.certificate_profiles
    }
    /// `issuingAuthority`, if given.
    pub fn issuing_authority(&self) -> Option<&str> {
        self.text(self.issuing_authority.as_ref())
    }
    /// `issuingCountry`, if given.
    pub fn issuing_country(&self) -> Option<&str> {
        self.text(self.issuing_country.as_ref())
    }
    /// `stateOrProvinceName`, if given.
    pub fn state_or_province(&self) -> Option<&str> {
        self.text(self.state_or_province.as_ref())
    }
}

/// Where a CBOR hint of an entry disagrees with its certificate, or something a verifier
/// should know about the entry; never a reason to refuse the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// `ski` is the keyIdentifier wrapped in DER OCTET STRING headers (AAMVA sends the whole
    /// extension value, `04 16 04 14 ‖ keyid`); the certificate's own SKI is used.
    SkiDerWrapped,
    /// `ski` is given but the certificate has no SubjectKeyIdentifier extension.
    SkiWithoutExtension,
    /// `ski` differs from the certificate's SubjectKeyIdentifier.
    SkiMismatch,
    /// `ski` is absent (Annex C requires it; the certificate's own is used).
    SkiMissing,
    /// `serialNumber` differs from the certificate's serial number.
    SerialMismatch,
    /// `serialNumber` is absent.
    SerialMissing,
    /// `notBefore` differs from the certificate's notBefore.
    NotBeforeMismatch,
    /// `notAfter` differs from the certificate's notAfter.
    NotAfterMismatch,
    /// `issuer` (DER Name) differs from the certificate's issuer.
    IssuerMismatch,
    /// `subject` (DER Name) differs from the certificate's subject.
    SubjectMismatch,
    /// `issuingCountry` differs from the certificate subject's countryName.
    CountryMismatch,
    /// The certificate has expired at the verification time (it is still imported; chains to
    /// it fail validation).
    Expired,
    /// The certificate is not yet valid at the verification time.
    NotYetValid,
}

impl core::fmt::Display for WarningKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            WarningKind::SkiDerWrapped => {
                "ski is DER-wrapped (OCTET STRING around the key identifier)"
            }
            WarningKind::SkiWithoutExtension => {
                "ski given but the certificate has no SubjectKeyIdentifier"
            }
            WarningKind::SkiMismatch => "ski differs from the certificate's",
            WarningKind::SkiMissing => "ski missing",
            WarningKind::SerialMismatch => "serialNumber differs from the certificate's",
            WarningKind::SerialMissing => "serialNumber missing",
            WarningKind::NotBeforeMismatch => "notBefore differs from the certificate's",
            WarningKind::NotAfterMismatch => "notAfter differs from the certificate's",
            WarningKind::IssuerMismatch => "issuer differs from the certificate's",
            WarningKind::SubjectMismatch => "subject differs from the certificate's",
            WarningKind::CountryMismatch => "issuingCountry differs from the certificate's",
            WarningKind::Expired => "certificate expired at the verification time",
            WarningKind::NotYetValid => "certificate not yet valid at the verification time",
        })
    }
}

/// A warning about one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VicalWarning {
    /// Position of the entry in `certificateInfos`.
    pub index: usize,
    /// What is off.
    pub kind: WarningKind,
}

impl core::fmt::Display for VicalWarning {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "entry {}: {}", self.index, self.kind)
    }
}

fn entry_err(index: usize, field: &'static str, reason: FieldDefect) -> VicalError {
    VicalError::Entry {
        index,
        field,
        reason,
    }
}

/// An unsigned big-endian integer without leading zero bytes (DER INTEGER content of a
/// positive serial, or a CBOR biguint).
fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or_default()
}

/// Remove one DER OCTET STRING header (tag 04, definite short or long length covering the
/// rest exactly).
fn unwrap_octet_string(b: &[u8]) -> Option<&[u8]> {
    let [0x04, len, rest @ ..] = b else {
        return None;
    };
    let (n, body) = match *len {
        n @ 0..=0x7f => (usize::from(n), rest),
        0x81 => {
            let (n, body) = rest.split_first()?;
            (usize::from(*n), body)
        }
        _ => return None,
    };
    (body.len() == n).then_some(body)
}

/// Compare the `ski` hint with the certificate's SKI.
fn ski_warning(hint: Option<&[u8]>, own: Option<&[u8]>) -> Option<WarningKind> {
    let Some(hint) = hint else {
        return Some(WarningKind::SkiMissing);
    };
    let Some(own) = own else {
        return Some(WarningKind::SkiWithoutExtension);
    };
    if hint == own {
        return None;
    }
    let mut peeled = hint;
    for _ in 0..2 {
        match unwrap_octet_string(peeled) {
            Some(inner) if inner == own => return Some(WarningKind::SkiDerWrapped),
            Some(inner) => peeled = inner,
            None => break,
        }
    }
    Some(WarningKind::SkiMismatch)
}

/// The `CertificateInfo` keys read (Annex C), in slot order.
const ENTRY_KEYS: [&str; 12] = [
    "certificate",
    "serialNumber",
    "ski",
    "docType",
    "certificateProfile",
    "issuingAuthority",
    "issuingCountry",
    "stateOrProvinceName",
    "issuer",
    "subject",
    "notBefore",
    "notAfter",
];

/// The slot of a `CertificateInfo` key in [`ENTRY_KEYS`]; `None` for keys not read
/// (`extensions` and unknown ones).
fn entry_key(k: &str) -> Option<usize> {
    // A match (by length, then bytes) rather than a scan of ENTRY_KEYS: it runs for every
    // key of every entry.
    Some(match k {
        "certificate" => 0,
        "serialNumber" => 1,
        "ski" => 2,
        "docType" => 3,
        "certificateProfile" => 4,
        "issuingAuthority" => 5,
        "issuingCountry" => 6,
        "stateOrProvinceName" => 7,
        "issuer" => 8,
        "subject" => 9,
        "notBefore" => 10,
        "notAfter" => 11,
        _ => return None,
    })
}

/// Where `part` (a slice of `outer`) lies in `outer`; `None` if it is not inside it.
pub(super) fn range_in(outer: &[u8], part: &[u8]) -> Option<Range<usize>> {
    let start = part.as_ptr().addr().checked_sub(outer.as_ptr().addr())?;
    let end = start.checked_add(part.len())?;
    (end <= outer.len()).then_some(start..end)
}

/// Parse entry `index` of the list held in `buf` (the items borrow from it), pushing its
/// hint warnings onto `warnings`; `lists` shares equal docType and profile lists.
pub(super) fn parse_entry(
    index: usize,
    item: &Item<'_>,
    buf: &Arc<[u8]>,
    lists: &mut TextLists,
    warnings: &mut Vec<VicalWarning>,
) -> Result<VicalEntry, VicalError> {
    let map = item
        .as_map()
        .ok_or(entry_err(index, "CertificateInfo", FieldDefect::WrongType))?;
    // One pass over the map; the decoder has already refused repeated keys.
    let mut slots: [Option<&Item<'_>>; ENTRY_KEYS.len()] = [None; ENTRY_KEYS.len()];
    for (key, value) in map {
        if let Some(slot) = key
            .as_text()
            .and_then(entry_key)
            .and_then(|i| slots.get_mut(i))
        {
            *slot = Some(value);
        }
    }
    let get = |k: &str| entry_key(k).and_then(|i| slots.get(i).copied().flatten());
    let der = get("certificate")
        .ok_or(entry_err(index, "certificate", FieldDefect::Missing))?
        .as_bytes()
        .ok_or(entry_err(index, "certificate", FieldDefect::WrongType))?;
    if der.len() > MAX_CERT_LEN {
        return Err(VicalError::EntryCertificate {
            index,
            error: TrustError::CertificateTooLarge {
                index,
                len: der.len(),
            },
        });
    }
    let not_der = || VicalError::EntryCertificate {
        index,
        error: TrustError::MalformedCertificate {
            index,
            reason: CertDefect::NotDer,
        },
    };
    let fields = cert_fields(der).ok_or_else(not_der)?;
    let cert_range = range_in(buf, der).ok_or_else(not_der)?;

    let doc_types = match get("docType") {
        None => return Err(entry_err(index, "docType", FieldDefect::Missing)),
        Some(v) => lists
            .get(v)
            .map_err(|reason| entry_err(index, "docType", reason))?,
    };
    let certificate_profiles = match get("certificateProfile") {
        None => lists.empty(),
        Some(v) => lists
            .get(v)
            .map_err(|reason| entry_err(index, "certificateProfile", reason))?,
    };
    let text = |k: &'static str| -> Result<Option<Range<usize>>, VicalError> {
        match get(k) {
            None => Ok(None),
            Some(v) => {
                let t = bounded_str(v).map_err(|reason| entry_err(index, k, reason))?;
                Ok(range_in(buf, t.as_bytes()))
            }
        }
    };
    let issuing_authority = text("issuingAuthority")?;
    let issuing_country_range = text("issuingCountry")?;
    let state_or_province = text("stateOrProvinceName")?;
    let bytes_hint = |k: &'static str| -> Result<Option<&[u8]>, VicalError> {
        match get(k) {
            None => Ok(None),
            Some(v) => v
                .as_bytes()
                .map(Some)
                .ok_or(entry_err(index, k, FieldDefect::WrongType)),
        }
    };
    let ski_hint = bytes_hint("ski")?;
    let issuer_hint = bytes_hint("issuer")?;
    let subject_hint = bytes_hint("subject")?;
    // A uint serial's big-endian bytes, kept on the stack.
    let uint_serial: [u8; 8];
    let serial_hint: Option<&[u8]> = match get("serialNumber") {
        None => None,
        Some(v) => Some(match v.as_tag() {
            Some((2, inner)) => {
                inner
                    .as_bytes()
                    .ok_or(entry_err(index, "serialNumber", FieldDefect::WrongType))?
            }
            // Leniently, a serial small enough for a plain uint.
            _ => {
                uint_serial = v.as_uint().map(u64::to_be_bytes).ok_or(entry_err(
                    index,
                    "serialNumber",
                    FieldDefect::WrongType,
                ))?;
                &uint_serial
            }
        }),
    };
    let date_hint = |k: &'static str| -> Result<Option<OffsetDateTime>, VicalError> {
        get(k)
            .map(tdate_field)
            .transpose()
            .map_err(|reason| entry_err(index, k, reason))
    };
    let not_before_hint = date_hint("notBefore")?;
    let not_after_hint = date_hint("notAfter")?;

    let serial = strip_zeros(fields.serial);
    let (not_before, not_after) = (fields.not_before, fields.not_after);
    let mut warn = |kind| warnings.push(VicalWarning { index, kind });
    if let Some(kind) = ski_warning(ski_hint, fields.ski) {
        warn(kind);
    }
    match serial_hint {
        None => warn(WarningKind::SerialMissing),
        Some(h) if strip_zeros(h) != serial => warn(WarningKind::SerialMismatch),
        Some(_) => {}
    }
    if not_before_hint.is_some_and(|t| t != not_before) {
        warn(WarningKind::NotBeforeMismatch);
    }
    if not_after_hint.is_some_and(|t| t != not_after) {
        warn(WarningKind::NotAfterMismatch);
    }
    // DER is canonical: the same Name has one encoding.
    if issuer_hint.is_some_and(|h| h != fields.issuer) {
        warn(WarningKind::IssuerMismatch);
    }
    if subject_hint.is_some_and(|h| h != fields.subject) {
        warn(WarningKind::SubjectMismatch);
    }
    let issuing_country = get("issuingCountry").and_then(Item::as_text);
    if let (Some(hint), Some(own)) = (issuing_country, name_country(fields.subject)) {
        if !hint.eq_ignore_ascii_case(own) {
            warn(WarningKind::CountryMismatch);
        }
    }

    // Every part borrowed from `der`; its place there.
    let within = |part: &[u8]| range_in(der, part).unwrap_or_default();
    Ok(VicalEntry {
        index,
        subject: within(fields.subject),
        issuer: within(fields.issuer),
        serial: within(serial),
        ski: fields.ski.map(within),
        anchor: Anchor::deferred(Arc::clone(buf), cert_range, Some(doc_types)),
        not_before,
        not_after,
        certificate_profiles,
        issuing_authority,
        issuing_country: issuing_country_range,
        state_or_province,
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn entry_keys_have_their_slots() {
        for (i, k) in ENTRY_KEYS.iter().enumerate() {
            assert_eq!(entry_key(k), Some(i), "{k}");
        }
        assert_eq!(entry_key("extensions"), None);
        assert_eq!(entry_key("Certificate"), None);
    }

    #[test]
    fn ski_forms() {
        let id = [7u8; 20];
        let mut once = vec![0x04, 20];
        once.extend_from_slice(&id);
        let mut twice = vec![0x04, 22];
        twice.extend_from_slice(&once);
        assert_eq!(ski_warning(Some(&id), Some(&id)), None);
        assert_eq!(
            ski_warning(Some(&once), Some(&id)),
            Some(WarningKind::SkiDerWrapped)
        );
        assert_eq!(
            ski_warning(Some(&twice), Some(&id)),
            Some(WarningKind::SkiDerWrapped)
        );
        assert_eq!(
            ski_warning(Some(&[1, 2]), Some(&id)),
            Some(WarningKind::SkiMismatch)
        );
        assert_eq!(
            ski_warning(Some(&id), None),
            Some(WarningKind::SkiWithoutExtension)
        );
        assert_eq!(ski_warning(None, Some(&id)), Some(WarningKind::SkiMissing));
        assert_eq!(strip_zeros(&[0, 0, 5, 0]), &[5, 0]);
        assert_eq!(strip_zeros(&[0, 0]), &[] as &[u8]);
    }
}
