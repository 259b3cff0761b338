//! Times full verification of the Annex D DeviceResponse and prints one JSON line, for
//! `bench/compare-auth0-mdl.sh`, which times @auth0/mdl on the same input in the same run.
//!
//! Usage: `cargo run --release -p kakunin-verifier --example verify_timing -- --iterations N`

use kakunin_spec_vectors::annex_d::{bytes, e_reader_key, iaca_anchors, VERIFICATION_TIME};
use kakunin_verifier::Verifier;
use std::time::Instant;

fn main() {
    let mut iterations: u32 = 2000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--iterations" {
            iterations = args
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(iterations);
        }
    }
    let response = bytes("device_response");
    let transcript = bytes("session_transcript_bytes");
    let anchors = iaca_anchors();
    let key = e_reader_key();
    let verifier = Verifier::new(&anchors).with_reader_key(&key);
    if !verifier
        .verify_device_response(&response, &transcript, VERIFICATION_TIME)
        .valid()
    {
        eprintln!("verify_timing: the Annex D response did not verify");
        std::process::exit(1);
    }
    for _ in 0..iterations / 10 {
        std::hint::black_box(verifier.verify_device_response(
            &response,
            &transcript,
            VERIFICATION_TIME,
        ));
    }
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(verifier.verify_device_response(
            &response,
            &transcript,
            VERIFICATION_TIME,
        ));
    }
    let ns = start.elapsed().as_nanos() as f64 / iterations as f64;
    println!("{{\"lib\":\"kakunin\",\"version\":\"{}\",\"ns_per_op\":{ns:.0},\"iterations\":{iterations}}}", env!("CARGO_PKG_VERSION"));
}
