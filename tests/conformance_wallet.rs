#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `kakunin conformance wallet --qr URI --ble-sim` against `kakunin holder-sim serve --ble-sim
//! --sessions N` in another process: every case passes, exit 0, the reports are written; and
//! against a wallet with no reader trust: the readerAuth cases fail, exit 1; and against
//! `--fault extra-element`: the answer cases fail, exit 1.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[path = "common/suite_wallet.rs"]
mod suite_wallet;
use suite_wallet::{bin, setup, CASES};

fn serve(
    d: &dyn Fn(&str) -> String,
    reader_trust: bool,
    extra: &[&str],
) -> (std::process::Child, String) {
    let sessions = CASES.to_string();
    let wallet = d("wallet");
    let root = d("pki/reader-root.cert.pem");
    let mut args = vec![
        "holder-sim",
        "serve",
        "--wallet",
        &wallet,
        "--ble-sim",
        "--sessions",
        &sessions,
    ];
    if reader_trust {
        args.extend(["--reader-trust", &root]);
    }
    args.extend_from_slice(extra);
    let mut holder = Command::new(bin())
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(holder.stdout.take().unwrap()).lines();
    // The QR URI is the first line (after the fault banner, with --fault).
    let uri = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("mdoc:"))
        .unwrap();
    // Keep reading so the holder never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    (holder, uri)
}

fn conformance(d: &dyn Fn(&str) -> String, uri: &str, report: &str) -> std::process::Output {
    Command::new(bin())
        .args([
            "conformance",
            "wallet",
            "--qr",
            uri,
            "--ble-sim",
            "--trust-anchor",
            &d("pki/iaca.cert.pem"),
            "--reader-cert",
            &d("pki/reader.cert.pem"),
            "--reader-key",
            &d("pki/reader.key.pem"),
            "--require-sd-jwt",
            "--case-timeout",
            "10",
            "--report",
            &d(report),
        ])
        .output()
        .unwrap()
}

#[test]
fn the_holder_simulator_over_simulated_ble_passes_and_a_trustless_one_fails() {
    let (_dir, d) = setup();
    let (mut holder, uri) = serve(&d, true, &[]);
    let out = conformance(&d, &uri, "report");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("pass ")).count(),
        CASES as usize,
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{CASES} passed, 0 failed")),
        "{stdout}"
    );
    assert!(holder.wait().unwrap().success());
    assert!(std::path::Path::new(&d("report")).is_dir());

    let (mut holder, uri) = serve(&d, false, &[]);
    let out = conformance(&d, &uri, "report2");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let failed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("FAIL "))
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(
        failed,
        [
            "wallet/untrusted-reader-auth",
            "wallet/missing-reader-auth",
            "wallet/reader-auth-other-transcript",
            "wallet/reader-auth-other-items",
        ],
        "{stdout}"
    );
    assert!(holder.wait().unwrap().success());

    // A holder that discloses an element nobody asked for: every answer case fails.
    let (mut holder, uri) = serve(&d, true, &["--fault", "extra-element"]);
    let out = conformance(&d, &uri, "report3");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("FAIL wallet/no-extra-element"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("did not ask for"), "{line}");
    assert!(
        stdout
            .lines()
            .any(|l| l == "pass wallet/garbage-ciphertext"),
        "{stdout}"
    );
    assert!(holder.wait().unwrap().success());
}
