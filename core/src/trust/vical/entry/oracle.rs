//! The tree-decoder implementation of the VICAL payload's parse that the pull-reader one
//! replaced (session 18), kept for the tests only: on the same payload both must give the
//! same contents or the same error.

use super::super::parse::VicalContents;
use super::super::{
    FieldDefect, VicalError, VicalPart, MAX_DOC_TYPES, MAX_TEXT_LEN, MAX_VICAL_ENTRIES,
};
use super::{range_in, ski_warning, strip_zeros, VicalEntry, VicalWarning, WarningKind};
use crate::cbor::{decode_with, Item};
use crate::trust::anchors::{Anchor, SharedBytes};
use crate::trust::cert_fields::{cert_fields, name_country};
use crate::trust::{CertDefect, TrustError, MAX_CERT_LEN};
use core::ops::Range;
use std::sync::Arc;
use time::OffsetDateTime;

fn entry_err(index: usize, field: &'static str, reason: FieldDefect) -> VicalError {
    VicalError::Entry {
        index,
        field,
        reason,
    }
}

/// The `CertificateInfo` keys read, in slot order.
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

fn entry_key(k: &str) -> Option<usize> {
    ENTRY_KEYS.iter().position(|e| *e == k)
}

fn field_err(field: &'static str, reason: FieldDefect) -> VicalError {
    VicalError::Field { field, reason }
}

/// A text of at most [`MAX_TEXT_LEN`] bytes, borrowed.
fn bounded_str<'i>(item: &'i Item<'_>) -> Result<&'i str, FieldDefect> {
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
struct TextLists {
    kept: Vec<Arc<[String]>>,
}

impl TextLists {
    const KEPT: usize = 8;

    /// A non-empty array of at most [`MAX_DOC_TYPES`] non-empty bounded texts, shared with
    /// an equal list seen before.
    fn get(&mut self, item: &Item<'_>) -> Result<Arc<[String]>, FieldDefect> {
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
fn tdate_field(item: &Item<'_>) -> Result<OffsetDateTime, FieldDefect> {
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
pub(in super::super) fn parse_contents(
    payload: &[u8],
    buf: &SharedBytes,
) -> Result<VicalContents, VicalError> {
    let top =
        decode_with(payload, &super::super::parse::LIMITS).map_err(|error| VicalError::Cbor {
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

/// Parse entry `index` of the list held in `buf` (the items borrow from it), pushing its
/// hint warnings onto `warnings`; `lists` shares equal docType and profile lists.
fn parse_entry(
    index: usize,
    item: &Item<'_>,
    buf: &SharedBytes,
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
        None => None,
        Some(v) => Some(
            lists
                .get(v)
                .map_err(|reason| entry_err(index, "certificateProfile", reason))?,
        ),
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

/// The pull-reader parse against this one, on the real lists and on lists altered in every
/// field, in pairs of fields, in key order and in bytes.
#[cfg(test)]
mod agreement {
    use super::super::super::parse::parse_contents as by_reader;
    use super::parse_contents as by_tree;
    use super::*;
    use crate::cbor::{decode, Value};

    const AAMVA: &[u8] =
        include_bytes!("../../../../../spec-vectors/data/vical/aamva-20240924.vical");
    const AUSTROADS: &[u8] =
        include_bytes!("../../../../../spec-vectors/data/vical/austroads-20240919.vical");

    /// Everything a parsed list shows (the certificates by their bytes).
    fn shown(c: &VicalContents) -> String {
        let entries: Vec<String> = c
            .entries()
            .iter()
            .map(|e| {
                format!(
                    "{} {:?} {:?} {:?} {:?} {:?} {} {} {:?} {:?} {:?} {:?} {:?}",
                    e.index(),
                    e.der(),
                    e.subject(),
                    e.issuer(),
                    e.serial(),
                    e.ski(),
                    e.not_before(),
                    e.not_after(),
                    e.doc_types(),
                    e.certificate_profiles(),
                    e.issuing_authority(),
                    e.issuing_country(),
                    e.state_or_province(),
                )
            })
            .collect();
        format!(
            "{} {} {} {:?} {:?} {:?} {:?} {entries:?}",
            c.version(),
            c.provider(),
            c.date(),
            c.issue_id(),
            c.next_update(),
            c.url(),
            c.warnings(),
        )
    }

    /// Both parses of `payload` agree; true if it parsed.
    fn agree(payload: &[u8]) -> bool {
        let buf: SharedBytes = Arc::new(payload.to_vec());
        let new = by_reader(&buf, &buf);
        let old = by_tree(&buf, &buf);
        match (&new, &old) {
            (Ok(n), Ok(o)) => assert_eq!(shown(n), shown(o)),
            (Err(n), Err(o)) => assert_eq!(n, o),
            _ => panic!("reader {new:?} vs tree {old:?}"),
        }
        new.is_ok()
    }

    fn payload_of(list: &[u8]) -> Vec<u8> {
        let top = decode(list).unwrap();
        top.as_array().unwrap()[2].as_bytes().unwrap().to_vec()
    }

    fn map_of(list: &[u8]) -> Vec<(Value, Value)> {
        let Value::Map(m) = decode(&payload_of(list)).unwrap().to_value() else {
            panic!()
        };
        m
    }

    fn encode(m: &[(Value, Value)]) -> Vec<u8> {
        Value::Map(m.to_vec()).to_vec()
    }

    /// Values of every CBOR type and of the shapes the fields take, right and wrong.
    fn odd_values() -> Vec<Value> {
        let t = Value::text;
        let tag = |n, v| Value::Tag(n, Box::new(v));
        vec![
            Value::Uint(0),
            Value::Uint(u64::MAX),
            Value::Nint(5),
            t(""),
            t("x"),
            t("1.5"),
            t("2.0"),
            Value::Text("a".repeat(MAX_TEXT_LEN + 1)),
            Value::Bytes(vec![]),
            Value::Bytes(vec![0x30, 0x03, 0x02, 0x01, 0x01]),
            Value::Bytes(vec![0x30; MAX_CERT_LEN + 1]),
            Value::Array(vec![]),
            Value::Array(vec![t("a")]),
            Value::Array(vec![t("a"), t("b")]),
            Value::Array(vec![Value::Uint(1)]),
            Value::Array(vec![t(""), Value::Uint(1)]),
            Value::Array(vec![Value::Uint(1), t("")]),
            Value::Array(vec![Value::Text("a".repeat(MAX_TEXT_LEN + 1)), t("")]),
            Value::Array(vec![t("a"); MAX_DOC_TYPES + 1]),
            Value::Array(vec![Value::Map(vec![]), Value::Array(vec![Value::Uint(1)])]),
            Value::Map(vec![]),
            Value::Map(vec![(Value::Uint(1), Value::Array(vec![Value::Null]))]),
            tag(0, t("2024-09-19T00:00:00Z")),
            tag(0, t("2024-09-19")),
            tag(0, Value::Uint(1)),
            tag(0, Value::Array(vec![t("x")])),
            tag(1, Value::Uint(1_700_000_000)),
            tag(1, Value::Nint(5)),
            tag(1, Value::Uint(u64::MAX)),
            tag(1, Value::Float(1.5)),
            tag(1, Value::Array(vec![Value::Uint(1)])),
            tag(2, Value::Bytes(vec![1, 2])),
            tag(2, Value::Uint(1)),
            tag(2, tag(2, Value::Bytes(vec![1]))),
            tag(3, Value::Bytes(vec![1])),
            Value::Null,
            Value::Bool(true),
            Value::Float(1.5),
        ]
    }

    const TOP_KEYS: [&str; 8] = [
        "version",
        "vicalProvider",
        "date",
        "vicalIssueID",
        "nextUpdate",
        "vicalURL",
        "certificateInfos",
        "extensions",
    ];

    /// Set (or, with `None`, remove) a key of a map; a key not there is added at the end.
    fn set(m: &mut Vec<(Value, Value)>, key: &str, v: Option<Value>) {
        let at = m.iter().position(|(k, _)| k.as_text() == Some(key));
        match (at, v) {
            (Some(i), Some(v)) => m[i].1 = v,
            (Some(i), None) => {
                m.remove(i);
            }
            (None, Some(v)) => m.push((Value::text(key), v)),
            (None, None) => {}
        }
    }

    fn entries(m: &mut [(Value, Value)]) -> &mut Vec<Value> {
        let (_, v) = m
            .iter_mut()
            .find(|(k, _)| k.as_text() == Some("certificateInfos"))
            .unwrap();
        let Value::Array(a) = v else { panic!() };
        a
    }

    fn entry(m: &mut [(Value, Value)], i: usize) -> &mut Vec<(Value, Value)> {
        let Value::Map(e) = &mut entries(m)[i] else {
            panic!()
        };
        e
    }

    fn entry_keys(m: &mut [(Value, Value)], i: usize) -> Vec<String> {
        entry(m, i)
            .iter()
            .filter_map(|(k, _)| k.as_text().map(str::to_string))
            .collect()
    }

    #[test]
    fn the_real_lists_parse_the_same() {
        assert!(agree(&payload_of(AAMVA)));
        assert!(agree(&payload_of(AUSTROADS)));
    }

    #[test]
    fn every_top_level_field_altered() {
        let base = map_of(AAMVA);
        let mut ok = 0;
        for key in TOP_KEYS {
            for v in std::iter::once(None).chain(odd_values().into_iter().map(Some)) {
                let mut m = base.clone();
                set(&mut m, key, v);
                ok += usize::from(agree(&encode(&m)));
            }
        }
        // The payload itself as something else than a map.
        for v in odd_values() {
            agree(&v.to_vec());
        }
        assert!(ok > 0);
    }

    #[test]
    fn every_entry_field_altered() {
        // AAMVA's entries are read head by head, Austroads's in one pass (`common`).
        for (list, picks) in [(AAMVA, &[0, 1, 2][..]), (AUSTROADS, &[0, 34][..])] {
            entry_fields_altered(list, picks);
        }
    }

    fn entry_fields_altered(list: &[u8], picks: &[usize]) {
        let mut base = map_of(list);
        let mut ok = 0;
        let mut keys = entry_keys(&mut base, 1);
        keys.push("extensions".to_string());
        keys.push("unknown".to_string());
        for &i in picks {
            for key in &keys {
                for v in std::iter::once(None).chain(odd_values().into_iter().map(Some)) {
                    let mut m = base.clone();
                    set(entry(&mut m, i), key, v);
                    ok += usize::from(agree(&encode(&m)));
                }
            }
            // The entry as something else than a map.
            for v in odd_values() {
                let mut m = base.clone();
                entries(&mut m)[i] = v;
                agree(&encode(&m));
            }
        }
        assert!(ok > 0);
    }

    /// Date hints that are the certificate's own instant written otherwise, or one second
    /// off, or in other lengths and cases: the same warnings and errors either way.
    #[test]
    fn date_hints_in_every_form() {
        use time::format_description::well_known::Rfc3339;
        for list in [AAMVA, AUSTROADS] {
            let base = map_of(list);
            let buf: SharedBytes = Arc::new(payload_of(list));
            let parsed = by_tree(&buf, &buf).unwrap();
            for i in [0, 1] {
                let e = &parsed.entries()[i];
                for (key, own) in [("notBefore", e.not_before()), ("notAfter", e.not_after())] {
                    let plain = own.format(&Rfc3339).unwrap();
                    let off = (own + time::Duration::seconds(1)).format(&Rfc3339).unwrap();
                    let stem = plain.trim_end_matches('Z').to_string();
                    let forms = [
                        plain.clone(),
                        off,
                        format!("{stem}+00:00"),
                        format!("{stem}.000Z"),
                        format!("{stem}z"),
                        plain.replace('T', "t"),
                        format!("{stem}+09:00"),
                        stem.clone(),
                        format!("{plain} "),
                        format!("\u{e9}{plain}"),
                    ];
                    let kind = if key == "notBefore" {
                        WarningKind::NotBeforeMismatch
                    } else {
                        WarningKind::NotAfterMismatch
                    };
                    for (n, text) in forms.into_iter().enumerate() {
                        let mut m = base.clone();
                        set(
                            entry(&mut m, i),
                            key,
                            Some(Value::Tag(0, Box::new(Value::Text(text.clone())))),
                        );
                        let payload: SharedBytes = Arc::new(encode(&m));
                        let parsed = agree(&payload).then(|| by_reader(&payload, &payload));
                        let warned = parsed.map(|c| {
                            let w = VicalWarning { index: i, kind };
                            c.unwrap().warnings().contains(&w)
                        });
                        // The same instant in five forms (0, 2-5), one second off (1),
                        // another instant (6), then texts that are not dates.
                        let expected = match n {
                            0 | 2 | 3 | 4 | 5 => Some(false),
                            1 | 6 => Some(true),
                            _ => None,
                        };
                        assert_eq!(warned, expected, "{key} {text}");
                    }
                }
            }
        }
    }

    /// Two defects at once, in either key order: the same one wins.
    #[test]
    fn pairs_of_defects_in_any_key_order() {
        let mut base = map_of(AAMVA);
        let keys = entry_keys(&mut base, 2);
        let odd = odd_values();
        let picks = [0usize, 3, 8, 11, 15, 23, 33];
        for (a, ka) in keys.iter().enumerate() {
            for kb in keys.iter().skip(a + 1) {
                for (pa, pb) in [(0, 3), (3, 15), (8, 23), (11, 33), (23, 0)] {
                    for reversed in [false, true] {
                        let mut m = base.clone();
                        let e = entry(&mut m, 2);
                        set(e, ka, Some(odd[pa].clone()));
                        set(e, kb, Some(odd[pb].clone()));
                        if reversed {
                            e.reverse();
                        }
                        agree(&encode(&m));
                    }
                }
            }
        }
        // A top-level defect with an entry defect, certificateInfos first or last.
        for key in TOP_KEYS {
            for p in picks {
                for reversed in [false, true] {
                    let mut m = base.clone();
                    set(&mut m, key, Some(odd[p].clone()));
                    if key != "certificateInfos" {
                        set(entry(&mut m, 1), "docType", Some(Value::Array(vec![])));
                    }
                    if reversed {
                        m.reverse();
                    }
                    agree(&encode(&m));
                }
            }
        }
        // Entry defects in two entries; a duplicate entry with an earlier defect.
        let mut m = base.clone();
        set(entry(&mut m, 2), "docType", None);
        set(entry(&mut m, 0), "certificate", Some(Value::Uint(1)));
        agree(&encode(&m));
        let mut m = base.clone();
        let copy = entries(&mut m)[0].clone();
        entries(&mut m).push(copy);
        assert!(!agree(&encode(&m)));
        set(entry(&mut m, 1), "ski", Some(Value::Uint(1)));
        agree(&encode(&m));
        // Non-text keys, at the top and in an entry; a repeated key.
        let mut m = base.clone();
        m.insert(0, (Value::Uint(1), Value::Array(vec![Value::Null])));
        entry(&mut m, 0).insert(0, (Value::Bytes(vec![1]), Value::Uint(2)));
        assert!(agree(&encode(&m)));
        let mut m = base.clone();
        let again = entry(&mut m, 0)[0].clone();
        entry(&mut m, 0).push(again);
        assert!(!agree(&encode(&m)));
    }

    /// The entry keys read by position (in the real lists' order) and the generic path
    /// agree: keys in other orders (the path left at the first, a middle or the last key),
    /// a key missing, and a key repeated after the keys read by position, or a repeat of
    /// an unknown or non-text key, in every entry position.
    #[test]
    fn keys_out_of_order_and_repeated_after_the_in_order_keys() {
        let mut base = map_of(AUSTROADS);
        let keys = entry_keys(&mut base, 0);
        let in_order = super::super::IN_ORDER;
        assert_eq!(keys.len(), in_order.len());
        for (k, (_, text)) in keys.iter().zip(in_order) {
            assert_eq!(k, text);
        }
        for i in [0, 1, 34] {
            // Two neighbours swapped, at each place.
            for at in 0..keys.len() - 1 {
                let mut m = base.clone();
                entry(&mut m, i).swap(at, at + 1);
                assert!(agree(&encode(&m)), "swap {at}");
            }
            // The whole entry reversed; one key moved to the end.
            let mut m = base.clone();
            entry(&mut m, i).reverse();
            assert!(agree(&encode(&m)));
            for at in 0..keys.len() {
                let mut m = base.clone();
                let e = entry(&mut m, i);
                let kv = e.remove(at);
                e.push(kv);
                assert!(agree(&encode(&m)), "moved {at}");
                // ... and a key missing.
                let mut m = base.clone();
                entry(&mut m, i).remove(at);
                agree(&encode(&m));
            }
            // A key read by position repeated after all of them (same or other value), and
            // after an unknown key.
            for at in 0..keys.len() {
                for other in [false, true] {
                    let mut m = base.clone();
                    let e = entry(&mut m, i);
                    let mut again = e[at].clone();
                    if other {
                        again.1 = Value::Uint(7);
                    }
                    e.push((Value::text("unknown"), Value::Null));
                    e.push(again);
                    assert!(!agree(&encode(&m)), "repeated {at}");
                }
            }
            // A repeated unknown key and a repeated non-text key after the keys in order.
            for extra in [
                Value::text("extensions"),
                Value::Uint(3),
                Value::Bytes(vec![1]),
            ] {
                let mut m = base.clone();
                let e = entry(&mut m, i);
                e.push((extra.clone(), Value::Null));
                assert!(agree(&encode(&m)));
                let e = entry(&mut m, i);
                e.push((extra, Value::Bool(true)));
                assert!(!agree(&encode(&m)));
            }
        }
    }

    /// Deterministic byte mutations (a small xorshift generator) of a real payload.
    /// Bytes of Austroads's entries (whose shape the one-pass read takes) changed outside
    /// the certificates' contents, one to three at a time: keys, heads, values and lengths.
    #[test]
    fn mutated_entry_bytes_in_the_common_shape() {
        let payload = payload_of(AUSTROADS);
        let top = decode(&payload).unwrap();
        let infos = top.get_text_key("certificateInfos").unwrap();
        // Where certificate contents lie (offsets in the payload), not to be changed.
        let certs: Vec<Range<usize>> = infos
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let c = e.get_text_key("certificate").unwrap();
                let len = c.as_bytes().unwrap().len();
                let end = c.offset() + c.raw().len();
                end - len..end
            })
            .collect();
        let first = infos.as_array().unwrap()[0].offset();
        let places: Vec<usize> = (first..payload.len())
            .filter(|at| !certs.iter().any(|r| r.contains(at)))
            .collect();
        let mut rand = crate::test_rand::xorshift(0x2545_f491_4f6c_dd1d_u64);
        let (mut ok, mut bad) = (0, 0);
        for _ in 0..800 {
            let mut m = payload.clone();
            for _ in 0..=(rand() % 3) {
                let at = places[usize::try_from(rand() % places.len() as u64).unwrap()];
                m[at] = match rand() % 4 {
                    0 => m[at] ^ 1,
                    1 => m[at].wrapping_add(1),
                    2 => m[at].wrapping_sub(1),
                    _ => rand().to_be_bytes()[0],
                };
            }
            if agree(&m) {
                ok += 1;
            } else {
                bad += 1;
            }
        }
        assert!(ok > 100 && bad > 100, "{ok} {bad}");
    }

    #[test]
    fn mutated_bytes() {
        let payload = payload_of(AAMVA);
        let mut rand = crate::test_rand::xorshift(0x9e37_79b9_7f4a_7c15_u64);
        let (mut ok, mut bad) = (0, 0);
        for _ in 0..400 {
            let mut m = payload.clone();
            for _ in 0..=(rand() % 2) {
                let at = usize::try_from(rand() % m.len() as u64).unwrap();
                m[at] = rand().to_be_bytes()[0];
            }
            if agree(&m) {
                ok += 1;
            } else {
                bad += 1;
            }
        }
        for cut in (0..payload.len()).step_by(11) {
            assert!(!agree(&payload[..cut]));
        }
        assert!(ok > 0 && bad > 0, "{ok} {bad}");
    }
}
