#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The wallet suite against Kakunin's holder simulator in memory: every case passes.

use kakunin_conformance::wallet_suite::fixture::SimWallet;
use kakunin_conformance::wallet_suite::{case_list, run_wallet_suite, MemoryTarget};
use kakunin_conformance::Grade;
use kakunin_core::crypto::default_provider;
use kakunin_holder_sim::{run_holder, HolderDeadlines, HolderLoop};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[test]
fn the_holder_simulator_passes_every_case() {
    let c = default_provider();
    let at = now();
    let wallet = Arc::new(SimWallet::new(c, at).unwrap());
    let policy = wallet.policy().unwrap();
    let config = wallet.suite_config(at).unwrap();
    let w = wallet.clone();
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
    let report = run_wallet_suite(&mut target, &config, c);
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
}
