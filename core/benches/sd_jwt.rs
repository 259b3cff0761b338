#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Verifying an SD-JWT VC age_over_20 presentation with a KB-JWT against the bare signature
//! verifications it needs (issuer JWS and KB-JWT), in the same run; prints the ratio
//! (goal <= 1.2x). With `--emit-json N` it prints one JSON line of ns/op for
//! bench/compare-sd-jwt.sh instead.

use criterion::{black_box, Criterion};
use kakunin_core::crypto::{default_provider, Curve, HashAlg};
use kakunin_core::sdjwt::{
    add_key_binding, issue, key_to_jwk, select_paths, verify_presentation, Jws, KbRequirements,
    SdSpec,
};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

fn main() {
    let c = default_provider();
    let issuer = c.generate_key(Curve::P256).unwrap();
    let issuer_pub = c.public_key(&issuer).unwrap();
    let holder = c.generate_key(Curve::P256).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let Value::Object(claims) = json!({
        "iss": "https://issuer.example", "vct": "urn:kakunin:jp-pid:1", "iat": now.unix_timestamp(),
        "exp": now.unix_timestamp() + 3600, "cnf": {"jwk": key_to_jwk(&c.public_key(&holder).unwrap())},
        "name": "Yamada Hanako", "birth_date": "2000-05-05", "resident_address": "Tokyo",
        "age_equal_or_over": {"18": true, "20": true, "65": false}
    }) else {
        unreachable!()
    };
    let mut header = Map::new();
    header.insert("typ".into(), Value::from("dc+sd-jwt"));
    let issued = issue(
        c,
        &issuer,
        header,
        &claims,
        &SdSpec {
            pointers: &[
                "/name",
                "/birth_date",
                "/resident_address",
                "/age_equal_or_over/18",
                "/age_equal_or_over/20",
                "/age_equal_or_over/65",
                "/age_equal_or_over",
            ],
            decoys_per_object: 2,
            decoys_per_array: 0,
            sd_alg: HashAlg::Sha256,
        },
    )
    .unwrap();
    let (selected, _) = select_paths(c, &issued, &["age_equal_or_over.20"]).unwrap();
    let presentation =
        add_key_binding(c, &selected, &holder, "till", "nonce", now.unix_timestamp()).unwrap();
    let kb = KbRequirements {
        required: true,
        aud: "till",
        nonce: "nonce",
        max_age: time::Duration::minutes(5),
        max_skew: time::Duration::minutes(1),
    };
    let full =
        || verify_presentation(c, black_box(&presentation), &issuer_pub, Some(&kb), now).unwrap();
    assert!(full().key_bound);
    let parts: Vec<&str> = presentation.split('~').collect();
    let (jwt, kbj) = (
        Jws::parse(parts[0]).unwrap(),
        Jws::parse(parts[parts.len() - 1]).unwrap(),
    );
    let holder_pub = c.public_key(&holder).unwrap();
    let floor = || {
        jwt.verify(c, &issuer_pub).unwrap();
        kbj.verify(c, &holder_pub).unwrap();
    };

    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--emit-json") {
        let n: u32 = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(2000);
        for _ in 0..n / 10 {
            black_box(full());
        }
        let t = Instant::now();
        for _ in 0..n {
            black_box(full());
        }
        println!(
            "{{\"lib\":\"kakunin\",\"ns_per_op\":{:.0},\"iterations\":{n}}}",
            t.elapsed().as_nanos() as f64 / f64::from(n)
        );
        return;
    }

    let mut cr = Criterion::default().configure_from_args();
    let mut g = cr.benchmark_group("sd_jwt_vc");
    g.bench_function("verify_age_over_20_with_kb", |b| {
        b.iter(|| black_box(full()))
    });
    g.bench_function("signature_floor", |b| b.iter(floor));
    g.finish();
    cr.final_summary();

    let median = |f: &dyn Fn()| -> Duration {
        let mut v: Vec<Duration> = (0..21)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..50 {
                    f();
                }
                t.elapsed() / 50
            })
            .collect();
        v.sort();
        v[10]
    };
    let (a, b) = (median(&|| drop(black_box(full()))), median(&floor));
    let ratio = a.as_secs_f64() / b.as_secs_f64();
    println!();
    println!("verify presentation {:>8.1} us, signature floor {:>8.1} us, ratio {ratio:.3} (goal <= 1.2: {})",
        a.as_secs_f64() * 1e6, b.as_secs_f64() * 1e6, if ratio <= 1.2 { "met" } else { "NOT met" });
}
