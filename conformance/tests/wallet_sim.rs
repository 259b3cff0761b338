#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The wallet suite against Kakunin's holder simulator in memory: every case passes; and
//! against wallets that misbehave (no reader trust, over-disclosure, silence, a crash): the
//! cases that must catch each fail, with a reason, and the run goes on.

use kakunin_conformance::wallet_suite::fixture::SimWallet;
use kakunin_conformance::wallet_suite::{
    case_list, run_selected, run_wallet_suite, MemoryTarget, WalletSuiteConfig,
};
use kakunin_conformance::{Grade, Observed, SuiteReport};
use kakunin_core::crypto::default_provider;
use kakunin_holder_sim::{run_holder, Consent, HolderDeadlines, HolderLoop, HolderPolicy};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn world() -> (Arc<SimWallet>, WalletSuiteConfig) {
    let wallet = Arc::new(SimWallet::new(default_provider(), now()).unwrap());
    let config = wallet.suite_config(now()).unwrap();
    (wallet, config)
}

/// Run the suite against the holder loop under `policy`.
fn run_sim(
    wallet: &Arc<SimWallet>,
    policy: HolderPolicy,
    config: &WalletSuiteConfig,
    select: impl FnMut(&str) -> bool,
) -> SuiteReport {
    let w = wallet.clone();
    let at = config.now;
    let mut target = MemoryTarget::new("holder-sim", move |session, mut link| {
        let w = w.clone();
        let policy = policy.clone();
        std::thread::spawn(move || {
            let mut holder = HolderLoop::new(&w.store, policy, session);
            let deadlines = HolderDeadlines {
                first_message: Duration::from_secs(5),
                per_message: Duration::from_secs(5),
            };
            run_holder(
                &mut holder,
                &mut link,
                default_provider(),
                &Instant::now,
                deadlines,
                at,
                &mut |_| {},
            );
        });
    });
    run_selected(&mut target, config, default_provider(), select)
}

fn failed_ids(report: &SuiteReport) -> Vec<&str> {
    report
        .cases
        .iter()
        .filter(|r| r.grade == Grade::Fail)
        .map(|r| r.id.as_str())
        .collect()
}

#[test]
fn the_holder_simulator_passes_every_case() {
    let (wallet, config) = world();
    let report = run_sim(&wallet, wallet.policy().unwrap(), &config, |_| true);
    let failed: Vec<String> = report
        .cases
        .iter()
        .filter(|r| r.grade == Grade::Fail)
        .map(|r| {
            format!(
                "{}: {:?} / {:?}\n  sent: {}\n  received: {}",
                r.id, r.observed, r.failing_check, r.sent, r.received
            )
        })
        .collect();
    assert!(failed.is_empty(), "failed:\n{}", failed.join("\n"));
    assert!(report.cases.len() >= 25);
    assert_eq!(report.cases.len(), case_list(&config).len());
    assert!(report.all_required_passed());
    // The session cases saw the statuses of Table 20, not just "a refusal".
    let received = |id: &str| {
        report
            .cases
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.received.clone())
            .unwrap()
    };
    assert_eq!(
        received("wallet/garbage-ciphertext"),
        "SessionData status 10"
    );
    assert_eq!(
        received("wallet/undecodable-establishment"),
        "SessionData status 11"
    );
    assert_eq!(
        received("wallet/replayed-reader-message"),
        "SessionData status 10"
    );
    assert!(received("wallet/second-request").contains("second: DeviceResponse status 0"));
}

#[test]
fn a_wallet_without_reader_trust_fails_the_reader_auth_cases() {
    let (wallet, config) = world();
    let policy = HolderPolicy::default();
    let report = run_sim(&wallet, policy, &config, |id| {
        id.contains("reader-auth") || id == "wallet/mdl-age-over-20"
    });
    assert_eq!(
        failed_ids(&report),
        [
            "wallet/untrusted-reader-auth",
            "wallet/missing-reader-auth",
            "wallet/reader-auth-other-transcript",
            "wallet/reader-auth-other-items",
        ]
    );
    assert!(!report.all_required_passed());
    for r in report.cases.iter().filter(|r| r.grade == Grade::Fail) {
        assert_eq!(r.observed, Observed::Accepted, "{}", r.id);
        assert!(r.failing_check.as_deref().unwrap().contains("disclosed"));
    }
}

#[test]
fn an_over_disclosing_wallet_fails_every_answer_case() {
    let (wallet, config) = world();
    let policy = HolderPolicy {
        consent: Consent::OverDisclose,
        ..wallet.policy().unwrap()
    };
    let report = run_sim(&wallet, policy, &config, |id| {
        [
            "wallet/mdl-age-over-20",
            "wallet/no-extra-element",
            "wallet/no-other-namespace",
            "wallet/second-request",
            "wallet/garbage-ciphertext",
        ]
        .contains(&id)
    });
    assert_eq!(
        failed_ids(&report),
        [
            "wallet/mdl-age-over-20",
            "wallet/no-extra-element",
            "wallet/no-other-namespace",
            "wallet/second-request",
        ]
    );
    let extra = &report.cases[1];
    assert!(
        extra
            .failing_check
            .as_deref()
            .unwrap()
            .contains("not ask for")
            || extra
                .failing_check
                .as_deref()
                .unwrap()
                .contains("not requested"),
        "{:?}",
        extra.failing_check
    );
}

#[test]
fn silent_and_crashing_wallets_fail_each_case_within_its_deadline_and_the_run_goes_on() {
    let (_, mut config) = world();
    config.case_deadline = Duration::from_millis(150);
    // Silent: holds its end open, never answers.
    let mut held = Vec::new();
    let mut silent = MemoryTarget::new("silent", move |_session, link| held.push(link));
    let started = Instant::now();
    let report = run_wallet_suite(&mut silent, &config, default_provider());
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(report.cases.len(), case_list(&config).len());
    // Every case fails but the termination one (nothing answered after status 20 is right).
    for r in &report.cases {
        if r.id == "wallet/reader-termination" {
            continue;
        }
        assert_eq!(r.grade, Grade::Fail, "{}", r.id);
        assert!(
            matches!(r.observed, Observed::Timeout { .. }),
            "{}: {:?}",
            r.id,
            r.observed
        );
    }
    // Crashing: drops its end at once.
    let mut crash = MemoryTarget::new("crash", |_session, link| drop(link));
    let report = run_wallet_suite(&mut crash, &config, default_provider());
    let passed: Vec<&str> = report
        .cases
        .iter()
        .filter(|r| r.grade == Grade::Pass)
        .map(|r| r.id.as_str())
        .collect();
    // A closed link is a refusal: only the cases whose refusal is "nothing disclosed" and
    // the termination case pass; every answer case and every status case fails.
    for id in &passed {
        let info = case_list(&config)
            .into_iter()
            .find(|c| c.id == *id)
            .unwrap();
        assert!(
            matches!(info.expected, kakunin_conformance::Expected::Reject { .. }),
            "{id}"
        );
    }
    for id in [
        "wallet/mdl-age-over-20",
        "wallet/garbage-ciphertext",
        "wallet/undecodable-establishment",
        "wallet/unknown-doctype",
    ] {
        assert!(!passed.contains(&id), "{id}");
    }
}
