//! The wallet suite (`kakunin conformance wallet`): the suite acts as an ISO 18013-5 reader
//! against a wallet under test and runs one session per case — valid requests, requests the
//! wallet must refuse, requests where it must return only what was asked, and the session
//! behaviour of clause 9.1.1 — checking every answer (fully verified against the suite's
//! IACA), the status codes (Table 8, Table 20) and how the session ends.
//!
//! - [`target`]: the wallet under test ([`WalletTarget`]) and the in-memory one
//!   ([`MemoryTarget`]), the NFC one ([`NfcTarget`]); `pcsc_target` (feature `pcsc`): a
//!   wallet tapped on a real PC/SC reader, one card session per case.
//! - `cases`: the case table; `judge`: turning what came back into an observation and a
//!   failing check; `raw`: the byte-level reader session for the session cases.
//! - [`fixture`]: the suite's own wallet profile (PKI, credentials, holder policy) for
//!   Kakunin's holder simulator.
//!
//! Every case has a deadline: a wallet that hangs, crashes or drips fails that case with the
//! reason, and the run goes on to the next one.

mod cases;
pub mod fixture;
mod judge;
#[cfg(feature = "pcsc")]
pub mod pcsc_target;
mod raw;
pub mod target;

pub use target::{
    MemoryFraming, MemoryTarget, NfcTarget, TargetError, WalletSession, WalletTarget,
};

use crate::case::{CaseResult, Expected, Grade, Observed, SuiteReport};
use kakunin_core::crypto::CryptoProvider;
use kakunin_core::trust::TrustAnchors;
use kakunin_verifier::flow::ReaderAuthSigner;
use std::time::{Duration, Instant};

/// The report group of every wallet case.
pub const GROUP: &str = "wallet";

/// What the suite needs to run: whom it trusts, how it signs requests, its deadlines.
#[derive(Debug, Clone)]
pub struct WalletSuiteConfig {
    /// The IACAs the wallet's credentials chain to (each answer is verified against them).
    pub trust: TrustAnchors,
    /// A reader the wallet trusts (its root is in the wallet's reader trust): signs the
    /// readerAuth of every ordinary request (clause 9.1.4).
    pub reader: ReaderAuthSigner,
    /// A reader the wallet does not trust (another root): for the refusal cases.
    pub untrusted_reader: ReaderAuthSigner,
    /// How long one case may take, from connecting to the last answer.
    pub case_deadline: Duration,
    /// The time answers are verified at.
    pub now: time::OffsetDateTime,
    /// Whether the SD-JWT VC case (docs/profiles/sd-jwt-proximity.md) is required: only
    /// when the wallet holds a JP PID SD-JWT VC.
    pub sd_jwt_required: bool,
    /// Whether the cases that ask for the JP PID mdoc (docs/profiles/jp-pid-mdoc.md) are
    /// required: only when the wallet holds one.
    pub jp_pid_required: bool,
}

impl WalletSuiteConfig {
    /// A configuration with an eight-second case deadline, the JP PID mdoc cases required and
    /// the SD-JWT case optional.
    pub fn new(
        trust: TrustAnchors,
        reader: ReaderAuthSigner,
        untrusted_reader: ReaderAuthSigner,
        now: time::OffsetDateTime,
    ) -> Self {
        WalletSuiteConfig {
            trust,
            reader,
            untrusted_reader,
            case_deadline: Duration::from_secs(8),
            now,
            sd_jwt_required: false,
            jp_pid_required: true,
        }
    }
}

/// Why a case could not even be tried (the suite's own side, or connecting).
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    /// Building the suite's own messages failed.
    Setup(String),
    /// The wallet's engagement (QR code or Handover Select) is unusable.
    Engagement(String),
}

/// A case's stable identifier, one-line description, whether it is required, and what a
/// correct wallet does — the published table (docs/conformance.md).
#[derive(Debug, Clone)]
pub struct CaseInfo {
    /// Stable identifier (`wallet/mdl-age-over-20`).
    pub id: &'static str,
    /// What it does, and the clause.
    pub description: &'static str,
    /// Whether its failure fails the run.
    pub required: bool,
    /// What a correct wallet does.
    pub expected: Expected,
}

/// Every case of the suite, in run order.
pub fn case_list(config: &WalletSuiteConfig) -> Vec<CaseInfo> {
    cases::all()
        .iter()
        .map(|c| CaseInfo {
            id: c.id,
            description: c.description,
            required: c.required(config),
            expected: c.expected(),
        })
        .collect()
}

/// Run every case against `target`; the report holds one graded [`CaseResult`] per case.
pub fn run_wallet_suite(
    target: &mut dyn WalletTarget,
    config: &WalletSuiteConfig,
    crypto: &dyn CryptoProvider,
) -> SuiteReport {
    run_selected(target, config, crypto, |_| true)
}

/// Run the cases whose id `select` accepts.
pub fn run_selected(
    target: &mut dyn WalletTarget,
    config: &WalletSuiteConfig,
    crypto: &dyn CryptoProvider,
    mut select: impl FnMut(&str) -> bool,
) -> SuiteReport {
    let started = Instant::now();
    let mut results = Vec::new();
    for case in cases::all().iter().filter(|c| select(c.id)) {
        results.push(run_case(case, target, config, crypto));
    }
    SuiteReport {
        suite: "wallet".into(),
        target: target.describe(),
        cases: results,
        elapsed: started.elapsed(),
    }
}

fn run_case(
    case: &cases::Case,
    target: &mut dyn WalletTarget,
    config: &WalletSuiteConfig,
    crypto: &dyn CryptoProvider,
) -> CaseResult {
    let started = Instant::now();
    let deadline = started + config.case_deadline;
    let expected = case.expected();
    let judged = match target.connect(crypto, deadline) {
        Ok(session) => {
            let mut ctx = cases::Ctx {
                crypto,
                config,
                session,
                deadline,
            };
            (case.run)(&mut ctx)
        }
        Err(e) => judge::Judged::broken(
            format!("could not open a session: {e}"),
            "connect to the wallet".into(),
        ),
    };
    let mut grade = CaseResult::grade(&expected, &judged.observed);
    let mut failing_check = judged.failing_check;
    if failing_check.is_some() {
        grade = Grade::Fail;
    }
    if grade == Grade::Fail && failing_check.is_none() {
        failing_check = Some(mismatch(&expected, &judged.observed));
    }
    CaseResult {
        id: case.id.into(),
        group: GROUP.into(),
        description: case.description.into(),
        required: case.required(config),
        expected,
        observed: judged.observed,
        grade,
        sent: judged.sent,
        received: judged.received,
        failing_check,
        elapsed: started.elapsed(),
    }
}

fn mismatch(expected: &Expected, observed: &Observed) -> String {
    let want = match expected {
        Expected::Accept => "an answer with the requested data".to_string(),
        Expected::Reject { reason } => format!("a refusal ({reason})"),
    };
    let got = match observed {
        Observed::Accepted => "the wallet disclosed data".to_string(),
        Observed::Rejected { reason } => format!(
            "the wallet refused ({})",
            reason.as_deref().unwrap_or("no reason")
        ),
        Observed::Timeout { after } => format!("no answer within {} ms", after.as_millis()),
        Observed::Broken { detail } => detail.clone(),
    };
    format!("expected {want}; {got}")
}
