//! `kakunin transcript build|explain` as a user runs them: the published handover bytes, the
//! inputs file, bad inputs, and the round trip build -> `holder respond` -> explain.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

const NONCE: &str = "exc7gBkxjx1rdc9udRrveKvSsJIq80avlXeLHhGwqtA";
/// The encryption key of both OpenID4VP 1.0 examples.
const JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"DxiH5Q4Yx3UrukE2lWCErq8N8bqC9CHLLrAwLz5BmE0","y":"XtLM4-3h5o3HUH0MHVJV0kyq0iBlrBwlh8qEDMZ4-Pc","use":"enc","alg":"ECDH-ES","kid":"1"}"#;
const THUMBPRINT: &str = "4283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6bd669047";
/// OpenID4VP 1.0 B.2.6.1, the published SessionTranscript.
const B261: &str = "83f6f682714f70656e494434565048616e646f7665725820048bc053c00442af9b8eed494c\
                    efdd9d95240d254b046b11b68013722aad38ac";
/// OpenID4VP 1.0 B.2.6.2, the published SessionTranscript.
const B262: &str = "83f6f682764f70656e4944345650444341504948616e646f7665725820fbece366f4212f97\
                    62c74cfdbf83b8c69e371d5d68cea09cb4c48ca6daab761a";

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

fn annex(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("spec-vectors/data/annex-d")
        .join(name)
        .display()
        .to_string()
}

fn annex_bytes(name: &str) -> Vec<u8> {
    hex::decode(std::fs::read_to_string(annex(name)).unwrap().trim()).unwrap()
}

fn built(path: &Path) -> String {
    hex::encode(std::fs::read(path).unwrap())
}

#[test]
fn build_gives_the_published_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.cbor");
    let o = out.to_str().unwrap();
    let (code, stdout, err) = kakunin(&[
        "transcript",
        "build",
        "--handover",
        "oid4vp",
        "--client-id",
        "x509_san_dns:example.com",
        "--nonce",
        NONCE,
        "--jwk-thumbprint",
        THUMBPRINT,
        "--response-uri",
        "https://example.com/response",
        "--out",
        o,
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert_eq!(built(&out), B261);
    assert!(
        stdout.contains("the bare array") && stdout.contains(B261),
        "{stdout}"
    );

    // The same from the documented example inputs file.
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/examples/transcript-inputs-oid4vp.json");
    let (code, _, err) = kakunin(&[
        "transcript",
        "build",
        "--inputs",
        example.to_str().unwrap(),
        "--out",
        o,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(built(&out), B261);

    // The same from the encryption JWK itself (its RFC 7638 thumbprint is taken).
    let jwk = dir.path().join("jwk.json");
    std::fs::write(&jwk, JWK).unwrap();
    let (code, _, err) = kakunin(&[
        "transcript",
        "build",
        "--handover",
        "oid4vp",
        "--client-id",
        "x509_san_dns:example.com",
        "--nonce",
        NONCE,
        "--jwk",
        jwk.to_str().unwrap(),
        "--response-uri",
        "https://example.com/response",
        "--out",
        o,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(built(&out), B261);

    // The DC API example from an inputs file, tag-24 wrapped on request.
    let inputs = dir.path().join("in.json");
    std::fs::write(
        &inputs,
        format!(
            r#"{{"handover": "oid4vp-dcapi", "origin": "https://example.com", "nonce": "{NONCE}",
                "jwk_thumbprint": "{THUMBPRINT}"}}"#
        ),
    )
    .unwrap();
    let (code, stdout, err) = kakunin(&[
        "transcript",
        "build",
        "--inputs",
        inputs.to_str().unwrap(),
        "--tagged",
        "--out",
        o,
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert_eq!(built(&out), format!("d818583d{B262}"));
    assert!(stdout.contains("tag 24 wrapped"), "{stdout}");
    // The JWK inside the inputs file does the same.
    std::fs::write(
        &inputs,
        format!(
            r#"{{"handover": "oid4vp-dcapi", "origin": "https://example.com", "nonce": "{NONCE}",
                "jwk": {JWK}}}"#
        ),
    )
    .unwrap();
    let (code, _, err) = kakunin(&[
        "transcript",
        "build",
        "--inputs",
        inputs.to_str().unwrap(),
        "--out",
        o,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(built(&out), B262);
    // A flag overrides the file: another origin, another transcript.
    let (code, _, err) = kakunin(&[
        "transcript",
        "build",
        "--inputs",
        inputs.to_str().unwrap(),
        "--origin",
        "https://example.com/",
        "--out",
        o,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_ne!(built(&out), B262);

    // The Annex D NFC transcript from its parts (files, hex); QR differs only in the handover.
    let (code, _, err) = kakunin(&[
        "transcript",
        "build",
        "--handover",
        "nfc",
        "--device-engagement",
        &annex("device_engagement_bytes_nfc.hex"),
        "--e-reader-key",
        &annex("e_reader_key_bytes.hex"),
        "--handover-select",
        &annex("handover_select.hex"),
        "--handover-request",
        &annex("handover_request.hex"),
        "--out",
        o,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        annex_bytes("session_transcript.hex")
    );
    let (code, _, err) = kakunin(&[
        "transcript",
        "build",
        "--handover",
        "qr",
        "--device-engagement",
        &annex("device_engagement_bytes_nfc.hex"),
        "--e-reader-key",
        &annex("e_reader_key_bytes.hex"),
        "--out",
        o,
    ]);
    assert_eq!(code, 0, "{err}");
    let mut qr = vec![0x83];
    qr.extend(annex_bytes("device_engagement_bytes_nfc.hex"));
    qr.extend(annex_bytes("e_reader_key_bytes.hex"));
    qr.push(0xf6);
    assert_eq!(std::fs::read(&out).unwrap(), qr);
}

#[test]
fn bad_inputs_exit_2_naming_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().join("t.cbor");
    let o = o.to_str().unwrap();
    let build = |extra: &[&str]| {
        let mut args = vec!["transcript", "build", "--out", o];
        args.extend_from_slice(extra);
        kakunin(&args)
    };
    // A required input missing, per kind.
    for (kind, present, missing) in [
        (
            "oid4vp",
            &["--nonce", "n", "--response-uri", "r"][..],
            "client_id",
        ),
        (
            "oid4vp",
            &["--nonce", "n", "--client-id", "c"][..],
            "response_uri",
        ),
        ("oid4vp-dcapi", &["--origin", "o"][..], "nonce"),
        ("oid4vp-dcapi-draft24", &["--nonce", "n"][..], "origin"),
        (
            "iso-7-annex-b",
            &["--nonce", "n", "--client-id", "c", "--response-uri", "r"][..],
            "mdoc_generated_nonce",
        ),
        ("iso-7-annex-c", &["--origin", "o"][..], "encryption_info"),
        ("qr", &[][..], "device_engagement"),
    ] {
        let mut args = vec!["--handover", kind];
        args.extend_from_slice(present);
        let (code, _, err) = build(&args);
        assert_eq!(code, 2, "{kind}: {err}");
        assert!(
            err.contains(&format!("--handover {kind} needs {missing}")),
            "{kind}: {err}"
        );
    }
    // No kind at all.
    let (code, _, err) = build(&["--nonce", "n"]);
    assert_eq!(code, 2);
    assert!(err.contains("needs --handover KIND"), "{err}");
    // Bad hex, a thumbprint of the wrong length, an unknown kind.
    for (args, says) in [
        (
            &[
                "--handover",
                "oid4vp-dcapi",
                "--origin",
                "o",
                "--nonce",
                "n",
                "--jwk-thumbprint",
                "xyz",
            ][..],
            "is not hex",
        ),
        (
            &[
                "--handover",
                "oid4vp-dcapi",
                "--origin",
                "o",
                "--nonce",
                "n",
                "--jwk-thumbprint",
                "abcd",
            ][..],
            "2 bytes; a SHA-256 thumbprint is 32",
        ),
        (&["--handover", "oid4vp-v9"][..], "unknown handover"),
        (
            &[
                "--handover",
                "iso-7-annex-c",
                "--origin",
                "o",
                "--encryption-info",
                "a b",
            ][..],
            "encryption_info: not base64url",
        ),
    ] {
        let (code, _, err) = build(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // Inputs files: a typo'd key, a non-string value, bad hex, not JSON, an engagement that is
    // not CBOR.
    for (json, says) in [
        (
            r#"{"handover": "oid4vp-dcapi", "orign": "o"}"#,
            "unknown key \"orign\"",
        ),
        (
            r#"{"handover": "oid4vp-dcapi", "nonce": 5}"#,
            "\"nonce\" must be a string",
        ),
        (
            r#"{"handover": "qr", "device_engagement": "zz", "e_reader_key": "a0"}"#,
            "device_engagement is not hex",
        ),
        ("[1, 2", "not JSON"),
        (
            r#"{"handover": "oid4vp-dcapi", "jwk": {"kty": "oct"}}"#,
            "jwk: kty is not EC, OKP or RSA",
        ),
        (
            r#"{"handover": "oid4vp-dcapi", "jwk": {}, "jwk_thumbprint": "00"}"#,
            "not both",
        ),
        (
            r#"{"handover": "qr", "device_engagement": "ff", "e_reader_key": "a0"}"#,
            "device_engagement: not one well-formed CBOR item",
        ),
    ] {
        let f = dir.path().join("in.json");
        std::fs::write(&f, json).unwrap();
        let (code, _, err) = build(&["--inputs", f.to_str().unwrap()]);
        assert_eq!(code, 2, "{json}: {err}");
        assert!(err.contains(says), "{json}: {err}");
    }
}

/// A test PKI and a wallet of `count` mDLs in `dir`.
fn wallet(dir: &Path, count: &str) {
    let d = |n: &str| dir.join(n).display().to_string();
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/mdl-claims.json");
    let (code, out, err) = kakunin(&["pki", "init", "--country", "JP", "--out", &d("pki")]);
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
        count,
        "--out",
        &d("wallet"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Build a transcript with `build_args`, have the holder answer a request bound to it, and
/// return the response's path.
fn respond_over(dir: &Path, name: &str, build_args: &[&str], extra_respond: &[&str]) -> PathBuf {
    let d = |n: &str| dir.join(n).display().to_string();
    let t = d(&format!("{name}.transcript"));
    let mut args = vec!["transcript", "build", "--out", &t];
    args.extend_from_slice(build_args);
    let (code, out, err) = kakunin(&args);
    assert_eq!(code, 0, "{out}{err}");
    let req = d(&format!("{name}.request"));
    let (code, out, err) = kakunin(&[
        "request",
        "--doctype",
        "mdl",
        "--element",
        "age_over_20",
        "--transcript",
        &t,
        "--out",
        &req,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let resp = dir.join(format!("{name}.response"));
    let wallet = d("wallet");
    let mut args = vec![
        "holder",
        "respond",
        "--wallet",
        &wallet,
        "--request",
        &req,
        "--transcript",
        &t,
        "--out",
        resp.to_str().unwrap(),
    ];
    args.extend_from_slice(extra_respond);
    let (code, out, err) = kakunin(&args);
    assert_eq!(code, 0, "{out}{err}");
    resp
}

fn explain(resp: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "transcript",
        "explain",
        "--response",
        resp.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    kakunin(&args)
}

#[test]
fn explain_finds_the_variant_the_holder_signed_over() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    wallet(dir.path(), "6");
    // What the verifier believes it asked with.
    let inputs = dir.path().join("verifier.json");
    std::fs::write(
        &inputs,
        r#"{"client_id": "x509_san_dns:shop.example", "nonce": "n-123",
            "response_uri": "https://shop.example/post", "origin": "https://shop.example",
            "mdoc_generated_nonce": "wallet-nonce-0123456789"}"#,
    )
    .unwrap();
    let inputs = inputs.to_str().unwrap();

    // 1. The wallet used the origin with a trailing slash (DC API).
    let resp = respond_over(
        dir.path(),
        "slash",
        &[
            "--handover",
            "oid4vp-dcapi",
            "--origin",
            "https://shop.example/",
            "--nonce",
            "n-123",
        ],
        &[],
    );
    let (code, out, err) = explain(&resp, &["--inputs", inputs]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verifies over 1 of them"), "{out}");
    assert!(
        out.contains("oid4vp-dcapi (OpenID4VP 1.0 B.2.6.2): origin with a trailing slash\n"),
        "{out}"
    );
    assert!(out.contains("origin = \"https://shop.example/\""), "{out}");
    assert!(out.contains("jwk_thumbprint = null"), "{out}");
    let transcript = hex::encode(std::fs::read(d("slash.transcript")).unwrap());
    assert!(out.contains(&format!("transcript = {transcript}")), "{out}");
    assert!(out.contains("issuer data: not verified"), "{out}");

    // 2. The wallet dropped the client_id prefix (OpenID4VP 1.0); with the trust anchor the
    //    issuer data is verified too.
    let resp = respond_over(
        dir.path(),
        "prefix",
        &[
            "--handover",
            "oid4vp",
            "--client-id",
            "shop.example",
            "--nonce",
            "n-123",
            "--response-uri",
            "https://shop.example/post",
        ],
        &[],
    );
    let (code, out, err) = explain(
        &resp,
        &[
            "--inputs",
            inputs,
            "--trust-anchor",
            &d("pki/iaca.cert.pem"),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verifies over 1 of them"), "{out}");
    assert!(
        out.contains(
            "oid4vp (OpenID4VP 1.0 B.2.6.1): client_id without its prefix `x509_san_dns:`\n"
        ),
        "{out}"
    );
    assert!(out.contains("document 0: issuer data valid"), "{out}");
    let (code, out, err) = explain(
        &resp,
        &[
            "--inputs",
            inputs,
            "--trust-anchor",
            &d("pki/iaca.cert.pem"),
            "--json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["explained"], true);
    let m = &v["documents"][0]["matches"];
    assert_eq!(m.as_array().unwrap().len(), 1, "{out}");
    assert_eq!(m[0]["handover"], "oid4vp");
    assert_eq!(m[0]["inputs"]["client_id"], "shop.example");
    assert_eq!(m[0]["embedding"], "bare");
    assert_eq!(
        m[0]["transcript"],
        hex::encode(std::fs::read(d("prefix.transcript")).unwrap())
    );
    assert_eq!(v["issuerData"][0]["valid"], true);

    // 3. Annex B exactly as the verifier has it, and the flags override the file's nonce.
    let resp = respond_over(
        dir.path(),
        "annex-b",
        &[
            "--handover",
            "iso-7-annex-b",
            "--client-id",
            "x509_san_dns:shop.example",
            "--nonce",
            "n-123",
            "--response-uri",
            "https://shop.example/post",
            "--mdoc-generated-nonce",
            "wallet-nonce-0123456789",
        ],
        &[],
    );
    let (code, out, err) = explain(&resp, &["--inputs", inputs, "--handover", "iso-7-annex-b"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("iso-7-annex-b (ISO/IEC 18013-7 Annex B): every input as given"),
        "{out}"
    );
    assert!(out.contains("hint: iso-7-annex-b"), "{out}");
    let (code, out, _) = explain(&resp, &["--inputs", inputs, "--nonce", "n-other"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("verifies over none of them"), "{out}");

    // 4. Proximity QR, from the engagement and reader key given as files.
    let resp = respond_over(
        dir.path(),
        "qr",
        &[
            "--handover",
            "qr",
            "--device-engagement",
            &annex("device_engagement_bytes_nfc.hex"),
            "--e-reader-key",
            &annex("e_reader_key_bytes.hex"),
        ],
        &[],
    );
    let (code, out, err) = explain(
        &resp,
        &[
            "--device-engagement",
            &annex("device_engagement_bytes_nfc.hex"),
            "--e-reader-key",
            &annex("e_reader_key_bytes.hex"),
            "--handover-select",
            &annex("handover_select.hex"),
            "--origin",
            "https://shop.example",
            "--nonce",
            "n-123",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verifies over 1 of them"), "{out}");
    assert!(
        out.contains("qr (ISO/IEC 18013-5 9.1.5.1 (QR)): every input as given"),
        "{out}"
    );

    // 5. Signed over something the inputs cannot produce: none, exit 1; a trust anchor of
    //    another PKI makes the issuer data invalid.
    let resp = respond_over(
        dir.path(),
        "other",
        &[
            "--handover",
            "oid4vp-dcapi",
            "--origin",
            "https://elsewhere.example",
            "--nonce",
            "n-123",
        ],
        &[],
    );
    let other_pki = tempfile::tempdir().unwrap();
    let (code, _, err) = kakunin(&[
        "pki",
        "init",
        "--country",
        "JP",
        "--out",
        other_pki.path().join("pki").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = explain(
        &resp,
        &[
            "--inputs",
            inputs,
            "--trust-anchor",
            other_pki.path().join("pki/iaca.cert.pem").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("verifies over none of them"), "{out}");
    assert!(out.contains("document 0: issuer data NOT valid"), "{out}");
    assert!(out.contains("issuer_certificate_chain: failed"), "{out}");

    // 6. DeviceMac cannot be explained without the reader key; no usable inputs; not a
    //    response: exit 2.
    let resp_mac = respond_over(
        dir.path(),
        "mac",
        &[
            "--handover",
            "qr",
            "--device-engagement",
            &annex("device_engagement_bytes_nfc.hex"),
            "--e-reader-key",
            &annex("e_reader_key_bytes.hex"),
        ],
        &["--device-mac"],
    );
    let (code, _, err) = explain(&resp_mac, &["--inputs", inputs]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("deviceMac"), "{err}");
    let (code, _, err) = explain(&resp, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the inputs allow no handover"), "{err}");
    let (code, _, err) = explain(Path::new(inputs), &["--inputs", inputs]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("DeviceResponse"), "{err}");
}
