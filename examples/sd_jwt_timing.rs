//! Times Kakunin verifying an SD-JWT VC presentation (issuer key from the given certificate,
//! KB-JWT with aud/nonce), and its two bare signature verifications, and prints one JSON line,
//! for bench/compare-sd-jwt.sh.
//! Usage: sd_jwt_timing PRESENTATION CERT AUD NONCE [ITERATIONS]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kakunin_core::crypto::default_provider;
use kakunin_core::sdjwt::{jwk_to_key, verify_presentation, Jws, KbRequirements};
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 5 {
        eprintln!("usage: sd_jwt_timing PRESENTATION CERT AUD NONCE [ITERATIONS]");
        std::process::exit(2);
    }
    let presentation = std::fs::read_to_string(&a[1])
        .expect("presentation")
        .trim()
        .to_string();
    let der = kakunin_core::trust::parse_certificate_input(&std::fs::read(&a[2]).expect("cert"))
        .expect("certificate");
    let cert = <x509_cert::Certificate as der::Decode>::from_der(&der).expect("certificate");
    let key = kakunin_core::trust::certificate_public_key(&cert, 0).expect("EC key");
    let n: u32 = a.get(5).and_then(|v| v.parse().ok()).unwrap_or(2000);
    let kb = KbRequirements {
        required: true,
        aud: &a[3],
        nonce: &a[4],
        max_age: time::Duration::minutes(30),
        max_skew: time::Duration::minutes(1),
    };
    let c = default_provider();
    let now = time::OffsetDateTime::now_utc();
    verify_presentation(c, &presentation, &key, Some(&kb), now).expect("the presentation verifies");
    for _ in 0..n / 10 {
        std::hint::black_box(verify_presentation(c, &presentation, &key, Some(&kb), now).ok());
    }
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(verify_presentation(c, &presentation, &key, Some(&kb), now).ok());
    }
    let ns_per_op = t.elapsed().as_nanos() as f64 / f64::from(n);

    // The signature floor: the two ES256 verifications (issuer JWS, KB-JWT) alone.
    let parts: Vec<&str> = presentation.split('~').collect();
    let issuer_jwt = Jws::parse(parts[0]).expect("issuer JWT");
    let kb_jwt = Jws::parse(parts[parts.len() - 1]).expect("KB-JWT");
    let holder = jwk_to_key(&issuer_jwt.payload["cnf"]["jwk"]).expect("cnf.jwk");
    let floor = || {
        issuer_jwt.verify(c, &key).expect("issuer signature");
        kb_jwt.verify(c, &holder).expect("KB-JWT signature");
    };
    for _ in 0..n / 10 {
        floor();
    }
    let t = Instant::now();
    for _ in 0..n {
        floor();
    }
    let floor_ns = t.elapsed().as_nanos() as f64 / f64::from(n);
    println!(
        "{{\"lib\":\"kakunin\",\"ns_per_op\":{ns_per_op:.0},\"floor_ns_per_op\":{floor_ns:.0},\"iterations\":{n}}}"
    );
}
