//! The proximity command line across two processes: `kakunin holder-sim serve` and
//! `kakunin reader`, over the simulated BLE link (QR engagement) and over NFC through pcscd.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kakunin")
}

fn setup() -> (tempfile::TempDir, impl Fn(&str) -> String) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    let d = move |n: &str| base.join(n).display().to_string();
    let claims =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/mdl-claims.json");
    assert!(Command::new(bin())
        .args(["pki", "init", "--out", &d("pki")])
        .output()
        .unwrap()
        .status
        .success());
    let out = Command::new(bin())
        .args([
            "issue",
            "mdoc",
            "--pki",
            &d("pki"),
            "--claims",
            claims.to_str().unwrap(),
            "--new-device-keys",
            "--count",
            "2",
            "--out",
            &d("wallet"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, d)
}

#[test]
fn qr_engagement_and_simulated_ble_between_processes() {
    let (_dir, d) = setup();
    let mut holder = Command::new(bin())
        .args([
            "holder-sim",
            "serve",
            "--wallet",
            &d("wallet"),
            "--ble-sim",
            "--reader-trust",
            &d("pki/reader-root.cert.pem"),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(holder.stdout.take().unwrap()).lines();
    let uri = lines.next().unwrap().unwrap();
    assert!(uri.starts_with("mdoc:"), "{uri}");
    let out = Command::new(bin())
        .args([
            "reader",
            "--qr",
            &uri,
            "--ble-sim",
            "--age-over",
            "20",
            "--trust-anchor",
            &d("pki/iaca.cert.pem"),
            "--reader-cert",
            &d("pki/reader.cert.pem"),
            "--reader-key",
            &d("pki/reader.key.pem"),
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    let els = v["documents"][0]["elements"].as_array().unwrap();
    assert_eq!(els.len(), 1);
    assert_eq!(els[0]["identifier"], "age_over_20");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(holder.wait().unwrap().success());
    assert!(
        rest.iter()
            .any(|l| l.contains("Kakunin test reader (authenticated)")),
        "{rest:?}"
    );
    assert!(rest.iter().any(|l| l.contains("1 unused left")), "{rest:?}");
}

/// A reader that cannot reach the phone failed while running (exit 3, the link named); a QR
/// code that is not an engagement is the caller's input (exit 2).
#[test]
fn a_reader_with_no_peripheral_exits_3_and_a_bad_qr_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let iaca = dir.path().join("pki/iaca.cert.pem");
    assert!(Command::new(bin())
        .args([
            "pki",
            "init",
            "--out",
            dir.path().join("pki").to_str().unwrap()
        ])
        .output()
        .unwrap()
        .status
        .success());
    // A valid engagement offering a fresh BLE UUID that nobody is advertising.
    let (de, _uuid, _session) =
        kakunin_holder_sim::engagement::qr_ble_engagement(kakunin_core::crypto::default_provider())
            .unwrap();
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let run = |qr: &str| {
        Command::new(bin())
            .args(["reader", "--qr", qr, "--ble-sim", "--age-over", "20"])
            .args(["--trust-anchor", iaca.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let out = run(&uri);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("simulated BLE") && err.contains("no peripheral"),
        "{err}"
    );
    let out = run("mdoc:not-base64url!");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("engagement"), "{err}");
}

#[cfg(feature = "pcsc")]
#[test]
fn nfc_reader_and_virtual_card_between_processes() {
    let (_dir, d) = setup();
    let mut holder = Command::new(bin())
        .args(["holder-sim", "serve", "--wallet", &d("wallet"), "--nfc"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = Command::new(bin())
        .args([
            "reader",
            "--nfc",
            "--age-over",
            "20",
            "--short-apdus",
            "--trust-anchor",
            &d("pki/iaca.cert.pem"),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("verified   org.iso.18013.5.1/age_over_20 = true"),
        "{stdout}"
    );
    assert!(holder.wait().unwrap().success());
}
