//! `kakunin vical build|verify|show`: VICALs (ISO/IEC 18013-5 Annex C) on the command line.
//! The work is in `kakunin_core::trust::vical`; this file reads files, prints (peer-chosen
//! text escaped) and picks the exit code: 0 valid, 1 not valid, 2 usage or input error.

use crate::error::{write_file, CliError};
use crate::escape::{escape, quote};
use crate::input::{hex_or_raw, parse_time, read_anchors, read_file};
use kakunin_core::crypto::{default_provider, ProviderSigner};
use kakunin_core::trust::vical::{
    build_vical, SignedVical, VicalBuildEntry, VicalBuildInput, VicalContents, VicalEntry,
    VicalPolicy, VicalWarning,
};
use kakunin_issuer::pki::{load_pair, read_cert};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use time::format_description::well_known::Rfc3339;

/// The docType an IACA is listed for when `--doc-type` is not given.
const DEFAULT_DOC_TYPE: &str = "org.iso.18013.5.1.mDL";

/// `kakunin vical build`'s arguments.
pub(crate) struct BuildArgs<'a> {
    /// PKI directory made by `pki init` (its `vical-signer` signs).
    pub(crate) pki: &'a Path,
    /// IACA certificate files to list.
    pub(crate) iacas: &'a [PathBuf],
    /// The docTypes every listed IACA is trusted for.
    pub(crate) doc_types: &'a [String],
    /// `vicalProvider`.
    pub(crate) provider: &'a str,
    /// `vicalIssueID`.
    pub(crate) issue_id: Option<u64>,
    /// Hours from `date` to `nextUpdate` (0: none).
    pub(crate) next_update_hours: u64,
    /// `date` (RFC 3339); `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// Where to write the list.
    pub(crate) out: &'a Path,
}

fn time_text(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Build and sign a VICAL with the test PKI's VICAL signer.
pub(crate) fn build(a: &BuildArgs<'_>) -> Result<ExitCode, CliError> {
    if a.iacas.is_empty() {
        return Err(CliError::Usage("give at least one --iaca".into()));
    }
    let doc_types: Vec<String> = if a.doc_types.is_empty() {
        vec![DEFAULT_DOC_TYPE.to_string()]
    } else {
        a.doc_types.to_vec()
    };
    let date = parse_time(a.at)?;
    let next_update = if a.next_update_hours == 0 {
        None
    } else {
        let hours = i64::try_from(a.next_update_hours)
            .map_err(|_| CliError::Usage("--next-update-hours is too large".into()))?;
        Some(
            date.checked_add(time::Duration::hours(hours))
                .ok_or_else(|| CliError::Usage("--next-update-hours is too large".into()))?,
        )
    };
    let entries = a
        .iacas
        .iter()
        .map(|p| {
            Ok(VicalBuildEntry {
                certificate: read_cert(p)?,
                doc_types: doc_types.clone(),
                certificate_profiles: Vec::new(),
                issuing_authority: None,
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let pair = load_pair(a.pki, "vical-signer").map_err(|e| {
        CliError::Usage(format!(
            "{e} (a PKI made before VICAL support has no vical-signer: run `pki init` again)"
        ))
    })?;
    let crypto = default_provider();
    let signer = ProviderSigner::new(crypto, &pair.key).map_err(CliError::session_in("signer"))?;
    let input = VicalBuildInput {
        provider: a.provider.to_string(),
        date,
        issue_id: a.issue_id,
        next_update,
        url: None,
        entries,
    };
    let bytes =
        build_vical(&signer, std::slice::from_ref(&pair.cert_der), &input).map_err(|e| {
            if e.cause() == kakunin_core::Cause::Malformed {
                CliError::Usage(e.to_string())
            } else {
                CliError::session("signing the VICAL", e)
            }
        })?;
    write_file(a.out, &bytes)?;
    println!(
        "built a VICAL of {} IACA(s) for {}, provider {}, signed by vical-signer, into {}",
        input.entries.len(),
        doc_types.join(", "),
        quote(a.provider),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Read and parse a VICAL file (raw CBOR or hex); a file that is not one is an input error.
fn read_vical(path: &Path) -> Result<SignedVical, CliError> {
    let bytes = read_file(path)?;
    match SignedVical::parse(&bytes) {
        Ok(v) => Ok(v),
        Err(first) => SignedVical::parse(&hex_or_raw(bytes)).map_err(|_| CliError::BadInput {
            path: path.into(),
            reason: format!("not a VICAL: {first}"),
        }),
    }
}

fn hex(b: &[u8]) -> String {
    hex::encode(b)
}

fn subject_text(e: &VicalEntry) -> String {
    let s = e.subject();
    let mut parts = Vec::new();
    for (k, v) in [
        ("CN", &s.common_name),
        ("O", &s.organization),
        ("ST", &s.state),
        ("C", &s.country),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}={}", escape(v)));
        }
    }
    parts.join(", ")
}

fn print_entries(entries: &[VicalEntry], warnings: &[VicalWarning]) {
    for e in entries {
        println!("[{}] {}", e.index(), subject_text(e));
        println!("    serial:   {}", hex(e.serial()));
        println!(
            "    SKI:      {}",
            e.ski().map(hex).unwrap_or_else(|| "(no extension)".into())
        );
        println!(
            "    validity: {} .. {}",
            time_text(e.not_before()),
            time_text(e.not_after())
        );
        let dts: Vec<String> = e.doc_types().iter().map(|d| quote(d)).collect();
        println!("    docTypes: {}", dts.join(", "));
        for w in warnings.iter().filter(|w| w.index == e.index()) {
            println!("    warning:  {}", w.kind);
        }
    }
}

fn print_header(c: &VicalContents) {
    println!("provider:    {}", quote(c.provider()));
    println!("version:     {}", quote(c.version()));
    println!("date:        {}", time_text(c.date()));
    println!(
        "issue id:    {}",
        c.issue_id()
            .map(|i| i.to_string())
            .unwrap_or_else(|| "(none)".into())
    );
    println!(
        "nextUpdate:  {}",
        c.next_update()
            .map(time_text)
            .unwrap_or_else(|| "(none)".into())
    );
    if let Some(u) = c.url() {
        println!("vicalURL:    {}", quote(u));
    }
    println!("entries:     {}", c.entries().len());
}

fn entry_json(e: &VicalEntry, warnings: &[VicalWarning]) -> serde_json::Value {
    // Read from the certificate on each call: once here.
    let subject = e.subject();
    serde_json::json!({
        "index": e.index(),
        "subject": {
            "common_name": subject.common_name,
            "organization": subject.organization,
            "state": subject.state,
            "country": subject.country,
        },
        "serial": hex(e.serial()),
        "ski": e.ski().map(hex),
        "not_before": time_text(e.not_before()),
        "not_after": time_text(e.not_after()),
        "doc_types": e.doc_types(),
        "warnings": warnings
            .iter()
            .filter(|w| w.index == e.index())
            .map(|w| w.kind.to_string())
            .collect::<Vec<_>>(),
    })
}

/// `kakunin vical verify`'s arguments.
pub(crate) struct VerifyArgs<'a> {
    /// The VICAL file.
    pub(crate) vical: &'a Path,
    /// VICAL-authority certificates.
    pub(crate) trust_anchors: &'a [PathBuf],
    /// Verification time; `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// Seconds accepted past `nextUpdate`.
    pub(crate) grace: u64,
    /// The lowest `vicalIssueID` accepted.
    pub(crate) min_issue_id: Option<u64>,
    /// Print JSON instead of text.
    pub(crate) json: bool,
}

/// Verify a VICAL: exit 0 valid, 1 not valid, 2 input error.
pub(crate) fn verify(a: &VerifyArgs<'_>) -> Result<ExitCode, CliError> {
    let signed = read_vical(a.vical)?;
    let anchors = read_anchors(a.trust_anchors)?;
    let at = parse_time(a.at)?;
    let grace = i64::try_from(a.grace)
        .map(time::Duration::seconds)
        .map_err(|_| CliError::Usage("--grace is too large".into()))?;
    let policy = VicalPolicy {
        next_update_grace: grace,
        min_issue_id: a.min_issue_id,
        ..VicalPolicy::default()
    };
    let contents = signed.unverified_contents().clone();
    match signed.verify(&anchors, default_provider(), at, &policy) {
        Ok(v) => {
            // webpki reads an entry as a trust anchor on its first use; here every entry is
            // read now, so that a list with an entry it refuses is refused as an input error,
            // as when that check ran while parsing.
            for i in 0..v.entries().len() {
                if let Some(Err(e)) = v.certificate_der(i) {
                    return Err(CliError::BadInput {
                        path: a.vical.into(),
                        reason: format!("not a VICAL: {e}"),
                    });
                }
            }
            if a.json {
                let out = serde_json::json!({
                    "valid": true,
                    "provider": v.provider(),
                    "version": v.version(),
                    "date": time_text(v.date()),
                    "issue_id": v.issue_id(),
                    "next_update": v.next_update().map(time_text),
                    "signer": v.signer().leaf_subject.common_name,
                    "authority": v.signer().issuer_subject.common_name,
                    "entries": v.entries().iter().map(|e| entry_json(e, v.warnings())).collect::<Vec<_>>(),
                });
                println!("{}", crate::escape::escape_json(&out.to_string()));
            } else {
                println!("VICAL: valid at {}", time_text(at));
                println!(
                    "signer:      {} under {}",
                    quote(
                        v.signer()
                            .leaf_subject
                            .common_name
                            .as_deref()
                            .unwrap_or("?")
                    ),
                    quote(
                        v.signer()
                            .issuer_subject
                            .common_name
                            .as_deref()
                            .unwrap_or("?")
                    )
                );
                print_header(&contents);
                print_entries(v.entries(), v.warnings());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if a.json {
                let out = serde_json::json!({
                    "valid": false,
                    "error": e.to_string(),
                    "cause": e.cause().to_string(),
                    "provider_unverified": contents.provider(),
                });
                println!("{}", crate::escape::escape_json(&out.to_string()));
            } else {
                println!("VICAL: NOT VALID: {}", escape(&e.to_string()));
                println!(
                    "(unverified) provider {}, {} entries: nothing imported",
                    quote(contents.provider()),
                    contents.entries().len()
                );
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// Decode a VICAL and print it, without verifying anything.
pub(crate) fn show(path: &Path) -> Result<ExitCode, CliError> {
    let signed = read_vical(path)?;
    println!(
        "UNVERIFIED: decoded only; the signature and signer are not checked (kakunin vical verify)"
    );
    println!("alg:         {}", signed.algorithm());
    println!(
        "COSE tag:    {}",
        if signed.is_tagged() { "18" } else { "none" }
    );
    println!("x5chain:     {} certificate(s)", signed.x5chain().len());
    let c = signed.unverified_contents();
    print_header(c);
    print_entries(c.entries(), c.warnings());
    Ok(ExitCode::SUCCESS)
}
