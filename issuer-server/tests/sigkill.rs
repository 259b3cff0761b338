#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! Issuance is one transaction (docs/jpki-registry.md): a server process killed with SIGKILL
//! at random moments under concurrent enrolments leaves no half-issued state. Four rounds:
//! start a server process, fire enrolments from six clients (re-enrolling devices, so
//! supersession runs too), SIGKILL it at a random moment; then check the registry: no status
//! index used twice or never allocated, no credential without its device, no device without
//! its person, every committed enrolment with all its credential rows, and every enrolment
//! answered 201 present with every credential it returned (the answer is sent only after
//! the commit). SQLite and PostgreSQL (a fresh schema).
//!
//! The server process is this test binary re-run as `sigkill_child_server` (an ignored
//! helper that serves with the STAND-IN proofing of tests/common), which allows a high rate of
//! enrolments (and re-enrolments of the same device key, so supersession runs too). The same
//! kills against the real `kakunin issuer serve` with a JPKI-SIM CA and the simulated phone's
//! smartphone JPKI are in the workspace root's tests/sigkill_issuer.rs.

mod common;
use common::*;
use kakunin_core::crypto::default_provider;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ROUNDS: usize = 4;
const CLIENTS: usize = 6;

/// Not a test: the server process of [`sigkill_sqlite`] / [`sigkill_postgres`], run only
/// when they start it (it returns at once otherwise).
#[test]
#[ignore = "the child server process of the SIGKILL tests"]
fn sigkill_child_server() {
    let Ok(dir) = std::env::var("KAKUNIN_SIGKILL_DIR") else {
        return;
    };
    let port_file = PathBuf::from(std::env::var("KAKUNIN_SIGKILL_PORT_FILE").unwrap());
    let db = std::env::var("KAKUNIN_SIGKILL_DB")
        .ok()
        .filter(|s| !s.is_empty());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (mut c, ca_name) = config_at(std::path::Path::new(&dir), db);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        c.public_url = format!("http://{addr}");
        let state = kakunin_issuer_server::build(c, Arc::new(StandInProofing { ca_name }))
            .await
            .unwrap();
        let tmp = port_file.with_extension("tmp");
        std::fs::write(&tmp, addr.to_string()).unwrap();
        std::fs::rename(&tmp, &port_file).unwrap();
        kakunin_issuer_server::serve_with_shutdown(state, listener, std::future::pending())
            .await
            .unwrap();
    });
}

fn random_ms(lo: u64, hi: u64) -> u64 {
    let mut b = [0u8; 8];
    default_provider().fill_random(&mut b).unwrap();
    lo + u64::from_le_bytes(b) % (hi - lo)
}

async fn client(
    addr: std::net::SocketAddr,
    worker: usize,
    stop: Arc<AtomicBool>,
    done: Arc<Mutex<Vec<Value>>>,
) {
    let cards: Vec<StandInCard> = (0..3)
        .map(|i| {
            StandInCard::new(
                &format!("試験 {i}"),
                "1990-04-01",
                "東京都港区1-1",
                7000 + i,
            )
        })
        .collect();
    let holders = [Holder::new(), Holder::new()];
    let mut n = 0usize;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let card = &cards[(worker + n) % cards.len()];
        let holder = &holders[n % 2];
        let Some((201, _, b)) = try_http(addr, "POST", "/enrol/nonce", &[], b"").await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let v: Value = serde_json::from_slice(&b).unwrap();
        let nonce = unb64url(v["nonce"].as_str().unwrap());
        let req = holder.request(card, v["issuer"].as_str().unwrap(), &nonce, 2, 2);
        let body = serde_json::to_vec(&req.body).unwrap();
        match try_http(
            addr,
            "POST",
            "/enrol",
            &[("Content-Type", "application/json")],
            &body,
        )
        .await
        {
            Some((201, _, b)) => done
                .lock()
                .unwrap()
                .push(serde_json::from_slice(&b).unwrap()),
            Some((s, _, b)) if s != 503 => panic!("{s}: {}", String::from_utf8_lossy(&b)),
            _ => {}
        }
    }
}

async fn sigkill(postgres: bool) {
    let world = World::new();
    let url = database(&world, postgres).await;
    let exe = std::env::current_exe().unwrap();
    let done = Arc::new(Mutex::new(Vec::new()));
    for round in 0..ROUNDS {
        let port_file = world.dir.path().join(format!("port-{round}"));
        let mut child = std::process::Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "sigkill_child_server",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("KAKUNIN_SIGKILL_DIR", world.dir.path())
            .env("KAKUNIN_SIGKILL_PORT_FILE", &port_file)
            .env("KAKUNIN_SIGKILL_DB", url.clone().unwrap_or_default())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut addr = None;
        for _ in 0..600 {
            if let Ok(s) = std::fs::read_to_string(&port_file) {
                addr = Some(s.parse().unwrap());
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let addr = addr.expect("the server process did not start");
        let stop = Arc::new(AtomicBool::new(false));
        let before = done.lock().unwrap().len();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|w| tokio::spawn(client(addr, w, Arc::clone(&stop), Arc::clone(&done))))
            .collect();
        // Let some enrolments commit, then kill at a random moment.
        let started = std::time::Instant::now();
        while done.lock().unwrap().len() < before + 2 {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "no enrolment committed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(random_ms(50, 1500))).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.await.unwrap();
        }
    }
    let done = done.lock().unwrap().clone();
    assert!(
        done.len() >= 2 * ROUNDS,
        "{} enrolments committed",
        done.len()
    );
    let url = url.unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            world.dir.path().join("data/registry.db").display()
        )
    });
    let registry = kakunin_issuer_server::Registry::open(&url, 4096)
        .await
        .unwrap();
    let bad = registry.check_invariants().await.unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    use sqlx::Row;
    for v in &done {
        let device = v["device"].as_str().unwrap();
        for c in v["mdoc"]
            .as_array()
            .unwrap()
            .iter()
            .chain(v["sd_jwt_vc"].as_array().unwrap())
        {
            let uri = c["status"]["status_list"]["uri"].as_str().unwrap();
            let list = uri.rsplit('/').next().unwrap();
            let idx = c["status"]["status_list"]["idx"].as_i64().unwrap();
            let n: i64 = sqlx::query(
                "SELECT COUNT(*) FROM issuer_credentials WHERE status_list = $1 AND status_index = $2 AND device_id = $3",
            )
            .bind(list)
            .bind(idx)
            .bind(device)
            .fetch_one(registry.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
            assert_eq!(n, 1, "an answered credential is in the registry");
        }
    }
    let enrolments: i64 = sqlx::query("SELECT COUNT(*) FROM issuer_enrolments")
        .fetch_one(registry.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(enrolments >= i64::try_from(done.len()).unwrap());
    eprintln!(
        "sigkill: {ROUNDS} kills, {} answered enrolments, {enrolments} committed",
        done.len()
    );
    registry.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_sqlite() {
    sigkill(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_postgres() {
    sigkill(true).await;
}
