#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `kakunin conformance wallet --nfc --pcsc-reader READER` against `kakunin holder-sim serve
//! --nfc --sessions N` in another process, through pcscd and vpcd's second slot (held with
//! the lock of tests/common/vpcd_slot.rs): one fresh card per tap, every case passes, exit 0,
//! the reports are written; and with `--fault nfc-wrong-status-words`: the answer case fails
//! with the status word, exit 1. Needs pcscd with vpcd (scripts/install-peers.sh) and the
//! `pcsc` feature.
#![cfg(feature = "pcsc")]

#[path = "common/vpcd_slot.rs"]
mod vpcd_slot;
use vpcd_slot::{Killed, READER, VPCD};

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[path = "common/suite_wallet.rs"]
mod suite_wallet;
use suite_wallet::{bin, setup, CASES};

/// The holder simulator as a card in vpcd's second slot, one fresh card per tap; its output
/// is collected on a thread (returned when the process ends).
fn serve(d: &dyn Fn(&str) -> String, extra: &[&str]) -> (Killed, std::thread::JoinHandle<String>) {
    let sessions = CASES.to_string();
    let wallet = d("wallet");
    let root = d("pki/reader-root.cert.pem");
    let mut args = vec![
        "holder-sim",
        "serve",
        "--wallet",
        &wallet,
        "--nfc",
        "--vpcd",
        VPCD,
        "--sessions",
        &sessions,
        "--reader-trust",
        &root,
    ];
    args.extend_from_slice(extra);
    let mut holder = Command::new(bin())
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(holder.stdout.take().unwrap()).lines();
    let out = std::thread::spawn(move || {
        let mut all = String::new();
        for l in lines.map_while(Result::ok) {
            all.push_str(&l);
            all.push('\n');
        }
        all
    });
    (Killed(holder), out)
}

fn conformance(d: &dyn Fn(&str) -> String, report: &str) -> std::process::Output {
    Command::new(bin())
        .args([
            "conformance",
            "wallet",
            "--nfc",
            "--pcsc-reader",
            READER,
            "--trust-anchor",
            &d("pki/iaca.cert.pem"),
            "--reader-cert",
            &d("pki/reader.cert.pem"),
            "--reader-key",
            &d("pki/reader.key.pem"),
            "--require-sd-jwt",
            "--case-timeout",
            "20",
            "--report",
            &d(report),
        ])
        .output()
        .unwrap()
}

#[test]
fn the_holder_simulator_over_pcsc_passes_and_wrong_status_words_are_caught() {
    let (_dir, d) = setup();
    let _slot = vpcd_slot::take();

    let (mut holder, holder_out) = serve(&d, &[]);
    let out = conformance(&d, "report");
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
    for f in ["junit.xml", "report.html", "report.json"] {
        assert!(
            std::path::Path::new(&d("report")).join(f).is_file(),
            "{f} missing"
        );
    }
    // One tap per case: the holder served every session and left.
    assert!(holder.0.wait().unwrap().success());
    let served = holder_out.join().unwrap();
    assert!(
        served.contains(&format!("session {CASES} of {CASES}")),
        "{served}"
    );

    // A card answering with wrong status words: the answer case fails, saying so.
    let (mut holder, _out) = serve(&d, &["--fault", "nfc-wrong-status-words"]);
    let out = conformance(&d, "report2");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("FAIL wallet/mdl-age-over-20"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("6A80"), "{line}");
    assert!(std::path::Path::new(&d("report2"))
        .join("report.json")
        .is_file());
    assert!(holder.0.wait().unwrap().success());
}
