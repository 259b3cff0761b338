//! The verifier's explicit test modes on the command line (issue 18; never a till's policy):
//! `verify-response --pin-ds FILE` (a Document Signer trusted directly, no IACA) and
//! `verify-issuer-signed` (issuer data authentication of ISO 18013-5 clause 9.3.1 without
//! mdoc authentication, when no SessionTranscript exists). Every text line of a test-mode
//! report carries its mode, so no line can be quoted as a valid presentation.

use crate::error::CliError;
use crate::input::{self, InputError};
use kakunin_verifier::{IssuerDataReport, TrustMode, Verifier};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Pinned Document Signer certificates (`--pin-ds`, PEM, DER or hex), read leniently: a test
/// issuer's certificate with a long serial or missing extensions can still be pinned.
pub(crate) fn read_pins(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, InputError> {
    paths
        .iter()
        .map(|p| {
            let bytes = input::read_file(p)?;
            kakunin_core::trust::lenient::parse_certificate_input_lenient(&bytes).map_err(
                |source| InputError::Certificate {
                    path: p.clone(),
                    source,
                },
            )
        })
        .collect()
}

/// The prefix of every line of a report made in `mode`, or `None` for the default mode.
fn line_prefix(mode: TrustMode) -> Option<&'static str> {
    match mode {
        TrustMode::PinnedDs => Some("[test mode: pinned DS, no IACA] "),
        TrustMode::IacaChainLenient => Some("[test mode: lenient certificates] "),
        _ => None,
    }
}

/// `text` with every line marked with the test mode `mode` (unchanged in the default mode).
pub(crate) fn mark_lines(mode: TrustMode, text: &str) -> String {
    let Some(prefix) = line_prefix(mode) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len() + 40 * text.lines().count());
    for line in text.lines() {
        let _ = writeln!(out, "{prefix}{line}");
    }
    out
}

/// `kakunin verify-issuer-signed`'s arguments.
pub(crate) struct IssuerSignedArgs<'a> {
    /// An IssuerSigned file (`--issuer-signed`).
    pub(crate) issuer_signed: Option<&'a Path>,
    /// A DeviceResponse file (`--response`).
    pub(crate) response: Option<&'a Path>,
    /// IACA files (`--trust-anchor`).
    pub(crate) trust_anchors: &'a [PathBuf],
    /// Pinned DS certificate files (`--pin-ds`).
    pub(crate) pin_ds: &'a [PathBuf],
    /// Verification time (RFC 3339); `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// Print JSON.
    pub(crate) json: bool,
}

/// Verify issuer data only and print it; exit 0 when the issuer data is valid, 1 otherwise.
pub(crate) fn verify_issuer_signed(a: &IssuerSignedArgs<'_>) -> Result<ExitCode, CliError> {
    let input = match (a.issuer_signed, a.response) {
        (Some(p), None) => (input::read_cbor(p)?, false),
        (None, Some(p)) => (input::read_cbor(p)?, true),
        _ => {
            return Err(CliError::Usage(
                "give exactly one of --issuer-signed FILE or --response FILE".into(),
            ))
        }
    };
    let pins = read_pins(a.pin_ds)?;
    let anchors = if pins.is_empty() {
        if a.trust_anchors.is_empty() {
            return Err(CliError::Usage(
                "--trust-anchor FILE or --pin-ds FILE is required".into(),
            ));
        }
        // Anchors are configuration and stay strictly parsed; only received chains are
        // read leniently.
        input::read_anchors(a.trust_anchors)?
    } else {
        kakunin_core::trust::TrustAnchors::default()
    };
    let at = input::parse_time(a.at)?;
    let verifier = if pins.is_empty() {
        Verifier::new(&anchors).with_lenient_certificates()
    } else {
        Verifier::new(&anchors).with_pinned_ds(&pins)
    };
    let report = match input {
        (bytes, true) => verifier.verify_issuer_data_of_response(&bytes, at),
        (bytes, false) => verifier.verify_issuer_signed(&bytes, at),
    };
    if a.json {
        println!("{}", input::json_text(&report.to_json()));
    } else {
        print!("{}", mark_lines(report.trust_mode, &render(&report)));
    }
    Ok(if report.valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The issuer data report as text: "issuer data valid" or "issuer data INVALID", never a
/// presentation verdict.
fn render(r: &IssuerDataReport) -> String {
    let verdict = |ok: bool| {
        if ok {
            "issuer data valid"
        } else {
            "issuer data INVALID"
        }
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Issuer data: {} ({} document(s); no device authentication: not a presentation)",
        verdict(r.valid()),
        r.documents.len()
    );
    for e in &r.errors {
        let _ = writeln!(
            s,
            "  error [{}]: {}",
            e.code(),
            crate::escape::escape(&e.to_string())
        );
    }
    for (i, d) in r.documents.iter().enumerate() {
        let _ = writeln!(
            s,
            "Document {i}: {} -- {}",
            crate::escape::escape(&d.doc_type),
            verdict(d.issuer_data_valid())
        );
        input::render_document_body(&mut s, d);
    }
    s
}
