//! `kakunin jpki-sim init | revoke` as a user runs them: the CA directory and profiles with
//! 0600 keys and PINs, the facts in the signature certificate, init refusing to run twice,
//! revoke listing both signature serials (card and phone) on a re-signed CRL, and bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;

use der::Decode;

fn kakunin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn cert(p: &Path) -> x509_cert::Certificate {
    let pem = std::fs::read_to_string(p).unwrap();
    let (label, der) = der::pem::decode_vec(pem.as_bytes()).unwrap();
    assert_eq!(label, "CERTIFICATE");
    x509_cert::Certificate::from_der(&der).unwrap()
}

fn crl(p: &Path) -> x509_cert::crl::CertificateList {
    x509_cert::crl::CertificateList::from_der(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn init_writes_the_ca_and_profiles_and_refuses_to_run_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("jpki");
    let (code, stdout, stderr) = kakunin(&[
        "jpki-sim",
        "init",
        "--out",
        &s(&out),
        "--card",
        "alice",
        "--name",
        "確認\u{3000}有栖",
        "--birth-date",
        "2001-04-01",
        "--sex",
        "female",
        "--address",
        "東京都港区芝公園４－２－８",
        "--card",
        "bob",
        "--name",
        "確認\u{3000}母武",
        "--birth-date",
        "1960-12-31",
        "--sex",
        "not-known",
        "--address",
        "北海道札幌市中央区北１条西２丁目",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("card alice"), "{stdout}");
    for f in [
        "jpki-sign-ca.pem",
        "jpki-auth-ca.pem",
        "jpki-sign.crl",
        "jpki-auth.crl",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    for person in ["alice", "bob"] {
        for dir in [out.join(person), out.join(person).join("phone")] {
            for f in ["sign.pem", "auth.pem", "card-state.json"] {
                assert!(dir.join(f).is_file(), "{}/{f}", dir.display());
            }
            #[cfg(unix)]
            for f in ["sign.key", "auth.key", "pins.json"] {
                assert_eq!(mode(&dir.join(f)), 0o600, "{}/{f}", dir.display());
            }
            let pins: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.join("pins.json")).unwrap()).unwrap();
            let sign_pin = pins["signature_pin"].as_str().unwrap();
            let auth_pin = pins["authentication_pin"].as_str().unwrap();
            assert!((6..=16).contains(&sign_pin.len()));
            assert_eq!(auth_pin.len(), 4);
            // PINs never on the terminal.
            assert!(!stdout.contains(sign_pin) && !stderr.contains(sign_pin));
        }
    }
    #[cfg(unix)]
    assert_eq!(mode(&out.join("private/jpki-sign-ca.key")), 0o600);
    // The facts went into alice's signature certificate, not bob's.
    let alice = cert(&out.join("alice/sign.pem"));
    let der = der::Encode::to_der(&alice).unwrap();
    let needle = "確認\u{3000}有栖".as_bytes();
    assert!(der.windows(needle.len()).any(|w| w == needle));
    assert!(der.windows(9).any(|w| w == b"420010401"));
    let bob = der::Encode::to_der(&cert(&out.join("bob/sign.pem"))).unwrap();
    assert!(!bob.windows(needle.len()).any(|w| w == needle));
    assert!(bob.windows(9).any(|w| w == b"319601231"));

    let before = std::fs::read(out.join("jpki-sign-ca.pem")).unwrap();
    let (code, _, stderr) = kakunin(&["jpki-sim", "init", "--out", &s(&out)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::read(out.join("jpki-sign-ca.pem")).unwrap(), before);

    // Facts without a card, or not once per card: usage errors, nothing written.
    let other = tmp.path().join("other");
    let (code, _, stderr) = kakunin(&["jpki-sim", "init", "--out", &s(&other), "--name", "x"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = kakunin(&[
        "jpki-sim",
        "init",
        "--out",
        &s(&other),
        "--card",
        "a",
        "--card",
        "b",
        "--sex",
        "male",
    ]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = kakunin(&[
        "jpki-sim",
        "init",
        "--out",
        &s(&other),
        "--card",
        "a",
        "--birth-date",
        "1990-13-01",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!other.join("jpki-sign-ca.pem").exists());
}

#[test]
fn revoke_re_signs_the_crl_with_both_signature_serials() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("jpki");
    let (code, stdout, stderr) = kakunin(&["jpki-sim", "init", "--out", &s(&out)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("card taro"), "{stdout}");
    let before = std::fs::read(out.join("jpki-sign.crl")).unwrap();
    let auth_before = std::fs::read(out.join("jpki-auth.crl")).unwrap();
    assert!(crl(&out.join("jpki-sign.crl"))
        .tbs_cert_list
        .revoked_certificates
        .is_none());

    let (code, stdout, stderr) =
        kakunin(&["jpki-sim", "revoke", "--ca", &s(&out), "--card", "taro"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("affiliationChanged"), "{stdout}");
    assert!(stdout.contains("number 2"), "{stdout}");
    let after = std::fs::read(out.join("jpki-sign.crl")).unwrap();
    assert_ne!(after, before);
    let listed: Vec<Vec<u8>> = crl(&out.join("jpki-sign.crl"))
        .tbs_cert_list
        .revoked_certificates
        .unwrap()
        .iter()
        .map(|r| r.serial_number.as_bytes().to_vec())
        .collect();
    let card = cert(&out.join("taro/sign.pem"))
        .tbs_certificate
        .serial_number
        .as_bytes()
        .to_vec();
    let phone = cert(&out.join("taro/phone/sign.pem"))
        .tbs_certificate
        .serial_number
        .as_bytes()
        .to_vec();
    assert_eq!(listed, vec![card.clone(), phone.clone()]);
    assert!(stdout.contains(&hex::encode(&card)) && stdout.contains(&hex::encode(&phone)));
    // The authentication CRL is untouched: a move does not revoke it (notes §3.4).
    assert_eq!(
        std::fs::read(out.join("jpki-auth.crl")).unwrap(),
        auth_before
    );

    let (code, stdout, stderr) = kakunin(&[
        "jpki-sim",
        "revoke",
        "--ca",
        &s(&out),
        "--card",
        "taro",
        "--reason",
        "keyCompromise",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("number 3"), "{stdout}");
    for bad in [
        vec!["--card", "nobody"],
        vec!["--card", "taro", "--reason", "becauseISaidSo"],
        vec!["--card", "../taro"],
    ] {
        let mut args = vec!["jpki-sim", "revoke", "--ca", out.to_str().unwrap()];
        args.extend(bad.iter().copied());
        let (code, _, stderr) = kakunin(&args);
        assert_eq!(code, 2, "{bad:?}: {stderr}");
    }
}
