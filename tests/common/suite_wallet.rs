//! The wallet both wallet-suite CLI tests present from (tests/conformance_wallet.rs over
//! simulated BLE, tests/conformance_wallet_nfc.rs over PC/SC): a test PKI, mDL and JP PID
//! mdoc batches and two JP PID SD-JWT VCs, made by the real `kakunin` binary.

use std::path::PathBuf;
use std::process::Command;

pub(crate) fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kakunin")
}

/// Cases in the suite (each takes one session of the holder, one tap over NFC).
pub(crate) const CASES: u32 = 27;

pub(crate) fn run(args: &[&str]) {
    let out = Command::new(bin()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A temporary directory with `pki/` and `wallet/`, and a function naming files in it.
pub(crate) fn setup() -> (tempfile::TempDir, impl Fn(&str) -> String) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    let d = move |n: &str| base.join(n).display().to_string();
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples");
    let mdl = examples.join("mdl-claims.json").display().to_string();
    let pid = examples.join("jp-pid-claims.json").display().to_string();
    run(&["pki", "init", "--out", &d("pki")]);
    for (doctype, claims, count) in [("mdl", &mdl, "100"), ("jp-pid", &pid, "24")] {
        run(&[
            "issue",
            "mdoc",
            "--pki",
            &d("pki"),
            "--claims",
            claims,
            "--doctype",
            doctype,
            "--new-device-keys",
            "--count",
            count,
            "--out",
            &d("wallet"),
        ]);
    }
    run(&[
        "issue",
        "sd-jwt",
        "--pki",
        &d("pki"),
        "--claims",
        &pid,
        "--new-holder-keys",
        "--count",
        "2",
        "--out",
        &d("wallet"),
    ]);
    (dir, d)
}
