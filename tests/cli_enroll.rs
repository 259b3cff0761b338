#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `kakunin holder-sim enroll --card phone` against a real `kakunin issuer serve` (no pcscd
//! needed; tests/e2e_jpki.rs does the card through pcscd): wrong PINs exit 1 with the tries
//! left and store nothing, the right ones store both batches, PINs come from standard input as
//! well as from a file, a bad batch size and an unreachable issuer are usage / runtime errors,
//! and a revoked person is refused with the issuer's code.

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kakunin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn phone_enrolment_pins_errors_and_revocation() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = tmp.path().join("ca");
    let pki = tmp.path().join("pki");
    for args in [
        ["jpki-sim", "init", "--out", s(&ca)],
        ["pki", "init", "--out", s(&pki)],
    ] {
        let o = kakunin(&args, None);
        assert!(o.status.success(), "{}", text(&o));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let url = format!("http://{addr}");
    let data = tmp.path().join("data");
    let _issuer = Killed(
        Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args([
                "issuer",
                "serve",
                "--pki",
                s(&pki),
                "--jpki-ca",
                s(&ca),
                "--data",
                s(&data),
                "--listen",
                &addr,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "the issuer never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    let profile = ca.join("taro");
    let wallet = tmp.path().join("wallet");
    let enroll = |pin_file: Option<&Path>, stdin: Option<&str>, extra: &[&str]| {
        let mut args = vec![
            "holder-sim",
            "enroll",
            "--card",
            "phone",
            "--profile",
            s(&profile),
            "--issuer",
            &url,
            "--wallet",
            s(&wallet),
            "--mdoc",
            "2",
            "--sd-jwt",
            "1",
        ];
        if let Some(p) = pin_file {
            args.extend(["--pin-file", s(p)]);
        }
        args.extend(extra);
        kakunin(&args, stdin)
    };

    // Wrong PINs (two lines): exit 1, the tries left shown, nothing stored.
    let wrong = tmp.path().join("wrong-pins.txt");
    std::fs::write(&wrong, "wrongpin1\n9999\n").unwrap();
    let o = enroll(Some(&wrong), None, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("2 tries left"), "{}", text(&o));
    assert!(!text(&o).contains("wrongpin1") && !text(&o).contains("9999"));
    let listed = kakunin(&["holder", "list", "--wallet", s(&wallet)], None);
    assert!(
        text(&listed).contains("0 credential(s)"),
        "{}",
        text(&listed)
    );

    // The right PINs, from the phone's pins.json: both batches.
    let pins = profile.join("phone").join("pins.json");
    let o = enroll(Some(&pins), None, &["--label", "phone 1"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("mdoc: 2 credentials stored"), "{out}");
    assert!(out.contains("sd-jwt vc: 1 credentials stored"), "{out}");
    let person = out
        .lines()
        .find_map(|l| l.strip_prefix("person: "))
        .unwrap()
        .to_owned();

    // The same PINs on standard input (two lines): a second device, added beside the first.
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&pins).unwrap()).unwrap();
    let lines = format!(
        "{}\n{}\n",
        v["signature_pin"].as_str().unwrap(),
        v["authentication_pin"].as_str().unwrap()
    );
    let o = enroll(None, Some(&lines), &[]);
    assert!(o.status.success(), "{}", text(&o));
    let listed = kakunin(&["holder", "list", "--wallet", s(&wallet)], None);
    assert!(
        text(&listed).contains("6 credential(s)"),
        "{}",
        text(&listed)
    );

    // Misuse: a batch of 0 is a usage error; an unreachable issuer a runtime one.
    let o = enroll(Some(&pins), None, &["--sd-jwt", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = kakunin(
        &[
            "holder-sim",
            "enroll",
            "--card",
            "phone",
            "--profile",
            s(&profile),
            "--issuer",
            "http://127.0.0.1:1",
            "--wallet",
            s(&wallet),
            "--pin-file",
            s(&pins),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let o = kakunin(
        &[
            "holder-sim",
            "enroll",
            "--card",
            "phone",
            "--issuer",
            &url,
            "--wallet",
            s(&wallet),
            "--pin-file",
            s(&pins),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--profile"), "{}", text(&o));

    // Revoked (a move), CRLs re-read: the issuer's refusal, exit 1 with its code.
    let o = kakunin(
        &["jpki-sim", "revoke", "--ca", s(&ca), "--card", "taro"],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let a =
        kakunin_issuer_server::client::request(&url, "POST", "/admin/jpki-crl", token.trim(), None)
            .unwrap();
    assert_eq!(a.status, 200, "{:?}", a.body);
    let o = enroll(Some(&pins), None, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("revoked_certificate"), "{}", text(&o));
    let o = kakunin(
        &[
            "issuer",
            "devices",
            "--issuer",
            &url,
            "--person",
            &person,
            "--admin-token-file",
            s(&data.join("admin-token")),
        ],
        None,
    );
    assert!(text(&o).contains("2 device(s)"), "{}", text(&o));
    let t = text(&o);
    assert_eq!(t.matches(": 0 active, 3 revoked").count(), 2, "{t}");
}
