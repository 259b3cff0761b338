//! Reports of a run: JUnit XML, a self-contained HTML page and JSON.
//!
//! Placeholder seam: `write_reports` is filled in by the conformance-runner work; suites call
//! only this function.

use crate::case::SuiteReport;
use std::path::{Path, PathBuf};

/// Writing a report failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The report directory or a file in it could not be written.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl ReportError {
    /// The cause group of this failure.
    pub fn cause(&self) -> kakunin_core::Cause {
        kakunin_core::Cause::Misuse
    }
}

/// The files written into the report directory.
#[derive(Debug, Clone)]
pub struct WrittenReports {
    /// `junit.xml`.
    pub junit: PathBuf,
    /// `report.html`.
    pub html: PathBuf,
    /// `report.json`.
    pub json: PathBuf,
}

/// Write `report.json`, `junit.xml` and `report.html` into `dir` (created if missing).
pub fn write_reports(dir: &Path, report: &SuiteReport) -> Result<WrittenReports, ReportError> {
    let _ = report;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    Ok(WrittenReports {
        junit: dir.join("junit.xml"),
        html: dir.join("report.html"),
        json: dir.join("report.json"),
    })
}
