//! `kakunin pki crl` (build and sign a CRL for a CA of a `pki init` directory) and the
//! `--crl FILE...` options of the verify commands (read, verify against the trust anchors,
//! collect into a `CrlSet`).

use crate::error::CliError;
use crate::input;
use kakunin_core::crypto::default_provider;
use kakunin_core::trust::{CrlReason, CrlSet, RevocationCheck, TrustAnchors};
use kakunin_issuer::crl::{build_crl, certificate_serial, crl_pem, CrlEntry, CrlParams};
use kakunin_verifier::RevocationReport;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The arguments of `pki crl`.
pub(crate) struct BuildArgs<'a> {
    pub(crate) pki: &'a Path,
    pub(crate) issuer: &'a str,
    pub(crate) revoke: &'a [String],
    pub(crate) next_update_hours: i64,
    pub(crate) no_next_update: bool,
    pub(crate) number: Option<u64>,
    pub(crate) at: Option<&'a str>,
    pub(crate) out: &'a Path,
}

/// `SERIAL[:REASON]`: SERIAL is a certificate name of the PKI directory (`ds-1`, `reader`)
/// or the serial in hex as `verify-response` prints it; REASON an RFC 5280 name or code.
fn entry(pki: &Path, spec: &str, at: time::OffsetDateTime) -> Result<CrlEntry, CliError> {
    let (serial, reason) = match spec.split_once(':') {
        Some((s, r)) => {
            let reason = CrlReason::from_name(r).ok_or_else(|| {
                CliError::Usage(format!(
                    "--revoke {spec}: unknown reason {r:?} (RFC 5280 names such as keyCompromise, or codes 0-10 but 7)"
                ))
            })?;
            if reason == CrlReason::RemoveFromCrl {
                return Err(CliError::Usage(format!(
                    "--revoke {spec}: removeFromCRL belongs in delta CRLs only"
                )));
            }
            (s, Some(reason))
        }
        None => (spec, None),
    };
    let cert = kakunin_issuer::pki::cert_path(pki, serial);
    let bytes = if !serial.contains(['/', '.']) && cert.exists() {
        certificate_serial(&kakunin_issuer::pki::read_cert(&cert)?)?
    } else {
        let hex_text = serial.trim_start_matches("0x");
        let padded = if hex_text.len() % 2 == 1 {
            format!("0{hex_text}")
        } else {
            hex_text.to_string()
        };
        let mut b = hex::decode(&padded).map_err(|_| {
            CliError::Usage(format!(
                "--revoke {spec}: {serial:?} is neither a certificate of the PKI nor a hex serial"
            ))
        })?;
        // A positive INTEGER: a high first bit needs a leading zero octet.
        if b.first().is_some_and(|f| f & 0x80 != 0) {
            b.insert(0, 0);
        }
        if b.is_empty() {
            return Err(CliError::Usage(format!("--revoke {spec}: empty serial")));
        }
        b
    };
    Ok(CrlEntry {
        serial: bytes,
        revoked_at: at,
        reason,
    })
}

/// `pki crl`: a CRL of the IACA or the reader root, PEM when `out` ends in `.pem`, else DER.
pub(crate) fn build(a: &BuildArgs<'_>) -> Result<ExitCode, CliError> {
    let name = match a.issuer {
        "iaca" | "reader-root" => a.issuer,
        other => {
            return Err(CliError::Usage(format!(
                "--issuer {other:?}: expected iaca or reader-root"
            )))
        }
    };
    if a.next_update_hours <= 0 && !a.no_next_update {
        return Err(CliError::Usage(
            "--next-update-hours must be positive".into(),
        ));
    }
    let at = input::parse_time(a.at)?;
    let issuer = kakunin_issuer::pki::load_pair(a.pki, name)?;
    let entries = a
        .revoke
        .iter()
        .map(|spec| entry(a.pki, spec, at))
        .collect::<Result<Vec<_>, _>>()?;
    let crl_number = match a.number {
        Some(n) => n,
        // Seconds since 1970: a later CRL of the same issuer gets a higher number.
        None => u64::try_from(at.unix_timestamp()).unwrap_or(0),
    };
    let params = CrlParams {
        this_update: at,
        next_update: (!a.no_next_update).then(|| at + time::Duration::hours(a.next_update_hours)),
        crl_number,
        entries,
    };
    let der = build_crl(default_provider(), &issuer, &params)
        .map_err(|e| CliError::session("CRL signing", e))?;
    let pem = a.out.extension().is_some_and(|e| e == "pem");
    if pem {
        crate::error::write_file(a.out, crl_pem(&der)?.as_bytes())?;
    } else {
        crate::error::write_file(a.out, &der)?;
    }
    println!(
        "CRL of {name} (number {crl_number}, {} revoked, thisUpdate {}, nextUpdate {}) written to {}",
        params.entries.len(),
        fmt_time(params.this_update),
        params.next_update.map_or_else(|| "none".into(), fmt_time),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn fmt_time(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Read and verify each CRL file against the trust anchors that issued it (exit 2 when a file
/// is not a CRL or no anchor issued it: a CRL that does not verify is never used).
pub(crate) fn read_crls(paths: &[PathBuf], anchors: &TrustAnchors) -> Result<CrlSet, CliError> {
    let mut set = CrlSet::new();
    for p in paths {
        let bytes = input::read_file(p)?;
        let crl = kakunin_core::trust::verify_crl(
            default_provider(),
            &bytes,
            anchors.iter().map(|a| a.der()),
        )
        .map_err(|e| CliError::BadInput {
            path: p.clone(),
            reason: format!("CRL refused: {e}"),
        })?;
        set.insert(crl);
    }
    Ok(set)
}

/// One line for a revocation check: its value and, per certificate, serial, reason and the
/// CRL's thisUpdate/nextUpdate.
pub(crate) fn revocation_line(r: &RevocationReport) -> String {
    let RevocationReport::Checked(certs) = r else {
        return r.name().to_string();
    };
    let mut s = r.name().to_string();
    for c in certs {
        let detail = match &c.check {
            RevocationCheck::Revoked {
                reason,
                revoked_at,
                crl,
            } => format!(
                "revoked ({}) at {}; CRL thisUpdate {}",
                reason.map_or("no reason", |r| r.name()),
                fmt_time(*revoked_at),
                fmt_time(crl.this_update)
            ),
            RevocationCheck::NotRevoked { crl, .. } => format!(
                "not revoked; CRL thisUpdate {}, nextUpdate {}",
                fmt_time(crl.this_update),
                crl.next_update.map_or_else(|| "none".into(), fmt_time)
            ),
            RevocationCheck::NoCrl => "no CRL of its issuer: not performed".into(),
            RevocationCheck::Stale { overdue, crl, .. } => format!(
                "CRL stale: nextUpdate {} passed {} s ago",
                crl.next_update.map_or_else(|| "none".into(), fmt_time),
                overdue.whole_seconds()
            ),
            RevocationCheck::NotYetValid { crl } => {
                format!("CRL not valid before {}", fmt_time(crl.this_update))
            }
            other => format!("undetermined: {other:?}"),
        };
        s.push_str(&format!("; cert {} serial {}: {detail}", c.index, c.serial));
    }
    s
}
