//! `kakunin inspect`: name an 18013-5 structure and print it in diagnostic notation.

use crate::input::{hex_or_raw, read_file, InputError};
use kakunin_core::cbor::{decode, diagnostic, Item};
use std::path::Path;
use std::process::ExitCode;

/// Guess which 18013-5 structure an item is, from its shape.
fn kind(item: &Item<'_>) -> &'static str {
    if let Some((24, _)) = item.as_tag() {
        return "tag-24 encoded CBOR (e.g. DeviceEngagementBytes, SessionTranscriptBytes)";
    }
    if let Some((18, _)) = item.as_tag() {
        return "COSE_Sign1 (tagged)";
    }
    if let Some(a) = item.as_array() {
        return match a.len() {
            3 => "SessionTranscript (array of 3)",
            4 if a.first().and_then(Item::as_bytes).is_some()
                && a.get(1).and_then(Item::as_map).is_some() =>
            {
                "COSE_Sign1 or COSE_Mac0"
            }
            _ => "array",
        };
    }
    if item.as_map().is_none() {
        return "CBOR item";
    }
    let has = |k: &str| item.get_text_key(k).is_some();
    if has("documents") || (has("version") && has("status")) {
        "DeviceResponse"
    } else if has("docRequests") {
        "DeviceRequest"
    } else if has("eReaderKey") {
        "SessionEstablishment"
    } else if has("data") || has("status") {
        "SessionData"
    } else if has("issuerAuth") {
        "IssuerSigned"
    } else if has("deviceAuth") {
        "DeviceSigned"
    } else if has("valueDigests") {
        "MobileSecurityObject"
    } else if has("docType") && has("nameSpaces") {
        "ItemsRequest"
    } else if item.get_int_key(0).is_some() && item.get_int_key(1).is_some() {
        "DeviceEngagement"
    } else if item.get_int_key(1).is_some() && item.get_int_key(-1).is_some() {
        "COSE_Key"
    } else {
        "map"
    }
}

/// Print an X.509 certificate (read leniently, `kakunin_core::trust::lenient`): its fields,
/// its extensions, what breaks RFC 5280 or the Annex B profile as warnings, and whether the
/// strict parse of the default verification path accepts it.
fn print_certificate(der: &[u8]) -> Result<(), kakunin_core::trust::TrustError> {
    use crate::escape::escape;
    let c = kakunin_core::trust::lenient::read_certificate_lenient(der)?;
    let t = |x: time::OffsetDateTime| {
        x.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| x.to_string())
    };
    println!("# X.509 certificate ({} bytes)", der.len());
    println!("version: {}", c.version);
    println!("serial: {}", c.serial);
    println!("signature algorithm: {}", c.signature_algorithm);
    println!("issuer: {}", escape(&c.issuer));
    println!("subject: {}", escape(&c.subject));
    println!("not before: {}", t(c.not_before));
    println!("not after: {}", t(c.not_after));
    match &c.public_key {
        Some(k) => println!("public key: EC {:?}", k.curve()),
        None => println!("public key: not an uncompressed P-256/P-384/P-521 EC key"),
    }
    println!("CA: {}", c.is_ca);
    for e in &c.extensions {
        println!(
            "extension: {} {}{}",
            e.oid,
            e.name.unwrap_or("(unknown)"),
            if e.critical { " (critical)" } else { "" }
        );
    }
    for w in &c.warnings {
        println!("warning: {w}");
    }
    match kakunin_core::trust::parse_certificate_input(der) {
        Ok(_) => println!("strict profile: parses"),
        Err(e) => println!(
            "strict profile: refused ({e}); only the test modes (--pin-ds, verify-issuer-signed) read it"
        ),
    }
    Ok(())
}

/// Print `path`'s CBOR (raw, hex or an `mdoc:` URI) in diagnostic notation, named by its
/// shape; or, for an X.509 certificate (PEM, DER or hex), its fields and warnings.
pub(crate) fn run(path: &Path) -> Result<ExitCode, InputError> {
    let raw = read_file(path)?;
    if let Ok(der) = kakunin_core::trust::lenient::parse_certificate_input_lenient(&raw) {
        return match print_certificate(&der) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(source) => Err(InputError::Certificate {
                path: path.into(),
                source,
            }),
        };
    }
    let text = std::str::from_utf8(&raw).ok().map(str::trim);
    let bytes = match text.and_then(|t| t.strip_prefix("mdoc:")) {
        Some(b64) => {
            use base64::Engine;
            match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!(
                        "kakunin: {}: mdoc: URI is not base64url: {e}",
                        path.display()
                    );
                    return Ok(ExitCode::from(2));
                }
            }
        }
        None => hex_or_raw(raw),
    };
    match decode(&bytes) {
        Ok(item) => {
            println!("# {} ({} bytes)", kind(&item), bytes.len());
            // Text strings in diagnostic notation are already Debug-escaped by core; bidi
            // controls are not, so every line is escaped again for the terminal.
            println!("{}", crate::escape::escape_lines(&diagnostic(&item)));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("kakunin: {}: not CBOR: {e}", path.display());
            Ok(ExitCode::from(2))
        }
    }
}
