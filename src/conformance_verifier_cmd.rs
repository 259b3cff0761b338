//! `kakunin conformance verifier`: grade a verifier under test (a command or an HTTP API)
//! with the mdoc and SD-JWT VC suites of `kakunin-conformance`.

use crate::error::CliError;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// The command's arguments.
pub(crate) struct Args<'a> {
    pub(crate) target_cmd: Option<&'a str>,
    pub(crate) target_url: Option<&'a str>,
    pub(crate) suite: &'a str,
    pub(crate) case_timeout: Duration,
    pub(crate) report: &'a Path,
}

/// Run the suite; exit 0 only when every required case passed.
pub(crate) fn run(a: &Args<'_>) -> Result<ExitCode, CliError> {
    let _ = (
        a.target_cmd,
        a.target_url,
        a.suite,
        a.case_timeout,
        a.report,
    );
    Err(CliError::Usage(
        "conformance verifier: not built yet".to_string(),
    ))
}
