//! `kakunin conformance verifier`: grade a verifier under test (a command or an HTTP API)
//! with the mdoc and SD-JWT VC suites of `kakunin-conformance` (docs/conformance.md).

use crate::error::CliError;
use kakunin_conformance::report::{summary_line, write_reports};
use kakunin_conformance::targets::cmd::CmdTarget;
use kakunin_conformance::targets::http::HttpTarget;
use kakunin_conformance::targets::Target;
use kakunin_conformance::verifier_suite::{
    build_suite, glob_matches, run_suite, RunOptions, SuiteKind, SuitePki,
};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// The verification time of the generated cases when `--at` is not given: fixed, so a run
/// is reproducible and needs no clock agreement with the target.
const DEFAULT_AT: &str = "2026-11-24T10:00:00Z";

/// The command's arguments.
pub(crate) struct Args<'a> {
    pub(crate) target_cmd: Option<&'a str>,
    pub(crate) target_url: Option<&'a str>,
    pub(crate) suite: &'a str,
    pub(crate) case_timeout: Duration,
    pub(crate) report: &'a Path,
    /// A separate command for the SD-JWT VC cases.
    pub(crate) sd_jwt_target_cmd: Option<&'a str>,
    /// A file with the bearer token of the `--target-url` API.
    pub(crate) target_token_file: Option<&'a Path>,
    /// Keep the suite PKI in this directory (created if missing, reused if present).
    pub(crate) suite_pki: Option<&'a Path>,
    /// Only the cases whose id matches this glob.
    pub(crate) cases: Option<&'a str>,
    /// At most this many cases (after `cases`).
    pub(crate) limit: Option<usize>,
    /// The verification time of the generated cases.
    pub(crate) at: Option<&'a str>,
    /// Cases run at the same time.
    pub(crate) jobs: usize,
}

/// Run the suite; exit 0 only when every required case passed.
pub(crate) fn run(a: &Args<'_>) -> Result<ExitCode, CliError> {
    let kind: SuiteKind =
        a.suite
            .parse()
            .map_err(|e: kakunin_conformance::verifier_suite::SuiteError| {
                CliError::Usage(e.to_string())
            })?;
    if !(1..=64).contains(&a.jobs) {
        return Err(CliError::Usage("--jobs must be 1 to 64".into()));
    }
    if a.case_timeout.is_zero() {
        return Err(CliError::Usage(
            "--case-timeout must be at least 1 s".into(),
        ));
    }
    let at = crate::input::parse_time(Some(a.at.unwrap_or(DEFAULT_AT)))?;
    let target: Box<dyn Target> = match (a.target_cmd, a.target_url) {
        (Some(cmd), None) => Box::new(CmdTarget {
            template: cmd.to_string(),
            sd_jwt_template: a.sd_jwt_target_cmd.map(str::to_string),
        }),
        (None, Some(url)) => {
            if a.sd_jwt_target_cmd.is_some() {
                return Err(CliError::Usage(
                    "--sd-jwt-target-cmd goes with --target-cmd".into(),
                ));
            }
            if !url.starts_with("http://") {
                return Err(CliError::Usage(
                    "--target-url must be an http:// URL (a verifier under test on a local or test network)".into(),
                ));
            }
            let token = match a.target_token_file {
                None => None,
                Some(p) => {
                    let text =
                        zeroize::Zeroizing::new(std::fs::read_to_string(p).map_err(|e| {
                            CliError::BadInput {
                                path: p.to_path_buf(),
                                reason: e.to_string(),
                            }
                        })?);
                    Some(zeroize::Zeroizing::new(text.trim().to_string()))
                }
            };
            Box::new(HttpTarget::new(url, token))
        }
        _ => {
            return Err(CliError::Usage(
                "give exactly one of --target-cmd and --target-url".into(),
            ))
        }
    };
    let generating = std::time::Instant::now();
    let crypto = kakunin_core::crypto::default_provider();
    let pki = match a.suite_pki {
        Some(dir) => SuitePki::load_or_create(crypto, dir, at),
        None => SuitePki::generate(crypto, at),
    }
    .map_err(CliError::session_in("building the suite"))?;
    let mut cases =
        build_suite(kind, &pki, at).map_err(CliError::session_in("building the suite"))?;
    if let Some(glob) = a.cases {
        cases.retain(|c| glob_matches(glob, &c.id));
    }
    if let Some(n) = a.limit {
        cases.truncate(n);
    }
    if cases.is_empty() {
        return Err(CliError::Usage("no case matches --cases / --limit".into()));
    }
    let generated_in = generating.elapsed();
    let report = run_suite(
        "verifier",
        &cases,
        target.as_ref(),
        &RunOptions {
            case_timeout: a.case_timeout,
            jobs: a.jobs,
        },
    );
    let written =
        write_reports(a.report, &report).map_err(CliError::session_in("writing the reports"))?;
    for c in report
        .cases
        .iter()
        .filter(|c| c.grade == kakunin_conformance::Grade::Fail)
    {
        println!(
            "FAIL {}: {}",
            c.id,
            c.failing_check.as_deref().unwrap_or("failed")
        );
    }
    println!(
        "{} (+ {:.1} s generating the cases)",
        summary_line(&report),
        generated_in.as_secs_f64()
    );
    println!(
        "reports: {}, {}, {}",
        written.junit.display(),
        written.html.display(),
        written.json.display()
    );
    Ok(if report.all_required_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
