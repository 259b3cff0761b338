// The load benchmark's code, shared by load.rs (the system allocator) and
// load_mimalloc.rs (mimalloc).

#[path = "../../tests/common/mod.rs"]
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

/// The verdict field of an answer: the value of the top-level `"verdict"` key, found by one
/// pass over the bytes that skips strings (with their escapes) and tracks nesting, so a
/// `verdict` key inside the report or a string holding the word cannot be mistaken for it.
/// Nothing is built: the load generator shares the two cores with the server.
fn verdict_of(body: &[u8]) -> Option<&[u8]> {
    let mut depth = 0usize;
    let mut i = 0usize;
    // The string that ended last at depth 1, while it may still be a key.
    let mut last_key: Option<(usize, usize)> = None;
    while let Some(&b) = body.get(i) {
        match b {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                loop {
                    match body.get(j)? {
                        b'\\' => j += 2,
                        b'"' => break,
                        _ => j += 1,
                    }
                }
                if depth == 1 {
                    if let Some((ks, ke)) = last_key.take() {
                        if &body[ks..ke] == b"verdict" {
                            return Some(&body[start..j]);
                        }
                    }
                    let after = body[j + 1..].iter().position(|c| !c.is_ascii_whitespace());
                    if after.is_some_and(|k| body[j + 1 + k] == b':') {
                        last_key = Some((start, j));
                    }
                }
                i = j + 1;
                continue;
            }
            b'{' | b'[' => {
                // A key's value that is an object or array: that key was not the verdict.
                if depth == 1 {
                    last_key = None;
                }
                depth += 1;
            }
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b':' | b',' | b' ' | b'\n' | b'\r' | b'\t' => {}
            // A value other than a string after the key: not the verdict.
            _ => {
                if depth == 1 {
                    last_key = None;
                }
            }
        }
        i += 1;
    }
    None
}

/// One keep-alive connection, wrk-style: each request is pre-built bytes sent with one
/// write; the answer is read into one reused buffer, its status line checked for 200, its
/// Content-Length found without building strings, and its body handed back as a slice.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` read past the previous answer (none with a closed loop).
    filled: usize,
}

/// The request bytes of POST `path` with `body`: head and body together.
fn request_bytes(addr: SocketAddr, path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The value of the Content-Length header in a head (`\r\n`-separated lines).
fn content_length(head: &[u8]) -> Option<usize> {
    for line in head.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if line[..colon].eq_ignore_ascii_case(b"content-length") {
            let v = std::str::from_utf8(&line[colon + 1..]).ok()?;
            return v.trim().parse().ok();
        }
    }
    None
}

impl Conn {
    fn new(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Conn {
            s,
            buf: vec![0u8; 16 * 1024],
            filled: 0,
        }
    }

    /// Send one pre-built request; the answer's body (status 200 required).
    fn post(&mut self, request: &[u8]) -> &[u8] {
        self.s.write_all(request).unwrap();
        // The head.
        let head_end = loop {
            if let Some(p) = find(&self.buf[..self.filled], b"\r\n\r\n") {
                break p + 4;
            }
            self.fill();
        };
        let head = &self.buf[..head_end];
        assert!(
            head.starts_with(b"HTTP/1.1 200 "),
            "{}",
            String::from_utf8_lossy(head)
        );
        let len = content_length(head).expect("a Content-Length");
        let end = head_end + len;
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        while self.filled < end {
            self.fill();
        }
        // Keep-alive, one request at a time: nothing should follow the body.
        assert_eq!(self.filled, end, "bytes after the answer");
        self.filled = 0;
        &self.buf[head_end..end]
    }

    fn fill(&mut self) {
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.s.read(&mut self.buf[self.filled..]).unwrap();
        assert!(n > 0, "connection closed by the server");
        self.filled += n;
    }
}

/// The load generator of the earlier benchmark (kept for the before/after of its own CPU
/// per request): a head formatted per request, `BufRead` line reads into new Strings, and
/// the answer parsed by serde_json.
struct OldConn {
    w: TcpStream,
    r: BufReader<TcpStream>,
    host: String,
}

impl OldConn {
    fn new(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        OldConn {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
            host: addr.to_string(),
        }
    }

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

/// The old client's answer check: the verdict, borrowed by serde_json.
#[derive(serde::Deserialize)]
struct Answer<'a> {
    verdict: &'a str,
}

struct Run {
    count: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
    /// CPU seconds the load generator's own threads used (they share the machine).
    client_cpu: f64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }

    /// The load generator's CPU time per request (its threads' user + system time).
    fn client_cpu_per_request(&self) -> f64 {
        self.client_cpu / self.count.max(1) as f64
    }
}

/// CPU seconds (user + system) from a `/proc/.../stat` file: fields 14 and 15, in clock
/// ticks (USER_HZ, 100 on Linux).
fn cpu_seconds(stat_path: &str) -> f64 {
    let text = std::fs::read_to_string(stat_path).unwrap_or_default();
    let after = text.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // After the `(comm)` field: state is field 3, utime 14, stime 15.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    ticks as f64 / 100.0
}

/// Which load generator: the wrk-style one (default) or the earlier one, for its before/after.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Client {
    Raw,
    Old,
}

/// `clients` threads; each sends `bodies` round-robin, closed loop (`rate` = None) or paced
/// at `rate` requests/s in total; until `max` requests or `seconds`. Paced latencies are
/// taken from each request's scheduled time, not from when it could be sent, so a server
/// that falls behind shows its queueing in the quantiles (no coordinated omission). Every
/// answer must be status 200 with the expected verdict.
#[allow(clippy::too_many_arguments)]
fn load_with(
    client: Client,
    addr: SocketAddr,
    bodies: &[String],
    clients: usize,
    seconds: u64,
    max: usize,
    rate: Option<f64>,
    expect: &[&str],
) -> Run {
    let started = Instant::now();
    let per_client = (max / clients).max(1);
    let path = "/api/v1/verify/mdoc";
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let bodies: Vec<String> = bodies.to_vec();
            let requests: Vec<Vec<u8>> = bodies
                .iter()
                .map(|b| request_bytes(addr, path, b.as_bytes()))
                .collect();
            let expect: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
            std::thread::spawn(move || {
                let cpu0 = cpu_seconds("/proc/thread-self/stat");
                let mut raw = (client == Client::Raw).then(|| Conn::new(addr));
                let mut old = (client == Client::Old).then(|| OldConn::new(addr));
                let mut lat = Vec::with_capacity(per_client.min(1 << 20));
                let interval = rate.map(|r| Duration::from_secs_f64(clients as f64 / r));
                let t0 = Instant::now();
                // Clients start spread over one interval, not all at once.
                let offset =
                    interval.map_or(Duration::ZERO, |iv| iv.mul_f64(i as f64 / clients as f64));
                for n in 0..per_client {
                    if t0.elapsed() > Duration::from_secs(seconds) {
                        break;
                    }
                    let mut t = Instant::now();
                    if let Some(iv) = interval {
                        let due = t0 + offset + iv * u32::try_from(n).unwrap();
                        if let Some(wait) = due.checked_duration_since(t) {
                            std::thread::sleep(wait);
                        }
                        t = due;
                    }
                    let k = (i + n) % bodies.len();
                    if let Some(c) = raw.as_mut() {
                        let answer = c.post(&requests[k]);
                        lat.push(t.elapsed());
                        let verdict = verdict_of(answer).expect("a verdict in the answer");
                        assert_eq!(verdict, expect[k].as_bytes());
                    } else if let Some(c) = old.as_mut() {
                        let answer = c.post(path, bodies[k].as_bytes());
                        lat.push(t.elapsed());
                        let a: Answer<'_> = serde_json::from_slice(&answer).unwrap();
                        assert_eq!(a.verdict, expect[k].as_str());
                    }
                }
                (lat, cpu_seconds("/proc/thread-self/stat") - cpu0)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut client_cpu = 0.0;
    for t in threads {
        let (lat, cpu) = t.join().unwrap();
        all.extend(lat);
        client_cpu += cpu;
    }
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
        client_cpu,
    }
}

/// [`load_with`] with the wrk-style client.
fn load(
    addr: SocketAddr,
    bodies: &[String],
    clients: usize,
    seconds: u64,
    max: usize,
    rate: Option<f64>,
    expect: &[&str],
) -> Run {
    load_with(
        Client::Raw,
        addr,
        bodies,
        clients,
        seconds,
        max,
        rate,
        expect,
    )
}

/// CPU seconds of each thread of this process now (`/proc/self/task/*/stat`).
fn threads_cpu() -> std::collections::HashMap<String, f64> {
    let mut out = std::collections::HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for e in dir.flatten() {
            let tid = e.file_name().to_string_lossy().into_owned();
            let cpu = cpu_seconds(&format!("/proc/self/task/{tid}/stat"));
            out.insert(tid, cpu);
        }
    }
    out
}

/// A run, with the server's CPU time per verification, and the load generator's CPU.
///
/// The kernel counts CPU time per thread in clock ticks (10 ms) when it is read, so the load
/// generator's short-lived threads, each a few milliseconds, cannot be read one by one. The
/// process's total (all threads, living and ended, summed before the conversion) is read
/// instead, and the threads that live through the run (the server's runtime workers, its
/// SQLite worker, this main thread) are read one by one: they are the server; the rest of
/// the process's time is the load generator's. For the Node server, its process's CPU.
fn measured(server_stat: &str, in_process: bool, run: impl FnOnce() -> Run) -> (Run, f64) {
    let proc0 = cpu_seconds("/proc/self/stat");
    let threads0 = threads_cpu();
    let ext0 = cpu_seconds(server_stat);
    let mut r = run();
    let ext1 = cpu_seconds(server_stat);
    let threads1 = threads_cpu();
    let proc1 = cpu_seconds("/proc/self/stat");
    let lived: f64 = threads1
        .iter()
        .filter_map(|(tid, after)| threads0.get(tid).map(|before| after - before))
        .sum();
    r.client_cpu = ((proc1 - proc0) - lived).max(0.0);
    let cpu = if in_process { lived } else { ext1 - ext0 };
    let per = cpu / r.count.max(1) as f64;
    (r, per)
}

fn header() {
    println!(
        "{:<50} {:>8} {:>9} {:>9} {:>9} {:>12} {:>12} {:>9}",
        "run", "requests", "rate/s", "p50 ms", "p99 ms", "server CPU", "client CPU", "load avg"
    );
}

fn row(name: &str, r: &Run, server_cpu: f64) {
    println!(
        "{name:<50} {:>8} {:>9.0} {:>9.2} {:>9.2} {:>9.0} us {:>9.1} us {:>9}",
        r.count,
        r.rate(),
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3,
        server_cpu * 1e6,
        r.client_cpu_per_request() * 1e6,
        loadavg().split(' ').next().unwrap_or("?"),
    );
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn main() {
    let clients: Vec<usize> = std::env::var("KAKUNIN_LOAD_CLIENTS")
        .unwrap_or_else(|_| "2,4,8,16".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .collect();
    let seconds = env("KAKUNIN_LOAD_SECONDS", 5);
    let max = usize::try_from(env("KAKUNIN_LOAD_MAX", 200_000)).unwrap();
    let goal_half_rate = env("KAKUNIN_LOAD_RATE", 2500) as f64;
    let node = std::env::var("KAKUNIN_LOAD_NODE").unwrap_or_else(|_| "node".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
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

    // The verification alone (no HTTP, no audit), one thread: the ceiling per core. Its CPU
    // time is measured besides the wall time: on a shared machine the wall time also counts
    // the time other processes held the core.
    let anchors =
        kakunin_core::trust::TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap();
    let policy = kakunin_verifier::AgePolicy::default();
    let n_direct = u32::try_from(env("KAKUNIN_LOAD_DIRECT", 2000))
        .unwrap()
        .max(1);
    // KAKUNIN_LOAD_DIRECT_ONLY=cached: the cached loop only (for callgrind).
    let cached_only = std::env::var("KAKUNIN_LOAD_DIRECT_ONLY").is_ok_and(|v| v == "cached");
    let cpu0 = cpu_seconds("/proc/thread-self/stat");
    let t = Instant::now();
    for i in 0..if cached_only { 0 } else { n_direct } {
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
    let per_op_cpu = (cpu_seconds("/proc/thread-self/stat") - cpu0) / f64::from(n_direct);
    // The same with the DS-chain cache, as the API runs it (two ECDSA checks, not three).
    // The same with the DS-chain cache, as the API runs it (two ECDSA checks, not three),
    // and the answer's body as the API writes it: straight to bytes, or with
    // KAKUNIN_LOAD_ANSWER=tree as before (the report's serde_json tree inside a json! tree,
    // then serialised): the A/B of the report serialiser in one binary, for callgrind.
    let tree = std::env::var("KAKUNIN_LOAD_ANSWER").is_ok_and(|v| v == "tree");
    let cache = kakunin_verifier::ChainCache::default();
    let cpu0 = cpu_seconds("/proc/thread-self/stat");
    let t = Instant::now();
    let mut answer_bytes = 0usize;
    for i in 0..n_direct {
        let (s, _) = &samples[i as usize % samples.len()];
        let o = kakunin_verifier_server::verify::verify_mdoc_cached_report(
            &anchors,
            Some(&cache),
            &policy,
            &s.response,
            &s.transcript,
            None,
            common::now(),
        );
        let verdict = o.decision.verdict;
        let id = "0123456789abcdef0123456789abcdef";
        let body = if tree {
            let body = serde_json::json!({
                "verdict": verdict.label(),
                "reason": verdict.reason().map(|r| r.code()),
                "report": o.report.into_json(),
                "audit_id": id,
            });
            serde_json::to_vec(&body).unwrap()
        } else {
            kakunin_verifier_server::answer::answer_body(verdict, &o.report, id, o.detail)
        };
        answer_bytes += body.len();
    }
    assert!(answer_bytes > 0);
    let cached_op = t.elapsed() / n_direct;
    let cached_cpu = (cpu_seconds("/proc/thread-self/stat") - cpu0) / f64::from(n_direct);
    assert!(cache.hits() > 0, "the DS-chain cache must hit");
    if std::env::var_os("KAKUNIN_LOAD_DIRECT_ONLY").is_some() {
        // For a profiler (callgrind): the direct verifications only.
        println!(
            "verification alone: {:.1} us/op wall, {:.1} us/op CPU; with the cache and the \
             answer body ({}): {:.1} us/op CPU",
            per_op.as_secs_f64() * 1e6,
            per_op_cpu * 1e6,
            if tree { "tree" } else { "direct" },
            cached_cpu * 1e6
        );
        return;
    }

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

    println!("machine: {cores} cores, load average before: {}", loadavg());
    println!(
        "keep-alive clients on loopback, at most {seconds} s and {max} requests per run; \
         audit store: SQLite (WAL, synchronous=FULL) in {}\n",
        data.path().display()
    );
    println!(
        "verification alone (verify_mdoc + verdict + report JSON, one thread): {:.1} us/op wall, \
         {:.1} us/op CPU -> {:.0}/s per core, {:.0}/s on {cores} cores\n",
        per_op.as_secs_f64() * 1e6,
        per_op_cpu * 1e6,
        1.0 / per_op_cpu.max(1e-9),
        cores as f64 / per_op_cpu.max(1e-9),
    );
    println!(
        "verification alone with the DS-chain cache and the answer body (as the API runs it): \
         {:.1} us/op wall, {:.1} us/op CPU -> {:.0}/s on {cores} cores\n",
        cached_op.as_secs_f64() * 1e6,
        cached_cpu * 1e6,
        cores as f64 / cached_cpu.max(1e-9),
    );
    header();
    let me = "/proc/self/stat";
    // Warm-up (connection set-up, page cache, SQLite file growth).
    let closed_only = std::env::var_os("KAKUNIN_LOAD_CLOSED_ONLY").is_some();
    // (A fixed count for `perf stat`: the same work in every run.)
    let _ = if closed_only {
        load(addr, &bodies, 8, 60, 400, None, &expect)
    } else {
        load(addr, &bodies, 8, 1, 4000, None, &expect)
    };
    let mut best: Option<(usize, Run, f64)> = None;
    for &n in &clients {
        let (r, cpu) = measured(me, true, || {
            load(addr, &bodies, n, seconds, max, None, &expect)
        });
        row(&format!("kakunin till, {n} clients, closed loop"), &r, cpu);
        if best.as_ref().is_none_or(|(_, b, _)| r.rate() > b.rate()) {
            best = Some((n, r, cpu));
        }
    }
    let Some((best_n, full, full_cpu)) = best else {
        println!("no client count given (KAKUNIN_LOAD_CLIENTS)");
        return;
    };
    if closed_only {
        // For `perf stat` (instructions per request, which other work on the machine does
        // not change): the closed-loop runs only.
        println!("closed-loop requests: {}", full.count);
        return;
    }
    // The earlier load generator at the same client count: its own CPU per request beside
    // the wrk-style one's (KAKUNIN_LOAD_OLD_CLIENT=0 skips it).
    let old_client = if env("KAKUNIN_LOAD_OLD_CLIENT", 1) != 0 {
        let (r, cpu) = measured(me, true, || {
            load_with(
                Client::Old,
                addr,
                &bodies,
                best_n,
                seconds,
                max,
                None,
                &expect,
            )
        });
        row(
            &format!("kakunin till, {best_n} cl., closed, earlier client"),
            &r,
            cpu,
        );
        Some(r)
    } else {
        None
    };
    let paced_clients = clients.iter().copied().max().unwrap_or(16).max(16);
    let half_rate = full.rate() / 2.0;
    let (half, half_cpu) = measured(me, true, || {
        load(
            addr,
            &bodies,
            paced_clients,
            seconds,
            max,
            Some(half_rate),
            &expect,
        )
    });
    row(
        &format!("kakunin till, paced {half_rate:.0}/s (half max), {paced_clients} cl."),
        &half,
        half_cpu,
    );
    let goal_paced = if (goal_half_rate - half_rate).abs() > 1.0 {
        let (g, g_cpu) = measured(me, true, || {
            load(
                addr,
                &bodies,
                paced_clients,
                seconds,
                max,
                Some(goal_half_rate),
                &expect,
            )
        });
        row(
            &format!("kakunin till, paced {goal_half_rate:.0}/s (goal/2), {paced_clients} cl."),
            &g,
            g_cpu,
        );
        Some(g)
    } else {
        None
    };

    let mut ratio = None;
    let mut node_rate: Option<f64> = None;
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
        let node_stat = format!("/proc/{}/stat", child.id());
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        let version = v["version"].as_str().unwrap_or("?").to_string();
        let node_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let _ = load(node_addr, &bodies, 8, 1, 500, None, &expect);
        let mut node_best: Option<Run> = None;
        for &n in &clients {
            let (a, cpu) = measured(&node_stat, false, || {
                load(node_addr, &bodies, n, seconds, max, None, &expect)
            });
            row(
                &format!("@auth0/mdl {version} (Node), {n} clients, closed loop"),
                &a,
                cpu,
            );
            if node_best.as_ref().is_none_or(|b| a.rate() > b.rate()) {
                node_best = Some(a);
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        node_rate = node_best.as_ref().map(Run::rate);
        ratio = node_best.map(|a| full.rate() / a.rate());
    }
    println!("\nload average after: {}", loadavg());
    // The numbers, from this one run, each beside its goal or peer.
    println!("\nsummary (issue 15 section 6):");
    println!(
        "  rate {:.0}/s (goal >= 5000), p50 {:.2} ms, p99 {:.2} ms, with {best_n} clients",
        full.rate(),
        full.p50.as_secs_f64() * 1e3,
        full.p99.as_secs_f64() * 1e3
    );
    println!(
        "  p99 at half rate ({:.0}/s) {:.2} ms (goal <= 5){}",
        half_rate,
        half.p99.as_secs_f64() * 1e3,
        goal_paced.as_ref().map_or(String::new(), |g| format!(
            "; at {goal_half_rate:.0}/s {:.2} ms",
            g.p99.as_secs_f64() * 1e3
        ))
    );
    match (&node_rate, ratio) {
        (Some(a), Some(r)) => println!("  @auth0/mdl {a:.0}/s, ratio {r:.1}x (goal >= 20)"),
        _ => println!("  @auth0/mdl not run (KAKUNIN_LOAD_NODE empty)"),
    }
    println!(
        "  server CPU {:.0} us/verification (bound {:.0}/s on {cores} cores), client CPU \
         {:.1} us/request{}",
        full_cpu * 1e6,
        cores as f64 / full_cpu.max(1e-9),
        full.client_cpu_per_request() * 1e6,
        old_client.as_ref().map_or(String::new(), |o| format!(
            " (earlier client {:.1} us/request)",
            o.client_cpu_per_request() * 1e6
        ))
    );
    let rate = full.rate();
    println!(
        "goal >= 5000/s: {} ({rate:.0}/s with {best_n} clients)",
        if rate >= 5000.0 { "met" } else { "NOT met" }
    );
    // The goal is "p99 at most 5 ms at half that rate", that rate being the goal's
    // 5,000/s: judged at KAKUNIN_LOAD_RATE (2,500/s). Half of this run's best rate is the
    // stricter reading whenever the best exceeds 5,000/s; both are printed.
    let met = |d: Duration| if d <= Duration::from_millis(5) { "met" } else { "NOT met" };
    let at_goal = goal_paced.as_ref().unwrap_or(&half);
    println!(
        "goal p99 <= 5 ms at half the goal's rate ({goal_half_rate:.0}/s): {} ({:.2} ms); \
         at half this run's best ({half_rate:.0}/s): {} ({:.2} ms)",
        met(at_goal.p99),
        at_goal.p99.as_secs_f64() * 1e3,
        met(half.p99),
        half.p99.as_secs_f64() * 1e3,
    );
    if let Some(r) = ratio {
        println!(
            "goal >= 20x @auth0/mdl: {} ({r:.1}x, best closed-loop rate against best)",
            if r >= 20.0 { "met" } else { "NOT met" }
        );
    }
    println!(
        "bound from CPU time: {cores} cores / {:.0} us server CPU per verification = {:.0}/s \
         (the load generator's own CPU excluded; verification alone {:.0} us -> {:.0}/s, \
         with the DS-chain cache {:.0} us -> {:.0}/s)",
        full_cpu * 1e6,
        cores as f64 / full_cpu.max(1e-9),
        per_op_cpu * 1e6,
        cores as f64 / per_op_cpu.max(1e-9),
        cached_cpu * 1e6,
        cores as f64 / cached_cpu.max(1e-9),
    );
    drop(rt);
}
