//! One `CertificateInfo` of a VICAL (Annex C): the IACA certificate, with the docTypes it
//! is listed for, and the warnings raised where the CBOR hints disagree with it.
//!
//! An entry copies nothing out of the list: its certificate, texts and the certificate's
//! fields are ranges of the list's payload (held once per list, as the tail of its
//! Sig_structure, which the entry shares), and entries listing the same docTypes share one
//! list of them. The certificate is walked once
//! while parsing (its DER shape, serial, Names, validity, SKI); webpki's trust-anchor check
//! runs when the entry is first used as an anchor (`crate::trust::anchors`).

use super::parse::{bounded_text_bytes, bytes_field, refuse, tdate_text, Read, Tdate, TextLists};
use super::{FieldDefect, VicalError};
use crate::cbor::{CborError, Head, Known, Reader};
use crate::trust::anchors::{Anchor, SharedBytes};
use crate::trust::cert_fields::{cert_fields, name_country, name_summary, CertTime};
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
    /// `certificateProfile`, if given (no real list gives it).
    certificate_profiles: Option<Arc<[String]>>,
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
        self.certificate_profiles.as_deref().unwrap_or_default()
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

/// The `CertificateInfo` keys read (Annex C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKey {
    Certificate,
    SerialNumber,
    Ski,
    DocType,
    CertificateProfile,
    IssuingAuthority,
    IssuingCountry,
    StateOrProvinceName,
    Issuer,
    Subject,
    NotBefore,
    NotAfter,
}

/// The key of a `CertificateInfo` field that is read, by its bytes, with its text; `None`
/// for keys not read (`extensions` and unknown ones).
fn entry_key(k: &[u8]) -> Option<(EntryKey, &'static str)> {
    // A match (by length, then bytes) rather than a scan of a table: it runs for every key
    // of every entry. The reader compares the text given back with the key read.
    Some(match k {
        b"certificate" => (EntryKey::Certificate, "certificate"),
        b"serialNumber" => (EntryKey::SerialNumber, "serialNumber"),
        b"ski" => (EntryKey::Ski, "ski"),
        b"docType" => (EntryKey::DocType, "docType"),
        b"certificateProfile" => (EntryKey::CertificateProfile, "certificateProfile"),
        b"issuingAuthority" => (EntryKey::IssuingAuthority, "issuingAuthority"),
        b"issuingCountry" => (EntryKey::IssuingCountry, "issuingCountry"),
        b"stateOrProvinceName" => (EntryKey::StateOrProvinceName, "stateOrProvinceName"),
        b"issuer" => (EntryKey::Issuer, "issuer"),
        b"subject" => (EntryKey::Subject, "subject"),
        b"notBefore" => (EntryKey::NotBefore, "notBefore"),
        b"notAfter" => (EntryKey::NotAfter, "notAfter"),
        _ => return None,
    })
}

/// The `CertificateInfo` keys in the order the Austroads and AAMVA lists give them (neither
/// sends `certificateProfile` or `extensions`), looked for first by position: a byte
/// comparison of the encoded key instead of a head read and a match on the text.
const IN_ORDER: [(EntryKey, &str); 11] = [
    (EntryKey::Certificate, "certificate"),
    (EntryKey::SerialNumber, "serialNumber"),
    (EntryKey::Ski, "ski"),
    (EntryKey::DocType, "docType"),
    (EntryKey::IssuingAuthority, "issuingAuthority"),
    (EntryKey::IssuingCountry, "issuingCountry"),
    (EntryKey::StateOrProvinceName, "stateOrProvinceName"),
    (EntryKey::Issuer, "issuer"),
    (EntryKey::Subject, "subject"),
    (EntryKey::NotBefore, "notBefore"),
    (EntryKey::NotAfter, "notAfter"),
];

/// Read the key [`IN_ORDER`] has at `pos` if it is next (`None`: it is not, nothing read).
/// Each place calls the reader with its own literal text, so the comparison is inlined with
/// a known length rather than a call into `memcmp` per key.
#[inline(always)]
fn read_in_order(r: &mut Reader<'_>, pos: usize) -> Result<Option<EntryKey>, CborError> {
    macro_rules! at {
        ($($i:literal),*) => {
            match pos {
                $($i => {
                    let (key, text) = IN_ORDER[$i];
                    r.read_text_if(text)?.then_some(key)
                })*
                _ => None,
            }
        };
    }
    Ok(at!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10))
}

/// Where `part` (a slice of `outer`) lies in `outer`; `None` if it is not inside it.
pub(super) fn range_in(outer: &[u8], part: &[u8]) -> Option<Range<usize>> {
    let start = part.as_ptr().addr().checked_sub(outer.as_ptr().addr())?;
    let end = start.checked_add(part.len())?;
    (end <= outer.len()).then_some(start..end)
}

/// A `serialNumber` hint: a biguint (tag 2) or, leniently, a uint.
#[derive(Clone, Copy)]
enum SerialHint<'a> {
    Big(&'a [u8]),
    Uint([u8; 8]),
}

/// The fields of one `CertificateInfo` as read: each absent, or its value or defect.
#[derive(Default)]
struct EntryFields<'a> {
    certificate: Option<Result<&'a [u8], FieldDefect>>,
    serial_number: Option<Result<SerialHint<'a>, FieldDefect>>,
    ski: Option<Result<&'a [u8], FieldDefect>>,
    doc_type: Option<Result<Arc<[String]>, FieldDefect>>,
    certificate_profile: Option<Result<Arc<[String]>, FieldDefect>>,
    // Texts as their bytes (UTF-8 checked by the reader), kept as ranges.
    issuing_authority: Option<Result<&'a [u8], FieldDefect>>,
    issuing_country: Option<Result<&'a [u8], FieldDefect>>,
    state_or_province: Option<Result<&'a [u8], FieldDefect>>,
    issuer: Option<Result<&'a [u8], FieldDefect>>,
    subject: Option<Result<&'a [u8], FieldDefect>>,
    not_before: Option<Result<Tdate<'a>, FieldDefect>>,
    not_after: Option<Result<Tdate<'a>, FieldDefect>>,
}

/// `serialNumber`: tag 2 around a bstr, or a uint.
fn serial_field<'a>(r: &mut Reader<'a>) -> Read<SerialHint<'a>> {
    if r.read_tag_if(2)? {
        if let Some(b) = r.read_bytes_if()? {
            return Ok(Ok(SerialHint::Big(b)));
        }
        return match r.read()? {
            Head::Bytes(b) => Ok(Ok(SerialHint::Big(b))),
            other => refuse(r, other, FieldDefect::WrongType),
        };
    }
    match r.read()? {
        Head::Tag(2) => match r.read()? {
            Head::Bytes(b) => Ok(Ok(SerialHint::Big(b))),
            other => refuse(r, other, FieldDefect::WrongType),
        },
        Head::Uint(n) => Ok(Ok(SerialHint::Uint(n.to_be_bytes()))),
        other => refuse(r, other, FieldDefect::WrongType),
    }
}

/// Read entry `index` of the list held in `buf` (the reader reads a slice of it) onto the
/// end of `entries`, pushing its hint warnings onto `warnings`; `lists` shares equal docType
/// and profile lists. The outer error is the reader's; the inner one the entry's, found once
/// the entry is read. The entry is pushed here rather than handed back: it is large, and
/// each move through a return value is a copy of it.
pub(super) fn read_entry<'a>(
    index: usize,
    r: &mut Reader<'a>,
    buf: &SharedBytes,
    lists: &mut TextLists<'a>,
    warnings: &mut Vec<VicalWarning>,
    entries: &mut Vec<VicalEntry>,
) -> Result<Result<(), VicalError>, CborError> {
    // The shape real lists send, in one pass over its bytes; anything else is read here.
    let mut f = EntryFields::default();
    if common::read_common_entry(r, lists, &mut f)? {
        return Ok(build_entry(index, &mut f, buf, warnings, entries));
    }
    f = EntryFields::default();
    // One pass over the map; the reader refuses repeated keys once the map is read. Keys
    // are first expected in the order real lists use (`IN_ORDER`), each compared by its
    // encoded bytes; from the first key that differs, every key is read the generic way.
    let n = match r.read()? {
        Head::Map(n) => n,
        other => {
            r.skip_content(other)?;
            return Ok(Err(entry_err(
                index,
                "CertificateInfo",
                FieldDefect::WrongType,
            )));
        }
    };
    let mut next = 0;
    let mut in_order = true;
    for _ in 0..n {
        let mut key = None;
        if in_order {
            key = read_in_order(r, next)?;
            next += 1;
            in_order = key.is_some();
        }
        if !in_order {
            key = match r.read_known(entry_key)? {
                Known::Known(k) => Some(k),
                Known::Other(other) => {
                    r.skip_content(other)?;
                    None
                }
            };
        }
        match key {
            Some(EntryKey::Certificate) => f.certificate = Some(bytes_field(r)?),
            Some(EntryKey::SerialNumber) => f.serial_number = Some(serial_field(r)?),
            Some(EntryKey::Ski) => f.ski = Some(bytes_field(r)?),
            Some(EntryKey::DocType) => f.doc_type = Some(lists.read(r)?),
            Some(EntryKey::CertificateProfile) => f.certificate_profile = Some(lists.read(r)?),
            Some(EntryKey::IssuingAuthority) => f.issuing_authority = Some(bounded_text_bytes(r)?),
            Some(EntryKey::IssuingCountry) => f.issuing_country = Some(bounded_text_bytes(r)?),
            Some(EntryKey::StateOrProvinceName) => {
                f.state_or_province = Some(bounded_text_bytes(r)?)
            }
            Some(EntryKey::Issuer) => f.issuer = Some(bytes_field(r)?),
            Some(EntryKey::Subject) => f.subject = Some(bytes_field(r)?),
            Some(EntryKey::NotBefore) => f.not_before = Some(tdate_text(r)?),
            Some(EntryKey::NotAfter) => f.not_after = Some(tdate_text(r)?),
            None => r.skip()?,
        }
    }
    Ok(build_entry(index, &mut f, buf, warnings, entries))
}

/// A field that may be absent, its defect named with the entry and the field.
fn opt_field<T>(
    index: usize,
    field: &'static str,
    v: Option<Result<T, FieldDefect>>,
) -> Result<Option<T>, VicalError> {
    v.transpose()
        .map_err(|reason| entry_err(index, field, reason))
}

/// Whether a date hint, if given, names another instant than the certificate's `own`
/// (encoded as `own_text`): the hint is read as a date only when it is not `own_text`
/// written digit for digit in the common RFC 3339 form.
fn date_differs(
    hint: Option<Result<Tdate<'_>, FieldDefect>>,
    own: OffsetDateTime,
    own_text: CertTime<'_>,
) -> Option<Result<bool, FieldDefect>> {
    Some(match hint? {
        Ok(Tdate::Ascii(text)) if own_text.written_as(text) => Ok(false),
        Ok(hint) => hint.instant().map(|t| t != own),
        Err(defect) => Err(defect),
    })
}

/// Check an entry's fields in their fixed order (the first defect is the error), walk its
/// certificate, compare the hints with it and push the entry onto `entries`. The fields are
/// borrowed (the lists taken out), not moved in: they are some 300 bytes.
fn build_entry(
    index: usize,
    f: &mut EntryFields<'_>,
    buf: &SharedBytes,
    warnings: &mut Vec<VicalWarning>,
    entries: &mut Vec<VicalEntry>,
) -> Result<(), VicalError> {
    let der = opt_field(index, "certificate", f.certificate)?
        .ok_or_else(|| entry_err(index, "certificate", FieldDefect::Missing))?;
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

    let doc_types = opt_field(index, "docType", f.doc_type.take())?
        .ok_or_else(|| entry_err(index, "docType", FieldDefect::Missing))?;
    let certificate_profiles =
        opt_field(index, "certificateProfile", f.certificate_profile.take())?;
    let issuing_authority = opt_field(index, "issuingAuthority", f.issuing_authority)?;
    let issuing_country = opt_field(index, "issuingCountry", f.issuing_country)?;
    let state_or_province = opt_field(index, "stateOrProvinceName", f.state_or_province)?;
    let ski_hint = opt_field(index, "ski", f.ski)?;
    let issuer_hint = opt_field(index, "issuer", f.issuer)?;
    let subject_hint = opt_field(index, "subject", f.subject)?;
    let serial_hint = opt_field(index, "serialNumber", f.serial_number)?;
    let serial_hint: Option<&[u8]> = match &serial_hint {
        None => None,
        Some(SerialHint::Big(b)) => Some(b),
        Some(SerialHint::Uint(b)) => Some(b),
    };
    let (not_before, not_after) = (fields.not_before, fields.not_after);
    let [nb_text, na_text] = fields.validity_text;
    let not_before_differs = date_differs(f.not_before, not_before, nb_text);
    let not_before_differs = opt_field(index, "notBefore", not_before_differs)?;
    let not_after_differs = date_differs(f.not_after, not_after, na_text);
    let not_after_differs = opt_field(index, "notAfter", not_after_differs)?;

    let serial = strip_zeros(fields.serial);
    let mut warn = |kind| warnings.push(VicalWarning { index, kind });
    if let Some(kind) = ski_warning(ski_hint, fields.ski) {
        warn(kind);
    }
    match serial_hint {
        None => warn(WarningKind::SerialMissing),
        Some(h) if strip_zeros(h) != serial => warn(WarningKind::SerialMismatch),
        Some(_) => {}
    }
    if not_before_differs == Some(true) {
        warn(WarningKind::NotBeforeMismatch);
    }
    if not_after_differs == Some(true) {
        warn(WarningKind::NotAfterMismatch);
    }
    // DER is canonical: the same Name has one encoding.
    if issuer_hint.is_some_and(|h| h != fields.issuer) {
        warn(WarningKind::IssuerMismatch);
    }
    if subject_hint.is_some_and(|h| h != fields.subject) {
        warn(WarningKind::SubjectMismatch);
    }
    if let (Some(hint), Some(own)) = (issuing_country, name_country(fields.subject)) {
        if !hint.eq_ignore_ascii_case(own.as_bytes()) {
            warn(WarningKind::CountryMismatch);
        }
    }

    // Every part borrowed from `der`; its place there. The texts were read from `buf`.
    let within = |part: &[u8]| range_in(der, part).unwrap_or_default();
    let in_buf = |t: Option<&[u8]>| t.and_then(|t| range_in(buf, t));
    entries.push(VicalEntry {
        index,
        subject: within(fields.subject),
        issuer: within(fields.issuer),
        serial: within(serial),
        ski: fields.ski.map(within),
        anchor: Anchor::deferred(Arc::clone(buf), cert_range, Some(doc_types)),
        not_before,
        not_after,
        certificate_profiles,
        issuing_authority: in_buf(issuing_authority),
        issuing_country: in_buf(issuing_country),
        state_or_province: in_buf(state_or_province),
    });
    Ok(())
}

mod common;
#[cfg(test)]
mod oracle;

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn entry_keys_are_told_apart() {
        use EntryKey as K;
        for (k, key) in [
            ("certificate", K::Certificate),
            ("serialNumber", K::SerialNumber),
            ("ski", K::Ski),
            ("docType", K::DocType),
            ("certificateProfile", K::CertificateProfile),
            ("issuingAuthority", K::IssuingAuthority),
            ("issuingCountry", K::IssuingCountry),
            ("stateOrProvinceName", K::StateOrProvinceName),
            ("issuer", K::Issuer),
            ("subject", K::Subject),
            ("notBefore", K::NotBefore),
            ("notAfter", K::NotAfter),
        ] {
            assert_eq!(entry_key(k.as_bytes()), Some((key, k)), "{k}");
        }
        assert_eq!(entry_key(b"extensions"), None);
        assert_eq!(entry_key(b"Certificate"), None);
    }

    #[test]
    fn every_key_in_order_is_read_by_its_position_only() {
        for (pos, (key, text)) in IN_ORDER.iter().enumerate() {
            let mut e = crate::cbor::Encoder::new();
            e.text(text);
            let encoded = e.into_bytes();
            for at in 0..IN_ORDER.len() + 1 {
                let mut r = Reader::new(&encoded, &crate::cbor::Limits::DEFAULT).unwrap();
                let read = read_in_order(&mut r, at).unwrap();
                if at == pos {
                    assert_eq!(read, Some(*key), "{text}");
                    r.finish().unwrap();
                } else {
                    assert_eq!(read, None, "{text} at {at}");
                    assert_eq!(r.offset(), 0);
                }
            }
        }
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
