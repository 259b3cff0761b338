//! The model every suite and report shares: one case, its expected outcome, what the target
//! did, and the grade.

use std::time::Duration;

/// What a target under test must do with a case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// Accept: the presentation (or request) is valid.
    Accept,
    /// Reject it; `reason` names the check that must fail (a verdict reason such as
    /// `tampered`, or a check name), for the report — grading by exit code or verdict
    /// only needs accept vs reject.
    Reject {
        /// The reason a correct target rejects it.
        reason: String,
    },
}

/// What the target did with a case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Observed {
    /// It accepted.
    Accepted,
    /// It rejected, with the reason it gave if it gave one.
    Rejected {
        /// The target's own reason, when it gives one.
        reason: Option<String>,
    },
    /// It did not answer before the case's deadline.
    Timeout {
        /// The deadline it missed.
        after: Duration,
    },
    /// It crashed, exited with an unexpected code, or answered in the wrong shape.
    Broken {
        /// What was wrong, in plain words.
        detail: String,
    },
}

/// The grade of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grade {
    /// The target did what the case expects.
    Pass,
    /// It did not.
    Fail,
}

/// One graded case, with everything the reports show.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Stable case identifier (`mdoc/valid-es256`, `sd-jwt/wrong-aud`, …).
    pub id: String,
    /// Group in the report (`mdoc`, `sd-jwt`, `wallet`).
    pub group: String,
    /// One line: what the case does, and the clause it exercises.
    pub description: String,
    /// Whether a failure of this case fails the run (exit 0 only when every required case
    /// passes).
    pub required: bool,
    /// What a correct target does.
    pub expected: Expected,
    /// What this target did.
    pub observed: Observed,
    /// Pass or fail.
    pub grade: Grade,
    /// What was sent, in plain words or hex (for the HTML page).
    pub sent: String,
    /// What came back (exit code, output, verdict), bounded in size.
    pub received: String,
    /// When failed: the check that failed, in plain words.
    pub failing_check: Option<String>,
    /// How long the case took.
    pub elapsed: Duration,
}

impl CaseResult {
    /// Grade `observed` against `expected`: accept matches accept, any rejection matches a
    /// rejection; a timeout or a broken answer never passes.
    pub fn grade(expected: &Expected, observed: &Observed) -> Grade {
        match (expected, observed) {
            (Expected::Accept, Observed::Accepted)
            | (Expected::Reject { .. }, Observed::Rejected { .. }) => Grade::Pass,
            _ => Grade::Fail,
        }
    }
}

/// A whole run: the target, every case, and the totals.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// Suite name (`verifier`, `wallet`).
    pub suite: String,
    /// What was tested (the command template, the URL, the wallet's transport).
    pub target: String,
    /// Every case, in the order run.
    pub cases: Vec<CaseResult>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

impl SuiteReport {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.grade == Grade::Pass).count()
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.cases.len().saturating_sub(self.passed())
    }

    /// Every required case passed (the runner's exit 0).
    pub fn all_required_passed(&self) -> bool {
        self.cases
            .iter()
            .all(|c| !c.required || c.grade == Grade::Pass)
    }
}
