//! JSON rendering of reports, for `--json` output and for tooling.

use crate::report::{DocumentReport, ResponseReport};
use crate::StatusReport;
use crate::{Check, CheckError, DocRequestReport, RequestReport};
use kakunin_core::cbor::Value;
use serde_json::{json, Map, Value as Json};

/// Render a CBOR value as JSON: byte strings become `{"bytes": hex}`, `tdate`/`full-date`
/// tags become their text, other tags `{"tag": n, "value": ...}`.
pub fn cbor_to_json(v: &Value) -> Json {
    match v {
        Value::Uint(n) => json!(n),
        Value::Nint(n) => {
            let x = -1 - (*n as i128);
            i64::try_from(x)
                .map(Json::from)
                .unwrap_or_else(|_| Json::String(x.to_string()))
        }
        Value::Bytes(b) => json!({ "bytes": hex_string(b) }),
        Value::Text(t) => json!(t),
        Value::Array(a) => Json::Array(a.iter().map(cbor_to_json).collect()),
        Value::Map(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let key = match k {
                    Value::Text(t) => t.clone(),
                    other => cbor_to_json(other).to_string(),
                };
                out.insert(key, cbor_to_json(x));
            }
            Json::Object(out)
        }
        Value::Tag(0 | 1004, inner) if matches!(**inner, Value::Text(_)) => cbor_to_json(inner),
        Value::Tag(t, inner) => json!({ "tag": t, "value": cbor_to_json(inner) }),
        Value::Bool(b) => json!(b),
        Value::Null | Value::Undefined => Json::Null,
        Value::Float(f) => json!(f),
        Value::Simple(s) => json!({ "simple": s }),
        Value::Raw(r) => json!({ "cbor": hex_string(r) }),
    }
}

fn hex_string(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

fn rfc3339(t: time::OffsetDateTime) -> Json {
    t.format(&time::format_description::well_known::Rfc3339)
        .map(Json::String)
        .unwrap_or(Json::Null)
}

/// One error as JSON: its code, cause, check, and message.
pub fn error_to_json(e: &CheckError) -> Json {
    json!({
        "code": e.code(),
        "cause": e.cause().to_string(),
        "check": e.check().map(Check::name),
        "message": e.to_string(),
    })
}

/// A status check as JSON: `{"value": "valid"|"invalid"|...|"undetermined", "reason":
/// code?, "message"?, "uri"?, "idx"?, "stale"?}`; `checks.status` of a report carries `value`.
pub fn status_to_json(s: &StatusReport) -> Json {
    let mut out = Map::new();
    out.insert("value".into(), json!(s.name()));
    if let Some(reason) = s.undetermined_reason() {
        out.insert("reason".into(), json!(reason.undetermined_kind().name()));
        out.insert("message".into(), json!(reason.to_string()));
    }
    if let Some(r) = &s.reference {
        out.insert("uri".into(), json!(r.uri));
        out.insert("idx".into(), json!(r.idx));
    }
    if let crate::StatusOutcome::Checked(kakunin_core::status::StatusCheck::Other(n)) = &s.outcome {
        out.insert("statusValue".into(), json!(n));
    }
    if let Some(stale) = &s.stale {
        out.insert(
            "stale".into(),
            json!({
                "value": stale.status.label().to_ascii_lowercase(),
                "overdueSeconds": stale.overdue.whole_seconds(),
            }),
        );
    }
    Json::Object(out)
}

/// A CRL revocation check as JSON: `{"value": "not_checked"|"not_performed"|"no_crl"|
/// "not_revoked"|"revoked"|"stale"|"undetermined", "note"?, "certificates": [{"index",
/// "serial", "result", "reason"?, "revokedAt"?, "overdueSeconds"?, "message"?, "crl"?:
/// {"issuer", "thisUpdate", "nextUpdate", "crlNumber"}}]}`; `checks.revocation` carries
/// `value`.
pub fn revocation_to_json(r: &crate::RevocationReport) -> Json {
    use kakunin_core::trust::{CrlSummary, RevocationCheck, RevocationStatus};
    let crl_json = |c: &CrlSummary| {
        json!({
            "issuer": c.issuer,
            "thisUpdate": rfc3339(c.this_update),
            "nextUpdate": c.next_update.map(rfc3339),
            "crlNumber": c.crl_number,
            "entries": c.entries,
        })
    };
    let mut out = Map::new();
    out.insert("value".into(), json!(r.name()));
    match r {
        crate::RevocationReport::NotChecked => {
            out.insert(
                "note".into(),
                json!("no CRLs configured: revocation not checked"),
            );
        }
        crate::RevocationReport::NotPerformed => {
            out.insert(
                "note".into(),
                json!("the certificate chain did not validate"),
            );
        }
        crate::RevocationReport::Checked(certs) => {
            let list = certs
                .iter()
                .map(|c| {
                    let mut o = Map::new();
                    o.insert("index".into(), json!(c.index));
                    o.insert("serial".into(), json!(c.serial));
                    let (result, crl) = match &c.check {
                        RevocationCheck::NotRevoked { crl, .. } => ("not_revoked", Some(crl)),
                        RevocationCheck::Revoked {
                            reason,
                            revoked_at,
                            crl,
                        } => {
                            o.insert("reason".into(), json!(reason.map(|r| r.name())));
                            o.insert("revokedAt".into(), json!(rfc3339(*revoked_at)));
                            ("revoked", Some(crl))
                        }
                        RevocationCheck::NoCrl => {
                            o.insert(
                                "note".into(),
                                json!("no CRL of this certificate's issuer is configured: not performed"),
                            );
                            ("no_crl", None)
                        }
                        RevocationCheck::Stale {
                            overdue,
                            status,
                            crl,
                        } => {
                            o.insert("overdueSeconds".into(), json!(overdue.whole_seconds()));
                            if let RevocationStatus::Revoked { reason, revoked_at } = status {
                                o.insert("staleSays".into(), json!("revoked"));
                                o.insert("reason".into(), json!(reason.map(|r| r.name())));
                                o.insert("revokedAt".into(), json!(rfc3339(*revoked_at)));
                            } else {
                                o.insert("staleSays".into(), json!("not_revoked"));
                            }
                            ("stale", Some(crl))
                        }
                        RevocationCheck::NotYetValid { crl } => ("not_yet_valid", Some(crl)),
                        RevocationCheck::Unusable(e) => {
                            o.insert("message".into(), json!(e.to_string()));
                            ("undetermined", None)
                        }
                        _ => ("undetermined", None),
                    };
                    o.insert("result".into(), json!(result));
                    if let Some(crl) = crl {
                        o.insert("crl".into(), crl_json(crl));
                    }
                    Json::Object(o)
                })
                .collect::<Vec<_>>();
            out.insert("certificates".into(), Json::Array(list));
        }
    }
    Json::Object(out)
}

fn document_to_json(d: &DocumentReport) -> Json {
    let mut checks = Map::new();
    for c in &d.checks {
        checks.insert(c.check.name().to_string(), json!(c.outcome.name()));
    }
    checks.insert("status".into(), json!(d.status_check.name()));
    checks.insert("revocation".into(), json!(d.revocation.name()));
    json!({
        "docType": d.doc_type,
        "valid": d.valid(),
        "checks": checks,
        "deviceAuth": d.device_auth,
        "issuer": d.issuer.as_ref().map(|i| json!({
            "dsCommonName": i.ds_common_name,
            "country": i.country,
            "iacaCommonName": i.iaca_common_name,
        })),
        "validity": d.validity.map(|v| json!({
            "signed": rfc3339(v.signed),
            "validFrom": rfc3339(v.valid_from),
            "validUntil": rfc3339(v.valid_until),
            "expectedUpdate": v.expected_update.map(rfc3339),
        })),
        "status": d.status.as_ref().map(|s| match s {
            kakunin_core::mdoc::MsoStatus::StatusList { idx, uri, .. } => json!({"status_list": {"idx": idx, "uri": uri}}),
            kakunin_core::mdoc::MsoStatus::IdentifierList { id, uri, .. } => json!({"identifier_list": {"id": hex_string(id), "uri": uri}}),
            kakunin_core::mdoc::MsoStatus::Other(v) => cbor_to_json(v),
        }),
        "elements": d.elements.iter().map(|e| json!({
            "namespace": e.namespace,
            "identifier": e.identifier,
            "value": cbor_to_json(&e.value),
            "digestID": e.digest_id,
            "verified": e.verified,
        })).collect::<Vec<_>>(),
        "notReturned": d.not_returned.iter().map(|e| json!({
            "namespace": e.namespace, "identifier": e.element, "errorCode": e.code,
        })).collect::<Vec<_>>(),
        "statusCheck": status_to_json(&d.status_check),
        "revocation": revocation_to_json(&d.revocation),
        "errors": d.errors.iter().map(error_to_json).collect::<Vec<_>>(),
        "warnings": d.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
    })
}

impl ResponseReport {
    /// The report as a JSON object with `valid`, `documents` (each with `docType`, `checks`,
    /// `elements` and `errors`) and response-level `errors`.
    pub fn to_json(&self) -> Json {
        json!({
            "valid": self.valid(),
            "trust_mode": self.trust_mode.name(),
            "version": self.version,
            "status": self.status,
            "documents": self.documents.iter().map(document_to_json).collect::<Vec<_>>(),
            "documentErrors": self.document_errors.iter().map(|e| json!({"docType": e.doc_type, "errorCode": e.code})).collect::<Vec<_>>(),
            "errors": self.errors.iter().map(error_to_json).collect::<Vec<_>>(),
        })
    }
}

fn doc_request_to_json(d: &DocRequestReport) -> Json {
    json!({
        "docType": d.doc_type,
        "readerAuthPresent": d.reader_auth_present,
        "readerAuthenticated": d.reader_authenticated(),
        "readerCommonName": d.reader_common_name,
        "readerOrganization": d.reader_organization,
        "elements": d.elements.iter().map(|e| json!({
            "namespace": e.namespace, "identifier": e.element, "intentToRetain": e.intent_to_retain,
        })).collect::<Vec<_>>(),
        "errors": d.errors.iter().map(error_to_json).collect::<Vec<_>>(),
    })
}

impl crate::IssuerDataReport {
    /// The report as a JSON object: `issuer_data_valid` (never `valid`: this is no
    /// presentation), `trust_mode`, `documents` shaped as in [`ResponseReport::to_json`] (the
    /// device checks `not_performed`, each document's `valid` meaning its issuer data) and
    /// input-level `errors`.
    pub fn to_json(&self) -> Json {
        let documents = self
            .documents
            .iter()
            .map(|d| {
                let mut j = document_to_json(d);
                if let Some(o) = j.as_object_mut() {
                    o.remove("valid");
                    o.insert("issuerDataValid".into(), json!(d.issuer_data_valid()));
                }
                j
            })
            .collect::<Vec<_>>();
        json!({
            "issuer_data_valid": self.valid(),
            "trust_mode": self.trust_mode.name(),
            "documents": documents,
            "errors": self.errors.iter().map(error_to_json).collect::<Vec<_>>(),
        })
    }
}

impl RequestReport {
    /// The report as a JSON object with `allReaderAuthenticated`, `docRequests` (each with
    /// its elements, reader and `errors`) and request-level `errors`.
    pub fn to_json(&self) -> Json {
        json!({
            "allReaderAuthenticated": self.all_reader_authenticated(),
            "version": self.version,
            "docRequests": self.doc_requests.iter().map(doc_request_to_json).collect::<Vec<_>>(),
            "errors": self.errors.iter().map(error_to_json).collect::<Vec<_>>(),
        })
    }
}
