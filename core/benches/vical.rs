#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! Verifying and importing the real 35-entry Austroads VICAL, printed beside its
//! signature-verification floor: the ECDSA verifications it cannot avoid, the COSE signature
//! over the 42 KB Sig_structure with the signer's key, and the signer certificate's signature
//! under the Austroads root (the SHA-256 of the 42 KB Sig_structure is part of that floor and
//! printed on its own). Both are measured in the same run, so the ratio holds even when
//! other work shares the machine.

use criterion::{black_box, Criterion};
use der::{Decode, Encode};
use kakunin_core::crypto::{default_provider, HashAlg};
use kakunin_core::trust::vical::{SignedVical, VerifiedVical, VicalPolicy};
use kakunin_core::trust::{certificate_public_key, parse_certificate_input, TrustAnchors};
use std::time::{Duration, Instant};
use time::macros::datetime;

const AUSTROADS: &[u8] = include_bytes!("../../spec-vectors/data/vical/austroads-20240919.vical");
const ROOT: &str = include_str!("../../spec-vectors/data/vical/austroads-root.pem");

fn main() {
    let c = default_provider();
    let at = datetime!(2024-10-01 00:00:00 UTC);
    let root_der = parse_certificate_input(ROOT.as_bytes()).unwrap();
    let anchors = TrustAnchors::from_der_certs([&root_der]).unwrap();
    let policy = VicalPolicy::default();
    let verify_import = || {
        VerifiedVical::from_bytes(AUSTROADS, &anchors, c, at, &policy)
            .unwrap()
            .into_trust_anchors()
    };
    assert_eq!(verify_import().len(), 35);

    // The floor's inputs, prepared outside the timing.
    let signed = SignedVical::parse(AUSTROADS).unwrap();
    let leaf = x509_cert::Certificate::from_der(&signed.x5chain()[0]).unwrap();
    let root = x509_cert::Certificate::from_der(&root_der).unwrap();
    let leaf_key = certificate_public_key(&leaf, 0).unwrap();
    let root_key = certificate_public_key(&root, 0).unwrap();
    let top = kakunin_core::cbor::decode(AUSTROADS).unwrap();
    let parts = top.as_array().unwrap();
    let mut e = kakunin_core::cbor::Encoder::new();
    e.array(4)
        .text("Signature1")
        .bytes(parts[0].as_bytes().unwrap())
        .bytes(b"")
        .bytes(parts[2].as_bytes().unwrap());
    let cose_tbs = e.into_bytes();
    let cose_sig = parts[3].as_bytes().unwrap().to_vec();
    let cert_tbs = leaf.tbs_certificate.to_der().unwrap();
    let cert_sig = p256::ecdsa::Signature::from_der(leaf.signature.raw_bytes())
        .unwrap()
        .to_bytes()
        .to_vec();
    let floor = || {
        c.verify_ecdsa(&leaf_key, HashAlg::Sha256, &cose_tbs, &cose_sig)
            .unwrap();
        c.verify_ecdsa(&root_key, HashAlg::Sha256, &cert_tbs, &cert_sig)
            .unwrap();
    };
    floor();

    // For instruction counts (valgrind --tool=callgrind): `VICAL_BENCH_ONLY=verify_import`,
    // `floor` or `parse` runs just that, `VICAL_BENCH_N` times (default 100), and nothing else.
    if let Ok(only) = std::env::var("VICAL_BENCH_ONLY") {
        let n: usize = std::env::var("VICAL_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100);
        for _ in 0..n {
            match only.as_str() {
                "verify_import" => drop(black_box(verify_import())),
                "floor" => floor(),
                "parse" => drop(black_box(SignedVical::parse(black_box(AUSTROADS)).unwrap())),
                other => panic!("VICAL_BENCH_ONLY={other}: verify_import, floor or parse"),
            }
        }
        return;
    }

    let mut cr = Criterion::default().configure_from_args();
    let mut g = cr.benchmark_group("vical_austroads_35");
    g.bench_function("verify_import", |b| b.iter(|| black_box(verify_import())));
    g.bench_function("parse_only", |b| {
        b.iter(|| black_box(SignedVical::parse(black_box(AUSTROADS)).unwrap()))
    });
    g.bench_function("signature_floor", |b| b.iter(floor));
    g.finish();
    cr.final_summary();

    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let median = |f: &dyn Fn()| -> Duration {
        let mut v: Vec<Duration> = (0..15)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..20 {
                    f();
                }
                t.elapsed() / 20
            })
            .collect();
        v.sort();
        v[7]
    };
    // Interleave the two so that load from other processes hits both alike.
    let mut fl = Vec::new();
    let mut vi = Vec::new();
    for _ in 0..3 {
        fl.push(median(&|| floor()));
        vi.push(median(&|| drop(black_box(verify_import()))));
    }
    let rounds: Vec<String> = fl
        .iter()
        .zip(&vi)
        .map(|(f, v)| format!("{:.1}/{:.1}", us(*v), us(*f)))
        .collect();
    fl.sort();
    vi.sort();
    let (fl, vi) = (fl[1], vi[1]);
    let parse = median(&|| drop(black_box(SignedVical::parse(AUSTROADS).unwrap())));
    // The part of the floor that is SHA-256 over the Sig_structure.
    let sha = median(&|| drop(black_box(c.hash(HashAlg::Sha256, black_box(&cose_tbs)))));
    let ratio = vi.as_secs_f64() / fl.as_secs_f64();
    println!();
    println!(
        "Austroads VICAL, {} bytes, 35 entries: verify+import {:>7.1} us | floor {:>7.1} us (COSE ES256 over {} bytes + 1 certificate ES256; SHA-256 of the Sig_structure alone {:.1} us) | {:.2}x floor (goal <= 1.2: {}) | parse alone {:>7.1} us",
        AUSTROADS.len(),
        us(vi),
        us(fl),
        cose_tbs.len(),
        us(sha),
        ratio,
        if ratio <= 1.2 { "met" } else { "NOT met" },
        us(parse),
    );
    println!(
        "interleaved rounds, verify+import/floor us: {} (the middle of each is printed above)",
        rounds.join(", ")
    );
}
