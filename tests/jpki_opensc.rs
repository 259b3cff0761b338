//! The independent check of the virtual My Number card: OpenSC (Debian `opensc`, its `jpki`
//! driver, which binds by the card's ATR) reads the certificates of a card made by
//! `kakunin jpki-sim init` and served by `kakunin jpki-sim serve` through a real pcscd and
//! vsmartcard-vpcd, reports the PIN tries, and signs with both keys through its PKCS#11
//! module; the signatures verify under the certificates with Kakunin's RSA verification
//! (`ring`). The recipe is jpki-notes §6.
//!
//! Uses vpcd's **second** slot (port 35964, reader "Virtual PCD 00 01") so it never collides
//! with tests/nfc_pcsc.rs, which uses the first, and holds the slot's lock
//! (tests/common/vpcd_slot.rs) against tests/jpki_pcsc.rs. Needs pcscd running with vpcd and OpenSC
//! installed (`bash scripts/install-peers.sh`); without them it fails, it does not skip.
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
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use der::{Decode, Encode};
use kakunin_core::crypto::{default_provider, HashAlg, RsaPublicKey};

const PKCS11: &str = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
const SIGN_TOKEN: &str = "JPKI (Digital Signature PIN)";
const AUTH_TOKEN: &str = "JPKI (User Authentication PIN)";
/// The environment variable OpenSC reads a PIN from (`--pin env:NAME`): never on argv.
const PIN_VAR: &str = "KAKUNIN_TEST_JPKI_PIN";

/// Run an OpenSC tool with a deadline (`timeout`), optionally with a PIN in its environment.
fn tool(args: &[&str], pin: Option<&str>) -> Output {
    let mut c = Command::new("timeout");
    c.arg("60").args(args);
    if let Some(p) = pin {
        c.env(PIN_VAR, p);
    }
    c.output()
        .unwrap_or_else(|e| panic!("{args:?}: {e} (is OpenSC installed? scripts/install-peers.sh)"))
}

fn ok(args: &[&str], pin: Option<&str>) -> String {
    let out = tool(args, pin);
    assert!(
        out.status.success(),
        "{args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pem_der(pem: &str) -> Vec<u8> {
    let start = pem
        .find("-----BEGIN CERTIFICATE-----")
        .expect("a PEM certificate");
    der::pem::decode_vec(&pem.as_bytes()[start..]).unwrap().1
}

fn file_der(p: &Path) -> Vec<u8> {
    pem_der(&std::fs::read_to_string(p).unwrap())
}

fn public_key(cert_der: &[u8]) -> RsaPublicKey {
    let c = x509_cert::Certificate::from_der(cert_der).unwrap();
    RsaPublicKey::from_spki_der(&c.tbs_certificate.subject_public_key_info.to_der().unwrap())
        .unwrap()
}

/// `pkcs15-tool --list-pins`: tries left of (authentication, signature).
fn tries(reader: &str) -> (u8, u8) {
    let out = ok(&["pkcs15-tool", "--reader", reader, "--list-pins"], None);
    let mut auth = None;
    let mut sign = None;
    let mut current = "";
    for line in out.lines() {
        if line.starts_with("PIN [") {
            current = line;
        }
        if let Some(v) = line.trim().strip_prefix("Tries left") {
            let n: u8 = v.trim_start_matches([' ', ':']).trim().parse().unwrap();
            if current.contains("Authentication") {
                auth = Some(n);
            } else if current.contains("Signature") {
                sign = Some(n);
            }
        }
    }
    (auth.expect(&out), sign.expect(&out))
}

fn sign_with(token: &str, id: &str, pin: &str, msg: &Path, sig: &Path) -> Output {
    tool(
        &[
            "pkcs11-tool",
            "--module",
            PKCS11,
            "--token-label",
            token,
            "--login",
            "--pin",
            &format!("env:{PIN_VAR}"),
            "-m",
            "SHA256-RSA-PKCS",
            "--sign",
            "--id",
            id,
            "-i",
            msg.to_str().unwrap(),
            "-o",
            sig.to_str().unwrap(),
        ],
        Some(pin),
    )
}

#[test]
fn opensc_reads_the_virtual_card_lists_its_pins_and_signs_with_both_keys() {
    let _slot = vpcd_slot::take();
    assert!(
        Path::new(PKCS11).exists(),
        "{PKCS11} missing: install OpenSC (bash scripts/install-peers.sh)"
    );
    let readers = ok(&["opensc-tool", "--list-readers"], None);
    assert!(
        readers.contains(READER),
        "no {READER} in {readers}: is pcscd running with vsmartcard-vpcd? (bash scripts/install-peers.sh)"
    );

    let tmp = tempfile::tempdir().unwrap();
    let ca = tmp.path().join("jpki");
    let init = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(["jpki-sim", "init", "--out", ca.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let profile = ca.join("taro");
    let pins: serde_json::Value =
        serde_json::from_slice(&std::fs::read(profile.join("pins.json")).unwrap()).unwrap();
    let sign_pin = pins["signature_pin"].as_str().unwrap().to_owned();
    let auth_pin = pins["authentication_pin"].as_str().unwrap().to_owned();

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
            .spawn()
            .unwrap(),
    );
    // Wait for pcscd to see the card in the second slot.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let l = String::from_utf8_lossy(&tool(&["opensc-tool", "--list-readers"], None).stdout)
            .into_owned();
        if l.lines()
            .any(|line| line.contains(READER) && line.contains("Yes"))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the card never appeared in {READER}: {l}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // OpenSC picked its JPKI driver and sees the four certificates.
    let listed = ok(
        &["pkcs15-tool", "--reader", READER, "--list-certificates"],
        None,
    );
    for label in [
        "User Authentication Certificate",
        "Digital Signature Certificate",
        "User Authentication Certificate CA",
        "Digital Signature Certificate CA",
    ] {
        assert!(
            listed.contains(&format!("[{label}]")),
            "{label} in {listed}"
        );
    }
    let read = |id: &str| {
        pem_der(&ok(
            &["pkcs15-tool", "--reader", READER, "--read-certificate", id],
            None,
        ))
    };
    assert_eq!(read("01"), file_der(&profile.join("auth.pem")));
    assert_eq!(read("03"), file_der(&ca.join("jpki-auth-ca.pem")));
    assert_eq!(read("04"), file_der(&ca.join("jpki-sign-ca.pem")));
    // The signature certificate is private: refused without the PIN, read with it.
    let no_pin = tool(
        &[
            "pkcs15-tool",
            "--reader",
            READER,
            "--read-certificate",
            "02",
        ],
        None,
    );
    assert!(
        !String::from_utf8_lossy(&no_pin.stdout).contains("BEGIN CERTIFICATE"),
        "EF 0001 was readable without the signature PIN"
    );
    let with_pin = ok(
        &[
            "pkcs15-tool",
            "--reader",
            READER,
            "--read-certificate",
            "02",
            "--verify-pin",
            "--auth-id",
            "02",
            "--pin",
            &format!("env:{PIN_VAR}"),
        ],
        Some(&sign_pin),
    );
    let sign_cert = file_der(&profile.join("sign.pem"));
    assert_eq!(pem_der(&with_pin), sign_cert);
    assert_eq!(tries(READER), (3, 5));

    // A wrong authentication PIN costs a try, as OpenSC reports it.
    let msg = tmp.path().join("message");
    std::fs::write(&msg, b"Kakunin enrolment challenge").unwrap();
    let wrong = if auth_pin == "0000" { "1111" } else { "0000" };
    let sig = tmp.path().join("auth.sig");
    assert!(!sign_with(AUTH_TOKEN, "01", wrong, &msg, &sig)
        .status
        .success());
    assert_eq!(tries(READER), (2, 5));
    assert_eq!(
        std::fs::read_to_string(profile.join("card-state.json")).unwrap(),
        r#"{"signature_pin_tries":5,"authentication_pin_tries":2}"#
    );

    // Both keys sign through PKCS#11; Kakunin's verification accepts the signatures.
    let crypto = default_provider();
    let out = sign_with(AUTH_TOKEN, "01", &auth_pin, &msg, &sig);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let auth_sig = std::fs::read(&sig).unwrap();
    let auth_key = public_key(&file_der(&profile.join("auth.pem")));
    crypto
        .verify_rsa_pkcs1v15(
            &auth_key,
            HashAlg::Sha256,
            b"Kakunin enrolment challenge",
            &auth_sig,
        )
        .expect("the authentication-key signature verifies under auth.pem");
    let sig = tmp.path().join("sign.sig");
    let out = sign_with(SIGN_TOKEN, "02", &sign_pin, &msg, &sig);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sign_sig = std::fs::read(&sig).unwrap();
    let sign_key = public_key(&sign_cert);
    crypto
        .verify_rsa_pkcs1v15(
            &sign_key,
            HashAlg::Sha256,
            b"Kakunin enrolment challenge",
            &sign_sig,
        )
        .expect("the signature-key signature verifies under sign.pem");
    // Not under the other certificate, and not over another message.
    assert!(crypto
        .verify_rsa_pkcs1v15(
            &auth_key,
            HashAlg::Sha256,
            b"Kakunin enrolment challenge",
            &sign_sig
        )
        .is_err());
    assert!(crypto
        .verify_rsa_pkcs1v15(&sign_key, HashAlg::Sha256, b"another message", &sign_sig)
        .is_err());
    // The successful VERIFY reset the authentication counter.
    assert_eq!(tries(READER), (3, 5));
}
