#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The verifier's explicit test modes on the command line (issue 18): `verify-response
//! --pin-ds`, `verify-issuer-signed`, `verify-sd-jwt --no-key-binding`, lenient certificates
//! (a Document Signer made with the openssl CLI: a 24-octet serial number, no key
//! identifiers) in the test modes and in `inspect`, while the default path still refuses it.

use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_holder_sim::Wallet;
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer};
use std::path::{Path, PathBuf};
use std::process::Command;

const MDL: &str = "org.iso.18013.5.1.mDL";

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

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// A DS certificate for `pki/ds-1.key.pem` under `pki/iaca`, made by the openssl CLI with a
/// 24-octet serial number and without subjectKeyIdentifier / authorityKeyIdentifier (and no
/// CRL distribution point or issuer alternative name): harmless breaks of RFC 5280 §4.1.2.2
/// and of the Annex B.1.4 profile.
fn lenient_ds(dir: &Path) -> PathBuf {
    let d = |n: &str| dir.join(n).display().to_string();
    std::fs::write(
        dir.join("ext.cnf"),
        "[ds]\nkeyUsage = critical, digitalSignature\n\
         extendedKeyUsage = critical, 1.0.18013.5.1.2\n\
         subjectKeyIdentifier = none\nauthorityKeyIdentifier = none\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("the openssl CLI is installed");
        assert!(out.status.success(), "openssl {args:?}: {out:?}");
    };
    #[rustfmt::skip]
    openssl(&[
        "req", "-new", "-key", &d("pki/ds-1.key.pem"), "-subj", "/C=JP/CN=Lenient test DS",
        "-out", &d("ds.csr"),
    ]);
    #[rustfmt::skip]
    openssl(&[
        "x509", "-req", "-in", &d("ds.csr"), "-CA", &d("pki/iaca.cert.pem"),
        "-CAkey", &d("pki/iaca.key.pem"),
        "-set_serial", "0x0102030405060708090a0b0c0d0e0f101112131415161718",
        "-days", "30", "-extfile", &d("ext.cnf"), "-extensions", "ds",
        "-out", &d("ds-long.pem"),
    ]);
    dir.join("ds-long.pem")
}

/// Everything a test needs: `pki/` (pki init), the lenient DS, an mDL issued with it
/// (`issuer-signed.cbor`), and a DeviceResponse to an age_over_20 request
/// (`response.cbor`, `request.cbor.transcript`); and a second wallet `wallet-std` with an mDL
/// issued by `issue mdoc` under the regular DS, with a status list reference
/// (`response-std.cbor`).
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn d(&self, n: &str) -> String {
        self.dir.path().join(n).display().to_string()
    }

    fn new() -> Self {
        let f = Fixture {
            dir: tempfile::tempdir().unwrap(),
        };
        let d = |n: &str| f.d(n);
        assert_eq!(kakunin(&["pki", "init", "--out", &d("pki")]).0, 0);
        let ds_pem = lenient_ds(f.dir.path());
        // Issue with the lenient DS through the library (the CLI's issuer reads its own
        // certificates strictly).
        let c = default_provider();
        let ds_key = kakunin_issuer::pki::read_key(Path::new(&d("pki/ds-1.key.pem"))).unwrap();
        let ds_der = kakunin_core::trust::lenient::parse_certificate_input_lenient(
            &std::fs::read(&ds_pem).unwrap(),
        )
        .unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &std::fs::read(
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/mdl-claims.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let now = time::OffsetDateTime::now_utc();
        let elements = elements_from_json(DocProfile::Mdl, &claims, now.date()).unwrap();
        let device_key = c.generate_key(Curve::P256).unwrap();
        let issued = MdocIssuer::new(c, &ds_key, vec![ds_der])
            .issue(
                MDL,
                &elements,
                &c.public_key(&device_key).unwrap(),
                ValidityInfo {
                    signed: now,
                    valid_from: now - time::Duration::minutes(1),
                    valid_until: now + time::Duration::days(20),
                    expected_update: None,
                },
                None,
            )
            .unwrap();
        std::fs::write(d("issuer-signed.cbor"), &issued.issuer_signed).unwrap();
        let wallet = Wallet::open(Path::new(&d("wallet"))).unwrap();
        wallet
            .store("lenient-1", MDL, &issued.issuer_signed, &device_key)
            .unwrap();
        let claims_file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("docs/examples/mdl-claims.json")
            .display()
            .to_string();
        #[rustfmt::skip]
        let (code, _, err) = kakunin(&[
            "issue", "mdoc", "--pki", &d("pki"), "--claims", &claims_file, "--new-device-keys",
            "--out", &d("wallet-std"), "--status-uri", "https://status.kakunin.invalid/lists/1",
            "--status-index", "3",
        ]);
        assert_eq!(code, 0, "{err}");
        for (wallet, out) in [
            ("wallet", "response.cbor"),
            ("wallet-std", "response-std.cbor"),
        ] {
            #[rustfmt::skip]
            let (code, _, err) = kakunin(&[
                "request", "--doctype", "mdl", "--element", "age_over_20",
                "--out", &d(&format!("{out}.request")),
            ]);
            assert_eq!(code, 0, "{err}");
            #[rustfmt::skip]
            let (code, out_text, err) = kakunin(&[
                "holder", "respond", "--wallet", &d(wallet), "--request", &d(&format!("{out}.request")),
                "--transcript", &d(&format!("{out}.request.transcript")), "--out", &d(out),
            ]);
            assert_eq!(code, 0, "{out_text}{err}");
        }
        f
    }
}

fn verify_response(f: &Fixture, response: &str, trust: &[&str], json: bool) -> (i32, String) {
    let transcript = f.d(&format!("{response}.request.transcript"));
    let response = f.d(response);
    let mut args = vec![
        "verify-response",
        "--response",
        &response,
        "--transcript",
        &transcript,
    ];
    args.extend_from_slice(trust);
    if json {
        args.push("--json");
    }
    let (code, out, err) = kakunin(&args);
    (code, format!("{out}{err}"))
}

#[test]
fn pin_ds_trusts_a_document_signer_without_an_iaca_and_says_so() {
    let f = Fixture::new();
    let (ds, iaca, other) = (
        f.d("pki/ds-1.cert.pem"),
        f.d("pki/iaca.cert.pem"),
        f.d("pki/jws-1.cert.pem"),
    );
    // The default path: a chain to the IACA, reported as such.
    let (code, out) = verify_response(&f, "response-std.cbor", &["--trust-anchor", &iaca], true);
    assert_eq!(code, 0, "{out}");
    assert_eq!(json(&out)["trust_mode"], "iaca_chain");
    // Pinned, no trust anchor: valid, and every text line says the mode.
    let (code, out) = verify_response(&f, "response-std.cbor", &["--pin-ds", &ds], false);
    assert_eq!(code, 0, "{out}");
    assert!(out.lines().count() > 5, "{out}");
    for line in out.lines() {
        assert!(
            line.starts_with("[test mode: pinned DS, no IACA] "),
            "{line}"
        );
    }
    let (code, out) = verify_response(&f, "response-std.cbor", &["--pin-ds", &ds], true);
    assert_eq!(code, 0, "{out}");
    let v = json(&out);
    assert_eq!(v["trust_mode"], "pinned_ds");
    assert_eq!(v["valid"], true);
    assert_eq!(
        v["documents"][0]["checks"]["issuer_certificate_chain"],
        "passed"
    );
    assert_eq!(
        v["documents"][0]["issuer"]["iacaCommonName"],
        serde_json::Value::Null
    );
    // Its MSO has a status reference: no status list can be tied to a pin, so the status
    // (like the CRL revocation) is not checked, as without a status cache.
    assert_eq!(v["documents"][0]["status"]["status_list"]["idx"], 3, "{v}");
    assert_eq!(v["documents"][0]["checks"]["status"], "not_checked", "{v}");
    assert_eq!(
        v["documents"][0]["checks"]["revocation"], "not_checked",
        "{v}"
    );
    // Another certificate pinned (several --pin-ds, none of them the DS): untrusted, exit 1.
    let (code, out) = verify_response(
        &f,
        "response-std.cbor",
        &["--pin-ds", &other, "--pin-ds", &iaca],
        true,
    );
    assert_eq!(code, 1, "{out}");
    let v = json(&out);
    assert_eq!(
        v["documents"][0]["checks"]["issuer_certificate_chain"],
        "failed"
    );
    assert!(v.to_string().contains("not one of the pinned"), "{v}");
    // Repeatable: the DS among other pins verifies.
    let (code, _) = verify_response(
        &f,
        "response-std.cbor",
        &["--pin-ds", &other, "--pin-ds", &ds],
        false,
    );
    assert_eq!(code, 0);
    // Usage: neither a trust anchor nor a pin, or both.
    assert_eq!(verify_response(&f, "response-std.cbor", &[], false).0, 2);
    let (code, _) = verify_response(
        &f,
        "response-std.cbor",
        &["--pin-ds", &ds, "--trust-anchor", &iaca],
        false,
    );
    assert_eq!(code, 2);
    // The pinned DS's validity is still checked.
    let (code, out) = verify_response(
        &f,
        "response-std.cbor",
        &["--pin-ds", &ds, "--at", "2040-01-01T00:00:00Z"],
        true,
    );
    assert_eq!(code, 1, "{out}");
    assert!(json(&out).to_string().contains("expired"), "{out}");
}

#[test]
fn lenient_certificates_in_the_test_modes_strict_on_the_default_path() {
    let f = Fixture::new();
    let (ds_long, iaca) = (f.d("ds-long.pem"), f.d("pki/iaca.cert.pem"));
    // The default path still refuses the 24-octet serial: not a certificate.
    let (code, out) = verify_response(&f, "response.cbor", &["--trust-anchor", &iaca], true);
    assert_eq!(code, 1, "{out}");
    let v = json(&out);
    assert_eq!(v["trust_mode"], "iaca_chain");
    assert_eq!(
        v["documents"][0]["checks"]["issuer_certificate_chain"],
        "failed"
    );
    assert!(v.to_string().contains("malformed"), "{v}");
    // Pinned: read leniently, valid, with the deviations as warnings.
    let (code, out) = verify_response(&f, "response.cbor", &["--pin-ds", &ds_long], true);
    assert_eq!(code, 0, "{out}");
    let warnings = json(&out)["documents"][0]["warnings"].to_string();
    for w in [
        "serial number of 24 octets",
        "no subjectKeyIdentifier",
        "no authorityKeyIdentifier",
        "no cRLDistributionPoints",
        "no issuerAltName",
    ] {
        assert!(warnings.contains(w), "{w}: {warnings}");
    }
    // verify-issuer-signed with the IACA: the chain validates leniently.
    #[rustfmt::skip]
    let (code, out, err) = kakunin(&[
        "verify-issuer-signed", "--response", &f.d("response.cbor"), "--trust-anchor", &iaca,
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v = json(&out);
    assert_eq!(v["issuer_data_valid"], true, "{v}");
    assert_eq!(v["trust_mode"], "iaca_chain_lenient");
    assert!(
        v.get("valid").is_none(),
        "never reported as a valid presentation"
    );
    let checks = &v["documents"][0]["checks"];
    for c in [
        "issuer_certificate_chain",
        "issuer_signature",
        "doc_type",
        "validity",
        "value_digests",
    ] {
        assert_eq!(checks[c], "passed", "{c}: {v}");
    }
    assert_eq!(checks["device_authentication"], "not_performed");
    assert_eq!(checks["key_authorizations"], "not_performed");
    assert!(v["documents"][0]["warnings"]
        .to_string()
        .contains("serial number of 24 octets"));
    // inspect prints the certificate with its warnings instead of "not a certificate".
    let (code, out, err) = kakunin(&["inspect", &ds_long]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("# X.509 certificate"), "{out}");
    assert!(
        out.contains("serial: 0102030405060708090a0b0c0d0e0f101112131415161718"),
        "{out}"
    );
    assert!(out.contains("subject: CN=Lenient test DS,C=JP"), "{out}");
    assert!(
        out.contains("warning: certificate 0: serial number of 24 octets"),
        "{out}"
    );
    assert!(out.contains("strict profile: refused"), "{out}");
    let (code, out, _) = kakunin(&["inspect", &f.d("pki/ds-1.cert.pem")]);
    assert_eq!(code, 0);
    assert!(out.contains("strict profile: parses"), "{out}");
    // As a trust anchor (configuration) it is still read strictly.
    #[rustfmt::skip]
    let (code, _, _) = kakunin(&[
        "verify-issuer-signed", "--response", &f.d("response.cbor"), "--trust-anchor", &ds_long,
    ]);
    assert_eq!(code, 2);
}

#[test]
fn verify_issuer_signed_reports_issuer_data_only() {
    let f = Fixture::new();
    let (ds_long, iaca) = (f.d("ds-long.pem"), f.d("pki/iaca.cert.pem"));
    // A bare IssuerSigned, pinned: every line marked, "issuer data valid", never VALID alone.
    #[rustfmt::skip]
    let (code, out, err) = kakunin(&[
        "verify-issuer-signed", "--issuer-signed", &f.d("issuer-signed.cbor"), "--pin-ds", &ds_long,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Issuer data: issuer data valid"), "{out}");
    assert!(!out.contains("VALID"), "{out}");
    assert!(!out.contains("DeviceResponse"), "{out}");
    for line in out.lines() {
        assert!(
            line.starts_with("[test mode: pinned DS, no IACA] "),
            "{line}"
        );
    }
    assert!(
        out.contains(&format!("Document 0: {MDL} -- issuer data valid")),
        "{out}"
    );
    // JSON: the bare IssuerSigned has no outer docType to compare.
    #[rustfmt::skip]
    let (code, out, _) = kakunin(&[
        "verify-issuer-signed", "--issuer-signed", &f.d("issuer-signed.cbor"), "--pin-ds", &ds_long,
        "--json",
    ]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["trust_mode"], "pinned_ds");
    assert_eq!(v["documents"][0]["checks"]["doc_type"], "not_performed");
    assert_eq!(v["documents"][0]["docType"], MDL);
    assert!(
        v["documents"][0]["elements"].as_array().unwrap().len() > 5,
        "{v}"
    );
    // Issuer data of the regular credential under its IACA (the default DS, no warnings).
    #[rustfmt::skip]
    let (code, out, err) = kakunin(&[
        "verify-issuer-signed", "--response", &f.d("response-std.cbor"), "--trust-anchor", &iaca,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("issuer data valid"), "{out}");
    // Invalid: expired at --at, an unknown DS, a tampered element value (exit 1).
    #[rustfmt::skip]
    let (code, out, _) = kakunin(&[
        "verify-issuer-signed", "--issuer-signed", &f.d("issuer-signed.cbor"), "--pin-ds", &ds_long,
        "--at", "2040-01-01T00:00:00Z",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("issuer data INVALID"), "{out}");
    #[rustfmt::skip]
    let (code, out, _) = kakunin(&[
        "verify-issuer-signed", "--issuer-signed", &f.d("issuer-signed.cbor"),
        "--pin-ds", &f.d("pki/ds-1.cert.pem"),
    ]);
    assert_eq!(code, 1, "{out}");
    let mut tampered = std::fs::read(f.d("issuer-signed.cbor")).unwrap();
    let at = tampered
        .windows(6)
        .position(|w| w == b"Yamada")
        .expect("family_name in the IssuerSigned");
    tampered[at] = b'Z';
    std::fs::write(f.d("tampered.cbor"), &tampered).unwrap();
    #[rustfmt::skip]
    let (code, out, _) = kakunin(&[
        "verify-issuer-signed", "--issuer-signed", &f.d("tampered.cbor"), "--pin-ds", &ds_long,
        "--json",
    ]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        json(&out)["documents"][0]["checks"]["value_digests"],
        "failed"
    );
    // Usage and input errors: exit 2.
    for args in [
        vec!["verify-issuer-signed", "--pin-ds", &ds_long],
        vec![
            "verify-issuer-signed",
            "--issuer-signed",
            "x",
            "--response",
            "y",
            "--pin-ds",
            &ds_long,
        ],
        vec![
            "verify-issuer-signed",
            "--issuer-signed",
            &f.d("issuer-signed.cbor"),
        ],
        vec![
            "verify-issuer-signed",
            "--issuer-signed",
            &f.d("nope.cbor"),
            "--pin-ds",
            &ds_long,
        ],
    ] {
        assert_eq!(kakunin(&args).0, 2, "{args:?}");
    }
    // Garbage is invalid input data, reported (exit 1), not a crash.
    std::fs::write(f.d("garbage.cbor"), b"\xa1\x01").unwrap();
    #[rustfmt::skip]
    let (code, out, _) = kakunin(&[
        "verify-issuer-signed", "--issuer-signed", &f.d("garbage.cbor"), "--pin-ds", &ds_long,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("issuer data INVALID"), "{out}");
}

/// The issuer's JWS signer key as a JWK file (any P-256 public key serves as a holder key).
fn jws_signer_jwk(pki: &str, out: &str) {
    let cert = std::fs::read(format!("{pki}/jws-1.cert.pem")).unwrap();
    let der = kakunin_core::trust::parse_certificate_input(&cert).unwrap();
    let cert = <x509_cert::Certificate as der::Decode>::from_der(&der).unwrap();
    let key = kakunin_core::trust::certificate_public_key(&cert, 0).unwrap();
    std::fs::write(out, kakunin_core::sdjwt::key_to_jwk(&key).to_string()).unwrap();
}

#[test]
fn verify_sd_jwt_without_key_binding() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/jp-pid-claims.json");
    assert_eq!(kakunin(&["pki", "init", "--out", &d("pki")]).0, 0);
    jws_signer_jwk(&d("pki"), &d("holder.jwk"));
    // An issuer-signed credential, no KB-JWT (written as issued, the holder key public).
    #[rustfmt::skip]
    let (code, _, err) = kakunin(&[
        "issue", "sd-jwt", "--pki", &d("pki"), "--claims", claims.to_str().unwrap(),
        "--holder-jwk", &d("holder.jwk"), "--count", "1", "--out", &d("issued"),
    ]);
    assert_eq!(code, 0, "{err}");
    let issued = std::fs::read_dir(d("issued"))
        .unwrap()
        .map(|e| e.unwrap().path().join("sd_jwt.txt"))
        .find(|p| p.exists())
        .expect("an issued SD-JWT VC")
        .display()
        .to_string();
    // A presentation with a KB-JWT (aud till-1, nonce n1).
    #[rustfmt::skip]
    let (code, _, err) = kakunin(&[
        "issue", "sd-jwt", "--pki", &d("pki"), "--claims", claims.to_str().unwrap(),
        "--new-holder-keys", "--out", &d("wallet"),
    ]);
    assert_eq!(code, 0, "{err}");
    #[rustfmt::skip]
    let (code, _, err) = kakunin(&[
        "present", "sd-jwt", "--wallet", &d("wallet"), "--disclose", "age_equal_or_over.20",
        "--aud", "till-1", "--nonce", "n1", "--out", &d("p.txt"),
    ]);
    assert_eq!(code, 0, "{err}");
    let iaca = d("pki/iaca.cert.pem");
    let verify = |file: &str, extra: &[&str]| {
        let mut args = vec!["verify-sd-jwt", file, "--trust-anchor", &iaca];
        args.extend_from_slice(extra);
        let (code, out, err) = kakunin(&args);
        (code, format!("{out}{err}"))
    };
    // Today's default: --aud/--nonce are mandatory, and an issuer-signed credential fails.
    assert_eq!(verify(&issued, &[]).0, 2);
    let (code, out) = verify(&issued, &["--aud", "till-1", "--nonce", "n1"]);
    assert_eq!(code, 1, "{out}");
    // The test mode: valid, and said so.
    let (code, out) = verify(&issued, &["--no-key-binding"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no key binding (test mode)"), "{out}");
    assert!(out.contains("key-bound: false"), "{out}");
    let (code, out) = verify(&issued, &["--no-key-binding", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v = json(&out);
    assert_eq!(v["test_mode"], "no_key_binding");
    assert_eq!(v["key_binding"], "absent");
    assert_eq!(v["checks"]["key_binding"], "not_performed");
    assert_eq!(v["keyBound"], false);
    // A KB-JWT present: unchecked without --aud/--nonce, verified with them, refused when
    // they do not match.
    let (code, out) = verify(&d("p.txt"), &["--no-key-binding", "--json"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(json(&out)["key_binding"], "unchecked");
    let (code, out) = verify(&d("p.txt"), &["--no-key-binding"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("present but unchecked"), "{out}");
    #[rustfmt::skip]
    let (code, out) = verify(&d("p.txt"), &["--no-key-binding", "--aud", "till-1", "--nonce", "n1", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v = json(&out);
    assert_eq!(v["key_binding"], "verified");
    assert_eq!(v["keyBound"], true);
    assert_eq!(v["checks"]["key_binding"], "passed");
    #[rustfmt::skip]
    let (code, out) = verify(&d("p.txt"), &["--no-key-binding", "--aud", "till-1", "--nonce", "n2"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("nonce"), "{out}");
    // Only one of --aud/--nonce: usage error.
    assert_eq!(
        verify(&issued, &["--no-key-binding", "--aud", "till-1"]).0,
        2
    );
}
