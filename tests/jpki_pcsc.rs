//! `kakunin jpki read` against the virtual My Number card through the real PC/SC stack
//! (issue 17: "works against a real card in a PC/SC reader"): `kakunin jpki-sim init` makes a
//! card with known facts, `kakunin jpki-sim serve` puts it in vpcd's second slot, and the
//! `kakunin` binary reads it through pcscd like a card in a reader. The right PIN prints the
//! certificates' subjects and the signature certificate's four facts; a wrong PIN exits 1 with
//! the tries left, costing one try on the card (its `card-state.json`); after five wrong PINs
//! the command says locked and stops before the PIN is even read, so no VERIFY is sent.
//!
//! Needs pcscd running with vsmartcard-vpcd (`bash scripts/install-peers.sh`) and the `pcsc`
//! feature; without pcscd it fails, it does not skip. Shares the slot with tests/jpki_opensc.rs
//! through tests/common/vpcd_slot.rs.
#![cfg(feature = "pcsc")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "common/vpcd_slot.rs"]
mod vpcd_slot;
use vpcd_slot::{Killed, READER, VPCD};

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use der::Decode;
use kakunin_transport::adapters::pcsc::{PcscWatch, Presence};

const NAME: &str = "確認\u{3000}太郎";
const BIRTH: &str = "1985-06-15";
const ADDRESS: &str = "東京都千代田区霞が関２丁目１番２号";

/// `kakunin ARGS` under a deadline: (exit code, stdout, stderr).
fn kakunin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new("timeout")
        .arg("60")
        .arg(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn subject(pem_file: &Path) -> String {
    let pem = std::fs::read_to_string(pem_file).unwrap();
    let (_, der) = der::pem::decode_vec(pem.as_bytes()).unwrap();
    x509_cert::Certificate::from_der(&der)
        .unwrap()
        .tbs_certificate
        .subject
        .to_string()
}

fn card_state(profile: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(profile.join("card-state.json")).unwrap()).unwrap()
}

/// Wait until pcscd sees a card in the slot (the serve process inserted it).
fn wait_for_card() {
    let mut watch = PcscWatch::open(READER).unwrap_or_else(|e| {
        panic!("pcscd is not reachable ({e}): run `bash scripts/install-peers.sh`")
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match watch.poll(Duration::from_millis(500)) {
            Ok(Presence::Card { .. }) => return,
            Ok(_) => {}
            Err(e) => panic!("no {READER}: is pcscd running with vsmartcard-vpcd? ({e})"),
        }
        assert!(
            Instant::now() < deadline,
            "the card never appeared in {READER}"
        );
    }
}

#[test]
fn jpki_read_prints_the_facts_counts_a_wrong_pin_and_stops_at_a_locked_one() {
    let _slot = vpcd_slot::take();
    let tmp = tempfile::tempdir().unwrap();
    let ca = tmp.path().join("jpki");
    let ca_s = ca.to_str().unwrap();
    let (code, _, err) = kakunin(&[
        "jpki-sim",
        "init",
        "--out",
        ca_s,
        "--card",
        "taro",
        "--name",
        NAME,
        "--birth-date",
        BIRTH,
        "--sex",
        "male",
        "--address",
        ADDRESS,
    ]);
    assert_eq!(code, 0, "{err}");
    let profile = ca.join("taro");
    let pins_json = profile.join("pins.json");
    let pins: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&pins_json).unwrap()).unwrap();
    let sign_pin = pins["signature_pin"].as_str().unwrap();
    let auth_pin = pins["authentication_pin"].as_str().unwrap();

    let _served = Killed(
        Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args([
                "jpki-sim",
                "serve",
                "--card",
                profile.to_str().unwrap(),
                "--vpcd",
                VPCD,
            ])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_card();

    // The right PIN: the subjects and the four facts init was given, read off the card.
    let read = |pin_file: &Path| {
        kakunin(&[
            "jpki",
            "read",
            "--pcsc-reader",
            READER,
            "--pin-file",
            pin_file.to_str().unwrap(),
        ])
    };
    let (code, out, err) = read(&pins_json);
    assert_eq!(code, 0, "{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    let expected = [
        "token: My Number card (JPKIAPICCTOKEN)".to_string(),
        format!("signature CA: {}", subject(&ca.join("jpki-sign-ca.pem"))),
        format!(
            "authentication CA: {}",
            subject(&ca.join("jpki-auth-ca.pem"))
        ),
        format!(
            "authentication certificate: {}",
            subject(&profile.join("auth.pem"))
        ),
        "signature PIN: 5 tries left".to_string(),
        format!(
            "signature certificate: {}",
            subject(&profile.join("sign.pem"))
        ),
        format!("name: {NAME}"),
        format!("date of birth: {BIRTH}"),
        "sex: male".to_string(),
        format!("address: {ADDRESS}"),
    ];
    assert_eq!(lines, expected, "{out}");
    assert!(out.contains("O=JPKI-SIM"), "{out}");
    assert_eq!(card_state(&profile)["signature_pin_tries"], 5);

    // A wrong signature PIN (right format, text form of the PIN file): exit 1, four tries
    // left as the command says and as the card counts them; the authentication PIN untouched.
    let wrong = tmp.path().join("wrong-pins.txt");
    let wrong_pin = if sign_pin == "WRONG1" {
        "WRONG2"
    } else {
        "WRONG1"
    };
    std::fs::write(&wrong, format!("{wrong_pin}\n{auth_pin}\n")).unwrap();
    let (code, out, err) = read(&wrong);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("wrong signature PIN: 4 tries left"), "{err}");
    assert!(!out.contains("name:"), "no facts without the PIN: {out}");
    assert_eq!(
        card_state(&profile),
        serde_json::json!({"signature_pin_tries": 4, "authentication_pin_tries": 3})
    );

    // Three more wrong PINs count down; the fifth locks the PIN.
    for left in [3, 2, 1] {
        let (code, out, err) = read(&wrong);
        assert_eq!(code, 1, "{out}\n{err}");
        assert!(
            err.contains(&format!("wrong signature PIN: {left} tries left")),
            "{err}"
        );
        assert!(
            out.contains(&format!("signature PIN: {} tries left", left + 1)),
            "{out}"
        );
    }
    let (code, out, err) = read(&wrong);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("signature PIN: 1 tries left"), "{out}");
    assert!(err.contains("the signature PIN is locked"), "{err}");
    assert_eq!(card_state(&profile)["signature_pin_tries"], 0);

    // Locked: the command reads the counter, says so and stops before reading the PIN file
    // (a missing one is not even noticed), so no VERIFY reaches the card; the right PIN does
    // not unlock it either.
    let (code, out, err) = read(&tmp.path().join("no-such-pin-file"));
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("signature PIN: 0 tries left"), "{out}");
    assert!(
        err.contains("the signature PIN is locked; nothing was sent"),
        "{err}"
    );
    let (code, out, err) = read(&pins_json);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("the signature PIN is locked; nothing was sent"),
        "{err}"
    );
    assert!(!out.contains("name:"), "{out}");
    assert_eq!(
        card_state(&profile),
        serde_json::json!({"signature_pin_tries": 0, "authentication_pin_tries": 3})
    );
}
