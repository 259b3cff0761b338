//! Decoding a received VICAL: the COSE_Sign1 envelope (untagged as every real list is sent,
//! or tagged 18) and the VICAL map of Annex C, under [`super::MAX_VICAL_LEN`] and the CBOR
//! decoder's depth and item bounds. Nothing here is trusted yet.

use super::entry::{read_entry, VicalEntry, VicalWarning};
use super::{
    FieldDefect, VicalError, VicalPart, MAX_DOC_TYPES, MAX_TEXT_LEN, MAX_VICAL_ENTRIES,
    MAX_VICAL_LEN,
};
use crate::cbor::{decode_with, CborError, Encoder, Head, Item, Known, Limits, Reader};
use crate::cose::{SignatureAlg, HEADER_X5CHAIN};
use crate::trust::anchors::SharedBytes;
use crate::trust::MAX_CHAIN_LEN;
use std::sync::Arc;
use time::OffsetDateTime;

/// The decoder bounds for VICALs: [`MAX_VICAL_LEN`] bytes, the default depth and item limits,
/// definite lengths only.
pub(super) const LIMITS: Limits = Limits {
    max_input: MAX_VICAL_LEN,
    ..Limits::DEFAULT
};

/// What a VICAL says: its header fields and entries, and the hint warnings found while
/// parsing. Entries expose no certificate bytes; only a [`super::VerifiedVical`] does.
#[derive(Debug, Clone)]
pub struct VicalContents {
    pub(crate) version: String,
    pub(crate) provider: String,
    pub(crate) date: OffsetDateTime,
    pub(crate) issue_id: Option<u64>,
    pub(crate) next_update: Option<OffsetDateTime>,
    pub(crate) url: Option<String>,
    pub(crate) entries: Vec<VicalEntry>,
    pub(crate) warnings: Vec<VicalWarning>,
}

impl VicalContents {
    /// `version` (Annex C: "1.0").
    pub fn version(&self) -> &str {
        &self.version
    }
    /// `vicalProvider` (peer text: escape before printing).
    pub fn provider(&self) -> &str {
        &self.provider
    }
    /// `date`: when the list was issued.
    pub fn date(&self) -> OffsetDateTime {
        self.date
    }
    /// `vicalIssueID`, if given: unique and increasing per provider.
    pub fn issue_id(&self) -> Option<u64> {
        self.issue_id
    }
    /// `nextUpdate`, if given: when a newer list is due.
    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.next_update
    }
    /// `vicalURL`, if given.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
    /// The entries, in list order.
    pub fn entries(&self) -> &[VicalEntry] {
        &self.entries
    }
    /// Hint warnings found while parsing, in entry order.
    pub fn warnings(&self) -> &[VicalWarning] {
        &self.warnings
    }
}

/// A received VICAL, decoded but not verified.
///
/// The list is held as the COSE `Sig_structure` its signature is over (RFC 9052 §4.4), whose
/// last part is the payload, shared with the entries and the anchors they become, and the
/// envelope's bytes before and after the payload: so the received bytes are copied once,
/// and are still there byte for byte ([`SignedVical::received_bytes`]).
#[derive(Debug, Clone)]
pub struct SignedVical {
    /// `["Signature1", protected, h'', payload]`, encoded; the payload is its tail.
    pub(crate) sig_structure: SharedBytes,
    /// The received bytes up to the payload's content, and after it.
    envelope_head: Vec<u8>,
    envelope_tail: Vec<u8>,
    pub(crate) tagged: bool,
    pub(crate) alg: SignatureAlg,
    pub(crate) payload: core::ops::Range<usize>,
    pub(crate) signature: Vec<u8>,
    pub(crate) x5chain: Vec<Vec<u8>>,
    pub(crate) contents: VicalContents,
}

impl SignedVical {
    /// Decode a VICAL (ISO 18013-5 Annex C): a COSE_Sign1, untagged or tagged 18, with an
    /// attached payload and an `x5chain`. Every entry's certificate is walked here, once
    /// (webpki's trust-anchor check waits for the entry's first use as an anchor).
    pub fn parse(bytes: &[u8]) -> Result<Self, VicalError> {
        if bytes.len() > MAX_VICAL_LEN {
            return Err(VicalError::TooLarge {
                len: bytes.len(),
                max: MAX_VICAL_LEN,
            });
        }
        let top = decode_with(bytes, &LIMITS).map_err(|error| VicalError::Cbor {
            part: VicalPart::Envelope,
            error,
        })?;
        let (sign1, tagged) = match top.as_tag() {
            Some((18, inner)) => (inner, true),
            Some(_) => return Err(VicalError::Envelope("tagged with a tag other than 18")),
            None => (&top, false),
        };
        let [protected, unprotected, payload, signature] = sign1
            .as_array()
            .ok_or(VicalError::Envelope("not an array"))?
        else {
            return Err(VicalError::Envelope("not a 4-element array"));
        };
        let protected_bytes = protected
            .as_bytes()
            .ok_or(VicalError::Envelope("protected header is not a bstr"))?;
        let protected_map = if protected_bytes.is_empty() {
            None
        } else {
            Some(
                decode_with(protected_bytes, &LIMITS).map_err(|error| VicalError::Cbor {
                    part: VicalPart::ProtectedHeader,
                    error,
                })?,
            )
        };
        if protected_map.as_ref().is_some_and(|m| m.as_map().is_none()) {
            return Err(VicalError::Envelope("protected header is not a map"));
        }
        if unprotected.as_map().is_none() {
            return Err(VicalError::Envelope("unprotected header is not a map"));
        }
        let alg_value = protected_map.as_ref().and_then(|m| m.get_int_key(1));
        let alg_id = alg_value.and_then(Item::as_int);
        let alg = alg_id
            .and_then(SignatureAlg::from_cose)
            .ok_or(VicalError::UnsupportedAlgorithm(alg_id))?;
        let x5 = unprotected
            .get_int_key(HEADER_X5CHAIN)
            .or_else(|| {
                protected_map
                    .as_ref()
                    .and_then(|m| m.get_int_key(HEADER_X5CHAIN))
            })
            .ok_or(VicalError::X5Chain("missing"))?;
        let x5chain = x5chain_of(x5)?;
        if payload.is_null() {
            return Err(VicalError::Envelope("payload is detached (null)"));
        }
        let payload_bytes = payload
            .as_bytes()
            .ok_or(VicalError::Envelope("payload is not a bstr"))?;
        // The content of a definite-length bstr is the tail of its encoding.
        let start = payload.offset() + payload.raw().len() - payload_bytes.len();
        let signature = signature
            .as_bytes()
            .ok_or(VicalError::Envelope("signature is not a bstr"))?
            .to_vec();
        // The one copy of the payload: into the Sig_structure, which entries and anchors
        // share instead of copying parts.
        let mut e = Encoder::with_capacity(payload_bytes.len() + protected_bytes.len() + 32);
        e.array(4)
            .text("Signature1")
            .bytes(protected_bytes)
            .bytes(b"")
            .bytes(payload_bytes);
        let sig_structure: SharedBytes = Arc::new(e.into_bytes());
        let in_sig = sig_structure.len() - payload_bytes.len()..sig_structure.len();
        let end = start + payload_bytes.len();
        let envelope_head = bytes.get(..start).unwrap_or_default().to_vec();
        let envelope_tail = bytes.get(end..).unwrap_or_default().to_vec();
        let payload_in_sig = sig_structure.get(in_sig.clone()).unwrap_or_default();
        let contents = parse_contents(payload_in_sig, &sig_structure)?;
        drop(protected_map);
        drop(top);
        Ok(SignedVical {
            envelope_head,
            envelope_tail,
            tagged,
            alg,
            payload: in_sig,
            signature,
            x5chain,
            contents,
            sig_structure,
        })
    }

    /// The bytes as received, byte for byte (to store or pass on unchanged): put together
    /// from the envelope and the payload on each call.
    pub fn received_bytes(&self) -> Vec<u8> {
        let payload = self.payload();
        let mut out =
            Vec::with_capacity(self.envelope_head.len() + payload.len() + self.envelope_tail.len());
        out.extend_from_slice(&self.envelope_head);
        out.extend_from_slice(payload);
        out.extend_from_slice(&self.envelope_tail);
        out
    }

    /// Whether the COSE_Sign1 carried tag 18 (real VICALs do not).
    pub fn is_tagged(&self) -> bool {
        self.tagged
    }

    /// The protected `alg`.
    pub fn algorithm(&self) -> SignatureAlg {
        self.alg
    }

    /// The `x5chain` certificates, leaf (the VICAL signer) first. Not trusted: a root in here
    /// is never used as an anchor.
    pub fn x5chain(&self) -> &[Vec<u8>] {
        &self.x5chain
    }

    /// The list's contents, **not verified**: for display only (`vical show`). Nothing here
    /// can be imported; verify first with [`SignedVical::verify`].
    pub fn unverified_contents(&self) -> &VicalContents {
        &self.contents
    }

    /// The payload bytes (the encoded VICAL map).
    pub(crate) fn payload(&self) -> &[u8] {
        self.sig_structure
            .get(self.payload.clone())
            .unwrap_or_default()
    }
}

/// `x5chain`: one bstr or an array of bstr (RFC 9360), at most [`MAX_CHAIN_LEN`].
fn x5chain_of(item: &Item<'_>) -> Result<Vec<Vec<u8>>, VicalError> {
    let certs: Vec<Vec<u8>> = match (item.as_bytes(), item.as_array()) {
        (Some(b), _) => vec![b.to_vec()],
        (_, Some(a)) => {
            if a.len() > MAX_CHAIN_LEN {
                return Err(VicalError::X5Chain("more certificates than allowed"));
            }
            a.iter()
                .map(|c| {
                    c.as_bytes()
                        .map(<[u8]>::to_vec)
                        .ok_or(VicalError::X5Chain("an element is not a bstr"))
                })
                .collect::<Result<_, _>>()?
        }
        _ => return Err(VicalError::X5Chain("neither a bstr nor an array")),
    };
    if certs.is_empty() || certs.iter().any(Vec::is_empty) {
        return Err(VicalError::X5Chain("empty"));
    }
    Ok(certs)
}

fn field_err(field: &'static str, reason: FieldDefect) -> VicalError {
    VicalError::Field { field, reason }
}

/// What reading one field gives: the reader's error (the payload is not well-formed CBOR,
/// which wins over anything else, as when the whole payload was decoded first), or the
/// field's value or defect, kept until the whole payload has been read.
pub(super) type Read<T> = Result<Result<T, FieldDefect>, CborError>;

/// Skip what is left of the item whose head `head` was read, and answer `defect`.
pub(super) fn refuse<T>(r: &mut Reader<'_>, head: Head<'_>, defect: FieldDefect) -> Read<T> {
    r.skip_content(head)?;
    Ok(Err(defect))
}

/// A text of at most [`MAX_TEXT_LEN`] bytes, borrowed from the input.
pub(super) fn bounded_str<'a>(r: &mut Reader<'a>) -> Read<&'a str> {
    match r.read()? {
        Head::Text(t) if t.len() > MAX_TEXT_LEN => Ok(Err(FieldDefect::TooLong)),
        Head::Text(t) => Ok(Ok(t)),
        other => refuse(r, other, FieldDefect::WrongType),
    }
}

/// A text of at most [`MAX_TEXT_LEN`] bytes, borrowed from the input as its (UTF-8
/// checked) bytes: an ASCII text needs no UTF-8 check of its own.
pub(super) fn bounded_text_bytes<'a>(r: &mut Reader<'a>) -> Read<&'a [u8]> {
    if let Some(text) = r.read_ascii_if()? {
        return Ok(if text.len() > MAX_TEXT_LEN {
            Err(FieldDefect::TooLong)
        } else {
            Ok(text)
        });
    }
    let text = match r.read_ascii_with(Some)? {
        Known::Known(t) => t,
        Known::Other(Head::Text(t)) => t.as_bytes(),
        Known::Other(other) => return refuse(r, other, FieldDefect::WrongType),
    };
    if text.len() > MAX_TEXT_LEN {
        return Ok(Err(FieldDefect::TooLong));
    }
    Ok(Ok(text))
}

/// A byte string, borrowed from the input.
pub(super) fn bytes_field<'a>(r: &mut Reader<'a>) -> Read<&'a [u8]> {
    if let Some(b) = r.read_bytes_if()? {
        return Ok(Ok(b));
    }
    match r.read()? {
        Head::Bytes(b) => Ok(Ok(b)),
        other => refuse(r, other, FieldDefect::WrongType),
    }
}

/// An unsigned integer.
fn uint_field(r: &mut Reader<'_>) -> Read<u64> {
    match r.read()? {
        Head::Uint(n) => Ok(Ok(n)),
        other => refuse(r, other, FieldDefect::WrongType),
    }
}

/// The text lists (`docType`, `certificateProfile`) of one VICAL's entries, each distinct
/// list made once and shared: real lists repeat the same one or two docType lists across
/// all their entries. At most [`TextLists::KEPT`] distinct lists are kept for sharing, so a
/// hostile list of thousands of distinct ones costs one comparison pass each, not a
/// quadratic search.
#[derive(Default)]
pub(super) struct TextLists<'a> {
    kept: Vec<Arc<[String]>>,
    /// The texts of the list being read, by position (at most [`MAX_DOC_TYPES`]): read
    /// from the input, or `None` where equal to the likely kept list's; reused across lists.
    scratch: Vec<Option<&'a str>>,
    /// Lists read in one pass (`entry::common`) by their encoding (an array of texts, each
    /// checked), with the list and its count of data items; at most [`TextLists::KEPT`].
    encoded: Vec<EncodedList<'a>>,
}

/// The kept list equal to the `n` texts that `text` gives by position, if there is one.
fn find_kept<'k, 't>(
    kept: &'k [Arc<[String]>],
    n: usize,
    text: impl Fn(usize) -> &'t str,
) -> Option<&'k Arc<[String]>> {
    kept.iter()
        .find(|l| l.len() == n && l.iter().enumerate().all(|(i, s)| s == text(i)))
}

/// Keep `list` for sharing, if fewer than [`TextLists::KEPT`] are kept.
fn keep(kept: &mut Vec<Arc<[String]>>, list: &Arc<[String]>) {
    if kept.len() < TextLists::KEPT {
        kept.push(Arc::clone(list));
    }
}

/// A docType or profile list read in one pass, by the bytes it was read from.
struct EncodedList<'a> {
    encoding: &'a [u8],
    list: Arc<[String]>,
    /// Its data items: the array and its texts.
    items: usize,
}

impl<'a> TextLists<'a> {
    const KEPT: usize = 8;

    /// The list whose encoding the bytes `rest` start with, if one was seen: the length of
    /// that encoding, the list, and its count of data items. A CBOR item is delimited by its
    /// own heads, so bytes that start with a whole encoded item hold that item.
    pub(super) fn encoded_prefix_of(&self, rest: &[u8]) -> Option<(usize, Arc<[String]>, usize)> {
        self.encoded
            .iter()
            .find(|e| rest.starts_with(e.encoding))
            .map(|e| (e.encoding.len(), Arc::clone(&e.list), e.items))
    }

    /// The list of `texts` (each checked: non-empty, bounded, UTF-8), read in one pass from
    /// `encoded`: a kept equal list, else a new one, kept if there is room; its encoding is
    /// remembered for [`TextLists::encoded_prefix_of`].
    pub(super) fn share(&mut self, encoded: &'a [u8], texts: &[&str]) -> Arc<[String]> {
        let text = |i: usize| texts.get(i).copied().unwrap_or_default();
        let list = match find_kept(&self.kept, texts.len(), text) {
            Some(list) => Arc::clone(list),
            None => {
                let list: Arc<[String]> = texts.iter().map(|t| t.to_string()).collect();
                keep(&mut self.kept, &list);
                list
            }
        };
        if self.encoded.len() < Self::KEPT {
            self.encoded.push(EncodedList {
                encoding: encoded,
                list: Arc::clone(&list),
                items: texts.len() + 1,
            });
        }
        list
    }

    /// Read a non-empty array of at most [`MAX_DOC_TYPES`] non-empty bounded texts, shared
    /// with an equal list seen before. The first defect in element order is the answer.
    pub(super) fn read(&mut self, r: &mut Reader<'a>) -> Read<Arc<[String]>> {
        let n = match r.read()? {
            Head::Array(0) => return Ok(Err(FieldDefect::Empty)),
            Head::Array(n) if n > MAX_DOC_TYPES => {
                return refuse(r, Head::Array(n), FieldDefect::TooMany)
            }
            Head::Array(n) => n,
            other => return refuse(r, other, FieldDefect::WrongType),
        };
        let Self { kept, scratch, .. } = self;
        scratch.clear();
        let mut defect = None;
        // A kept list of the same length is the likely one: its texts, already checked, are
        // offered to the reader, which then needs no UTF-8 check of an equal text.
        let likely = kept.iter().find(|l| l.len() == n);
        let mut all_likely = likely.is_some();
        for i in 0..n {
            let expected = likely.and_then(|l| l.get(i)).map(String::as_str);
            let known = |b: &[u8]| expected.filter(|e| e.as_bytes() == b).map(|e| ((), e));
            let found = match r.read_known(known)? {
                // Equal to a kept text: neither empty nor too long.
                Known::Known(()) => {
                    scratch.push(None);
                    None
                }
                Known::Other(head) => {
                    all_likely = false;
                    match head {
                        Head::Text(t) if t.len() > MAX_TEXT_LEN => Some(FieldDefect::TooLong),
                        Head::Text("") => Some(FieldDefect::Empty),
                        Head::Text(t) => {
                            scratch.push(Some(t));
                            None
                        }
                        other => {
                            r.skip_content(other)?;
                            Some(FieldDefect::WrongType)
                        }
                    }
                }
            };
            defect = defect.or(found);
        }
        if let Some(defect) = defect {
            return Ok(Err(defect));
        }
        if let (true, Some(list)) = (all_likely, likely) {
            return Ok(Ok(Arc::clone(list)));
        }
        // The list's texts: read from the input, or equal to the likely list's.
        let text = |i: usize| -> &str {
            match scratch.get(i).copied().flatten() {
                Some(t) => t,
                None => likely.and_then(|l| l.get(i)).map_or("", String::as_str),
            }
        };
        if let Some(list) = find_kept(kept, n, text) {
            return Ok(Ok(Arc::clone(list)));
        }
        let list: Arc<[String]> = (0..n).map(|i| text(i).to_string()).collect();
        keep(kept, &list);
        Ok(Ok(list))
    }
}

/// An RFC 3339 date-time, as `time` reads it. The form every real list uses,
/// `YYYY-MM-DDTHH:MM:SSZ`, is read here when it is a valid date and time (then `time` reads
/// it as the same instant); everything else, refusals included, is `time`'s to decide.
pub(super) fn rfc3339(s: &str) -> Option<OffsetDateTime> {
    utc_seconds(s.as_bytes())
        .or_else(|| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
}

/// `YYYY-MM-DDTHH:MM:SSZ` with a valid date, hour, minute and second (0-59: a leap second
/// goes to `time`). The 14 digits and 6 separators are checked as three words, not byte by
/// byte: each digit byte must be 0x30-0x3f, and still so with 6 added (no carry between
/// bytes can arise, as a byte that passed the first test is at most 0x3f).
fn utc_seconds(b: &[u8]) -> Option<OffsetDateTime> {
    let &[y1, y2, y3, y4, c4, m1, m2, c7, d1, d2, c10, h1, h2, c13, n1, n2, c16, s1, s2, c19] = b
    else {
        return None;
    };
    // Per byte: the mask and the value it must have (0xf0 and 0x30 for a digit; 0xff and the
    // separator itself otherwise), and the 6 added to digits only.
    const MASK_A: u64 = u64::from_le_bytes([0xf0, 0xf0, 0xf0, 0xf0, 0xff, 0xf0, 0xf0, 0xff]);
    const WANT_A: u64 = u64::from_le_bytes(*b"0000-00-");
    const SIX_A: u64 = u64::from_le_bytes([6, 6, 6, 6, 0, 6, 6, 0]);
    const MASK_B: u64 = u64::from_le_bytes([0xf0, 0xf0, 0xff, 0xf0, 0xf0, 0xff, 0xf0, 0xf0]);
    const WANT_B: u64 = u64::from_le_bytes(*b"00T00:00");
    const SIX_B: u64 = u64::from_le_bytes([6, 6, 0, 6, 6, 0, 6, 6]);
    const MASK_C: u32 = u32::from_le_bytes([0xff, 0xf0, 0xf0, 0xff]);
    const WANT_C: u32 = u32::from_le_bytes(*b":00Z");
    const SIX_C: u32 = u32::from_le_bytes([0, 6, 6, 0]);
    let a = u64::from_le_bytes([y1, y2, y3, y4, c4, m1, m2, c7]);
    let w = u64::from_le_bytes([d1, d2, c10, h1, h2, c13, n1, n2]);
    let c = u32::from_le_bytes([c16, s1, s2, c19]);
    let words_ok = a & MASK_A == WANT_A
        && a.wrapping_add(SIX_A) & MASK_A == WANT_A
        && w & MASK_B == WANT_B
        && w.wrapping_add(SIX_B) & MASK_B == WANT_B
        && c & MASK_C == WANT_C
        && c.wrapping_add(SIX_C) & MASK_C == WANT_C;
    if !words_ok {
        return None;
    }
    // Every digit checked: plain arithmetic from here.
    let two = |a: u8, b: u8| (a - b'0') * 10 + (b - b'0');
    let year = i32::from(two(y1, y2)) * 100 + i32::from(two(y3, y4));
    let month = time::Month::try_from(two(m1, m2)).ok()?;
    let date = time::Date::from_calendar_date(year, month, two(d1, d2)).ok()?;
    let time = time::Time::from_hms(two(h1, h2), two(n1, n2), two(s1, s2)).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_utc())
}

/// A `tdate` as read: the ASCII text of a tag-0 date, not read as a date yet (an entry's
/// hint is first compared with its certificate's time, digit for digit), or a date already
/// read (an epoch time, or a text that is not ASCII).
#[derive(Clone, Copy)]
pub(super) enum Tdate<'a> {
    Ascii(&'a [u8]),
    Read(OffsetDateTime),
}

impl Tdate<'_> {
    /// The instant, or [`FieldDefect::BadDate`].
    pub(super) fn instant(self) -> Result<OffsetDateTime, FieldDefect> {
        match self {
            // `rfc3339` tries the common form first.
            Tdate::Ascii(b) => std::str::from_utf8(b)
                .ok()
                .and_then(rfc3339)
                .ok_or(FieldDefect::BadDate),
            Tdate::Read(t) => Ok(t),
        }
    }
}

/// A `tdate` (tag 0, RFC 3339) or, leniently, an epoch time (tag 1), read as a date.
pub(super) fn tdate_field(r: &mut Reader<'_>) -> Read<OffsetDateTime> {
    Ok(tdate_text(r)?.and_then(Tdate::instant))
}

/// [`tdate_field`], with an ASCII text left unread as a date.
pub(super) fn tdate_text<'a>(r: &mut Reader<'a>) -> Read<Tdate<'a>> {
    let tag = if r.read_tag_if(0)? {
        0
    } else {
        match r.read()? {
            Head::Tag(tag @ (0 | 1)) => tag,
            other => return refuse(r, other, FieldDefect::BadDate),
        }
    };
    if tag == 0 {
        if let Some(b) = r.read_ascii_if()? {
            return Ok(Ok(Tdate::Ascii(b)));
        }
        return match r.read()? {
            Head::Text(s) => Ok(rfc3339(s).map(Tdate::Read).ok_or(FieldDefect::BadDate)),
            other => refuse(r, other, FieldDefect::BadDate),
        };
    }
    let parsed = match r.read()? {
        Head::Uint(n) => i64::try_from(n)
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()),
        Head::Nint(n) => i64::try_from(n)
            .ok()
            .and_then(|n| OffsetDateTime::from_unix_timestamp(-1 - n).ok()),
        other => return refuse(r, other, FieldDefect::BadDate),
    };
    Ok(parsed.map(Tdate::Read).ok_or(FieldDefect::BadDate))
}

/// The first entry (by index) whose certificate bytes equal an earlier entry's, with that
/// earlier index. Sorting the indices by certificate keeps this O(n log n) for a hostile
/// list of thousands of same-length certificates. They are ordered by a fingerprint first
/// (the length and the last eight bytes, which lie in the signature and differ between
/// certificates), so the bytes are compared in full only where fingerprints are equal:
/// equal certificates have equal fingerprints and still end up next to each other.
fn first_duplicate(entries: &[VicalEntry]) -> Option<(usize, usize)> {
    let der = |i: usize| entries.get(i).map(VicalEntry::der).unwrap_or_default();
    let fingerprint = |d: &[u8]| {
        let tail = d
            .len()
            .checked_sub(8)
            .and_then(|at| d.get(at..))
            .and_then(|t| <[u8; 8]>::try_from(t).ok())
            .map_or(0, u64::from_be_bytes);
        (d.len(), tail)
    };
    let mut order: Vec<((usize, u64), usize)> = (0..entries.len())
        .map(|i| (fingerprint(der(i)), i))
        .collect();
    order.sort_unstable_by(|(fa, a), (fb, b)| {
        fa.cmp(fb).then_with(|| der(*a).cmp(der(*b))).then(a.cmp(b))
    });
    order
        .windows(2)
        .filter_map(|w| match w {
            [(fa, a), (fb, b)] if fa == fb && der(*a) == der(*b) => Some((*b, *a)),
            _ => None,
        })
        .min()
}

/// The top-level VICAL fields as read, checked once the whole payload has been read (in
/// the order the fields were always checked, whatever order the map has them in).
#[derive(Default)]
struct TopFields<'a> {
    version: Option<Result<&'a str, FieldDefect>>,
    provider: Option<Result<&'a str, FieldDefect>>,
    date: Option<Result<OffsetDateTime, FieldDefect>>,
    issue_id: Option<Result<u64, FieldDefect>>,
    next_update: Option<Result<OffsetDateTime, FieldDefect>>,
    url: Option<Result<&'a str, FieldDefect>>,
    infos: Option<Result<Vec<VicalEntry>, VicalError>>,
}

/// Decode the VICAL map (the payload, a slice of `buf`) with the pull reader, straight into
/// its entries. A CBOR error anywhere in the payload wins over any field error, and field
/// errors come in the order the fields are checked, as when the payload was decoded whole
/// first.
pub(super) fn parse_contents(
    payload: &[u8],
    buf: &SharedBytes,
) -> Result<VicalContents, VicalError> {
    let cbor = |error| VicalError::Cbor {
        part: VicalPart::Payload,
        error,
    };
    let mut r = Reader::new(payload, &LIMITS).map_err(cbor)?;
    let mut warnings = Vec::new();
    let top = read_top(&mut r, buf, &mut warnings).map_err(cbor)?;
    r.finish().map_err(cbor)?;
    let top = top?;
    let version = req("version", top.version)?.to_string();
    if version != "1" && !version.starts_with("1.") {
        return Err(VicalError::UnsupportedVersion(version));
    }
    let provider = req("vicalProvider", top.provider)?.to_string();
    let date = req("date", top.date)?;
    let issue_id = opt("vicalIssueID", top.issue_id)?;
    let next_update = opt("nextUpdate", top.next_update)?;
    let url = opt("vicalURL", top.url)?.map(str::to_string);
    let entries = top
        .infos
        .ok_or_else(|| field_err("certificateInfos", FieldDefect::Missing))??;
    if let Some((index, first)) = first_duplicate(&entries) {
        return Err(VicalError::DuplicateEntry { index, first });
    }
    Ok(VicalContents {
        version,
        provider,
        date,
        issue_id,
        next_update,
        url,
        entries,
        warnings,
    })
}

/// The top-level VICAL keys read (Annex C); `extensions` and unknown keys are skipped.
#[derive(Clone, Copy)]
enum TopKey {
    Version,
    Provider,
    Date,
    IssueId,
    NextUpdate,
    Url,
    Infos,
}

/// A top-level key by its bytes, with its text (which the reader compares with the key).
fn top_key(k: &[u8]) -> Option<(TopKey, &'static str)> {
    Some(match k {
        b"version" => (TopKey::Version, "version"),
        b"vicalProvider" => (TopKey::Provider, "vicalProvider"),
        b"date" => (TopKey::Date, "date"),
        b"vicalIssueID" => (TopKey::IssueId, "vicalIssueID"),
        b"nextUpdate" => (TopKey::NextUpdate, "nextUpdate"),
        b"vicalURL" => (TopKey::Url, "vicalURL"),
        b"certificateInfos" => (TopKey::Infos, "certificateInfos"),
        _ => return None,
    })
}

/// A required top-level field.
fn req<T>(field: &'static str, v: Option<Result<T, FieldDefect>>) -> Result<T, VicalError> {
    v.ok_or_else(|| field_err(field, FieldDefect::Missing))?
        .map_err(|reason| field_err(field, reason))
}

/// An optional top-level field.
fn opt<T>(field: &'static str, v: Option<Result<T, FieldDefect>>) -> Result<Option<T>, VicalError> {
    v.transpose().map_err(|reason| field_err(field, reason))
}

/// Read the top-level map; `Ok(Err(..))` when it is not a map.
fn read_top<'a>(
    r: &mut Reader<'a>,
    buf: &SharedBytes,
    warnings: &mut Vec<VicalWarning>,
) -> Result<Result<TopFields<'a>, VicalError>, CborError> {
    let n = match r.read()? {
        Head::Map(n) => n,
        other => {
            r.skip_content(other)?;
            return Ok(Err(field_err("VICAL", FieldDefect::WrongType)));
        }
    };
    let mut top = TopFields::default();
    for _ in 0..n {
        let key = match r.read_known(top_key)? {
            Known::Known(k) => k,
            Known::Other(other) => {
                r.skip_content(other)?;
                r.skip()?;
                continue;
            }
        };
        match key {
            TopKey::Version => top.version = Some(bounded_str(r)?),
            TopKey::Provider => top.provider = Some(bounded_str(r)?),
            TopKey::Date => top.date = Some(tdate_field(r)?),
            TopKey::IssueId => top.issue_id = Some(uint_field(r)?),
            TopKey::NextUpdate => top.next_update = Some(tdate_field(r)?),
            TopKey::Url => top.url = Some(bounded_str(r)?),
            TopKey::Infos => top.infos = Some(read_infos(r, buf, warnings)?),
        }
    }
    Ok(Ok(top))
}

/// Read `certificateInfos`: after the first entry error the other entries are only read.
fn read_infos(
    r: &mut Reader<'_>,
    buf: &SharedBytes,
    warnings: &mut Vec<VicalWarning>,
) -> Result<Result<Vec<VicalEntry>, VicalError>, CborError> {
    let n = match r.read()? {
        Head::Array(0) => return Ok(Err(field_err("certificateInfos", FieldDefect::Empty))),
        Head::Array(count) if count > MAX_VICAL_ENTRIES => {
            r.skip_content(Head::Array(count))?;
            return Ok(Err(VicalError::TooManyEntries {
                count,
                max: MAX_VICAL_ENTRIES,
            }));
        }
        Head::Array(n) => n,
        other => {
            r.skip_content(other)?;
            return Ok(Err(field_err("certificateInfos", FieldDefect::WrongType)));
        }
    };
    // At most MAX_VICAL_ENTRIES, and no more than the bytes left (the reader checked).
    let mut entries = Vec::with_capacity(n);
    let mut lists = TextLists::default();
    let mut failed = None;
    for index in 0..n {
        if failed.is_some() {
            r.skip()?;
            continue;
        }
        if let Err(e) = read_entry(index, r, buf, &mut lists, warnings, &mut entries)? {
            failed = Some(e);
        }
    }
    Ok(failed.map_or(Ok(entries), Err))
}

#[cfg(test)]
mod utc_seconds_tests {
    use super::utc_seconds;

    /// The word-sized check of the common form against `time`, with every byte of valid
    /// dates replaced by every byte value: never a different instant, and the same answer
    /// wherever a digit stays a digit (`time` also takes some other forms, such as other
    /// separators, which the fast path leaves to it).
    #[test]
    fn word_checks_agree_with_time() {
        let by_time = |b: &[u8]| {
            let s = std::str::from_utf8(b).ok()?;
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        };
        let mut taken = 0;
        for base in [
            "2024-09-19T23:19:59Z",
            "2000-02-29T00:00:00Z",
            "1999-12-31T09:09:09Z",
        ] {
            assert_eq!(utc_seconds(base.as_bytes()), by_time(base.as_bytes()));
            assert!(utc_seconds(base.as_bytes()).is_some());
            for at in 0..base.len() {
                for v in 0..=255u8 {
                    let mut b = base.as_bytes().to_vec();
                    b[at] = v;
                    let fast = utc_seconds(&b);
                    let slow = by_time(&b);
                    if fast.is_some() {
                        taken += 1;
                        assert_eq!(fast, slow, "{b:?}");
                    } else if base.as_bytes()[at].is_ascii_digit() && v.is_ascii_digit() {
                        // Only a leap second is left to `time` in the kept form.
                        assert!(slow.is_none() || b[17..19] == *b"60", "{b:?}");
                    }
                }
            }
        }
        assert!(taken > 100, "{taken}");
    }
}
