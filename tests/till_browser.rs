#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The till page in a real browser: `kakunin till serve --demo` as a process, and Debian's
//! headless Chromium driven by `tests/browser/till.mjs` (playwright-core) through every
//! simulated customer — OK with the portrait for the adult, NG with the right reason for the
//! others, the portrait gone after "next customer", the stalled phone ending in NG `timeout`
//! and the till ready again. Screenshots land in `target/browser/`.
//!
//! Needs `/usr/bin/chromium`, node and `tests/browser/node_modules` (`bash
//! scripts/install-peers.sh` installs them); without them the test fails, it does not skip.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server process, killed however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// `GET /healthz` over a raw connection: true once the till answers 200.
fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.take(64 * 1024).read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.starts_with("HTTP/1.1 200") && text.contains("\"status\":\"ok\"")
}

/// `target/` of this build: the directory above `target/<profile>/kakunin`.
fn target_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_kakunin"));
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

#[test]
fn the_till_page_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/browser/till.mjs");
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: run `bash scripts/install-peers.sh`"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "node is missing: install Node.js, then run `bash scripts/install-peers.sh`"
    );
    assert!(
        root.join("tests/browser/node_modules/playwright-core")
            .is_dir(),
        "playwright-core is missing: run `bash scripts/install-peers.sh`"
    );

    let shots = target_dir().join("browser");
    if shots.exists() {
        std::fs::remove_dir_all(&shots).unwrap();
    }
    std::fs::create_dir_all(&shots).unwrap();

    let data = tempfile::tempdir().unwrap();
    let addr = free_port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args(["till", "serve", "--demo", "--listen", &addr.to_string()])
            .arg("--data")
            .arg(data.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(shots.join("till-stdout.log")).unwrap())
            .stderr(std::fs::File::create(shots.join("till-stderr.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !healthy(addr) {
        assert!(
            Instant::now() < deadline,
            "the till did not answer /healthz within 30 s (logs in {})",
            shots.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let summary = shots.join("summary.json");
    let mut browser = Command::new("node")
        .arg(&script)
        .arg(format!("http://{addr}/"))
        .arg(&shots)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&summary).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // The script bounds itself (150 s); this is the backstop.
    let deadline = Instant::now() + Duration::from_secs(240);
    let status = loop {
        if let Some(st) = browser.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = browser.kill();
            let _ = browser.wait();
            panic!("tests/browser/till.mjs did not end within 240 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        status.success(),
        "browser checks failed ({status}):\n{text}"
    );

    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["ok"], true, "{text}");
    assert!(v["failed"].as_array().unwrap().is_empty(), "{text}");
    let checks = v["checks"].as_array().unwrap();
    // Every customer's result was checked, not only the start.
    for name in [
        "adult: verdict OK",
        "adult: portrait visible and loaded",
        "adult: the page's portrait response is Cache-Control: no-store",
        "adult: portrait gone from the page after next customer",
        "adult: old portrait URL no longer answers after next customer",
        "nineteen: reason under_age",
        "nineteen: plain-words text (ja)",
        "expired: reason expired",
        "tampered: reason tampered",
        "stalling: reason timeout",
        "stalling after next customer: till waiting, next disabled",
        "adult-after-stall: verdict OK",
    ] {
        assert!(
            checks.iter().any(|c| c["name"] == name && c["ok"] == true),
            "check {name:?} missing or failed:\n{text}"
        );
    }
    let pngs = v["screenshots"].as_array().unwrap();
    assert_eq!(pngs.len(), 14, "{text}");
    for p in pngs {
        let p = Path::new(p.as_str().unwrap());
        let bytes = std::fs::read(p).unwrap();
        assert!(
            bytes.len() > 1000 && bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a screenshot",
            p.display()
        );
    }
}
