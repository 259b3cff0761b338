//! `kakunin pki crl` and `verify-response --crl` as a user runs them: a revoked DS (exit 1,
//! the reason in the JSON report), a DS not listed (exit 0), PEM and DER CRLs, a CRL of another
//! CA, stale and future CRLs, and bad input (exit 2).
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

fn at(hours: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::hours(hours))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// `pki init` (two DS), an mDL issued by ds-1, requested and presented: the PKI directory,
/// the DeviceResponse and the SessionTranscript.
fn presented(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let d = |n: &str| s(&dir.join(n));
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/mdl-claims.json");
    let steps: [Vec<String>; 4] = [
        ["pki", "init", "--document-signers", "2", "--out", &d("pki")]
            .map(String::from)
            .to_vec(),
        vec![
            "issue".into(),
            "mdoc".into(),
            "--pki".into(),
            d("pki"),
            "--claims".into(),
            s(&claims),
            "--new-device-keys".into(),
            "--out".into(),
            d("wallet"),
        ],
        [
            "request",
            "--doctype",
            "mdl",
            "--element",
            "age_over_20",
            "--out",
            &d("request.cbor"),
        ]
        .map(String::from)
        .to_vec(),
        [
            "holder",
            "respond",
            "--wallet",
            &d("wallet"),
            "--request",
            &d("request.cbor"),
            "--transcript",
            &d("request.cbor.transcript"),
            "--out",
            &d("response.cbor"),
        ]
        .map(String::from)
        .to_vec(),
    ];
    for step in &steps {
        let refs: Vec<&str> = step.iter().map(String::as_str).collect();
        let (code, out, err) = kakunin(&refs);
        assert_eq!(code, 0, "{step:?}: {out}{err}");
    }
    (
        dir.join("pki"),
        dir.join("response.cbor"),
        dir.join("request.cbor.transcript"),
    )
}

fn crl(pki: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["pki", "crl", "--pki", pki.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = s(out);
    args.extend_from_slice(&["--out", &out]);
    kakunin(&args)
}

fn verify(
    pki: &Path,
    response: &Path,
    transcript: &Path,
    crls: &[&Path],
) -> (i32, serde_json::Value, String) {
    let (pki, response, transcript) = (s(&pki.join("iaca.cert.pem")), s(response), s(transcript));
    let mut args = vec![
        "verify-response",
        "--response",
        &response,
        "--transcript",
        &transcript,
        "--trust-anchor",
        &pki,
        "--json",
    ];
    let crls: Vec<String> = crls.iter().map(|p| s(p)).collect();
    for c in &crls {
        args.extend_from_slice(&["--crl", c]);
    }
    let (code, out, err) = kakunin(&args);
    let json = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
    (code, json, err)
}

#[test]
fn revoked_ds_exits_1_with_the_reason_not_listed_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (pki, response, transcript) = presented(dir.path());
    let revoked = dir.path().join("revoked.pem");
    let (code, out, err) = crl(&pki, &revoked, &["--revoke", "ds-1:keyCompromise"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 revoked"), "{out}");
    assert!(std::fs::read_to_string(&revoked)
        .unwrap()
        .starts_with("-----BEGIN X509 CRL-----"));

    let (code, v, err) = verify(&pki, &response, &transcript, &[&revoked]);
    assert_eq!(code, 1, "{v}{err}");
    let doc = &v["documents"][0];
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["checks"]["revocation"], "revoked");
    let c = &doc["revocation"]["certificates"][0];
    assert_eq!(c["reason"], "keyCompromise");
    assert!(c["serial"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(c["crl"]["thisUpdate"].is_string() && c["crl"]["nextUpdate"].is_string());

    // ds-2 revoked by hex serial, written as DER: ds-1 is not listed.
    let ds2 = std::fs::read(pki.join("ds-2.cert.pem")).unwrap();
    let ds2 = kakunin_core::trust::parse_certificate_input(&ds2).unwrap();
    let serial = hex::encode(kakunin_issuer::crl::certificate_serial(&ds2).unwrap());
    let other = dir.path().join("other.crl");
    let (code, out, err) = crl(&pki, &other, &["--revoke", &format!("{serial}:superseded")]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read(&other).unwrap()[0], 0x30, "DER");
    let (code, v, err) = verify(&pki, &response, &transcript, &[&other]);
    assert_eq!(code, 0, "{v}{err}");
    assert_eq!(v["documents"][0]["revocation"]["value"], "not_revoked");
    assert_eq!(
        v["documents"][0]["revocation"]["certificates"][0]["result"],
        "not_revoked"
    );

    // Without --crl: not checked, still valid.
    let (code, v, _) = verify(&pki, &response, &transcript, &[]);
    assert_eq!(code, 0);
    assert_eq!(v["documents"][0]["revocation"]["value"], "not_checked");

    // The text report names the revocation too.
    let (code, out, _) = kakunin(&[
        "verify-response",
        "--response",
        &s(&response),
        "--transcript",
        &s(&transcript),
        "--trust-anchor",
        &s(&pki.join("iaca.cert.pem")),
        "--crl",
        &s(&revoked),
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("revocation: revoked") && out.contains("keyCompromise"),
        "{out}"
    );
}

#[test]
fn stale_and_future_crls_exit_1_undetermined() {
    let dir = tempfile::tempdir().unwrap();
    let (pki, response, transcript) = presented(dir.path());
    let stale = dir.path().join("stale.pem");
    let (code, _, err) = crl(
        &pki,
        &stale,
        &["--at", &at(-30), "--next-update-hours", "24"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, v, err) = verify(&pki, &response, &transcript, &[&stale]);
    assert_eq!(code, 1, "{v}{err}");
    assert_eq!(v["documents"][0]["revocation"]["value"], "stale");
    let overdue = v["documents"][0]["revocation"]["certificates"][0]["overdueSeconds"]
        .as_i64()
        .unwrap();
    assert!(
        (6 * 3600 - 60..=6 * 3600 + 60).contains(&overdue),
        "{overdue}"
    );

    let future = dir.path().join("future.pem");
    let (code, _, err) = crl(&pki, &future, &["--at", &at(2)]);
    assert_eq!(code, 0, "{err}");
    let (code, v, _) = verify(&pki, &response, &transcript, &[&future]);
    assert_eq!(code, 1);
    assert_eq!(v["documents"][0]["revocation"]["value"], "undetermined");
    assert_eq!(
        v["documents"][0]["revocation"]["certificates"][0]["result"],
        "not_yet_valid"
    );
}

#[test]
fn wrong_ca_and_bad_input_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (pki, response, transcript) = presented(dir.path());
    // The reader root's CRL given with the IACA as trust anchor.
    let reader_crl = dir.path().join("reader.pem");
    let (code, _, err) = crl(
        &pki,
        &reader_crl,
        &[
            "--issuer",
            "reader-root",
            "--revoke",
            "reader:cessationOfOperation",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = verify(&pki, &response, &transcript, &[&reader_crl]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("CRL refused"), "{err}");

    // Not a CRL at all.
    let junk = dir.path().join("junk.crl");
    std::fs::write(&junk, b"\x30\x03\x02\x01\x01").unwrap();
    let (code, _, err) = verify(&pki, &response, &transcript, &[&junk]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("malformed"), "{err}");
    // A certificate is not a CRL.
    let (code, _, _) = verify(&pki, &response, &transcript, &[&pki.join("iaca.cert.pem")]);
    assert_eq!(code, 2);
    // A missing file.
    let (code, _, _) = verify(&pki, &response, &transcript, &[&dir.path().join("nope")]);
    assert_eq!(code, 2);

    // pki crl usage errors.
    let out = dir.path().join("x.pem");
    for bad in [
        &["--revoke", "ds-1:notAReason"][..],
        &["--revoke", "zz-not-hex"],
        &["--revoke", "ds-1:removeFromCRL"],
        &["--issuer", "ds-1"],
        &["--next-update-hours", "0"],
    ] {
        let (code, _, err) = crl(&pki, &out, bad);
        assert_eq!(code, 2, "{bad:?}: {err}");
    }
    assert!(!out.exists());
}

#[test]
fn verify_sd_jwt_checks_the_x5c_chain_against_crls() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| s(&dir.path().join(n));
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/jp-pid-claims.json");
    assert_eq!(kakunin(&["pki", "init", "--out", &d("pki")]).0, 0);
    let (code, out, err) = kakunin(&[
        "issue",
        "sd-jwt",
        "--pki",
        &d("pki"),
        "--claims",
        claims.to_str().unwrap(),
        "--new-holder-keys",
        "--out",
        &d("wallet"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = kakunin(&[
        "present",
        "sd-jwt",
        "--wallet",
        &d("wallet"),
        "--disclose",
        "age_equal_or_over.20",
        "--aud",
        "till-1",
        "--nonce",
        "n1",
        "--out",
        &d("p.txt"),
    ]);
    assert_eq!(code, 0, "{err}");
    let pki = dir.path().join("pki");
    let verify = |crl: &str| {
        let (code, out, err) = kakunin(&[
            "verify-sd-jwt",
            &d("p.txt"),
            "--trust-anchor",
            &d("pki/iaca.cert.pem"),
            "--aud",
            "till-1",
            "--nonce",
            "n1",
            "--crl",
            crl,
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
        (code, v, err)
    };
    let revoked = dir.path().join("jws-revoked.pem");
    assert_eq!(crl(&pki, &revoked, &["--revoke", "jws-1:superseded"]).0, 0);
    let (code, v, err) = verify(&s(&revoked));
    assert_eq!(code, 1, "{v}{err}");
    assert_eq!(v["valid"], false);
    assert_eq!(v["checks"]["revocation"], "revoked");
    assert_eq!(v["revocation"]["certificates"][0]["reason"], "superseded");

    let other = dir.path().join("ds-revoked.pem");
    assert_eq!(crl(&pki, &other, &["--revoke", "ds-1"]).0, 0);
    let (code, v, err) = verify(&s(&other));
    assert_eq!(code, 0, "{v}{err}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["checks"]["revocation"], "not_revoked");
}

#[test]
fn holder_sim_serve_refuses_a_reader_its_reader_crl_revokes() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let (pki, _, _) = presented(dir.path());
    let d = |n: &str| s(&dir.path().join(n));
    let revoked = dir.path().join("reader-revoked.pem");
    let (code, _, err) = crl(
        &pki,
        &revoked,
        &[
            "--issuer",
            "reader-root",
            "--revoke",
            "reader:keyCompromise",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut holder = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args([
            "holder-sim",
            "serve",
            "--wallet",
            &d("wallet"),
            "--ble-sim",
            "--reader-trust",
            &d("pki/reader-root.cert.pem"),
            "--reader-crl",
            &s(&revoked),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(holder.stdout.take().unwrap()).lines();
    let uri = lines.next().unwrap().unwrap();
    assert!(uri.starts_with("mdoc:"), "{uri}");
    let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
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
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let _ = holder.wait().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Nothing is disclosed to a revoked reader.
    assert_ne!(out.status.code(), Some(0), "{stdout}");
    assert!(
        !stdout.contains("age_over_20\", \"value\": true"),
        "{stdout}"
    );
    let text = rest.join("\n");
    assert!(text.contains("revoked"), "{text}");
    assert!(!text.contains("(authenticated)"), "{text}");

    // --reader-crl without --reader-trust is a usage error.
    let (code, _, _) = kakunin(&[
        "holder-sim",
        "serve",
        "--wallet",
        &d("wallet"),
        "--ble-sim",
        "--reader-crl",
        &s(&revoked),
    ]);
    assert_eq!(code, 2);
}
