#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The till's real session runner against a phone in another process: `kakunin holder-sim
//! serve --ble-sim` (a wallet issued by kakunin-issuer through `kakunin issue mdoc`) prints
//! its `mdoc:` URI; the URI is posted to a till running in this process with
//! `transports.ble = "sim"`, which runs the reader flow over the simulated radio (the Unix
//! socket of kakunin_transport::adapters::ble_socket) — session encryption, readerAuth with
//! the till's reader certificate, verified by the phone — and shows OK.

#[path = "../verifier-server/tests/common/mod.rs"]
mod common;

use kakunin_verifier_server::{build, serve_with_shutdown, BleMode, Config};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kakunin")
}

fn run_ok(args: &[&str]) {
    let out = Command::new(bin()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_scanned_code_runs_the_reader_flow_over_the_simulated_radio_to_ok() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    let claims = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/examples/mdl-claims.json");
    run_ok(&["pki", "init", "--out", &d("pki")]);
    run_ok(&[
        "issue",
        "mdoc",
        "--pki",
        &d("pki"),
        "--claims",
        claims.to_str().unwrap(),
        "--new-device-keys",
        "--count",
        "1",
        "--out",
        &d("wallet"),
    ]);

    // The till, in process, on a free port.
    let mut config = Config::new(dir.path().join("till"));
    config.trust_anchors = vec![d("pki/iaca.cert.pem").into()];
    config.reader_cert = Some(d("pki/reader.cert.pem").into());
    config.reader_key = Some(d("pki/reader.key.pem").into());
    config.transports.ble = BleMode::Sim;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let state = rt.block_on(build(config, None)).unwrap();
    let audit = state.audit().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(serve_with_shutdown(state, listener, async {
        let _ = stopped.await;
    }));

    // The phone, in another process, advertising on the simulated radio.
    let mut holder = Command::new(bin())
        .args([
            "holder-sim",
            "serve",
            "--wallet",
            &d("wallet"),
            "--ble-sim",
            "--reader-trust",
            &d("pki/reader-root.cert.pem"),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(holder.stdout.take().unwrap()).lines();
    let uri = lines.next().unwrap().unwrap();
    assert!(uri.starts_with("mdoc:"), "{uri}");

    let body = serde_json::json!({ "uri": uri }).to_string();
    let (status, v) = common::post_json(addr, "/api/v1/till/engage", &body, None);
    assert_eq!(status, 202, "{v}");
    let session = v["session"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let state = loop {
        let (_, _, b) = common::http(addr, "GET", "/api/v1/till/state", &[], b"");
        let s: serde_json::Value = serde_json::from_slice(&b).unwrap();
        if s["state"] == "result" && s["session"] == session {
            break s;
        }
        assert!(Instant::now() < deadline, "{s}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(state["verdict"], "OK", "{state}");
    assert_eq!(state["portrait"], true, "{state}");

    // The phone verified the till's readerAuth and shared what was asked.
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(holder.wait().unwrap().success(), "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("Kakunin test reader (authenticated)")),
        "{rest:?}"
    );

    // One audit row: qr+ble, mdoc, OK, the DS serial and the IACA's full subject.
    let rows = rt.block_on(audit.export(None)).unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (row.transport.as_str(), row.verdict.as_str()),
        ("qr+ble", "OK")
    );
    assert_eq!(row.format.as_deref(), Some("mdoc"));
    assert!(row.ds_serial.as_deref().is_some_and(|s| !s.is_empty()));
    assert!(
        row.iaca_subject
            .as_deref()
            .is_some_and(|s| s.contains("C=")),
        "{row:?}"
    );
    let _ = stop.send(());
    rt.block_on(server).unwrap().unwrap();
}
