//! The command line as a user runs it: exit codes, text and JSON output, input formats.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::Command;

fn annex(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("spec-vectors/data/annex-d")
        .join(name)
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

fn p(name: &str) -> String {
    annex(name).display().to_string()
}

fn verify_args<'a>(response: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "verify-response".into(),
        "--response".into(),
        response.into(),
        "--transcript".into(),
        p("session_transcript_bytes.hex"),
        "--trust-anchor".into(),
        p("iaca_cert.der.hex"),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run(args: &[String]) -> (i32, String, String) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    kakunin(&refs)
}

#[test]
fn vectors_all_pass() {
    let (code, out, _) = kakunin(&["vectors"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" 0 failed"), "{out}");
    let (code, out, _) = kakunin(&["vectors", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["failed"], 0);
    assert!(v["passed"].as_u64().unwrap() >= 90);
    let suites: Vec<&str> = v["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["suite"].as_str().unwrap())
        .collect();
    assert_eq!(
        suites,
        [
            "annex-d",
            "handovers",
            "rfc9901",
            "sd-jwt-python",
            "status-list",
            "vical"
        ]
    );
}

#[test]
fn verify_response_valid_json() {
    let resp = p("device_response.hex");
    let key = p("e_reader_key_priv_d.hex");
    let (code, out, err) = run(&verify_args(
        &resp,
        &[
            "--reader-key",
            &key,
            "--at",
            "2021-01-01T00:00:00Z",
            "--json",
        ],
    ));
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["valid"], true);
    let doc = &v["documents"][0];
    assert_eq!(doc["docType"], "org.iso.18013.5.1.mDL");
    assert_eq!(doc["checks"]["issuer_signature"], "passed");
    assert_eq!(doc["checks"]["device_authentication"], "passed");
    let elements = doc["elements"].as_array().unwrap();
    assert_eq!(elements.len(), 6);
    let family = elements
        .iter()
        .find(|e| e["identifier"] == "family_name")
        .unwrap();
    assert_eq!(family["value"], "Doe");
    assert_eq!(family["verified"], true);
}

#[test]
fn verify_response_invalid_exit_1() {
    // Without the reader key, DeviceMac cannot be verified: invalid, exit 1.
    let resp = p("device_response.hex");
    let (code, out, _) = run(&verify_args(
        &resp,
        &["--at", "2021-01-01T00:00:00Z", "--json"],
    ));
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(
        v["documents"][0]["errors"][0]["code"],
        "device_mac_needs_reader_key"
    );
    // Verified today, the Annex D certificates have long expired.
    let key = p("e_reader_key_priv_d.hex");
    let (code, out, _) = run(&verify_args(&resp, &["--reader-key", &key]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("INVALID") && out.contains("expired"), "{out}");
}

#[test]
fn verify_response_raw_binary_input() {
    let dir = std::env::temp_dir().join(format!("kakunin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join("response.cbor");
    let hex_text = std::fs::read_to_string(annex("device_response.hex")).unwrap();
    std::fs::write(&raw, hex::decode(hex_text.trim()).unwrap()).unwrap();
    let key = p("e_reader_key_priv_d.hex");
    let (code, out, _) = run(&verify_args(
        raw.to_str().unwrap(),
        &["--reader-key", &key, "--at", "2021-01-01T00:00:00Z"],
    ));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("VALID") && out.contains("family_name = \"Doe\""),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_and_input_errors_exit_2() {
    let (code, _, _) = kakunin(&["verify-response"]);
    assert_eq!(code, 2);
    let (code, _, err) = run(&verify_args("/nonexistent/response", &[]));
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/response"), "{err}");
    let resp = p("device_response.hex");
    let (code, _, err) = run(&verify_args(&resp, &["--at", "yesterday"]));
    assert_eq!(code, 2);
    assert!(err.contains("RFC 3339"), "{err}");
    // A DeviceResponse given as the trust anchor is not a certificate.
    let (code, _, err) = kakunin(&[
        "verify-response",
        "--response",
        &resp,
        "--transcript",
        &p("session_transcript_bytes.hex"),
        "--trust-anchor",
        &resp,
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn verify_request_reader_auth() {
    let (code, out, err) = kakunin(&[
        "verify-request",
        "--request",
        &p("device_request.hex"),
        "--transcript",
        &p("session_transcript_bytes.hex"),
        "--trust-anchor",
        &p("reader_root_cert.der.hex"),
        "--at",
        "2021-01-01T00:00:00Z",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("READER AUTHENTICATED") && out.contains("\"reader\""),
        "{out}"
    );
    assert!(
        out.contains("org.iso.18013.5.1/portrait\n"),
        "portrait has intentToRetain false: {out}"
    );
}

#[test]
fn inspect_decodes_tag24_contents() {
    let (code, out, _) = kakunin(&["inspect", &p("device_response.hex")]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# DeviceResponse"), "{out}");
    // IssuerSignedItemBytes and the MSO inside the issuerAuth payload are shown decoded.
    assert!(out.contains("24(<< {"), "{out}");
    assert!(
        out.contains("\"elementIdentifier\": \"family_name\""),
        "{out}"
    );
    assert!(out.contains("\"valueDigests\""), "{out}");
    let (code, out, _) = kakunin(&["inspect", &p("derived_device_engagement_qr_uri.txt")]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# DeviceEngagement"), "{out}");
    let (code, out, _) = kakunin(&["inspect", &p("session_establishment.hex")]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# SessionEstablishment"), "{out}");
    let (code, _, _) = kakunin(&["inspect", &p("README.md")]);
    assert_eq!(code, 2);
}

/// The lines of the section that starts with the step heading containing `heading`, up to
/// the next step.
fn section<'a>(out: &'a str, heading: &str) -> Vec<&'a str> {
    out.lines()
        .skip_while(|l| !(l.starts_with('[') && l.contains(heading)))
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .collect()
}

#[test]
fn demo_runs_end_to_end() {
    let (code, out, err) = kakunin(&["demo"]);
    assert_eq!(code, 0, "{out}{err}");
    // It begins with the JPKI proofing step: the virtual card, the issuer service over HTTP.
    let first = out.lines().find(|l| l.starts_with("[2]")).unwrap();
    assert!(first.contains("JPKI-SIM"), "{out}");
    let enrol = section(&out, "enrols with the virtual My Number card").join("\n");
    assert!(
        enrol.contains("proofing method jpki_card, level IAL3"),
        "{out}"
    );
    assert!(
        enrol.contains("taken from the signature certificate (an invented person): name 確認　太郎, born 1990-01-02"),
        "{out}"
    );
    assert!(enrol.contains("PIN presented"), "{out}");
    assert!(enrol.contains("5 PID mdocs and 5 PID SD-JWT VCs"), "{out}");
    // The JPKI-issued PID mdoc: status checked on the issuer's list, age_over_20 only, OK.
    let checks = section(&out, "Store till: verifies everything");
    assert!(
        checks
            .iter()
            .any(|l| l.starts_with("    [valid] status (list http://127.0.0.1:")),
        "{checks:?}"
    );
    let pid = section(&out, "What the till learned from the JPKI-issued PID mdoc");
    let learned: Vec<&str> = pid.iter().copied().filter(|l| l.contains(" = ")).collect();
    assert_eq!(
        learned,
        ["    org.kakunin.jp.pid.1/age_over_20 = true"],
        "{out}"
    );
    assert!(
        pid.iter()
            .any(|l| l.contains("verdict: OK - over 20") && l.contains("JPKI-issued PID mdoc")),
        "{out}"
    );

    // The JPKI-issued PID as SD-JWT VC: age_equal_or_over.20 and nothing else, OK.
    let sd = section(&out, "What the till learned from the SD-JWT VC");
    let learned: Vec<&str> = sd.iter().copied().filter(|l| l.contains(" = ")).collect();
    assert_eq!(learned, ["    age_equal_or_over = {\"20\":true}"], "{out}");
    assert!(
        sd.iter().any(|l| l.contains("verdict: OK - over 20")
            && l.contains("JPKI-issued PID SD-JWT VC")),
        "{out}"
    );

    // The mDL leg: the till learned two elements (age and portrait) and nothing else.
    let mdl = section(&out, "What the till learned from the mDL");
    let learned: Vec<&str> = mdl.iter().copied().filter(|l| l.contains(" = ")).collect();
    assert_eq!(learned.len(), 2, "{learned:?}");
    assert!(
        learned.contains(&"    org.iso.18013.5.1/age_over_20 = true"),
        "{out}"
    );
    assert_eq!(out.matches("verdict: OK - over 20").count(), 3, "{out}");
}

#[test]
fn issue_request_respond_verify_via_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/mdl-claims.json");
    let (code, out, err) = kakunin(&["pki", "init", "--country", "JP", "--out", &d("pki")]);
    assert_eq!(code, 0, "{out}{err}");
    // Keys are private to the owner.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("pki/iaca.key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second init into the same directory is refused.
    let (code, _, err) = kakunin(&["pki", "init", "--country", "JP", "--out", &d("pki")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refusing to overwrite"), "{err}");

    let (code, out, err) = kakunin(&[
        "issue",
        "mdoc",
        "--pki",
        &d("pki"),
        "--claims",
        claims.to_str().unwrap(),
        "--new-device-keys",
        "--count",
        "3",
        "--out",
        &d("wallet"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = kakunin(&["holder", "list", "--wallet", &d("wallet")]);
    assert_eq!(code, 0);
    assert!(out.contains("3 credential(s), 3 unused"), "{out}");

    let (code, out, err) = kakunin(&[
        "request",
        "--doctype",
        "mdl",
        "--element",
        "age_over_20",
        "--reader-cert",
        &d("pki/reader.cert.pem"),
        "--reader-key",
        &d("pki/reader.key.pem"),
        "--out",
        &d("request.cbor"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // The reader's ephemeral private key made with the new session is the owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = dir
            .path()
            .join("request.cbor.transcript.reader-ephemeral-key.pem");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key.display());
    }
    let (code, out, err) = kakunin(&[
        "holder",
        "respond",
        "--wallet",
        &d("wallet"),
        "--request",
        &d("request.cbor"),
        "--transcript",
        &d("request.cbor.transcript"),
        "--reader-trust",
        &d("pki/reader-root.cert.pem"),
        "--out",
        &d("response.cbor"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Kakunin test reader (authenticated)") && out.contains("2 unused left"),
        "{out}"
    );

    let (code, out, err) = kakunin(&[
        "verify-response",
        "--response",
        &d("response.cbor"),
        "--transcript",
        &d("request.cbor.transcript"),
        "--trust-anchor",
        &d("pki/iaca.cert.pem"),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let elements = v["documents"][0]["elements"].as_array().unwrap();
    assert_eq!(elements.len(), 1);
    assert_eq!(elements[0]["identifier"], "age_over_20");
    assert_eq!(elements[0]["value"], true);

    // Claims are validated with errors naming the field.
    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"family_name": "X", "birth_date": "2000-13-01"}"#,
    )
    .unwrap();
    let (code, _, err) = kakunin(&[
        "issue",
        "mdoc",
        "--pki",
        &d("pki"),
        "--claims",
        &d("bad.json"),
        "--new-device-keys",
        "--out",
        &d("w2"),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("given_name") || err.contains("birth_date"),
        "{err}"
    );
}

/// `pki init` into `dir/pki`, `issue sd-jwt` (two credentials, plus `extra` flags) into
/// `dir/wallet`, and `present sd-jwt` of `age_equal_or_over.20` to aud `till-1`, nonce `n1`,
/// into `dir/p.txt`.
fn sd_jwt_presentation(dir: &std::path::Path, extra: &[&str]) {
    let d = |n: &str| dir.join(n).display().to_string();
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/jp-pid-claims.json");
    assert_eq!(kakunin(&["pki", "init", "--out", &d("pki")]).0, 0);
    let (pki, wallet) = (d("pki"), d("wallet"));
    let mut args = vec![
        "issue",
        "sd-jwt",
        "--pki",
        &pki,
        "--claims",
        claims.to_str().unwrap(),
        "--new-holder-keys",
        "--count",
        "2",
        "--out",
        &wallet,
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = kakunin(&args);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = kakunin(&[
        "present",
        "sd-jwt",
        "--wallet",
        &wallet,
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
}

/// `verify-sd-jwt FILE KEY_FLAG KEY --aud till-1 --nonce NONCE [--json]`: exit code and stdout.
fn verify_sd_jwt(file: &str, key_flag: &str, key: &str, nonce: &str, json: bool) -> (i32, String) {
    let mut args = vec![
        "verify-sd-jwt",
        file,
        key_flag,
        key,
        "--aud",
        "till-1",
        "--nonce",
        nonce,
    ];
    if json {
        args.push("--json");
    }
    let (code, out, _) = kakunin(&args);
    (code, out)
}

/// The public key of `pki/jws-1.cert.pem` as a JWK file at `out`.
fn jws_signer_jwk(pki: &str, out: &str) {
    let cert = std::fs::read(format!("{pki}/jws-1.cert.pem")).unwrap();
    let der = kakunin_core::trust::parse_certificate_input(&cert).unwrap();
    let cert = <x509_cert::Certificate as der::Decode>::from_der(&der).unwrap();
    let key = kakunin_core::trust::certificate_public_key(&cert, 0).unwrap();
    std::fs::write(out, kakunin_core::sdjwt::key_to_jwk(&key).to_string()).unwrap();
}

#[test]
fn sd_jwt_vc_issue_present_verify_via_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    sd_jwt_presentation(dir.path(), &[]);
    let (code, out) = verify_sd_jwt(
        &d("p.txt"),
        "--trust-anchor",
        &d("pki/iaca.cert.pem"),
        "n1",
        true,
    );
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(
        v["claims"]["age_equal_or_over"],
        serde_json::json!({"20": true})
    );
    for hidden in ["name", "birth_date", "resident_address", "sex"] {
        assert!(v["claims"].get(hidden).is_none(), "{hidden} leaked");
    }
    // Wrong nonce (replay into another session): invalid, exit 1.
    let (code, out) = verify_sd_jwt(
        &d("p.txt"),
        "--trust-anchor",
        &d("pki/iaca.cert.pem"),
        "n2",
        false,
    );
    assert_eq!(code, 1);
    assert!(out.contains("nonce"), "{out}");
    // The same as JSON, shaped like verify-response: which check failed, and why.
    let (code, out) = verify_sd_jwt(
        &d("p.txt"),
        "--trust-anchor",
        &d("pki/iaca.cert.pem"),
        "n2",
        true,
    );
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["code"], "kb_nonce");
    assert_eq!(v["errors"][0]["check"], "key_binding");
    assert_eq!(v["errors"][0]["cause"], "failed check");
    assert_eq!(v["checks"]["issuer_signature"], "passed");
    assert_eq!(v["checks"]["key_binding"], "failed");
    assert_eq!(v["checks"]["vc_claims"], "not_performed");
    // Another IACA: untrusted.
    assert_eq!(kakunin(&["pki", "init", "--out", &d("pki2")]).0, 0);
    let (code, out) = verify_sd_jwt(
        &d("p.txt"),
        "--trust-anchor",
        &d("pki2/iaca.cert.pem"),
        "n1",
        false,
    );
    assert_eq!(code, 1, "{out}");
    // The same presentation in the JWS JSON Serialization (RFC 9901 §8) verifies alike.
    let compact = std::fs::read_to_string(d("p.txt")).unwrap();
    let json = kakunin_core::sdjwt::JsonSdJwt::from_compact(compact.trim())
        .unwrap()
        .to_json();
    std::fs::write(d("p.json"), json).unwrap();
    let (code, out) = verify_sd_jwt(
        &d("p.json"),
        "--trust-anchor",
        &d("pki/iaca.cert.pem"),
        "n1",
        true,
    );
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["claims"]["age_equal_or_over"],
        serde_json::json!({"20": true})
    );
}

/// `_sd_alg` by configuration, the `status` claim carried through, and the issuer key as a
/// configured JWK instead of an `x5c` chain.
#[test]
fn sd_jwt_vc_sd_alg_status_and_issuer_jwk_via_cli() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    sd_jwt_presentation(
        dir.path(),
        &[
            "--sd-alg",
            "sha-384",
            "--status-list",
            "https://status.kakunin.invalid/lists/1",
            "--status-index",
            "7",
        ],
    );
    let presentation = std::fs::read_to_string(d("p.txt")).unwrap();
    let payload = presentation
        .split('~')
        .next()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    let payload: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["_sd_alg"], "sha-384");
    assert_eq!(payload["nbf"], payload["iat"]);

    // The issuer's key as a JWK file.
    jws_signer_jwk(&d("pki"), &d("issuer.jwk"));
    let (code, out) = verify_sd_jwt(&d("p.txt"), "--issuer-jwk", &d("issuer.jwk"), "n1", true);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["claims"]["age_equal_or_over"],
        serde_json::json!({"20": true})
    );
    assert_eq!(v["checks"]["issuer_certificate_chain"], "not_performed");
    assert_eq!(v["checks"]["key_binding"], "passed");
    let idx = &v["claims"]["status"]["status_list"]["idx"];
    assert!(idx == 7 || idx == 8, "{v}");
    assert_eq!(
        v["claims"]["status"]["status_list"]["uri"],
        "https://status.kakunin.invalid/lists/1"
    );
    // Another issuer's key: invalid.
    assert_eq!(kakunin(&["pki", "init", "--out", &d("pki2")]).0, 0);
    jws_signer_jwk(&d("pki2"), &d("other.jwk"));
    let (code, out) = verify_sd_jwt(&d("p.txt"), "--issuer-jwk", &d("other.jwk"), "n1", false);
    assert_eq!(code, 1, "{out}");
    // Neither a trust anchor nor a key: usage error.
    let (code, _, _) = kakunin(&["verify-sd-jwt", &d("p.txt"), "--aud", "a", "--nonce", "n"]);
    assert_eq!(code, 2);
}

/// Issuance, presentation and verification on a fixed clock (`--at` on all three): the
/// credential's `iat`/`nbf`/`exp` and the KB-JWT's `iat` come from the flags, and the verdict
/// depends only on the `--at` given to the verifier.
#[test]
fn sd_jwt_vc_on_a_fixed_clock_via_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/jp-pid-claims.json");
    assert_eq!(kakunin(&["pki", "init", "--out", &d("pki")]).0, 0);
    #[rustfmt::skip]
    let (code, _, err) = kakunin(&[
        "issue", "sd-jwt", "--pki", &d("pki"), "--claims", claims.to_str().unwrap(),
        "--new-holder-keys", "--out", &d("wallet"), "--valid-days", "10",
        "--at", "2026-01-10T09:00:00Z",
    ]);
    assert_eq!(code, 0, "{err}");
    #[rustfmt::skip]
    let (code, _, err) = kakunin(&[
        "present", "sd-jwt", "--wallet", &d("wallet"), "--disclose", "age_equal_or_over.20",
        "--aud", "till-1", "--nonce", "n1", "--at", "2026-01-12T15:30:00Z", "--out", &d("p.txt"),
    ]);
    assert_eq!(code, 0, "{err}");
    jws_signer_jwk(&d("pki"), &d("issuer.jwk"));
    let verify_at = |at: &str| {
        #[rustfmt::skip]
        let (code, out, err) = kakunin(&[
            "verify-sd-jwt", &d("p.txt"), "--issuer-jwk", &d("issuer.jwk"),
            "--aud", "till-1", "--nonce", "n1", "--at", at, "--json",
        ]);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        (code, v)
    };
    // A minute after the presentation: valid, with the times the flags set.
    let (code, v) = verify_at("2026-01-12T15:31:00Z");
    assert_eq!(code, 0, "{v}");
    let (issued, expires) = (1_768_035_600_i64, 1_768_035_600_i64 + 10 * 86_400);
    assert_eq!(v["claims"]["iat"], issued, "{v}");
    assert_eq!(v["claims"]["nbf"], issued, "{v}");
    assert_eq!(v["claims"]["exp"], expires, "{v}");
    // An hour later the KB-JWT is stale (the default window is 30 minutes).
    let (code, v) = verify_at("2026-01-12T16:31:00Z");
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["errors"][0]["code"], "kb_iat", "{v}");
    // After `exp` and before `nbf`: the credential's own validity fails first.
    let (code, v) = verify_at("2026-01-21T09:00:01Z");
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["errors"][0]["code"], "expired", "{v}");
    let (code, v) = verify_at("2026-01-10T08:00:00Z");
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["errors"][0]["code"], "not_yet_valid", "{v}");
    // A malformed time is a usage error, not a verdict.
    let (code, _, err) = kakunin(&[
        "present",
        "sd-jwt",
        "--wallet",
        &d("wallet"),
        "--disclose",
        "age_equal_or_over.20",
        "--aud",
        "a",
        "--nonce",
        "n",
        "--at",
        "yesterday",
    ]);
    assert_eq!(code, 2, "{err}");
}

/// `kakunin` with `stdin` on its standard input.
fn kakunin_stdin(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `pki init` into `dir/pki` and three mdls into `dir/wallet`.
fn pki_and_wallet(dir: &std::path::Path) {
    let d = |n: &str| dir.join(n).display().to_string();
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/mdl-claims.json");
    let (code, out, err) = kakunin(&["pki", "init", "--out", &d("pki")]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = kakunin(&[
        "issue",
        "mdoc",
        "--pki",
        &d("pki"),
        "--claims",
        claims.to_str().unwrap(),
        "--new-device-keys",
        "--count",
        "3",
        "--out",
        &d("wallet"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn holder_pin_comes_from_a_file_or_stdin_never_argv() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    pki_and_wallet(dir.path());
    let (code, out, err) = kakunin(&[
        "request",
        "--element",
        "age_over_20",
        "--out",
        &d("request.cbor"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::write(dir.path().join("pin"), "2468\n").unwrap();
    std::fs::write(dir.path().join("wrong"), "2469\r\n").unwrap();
    let respond = |extra: &[&str], stdin: &[u8]| {
        let (req, tr, pin, out) = (
            d("request.cbor"),
            d("request.cbor.transcript"),
            d("pin"),
            d("response.cbor"),
        );
        let mut args = vec![
            "holder",
            "respond",
            "--wallet",
            &d("wallet"),
            "--request",
            &req,
            "--transcript",
            &tr,
            "--out",
            &out,
            "--pin-file",
            &pin,
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        kakunin_stdin(&refs, stdin)
    };
    // The old argv flags are gone.
    let (code, _, err) = respond(&["--entered-pin", "2468"], b"");
    assert_eq!(code, 2, "{err}");
    // No PIN entered, then a wrong one (CRLF stripped, still wrong): refused, nothing shared.
    for extra in [vec![], vec!["--entered-pin-file".to_string(), d("wrong")]] {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let (code, out, err) = respond(&extra, b"");
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("refused: wrong or missing unlock PIN"),
            "{out}"
        );
        assert!(!out.contains("shared"), "{out}");
    }
    // The right PIN from a file, then typed on standard input.
    let (code, out, err) = respond(&["--entered-pin-file", &d("pin")], b"");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("shared   org.iso.18013.5.1/age_over_20"),
        "{out}"
    );
    let (code, out, err) = respond(&["--pin-stdin"], b"2468\n");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("2 unused left") || out.contains("1 unused left"),
        "{out}"
    );
    assert!(
        out.contains("shared   org.iso.18013.5.1/age_over_20"),
        "{out}"
    );
    // A PIN file with a second line, or an over-long PIN, is an input error.
    std::fs::write(dir.path().join("two"), "2468\n1357\n").unwrap();
    let (code, _, err) = respond(&["--entered-pin-file", &d("two")], b"");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("more than one line"), "{err}");
    let (code, _, err) = respond(&["--pin-stdin"], &[b'7'; 500]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("standard input"), "{err}");
    // The PIN never appears in any output.
    assert!(!err.contains("2468") && !err.contains("7777"), "{err}");
    // A PIN line that is not 4 to 16 printable ASCII characters is a usage error whose
    // message says why without echoing it.
    for (name, text, why) in [
        ("short", "913\n", "shorter than 4"),
        ("long", "91357913579135791\n", "longer than 16"),
        ("space", "91 35\n", "not printable ASCII"),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let (code, out, err) = respond(&["--entered-pin-file", &d(name)], b"");
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(err.contains(why), "{name}: {err}");
        assert!(!err.contains(text.trim_end()), "{name}: {err}");
    }
}

#[test]
fn runtime_failure_exits_3_usage_error_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    // Usage: an unknown document type.
    let (code, _, err) = kakunin(&[
        "request",
        "--doctype",
        "no.such.doctype",
        "--element",
        "x",
        "--out",
        &dir.path().join("r.cbor").display().to_string(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown document type"), "{err}");
    // Runtime: the command is right, but writing its output fails.
    let out = dir.path().join("no-such-dir/r.cbor").display().to_string();
    let (code, _, err) = kakunin(&["request", "--element", "age_over_20", "--out", &out]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no-such-dir"), "{err}");
    // `--help` documents the scheme.
    let (code, out, _) = kakunin(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Exit codes:") && out.contains("3  failure while running"),
        "{out}"
    );
}

/// No ESC (or other C0/C1 control but newline) and no bidi control in `text`.
fn assert_terminal_safe(text: &str) {
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    });
    assert_eq!(bad, None, "{text:?}");
}

#[test]
fn peer_chosen_names_are_escaped_when_printed() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    pki_and_wallet(dir.path());
    // A request whose element identifier clears the screen and whose namespace carries a
    // right-to-left override: the holder's screen, the response (which names the element
    // as not returned) and the reader's reports must show them escaped.
    let (code, out, err) = kakunin(&[
        "request",
        "--namespace",
        "org.iso.18013.5.1\u{202e}",
        "--element",
        "\x1b[2Jage_over_20",
        "--element",
        "age_over_20",
        "--out",
        &d("request.cbor"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_terminal_safe(&out);
    let (code, out, err) = kakunin(&[
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
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_terminal_safe(&out);
    assert!(out.contains("\\u{1b}[2Jage_over_20"), "{out}");
    assert!(out.contains("org.iso.18013.5.1\\u{202e}/"), "{out}");
    let (code, out, err) = kakunin(&[
        "verify-request",
        "--request",
        &d("request.cbor"),
        "--transcript",
        &d("request.cbor.transcript"),
        "--trust-anchor",
        &d("pki/reader-root.cert.pem"),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert_terminal_safe(&out);
    assert!(out.contains("\\u{1b}[2Jage_over_20"), "{out}");
    for json in [false, true] {
        let mut args = vec![
            "verify-response".to_string(),
            "--response".into(),
            d("response.cbor"),
            "--transcript".into(),
            d("request.cbor.transcript"),
            "--trust-anchor".into(),
            d("pki/iaca.cert.pem"),
        ];
        if json {
            args.push("--json".into());
        }
        let (code, out, err) = run(&args);
        assert!(code == 0 || code == 1, "{out}{err}");
        assert_terminal_safe(&out);
        assert_terminal_safe(&err);
        if json {
            // Still JSON, and the name survives intact inside it.
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert!(v.to_string().contains("\\u001b[2Jage_over_20"), "{v}");
        } else {
            assert!(out.contains("\\u{1b}[2Jage_over_20"), "{out}");
        }
    }
    // A docType is quoted back escaped in the usage error.
    let (code, _, err) = kakunin(&[
        "request",
        "--doctype",
        "\x1b]0;pwned\x07",
        "--element",
        "x",
        "--out",
        &d("r2.cbor"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert_terminal_safe(&err);
    assert!(err.contains("\\u{1b}]0;pwned\\u{7}"), "{err}");
}
