//! Reading the command line's inputs (CBOR as raw bytes or hex, certificates, keys, PINs,
//! times) and rendering reports as text. Every string in a report came from the peer and is
//! escaped ([`crate::escape`]) as it is written.

use crate::escape::{escape, escape_json, quote};
use kakunin_core::cbor::Value;
use kakunin_core::crypto::EcPrivateKey;
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::{Pin, PinError};
use kakunin_verifier::{Outcome, RequestReport, ResponseReport};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Largest input file accepted.
const MAX_FILE: u64 = 32 * 1024 * 1024;

/// A usage or input error (exit code 2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is larger than any input the command accepts.
    #[error("{path}: file is larger than {MAX_FILE} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file holds no certificate (PEM, DER or hex).
    #[error("{path}: not a certificate: {source}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why the certificate was rejected.
        source: kakunin_core::trust::TrustError,
    },
    /// The file holds no usable private key.
    #[error("{path}: {source}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why the key was rejected.
        source: kakunin_core::crypto::KeyImportError,
    },
    /// `--at` is not an RFC 3339 date-time.
    #[error("--at {} is not an RFC 3339 date-time", quote(value))]
    Time {
        /// The value given.
        value: String,
    },
    /// The trust anchors do not form a usable set.
    #[error("trust anchors: {0}")]
    Anchors(kakunin_core::trust::TrustError),
    /// A PIN file or standard input holds no valid PIN.
    #[error("{from}: {reason}")]
    Pin {
        /// The file, or `standard input`.
        from: String,
        /// What is wrong (not 4 to 16 printable ASCII characters, not one line); never the PIN.
        reason: String,
    },
}

/// The whole of `path`, refusing files over [`MAX_FILE`] bytes.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, InputError> {
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
pub(crate) fn hex_or_raw(bytes: Vec<u8>) -> Vec<u8> {
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

/// A CBOR input file, raw or hex.
pub(crate) fn read_cbor(path: &Path) -> Result<Vec<u8>, InputError> {
    read_file(path).map(hex_or_raw)
}

/// Trust anchors from certificate files (PEM, DER or hex), one certificate per file.
pub(crate) fn read_anchors(paths: &[PathBuf]) -> Result<TrustAnchors, InputError> {
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

/// A private key file (PKCS#8 DER/PEM, SEC1 PEM, raw or hex scalar); the bytes read are
/// zeroized.
pub(crate) fn read_private_key(path: &Path) -> Result<EcPrivateKey, InputError> {
    let bytes = zeroize::Zeroizing::new(read_file(path)?);
    kakunin_core::crypto::import_private_key(&bytes).map_err(|source| InputError::Key {
        path: path.into(),
        source,
    })
}

/// The verification time: `--at` if given, otherwise the system clock (read here, at the
/// edge, never inside the library).
pub(crate) fn parse_time(at: Option<&str>) -> Result<time::OffsetDateTime, InputError> {
    match at {
        None => Ok(time::OffsetDateTime::now_utc()),
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|_| InputError::Time {
                value: s.to_string(),
            }),
    }
}

/// A short human rendering of an element value; long byte strings are summarised.
/// Text values are quoted and escaped, like any peer-chosen text.
pub(crate) fn short_value(v: &Value) -> String {
    match v {
        Value::Bytes(b) if b.len() > 32 => format!("<{} bytes>", b.len()),
        Value::Bytes(b) => format!("h'{}'", hex::encode(b)),
        Value::Text(t) => quote(t),
        Value::Tag(1004 | 0, inner) => short_value(inner),
        other => escape_json(&kakunin_verifier::json::cbor_to_json(other).to_string()).into_owned(),
    }
}

/// A JSON report as pretty text, safe for a terminal (see [`escape_json`]).
pub(crate) fn json_text(v: &serde_json::Value) -> String {
    escape_json(&serde_json::to_string_pretty(v).unwrap_or_default()).into_owned()
}

/// The PIN on the first line of `text` (a trailing `\n` or `\r\n` stripped). Anything after the
/// first line is refused, so a file with two PINs is not silently half-used; a line that is not
/// 4 to 16 printable ASCII characters ([`Pin::from_bytes`]) is refused without echoing it.
fn pin_from_text(text: &[u8], from: &str) -> Result<Pin, InputError> {
    let bad = |reason: &str| InputError::Pin {
        from: from.to_string(),
        reason: reason.to_string(),
    };
    let mut lines = text.splitn(2, |&b| b == b'\n');
    let line = lines.next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if lines.next().is_some_and(|rest| !rest.is_empty()) {
        return Err(bad("more than one line (the PIN is the only line)"));
    }
    Pin::from_bytes(line).map_err(|e: PinError| bad(&e.to_string()))
}

/// At most this much is read from a PIN source: the longest PIN, `\r\n`, and one byte to
/// tell a too-long PIN from a PIN that fits.
const PIN_READ_LIMIT: usize = Pin::MAX_LEN + 3;

/// Read a PIN from `reader` (at most [`PIN_READ_LIMIT`] bytes, zeroized after use).
fn read_pin_from(reader: impl std::io::Read, from: &str) -> Result<Pin, InputError> {
    use std::io::Read;
    let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(PIN_READ_LIMIT));
    reader
        .take(PIN_READ_LIMIT as u64)
        .read_to_end(&mut buf)
        .map_err(|e| InputError::Pin {
            from: from.to_string(),
            reason: e.to_string(),
        })?;
    if buf.len() == PIN_READ_LIMIT {
        return Err(InputError::Pin {
            from: from.to_string(),
            reason: format!("longer than a PIN ({} characters at most)", Pin::MAX_LEN),
        });
    }
    pin_from_text(&buf, from)
}

/// The PIN in `path` (`--pin-file`, `--entered-pin-file`): one line, the newline stripped.
pub(crate) fn read_pin_file(path: &Path) -> Result<Pin, InputError> {
    let f = std::fs::File::open(path).map_err(|source| InputError::Read {
        path: path.into(),
        source,
    })?;
    read_pin_from(f, &path.display().to_string())
}

/// The PIN on standard input (`--pin-stdin`): one line, the newline stripped.
pub(crate) fn read_pin_stdin() -> Result<Pin, InputError> {
    read_pin_from(std::io::stdin().lock(), "standard input")
}

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "pass",
        Outcome::Failed => "FAIL",
        Outcome::NotPerformed => "skip",
        _ => "?",
    }
}

/// `e`'s Display text, escaped: error messages quote peer-chosen names.
fn err_text(e: &impl std::fmt::Display) -> String {
    escape(&e.to_string()).into_owned()
}

/// An optional peer-chosen name, escaped, `?` when absent.
fn opt(v: Option<&str>) -> std::borrow::Cow<'_, str> {
    v.map_or(std::borrow::Cow::Borrowed("?"), escape)
}

/// The DeviceResponse report as text, one check or element per line.
/// One line for a status check: its value, the list and index, and why if undetermined
/// (the URI is issuer-chosen text: escaped).
pub(crate) fn status_line(st: &kakunin_verifier::StatusReport) -> String {
    let mut line = st.name().to_string();
    if let Some(r) = &st.reference {
        line.push_str(&format!(" (index {} of {})", r.idx, escape(&r.uri)));
    }
    if let Some(reason) = st.undetermined_reason() {
        line.push_str(&format!(
            ": {} -- {}",
            reason.undetermined_kind().name(),
            escape(&reason.to_string())
        ));
    }
    if let Some(stale) = &st.stale {
        line.push_str(&format!(
            " [the stale list says {}, {} s overdue]",
            stale.status.label(),
            stale.overdue.whole_seconds()
        ));
    }
    line
}

pub(crate) fn render_response_report(r: &ResponseReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "DeviceResponse: {} (version {}, status {}, {} document(s))",
        if r.valid() { "VALID" } else { "INVALID" },
        opt(r.version.as_deref()),
        r.status
            .map(|x| x.to_string())
            .unwrap_or_else(|| "?".into()),
        r.documents.len()
    );
    for e in &r.errors {
        let _ = writeln!(s, "  error [{}]: {}", e.code(), err_text(e));
    }
    for (i, d) in r.documents.iter().enumerate() {
        let _ = writeln!(
            s,
            "Document {i}: {} -- {}",
            escape(&d.doc_type),
            if d.valid() { "VALID" } else { "INVALID" }
        );
        render_document_body(&mut s, d);
    }
    for e in &r.document_errors {
        let _ = writeln!(
            s,
            "Document not returned: {} (error code {})",
            escape(&e.doc_type),
            e.code
        );
    }
    s
}

/// One document of a report as text, after its heading line: issuer, validity, checks,
/// status, revocation, elements, errors and warnings.
pub(crate) fn render_document_body(s: &mut String, d: &kakunin_verifier::DocumentReport) {
    if let Some(iss) = &d.issuer {
        let _ = writeln!(
            s,
            "  issuer: {} ({}), IACA {}",
            opt(iss.ds_common_name.as_deref()),
            opt(iss.country.as_deref()),
            opt(iss.iaca_common_name.as_deref())
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
    let _ = writeln!(s, "  status: {}", status_line(&d.status_check));
    let _ = writeln!(
        s,
        "  revocation: {}",
        crate::escape::escape(&crate::crl_cmd::revocation_line(&d.revocation))
    );
    for e in &d.elements {
        let _ = writeln!(
            s,
            "  {} {}/{} = {}",
            if e.verified {
                "verified  "
            } else {
                "UNVERIFIED"
            },
            escape(&e.namespace),
            escape(&e.identifier),
            short_value(&e.value)
        );
    }
    for e in &d.not_returned {
        let _ = writeln!(
            s,
            "  not returned: {}/{} (error code {})",
            escape(&e.namespace),
            escape(&e.element),
            e.code
        );
    }
    for e in &d.errors {
        let _ = writeln!(s, "  error [{}]: {}", e.code(), err_text(e));
    }
    for w in &d.warnings {
        let _ = writeln!(s, "  warning: {}", err_text(w));
    }
}

/// The DeviceRequest report as text.
pub(crate) fn render_request_report(r: &RequestReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "DeviceRequest: {} (version {}, {} docRequest(s))",
        if r.all_reader_authenticated() {
            "READER AUTHENTICATED"
        } else {
            "NOT AUTHENTICATED"
        },
        opt(r.version.as_deref()),
        r.doc_requests.len()
    );
    for e in &r.errors {
        let _ = writeln!(s, "  error [{}]: {}", e.code(), err_text(e));
    }
    for (i, d) in r.doc_requests.iter().enumerate() {
        let _ = writeln!(
            s,
            "DocRequest {i}: {} -- reader {}",
            escape(&d.doc_type),
            match (&d.reader_common_name, d.reader_authenticated()) {
                (Some(cn), true) => format!("{} (authenticated)", quote(cn)),
                (_, _) if !d.reader_auth_present => "not authenticated (no readerAuth)".to_string(),
                _ => "NOT authenticated".to_string(),
            }
        );
        for e in &d.elements {
            let _ = writeln!(
                s,
                "  {}/{}{}",
                escape(&e.namespace),
                escape(&e.element),
                if e.intent_to_retain {
                    " (will retain)"
                } else {
                    ""
                }
            );
        }
        for e in &d.errors {
            let _ = writeln!(s, "  error [{}]: {}", e.code(), err_text(e));
        }
    }
    s
}
