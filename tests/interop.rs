//! Interop, both ways, with real peer libraries (installed by scripts/install-peers.sh):
//! Kakunin's DeviceResponse verified by @auth0/mdl (npm) and pymdoccbor (PyPI), and a
//! DeviceResponse built by @auth0/mdl's issuer and device-response builder verified by Kakunin.
//! Each peer's verdict is asserted — including that it rejects a tampered response, so an
//! accepting peer is known to have really checked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn interop() -> PathBuf {
    root().join("tests/interop")
}

fn python() -> PathBuf {
    interop().join(".venv/bin/python")
}

fn require_peers() {
    assert!(
        interop().join("node_modules/@auth0/mdl").is_dir(),
        "@auth0/mdl is not installed: run `bash scripts/install-peers.sh` (or `scripts/test`)"
    );
    let py = Command::new(python())
        .args(["-c", "import pymdoccbor"])
        .status();
    assert!(
        py.is_ok_and(|s| s.success()),
        "pymdoccbor is not installed in tests/interop/.venv: run `bash scripts/install-peers.sh`"
    );
}

fn kakunin(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .output()
        .expect("kakunin runs");
    assert!(
        out.status.success(),
        "kakunin {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run a peer script; returns (exit success, parsed JSON verdict line).
fn peer(
    program: impl AsRef<std::ffi::OsStr>,
    script: &str,
    args: &[&Path],
) -> (bool, serde_json::Value) {
    let out = Command::new(program)
        .arg(interop().join(script))
        .args(args)
        .output()
        .expect("peer runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "{script}: no JSON verdict ({e}): {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), v)
}

struct Flow {
    dir: tempfile::TempDir,
}

impl Flow {
    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.p(name).display().to_string()
    }
}

/// PKI, a batch of 3, a signed request for `elements`, and the holder's response.
fn kakunin_flow(elements: &[&str]) -> Flow {
    let f = Flow {
        dir: tempfile::tempdir().unwrap(),
    };
    let claims = root()
        .join("docs/examples/mdl-claims.json")
        .display()
        .to_string();
    kakunin(&["pki", "init", "--country", "JP", "--out", &f.s("pki")]);
    kakunin(&[
        "issue",
        "mdoc",
        "--pki",
        &f.s("pki"),
        "--claims",
        &claims,
        "--new-device-keys",
        "--count",
        "3",
        "--out",
        &f.s("wallet"),
    ]);
    let mut req = vec!["request", "--doctype", "mdl"];
    for e in elements {
        req.extend(["--element", e]);
    }
    let (cert, key, out) = (
        f.s("pki/reader.cert.pem"),
        f.s("pki/reader.key.pem"),
        f.s("request.cbor"),
    );
    req.extend(["--reader-cert", &cert, "--reader-key", &key, "--out", &out]);
    kakunin(&req);
    kakunin(&[
        "holder",
        "respond",
        "--wallet",
        &f.s("wallet"),
        "--request",
        &f.s("request.cbor"),
        "--transcript",
        &f.s("request.cbor.transcript"),
        "--reader-trust",
        &f.s("pki/reader-root.cert.pem"),
        "--out",
        &f.s("response.cbor"),
    ]);
    f
}

fn element_names(v: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = v["elements"]
        .as_object()
        .expect("elements")
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

/// Flip one byte inside the first disclosed element's value, keeping the CBOR well-formed.
fn tamper(response: &Path, out: &Path) {
    let mut bytes = std::fs::read(response).unwrap();
    let at = bytes
        .windows(11)
        .position(|w| w == b"age_over_20")
        .expect("element in response")
        + 11;
    // `age_over_20` is followed by "elementValue" and a bool (f5/f4): flip true <-> false.
    let pos = bytes[at..]
        .iter()
        .position(|b| *b == 0xf5 || *b == 0xf4)
        .expect("bool value")
        + at;
    bytes[pos] ^= 0x01;
    std::fs::write(out, bytes).unwrap();
}

#[test]
fn auth0_mdl_verifies_kakunin_response() {
    require_peers();
    let f = kakunin_flow(&["age_over_20"]);
    let (ok, v) = peer(
        "node",
        "auth0_verify.mjs",
        &[
            &f.p("response.cbor"),
            &f.p("request.cbor.transcript"),
            &f.p("pki/iaca.cert.pem"),
        ],
    );
    assert!(
        ok && v["valid"] == true,
        "@auth0/mdl rejected Kakunin's response: {v}"
    );
    assert_eq!(element_names(&v), vec!["org.iso.18013.5.1/age_over_20"]);
    assert_eq!(v["elements"]["org.iso.18013.5.1/age_over_20"], true);
    tamper(&f.p("response.cbor"), &f.p("tampered.cbor"));
    let (ok, v) = peer(
        "node",
        "auth0_verify.mjs",
        &[
            &f.p("tampered.cbor"),
            &f.p("request.cbor.transcript"),
            &f.p("pki/iaca.cert.pem"),
        ],
    );
    assert!(
        !ok && v["valid"] == false,
        "@auth0/mdl accepted a tampered response: {v}"
    );
}

#[test]
fn pymdoccbor_verifies_kakunin_response() {
    require_peers();
    let f = kakunin_flow(&["age_over_20", "portrait"]);
    let (ok, v) = peer(
        python(),
        "pymdoc_verify.py",
        &[&f.p("response.cbor"), &f.p("pki/iaca.cert.pem")],
    );
    assert!(
        ok && v["valid"] == true,
        "pymdoccbor rejected Kakunin's response: {v}"
    );
    assert_eq!(
        element_names(&v),
        vec![
            "org.iso.18013.5.1/age_over_20",
            "org.iso.18013.5.1/portrait"
        ]
    );
    tamper(&f.p("response.cbor"), &f.p("tampered.cbor"));
    let (ok, v) = peer(
        python(),
        "pymdoc_verify.py",
        &[&f.p("tampered.cbor"), &f.p("pki/iaca.cert.pem")],
    );
    assert!(
        !ok && v["valid"] == false,
        "pymdoccbor accepted a tampered response: {v}"
    );
}

#[test]
fn kakunin_verifies_auth0_mdl_response() {
    require_peers();
    let f = kakunin_flow(&["age_over_20"]);
    let (ok, v) = peer(
        "node",
        "auth0_issue.mjs",
        &[
            &f.p("pki/ds-1.key.pem"),
            &f.p("pki/ds-1.cert.pem"),
            &f.p("request.cbor.transcript"),
            &f.p("auth0.cbor"),
        ],
    );
    assert!(ok, "@auth0/mdl could not issue/present: {v}");
    let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args([
            "verify-response",
            "--response",
            &f.s("auth0.cbor"),
            "--transcript",
            &f.s("request.cbor.transcript"),
            "--trust-anchor",
            &f.s("pki/iaca.cert.pem"),
            "--json",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["valid"], true);
    let doc = &report["documents"][0];
    let elements = doc["elements"].as_array().unwrap();
    assert_eq!(elements.len(), 1, "{elements:?}");
    assert_eq!(elements[0]["identifier"], "age_over_20");
    assert_eq!(elements[0]["value"], true);
    assert_eq!(doc["deviceAuth"], "deviceSignature");
    // @auth0/mdl writes `{4: undefined}` in unprotected headers; Kakunin says so.
    assert!(doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("label(s) [4]")));
    // And a wrong transcript (another session) is caught in the device signature.
    let other = kakunin_flow(&["age_over_20"]);
    let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args([
            "verify-response",
            "--response",
            &f.s("auth0.cbor"),
            "--transcript",
            &other.s("request.cbor.transcript"),
            "--trust-anchor",
            &f.s("pki/iaca.cert.pem"),
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["documents"][0]["checks"]["device_authentication"],
        "failed"
    );
}

// --- SD-JWT VC ------------------------------------------------------------------------------

fn peer_str(
    program: impl AsRef<std::ffi::OsStr>,
    script: &str,
    args: &[&str],
) -> (bool, serde_json::Value) {
    let out = Command::new(program)
        .arg(interop().join(script))
        .args(args)
        .output()
        .expect("peer runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "{script}: no JSON verdict ({e}): {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), v)
}

/// A PKI and a Kakunin SD-JWT VC presentation of age_equal_or_over.20 for (aud, nonce).
fn kakunin_sd_jwt(aud: &str, nonce: &str) -> Flow {
    let f = Flow {
        dir: tempfile::tempdir().unwrap(),
    };
    let claims = root()
        .join("docs/examples/jp-pid-claims.json")
        .display()
        .to_string();
    kakunin(&["pki", "init", "--out", &f.s("pki")]);
    kakunin(&[
        "issue",
        "sd-jwt",
        "--pki",
        &f.s("pki"),
        "--claims",
        &claims,
        "--new-holder-keys",
        "--count",
        "2",
        "--out",
        &f.s("wallet"),
    ]);
    kakunin(&[
        "present",
        "sd-jwt",
        "--wallet",
        &f.s("wallet"),
        "--disclose",
        "age_equal_or_over.20",
        "--aud",
        aud,
        "--nonce",
        nonce,
        "--out",
        &f.s("presentation.txt"),
    ]);
    f
}

fn tamper_sd_jwt(path: &Path, out: &Path) {
    // Replace the last Disclosure before the KB-JWT by another well-formed one: its digest is
    // then referenced nowhere.
    let text = std::fs::read_to_string(path).unwrap();
    let mut parts: Vec<String> = text.trim().split('~').map(str::to_string).collect();
    let n = parts.len();
    use base64::Engine;
    parts[n - 2] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"["c2FsdHNhbHRzYWx0","20",false]"#);
    std::fs::write(out, parts.join("~")).unwrap();
}

#[test]
fn sd_jwt_peers_verify_kakunin_presentation() {
    require_peers();
    let f = kakunin_sd_jwt("till-9", "n-42");
    let args = [
        f.s("presentation.txt"),
        f.s("pki/jws-1.cert.pem"),
        "till-9".into(),
        "n-42".into(),
    ];
    let a: Vec<&str> = std::iter::once("verify")
        .chain(args.iter().map(String::as_str))
        .collect();
    for (program, script) in [
        (std::ffi::OsString::from("node"), "sdjwt_peer.mjs"),
        (python().into_os_string(), "sdjwt_peer.py"),
    ] {
        let (ok, v) = peer_str(&program, script, &a);
        assert!(
            ok && v["valid"] == true,
            "{script} rejected Kakunin's presentation: {v}"
        );
        assert_eq!(
            v["claims"]["age_equal_or_over"],
            serde_json::json!({"20": true}),
            "{script}: {v}"
        );
        assert!(
            v["claims"].get("name").is_none() && v["claims"].get("birth_date").is_none(),
            "{script}: {v}"
        );
    }
    tamper_sd_jwt(&f.p("presentation.txt"), &f.p("tampered.txt"));
    let t = [
        f.s("tampered.txt"),
        f.s("pki/jws-1.cert.pem"),
        "till-9".into(),
        "n-42".into(),
    ];
    let t: Vec<&str> = std::iter::once("verify")
        .chain(t.iter().map(String::as_str))
        .collect();
    for (program, script) in [
        (std::ffi::OsString::from("node"), "sdjwt_peer.mjs"),
        (python().into_os_string(), "sdjwt_peer.py"),
    ] {
        let (ok, v) = peer_str(&program, script, &t);
        assert!(
            !ok && v["valid"] == false,
            "{script} accepted a tampered presentation: {v}"
        );
    }
}

#[test]
fn kakunin_verifies_sd_jwt_peer_presentations() {
    require_peers();
    let f = kakunin_sd_jwt("till-9", "n-42");
    for (program, script, out) in [
        (
            std::ffi::OsString::from("node"),
            "sdjwt_peer.mjs",
            "npm.txt",
        ),
        (python().into_os_string(), "sdjwt_peer.py", "py.txt"),
    ] {
        let (ok, v) = peer_str(
            &program,
            script,
            &[
                "issue",
                &f.s("pki/jws-1.key.pem"),
                &f.s("pki/jws-1.cert.pem"),
                &f.s(out),
                "till-9",
                "n-42",
            ],
        );
        assert!(ok, "{script} could not issue/present: {v}");
        let res = Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args([
                "verify-sd-jwt",
                &f.s(out),
                "--trust-anchor",
                &f.s("pki/iaca.cert.pem"),
                "--aud",
                "till-9",
                "--nonce",
                "n-42",
                "--json",
            ])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
        assert_eq!(res.status.code(), Some(0), "{script}: {report:#}");
        assert_eq!(report["keyBound"], true);
        assert_eq!(
            report["claims"]["age_equal_or_over"],
            serde_json::json!({"20": true}),
            "{script}: {report:#}"
        );
        assert!(report["claims"].get("name").is_none());
        // Another nonce: the KB-JWT does not match.
        let res = Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args([
                "verify-sd-jwt",
                &f.s(out),
                "--trust-anchor",
                &f.s("pki/iaca.cert.pem"),
                "--aud",
                "till-9",
                "--nonce",
                "other",
            ])
            .output()
            .unwrap();
        assert_eq!(res.status.code(), Some(1));
    }
}
