//! `kakunin vical build|verify|show` as a user runs them: a list built with the test PKI,
//! verified under its VICAL authority and refused under another root, a tampered copy, the
//! real AAMVA list on a fixed clock, and a file that is no VICAL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
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

#[test]
fn build_verify_show() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let (code, _, err) = kakunin(&["pki", "init", "--out", &s(&pki)]);
    assert_eq!(code, 0, "{err}");
    let out = dir.path().join("v.vical");
    let (code, text, err) = kakunin(&[
        "vical",
        "build",
        "--pki",
        &s(&pki),
        "--iaca",
        &s(&pki.join("iaca.cert.pem")),
        "--doc-type",
        "org.iso.18013.5.1.mDL",
        "--doc-type",
        "org.iso.23220.photoid.1",
        "--issue-id",
        "4",
        "--out",
        &s(&out),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("1 IACA(s)"), "{text}");
    let root = s(&pki.join("vical-root.cert.pem"));
    let (code, text, err) = kakunin(&[
        "vical",
        "verify",
        "--vical",
        &s(&out),
        "--trust-anchor",
        &root,
    ]);
    assert_eq!(code, 0, "{text}{err}");
    assert!(text.contains("VICAL: valid"), "{text}");
    assert!(text.contains("issue id:    4"), "{text}");
    assert!(text.contains("CN=Kakunin test IACA JP"), "{text}");
    assert!(text.contains("\"org.iso.23220.photoid.1\""), "{text}");
    // Rollback floor above the list's issue id.
    let (code, text, _) = kakunin(&[
        "vical",
        "verify",
        "--vical",
        &s(&out),
        "--trust-anchor",
        &root,
        "--min-issue-id",
        "5",
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("rollback"), "{text}");
    // The IACA is no VICAL authority.
    let (code, text, _) = kakunin(&[
        "vical",
        "verify",
        "--vical",
        &s(&out),
        "--trust-anchor",
        &s(&pki.join("iaca.cert.pem")),
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("NOT VALID"), "{text}");
    // A flipped signature byte.
    let mut bytes = std::fs::read(&out).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 1;
    let bad = dir.path().join("bad.vical");
    std::fs::write(&bad, &bytes).unwrap();
    let (code, text, _) = kakunin(&[
        "vical",
        "verify",
        "--vical",
        &s(&bad),
        "--trust-anchor",
        &root,
        "--json",
    ]);
    assert_eq!(code, 1, "{text}");
    let json: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(json["valid"], false);
    // show: labelled unverified.
    let (code, text, _) = kakunin(&["vical", "show", &s(&bad)]);
    assert_eq!(code, 0);
    assert!(text.starts_with("UNVERIFIED"), "{text}");
    // Not a VICAL: exit 2.
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"hello").unwrap();
    let (code, _, err) = kakunin(&[
        "vical",
        "verify",
        "--vical",
        &s(&junk),
        "--trust-anchor",
        &root,
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn real_aamva_list_on_a_fixed_clock() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/spec-vectors/data/vical/");
    let vical = format!("{data}aamva-20240924.vical");
    let root = format!("{data}aamva-dts-root.pem");
    let (code, text, err) = kakunin(&[
        "vical",
        "verify",
        "--vical",
        &vical,
        "--trust-anchor",
        &root,
        "--at",
        "2024-09-25T00:00:00Z",
        "--json",
    ]);
    assert_eq!(code, 0, "{text}{err}");
    let json: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(json["provider"], "AAMVA");
    assert_eq!(json["issue_id"], 616575);
    assert_eq!(json["entries"].as_array().unwrap().len(), 3);
    assert_eq!(
        json["entries"][0]["subject"]["common_name"],
        "Fast Enterprises Root"
    );
    // A day after nextUpdate: stale (exit 1), unless the grace covers it.
    let late = [
        "vical",
        "verify",
        "--vical",
        &vical,
        "--trust-anchor",
        &root,
        "--at",
        "2024-09-26T00:00:00Z",
    ];
    let (code, text, _) = kakunin(&late);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("stale"), "{text}");
    let mut graced = late.to_vec();
    graced.extend(["--grace", "86400"]);
    assert_eq!(kakunin(&graced).0, 0);
}
