#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! `kakunin till serve` as a process: SIGKILL during a load run loses no row of any answered
//! verification, and nothing personal (family name, birth date, document number, any 16-byte
//! run of the portrait) reaches the database, the logs or any file the till wrote.

#[path = "../verifier-server/tests/common/mod.rs"]
mod common;

use common::{mdoc_body, post_json, Who, World};
use kakunin_holder_sim::DeviceAuthMode;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn serve(data: &Path, logs: &Path, iaca: &Path, addr: SocketAddr, extra: &[&str]) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(["till", "serve", "--listen", &addr.to_string(), "--data"])
        .arg(data)
        .arg("--trust-anchor")
        .arg(iaca)
        .args(extra)
        .stdout(std::fs::File::create(logs.join("stdout.log")).unwrap())
        .stderr(std::fs::File::create(logs.join("stderr.log")).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the till did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn export(data: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(["till", "audit", "--format", "json", "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn sigkill_during_load_loses_no_answered_row() {
    let w = World::new();
    let iaca = w.iaca_file();
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let addr = free_port();
    let mut child = serve(data.path(), logs.path(), &iaca, addr, &[]);
    let bodies: Vec<String> = [Who::Adult, Who::Minor]
        .iter()
        .map(|who| {
            mdoc_body(
                &w.mdoc(*who, &["age_over_20"], DeviceAuthMode::Signature),
                false,
            )
        })
        .collect();
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let (answered, stop, body) = (
                Arc::clone(&answered),
                Arc::clone(&stop),
                bodies[i % 2].clone(),
            );
            std::thread::spawn(move || {
                let started = Instant::now();
                // Bounded: 5,000 requests or 20 s per client, whichever first.
                for _ in 0..5000 {
                    if stop.load(Ordering::Relaxed) || started.elapsed() > Duration::from_secs(20) {
                        break;
                    }
                    let r = std::panic::catch_unwind(|| {
                        post_json(addr, "/api/v1/verify/mdoc", &body, None)
                    });
                    match r {
                        Ok((200, v)) => answered
                            .lock()
                            .unwrap()
                            .push(v["audit_id"].as_str().unwrap().to_string()),
                        _ => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    // Kill mid-load, once some answers are in.
    let deadline = Instant::now() + Duration::from_secs(20);
    while answered.lock().unwrap().len() < 50 {
        assert!(Instant::now() < deadline, "no load got through");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.join();
    }
    let answered = answered.lock().unwrap().clone();
    // Restart on the same data directory: the database opens (WAL recovery) and serves.
    let mut child = serve(data.path(), logs.path(), &iaca, addr, &[]);
    let (status, v) = post_json(addr, "/api/v1/verify/mdoc", &bodies[0], None);
    assert_eq!((status, v["verdict"].as_str()), (200, Some("OK")));
    child.kill().unwrap();
    child.wait().unwrap();
    let rows = export(data.path());
    let stored: std::collections::HashSet<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let lost: Vec<&String> = answered
        .iter()
        .filter(|id| !stored.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} answered rows lost: {lost:?}",
        lost.len(),
        answered.len()
    );
    assert!(
        stored.len() > answered.len(),
        "the restart's row is there too"
    );
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn nothing_personal_is_written_or_logged() {
    let w = World::new();
    let iaca = w.iaca_file();
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let addr = free_port();
    let mut child = serve(data.path(), logs.path(), &iaca, addr, &["--demo"]);
    let asked = [
        "age_over_20",
        "portrait",
        "family_name",
        "birth_date",
        "document_number",
    ];
    let mut births = Vec::new();
    for who in [Who::Adult, Who::Minor, Who::Expired] {
        let s = w.mdoc(who, &asked, DeviceAuthMode::Signature);
        births.push(s.birth.clone());
        let (status, v) = post_json(addr, "/api/v1/verify/mdoc", &mdoc_body(&s, false), None);
        assert_eq!(status, 200);
        // The platform that asked gets the values in the report...
        assert!(v.to_string().contains(common::FAMILY_NAME));
    }
    let mut tampered = w.mdoc(Who::Adult, &asked, DeviceAuthMode::Signature);
    tampered.response = common::tamper(&tampered.response);
    assert_eq!(
        post_json(
            addr,
            "/api/v1/verify/mdoc",
            &mdoc_body(&tampered, false),
            None
        )
        .1["reason"],
        "tampered"
    );
    let p = w.sd_jwt(Who::Adult, "till-1", "n-1");
    let body = serde_json::json!({"presentation": p, "aud": "till-1", "nonce": "n-1"}).to_string();
    assert_eq!(
        post_json(addr, "/api/v1/verify/sd-jwt", &body, None).1["verdict"],
        "OK"
    );
    // The demo customers on the page, the portrait fetched while on screen.
    for customer in ["adult", "nineteen", "expired", "tampered"] {
        let (status, v) = post_json(addr, &format!("/api/v1/till/demo/{customer}"), "{}", None);
        assert_eq!(status, 202, "{v}");
        let session = v["session"].as_u64().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, _, state) = common::http(addr, "GET", "/api/v1/till/state", &[], b"");
            let state: serde_json::Value = serde_json::from_slice(&state).unwrap();
            if state["state"] == "result" && state["session"] == session {
                if state["portrait"] == true {
                    let (status, headers, img) = common::http(
                        addr,
                        "GET",
                        &format!("/api/v1/till/portrait?session={session}"),
                        &[],
                        b"",
                    );
                    assert_eq!(status, 200);
                    assert!(headers
                        .iter()
                        .any(|(k, v)| k == "cache-control" && v == "no-store"));
                    assert!(img.starts_with(&[0xff, 0xd8]));
                }
                break;
            }
            assert!(Instant::now() < deadline, "{state}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let (status, _) = post_json(addr, "/api/v1/till/next", "{}", None);
        assert_eq!(status, 200);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // ... and nothing of it stays on the till.
    let mut files = Vec::new();
    files_under(data.path(), &mut files);
    files.push(logs.path().join("stdout.log"));
    files.push(logs.path().join("stderr.log"));
    assert!(files.len() >= 3, "{files:?}");
    let portrait = common::portrait();
    // Every 16-byte run of the portrait, except the low-entropy ones (JPEG padding and
    // quantisation tables: zeros, `0x76` repeated) that any binary file may hold by chance.
    let runs: std::collections::HashSet<&[u8]> = portrait
        .windows(16)
        .filter(|w| w.iter().collect::<std::collections::HashSet<_>>().len() >= 8)
        .collect();
    assert!(runs.len() > 800);
    let mut texts: Vec<Vec<u8>> = vec![
        common::FAMILY_NAME.into(),
        common::DOCUMENT_NUMBER.into(),
        b"Demokyaku".to_vec(),
        b"DEMO-0001".to_vec(),
    ];
    texts.extend(births.iter().map(|b| b.as_bytes().to_vec()));
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for t in &texts {
            assert!(
                !bytes.windows(t.len()).any(|w| w == t.as_slice()),
                "{} holds {:?}",
                f.display(),
                String::from_utf8_lossy(t)
            );
        }
        assert!(
            !bytes.windows(16).any(|w| runs.contains(w)),
            "{} holds a 16-byte run of the portrait",
            f.display()
        );
    }
    let rows = export(data.path());
    assert_eq!(rows.as_array().unwrap().len(), 9);
}
