#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `kakunin issuer devices|revoke|serve` as a user runs them, against an issuer service on
//! 127.0.0.1 (in process, SQLite registry). The registry is filled through its own API (the
//! enrolment over HTTP is tested in issuer-server/tests/enrolment.rs), so the proofing here is
//! a STAND-IN that refuses everyone; it is test-only and never reachable from the CLI.

use kakunin_core::crypto::default_provider;
use kakunin_issuer::proofing::{
    ApplicantProofing, EnrolmentEvidence, ProofedApplicant, ProofingError,
};
use kakunin_issuer_server::registry::{CredentialRow, EnrolmentRecord};
use std::process::Command;
use std::sync::Arc;

const TOKEN: &str = "cli-test-admin-token-0123456789";

/// Test-only stand-in: nobody is proven (enrolment is not exercised here).
struct RefuseEveryone;

impl ApplicantProofing for RefuseEveryone {
    fn prove(&self, _: &EnrolmentEvidence<'_>, _: i64) -> Result<ProofedApplicant, ProofingError> {
        Err(ProofingError::Untrusted { which: "signature" })
    }
    fn update_crl(&self, _: &[u8]) -> Result<(), ProofingError> {
        Ok(())
    }
}

fn kakunin(args: &[&str], env_token: Option<&str>) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kakunin"));
    c.args(args).env_remove("KAKUNIN_ISSUER_ADMIN_TOKEN");
    if let Some(t) = env_token {
        c.env("KAKUNIN_ISSUER_ADMIN_TOKEN", t);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn issuer_devices_and_revoke_over_http() {
    let c = default_provider();
    let dir = tempfile::tempdir().unwrap();
    let t = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    kakunin_issuer::TestPki::generate(c, "JP", 1, t)
        .unwrap()
        .write(&dir.path().join("pki"))
        .unwrap();
    let ca = kakunin_issuer::pki::issue_root(c, "JPKI-SIM CLI test CA", "JP", t, 30).unwrap();
    let jdir = dir.path().join("jpki-ca");
    std::fs::create_dir_all(&jdir).unwrap();
    let pem =
        der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &ca.cert_der).unwrap();
    std::fs::write(jdir.join("jpki-sign-ca.pem"), &pem).unwrap();
    std::fs::write(jdir.join("jpki-auth-ca.pem"), &pem).unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, person, device) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut cfg = kakunin_issuer_server::IssuerConfig::new(
            &dir.path().join("pki"),
            &jdir,
            &dir.path().join("data"),
        );
        cfg.public_url = format!("http://{addr}");
        cfg.admin_token = Some(zeroize::Zeroizing::new(TOKEN.into()));
        let state = kakunin_issuer_server::build(cfg, Arc::new(RefuseEveryone))
            .await
            .unwrap();
        let reg = state.registry().clone();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        reg.put_nonce("ab", now, now + 60).await.unwrap();
        reg.consume_nonce("ab", now).await.unwrap();
        let record = EnrolmentRecord {
            enrolment_id: "e1".into(),
            nonce_hash: "ab".into(),
            auth_link: "a".repeat(64),
            facts_link: "f".repeat(64),
            sign_link: "5".repeat(64),
            device_thumbprint: "thumb".into(),
            // A control character a hostile registry row could hold: printed escaped.
            label: Some("レジ横の\u{1b}[31m電話".into()),
            now,
            valid_from: now,
            valid_until: now + 86_400 * 30,
            mdocs: 1,
            sd_jwt_vcs: 1,
            method: "jpki_card".into(),
            level: "IAL3".into(),
        };
        let (out, ()) = reg
            .enrol(c, &record, |a| {
                Ok((
                    vec![
                        CredentialRow {
                            id: "c1".into(),
                            format: "mdoc",
                            status_index: a.first_index,
                        },
                        CredentialRow {
                            id: "c2".into(),
                            format: "sd-jwt-vc",
                            status_index: a.first_index + 1,
                        },
                    ],
                    (),
                ))
            })
            .await
            .unwrap();
        let s = state.clone();
        tokio::spawn(async move {
            kakunin_issuer_server::serve_with_shutdown(s, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        (addr, out.allocation.person_id, out.allocation.device_id)
    });
    let url = format!("http://{addr}");
    let tf = token_file.to_str().unwrap();

    let (code, out, err) = kakunin(
        &[
            "issuer",
            "devices",
            "--issuer",
            &url,
            "--person",
            &person,
            "--admin-token-file",
            tf,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("person {person}: 1 device(s)")),
        "{out}"
    );
    assert!(out.contains(&device), "{out}");
    assert!(out.contains("2 active, 0 revoked, 0 superseded"), "{out}");
    let (code, out, err) = kakunin(
        &[
            "issuer", "devices", "--issuer", &url, "--person", &person, "--json",
        ],
        Some(TOKEN),
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["devices"][0]["credentials"]["active"], 2);

    // Wrong token: the issuer's typed refusal, exit 3. No token at all: exit 2.
    let (code, _, err) = kakunin(
        &["issuer", "revoke", "--issuer", &url, "--device", &device],
        Some("wrong-token-0000000000"),
    );
    assert_eq!(code, 3);
    assert!(err.contains("401") && err.contains("unauthorized"), "{err}");
    let (code, _, err) = kakunin(
        &["issuer", "revoke", "--issuer", &url, "--device", &device],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("--admin-token-file"), "{err}");
    let (code, _, err) = kakunin(
        &[
            "issuer",
            "revoke",
            "--issuer",
            &url,
            "--device",
            "not/an/id",
        ],
        Some(TOKEN),
    );
    assert_eq!(code, 2, "{err}");

    let (code, out, err) = kakunin(
        &["issuer", "revoke", "--issuer", &url, "--device", &device],
        Some(TOKEN),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 credential(s) revoked"), "{out}");
    let (_, out, _) = kakunin(
        &[
            "issuer",
            "devices",
            "--issuer",
            &url,
            "--person",
            &person,
            "--admin-token-file",
            tf,
        ],
        None,
    );
    assert!(
        out.contains("0 active, 2 revoked, 0 superseded credential(s), revoked at"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "{out}");
    let (code, _, err) = kakunin(
        &[
            "issuer",
            "devices",
            "--issuer",
            &url,
            "--person",
            "00ff",
            "--admin-token-file",
            tf,
        ],
        None,
    );
    assert_eq!(code, 3);
    assert!(err.contains("404"), "{err}");

    // `serve` checks its arguments: a missing PKI directory, then a JPKI CA directory whose
    // CAs are not JPKI CAs (the test's EC certificate) are usage errors, before any listening.
    let (code, _, err) = kakunin(
        &[
            "issuer",
            "serve",
            "--pki",
            dir.path().join("nope").to_str().unwrap(),
            "--jpki-ca",
            jdir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = kakunin(
        &[
            "issuer",
            "serve",
            "--pki",
            dir.path().join("pki").to_str().unwrap(),
            "--jpki-ca",
            jdir.to_str().unwrap(),
            "--data",
            dir.path().join("d2").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--jpki-ca"), "{err}");
}
