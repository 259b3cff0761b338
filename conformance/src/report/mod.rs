//! Reports of a run: JUnit XML for CI systems ([`junit`]), one self-contained HTML page
//! ([`html`]) and JSON ([`json`]), written from a [`SuiteReport`]; and the one-line summary
//! printed at the end of a run.

pub mod html;
pub mod json;
pub mod junit;

use crate::case::{Expected, Observed, SuiteReport};
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
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let written = WrittenReports {
        junit: dir.join("junit.xml"),
        html: dir.join("report.html"),
        json: dir.join("report.json"),
    };
    std::fs::write(&written.junit, junit::render(report)).map_err(io(&written.junit))?;
    std::fs::write(&written.html, html::render(report)).map_err(io(&written.html))?;
    std::fs::write(&written.json, json::render(report)).map_err(io(&written.json))?;
    Ok(written)
}

/// One line for the end of a run: counts and wall time.
pub fn summary_line(report: &SuiteReport) -> String {
    let required_failed = report
        .cases
        .iter()
        .filter(|c| c.required && c.grade == crate::Grade::Fail)
        .count();
    format!(
        "{} suite: {} cases, {} passed, {} failed ({} required) in {:.1} s against {}",
        report.suite,
        report.cases.len(),
        report.passed(),
        report.failed(),
        required_failed,
        report.elapsed.as_secs_f64(),
        report.target
    )
}

/// The expected outcome in words.
pub(crate) fn expected_text(e: &Expected) -> String {
    match e {
        Expected::Accept => "accept".into(),
        Expected::Reject { reason } => format!("reject ({reason})"),
    }
}

/// The observed outcome in words.
pub(crate) fn observed_text(o: &Observed) -> String {
    match o {
        Observed::Accepted => "accepted".into(),
        Observed::Rejected { reason: Some(r) } => format!("rejected ({r})"),
        Observed::Rejected { reason: None } => "rejected".into(),
        Observed::Timeout { after } => format!("timeout after {:.1} s", after.as_secs_f64()),
        Observed::Broken { detail } => format!("broken: {detail}"),
    }
}

/// Escape text for XML and HTML content and attribute values; characters XML 1.0 cannot
/// carry at all (most C0 controls) become U+FFFD.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseResult, Grade};
    use std::time::Duration;

    pub(crate) fn sample() -> SuiteReport {
        let case = |id: &str, expected: Expected, observed: Observed| {
            let grade = CaseResult::grade(&expected, &observed);
            CaseResult {
                id: id.into(),
                group: if id.starts_with("mdoc") {
                    "mdoc".into()
                } else {
                    "sd-jwt".into()
                },
                description: "a <case> & \"quotes\"".into(),
                required: true,
                expected,
                observed,
                grade,
                sent: "bytes \u{1} <script>alert(1)</script>".into(),
                received: "exit 1\n]]> end".into(),
                failing_check: (grade == Grade::Fail).then(|| "false accept <x>".to_string()),
                elapsed: Duration::from_millis(12),
            }
        };
        SuiteReport {
            suite: "verifier".into(),
            target: "command: v {response} & more".into(),
            cases: vec![
                case("mdoc/valid/a", Expected::Accept, Observed::Accepted),
                case(
                    "mdoc/fault/b",
                    Expected::Reject {
                        reason: "tampered".into(),
                    },
                    Observed::Accepted,
                ),
                case(
                    "sd-jwt/fault/c",
                    Expected::Reject {
                        reason: "expired".into(),
                    },
                    Observed::Timeout {
                        after: Duration::from_secs(2),
                    },
                ),
            ],
            elapsed: Duration::from_millis(1500),
        }
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_xml("a<b>&\"'\u{1}"),
            "a&lt;b&gt;&amp;&quot;&#39;\u{fffd}"
        );
    }

    #[test]
    fn writes_three_files() {
        let d = tempfile::tempdir().unwrap();
        let w = write_reports(&d.path().join("r"), &sample()).unwrap();
        for p in [&w.junit, &w.html, &w.json] {
            assert!(std::fs::metadata(p).unwrap().len() > 100, "{}", p.display());
        }
        let line = summary_line(&sample());
        assert!(line.contains("3 cases, 1 passed, 2 failed"), "{line}");
    }
}
