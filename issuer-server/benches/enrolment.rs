#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! Enrolment speed (issue 17, "Speed"): complete proofing and issuance of a 20-credential
//! mdoc batch plus a 20-credential SD-JWT VC batch per enrolment.
//!
//! The evidence is real: a JPKI-SIM from `kakunin_holder_sim::jpki_sim::generate`, each
//! request signed by a virtual My Number card through the JPKI client (both RSA-2048 keys,
//! PINs presented), all of it in setup, outside the clock — the client's work is not the
//! server's. The server side is the real `JpkiProofing` (two RSA-2048 signature checks,
//! both certificate chains, both CRLs).
//!
//! 1. One core, no HTTP, no database: exactly what `POST /enrol` computes — parse the JSON,
//!    the 41 keys and their proofs of possession, the JPKI proofing, both batches signed, the
//!    answer serialised. The crypto provider is wrapped in a timer, so the shares printed
//!    beside the total (ECDSA signing, ECDSA verification, RSA verification) are measured
//!    inside the same runs, not estimated.
//! 2. Enrolments per second over HTTP (SQLite, then PostgreSQL), 8 client threads (one
//!    person each, one connection per request, as `kakunin holder-sim enroll` makes them), the service on its own 2-worker runtime as
//!    `kakunin issuer serve` builds it, with the default status-list size. Two modes, each
//!    printed with what is prepared outside the clock:
//!    - *complete*: the clock covers `POST /enrol/nonce`, the phone's proofs of possession
//!      over that nonce, the card's two RSA signatures and `POST /enrol`; only the device
//!      keys (which do not depend on the nonce) are generated before;
//!    - *pre-signed*: nonces fetched and requests signed before; the clock covers
//!      `POST /enrol` only (the service's work; the measure of sessions 15 and 16).
//!
//!    Beside each rate: CPU per enrolment of the service's threads, of the clients' threads
//!    and of PostgreSQL's processes (the scheduler's own counts, /proc/.../schedstat), how
//!    many cores were busy, the rate the CPU allows on 2 cores, and the share of the
//!    service's CPU spent in signatures (per-operation times of part 1).
//!
//! `cargo bench -p kakunin-issuer-server --bench enrolment` (PostgreSQL from
//! scripts/install-postgres.sh; `KAKUNIN_BENCH_NO_PG=1` skips it, `KAKUNIN_BENCH_NO_HTTP=1`
//! runs the one-core part only, `KAKUNIN_BENCH_RUNS=N` its number of enrolments, 40, for
//! callgrind (`--toggle-collect=*enrol_cpu*`) or perf, `KAKUNIN_BENCH_ENROLMENTS=N` sets the HTTP runs' size, 200,
//! `KAKUNIN_BENCH_CLIENTS=N` the number of clients, 8; `KAKUNIN_BENCH_ANSWER=serde` writes part 1's answer
//! through serde_json as before session 19).
//! Results and the bounds of the goals: docs/decisions/0018-issuer-service.md.

#[path = "../tests/common/mod.rs"]
mod common;
use common::*;
use kakunin_core::crypto::{
    default_provider, CryptoError, CryptoProvider, EcPrivateKey, EcPublicKey, Forwarding, HashAlg,
    PreparedSigning, RsaPublicKey,
};

use kakunin_holder_sim::enrolment::{prepare, sign_with_card, EnrolmentKeys, NonceOffer};
use kakunin_holder_sim::jpki_card::JpkiCard as VirtualCard;
use kakunin_holder_sim::jpki_sim::{generate, CardSpec, PersonFacts, SimJpki, SimPerson};
use kakunin_issuer::proofing::{ApplicantProofing, EnrolmentEvidence, JpkiProofing};
use kakunin_issuer_server::answer_json::array_text;
use kakunin_issuer_server::issue::{issue_batches, valid_until, IssueContext, IssuerKeys};
use kakunin_issuer_server::registry::Reserved;
use kakunin_issuer_server::wire::{EnrolRequest, ParsedEnrolment};
use kakunin_issuer_server::IssuerConfig;
use kakunin_jpki::trust::Purpose;
use kakunin_jpki::{AuthenticationPin, JpkiCard, JpkiTrust, SignaturePin};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

const BATCH: usize = 20;
/// People of the JPKI-SIM, one per HTTP client (`KAKUNIN_BENCH_CLIENTS`, 8; 1 to 64): an
/// enrolment of a person never overlaps another of the same person (on PostgreSQL that would
/// be a serialisation conflict, 503).
static PEOPLE: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
    std::env::var("KAKUNIN_BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8usize)
        .clamp(1, 64)
});
const ISSUER: &str = "https://issuer.example";

/// The default provider with a stopwatch on the three signature operations.
struct Timed {
    sign_ns: AtomicU64,
    signs: AtomicU64,
    verify_ns: AtomicU64,
    verifies: AtomicU64,
    rsa_ns: AtomicU64,
    rsas: AtomicU64,
}

/// Wall time per phase of `enrol_cpu`: parse, proofs of possession, JPKI proofing,
/// issuance, answer.
static PHASES: [AtomicU64; 5] = [
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
];

fn nanos(t: &Instant) -> u64 {
    u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn lap(phase: usize, t: &mut Instant) {
    PHASES[phase].fetch_add(nanos(t), Relaxed);
    *t = Instant::now();
}

static TIMED: Timed = Timed {
    sign_ns: AtomicU64::new(0),
    signs: AtomicU64::new(0),
    verify_ns: AtomicU64::new(0),
    verifies: AtomicU64::new(0),
    rsa_ns: AtomicU64::new(0),
    rsas: AtomicU64::new(0),
};

fn timed<T>(ns: &AtomicU64, n: &AtomicU64, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    ns.fetch_add(nanos(&t), Relaxed);
    n.fetch_add(1, Relaxed);
    r
}

impl Timed {
    fn reset(&self) {
        for a in [
            &self.sign_ns,
            &self.signs,
            &self.verify_ns,
            &self.verifies,
            &self.rsa_ns,
            &self.rsas,
        ] {
            a.store(0, Relaxed);
        }
        for a in &PHASES {
            a.store(0, Relaxed);
        }
    }
}

/// The default provider's prepared signing state with the same stopwatch as
/// [`Timed::sign_ecdsa`].
struct TimedPrepared<'a> {
    timed: &'a Timed,
    inner: Box<dyn PreparedSigning + 'a>,
}

impl PreparedSigning for TimedPrepared<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        timed(&self.timed.sign_ns, &self.timed.signs, || {
            self.inner.sign(msg)
        })
    }
}

impl Forwarding for Timed {
    fn inner(&self) -> &dyn CryptoProvider {
        default_provider()
    }
    fn prepare_signing(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
    ) -> Result<Option<Box<dyn PreparedSigning + '_>>, CryptoError> {
        Ok(default_provider().prepare_signing(key, hash)?.map(|inner| {
            Box::new(TimedPrepared { timed: self, inner }) as Box<dyn PreparedSigning>
        }))
    }
    fn verify_ecdsa(
        &self,
        key: &EcPublicKey,
        hash: HashAlg,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        timed(&self.verify_ns, &self.verifies, || {
            default_provider().verify_ecdsa(key, hash, msg, sig)
        })
    }
    fn sign_ecdsa(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        timed(&self.sign_ns, &self.signs, || {
            default_provider().sign_ecdsa(key, hash, msg)
        })
    }
    fn verify_rsa_pkcs1v15(
        &self,
        key: &RsaPublicKey,
        hash: HashAlg,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        timed(&self.rsa_ns, &self.rsas, || {
            default_provider().verify_rsa_pkcs1v15(key, hash, msg, sig)
        })
    }
}

/// A JPKI-SIM of `PEOPLE` people, valid since yesterday.
fn sim() -> SimJpki {
    let specs: Vec<CardSpec> = (0..*PEOPLE)
        .map(|i| CardSpec {
            name: format!("p{i}"),
            // Distinct facts: the registry recognises a person by them too.
            facts: PersonFacts {
                address: format!(
                    "東京都千代田区千代田１－{}",
                    char::from_u32(0xff11 + u32::try_from(i).unwrap()).unwrap()
                ),
                ..PersonFacts::default_taro()
            },
        })
        .collect();
    generate(
        &specs,
        time::OffsetDateTime::now_utc() - time::Duration::days(1),
    )
    .unwrap()
}

/// The issuer's JPKI proofing over the simulated CAs, verifying through `c`.
fn proofing(sim: &SimJpki, c: &'static dyn CryptoProvider) -> JpkiProofing {
    let mut trust = JpkiTrust::new(
        c,
        vec![sim.sign_ca.cert_der().to_vec()],
        vec![sim.auth_ca.cert_der().to_vec()],
    )
    .unwrap();
    trust.add_crl(c, Purpose::Signature, &sim.sign_crl).unwrap();
    trust
        .add_crl(c, Purpose::Authentication, &sim.auth_crl)
        .unwrap();
    JpkiProofing::new(trust, c)
}

/// One person's virtual card behind the JPKI client, with its two PINs.
struct Card {
    card: JpkiCard<VirtualCard>,
    signature_pin: String,
    authentication_pin: String,
}

impl Card {
    /// The phone's nonce-dependent work for `offer` (the nonce offer's JSON): a proof of
    /// possession by each of `keys` over the nonce, the challenge, both card signatures
    /// (RSA-2048, PINs presented) and the body of `POST /enrol`.
    fn sign(&mut self, offer: &[u8], keys: &EnrolmentKeys) -> Vec<u8> {
        let c = default_provider();
        let prepared = prepare(c, &NonceOffer::parse(offer).unwrap(), keys).unwrap();
        sign_with_card(
            c,
            &mut self.card,
            SignaturePin::new(&self.signature_pin).unwrap(),
            AuthenticationPin::new(&self.authentication_pin).unwrap(),
            prepared,
            Some("bench"),
        )
        .unwrap()
    }
}

/// Each person's virtual card.
struct Cards(Vec<Card>);

impl Cards {
    fn new(people: Vec<SimPerson>) -> Self {
        let text = |s: &[u8]| String::from_utf8(s.to_vec()).unwrap();
        Cards(
            people
                .into_iter()
                .map(|p| Card {
                    signature_pin: text(p.card.pins.signature.expose_secret()),
                    authentication_pin: text(p.card.pins.authentication.expose_secret()),
                    card: JpkiCard::new(VirtualCard::in_memory(p.card)),
                })
                .collect(),
        )
    }

    /// The body of `POST /enrol` for `offer` (the nonce offer's JSON), signed by card `i`
    /// with fresh keys.
    fn request(&mut self, i: usize, offer: &[u8]) -> Vec<u8> {
        let keys = EnrolmentKeys::generate(default_provider(), BATCH, BATCH).unwrap();
        let n = self.0.len();
        self.0[i % n].sign(offer, &keys)
    }
}

fn offer_json(nonce: &[u8], issuer: &str) -> Vec<u8> {
    serde_json::to_vec(
        &serde_json::json!({"nonce": b64url(nonce), "issuer": issuer, "expires_at": 0}),
    )
    .unwrap()
}

fn ms(ns: u64, runs: usize) -> f64 {
    ns as f64 / 1e6 / runs as f64
}

/// What `POST /enrol` computes for one request, minus the database and the socket. Never
/// inlined: callgrind's `--toggle-collect=*enrol_cpu*` counts exactly this (the profile of
/// part 1 without the JPKI-SIM's key generation).
#[inline(never)]
fn enrol_cpu(
    c: &'static dyn CryptoProvider,
    keys: &IssuerKeys,
    p: &JpkiProofing,
    body: &[u8],
    i: u64,
) -> Vec<u8> {
    let mut clock = Instant::now();
    let req: EnrolRequest = serde_json::from_slice(body).unwrap();
    let parsed = ParsedEnrolment::parse(c, &req).unwrap();
    drop(req);
    parsed.check_distinct().unwrap();
    let thumbprints = parsed.thumbprints();
    lap(0, &mut clock);
    parsed.verify_pops(c).unwrap();
    lap(1, &mut clock);
    let t = now();
    let applicant = p
        .prove(
            &EnrolmentEvidence {
                issuer: ISSUER,
                nonce: &parsed.nonce,
                device_key_thumbprints: &thumbprints,
                signature_certificate: &parsed.signature_certificate,
                signature: &parsed.signature,
                authentication_certificate: &parsed.authentication_certificate,
                authentication_signature: &parsed.authentication_signature,
            },
            t,
        )
        .unwrap();
    lap(2, &mut clock);
    let until = valid_until(t, 30 * 86_400, applicant.not_after).unwrap();
    let cx = IssueContext {
        issuer_id: ISSUER,
        issuing_authority: "bench",
        now: t,
        valid_until: until,
    };
    let alloc = Reserved {
        list_id: "1".into(),
        first_index: i * 2 * BATCH as u64,
    };
    let (_, batch) = issue_batches(
        c,
        keys,
        &applicant,
        &cx,
        &parsed.mdoc_keys,
        &parsed.sd_jwt_keys,
        &alloc,
        "https://issuer.example/status/1",
    )
    .unwrap();
    lap(3, &mut clock);
    // As `POST /enrol` writes it: each array straight to JSON text (or, with
    // KAKUNIN_BENCH_ANSWER=serde, through serde_json as before session 19, for the A/B).
    let mut answer = Vec::with_capacity(256 * 1024);
    answer.extend_from_slice(b"{\"mdoc\":");
    if std::env::var_os("KAKUNIN_BENCH_ANSWER").is_some_and(|v| v == "serde") {
        serde_json::to_writer(&mut answer, &batch.mdoc).unwrap();
        answer.extend_from_slice(b",\"sd_jwt_vc\":");
        serde_json::to_writer(&mut answer, &batch.sd_jwt_vc).unwrap();
    } else {
        let hint = 128 * 1024;
        answer.extend_from_slice(array_text(&batch.mdoc, hint).unwrap().as_bytes());
        answer.extend_from_slice(b",\"sd_jwt_vc\":");
        answer.extend_from_slice(array_text(&batch.sd_jwt_vc, hint).unwrap().as_bytes());
    }
    answer.extend_from_slice(format!(",\"valid_until\":{until}}}").as_bytes());
    lap(4, &mut clock);
    answer
}

/// The one-core measure; returns the service's signature time per enrolment (ms: ECDSA
/// signing and verification, RSA verification).
fn one_core(world: &World, cards: &mut Cards, sim: &SimJpki) -> f64 {
    let c: &'static dyn CryptoProvider = &TIMED;
    let keys = IssuerKeys::load(&world.dir.path().join("pki"), "ds-1").unwrap();
    let p = proofing(sim, c);
    let runs: usize = std::env::var("KAKUNIN_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40usize)
        .max(1);
    let bodies: Vec<Vec<u8>> = (0..runs)
        .map(|i| {
            let mut nonce = [0u8; 32];
            default_provider().fill_random(&mut nonce).unwrap();
            cards.request(i, &offer_json(&nonce, ISSUER))
        })
        .collect();
    // One warm-up enrolment (first-use work: the issuer keys' caches, allocator).
    enrol_cpu(c, &keys, &p, &bodies[0], 0);
    TIMED.reset();
    let thread = std::path::Path::new("/proc/thread-self");
    let cpu_before = schedstat_ns(thread);
    let start = Instant::now();
    for (i, b) in bodies.iter().enumerate() {
        enrol_cpu(c, &keys, &p, b, i as u64);
    }
    let total = nanos(&start);
    let cpu = schedstat_ns(thread).saturating_sub(cpu_before);
    let (sign, verify, rsa) = (
        TIMED.sign_ns.load(Relaxed),
        TIMED.verify_ns.load(Relaxed),
        TIMED.rsa_ns.load(Relaxed),
    );
    let per = |n: &AtomicU64| n.load(Relaxed) as f64 / runs as f64;
    let pct = |x: u64| 100.0 * x as f64 / total as f64;
    println!(
        "one core, complete proofing + issuance ({BATCH} mdoc + {BATCH} SD-JWT VC): {:.2} ms per enrolment",
        ms(total, runs)
    );
    // The wall clock above counts the time another process held the core; the scheduler's
    // count of this thread's own time on the CPU does not.
    println!(
        "  on the CPU (this thread, schedstat): {:.2} ms per enrolment",
        ms(cpu, runs)
    );
    println!(
        "  ECDSA signing      {:>5.0} x {:>6.1} us = {:>6.2} ms ({:>4.1} %)",
        per(&TIMED.signs),
        sign as f64 / 1e3 / TIMED.signs.load(Relaxed).max(1) as f64,
        ms(sign, runs),
        pct(sign)
    );
    println!(
        "  ECDSA verification {:>5.0} x {:>6.1} us = {:>6.2} ms ({:>4.1} %)",
        per(&TIMED.verifies),
        verify as f64 / 1e3 / TIMED.verifies.load(Relaxed).max(1) as f64,
        ms(verify, runs),
        pct(verify)
    );
    println!(
        "  RSA verification   {:>5.0} x {:>6.1} us = {:>6.2} ms ({:>4.1} %)",
        per(&TIMED.rsas),
        rsa as f64 / 1e3 / TIMED.rsas.load(Relaxed).max(1) as f64,
        ms(rsa, runs),
        pct(rsa)
    );
    let phase = |i: usize| ms(PHASES[i].load(Relaxed), runs);
    println!(
        "  by phase: parse + thumbprints {:.2} ms, proofs of possession {:.2} ms, JPKI proofing {:.2} ms, issuance {:.2} ms, answer JSON {:.2} ms",
        phase(0),
        phase(1),
        phase(2),
        phase(3),
        phase(4)
    );
    let rest = total.saturating_sub(sign + verify + rsa);
    println!(
        "  everything else (JSON, CBOR, X.509, chains, CRLs, digests) {:.2} ms ({:.1} %)",
        ms(rest, runs),
        pct(rest)
    );
    ms(sign + verify + rsa, runs)
}

/// CPU time consumed so far (ns, from the scheduler's `/proc/.../schedstat`), by who spent
/// it: the issuer service's threads (its tokio runtime, named `issuer-server`, and
/// sqlx's SQLite workers), the bench's client threads (`bench-client`, which count their
/// own time: they have exited when the totals are read), everything else of this process,
/// and every PostgreSQL process of the machine.
#[derive(Clone, Copy, Default)]
struct Cpu {
    server: u64,
    /// Of `server`: sqlx's SQLite worker threads (statements, commits).
    sqlite: u64,
    client: u64,
    other: u64,
    postgres: u64,
    /// The whole machine's busy time (ns; /proc/stat, every CPU, all processes): what is
    /// left after ours is other work (other builds on this shared machine).
    machine: u64,
}

/// Busy time of all CPUs since boot (ns), from /proc/stat's `cpu` line (USER_HZ = 100).
fn machine_busy_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait.
    let busy: u64 = ticks
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    busy * 10_000_000
}

fn schedstat_ns(dir: &std::path::Path) -> u64 {
    std::fs::read_to_string(dir.join("schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn comm(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

impl Cpu {
    fn now() -> Cpu {
        let mut c = Cpu {
            machine: machine_busy_ns(),
            ..Cpu::default()
        };
        for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let (name, ns) = (comm(&t.path()), schedstat_ns(&t.path()));
            if name.starts_with("sqlx-sqlite") {
                c.server += ns;
                c.sqlite += ns;
            } else if name.starts_with("issuer-server") {
                c.server += ns;
            } else if name.starts_with("bench-client") {
                c.client += ns;
            } else {
                c.other += ns;
            }
        }
        // PostgreSQL backends are single-threaded processes.
        for p in std::fs::read_dir("/proc").unwrap().flatten() {
            let is_pid = p
                .file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
            if is_pid && comm(&p.path()) == "postgres" {
                c.postgres += schedstat_ns(&p.path());
            }
        }
        c
    }

    fn since(&self, before: &Cpu) -> Cpu {
        Cpu {
            server: self.server.saturating_sub(before.server),
            sqlite: self.sqlite.saturating_sub(before.sqlite),
            client: self.client.saturating_sub(before.client),
            other: self.other.saturating_sub(before.other),
            postgres: self.postgres.saturating_sub(before.postgres),
            machine: self.machine.saturating_sub(before.machine),
        }
    }
}

/// How the clients enrol in the timed phase.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// The whole exchange in the clock: `POST /enrol/nonce`, the phone's proofs of
    /// possession over the nonce and the card's two RSA signatures, `POST /enrol`. Only the
    /// device keys (independent of the nonce) are generated before.
    Complete,
    /// Only `POST /enrol` in the clock: nonces fetched and requests signed before (the
    /// service's own work; the measure of sessions 15 and 16).
    PreSigned,
}

/// One HTTP run's result.
struct Run {
    label: String,
    rate: f64,
    cpu: Cpu,
    n: usize,
    secs: f64,
}

/// What a client thread does for each of its enrolments.
enum Work {
    Keys(EnrolmentKeys),
    Body(Vec<u8>),
}

fn client(addr: std::net::SocketAddr, card: &mut Card, work: Vec<Work>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for w in work {
            let body = match w {
                Work::Body(b) => b,
                Work::Keys(keys) => {
                    let (s, _, offer) = http(
                        addr,
                        "POST",
                        "/enrol/nonce",
                        &[("Content-Type", "application/json")],
                        b"",
                    )
                    .await;
                    assert_eq!(s, 201);
                    card.sign(&offer, &keys)
                }
            };
            let (s, _, answer) = http(
                addr,
                "POST",
                "/enrol",
                &[("Content-Type", "application/json")],
                &body,
            )
            .await;
            assert_eq!(s, 201, "{}", String::from_utf8_lossy(&answer));
            // What a holder does with the answer before storing it: parse it.
            let v: serde_json::Value = serde_json::from_slice(&answer).unwrap();
            assert_eq!(v["mdoc"].as_array().unwrap().len(), BATCH);
            assert_eq!(v["sd_jwt_vc"].as_array().unwrap().len(), BATCH);
            BYTES[0].fetch_add(body.len() as u64, Relaxed);
            BYTES[1].fetch_add(answer.len() as u64, Relaxed);
        }
    });
}

/// Bytes of the `POST /enrol` requests and of their answers in the current run.
static BYTES: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

fn over_http(
    world: &World,
    cards: &mut Cards,
    sim: &SimJpki,
    postgres: bool,
    mode: Mode,
    n: usize,
) -> Run {
    // The service's own runtime, as `kakunin issuer serve` builds it on this machine (a
    // worker per core), its threads named so their CPU time is told apart from the clients'.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("issuer-server")
        .enable_all()
        .build()
        .unwrap();
    let mut config = world.config(server_rt.block_on(database(world, postgres)));
    // The service's default list size (the test harness uses 4,096, which makes every
    // enrolment reserve a new block of indices).
    config.status_list_size = IssuerConfig::new(
        std::path::Path::new("."),
        std::path::Path::new("."),
        std::path::Path::new("."),
    )
    .status_list_size;
    let r = server_rt.block_on(start_with_proofing(
        config,
        Arc::new(proofing(sim, default_provider())) as Arc<dyn ApplicantProofing>,
    ));
    let c = default_provider();
    // Prepared before the clock: every device key (the phone makes them before it asks for
    // a nonce); in PreSigned mode also the nonces and the signed requests.
    let mut queues: Vec<Vec<Work>> = (0..*PEOPLE).map(|_| Vec::new()).collect();
    for i in 0..n {
        let keys = EnrolmentKeys::generate(c, BATCH, BATCH).unwrap();
        let w = match mode {
            Mode::Complete => Work::Keys(keys),
            Mode::PreSigned => {
                let (s, _, offer) = server_rt.block_on(http(
                    r.addr,
                    "POST",
                    "/enrol/nonce",
                    &[("Content-Type", "application/json")],
                    b"",
                ));
                assert_eq!(s, 201);
                Work::Body(cards.0[i % *PEOPLE].sign(&offer, &keys))
            }
        };
        // Client k enrols person k: an enrolment of a person never overlaps another of the
        // same person.
        queues[i % *PEOPLE].push(w);
    }
    for b in &BYTES {
        b.store(0, Relaxed);
    }
    let barrier = Arc::new(std::sync::Barrier::new(*PEOPLE + 1));
    let handles: Vec<_> = std::mem::take(&mut cards.0)
        .into_iter()
        .zip(queues)
        .enumerate()
        .map(|(k, (mut card, work))| {
            let (addr, barrier) = (r.addr, Arc::clone(&barrier));
            std::thread::Builder::new()
                .name(format!("bench-client-{k}"))
                .spawn(move || {
                    barrier.wait();
                    // The thread's own CPU time: it has exited when the totals are read.
                    let me = std::path::Path::new("/proc/thread-self");
                    let t0 = schedstat_ns(me);
                    client(addr, &mut card, work);
                    (card, schedstat_ns(me).saturating_sub(t0))
                })
                .unwrap()
        })
        .collect();
    let cpu0 = Cpu::now();
    let start = Instant::now();
    barrier.wait();
    let mut client_ns = 0;
    for h in handles {
        let (card, ns) = h.join().unwrap();
        cards.0.push(card);
        client_ns += ns;
    }
    let secs = start.elapsed().as_secs_f64();
    let mut cpu = Cpu::now().since(&cpu0);
    cpu.client += client_ns;
    drop(r);
    server_rt.shutdown_timeout(std::time::Duration::from_secs(5));
    let label = format!(
        "{}, {}",
        if postgres { "PostgreSQL" } else { "SQLite" },
        match mode {
            Mode::Complete => "complete",
            Mode::PreSigned => "pre-signed",
        }
    );
    let run = Run {
        label,
        rate: n as f64 / secs,
        cpu,
        n,
        secs,
    };
    println!(
        "over HTTP, {}: {n} enrolments in {secs:.2} s = {:.0} enrolments/s ({:.0} credentials/s; \
         {:.0} KiB request, {:.0} KiB answer each)",
        run.label,
        run.rate,
        (n * 2 * BATCH) as f64 / secs,
        BYTES[0].load(Relaxed) as f64 / 1024.0 / n as f64,
        BYTES[1].load(Relaxed) as f64 / 1024.0 / n as f64,
    );
    run
}

fn main() {
    let world = World::new();
    let mut sim = sim();
    // The cards take the people; the CAs and CRLs stay for the proofing.
    let mut cards = Cards::new(std::mem::take(&mut sim.people));
    let signatures_ms = one_core(&world, &mut cards, &sim);
    let n: usize = std::env::var("KAKUNIN_BENCH_ENROLMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    if std::env::var_os("KAKUNIN_BENCH_NO_HTTP").is_some() {
        return;
    }
    let pg = std::env::var_os("KAKUNIN_BENCH_NO_PG").is_none();
    let mut runs = Vec::new();
    for postgres in [false, true] {
        if postgres && !pg {
            continue;
        }
        for mode in [Mode::Complete, Mode::PreSigned] {
            runs.push(over_http(
                &World::new(),
                &mut cards,
                &sim,
                postgres,
                mode,
                n,
            ));
        }
    }
    println!();
    println!(
        "HTTP, {} clients (one per person, Connection: close), 2-core machine. Before the clock: the device key pairs, public keys derived \
         (all modes); the nonces and the signed requests (pre-signed). In the clock (complete): POST /enrol/nonce, \
         the phone's {} proofs of possession, the card's 2 RSA signatures, POST /enrol.",
        *PEOPLE,
        2 * BATCH + 1
    );
    println!(
        "CPU per enrolment (ms, from schedstat): the service's threads (in brackets: of which SQLite's workers), \
         the clients' threads, PostgreSQL's processes; 'bound' = 2 cores / (their sum): the rate the CPU allows; \
         cores busy with this bench and with other processes of the machine during the run; signatures: \
         the service's per enrolment at part 1's per-operation times. Goal: >= 150/s on SQLite."
    );
    println!(
        "| {:<22} | {:>12} | {:>6} | {:>17} | {:>9} | {:>6} | {:>18} | {:>8} | {:>22} |",
        "run",
        "enrolments/s",
        "goal",
        "service ms (SQLite)",
        "client ms",
        "PG ms",
        "cores: ours/others",
        "bound /s",
        "signatures (of service)"
    );
    for r in &runs {
        let per = |ns: u64| ns as f64 / 1e6 / r.n as f64;
        let total = r.cpu.server + r.cpu.client + r.cpu.postgres;
        let service = per(r.cpu.server) + per(r.cpu.postgres);
        let ours = total + r.cpu.other;
        println!(
            "| {:<22} | {:>12.0} | {:>6} | {:>17} | {:>9.2} | {:>6.2} | {:>18} | {:>8.0} | {:>7.2} ms = {:>5.1} % |",
            r.label,
            r.rate,
            if r.label.starts_with("SQLite") { ">= 150" } else { "-" },
            format!("{:.2} ({:.2})", per(r.cpu.server), per(r.cpu.sqlite)),
            per(r.cpu.client),
            per(r.cpu.postgres),
            format!(
                "{:.2} / {:.2}",
                ours as f64 / 1e9 / r.secs,
                r.cpu.machine.saturating_sub(ours) as f64 / 1e9 / r.secs
            ),
            2.0 * 1e3 / per(total),
            signatures_ms,
            100.0 * signatures_ms / service
        );
    }
}
