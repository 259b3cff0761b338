//! Decoding a received VICAL: the COSE_Sign1 envelope (untagged as every real list is sent,
//! or tagged 18) and the VICAL map of Annex C, under [`super::MAX_VICAL_LEN`] and the CBOR
//! decoder's depth and item bounds. Nothing here is trusted yet.

use super::entry::{parse_entry, VicalEntry, VicalWarning};
use super::{
    FieldDefect, VicalError, VicalPart, MAX_DOC_TYPES, MAX_TEXT_LEN, MAX_VICAL_ENTRIES,
    MAX_VICAL_LEN,
};
use crate::cbor::{decode_with, Item, Limits};
use crate::cose::{SignatureAlg, HEADER_X5CHAIN};
use crate::trust::MAX_CHAIN_LEN;
use std::sync::Arc;
use time::OffsetDateTime;

/// The decoder bounds for VICALs: [`MAX_VICAL_LEN`] bytes, the default depth and item limits,
/// definite lengths only.
const LIMITS: Limits = Limits {
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
#[derive(Debug, Clone)]
pub struct SignedVical {
    /// The bytes as received, shared with the entries (and the anchors they become).
    pub(crate) raw: Arc<[u8]>,
    pub(crate) tagged: bool,
    pub(crate) alg: SignatureAlg,
    pub(crate) protected: Vec<u8>,
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
        // One copy of the input, which entries and anchors share instead of copying parts.
        let raw: Arc<[u8]> = Arc::from(bytes);
        let top = decode_with(&raw, &LIMITS).map_err(|error| VicalError::Cbor {
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
        let contents = parse_contents(payload_bytes, &raw)?;
        let protected = protected_bytes.to_vec();
        let payload = start..start + payload_bytes.len();
        drop(protected_map);
        drop(top);
        Ok(SignedVical {
            raw,
            tagged,
            alg,
            protected,
            payload,
            signature,
            x5chain,
            contents,
        })
    }

    /// The bytes as received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
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
        self.raw.get(self.payload.clone()).unwrap_or_default()
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

/// A text of at most [`MAX_TEXT_LEN`] bytes, borrowed.
pub(super) fn bounded_str<'i>(item: &'i Item<'_>) -> Result<&'i str, FieldDefect> {
    let t = item.as_text().ok_or(FieldDefect::WrongType)?;
    if t.len() > MAX_TEXT_LEN {
        return Err(FieldDefect::TooLong);
    }
    Ok(t)
}

/// A text of at most [`MAX_TEXT_LEN`] bytes.
fn bounded_text(item: &Item<'_>) -> Result<String, FieldDefect> {
    bounded_str(item).map(str::to_string)
}

/// An optional bounded text.
fn opt_text(item: Option<&Item<'_>>) -> Result<Option<String>, FieldDefect> {
    item.map(bounded_text).transpose()
}

/// The text lists (`docType`, `certificateProfile`) of one VICAL's entries, each distinct
/// list made once and shared: real lists repeat the same one or two docType lists across
/// all their entries. At most [`TextLists::KEPT`] distinct lists are kept for sharing, so a
/// hostile list of thousands of distinct ones costs one comparison pass each, not a
/// quadratic search.
#[derive(Default)]
pub(super) struct TextLists {
    kept: Vec<Arc<[String]>>,
    empty: Option<Arc<[String]>>,
}

impl TextLists {
    const KEPT: usize = 8;

    /// The empty list (an entry without `certificateProfile`), made once.
    pub(super) fn empty(&mut self) -> Arc<[String]> {
        Arc::clone(self.empty.get_or_insert_with(|| Arc::from(Vec::new())))
    }

    /// A non-empty array of at most [`MAX_DOC_TYPES`] non-empty bounded texts, shared with
    /// an equal list seen before.
    pub(super) fn get(&mut self, item: &Item<'_>) -> Result<Arc<[String]>, FieldDefect> {
        let a = item.as_array().ok_or(FieldDefect::WrongType)?;
        if a.is_empty() {
            return Err(FieldDefect::Empty);
        }
        if a.len() > MAX_DOC_TYPES {
            return Err(FieldDefect::TooMany);
        }
        for t in a {
            if bounded_str(t)?.is_empty() {
                return Err(FieldDefect::Empty);
            }
        }
        let same = |list: &&Arc<[String]>| {
            list.len() == a.len()
                && list
                    .iter()
                    .zip(a)
                    .all(|(s, t)| t.as_text() == Some(s.as_str()))
        };
        if let Some(list) = self.kept.iter().find(same) {
            return Ok(Arc::clone(list));
        }
        let list: Arc<[String]> = a
            .iter()
            .map(|t| t.as_text().unwrap_or_default().to_string())
            .collect();
        if self.kept.len() < Self::KEPT {
            self.kept.push(Arc::clone(&list));
        }
        Ok(list)
    }
}

/// A `tdate` (tag 0, RFC 3339) or, leniently, an epoch time (tag 1).
pub(super) fn tdate_field(item: &Item<'_>) -> Result<OffsetDateTime, FieldDefect> {
    match item.as_tag() {
        Some((0, inner)) => {
            let s = inner.as_text().ok_or(FieldDefect::BadDate)?;
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| FieldDefect::BadDate)
        }
        Some((1, inner)) => inner
            .as_int()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .ok_or(FieldDefect::BadDate),
        _ => Err(FieldDefect::BadDate),
    }
}

/// The first entry (by index) whose certificate bytes equal an earlier entry's, with that
/// earlier index. Sorting the indices by certificate keeps this O(n log n) for a hostile
/// list of thousands of same-length certificates (they differ within their first bytes).
fn first_duplicate(entries: &[VicalEntry]) -> Option<(usize, usize)> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    let der = |i: &usize| entries.get(*i).map(VicalEntry::der).unwrap_or_default();
    order.sort_by(|a, b| der(a).cmp(der(b)).then(a.cmp(b)));
    order
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if der(a) == der(b) => Some((*b, *a)),
            _ => None,
        })
        .min()
}

/// Decode the VICAL map (the payload).
fn parse_contents(payload: &[u8], buf: &Arc<[u8]>) -> Result<VicalContents, VicalError> {
    let top = decode_with(payload, &LIMITS).map_err(|error| VicalError::Cbor {
        part: VicalPart::Payload,
        error,
    })?;
    if top.as_map().is_none() {
        return Err(field_err("VICAL", FieldDefect::WrongType));
    }
    let req = |k: &'static str| {
        top.get_text_key(k)
            .ok_or(field_err(k, FieldDefect::Missing))
    };
    let version = bounded_text(req("version")?).map_err(|r| field_err("version", r))?;
    if version != "1" && !version.starts_with("1.") {
        return Err(VicalError::UnsupportedVersion(version));
    }
    let provider =
        bounded_text(req("vicalProvider")?).map_err(|r| field_err("vicalProvider", r))?;
    let date = tdate_field(req("date")?).map_err(|r| field_err("date", r))?;
    let issue_id = top
        .get_text_key("vicalIssueID")
        .map(|v| {
            v.as_uint()
                .ok_or(field_err("vicalIssueID", FieldDefect::WrongType))
        })
        .transpose()?;
    let next_update = top
        .get_text_key("nextUpdate")
        .map(|v| tdate_field(v).map_err(|r| field_err("nextUpdate", r)))
        .transpose()?;
    let url = opt_text(top.get_text_key("vicalURL")).map_err(|r| field_err("vicalURL", r))?;
    let infos = req("certificateInfos")?
        .as_array()
        .ok_or(field_err("certificateInfos", FieldDefect::WrongType))?;
    if infos.is_empty() {
        return Err(field_err("certificateInfos", FieldDefect::Empty));
    }
    if infos.len() > MAX_VICAL_ENTRIES {
        return Err(VicalError::TooManyEntries {
            count: infos.len(),
            max: MAX_VICAL_ENTRIES,
        });
    }
    let mut warnings = Vec::new();
    let mut entries = Vec::with_capacity(infos.len());
    let mut lists = TextLists::default();
    for (index, info) in infos.iter().enumerate() {
        entries.push(parse_entry(index, info, buf, &mut lists, &mut warnings)?);
    }
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
