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
//! 2. Enrolments per second over HTTP (SQLite, then PostgreSQL), 8 concurrent clients (one
//!    person each), the nonces fetched and the requests signed before the clock starts.
//!
//! `cargo bench -p kakunin-issuer-server --bench enrolment` (PostgreSQL from
//! scripts/install-postgres.sh; `KAKUNIN_BENCH_NO_PG=1` skips it, `KAKUNIN_BENCH_NO_HTTP=1`
//! runs the one-core part only, `KAKUNIN_BENCH_ENROLMENTS=N` sets the HTTP runs' size, 200).
//! Results and the bounds of the goals: docs/decisions/0019-ring-for-signing.md.

#[path = "../tests/common/mod.rs"]
mod common;
use common::*;
use kakunin_core::crypto::{
    default_provider, CryptoError, CryptoProvider, Curve, EcPrivateKey, EcPublicKey, HashAlg,
    RsaPublicKey, SharedSecret,
};
use kakunin_holder_sim::enrolment::{prepare, sign_with_card, EnrolmentKeys, NonceOffer};
use kakunin_holder_sim::jpki_card::JpkiCard as VirtualCard;
use kakunin_holder_sim::jpki_sim::{generate, CardSpec, PersonFacts, SimJpki, SimPerson};
use kakunin_issuer::proofing::{ApplicantProofing, EnrolmentEvidence, JpkiProofing};
use kakunin_issuer_server::issue::{issue_batches, valid_until, IssueContext, IssuerKeys};
use kakunin_issuer_server::registry::Reserved;
use kakunin_issuer_server::wire::{EnrolRequest, ParsedEnrolment};
use kakunin_jpki::trust::Purpose;
use kakunin_jpki::{AuthenticationPin, JpkiCard, JpkiTrust, SignaturePin};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

const BATCH: usize = 20;
/// People of the JPKI-SIM, one per HTTP client: an enrolment of a person never overlaps
/// another of the same person (on PostgreSQL that would be a serialisation conflict, 503).
const PEOPLE: usize = 8;
const CLIENTS: usize = PEOPLE;
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

impl CryptoProvider for Timed {
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
    fn ecdh(
        &self,
        private: &EcPrivateKey,
        public: &EcPublicKey,
    ) -> Result<SharedSecret, CryptoError> {
        default_provider().ecdh(private, public)
    }
    fn public_key(&self, private: &EcPrivateKey) -> Result<EcPublicKey, CryptoError> {
        default_provider().public_key(private)
    }
    fn generate_key(&self, curve: Curve) -> Result<EcPrivateKey, CryptoError> {
        default_provider().generate_key(curve)
    }
    fn hkdf_sha256(
        &self,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        default_provider().hkdf_sha256(ikm, salt, info, out)
    }
    fn hmac_sha256(&self, key: &[u8], msg: &[u8]) -> [u8; 32] {
        default_provider().hmac_sha256(key, msg)
    }
    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        default_provider().hash(alg, data)
    }
    fn aes256gcm_seal(&self, key: &[u8; 32], iv: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
        default_provider().aes256gcm_seal(key, iv, plaintext)
    }
    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        iv: &[u8; 12],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        default_provider().aes256gcm_open(key, iv, ciphertext)
    }
    fn fill_random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        default_provider().fill_random(out)
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
    let specs: Vec<CardSpec> = (0..PEOPLE)
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

/// Each person's virtual card behind the JPKI client, with its two PINs.
struct Cards(Vec<(JpkiCard<VirtualCard>, String, String)>);

impl Cards {
    fn new(people: Vec<SimPerson>) -> Self {
        let text = |s: &[u8]| String::from_utf8(s.to_vec()).unwrap();
        Cards(
            people
                .into_iter()
                .map(|p| {
                    let (s, a) = (
                        text(p.card.pins.signature.expose_secret()),
                        text(p.card.pins.authentication.expose_secret()),
                    );
                    (JpkiCard::new(VirtualCard::in_memory(p.card)), s, a)
                })
                .collect(),
        )
    }

    /// The body of `POST /enrol` for `offer` (the nonce offer's JSON), signed by card `i`.
    fn request(&mut self, i: usize, offer: &[u8]) -> Vec<u8> {
        let c = default_provider();
        let n = self.0.len();
        let (card, s, a) = &mut self.0[i % n];
        let keys = EnrolmentKeys::generate(c, BATCH, BATCH).unwrap();
        let prepared = prepare(c, &NonceOffer::parse(offer).unwrap(), &keys).unwrap();
        sign_with_card(
            c,
            card,
            SignaturePin::new(s).unwrap(),
            AuthenticationPin::new(a).unwrap(),
            prepared,
            Some("bench"),
        )
        .unwrap()
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

/// What `POST /enrol` computes for one request, minus the database and the socket.
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
    let answer = serde_json::to_vec(&serde_json::json!({
        "mdoc": batch.mdoc, "sd_jwt_vc": batch.sd_jwt_vc, "valid_until": until,
    }))
    .unwrap();
    lap(4, &mut clock);
    answer
}

fn one_core(world: &World, cards: &mut Cards, sim: &SimJpki) {
    let c: &'static dyn CryptoProvider = &TIMED;
    let keys = IssuerKeys::load(&world.dir.path().join("pki"), "ds-1").unwrap();
    let p = proofing(sim, c);
    let runs = 40;
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
    let start = Instant::now();
    for (i, b) in bodies.iter().enumerate() {
        enrol_cpu(c, &keys, &p, b, i as u64);
    }
    let total = nanos(&start);
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
}

async fn over_http(world: &World, cards: &mut Cards, sim: &SimJpki, postgres: bool, n: usize) {
    let url = database(world, postgres).await;
    let r = start_with_proofing(
        world.config(url),
        Arc::new(proofing(sim, default_provider())) as Arc<dyn ApplicantProofing>,
    )
    .await;
    let mut bodies = Vec::with_capacity(n);
    for i in 0..n {
        let (s, _, offer) = http(
            r.addr,
            "POST",
            "/enrol/nonce",
            &[("Content-Type", "application/json")],
            b"",
        )
        .await;
        assert_eq!(s, 201);
        bodies.push(cards.request(i, &offer));
    }
    // Client k sends person k's requests (`Cards::request` takes person i % PEOPLE).
    let mut queues: Vec<Vec<Vec<u8>>> = (0..CLIENTS).map(|_| Vec::new()).collect();
    for (i, b) in bodies.into_iter().enumerate() {
        queues[i % CLIENTS].push(b);
    }
    let start = Instant::now();
    let clients: Vec<_> = queues
        .into_iter()
        .map(|q| {
            let addr = r.addr;
            tokio::spawn(async move {
                for b in q {
                    let (s, v) = post_json(addr, "/enrol", &b).await;
                    assert_eq!(s, 201, "{v}");
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "over HTTP, {}: {n} enrolments in {secs:.2} s = {:.0} enrolments/s ({:.0} credentials/s)",
        if postgres { "PostgreSQL" } else { "SQLite" },
        n as f64 / secs,
        (n * 2 * BATCH) as f64 / secs
    );
}

fn main() {
    let world = World::new();
    let mut sim = sim();
    // The cards take the people; the CAs and CRLs stay for the proofing.
    let mut cards = Cards::new(std::mem::take(&mut sim.people));
    one_core(&world, &mut cards, &sim);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let n: usize = std::env::var("KAKUNIN_BENCH_ENROLMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    if std::env::var_os("KAKUNIN_BENCH_NO_HTTP").is_some() {
        return;
    }
    rt.block_on(async {
        over_http(&world, &mut cards, &sim, false, n).await;
        if std::env::var_os("KAKUNIN_BENCH_NO_PG").is_none() {
            over_http(&World::new(), &mut cards, &sim, true, n).await;
        }
    });
}
