//! The JSON report of a DeviceResponse written straight into bytes: the same text, byte for
//! byte, as `serde_json::to_vec(&report.to_json())` (crate::json), without building the
//! `serde_json::Value` tree first.
//!
//! Why: the till's `POST /api/v1/verify/mdoc` answers every verification with this report,
//! and building the tree (a `BTreeMap` per object, a `String` per key and value) and then
//! walking it to text cost about as much CPU as the two signature checks besides the
//! ECDSA itself (docs/decisions/0014-till-api-speed.md). serde_json's `Map` is a `BTreeMap`
//! (the workspace does not enable `preserve_order`), so its objects come out with their keys
//! in byte order: every object here writes its keys in that order, the fixed ones as
//! written below, the dynamic ones (check names, CBOR map keys) sorted at run time with the
//! last of equal keys winning, as a `BTreeMap::insert` does. String escaping follows
//! serde_json's: `"` and `\` escaped, `\b \f \n \r \t` by name, other control characters as
//! `\u00xx`, everything else as is. A test over many reports compares the two renderings.
//!
//! Parts that are rare on a till's hot path (a CRL revocation report with its certificates,
//! a CBOR map key that is not text, a float) are rendered through the tree, which gives the
//! same text by construction.

use crate::report::{DocumentReport, ResponseReport};
use crate::{CheckError, StatusReport};
use kakunin_core::cbor::Value;
use std::borrow::Cow;

/// Append `s` as a JSON string (quoted and escaped as serde_json does).
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            // Any other control character: \u00XX, lowercase hex.
            out.extend_from_slice(b"\\u00");
            out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
            out.push(HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0'));
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// Append an optional string: the string, or `null`.
pub fn push_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => push_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Append an unsigned integer in decimal.
pub fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        // n % 10 < 10: the cast cannot truncate.
        let digit = u8::try_from(n % 10).unwrap_or(0);
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + digit;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

/// Append a signed integer in decimal.
pub fn push_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

fn push_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// `"key":`, with a comma first unless it is the object's first key.
fn key(out: &mut Vec<u8>, first: &mut bool, k: &str) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    push_str(out, k);
    out.push(b':');
}

/// A rendering of a part through the `serde_json::Value` tree (the rare parts).
fn push_tree(out: &mut Vec<u8>, v: &serde_json::Value) {
    out.extend_from_slice(v.to_string().as_bytes());
}

fn push_hex(out: &mut Vec<u8>, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for x in b {
        out.push(HEX.get(usize::from(x >> 4)).copied().unwrap_or(b'0'));
        out.push(HEX.get(usize::from(x & 0x0f)).copied().unwrap_or(b'0'));
    }
    out.push(b'"');
}

fn push_rfc3339(out: &mut Vec<u8>, t: time::OffsetDateTime) {
    match t.format(&time::format_description::well_known::Rfc3339) {
        Ok(s) => push_str(out, &s),
        Err(_) => out.extend_from_slice(b"null"),
    }
}

/// Entries of a map with run-time keys, as a `BTreeMap` holds them: sorted by key, the last
/// of equal keys kept (a stable sort keeps equal keys in insertion order).
fn sorted_last_wins<K: AsRef<str>, V>(mut entries: Vec<(K, V)>) -> Vec<(K, V)> {
    entries.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    let mut out: Vec<(K, V)> = Vec::with_capacity(entries.len());
    for e in entries {
        match out.last_mut() {
            Some(last) if last.0.as_ref() == e.0.as_ref() => *last = e,
            _ => out.push(e),
        }
    }
    out
}

/// A CBOR value as [`crate::json::cbor_to_json`] renders it.
pub fn push_cbor(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Uint(n) => push_u64(out, *n),
        Value::Nint(n) => {
            let x = -1 - i128::from(*n);
            match i64::try_from(x) {
                Ok(x) => push_i64(out, x),
                Err(_) => push_str(out, &x.to_string()),
            }
        }
        Value::Bytes(b) => {
            out.extend_from_slice(b"{\"bytes\":");
            push_hex(out, b);
            out.push(b'}');
        }
        Value::Text(t) => push_str(out, t),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_cbor(out, x);
            }
            out.push(b']');
        }
        Value::Map(m) => {
            let entries: Vec<(Cow<'_, str>, &Value)> = m
                .iter()
                .map(|(k, x)| {
                    let k = match k {
                        Value::Text(t) => Cow::Borrowed(t.as_str()),
                        other => Cow::Owned(crate::json::cbor_to_json(other).to_string()),
                    };
                    (k, x)
                })
                .collect();
            out.push(b'{');
            let mut first = true;
            for (k, x) in sorted_last_wins(entries) {
                key(out, &mut first, &k);
                push_cbor(out, x);
            }
            out.push(b'}');
        }
        Value::Tag(0 | 1004, inner) if matches!(**inner, Value::Text(_)) => push_cbor(out, inner),
        Value::Tag(t, inner) => {
            out.extend_from_slice(b"{\"tag\":");
            push_u64(out, *t);
            out.extend_from_slice(b",\"value\":");
            push_cbor(out, inner);
            out.push(b'}');
        }
        Value::Bool(b) => push_bool(out, *b),
        Value::Null | Value::Undefined => out.extend_from_slice(b"null"),
        Value::Float(f) => push_tree(out, &serde_json::Value::from(*f)),
        Value::Simple(s) => {
            out.extend_from_slice(b"{\"simple\":");
            push_u64(out, u64::from(*s));
            out.push(b'}');
        }
        Value::Raw(r) => {
            out.extend_from_slice(b"{\"cbor\":");
            push_hex(out, r);
            out.push(b'}');
        }
    }
}

/// One error as [`crate::json::error_to_json`] renders it.
pub fn push_error(out: &mut Vec<u8>, e: &CheckError) {
    out.extend_from_slice(b"{\"cause\":");
    push_str(out, &e.cause().to_string());
    out.extend_from_slice(b",\"check\":");
    push_opt_str(out, e.check().map(crate::Check::name));
    out.extend_from_slice(b",\"code\":");
    push_str(out, e.code());
    out.extend_from_slice(b",\"message\":");
    push_str(out, &e.to_string());
    out.push(b'}');
}

fn push_errors(out: &mut Vec<u8>, errors: &[CheckError]) {
    out.push(b'[');
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_error(out, e);
    }
    out.push(b']');
}

/// A status check as [`crate::json::status_to_json`] renders it.
pub fn push_status(out: &mut Vec<u8>, s: &StatusReport) {
    out.push(b'{');
    let mut first = true;
    if let Some(r) = &s.reference {
        key(out, &mut first, "idx");
        push_u64(out, r.idx);
    }
    let reason = s.undetermined_reason();
    if let Some(reason) = reason {
        key(out, &mut first, "message");
        push_str(out, &reason.to_string());
        key(out, &mut first, "reason");
        push_str(out, reason.undetermined_kind().name());
    }
    if let Some(stale) = &s.stale {
        key(out, &mut first, "stale");
        out.extend_from_slice(b"{\"overdueSeconds\":");
        push_i64(out, stale.overdue.whole_seconds());
        out.extend_from_slice(b",\"value\":");
        push_str(out, &stale.status.label().to_ascii_lowercase());
        out.push(b'}');
    }
    if let crate::StatusOutcome::Checked(kakunin_core::status::StatusCheck::Other(n)) = &s.outcome {
        key(out, &mut first, "statusValue");
        push_tree(out, &serde_json::json!(n));
    }
    if let Some(r) = &s.reference {
        key(out, &mut first, "uri");
        push_str(out, &r.uri);
    }
    key(out, &mut first, "value");
    push_str(out, s.name());
    out.push(b'}');
}

/// A CRL revocation check as [`crate::json::revocation_to_json`] renders it.
pub fn push_revocation(out: &mut Vec<u8>, r: &crate::RevocationReport) {
    let note = match r {
        crate::RevocationReport::NotChecked => "no CRLs configured: revocation not checked",
        crate::RevocationReport::NotPerformed => "the certificate chain did not validate",
        // With certificates (a till with CRLs): through the tree.
        other => return push_tree(out, &crate::json::revocation_to_json(other)),
    };
    out.extend_from_slice(b"{\"note\":");
    push_str(out, note);
    out.extend_from_slice(b",\"value\":");
    push_str(out, r.name());
    out.push(b'}');
}

fn push_document(out: &mut Vec<u8>, d: &DocumentReport) {
    out.extend_from_slice(b"{\"checks\":{");
    let mut checks: Vec<(&str, &str)> = d
        .checks
        .iter()
        .map(|c| (c.check.name(), c.outcome.name()))
        .collect();
    checks.push(("status", d.status_check.name()));
    checks.push(("revocation", d.revocation.name()));
    let mut first = true;
    for (k, v) in sorted_last_wins(checks) {
        key(out, &mut first, k);
        push_str(out, v);
    }
    out.extend_from_slice(b"},\"deviceAuth\":");
    push_str(out, d.device_auth);
    out.extend_from_slice(b",\"docType\":");
    push_str(out, &d.doc_type);
    out.extend_from_slice(b",\"elements\":[");
    for (i, e) in d.elements.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"digestID\":");
        match e.digest_id {
            Some(id) => push_u64(out, id),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"identifier\":");
        push_str(out, &e.identifier);
        out.extend_from_slice(b",\"namespace\":");
        push_str(out, &e.namespace);
        out.extend_from_slice(b",\"value\":");
        push_cbor(out, &e.value);
        out.extend_from_slice(b",\"verified\":");
        push_bool(out, e.verified);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"errors\":");
    push_errors(out, &d.errors);
    out.extend_from_slice(b",\"issuer\":");
    match &d.issuer {
        Some(i) => {
            out.extend_from_slice(b"{\"country\":");
            push_opt_str(out, i.country.as_deref());
            out.extend_from_slice(b",\"dsCommonName\":");
            push_opt_str(out, i.ds_common_name.as_deref());
            out.extend_from_slice(b",\"iacaCommonName\":");
            push_opt_str(out, i.iaca_common_name.as_deref());
            out.push(b'}');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"notReturned\":[");
    for (i, e) in d.not_returned.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"errorCode\":");
        push_i64(out, e.code);
        out.extend_from_slice(b",\"identifier\":");
        push_str(out, &e.element);
        out.extend_from_slice(b",\"namespace\":");
        push_str(out, &e.namespace);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"revocation\":");
    push_revocation(out, &d.revocation);
    out.extend_from_slice(b",\"status\":");
    match &d.status {
        Some(kakunin_core::mdoc::MsoStatus::StatusList { idx, uri, .. }) => {
            out.extend_from_slice(b"{\"status_list\":{\"idx\":");
            push_u64(out, *idx);
            out.extend_from_slice(b",\"uri\":");
            push_str(out, uri);
            out.extend_from_slice(b"}}");
        }
        Some(kakunin_core::mdoc::MsoStatus::IdentifierList { id, uri, .. }) => {
            out.extend_from_slice(b"{\"identifier_list\":{\"id\":");
            push_hex(out, id);
            out.extend_from_slice(b",\"uri\":");
            push_str(out, uri);
            out.extend_from_slice(b"}}");
        }
        Some(kakunin_core::mdoc::MsoStatus::Other(v)) => push_cbor(out, v),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"statusCheck\":");
    push_status(out, &d.status_check);
    out.extend_from_slice(b",\"valid\":");
    push_bool(out, d.valid());
    out.extend_from_slice(b",\"validity\":");
    match &d.validity {
        Some(v) => {
            out.extend_from_slice(b"{\"expectedUpdate\":");
            match v.expected_update {
                Some(t) => push_rfc3339(out, t),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"signed\":");
            push_rfc3339(out, v.signed);
            out.extend_from_slice(b",\"validFrom\":");
            push_rfc3339(out, v.valid_from);
            out.extend_from_slice(b",\"validUntil\":");
            push_rfc3339(out, v.valid_until);
            out.push(b'}');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"warnings\":[");
    for (i, w) in d.warnings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, &w.to_string());
    }
    out.extend_from_slice(b"]}");
}

impl ResponseReport {
    /// Append the report as JSON text: byte for byte `serde_json::to_vec(&self.to_json())`,
    /// written directly (module docs).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"documentErrors\":[");
        for (i, e) in self.document_errors.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"docType\":");
            push_str(out, &e.doc_type);
            out.extend_from_slice(b",\"errorCode\":");
            push_i64(out, e.code);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"documents\":[");
        for (i, d) in self.documents.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_document(out, d);
        }
        out.extend_from_slice(b"],\"errors\":");
        push_errors(out, &self.errors);
        out.extend_from_slice(b",\"status\":");
        match self.status {
            Some(s) => push_u64(out, s),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"trust_mode\":");
        push_str(out, self.trust_mode.name());
        out.extend_from_slice(b",\"valid\":");
        push_bool(out, self.valid());
        out.extend_from_slice(b",\"version\":");
        push_opt_str(out, self.version.as_deref());
        out.push(b'}');
    }

    /// [`ResponseReport::write_json`] into a new buffer.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2048);
        self.write_json(&mut out);
        out
    }
}
