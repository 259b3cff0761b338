#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `kakunin conformance verifier` end to end (issue 18): the whole suite against Kakunin's own
//! verifier through the command target; against each peer the project installs (the results
//! docs/interop.md publishes); against hostile targets (hanging, crashing, garbage), each case
//! graded failed with its reason while the run goes on and the reports are written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn adapters() -> PathBuf {
    root().join("tests/interop/conformance")
}

/// Run `kakunin conformance verifier ARGS --report DIR`; returns the exit code, stdout and
/// the parsed report.json.
fn run(args: &[&str], report: &Path) -> (i32, String, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(["conformance", "verifier"])
        .args(args)
        .arg("--report")
        .arg(report)
        .env("KAKUNIN", env!("CARGO_BIN_EXE_kakunin"))
        .output()
        .expect("kakunin runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let json = std::fs::read_to_string(report.join("report.json")).unwrap_or_else(|e| {
        panic!(
            "no report.json ({e}): exit {code}\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, stdout, serde_json::from_str(&json).unwrap())
}

fn ids_where(
    report: &serde_json::Value,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> BTreeSet<String> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| pred(c))
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn failing(report: &serde_json::Value) -> BTreeSet<String> {
    ids_where(report, |c| c["grade"] == "fail")
}

fn assert_three_reports(dir: &Path) {
    for f in ["junit.xml", "report.html", "report.json"] {
        let len = std::fs::metadata(dir.join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .len();
        assert!(len > 200, "{f} is {len} bytes");
    }
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.starts_with("<?xml") && junit.trim_end().ends_with("</testsuites>"));
}

fn kakunin_cmd() -> String {
    format!(
        "sh {} {{response}} {{transcript}} {{trust}} {{reader_key}} {{at}} {{presentation}} {{aud}} {{nonce}}",
        adapters().join("kakunin.sh").display()
    )
}

/// Cases Kakunin's verifier fails today, each for a reason outside this suite. Remove the
/// entries as the work lands.
const EXPECTED_KAKUNIN_FAILURES: &[&str] = &[];

#[test]
fn kakunin_own_verifier_passes_the_whole_suite() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r");
    let start = Instant::now();
    let (code, stdout, r) = run(&["--target-cmd", &kakunin_cmd(), "--jobs", "2"], &report);
    let wall = start.elapsed();
    println!("{stdout}\nwall time including case generation: {wall:?}");
    assert_three_reports(&report);
    let mdoc = ids_where(&r, |c| c["group"] == "mdoc").len();
    let sd_jwt = ids_where(&r, |c| c["group"] == "sd-jwt").len();
    assert!(mdoc >= 60, "{mdoc} mdoc cases");
    assert!(sd_jwt >= 30, "{sd_jwt} SD-JWT VC cases");
    // Both outcomes are represented in each group.
    for g in ["mdoc", "sd-jwt"] {
        let accept = ids_where(&r, |c| {
            c["group"] == g && c["expected"]["outcome"] == "accept"
        });
        let reject = ids_where(&r, |c| {
            c["group"] == g && c["expected"]["outcome"] == "reject"
        });
        assert!(
            accept.len() >= 10 && reject.len() >= 20,
            "{g}: {} accept, {} reject",
            accept.len(),
            reject.len()
        );
    }
    let expected: BTreeSet<String> = EXPECTED_KAKUNIN_FAILURES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(failing(&r), expected, "{stdout}");
    // Exit 0 exactly when every required case passed.
    let required_failed =
        !ids_where(&r, |c| c["grade"] == "fail" && c["required"] == true).is_empty();
    assert_eq!(code, if required_failed { 1 } else { 0 }, "{stdout}");
    assert!(
        stdout.contains("verifier suite:") && stdout.contains(" s against "),
        "{stdout}"
    );
    // Issue 18, "Speed" asks for the printed time (goal under 30 s); speed is measured from
    // the printed summary, never asserted in a test (a noisy machine).
    assert!(r["elapsed_ms"].as_u64().is_some());
}

#[test]
fn suite_pki_directory_is_created_then_reused() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let args = |pki: &Path| {
        vec![
            "--target-cmd".to_string(),
            kakunin_cmd(),
            "--suite-pki".into(),
            pki.display().to_string(),
            "--cases".into(),
            "*/valid/mdl-sig-age20".into(),
        ]
    };
    let a: Vec<String> = args(&pki);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, out, _) = run(&a, &dir.path().join("r1"));
    assert_eq!(code, 0, "{out}");
    let iaca = std::fs::read(pki.join("iaca.cert.pem")).unwrap();
    // A verifier configured with that IACA alone accepts the next run's cases.
    let (code, out, r) = run(&a, &dir.path().join("r2"));
    assert_eq!(code, 0, "{out}");
    assert_eq!(std::fs::read(pki.join("iaca.cert.pem")).unwrap(), iaca);
    assert_eq!(r["total"], 1);
    let cmd = format!(
        "{} verify-response --response {{response}} --transcript {{transcript}} --trust-anchor {} --at {{at}}",
        env!("CARGO_BIN_EXE_kakunin"),
        pki.join("iaca.cert.pem").display()
    );
    let (code, out, _) = run(
        &[
            "--target-cmd",
            &cmd,
            "--suite-pki",
            pki.to_str().unwrap(),
            "--cases",
            "mdoc/valid/mdl-sig-*",
        ],
        &dir.path().join("r3"),
    );
    assert_eq!(code, 0, "{out}");
}

/// A hostile target: every case graded failed with `reason`, the run completes, the three
/// reports are written, exit 1.
fn hostile(cmd: &str, extra: &[&str], outcome: &str, reason: &str) -> std::time::Duration {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r");
    let start = Instant::now();
    let mut args = vec!["--target-cmd", cmd];
    args.extend_from_slice(extra);
    let (code, stdout, r) = run(&args, &report);
    let wall = start.elapsed();
    assert_eq!(code, 1, "{stdout}");
    assert_three_reports(&report);
    let cases = r["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3, "{stdout}");
    for c in cases {
        assert_eq!(c["grade"], "fail", "{c}");
        assert_eq!(c["observed"]["outcome"], outcome, "{c}");
        assert!(
            c["failing_check"].as_str().unwrap().contains(reason),
            "{}: {}",
            c["id"],
            c["failing_check"]
        );
    }
    let junit = std::fs::read_to_string(report.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<failure ").count(), 3);
    wall
}

#[test]
fn a_hanging_target_is_killed_at_each_case_deadline() {
    let wall = hostile(
        "sleep 100",
        &["--case-timeout", "1", "--limit", "3"],
        "timeout",
        "no answer within the 1 s case deadline",
    );
    assert!(wall.as_secs() < 30, "{wall:?}");
}

#[test]
fn a_target_whose_children_hang_is_killed_with_them() {
    let wall = hostile(
        "sleep 100 & sleep 100 & wait",
        &["--case-timeout", "1", "--cases", "sd-jwt/*", "--limit", "3"],
        "timeout",
        "case deadline",
    );
    assert!(wall.as_secs() < 30, "{wall:?}");
}

#[test]
fn a_crashing_target_is_broken_with_the_signal() {
    hostile(
        "kill -SEGV $$",
        &["--limit", "3"],
        "broken",
        "killed by signal 11",
    );
}

#[test]
fn garbage_and_odd_exit_codes_are_broken() {
    hostile(
        "head -c 300000 /dev/urandom; exit 3",
        &["--cases", "sd-jwt/*", "--limit", "3"],
        "broken",
        "exit code 3",
    );
    hostile("exit 255", &["--limit", "3"], "broken", "exit code 255");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec![
            "--target-cmd",
            "true",
            "--suite",
            "nope",
            "--report",
            "/tmp/x",
        ],
        vec![
            "--target-cmd",
            "true",
            "--cases",
            "no-such-case",
            "--report",
            "/tmp/x",
        ],
        vec!["--target-url", "ftp://x", "--report", "/tmp/x"],
        vec!["--report", "/tmp/x"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args(["conformance", "verifier"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

// --- peers -------------------------------------------------------------------------------

/// The ids docs/interop.md lists as failing for `peer` (between `<!-- failing: PEER -->` and
/// `<!-- end -->`, one `` `id` `` per line).
fn documented_failures(peer: &str) -> BTreeSet<String> {
    let doc = std::fs::read_to_string(root().join("docs/interop.md")).unwrap();
    let start = format!("<!-- failing: {peer} -->");
    let from = doc
        .find(&start)
        .unwrap_or_else(|| panic!("docs/interop.md has no {start}"));
    let rest = &doc[from + start.len()..];
    let block = &rest[..rest.find("<!-- end -->").unwrap()];
    block
        .lines()
        .filter_map(|l| l.split('`').nth(1))
        .map(str::to_string)
        .collect()
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn peer_run(peer: &str, suite: &str, cmd: &str, installed: &Path) {
    assert!(
        installed.exists(),
        "{} is missing: run `bash scripts/install-peers.sh`",
        installed.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r");
    let start = Instant::now();
    // The peers read the real clock: the cases are made for now.
    let (code, stdout, r) = run(
        &[
            "--suite",
            suite,
            "--at",
            &now_rfc3339(),
            "--jobs",
            "2",
            "--target-cmd",
            cmd,
        ],
        &report,
    );
    println!("{peer}: {:?}\n{stdout}", start.elapsed());
    assert_three_reports(&report);
    // No peer answers in a broken way: every case is an accept or a reject.
    let broken = ids_where(&r, |c| {
        c["observed"]["outcome"] != "accepted" && c["observed"]["outcome"] != "rejected"
    });
    assert!(broken.is_empty(), "{peer}: broken answers {broken:?}");
    assert_eq!(
        failing(&r),
        documented_failures(peer),
        "{peer}: results differ from docs/interop.md\n{stdout}"
    );
    assert_eq!(code, 1, "every peer misses something (docs/interop.md)");
}

fn interop() -> PathBuf {
    root().join("tests/interop")
}

#[test]
fn peer_auth0_mdl() {
    let cmd = format!(
        "node {} {{response}} {{transcript}} {{trust}} {{reader_key}}",
        adapters().join("auth0_mdl.mjs").display()
    );
    peer_run(
        "auth0-mdl",
        "mdoc",
        &cmd,
        &interop().join("node_modules/@auth0/mdl"),
    );
}

#[test]
fn peer_pymdoccbor() {
    let cmd = format!(
        "sh {} {{response}} {{trust}}",
        adapters().join("pymdoccbor.sh").display()
    );
    peer_run(
        "pymdoccbor",
        "mdoc",
        &cmd,
        &interop().join(".venv/bin/python"),
    );
}

#[test]
fn peer_sd_jwt_python() {
    let cmd = format!(
        "{} {} {{presentation}} {{aud}} {{nonce}}",
        interop().join(".venv/bin/python").display(),
        adapters().join("sdjwt_py.py").display()
    );
    peer_run(
        "sd-jwt-python",
        "sd-jwt",
        &cmd,
        &interop().join(".venv/bin/python"),
    );
}

#[test]
fn peer_sd_jwt_npm() {
    let cmd = format!(
        "node {} {{presentation}} {{aud}} {{nonce}}",
        adapters().join("sdjwt_npm.mjs").display()
    );
    peer_run(
        "sd-jwt-npm",
        "sd-jwt",
        &cmd,
        &interop().join("node_modules/@sd-jwt/sd-jwt-vc"),
    );
}

// --- the HTTP target ---------------------------------------------------------------------

struct Till(std::process::Child);

impl Drop for Till {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn till_api_target_trusting_the_suite_pki() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    // A first run creates the suite PKI; the till is then configured with its IACA.
    let (code, out, _) = run(
        &[
            "--target-cmd",
            &kakunin_cmd(),
            "--suite-pki",
            pki.to_str().unwrap(),
            "--limit",
            "1",
        ],
        &dir.path().join("r0"),
    );
    assert_eq!(code, 0, "{out}");
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let _till = Till(
        Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args(["till", "serve", "--listen", &addr.to_string(), "--data"])
            .arg(dir.path().join("data"))
            .arg("--trust-anchor")
            .arg(pki.join("iaca.cert.pem"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the till did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let report = dir.path().join("r");
    let url = format!("http://{addr}");
    let (code, stdout, r) = run(
        &[
            "--target-url",
            &url,
            "--suite-pki",
            pki.to_str().unwrap(),
            "--jobs",
            "2",
        ],
        &report,
    );
    println!("{stdout}");
    assert_three_reports(&report);
    // The till's policy (age_over_20 disclosed and true) agrees with the plain verifier on
    // every case; Annex D (its own IACA) is left out for this target.
    let expected: BTreeSet<String> = EXPECTED_KAKUNIN_FAILURES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(failing(&r), expected, "{stdout}");
    assert!(!ids_where(&r, |_| true).contains("mdoc/valid/annex-d"));
    assert!(stdout.contains("not applicable to this target"), "{stdout}");
    let required_failed =
        !ids_where(&r, |c| c["grade"] == "fail" && c["required"] == true).is_empty();
    assert_eq!(code, if required_failed { 1 } else { 0 });
    // NG answers keep the till's reason.
    let tampered = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "mdoc/fault/mdl-tampered-element-value")
        .unwrap();
    assert_eq!(tampered["observed"]["reason"], "tampered", "{tampered}");
}
