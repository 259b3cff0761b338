//! Targets: the verifier under test, reached as a command ([`cmd`]) or as the till's HTTP API
//! ([`http`]). A target turns one case into an [`Answer`]; it never fails the run — a hang, a
//! crash, garbage or an answer of the wrong shape is an [`Observed::Timeout`] or
//! [`Observed::Broken`] with the reason.

pub mod cmd;
pub mod http;

use crate::case::Observed;
use crate::verifier_suite::VerifierCase;
use std::time::Duration;

/// Most bytes of a target's output kept for the report (per stream).
pub const OUTPUT_CAP: usize = 64 * 1024;

/// What the target did with one case.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Accepted, rejected, timed out, broken.
    pub observed: Observed,
    /// What came back, for the report (exit status and output, or HTTP status and body),
    /// bounded by [`OUTPUT_CAP`].
    pub received: String,
}

/// A verifier under test.
pub trait Target: Sync {
    /// What is tested, for the report (the command template, the URL).
    fn describe(&self) -> String;

    /// Whether the target can run `case` (a target configured once with the suite IACA, such
    /// as an HTTP till, cannot run a published vector that has its own IACA).
    fn supports(&self, case: &VerifierCase) -> bool {
        let _ = case;
        true
    }

    /// Run one case within `deadline`.
    fn run(&self, case: &VerifierCase, deadline: Duration) -> Answer;
}

/// `bytes` as text for a report: lossy UTF-8, cut at [`OUTPUT_CAP`] bytes.
pub(crate) fn bounded_text(bytes: &[u8]) -> String {
    let cut = bytes.get(..OUTPUT_CAP).unwrap_or(bytes);
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > OUTPUT_CAP {
        s.push_str(&format!(
            "\n[… {} more bytes cut]",
            bytes.len() - OUTPUT_CAP
        ));
    }
    s
}
