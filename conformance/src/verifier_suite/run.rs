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
    /// Cases run at the same time (at least 1): a target that starts an interpreter per case
    /// spends most of its time starting up.
    pub jobs: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            case_timeout: Duration::from_secs(20),
            jobs: 1,
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

fn run_one(case: &VerifierCase, target: &dyn Target, deadline: Duration) -> CaseResult {
    let t = Instant::now();
    let answer = target.run(case, deadline);
    let grade = CaseResult::grade(&case.expected, &answer.observed);
    let failing = (grade == Grade::Fail).then(|| failing_check(&case.expected, &answer.observed));
    CaseResult {
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
    let runnable: Vec<&VerifierCase> = cases.iter().filter(|c| target.supports(c)).collect();
    let skipped = cases.len() - runnable.len();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: std::sync::Mutex<Vec<(usize, CaseResult)>> = std::sync::Mutex::new(Vec::new());
    let worker = || loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(case) = runnable.get(i) else { break };
        let r = run_one(case, target, options.case_timeout);
        if let Ok(mut d) = done.lock() {
            d.push((i, r));
        }
    };
    std::thread::scope(|s| {
        for _ in 0..options.jobs.clamp(1, 64) {
            s.spawn(worker);
        }
    });
    let mut done = done.into_inner().unwrap_or_default();
    done.sort_by_key(|(i, _)| *i);
    let results: Vec<CaseResult> = done.into_iter().map(|(_, r)| r).collect();
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
