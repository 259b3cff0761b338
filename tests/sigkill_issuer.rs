#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Issuance is one transaction (docs/jpki-registry.md), on the real binary: `kakunin issuer
//! serve` with a JPKI-SIM CA directory (`jpki-sim init`) is killed with SIGKILL at a random
//! moment while four clients enrol with the profile's smartphone JPKI (in process:
//! `kakunin_holder_sim::enrolment::sign_with_phone` over `enrol_client`), three rounds. Then,
//! with the service started once more: every enrolment answered 201 has its device with all its
//! credentials active, no status index was handed out twice, and the registry's invariants
//! hold (no index used twice, no credential without its device or enrolment, no device without
//! its person, every enrolment with all its rows). SQLite and PostgreSQL (a fresh schema;
//! scripts/install-postgres.sh). issuer-server/tests/sigkill.rs does the same at a higher
//! rate against a stand-in proofing.

use kakunin_core::crypto::default_provider;
use kakunin_holder_sim::enrolment::{prepare, sign_with_phone, EnrolmentKeys, NonceOffer};
use kakunin_holder_sim::jpki_card::SimulatedPhone;
use kakunin_issuer_server::enrol_client::{enrol, fetch_nonce, EnrolClientError};
use serde_json::Value;
use std::collections::HashSet;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
const CLIENTS: usize = 4;
const DEFAULT_PG: &str = "postgres://kakunin:kakunin-test@127.0.0.1:5432/kakunin_test";

fn ok(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kakunin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn random_ms(lo: u64, hi: u64) -> u64 {
    let mut b = [0u8; 8];
    default_provider().fill_random(&mut b).unwrap();
    lo + u64::from_le_bytes(b) % (hi - lo)
}

struct World {
    dir: tempfile::TempDir,
    db: Option<String>,
}

impl World {
    fn new(postgres: bool) -> World {
        let dir = tempfile::tempdir().unwrap();
        ok(&["jpki-sim", "init", "--out", s(&dir.path().join("ca"))]);
        ok(&["pki", "init", "--out", s(&dir.path().join("pki"))]);
        let db = postgres.then(fresh_schema);
        World { dir, db }
    }

    fn profile(&self) -> PathBuf {
        self.dir.path().join("ca").join("taro")
    }

    /// `kakunin issuer serve` on a free port; its address once it accepts connections.
    fn serve(&self) -> (Child, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let d = self.dir.path();
        let mut args = vec![
            "issuer".to_string(),
            "serve".into(),
            "--pki".into(),
            s(&d.join("pki")).into(),
            "--jpki-ca".into(),
            s(&d.join("ca")).into(),
            "--data".into(),
            s(&d.join("data")).into(),
            "--listen".into(),
            addr.clone(),
        ];
        if let Some(db) = &self.db {
            args.extend(["--db".to_string(), db.clone()]);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(&addr).is_err() {
            if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
                let _ = child.kill();
                panic!("kakunin issuer serve never listened on {addr}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        (child, format!("http://{addr}"))
    }

    fn registry_url(&self) -> String {
        self.db.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.dir.path().join("data/registry.db").display()
            )
        })
    }
}

/// A fresh schema in the test database, as a `--db` URL whose search_path is that schema.
fn fresh_schema() -> String {
    let base = std::env::var("KAKUNIN_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG.into());
    let mut tag = [0u8; 6];
    default_provider().fill_random(&mut tag).unwrap();
    let schema = format!("issuer_test_{}", hex::encode(tag));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&base)
            .await
            .expect("PostgreSQL (run scripts/install-postgres.sh)");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options[search_path]={schema}")
}

/// One client: enrol with the phone again and again until `stop`; every 201 answer in `done`.
fn client(url: String, profile: PathBuf, stop: Arc<AtomicBool>, done: Arc<Mutex<Vec<Value>>>) {
    let c = default_provider();
    let pins: Value =
        serde_json::from_slice(&std::fs::read(profile.join("phone/pins.json")).unwrap()).unwrap();
    let pin = |k: &str| kakunin_core::secret::Pin::parse(pins[k].as_str().unwrap()).unwrap();
    let (sign_pin, auth_pin) = (pin("signature_pin"), pin("authentication_pin"));
    let mut phone = SimulatedPhone::load(&profile).unwrap();
    while !stop.load(Ordering::SeqCst) {
        let offer = match fetch_nonce(&url) {
            Ok(b) => NonceOffer::parse(&b).unwrap(),
            Err(EnrolClientError::Transport(_)) | Err(EnrolClientError::Status(503)) => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            Err(e) => panic!("nonce: {e}"),
        };
        let keys = EnrolmentKeys::generate(c, 2, 2).unwrap();
        let prepared = prepare(c, &offer, &keys).unwrap();
        let body = sign_with_phone(&mut phone, &sign_pin, &auth_pin, prepared, None).unwrap();
        match enrol(&url, &body) {
            Ok(answer) => done
                .lock()
                .unwrap()
                .push(serde_json::from_slice(&answer).unwrap()),
            // Killed mid-request, or busy: nothing to check for this one.
            Err(EnrolClientError::Transport(_)) | Err(EnrolClientError::Status(503)) => {}
            Err(e) => panic!("enrol: {e}"),
        }
    }
}

fn sigkill(postgres: bool) {
    let world = World::new(postgres);
    let done = Arc::new(Mutex::new(Vec::<Value>::new()));
    for _ in 0..ROUNDS {
        let (mut child, url) = world.serve();
        let stop = Arc::new(AtomicBool::new(false));
        let before = done.lock().unwrap().len();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (url, profile) = (url.clone(), world.profile());
                let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
                std::thread::spawn(move || client(url, profile, stop, done))
            })
            .collect();
        // Let some enrolments commit, then kill at a random moment.
        let started = Instant::now();
        while done.lock().unwrap().len() < before + 2 {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "no enrolment committed"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(random_ms(50, 1500)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().unwrap();
        }
    }
    let done = done.lock().unwrap().clone();
    assert!(done.len() >= 2 * ROUNDS, "{} answered", done.len());

    // No status index was handed out twice.
    let mut indices = HashSet::new();
    for v in &done {
        for c in v["mdoc"]
            .as_array()
            .unwrap()
            .iter()
            .chain(v["sd_jwt_vc"].as_array().unwrap())
        {
            let sl = &c["status"]["status_list"];
            let key = (
                sl["uri"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned(),
                sl["idx"].as_u64().unwrap(),
            );
            assert!(indices.insert(key.clone()), "{key:?} handed out twice");
        }
    }

    // Restarted: every answered enrolment has its device with all four credentials active.
    let (mut child, url) = world.serve();
    let token = std::fs::read_to_string(world.dir.path().join("data/admin-token")).unwrap();
    let person = done[0]["person"].as_str().unwrap();
    let listed = kakunin_issuer_server::client::request(
        &url,
        "GET",
        &format!("/admin/persons/{person}/devices"),
        token.trim(),
        None,
    )
    .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    let devices = listed.body["devices"].as_array().unwrap();
    for v in &done {
        assert_eq!(
            v["person"].as_str(),
            Some(person),
            "one person, many devices"
        );
        let id = v["device"].as_str().unwrap();
        let d = devices
            .iter()
            .find(|d| d["device"] == id)
            .unwrap_or_else(|| panic!("answered device {id} is not in the registry"));
        assert_eq!(d["credentials"]["active"], 4, "{d}");
    }
    assert!(devices.len() >= done.len());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let registry = kakunin_issuer_server::Registry::open(&world.registry_url(), 1 << 20)
            .await
            .unwrap();
        let bad = registry.check_invariants().await.unwrap();
        assert!(bad.is_empty(), "{bad:?}");
        registry.close().await;
    });
    eprintln!(
        "sigkill ({}): {ROUNDS} kills, {} answered enrolments, {} devices registered",
        if postgres { "PostgreSQL" } else { "SQLite" },
        done.len(),
        devices.len()
    );
}

#[test]
fn sigkill_sqlite() {
    sigkill(false);
}

#[test]
fn sigkill_postgres() {
    sigkill(true);
}
