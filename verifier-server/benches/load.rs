#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! Load benchmark of `POST /api/v1/verify/mdoc` on loopback (bench/till-load.sh): N
//! keep-alive clients in a closed loop (bounded in count and time) give verifications per
//! second, p50 and p99; then the same clients at half that rate give p99 under load; then
//! the same closed loop against tests/interop/auth0_server.mjs (@auth0/mdl) with the same
//! responses, side by side. The till runs in process with its default SQLite audit store
//! (WAL, synchronous=FULL, a row committed before each answer).
//!
//! Environment: KAKUNIN_LOAD_CLIENTS (8), KAKUNIN_LOAD_SECONDS (5), KAKUNIN_LOAD_MAX
//! (200000), KAKUNIN_LOAD_NODE (node; empty skips the @auth0/mdl server).

#[path = "../tests/common/mod.rs"]
mod common;

use common::{mdoc_body, Who, World};
use kakunin_holder_sim::DeviceAuthMode;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One keep-alive connection.
struct Conn {
    w: TcpStream,
    r: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    fn new(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Conn {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
            host: addr.to_string(),
        }
    }

    /// POST the body; the answer's body (status 200 required).
    fn post(&mut self, path: &str, body: &[u8]) -> Vec<u8> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        self.w.write_all(head.as_bytes()).unwrap();
        self.w.write_all(body).unwrap();
        let mut status = String::new();
        self.r.read_line(&mut status).unwrap();
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            self.r.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap();
                }
            }
        }
        let mut out = vec![0u8; len];
        self.r.read_exact(&mut out).unwrap();
        out
    }
}

struct Run {
    count: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

/// `clients` threads; each sends `bodies` round-robin, closed loop (`rate` = None) or paced
/// at `rate` requests/s in total; until `max` requests or `seconds`.
fn load(
    addr: SocketAddr,
    bodies: &[String],
    clients: usize,
    seconds: u64,
    max: usize,
    rate: Option<f64>,
    expect: &[&str],
) -> Run {
    let started = Instant::now();
    let per_client = max / clients;
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let bodies: Vec<String> = bodies.to_vec();
            let expect: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
            std::thread::spawn(move || {
                let mut c = Conn::new(addr);
                let mut lat = Vec::with_capacity(per_client.min(1 << 20));
                let interval = rate.map(|r| Duration::from_secs_f64(clients as f64 / r));
                let t0 = Instant::now();
                for n in 0..per_client {
                    if t0.elapsed() > Duration::from_secs(seconds) {
                        break;
                    }
                    if let Some(iv) = interval {
                        let due = t0 + iv * u32::try_from(n).unwrap();
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                    }
                    let k = (i + n) % bodies.len();
                    let t = Instant::now();
                    let answer = c.post("/api/v1/verify/mdoc", bodies[k].as_bytes());
                    lat.push(t.elapsed());
                    let v: serde_json::Value = serde_json::from_slice(&answer).unwrap();
                    assert_eq!(v["verdict"], expect[k].as_str(), "{v}");
                }
                lat
            })
        })
        .collect();
    let mut all: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let elapsed = started.elapsed();
    all.sort_unstable();
    // Quantile by rank: the index (len - 1) * per_mille / 1000 in integers.
    let q = |per_mille: usize| {
        all.get(all.len().saturating_sub(1) * per_mille / 1000)
            .copied()
            .unwrap_or_default()
    };
    Run {
        count: all.len(),
        elapsed,
        p50: q(500),
        p99: q(990),
    }
}

fn row(name: &str, r: &Run) {
    println!(
        "{name:<44} {:>9} {:>10.0}/s {:>9.2} ms {:>9.2} ms",
        r.count,
        r.count as f64 / r.elapsed.as_secs_f64(),
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3
    );
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn main() {
    let clients = usize::try_from(env("KAKUNIN_LOAD_CLIENTS", 8)).unwrap();
    let seconds = env("KAKUNIN_LOAD_SECONDS", 5);
    let max = usize::try_from(env("KAKUNIN_LOAD_MAX", 200_000)).unwrap();
    let node = std::env::var("KAKUNIN_LOAD_NODE").unwrap_or_else(|_| "node".into());
    // The benchmark's own process: its argument list from cargo (--bench) is ignored.
    let w = World::new();
    let samples = [
        (
            w.mdoc(Who::Adult, &["age_over_20"], DeviceAuthMode::Signature),
            "OK",
        ),
        (
            w.mdoc(Who::Adult, &["age_over_20"], DeviceAuthMode::Signature),
            "OK",
        ),
        (
            w.mdoc(Who::Minor, &["age_over_20"], DeviceAuthMode::Signature),
            "NG",
        ),
        (
            w.mdoc(Who::Adult, &["age_over_20"], DeviceAuthMode::Signature),
            "OK",
        ),
    ];
    let bodies: Vec<String> = samples.iter().map(|(s, _)| mdoc_body(s, false)).collect();
    let expect: Vec<&str> = samples.iter().map(|(_, e)| *e).collect();
    let iaca = w.iaca_file();

    let data = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let mut c = kakunin_verifier_server::Config::new(data.path());
        c.trust_anchors = vec![iaca.clone()];
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = kakunin_verifier_server::build(c, None).await.unwrap();
        tokio::spawn(kakunin_verifier_server::serve_with_shutdown(
            state,
            listener,
            std::future::pending(),
        ));
        addr
    });

    // The verification alone (no HTTP, no audit), one thread: the ceiling per core.
    let anchors =
        kakunin_core::trust::TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap();
    let policy = kakunin_verifier::AgePolicy::default();
    let n_direct = 2000u32;
    let t = Instant::now();
    for i in 0..n_direct {
        let (s, _) = &samples[i as usize % samples.len()];
        let o = kakunin_verifier_server::verify::verify_mdoc(
            &anchors,
            &policy,
            &s.response,
            &s.transcript,
            None,
            common::now(),
        );
        assert!(o.report["documents"].is_array());
    }
    let per_op = t.elapsed() / n_direct;
    println!(
        "machine: {} cores, load average before: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    println!("{clients} keep-alive clients on loopback, at most {seconds} s and {max} requests per run\n");
    println!(
        "verification alone (verify_mdoc + verdict + report JSON, one thread): {:.1} us/op, {:.0}/s per core\n",
        per_op.as_secs_f64() * 1e6,
        1.0 / per_op.as_secs_f64()
    );
    println!(
        "{:<44} {:>9} {:>12} {:>12} {:>12}",
        "run", "requests", "rate", "p50", "p99"
    );
    // Warm-up (connection set-up, page cache, SQLite file growth).
    let _ = load(addr, &bodies, clients, 1, 2000, None, &expect);
    let full = load(addr, &bodies, clients, seconds, max, None, &expect);
    row("kakunin till, closed loop", &full);
    let half_rate = full.count as f64 / full.elapsed.as_secs_f64() / 2.0;
    let half = load(
        addr,
        &bodies,
        clients,
        seconds,
        max,
        Some(half_rate),
        &expect,
    );
    row(
        &format!("kakunin till, paced at {half_rate:.0}/s (half)"),
        &half,
    );

    let mut ratio = None;
    if !node.is_empty() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/interop/auth0_server.mjs"
        );
        let mut child = std::process::Command::new(&node)
            .arg(script)
            .arg(&iaca)
            .arg(port.to_string())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let node_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let _ = load(node_addr, &bodies, clients, 1, 500, None, &expect);
        let a = load(node_addr, &bodies, clients, seconds, max, None, &expect);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        row(
            &format!(
                "@auth0/mdl {} server, closed loop",
                v["version"].as_str().unwrap_or("?")
            ),
            &a,
        );
        let _ = child.kill();
        let _ = child.wait();
        ratio = Some(
            (full.count as f64 / full.elapsed.as_secs_f64())
                / (a.count as f64 / a.elapsed.as_secs_f64()),
        );
    }
    println!("\nload average after: {}", loadavg());
    let rate = full.count as f64 / full.elapsed.as_secs_f64();
    println!(
        "goal >= 5000/s: {} ({rate:.0}/s)",
        if rate >= 5000.0 { "met" } else { "NOT met" }
    );
    println!(
        "goal p99 <= 5 ms at half rate: {} ({:.2} ms)",
        if half.p99 <= Duration::from_millis(5) {
            "met"
        } else {
            "NOT met"
        },
        half.p99.as_secs_f64() * 1e3
    );
    if let Some(r) = ratio {
        println!(
            "goal >= 20x @auth0/mdl: {} ({r:.1}x)",
            if r >= 20.0 { "met" } else { "NOT met" }
        );
    }
    drop(rt);
}
