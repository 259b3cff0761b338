//! Reading the command line's inputs (CBOR as raw bytes or hex, certificates, keys, times)
//! and rendering reports as text.

use kakunin_core::cbor::Value;
use kakunin_core::crypto::EcPrivateKey;
use kakunin_core::trust::TrustAnchors;
use kakunin_verifier::{Outcome, RequestReport, ResponseReport};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Largest input file accepted.
const MAX_FILE: u64 = 32 * 1024 * 1024;

/// A usage or input error (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: file is larger than {MAX_FILE} bytes")]
    TooLarge { path: PathBuf },
    #[error("{path}: not a certificate: {source}")]
    Certificate {
        path: PathBuf,
        source: kakunin_core::trust::TrustError,
    },
    #[error("{path}: {source}")]
    Key {
        path: PathBuf,
        source: kakunin_core::crypto::KeyImportError,
    },
    #[error("--at {value:?} is not an RFC 3339 date-time")]
    Time { value: String },
    #[error("trust anchors: {0}")]
    Anchors(kakunin_core::trust::TrustError),
}

pub fn read_file(path: &Path) -> Result<Vec<u8>, InputError> {
    let meta = std::fs::metadata(path).map_err(|source| InputError::Read {
        path: path.into(),
        source,
    })?;
    if meta.len() > MAX_FILE {
        return Err(InputError::TooLarge { path: path.into() });
    }
    std::fs::read(path).map_err(|source| InputError::Read {
        path: path.into(),
        source,
    })
}

/// Hex text (whitespace ignored) is decoded; anything else is taken as raw bytes.
pub fn hex_or_raw(bytes: Vec<u8>) -> Vec<u8> {
    let compact: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if !compact.is_empty() && compact.iter().all(u8::is_ascii_hexdigit) {
        if let Ok(decoded) = hex::decode(&compact) {
            return decoded;
        }
    }
    bytes
}

pub fn read_cbor(path: &Path) -> Result<Vec<u8>, InputError> {
    read_file(path).map(hex_or_raw)
}

pub fn read_anchors(paths: &[PathBuf]) -> Result<TrustAnchors, InputError> {
    let mut ders = Vec::with_capacity(paths.len());
    for p in paths {
        let bytes = read_file(p)?;
        let der = kakunin_core::trust::parse_certificate_input(&bytes).map_err(|source| {
            InputError::Certificate {
                path: p.clone(),
                source,
            }
        })?;
        ders.push(der);
    }
    TrustAnchors::from_der_certs(ders).map_err(InputError::Anchors)
}

pub fn read_private_key(path: &Path) -> Result<EcPrivateKey, InputError> {
    let bytes = zeroize::Zeroizing::new(read_file(path)?);
    kakunin_core::crypto::import_private_key(&bytes).map_err(|source| InputError::Key {
        path: path.into(),
        source,
    })
}

/// The verification time: `--at` if given, otherwise the system clock (read here, at the
/// edge, never inside the library).
pub fn parse_time(at: Option<&str>) -> Result<time::OffsetDateTime, InputError> {
    match at {
        None => Ok(time::OffsetDateTime::now_utc()),
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|_| InputError::Time {
                value: s.to_string(),
            }),
    }
}

/// A short human rendering of an element value; long byte strings are summarised.
pub fn short_value(v: &Value) -> String {
    match v {
        Value::Bytes(b) if b.len() > 32 => format!("<{} bytes>", b.len()),
        Value::Bytes(b) => format!("h'{}'", hex::encode(b)),
        Value::Text(t) => format!("{t:?}"),
        Value::Tag(1004 | 0, inner) => short_value(inner),
        other => kakunin_verifier::json::cbor_to_json(other).to_string(),
    }
}

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "pass",
        Outcome::Failed => "FAIL",
        Outcome::NotPerformed => "skip",
    }
}

pub fn render_response_report(r: &ResponseReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "DeviceResponse: {} (version {}, status {}, {} document(s))",
        if r.valid() { "VALID" } else { "INVALID" },
        r.version.as_deref().unwrap_or("?"),
        r.status
            .map(|x| x.to_string())
            .unwrap_or_else(|| "?".into()),
        r.documents.len()
    );
    for e in &r.errors {
        let _ = writeln!(s, "  error [{}]: {e}", e.code());
    }
    for (i, d) in r.documents.iter().enumerate() {
        let _ = writeln!(
            s,
            "Document {i}: {} -- {}",
            d.doc_type,
            if d.valid() { "VALID" } else { "INVALID" }
        );
        if let Some(iss) = &d.issuer {
            let _ = writeln!(
                s,
                "  issuer: {} ({}), IACA {}",
                iss.ds_common_name.as_deref().unwrap_or("?"),
                iss.country.as_deref().unwrap_or("?"),
                iss.iaca_common_name.as_deref().unwrap_or("?")
            );
        }
        if let Some(v) = d.validity {
            let t = |x: time::OffsetDateTime| {
                x.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_else(|_| x.to_string())
            };
            let _ = writeln!(
                s,
                "  validity: signed {}, valid {} .. {}",
                t(v.signed),
                t(v.valid_from),
                t(v.valid_until)
            );
        }
        let _ = writeln!(s, "  device authentication: {}", d.device_auth);
        for c in &d.checks {
            let _ = writeln!(s, "  [{}] {}", mark(c.outcome), c.check.name());
        }
        for e in &d.elements {
            let _ = writeln!(
                s,
                "  {} {}/{} = {}",
                if e.verified {
                    "verified  "
                } else {
                    "UNVERIFIED"
                },
                e.namespace,
                e.identifier,
                short_value(&e.value)
            );
        }
        for e in &d.not_returned {
            let _ = writeln!(
                s,
                "  not returned: {}/{} (error code {})",
                e.namespace, e.element, e.code
            );
        }
        for e in &d.errors {
            let _ = writeln!(s, "  error [{}]: {e}", e.code());
        }
        for w in &d.warnings {
            let _ = writeln!(s, "  warning: {w}");
        }
    }
    for e in &r.document_errors {
        let _ = writeln!(
            s,
            "Document not returned: {} (error code {})",
            e.doc_type, e.code
        );
    }
    s
}

pub fn render_request_report(r: &RequestReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "DeviceRequest: {} (version {}, {} docRequest(s))",
        if r.all_reader_authenticated() {
            "READER AUTHENTICATED"
        } else {
            "NOT AUTHENTICATED"
        },
        r.version.as_deref().unwrap_or("?"),
        r.doc_requests.len()
    );
    for e in &r.errors {
        let _ = writeln!(s, "  error [{}]: {e}", e.code());
    }
    for (i, d) in r.doc_requests.iter().enumerate() {
        let _ = writeln!(
            s,
            "DocRequest {i}: {} -- reader {}",
            d.doc_type,
            match (&d.reader_common_name, d.reader_authenticated()) {
                (Some(cn), true) => format!("{cn:?} (authenticated)"),
                (_, _) if !d.reader_auth_present => "not authenticated (no readerAuth)".to_string(),
                _ => "NOT authenticated".to_string(),
            }
        );
        for e in &d.elements {
            let _ = writeln!(
                s,
                "  {}/{}{}",
                e.namespace,
                e.element,
                if e.intent_to_retain {
                    " (will retain)"
                } else {
                    ""
                }
            );
        }
        for e in &d.errors {
            let _ = writeln!(s, "  error [{}]: {e}", e.code());
        }
    }
    s
}
