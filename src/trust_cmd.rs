//! `kakunin trust bundle|show|verify`: the signed offline trust bundle of a till
//! (`kakunin_core::trust::bundle`, docs/decisions/0013-trust-bundle.md). This file reads the
//! files, calls the core, prints (certificate and URI text escaped) and picks the exit code.

use crate::error::{write_file, CliError};
use crate::escape::quote;
use crate::input::{parse_time, read_anchors, read_file};
use kakunin_core::crypto::{default_provider, ProviderSigner};
use kakunin_core::trust::bundle::{
    build, certificate_subject, BundleContents, BundleError, BundleIaca, BundleStatusList,
    UnverifiedBundle, MAX_STATUS_LISTS,
};
use kakunin_issuer::pki::{load_pair, read_cert};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use time::format_description::well_known::Rfc3339;

/// `kakunin trust bundle`'s arguments.
pub(crate) struct BundleArgs<'a> {
    /// PKI directory made by `pki init`.
    pub(crate) pki: &'a Path,
    /// Which key and certificate of the PKI signs (`trust-bundle-1`).
    pub(crate) signer: &'a str,
    /// IACA certificates.
    pub(crate) iacas: &'a [PathBuf],
    /// Signed VICAL files.
    pub(crate) vicals: &'a [PathBuf],
    /// Reader-root certificates.
    pub(crate) reader_roots: &'a [PathBuf],
    /// CRL files (DER).
    pub(crate) crls: &'a [PathBuf],
    /// A status-list cache directory (`status fetch --cache`).
    pub(crate) status_cache: Option<&'a Path>,
    /// The bundle version; `None` uses the creation time in Unix seconds.
    pub(crate) version: Option<u64>,
    /// The creation time (RFC 3339); `None` reads the clock.
    pub(crate) at: Option<&'a str>,
    /// Where to write the bundle.
    pub(crate) out: &'a Path,
}

fn time_text(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn bundle_input(path: &Path, e: &BundleError) -> CliError {
    CliError::BadInput {
        path: path.into(),
        reason: e.to_string(),
    }
}

/// Build and sign a bundle with the PKI's trust-bundle signer.
pub(crate) fn bundle(a: &BundleArgs<'_>) -> Result<ExitCode, CliError> {
    // The bundle records whole seconds; print what it records.
    let created = parse_time(a.at)?;
    let created = created.replace_nanosecond(0).unwrap_or(created);
    let version = match a.version {
        Some(v) => v,
        None => u64::try_from(created.unix_timestamp())
            .map_err(|_| CliError::Usage("--at is before 1970; give --version".into()))?,
    };
    let mut c = BundleContents::new(version, created);
    for p in a.iacas {
        c.iacas.push(BundleIaca {
            cert_der: read_cert(p)?,
            doc_types: Vec::new(),
        });
    }
    for p in a.reader_roots {
        c.reader_roots.push(read_cert(p)?);
    }
    for p in a.vicals {
        c.vicals.push(read_file(p)?);
    }
    for p in a.crls {
        c.crls.push(read_file(p)?);
    }
    if let Some(dir) = a.status_cache {
        let cache = crate::status_cmd::open_cache(dir)?;
        let entries = cache
            .entries(MAX_STATUS_LISTS)
            .map_err(|e| CliError::BadInput {
                path: dir.into(),
                reason: e.to_string(),
            })?;
        c.status_lists = entries
            .into_iter()
            .map(|e| BundleStatusList {
                uri: e.uri,
                token: e.token,
                fetched_at: e.fetched_at,
            })
            .collect();
    }
    let pair = load_pair(a.pki, a.signer)?;
    let signer = ProviderSigner::new(default_provider(), &pair.key)
        .map_err(CliError::session_in("signer"))?;
    let bytes = build(&c, &signer, std::slice::from_ref(&pair.cert_der)).map_err(|e| match e {
        BundleError::Crypto(_) => CliError::session("signing", e),
        other => CliError::Usage(other.to_string()),
    })?;
    write_file(a.out, &bytes)?;
    println!(
        "trust bundle version {version}, created {}: {} IACA(s), {} VICAL(s), {} reader root(s), {} CRL(s), {} status list(s), {} bytes",
        time_text(created),
        c.iacas.len(),
        c.vicals.len(),
        c.reader_roots.len(),
        c.crls.len(),
        c.status_lists.len(),
        bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn subject(der: &[u8]) -> String {
    match certificate_subject(der) {
        Ok(s) => {
            format!(
                "CN={} C={}",
                quote(s.common_name.as_deref().unwrap_or("")),
                quote(s.country.as_deref().unwrap_or(""))
            )
        }
        Err(_) => "(not a certificate)".into(),
    }
}

fn print_contents(c: &BundleContents) {
    println!("version:      {}", c.version);
    println!("created:      {}", time_text(c.created));
    println!("IACAs:        {}", c.iacas.len());
    for i in &c.iacas {
        let scope = if i.doc_types.is_empty() {
            "any docType".to_string()
        } else {
            i.doc_types
                .iter()
                .map(|d| quote(d))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!("  {} ({scope})", subject(&i.cert_der));
    }
    println!("reader roots: {}", c.reader_roots.len());
    for r in &c.reader_roots {
        println!("  {}", subject(r));
    }
    println!(
        "VICALs:       {} (bytes, verified separately)",
        c.vicals.len()
    );
    for v in &c.vicals {
        println!("  {} bytes", v.len());
    }
    println!(
        "CRLs:         {} (bytes, verified separately)",
        c.crls.len()
    );
    for v in &c.crls {
        println!("  {} bytes", v.len());
    }
    println!("status lists: {}", c.status_lists.len());
    for s in &c.status_lists {
        println!(
            "  {} ({} bytes, fetched {})",
            quote(&s.uri),
            s.token.len(),
            time_text(s.fetched_at)
        );
    }
}

/// Decode a bundle and print it, labelled unverified.
pub(crate) fn show(path: &Path) -> Result<ExitCode, CliError> {
    let bytes = read_file(path)?;
    let parsed = UnverifiedBundle::parse(&bytes).map_err(|e| bundle_input(path, &e))?;
    println!("UNVERIFIED trust bundle (signature and signer not checked: kakunin trust verify)");
    println!("alg:          {}", parsed.algorithm());
    println!("x5chain:      {} certificate(s)", parsed.x5chain().len());
    if let Some(leaf) = parsed.x5chain().first() {
        println!("signer:       {}", subject(leaf));
    }
    print_contents(parsed.unverified_contents());
    Ok(ExitCode::SUCCESS)
}

/// Verify a bundle against the bundle-signer anchor: exit 0 valid, 1 refused (signer,
/// signature, time), 2 input error (unreadable or malformed).
pub(crate) fn verify(
    path: &Path,
    anchors: &[PathBuf],
    at: Option<&str>,
) -> Result<ExitCode, CliError> {
    let at = parse_time(at)?;
    let anchors = read_anchors(anchors)?;
    let bytes = read_file(path)?;
    let parsed = UnverifiedBundle::parse(&bytes).map_err(|e| bundle_input(path, &e))?;
    match parsed.verify(default_provider(), &anchors, at) {
        Ok(v) => {
            println!("trust bundle: VALID (signer chains to the given anchor)");
            print_contents(v.contents());
            println!("age:          {} s", v.age(at).whole_seconds());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.cause() == kakunin_core::Cause::Misuse => Err(bundle_input(path, &e)),
        Err(e) => {
            println!(
                "trust bundle: INVALID ({}): {}",
                e.cause(),
                crate::escape::escape(&e.to_string())
            );
            Ok(ExitCode::from(1))
        }
    }
}
