//! `kakunin trust bundle|show|verify` as a user runs them: exit codes for a valid bundle,
//! the wrong anchor, a tampered file, a malformed file, and a status cache carried along.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

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

fn pki(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    let (code, _, err) = kakunin(&["pki", "init", "--out", &s(&p)]);
    assert_eq!(code, 0, "{err}");
    p
}

#[test]
fn bundle_show_verify_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki(dir.path(), "pki");
    // A status list in a cache directory, carried into the bundle.
    let list = dir.path().join("l.jwt");
    let (code, _, err) = kakunin(&[
        "status",
        "build",
        "--pki",
        &s(&p),
        "--uri",
        "https://st.example/1",
        "--bits",
        "1",
        "--size",
        "8",
        "--set",
        "1=INVALID",
        "--out",
        &s(&list),
    ]);
    assert_eq!(code, 0, "{err}");
    let cache = kakunin_status_fetch::StatusCache::open(dir.path().join("cache")).unwrap();
    cache
        .put(&kakunin_status_fetch::CachedList {
            uri: "https://st.example/1".into(),
            token: std::fs::read(&list).unwrap(),
            etag: None,
            content_type: None,
            fetched_at: time::OffsetDateTime::now_utc(),
        })
        .unwrap();

    let out = dir.path().join("b.cbor");
    let (code, stdout, err) = kakunin(&[
        "trust",
        "bundle",
        "--pki",
        &s(&p),
        "--iaca",
        &s(&p.join("iaca.cert.pem")),
        "--reader-root",
        &s(&p.join("reader-root.cert.pem")),
        "--status-cache",
        &s(cache.dir()),
        "--version",
        "7",
        "--out",
        &s(&out),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("version 7"), "{stdout}");
    assert!(stdout.contains("1 status list(s)"), "{stdout}");

    let (code, stdout, _) = kakunin(&["trust", "show", &s(&out)]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("UNVERIFIED"), "{stdout}");
    assert!(stdout.contains("\"https://st.example/1\""), "{stdout}");

    let root = s(&p.join("trust-bundle-root.cert.pem"));
    let (code, stdout, err) = kakunin(&[
        "trust",
        "verify",
        "--bundle",
        &s(&out),
        "--trust-anchor",
        &root,
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(stdout.contains("VALID"), "{stdout}");

    // The IACA is not the bundle-signer anchor.
    let iaca = s(&p.join("iaca.cert.pem"));
    let (code, stdout, _) = kakunin(&[
        "trust",
        "verify",
        "--bundle",
        &s(&out),
        "--trust-anchor",
        &iaca,
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("INVALID"), "{stdout}");

    // Another PKI's root.
    let other = pki(dir.path(), "other");
    let other_root = s(&other.join("trust-bundle-root.cert.pem"));
    let (code, _, _) = kakunin(&[
        "trust",
        "verify",
        "--bundle",
        &s(&out),
        "--trust-anchor",
        &other_root,
    ]);
    assert_eq!(code, 1);

    // One flipped byte in the payload: the signature fails.
    let mut bytes = std::fs::read(&out).unwrap();
    let at = bytes
        .windows(12)
        .position(|w| w == b"st.example/1")
        .unwrap();
    bytes[at] ^= 1;
    let tampered = dir.path().join("t.cbor");
    std::fs::write(&tampered, &bytes).unwrap();
    let (code, stdout, _) = kakunin(&[
        "trust",
        "verify",
        "--bundle",
        &s(&tampered),
        "--trust-anchor",
        &root,
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("signature"), "{stdout}");

    // Truncated: an input error, exit 2, and show refuses it too.
    let short = dir.path().join("s.cbor");
    std::fs::write(&short, &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, err) = kakunin(&[
        "trust",
        "verify",
        "--bundle",
        &s(&short),
        "--trust-anchor",
        &root,
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = kakunin(&["trust", "show", &s(&short)]);
    assert_eq!(code, 2);
    // A missing anchor file: exit 2.
    let (code, _, _) = kakunin(&[
        "trust",
        "verify",
        "--bundle",
        &s(&out),
        "--trust-anchor",
        "/nonexistent",
    ]);
    assert_eq!(code, 2);

    // The till refuses to start on a bundle its configured anchor does not verify (exit 2),
    // and --trust-bundle needs --bundle-signer.
    let data = dir.path().join("till");
    let (code, _, err) = kakunin(&[
        "till",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data",
        &s(&data),
        "--trust-bundle",
        &s(&out),
        "--bundle-signer",
        &other_root,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refused"), "{err}");
    let (code, _, _) = kakunin(&["till", "serve", "--trust-bundle", &s(&out)]);
    assert_eq!(code, 2);
}
