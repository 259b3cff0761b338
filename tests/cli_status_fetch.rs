#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Revocation end to end, as a user runs it: `issue mdoc --status-uri/--status-index` and
//! `issue sd-jwt --status-list/--status-index` put a batch on a list, `status build` marks one
//! credential INVALID, `status fetch` caches the list from a server on 127.0.0.1, and
//! `verify-response` / `verify-sd-jwt --status-cache` (and the till's verdict API) refuse the
//! revoked presentation and accept the other; no cached list is undetermined.

use kakunin_status_fetch::StatusCache;
use kakunin_verifier::{AgePolicy, NgReason, StatusOptions, Verdict};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

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

/// A server on 127.0.0.1 that answers every GET with the current `body` (and its ETag),
/// or 404 while there is none. Returns its base URL.
fn serve(body: Arc<Mutex<Option<Vec<u8>>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        // Bounded: this test makes a handful of requests.
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                if stream.read(&mut byte).unwrap_or(0) == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            let answer = match body.lock().unwrap().clone() {
                Some(b) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nETag: \"{}\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        b.len(),
                        b.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(&b);
                    r
                }
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&answer);
        }
    });
    url
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

fn build_list(dir: &Path, uri: &str, signer: &str, format: &str, revoked: u64, out: &str) {
    let set = format!("{revoked}=INVALID");
    let (code, stdout, err) = kakunin(&[
        "status",
        "build",
        "--pki",
        &p(dir, "pki"),
        "--signer",
        signer,
        "--uri",
        uri,
        "--bits",
        "1",
        "--size",
        "64",
        "--set",
        &set,
        "--format",
        format,
        "--ttl",
        "3600",
        "--out",
        &p(dir, out),
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
}

fn fetch(dir: &Path, uri: &str, cache: &str) {
    let (code, out, err) = kakunin(&["status", "fetch", "--uri", uri, "--cache", &p(dir, cache)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("bytes cached"), "{out}");
}

/// `verify-response ... --status-cache CACHE --json`: exit code and report.
fn verify_response(dir: &Path, response: &str, cache: &str) -> (i32, serde_json::Value) {
    let (code, out, err) = kakunin(&[
        "verify-response",
        "--response",
        &p(dir, response),
        "--transcript",
        &p(dir, "request.cbor.transcript"),
        "--trust-anchor",
        &p(dir, "pki/iaca.cert.pem"),
        "--status-cache",
        &p(dir, cache),
        "--json",
    ]);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}")),
    )
}

#[test]
fn mdoc_revoked_by_its_status_list() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let body = Arc::new(Mutex::new(None));
    let base = serve(body.clone());
    let uri = format!("{base}/status/mdl");
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/mdl-claims.json");
    assert_eq!(kakunin(&["pki", "init", "--out", &p(d, "pki")]).0, 0);
    let (code, out, err) = kakunin(&[
        "issue",
        "mdoc",
        "--pki",
        &p(d, "pki"),
        "--claims",
        claims.to_str().unwrap(),
        "--new-device-keys",
        "--count",
        "2",
        "--status-uri",
        &uri,
        "--status-index",
        "5",
        "--out",
        &p(d, "wallet"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("indices 5..=6"), "{out}");

    // Credential 5 is revoked; a CWT list (the mdoc form) signed by the Document Signer.
    build_list(d, &uri, "ds-1", "cwt", 5, "list.cwt");
    *body.lock().unwrap() = Some(std::fs::read(d.join("list.cwt")).unwrap());
    fetch(d, &uri, "cache");

    let (code, out, err) = kakunin(&[
        "request",
        "--doctype",
        "mdl",
        "--element",
        "age_over_20",
        "--out",
        &p(d, "request.cbor"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let mut by_index = std::collections::BTreeMap::new();
    for name in ["r1.cbor", "r2.cbor"] {
        let (code, out, err) = kakunin(&[
            "holder",
            "respond",
            "--wallet",
            &p(d, "wallet"),
            "--request",
            &p(d, "request.cbor"),
            "--transcript",
            &p(d, "request.cbor.transcript"),
            "--out",
            &p(d, name),
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, report) = verify_response(d, name, "cache");
        let doc = &report["documents"][0];
        let idx = doc["statusCheck"]["idx"].as_u64().unwrap();
        by_index.insert(idx, (name, code, report.clone()));
    }
    let (revoked, code, report) = by_index.get(&5).unwrap().clone();
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["valid"], false);
    assert_eq!(report["documents"][0]["checks"]["status"], "invalid");
    assert_eq!(
        report["documents"][0]["checks"]["device_authentication"],
        "passed"
    );
    assert_eq!(report["documents"][0]["statusCheck"]["uri"], uri.as_str());
    let (fine, code, report) = by_index.get(&6).unwrap().clone();
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["valid"], true);
    assert_eq!(report["documents"][0]["checks"]["status"], "valid");

    // The till's verdict API over the same cache: NG revoked, and OK.
    let anchors = kakunin_core::trust::TrustAnchors::from_der_certs([
        kakunin_core::trust::parse_certificate_input(
            &std::fs::read(d.join("pki/iaca.cert.pem")).unwrap(),
        )
        .unwrap(),
    ])
    .unwrap();
    let cache = StatusCache::open(d.join("cache")).unwrap();
    let transcript = std::fs::read(d.join("request.cbor.transcript")).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let decide = |name: &str| {
        let response = std::fs::read(d.join(name)).unwrap();
        let report = kakunin_verifier::Verifier::new(&anchors)
            .with_status(StatusOptions::new(&cache))
            .verify_device_response(&response, &transcript, now);
        AgePolicy::default().decide_mdoc(&report).verdict
    };
    assert_eq!(decide(revoked), Verdict::Ng(NgReason::Revoked));
    assert_eq!(decide(fine), Verdict::Ok);

    // No cache entry: undetermined (unreachable), exit 1; NG status_unknown.
    std::fs::create_dir(d.join("empty")).unwrap();
    let (code, report) = verify_response(d, fine, "empty");
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["documents"][0]["checks"]["status"], "undetermined");
    assert_eq!(
        report["documents"][0]["statusCheck"]["reason"],
        "unreachable"
    );
    let empty = StatusCache::open(d.join("empty")).unwrap();
    let response = std::fs::read(d.join(fine)).unwrap();
    let report = kakunin_verifier::Verifier::new(&anchors)
        .with_status(StatusOptions::new(&empty))
        .verify_device_response(&response, &transcript, now);
    assert_eq!(
        AgePolicy::default().decide_mdoc(&report).verdict,
        Verdict::Ng(NgReason::StatusUnknown)
    );

    // Without --status-cache the status is not checked and the report stays as before.
    let (code, out, _) = kakunin(&[
        "verify-response",
        "--response",
        &p(d, revoked),
        "--transcript",
        &p(d, "request.cbor.transcript"),
        "--trust-anchor",
        &p(d, "pki/iaca.cert.pem"),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "{out}");
    assert_eq!(v["documents"][0]["checks"]["status"], "not_checked");

    // A list signed by another PKI's Document Signer is never trusted: undetermined (signer).
    assert_eq!(kakunin(&["pki", "init", "--out", &p(d, "other")]).0, 0);
    let (code, out, err) = kakunin(&[
        "status",
        "build",
        "--pki",
        &p(d, "other"),
        "--uri",
        &uri,
        "--bits",
        "1",
        "--size",
        "64",
        "--format",
        "cwt",
        "--out",
        &p(d, "foreign.cwt"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    *body.lock().unwrap() = Some(std::fs::read(d.join("foreign.cwt")).unwrap());
    fetch(d, &uri, "cache2");
    let (code, report) = verify_response(d, fine, "cache2");
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["documents"][0]["statusCheck"]["reason"], "signer");
}

#[test]
fn sd_jwt_vc_revoked_by_its_status_list() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let body = Arc::new(Mutex::new(None));
    let base = serve(body.clone());
    let uri = format!("{base}/status/pid");
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/jp-pid-claims.json");
    assert_eq!(kakunin(&["pki", "init", "--out", &p(d, "pki")]).0, 0);
    let (code, out, err) = kakunin(&[
        "issue",
        "sd-jwt",
        "--pki",
        &p(d, "pki"),
        "--claims",
        claims.to_str().unwrap(),
        "--new-holder-keys",
        "--count",
        "2",
        "--status-list",
        &uri,
        "--status-index",
        "0",
        "--out",
        &p(d, "wallet"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // Credential 1 is revoked; a JWT list signed by the JWS signer of the same IACA.
    build_list(d, &uri, "jws-1", "jwt", 1, "list.jwt");
    *body.lock().unwrap() = Some(std::fs::read(d.join("list.jwt")).unwrap());
    fetch(d, &uri, "cache");

    let anchors = kakunin_core::trust::TrustAnchors::from_der_certs([
        kakunin_core::trust::parse_certificate_input(
            &std::fs::read(d.join("pki/iaca.cert.pem")).unwrap(),
        )
        .unwrap(),
    ])
    .unwrap();
    let cache = StatusCache::open(d.join("cache")).unwrap();
    let mut seen = Vec::new();
    for nonce in ["n1", "n2"] {
        let file = format!("p-{nonce}.txt");
        let (code, _, err) = kakunin(&[
            "present",
            "sd-jwt",
            "--wallet",
            &p(d, "wallet"),
            "--disclose",
            "age_equal_or_over.20",
            "--aud",
            "till-1",
            "--nonce",
            nonce,
            "--out",
            &p(d, &file),
        ]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = kakunin(&[
            "verify-sd-jwt",
            &p(d, &file),
            "--trust-anchor",
            &p(d, "pki/iaca.cert.pem"),
            "--aud",
            "till-1",
            "--nonce",
            nonce,
            "--status-cache",
            &p(d, "cache"),
            "--json",
        ]);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
        let idx = v["statusCheck"]["idx"].as_u64().unwrap();
        assert_eq!(v["claims"]["status"]["status_list"]["idx"], idx);
        if idx == 1 {
            assert_eq!(code, 1, "{v}");
            assert_eq!(v["valid"], false);
            assert_eq!(v["checks"]["status"], "invalid");
        } else {
            assert_eq!(code, 0, "{v}");
            assert_eq!(v["valid"], true);
            assert_eq!(v["checks"]["status"], "valid");
        }
        // The verdict API: NG revoked for index 1, OK for the other.
        let text = std::fs::read_to_string(d.join(&file)).unwrap();
        let now = time::OffsetDateTime::now_utc();
        let kb = kakunin_core::sdjwt::KbRequirements {
            required: true,
            aud: "till-1",
            nonce,
            max_age: time::Duration::minutes(5),
            max_skew: time::Duration::minutes(1),
        };
        let c = kakunin_core::crypto::default_provider();
        let verified = kakunin_core::sdjwt::verify_sd_jwt_vc(
            c,
            text.trim(),
            kakunin_core::sdjwt::IssuerKey::X5c(&anchors),
            Some(&kb),
            false,
            now,
        )
        .unwrap();
        let status = kakunin_verifier::status::sd_jwt_status(
            c,
            &verified,
            kakunin_verifier::status::SdJwtIssuer::X5c(&anchors),
            Some(&StatusOptions::new(&cache)),
            now,
        );
        let verdict = AgePolicy::default()
            .decide_sd_jwt_with_status(&Ok((0, vec![Ok(verified)])), &[status])
            .verdict;
        if idx == 1 {
            assert_eq!(verdict, Verdict::Ng(NgReason::Revoked));
        } else {
            assert_eq!(verdict, Verdict::Ok);
        }
        seen.push(idx);
    }
    seen.sort_unstable();
    assert_eq!(seen, [0, 1]);

    // No list cached: undetermined, exit 1.
    std::fs::create_dir(d.join("empty")).unwrap();
    let (code, out, _) = kakunin(&[
        "verify-sd-jwt",
        &p(d, "p-n1.txt"),
        "--trust-anchor",
        &p(d, "pki/iaca.cert.pem"),
        "--aud",
        "till-1",
        "--nonce",
        "n1",
        "--status-cache",
        &p(d, "empty"),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["checks"]["status"], "undetermined");
    assert_eq!(v["statusCheck"]["reason"], "unreachable");
}

#[test]
fn fetch_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cache = p(dir.path(), "c");
    for (args, needle) in [
        (
            vec!["--uri", "ftp://issuer.example/s/1", "--cache", &cache],
            "not an http:// or https://",
        ),
        (
            vec![
                "--uri",
                "http://127.0.0.1:9/s",
                "--cache",
                &cache,
                "--https-only",
            ],
            "--https-only",
        ),
        (
            vec![
                "--uri",
                "https://127.0.0.1:9/s",
                "--cache",
                &cache,
                "--ca",
                "/nonexistent/ca.pem",
            ],
            "ca.pem",
        ),
        (
            vec![
                "--uri",
                "http://127.0.0.1:9/s",
                "--cache",
                &cache,
                "--accept",
                "xml",
            ],
            "--accept",
        ),
    ] {
        let mut all = vec!["status", "fetch"];
        all.extend(args);
        let (code, _, err) = kakunin(&all);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(needle), "{err}");
    }
    // Nothing listening: a runtime failure, exit 3.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let uri = format!("http://127.0.0.1:{port}/s");
    let (code, _, err) = kakunin(&[
        "status",
        "fetch",
        "--uri",
        &uri,
        "--cache",
        &cache,
        "--timeout",
        "2",
    ]);
    assert_eq!(code, 3, "{err}");
}
