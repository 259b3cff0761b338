//! The body of a verification answer (docs/till-api.md): `{"audit_id", "detail"?, "reason",
//! "report", "text_en"?, "text_ja"?, "verdict"}`, written straight to bytes in the key order
//! serde_json gives an object (byte order), the report included through
//! [`Report::write_json`] — the same bytes as the `serde_json::json!` tree the API built
//! before, without the tree (docs/decisions/0014-till-api-speed.md).

use crate::verify::Report;
use kakunin_verifier::json_write::{push_opt_str, push_str};
use kakunin_verifier::{NgDetail, Verdict};

/// The answer's JSON text for a verdict, its report, the audit row's id and, where the
/// reason's own text would mislead, the detail with its English and Japanese text.
pub fn answer_body(
    verdict: Verdict,
    report: &Report,
    audit_id: &str,
    detail: Option<NgDetail>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(3072);
    out.extend_from_slice(b"{\"audit_id\":");
    push_str(&mut out, audit_id);
    if let Some(d) = detail {
        out.extend_from_slice(b",\"detail\":");
        push_str(&mut out, d.code());
    }
    out.extend_from_slice(b",\"reason\":");
    push_opt_str(&mut out, verdict.reason().map(|r| r.code()));
    out.extend_from_slice(b",\"report\":");
    report.write_json(&mut out);
    if let Some(d) = detail {
        out.extend_from_slice(b",\"text_en\":");
        push_str(&mut out, d.text_en());
        out.extend_from_slice(b",\"text_ja\":");
        push_str(&mut out, d.text_ja());
    }
    out.extend_from_slice(b",\"verdict\":");
    push_str(&mut out, verdict.label());
    out.push(b'}');
    out
}
