//! `kakunin conformance wallet`: act as a reader against a wallet under test with the wallet
//! suite of `kakunin-conformance`.

use crate::error::CliError;
use std::path::Path;
use std::process::ExitCode;

/// The command's arguments.
pub(crate) struct Args<'a> {
    pub(crate) nfc: bool,
    pub(crate) pcsc_reader: Option<&'a str>,
    pub(crate) qr: Option<&'a str>,
    pub(crate) ble_sim: bool,
    pub(crate) report: &'a Path,
}

/// Run the suite; exit 0 only when every required case passed.
pub(crate) fn run(a: &Args<'_>) -> Result<ExitCode, CliError> {
    let _ = (a.nfc, a.pcsc_reader, a.qr, a.ble_sim, a.report);
    Err(CliError::Usage(
        "conformance wallet: not built yet".to_string(),
    ))
}
