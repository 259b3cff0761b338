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

/// Print `path`'s CBOR (raw, hex or an `mdoc:` URI) in diagnostic notation, named by its shape.
pub(crate) fn run(path: &Path) -> Result<ExitCode, InputError> {
    let raw = read_file(path)?;
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
