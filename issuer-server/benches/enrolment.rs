#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! Enrolment speed (issue 17, "Speed"): a 20-credential mdoc batch plus a 20-credential
//! SD-JWT VC batch per enrolment.
//!
//! 1. Issuance on one core (no HTTP, no database), with the share spent in the 40 ECDSA
//!    signatures (measured by signing as often on its own).
//! 2. Enrolments per second over HTTP, SQLite and PostgreSQL, 8 concurrent clients, requests
//!    built (and nonces fetched) before the clock starts.
//!
//! The proofing is the STAND-IN of tests/common (SHA-256 checks, no RSA): the real JPKI
//! checks (two RSA-2048 verifications, chain and CRL lookups) add their own cost on top.
//! `cargo bench -p kakunin-issuer-server --bench enrolment`.

#[path = "../tests/common/mod.rs"]
mod common;
use common::*;
use kakunin_core::crypto::{default_provider, Curve, HashAlg};
use kakunin_issuer::proofing::{CertificateRef, ProofedApplicant, ProofingMethod, Sex};
use kakunin_issuer_server::issue::{issue_batches, IssueContext, IssuerKeys};
use kakunin_issuer_server::registry::Allocation;
use kakunin_issuer_server::wire::ParsedKey;
use std::time::Instant;

const BATCH: usize = 20;

fn one_core(world: &World) {
    let c = default_provider();
    let keys = IssuerKeys::load(&world.dir.path().join("pki"), "ds-1").unwrap();
    let applicant = ProofedApplicant {
        method: ProofingMethod::JpkiCard,
        level: "IAL3",
        name: "山田 花子".into(),
        date_of_birth: Some(time::macros::date!(2000 - 05 - 05)),
        sex: Sex::Female,
        address: "東京都千代田区霞が関1-1".into(),
        signature_certificate: CertificateRef {
            issuer: vec![1],
            serial: vec![2],
        },
        authentication_certificate: CertificateRef {
            issuer: vec![1],
            serial: vec![3],
        },
        not_after: now() + 365 * 86_400,
    };
    let parsed = |n: usize| -> Vec<ParsedKey> {
        (0..n)
            .map(|_| {
                let k = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
                ParsedKey {
                    thumbprint: kakunin_core::enrolment::jwk_thumbprint(c, &k),
                    key: k,
                    pop: vec![0; 64],
                }
            })
            .collect()
    };
    let (mk, sk) = (parsed(BATCH), parsed(BATCH));
    let alloc = Allocation {
        person_id: "p".into(),
        device_id: "d".into(),
        list_id: "1".into(),
        first_index: 0,
    };
    let t = now();
    let cx = IssueContext {
        issuer_id: "https://issuer.example",
        issuing_authority: "bench",
        now: t,
        valid_until: t + 30 * 86_400,
    };
    let runs = 50;
    let start = Instant::now();
    for _ in 0..runs {
        issue_batches(
            c,
            &keys,
            &applicant,
            &cx,
            &mk,
            &sk,
            &alloc,
            "https://issuer.example/status/1",
        )
        .unwrap();
    }
    let per = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
    let sign_start = Instant::now();
    for _ in 0..runs {
        for _ in 0..BATCH {
            c.sign_ecdsa(
                &keys.ds.key,
                HashAlg::Sha256,
                b"mso bytes of about this size",
            )
            .unwrap();
            c.sign_ecdsa(&keys.jws.key, HashAlg::Sha256, b"jwt signing input")
                .unwrap();
        }
    }
    let sig = sign_start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
    println!(
        "issuance, one core: {per:.2} ms per enrolment ({BATCH} mdoc + {BATCH} SD-JWT VC), signatures {sig:.2} ms ({:.0} %)",
        100.0 * sig / per
    );
}

async fn over_http(world: &World, postgres: bool, enrolments: usize) {
    let url = database(world, postgres).await;
    let r = start(world.config(url), world).await;
    let issuer = r.state.config().public_url.clone();
    let mut bodies = Vec::with_capacity(enrolments);
    for i in 0..enrolments {
        let card = StandInCard::new(
            &format!("試験 {i}"),
            "1990-04-01",
            "東京都港区1-1",
            10_000 + i as u64,
        );
        let n = nonce(r.addr).await;
        bodies.push(
            serde_json::to_vec(&Holder::new().request(&card, &issuer, &n, BATCH, BATCH).body)
                .unwrap(),
        );
    }
    let queue = std::sync::Arc::new(std::sync::Mutex::new(bodies));
    let start = Instant::now();
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let q = std::sync::Arc::clone(&queue);
            let addr = r.addr;
            tokio::spawn(async move {
                loop {
                    let Some(b) = q.lock().unwrap().pop() else {
                        break;
                    };
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
        "over HTTP, {}: {enrolments} enrolments in {secs:.2} s = {:.0} enrolments/s ({} credentials/s)",
        if postgres { "PostgreSQL" } else { "SQLite" },
        enrolments as f64 / secs,
        (enrolments * 2 * BATCH) as f64 / secs
    );
}

fn main() {
    let world = World::new();
    one_core(&world);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        over_http(&world, false, 300).await;
        over_http(&World::new(), true, 300).await;
    });
}
