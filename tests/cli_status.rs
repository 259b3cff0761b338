//! `kakunin status build|check|show` as a user runs them: both formats, every status, a list
//! signed outside the credential's IACA, stale lists, and malformed files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

const URI: &str = "https://issuer.example/status/1";

/// The lists' `iat`: now (the PKI's certificates start a day before `pki init`), to the second.
fn base() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap()
}

/// `base() + seconds`, as RFC 3339.
fn at(base: time::OffsetDateTime, seconds: i64) -> String {
    (base + time::Duration::seconds(seconds))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

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

/// A fresh PKI made by `pki init`.
fn pki(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    let (code, _, err) = kakunin(&["pki", "init", "--out", &s(&p)]);
    assert_eq!(code, 0, "{err}");
    p
}

fn build(pki: &Path, out: &Path, format: &str, iat: &str, extra: &[&str]) {
    let mut args = vec![
        "status",
        "build",
        "--pki",
        pki.to_str().unwrap(),
        "--uri",
        URI,
        "--bits",
        "2",
        "--size",
        "64",
        "--set",
        "3=INVALID",
        "--set",
        "5=SUSPENDED",
        "--set",
        "6=3",
        "--format",
        format,
        "--ttl",
        "3600",
        "--at",
        iat,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, stdout, err) = kakunin(&args);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(stdout.contains("built a 2-bit"), "{stdout}");
}

fn check(
    list: &Path,
    index: &str,
    anchor: &Path,
    when: &str,
    extra: &[&str],
) -> (i32, String, String) {
    let mut args = vec![
        "status",
        "check",
        "--list",
        list.to_str().unwrap(),
        "--index",
        index,
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "--uri",
        URI,
        "--at",
        when,
    ];
    args.extend_from_slice(extra);
    kakunin(&args)
}

#[test]
fn build_show_check_in_both_formats() {
    let b = base();
    let (iat, soon) = (at(b, 0), at(b, 1800));
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path(), "pki");
    let iaca = pki.join("iaca.cert.pem");
    for format in ["jwt", "cwt"] {
        let list = dir.path().join(format!("list.{format}"));
        build(&pki, &list, format, &iat, &[]);

        let (code, out, err) = kakunin(&["status", "show", &s(&list)]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains(&format!("application/statuslist+{format}")),
            "{out}"
        );
        assert!(out.contains(&format!("sub:         \"{URI}\"")), "{out}");
        assert!(out.contains("entries:     64"), "{out}");
        assert!(out.contains("[3] INVALID"), "{out}");
        assert!(out.contains("[5] SUSPENDED"), "{out}");
        assert!(out.contains("[6] 0x03 (application-specific)"), "{out}");
        assert!(out.contains("ttl:         3600 s"), "{out}");

        let (code, out, err) = check(&list, "0", &iaca, &soon, &[]);
        assert_eq!(code, 0, "{format}: {out}{err}");
        assert!(out.contains("index 0: VALID"), "{out}");
        assert!(out.contains("Kakunin test DS JP 1"), "{out}");

        let (code, out, _) = check(&list, "3", &iaca, &soon, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("index 3: INVALID"), "{out}");

        let (code, out, _) = check(&list, "5", &iaca, &soon, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("index 5: SUSPENDED"), "{out}");

        let (code, out, _) = check(&list, "6", &iaca, &soon, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("index 6: OTHER 0x03"), "{out}");

        let (code, out, _) = check(&list, "64", &iaca, &soon, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("UNDETERMINED (index-out-of-range)"), "{out}");

        let (code, out, _) = kakunin(&[
            "status",
            "check",
            "--list",
            &s(&list),
            "--index",
            "0",
            "--trust-anchor",
            &s(&iaca),
            "--uri",
            "https://issuer.example/status/2",
            "--at",
            &soon,
        ]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("UNDETERMINED (subject)"), "{out}");
    }
}

#[test]
fn a_list_signed_outside_the_credentials_iaca_is_undetermined() {
    let b = base();
    let (iat, soon) = (at(b, 0), at(b, 1800));
    let dir = tempfile::tempdir().unwrap();
    let ours = pki(dir.path(), "ours");
    let theirs = pki(dir.path(), "theirs");
    for format in ["jwt", "cwt"] {
        let list = dir.path().join(format!("foreign.{format}"));
        build(&theirs, &list, format, &iat, &[]);
        let (code, out, _) = check(&list, "0", &ours.join("iaca.cert.pem"), &soon, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("index 0: UNDETERMINED (signer)"), "{out}");
        assert!(!out.contains("VALID\n"), "{out}");
    }
    // Signed by a certificate of our IACA that is not an issuer's signing certificate.
    let list = dir.path().join("reader-signed.jwt");
    build(&ours, &list, "jwt", &iat, &["--signer", "reader"]);
    let (code, out, _) = check(&list, "0", &ours.join("reader-root.cert.pem"), &soon, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("UNDETERMINED (signer)"), "{out}");
    assert!(
        out.contains("lacks the extended key usage 1.0.18013.5.1.2 (mdoc Document Signer)"),
        "{out}"
    );
    // The SD-JWT VC issuer's JWS-signer certificate is accepted.
    let list = dir.path().join("jws-signed.cwt");
    build(&ours, &list, "cwt", &iat, &["--signer", "jws-1"]);
    let (code, out, _) = check(&list, "0", &ours.join("iaca.cert.pem"), &soon, &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn stale_lists_are_undetermined() {
    let b = base();
    let iat = at(b, 0);
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path(), "pki");
    let iaca = pki.join("iaca.cert.pem");
    for format in ["jwt", "cwt"] {
        let list = dir.path().join(format!("list.{format}"));
        build(&pki, &list, format, &iat, &[]);
        // Past the one-hour ttl since iat.
        let (code, out, _) = check(&list, "0", &iaca, &at(b, 3601), &[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("UNDETERMINED (stale)"), "{out}");
        // Fetched recently: within ttl.
        let (code, out, _) = check(
            &list,
            "0",
            &iaca,
            &at(b, 3601),
            &["--fetched-at", &at(b, 3540)],
        );
        assert_eq!(code, 0, "{out}");
        // Past exp (one day after iat), even if just fetched.
        let (code, out, _) = check(
            &list,
            "0",
            &iaca,
            &at(b, 86_401),
            &["--fetched-at", &at(b, 86_401)],
        );
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("expired"), "{out}");
        // ... unless the grace covers it.
        let (code, out, _) = check(
            &list,
            "0",
            &iaca,
            &at(b, 86_401),
            &["--fetched-at", &at(b, 86_401), "--grace", "60"],
        );
        assert_eq!(code, 0, "{out}");
        // Issued in the future.
        let (code, out, _) = check(&list, "0", &iaca, &at(b, -3600), &[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("UNDETERMINED (stale)"), "{out}");
    }
}

#[test]
fn bad_input_is_exit_2() {
    let b = base();
    let (iat, soon) = (at(b, 0), at(b, 1800));
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path(), "pki");
    let iaca = pki.join("iaca.cert.pem");
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"this is not a status list").unwrap();
    let (code, _, err) = check(&junk, "0", &iaca, &soon, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a Status List Token"), "{err}");
    let (code, _, _) = kakunin(&["status", "show", &s(&junk)]);
    assert_eq!(code, 2);
    // A real list, truncated.
    let list = dir.path().join("list.cwt");
    build(&pki, &list, "cwt", &iat, &[]);
    let bytes = std::fs::read(&list).unwrap();
    let cut = dir.path().join("cut.cwt");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let (code, _, err) = check(&cut, "0", &iaca, &soon, &[]);
    assert_eq!(code, 2, "{err}");
    // Build with bad arguments.
    let out = dir.path().join("x.jwt");
    for bad in [
        vec!["--bits", "3", "--size", "8"],
        vec!["--bits", "1", "--size", "8", "--set", "2=SUSPENDED"],
        vec!["--bits", "1", "--size", "8", "--set", "8=INVALID"],
        vec!["--bits", "1", "--size", "8", "--set", "nonsense"],
        vec!["--bits", "1", "--size", "8", "--format", "xml"],
        vec!["--bits", "1", "--size", "8", "--ttl", "0"],
        vec!["--bits", "1", "--size", "200000000"],
    ] {
        let mut args = vec![
            "status",
            "build",
            "--pki",
            pki.to_str().unwrap(),
            "--uri",
            URI,
        ];
        args.extend(bad.iter().copied());
        args.extend(["--out", out.to_str().unwrap()]);
        let (code, _, err) = kakunin(&args);
        assert_eq!(code, 2, "{bad:?}: {err}");
    }
    assert!(!out.exists());
}

#[test]
fn show_decodes_the_drafts_examples() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec-vectors/data/status-list");
    let dir = tempfile::tempdir().unwrap();
    // The draft prints the JWT line-wrapped; a user would unwrap it.
    let raw = std::fs::read_to_string(data.join("status_list_jwt_raw.md")).unwrap();
    let jwt = dir.path().join("example.jwt");
    std::fs::write(&jwt, raw.split_whitespace().collect::<String>()).unwrap();
    let (code, out, err) = kakunin(&["status", "show", &s(&jwt)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kid:         \"12\""), "{out}");
    assert!(out.contains("INVALID:     9"), "{out}");
    // The CWT as hex.
    let (code, out, err) = kakunin(&["status", "show", &s(&data.join("status_list_cwt.md"))]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("application/statuslist+cwt"), "{out}");
    assert!(out.contains("entries:     16"), "{out}");
}
