//! Feed the cases to a target, one after the other, and grade each answer
//! ([`crate::CaseResult::grade`]); the run always completes.

use super::VerifierCase;
use crate::case::{CaseResult, Expected, Grade, Observed, SuiteReport};
use crate::targets::Target;
use std::time::{Duration, Instant};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Each case's deadline.
    pub case_timeout: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            case_timeout: Duration::from_secs(20),
        }
    }
}

fn sent(case: &VerifierCase) -> String {
    use super::CaseInput;
    match &case.input {
        CaseInput::Mdoc {
            response,
            transcript,
            reader_key,
        } => {
            let head = response.get(..96).unwrap_or(response);
            format!(
                "DeviceResponse ({} bytes): {}{}\nSessionTranscriptBytes ({} bytes)\nreader key: {}\ntrust anchor: IACA ({} bytes DER)\nat: {}",
                response.len(),
                hex::encode(head),
                if response.len() > head.len() { "…" } else { "" },
                transcript.len(),
                if reader_key.is_some() { "given (DeviceMac)" } else { "none" },
                case.trust_der.len(),
                case.at_rfc3339()
            )
        }
        CaseInput::SdJwt {
            presentation,
            aud,
            nonce,
        } => {
            let head: String = presentation.chars().take(240).collect();
            format!(
                "presentation ({} bytes): {}{}\naud: {aud}\nnonce: {nonce}\ntrust anchor: IACA ({} bytes DER)\nat: {}",
                presentation.len(),
                head,
                if presentation.len() > head.len() { "…" } else { "" },
                case.trust_der.len(),
                case.at_rfc3339()
            )
        }
    }
}

fn failing_check(expected: &Expected, observed: &Observed) -> String {
    match (expected, observed) {
        (Expected::Reject { reason }, Observed::Accepted) => {
            format!("false accept: a correct verifier rejects this ({reason})")
        }
        (Expected::Accept, Observed::Rejected { reason }) => format!(
            "false reject: a correct verifier accepts this (target said: {})",
            reason.as_deref().unwrap_or("no reason")
        ),
        (_, Observed::Timeout { after }) => {
            format!(
                "no answer within the {} s case deadline",
                after.as_secs_f64()
            )
        }
        (_, Observed::Broken { detail }) => format!("broken answer: {detail}"),
        _ => "unexpected outcome".to_string(),
    }
}

/// Run every case `target` supports; the others are left out of the report (and counted in
/// the target description).
pub fn run_suite(
    suite: &str,
    cases: &[VerifierCase],
    target: &dyn Target,
    options: &RunOptions,
) -> SuiteReport {
    let start = Instant::now();
    let mut results = Vec::with_capacity(cases.len());
    let mut skipped = 0usize;
    for case in cases {
        if !target.supports(case) {
            skipped += 1;
            continue;
        }
        let t = Instant::now();
        let answer = target.run(case, options.case_timeout);
        let grade = CaseResult::grade(&case.expected, &answer.observed);
        let failing =
            (grade == Grade::Fail).then(|| failing_check(&case.expected, &answer.observed));
        results.push(CaseResult {
            id: case.id.clone(),
            group: case.group.to_string(),
            description: case.description.clone(),
            required: case.required,
            expected: case.expected.clone(),
            observed: answer.observed,
            grade,
            sent: sent(case),
            received: answer.received,
            failing_check: failing,
            elapsed: t.elapsed(),
        });
    }
    let mut target_text = target.describe();
    if skipped > 0 {
        target_text.push_str(&format!(
            " ({skipped} case(s) with their own trust anchor not applicable to this target)"
        ));
    }
    SuiteReport {
        suite: suite.to_string(),
        target: target_text,
        cases: results,
        elapsed: start.elapsed(),
    }
}
