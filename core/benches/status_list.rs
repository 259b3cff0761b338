//! Decoding and verifying a 2^20-entry 1-bit Token Status List (JWT and CWT, with the signer
//! declared) and one lookup, printed beside the bare ES256 signature verification each token
//! needs (its floor).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use criterion::{black_box, Criterion};
use kakunin_core::crypto::{default_provider, Curve, ProviderSigner, Signer};
use kakunin_core::status::{
    build_cwt, build_jwt, verify_status_list, Bits, CheckContext, FreshnessPolicy, KeyReference,
    SignerTrust, StatusCheck, StatusList, StatusListClaims, StatusListToken,
};
use std::time::{Duration, Instant};

const URI: &str = "https://issuer.example/status/1";

fn main() {
    let c = default_provider();
    let key = c.generate_key(Curve::P256).unwrap();
    let signer = ProviderSigner::new(c, &key).unwrap();
    let public = signer.public_key().clone();
    let now = time::OffsetDateTime::now_utc();

    // 2^20 entries, about 1% revoked, spread out (a realistic, poorly compressible list).
    let mut list = StatusList::new(Bits::One, 1 << 20).unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        list.set(x % (1 << 20), 1).unwrap();
    }
    let mut claims = StatusListClaims::new(URI, now - time::Duration::minutes(1));
    claims.exp = Some(now + time::Duration::days(1));
    claims.ttl = Some(3600);
    let refs = KeyReference::default();
    let jwt = build_jwt(&signer, &list, &claims, &refs)
        .unwrap()
        .into_bytes();
    let cwt = build_cwt(&signer, &list, &claims, &refs).unwrap();
    let ctx = CheckContext {
        trust: SignerTrust::DeclaredKey(&public),
        policy: FreshnessPolicy::default(),
        now,
        fetched_at: None,
    };
    let verify = |token: &[u8]| {
        verify_status_list(c, StatusListToken::parse(token).unwrap(), URI, &ctx).unwrap()
    };
    let verified = verify(&jwt);
    let probe = (0..1u64 << 20).find(|i| list.get(*i) == Some(1)).unwrap();
    assert_eq!(verified.status(probe), StatusCheck::Invalid);

    // The floor: one ES256 verification over a message of the token's signed size.
    let jwt_text = std::str::from_utf8(&jwt).unwrap();
    let (jwt_input, jwt_sig_b64) = jwt_text.rsplit_once('.').unwrap();
    let jwt_sig = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwt_sig_b64)
            .unwrap()
    };
    let floor = || {
        c.verify_ecdsa(
            &public,
            kakunin_core::crypto::HashAlg::Sha256,
            jwt_input.as_bytes(),
            &jwt_sig,
        )
        .unwrap()
    };

    let mut cr = Criterion::default().configure_from_args();
    let mut g = cr.benchmark_group("status_list_2e20_1bit");
    g.bench_function("decode_verify_jwt", |b| {
        b.iter(|| black_box(verify(black_box(&jwt))))
    });
    g.bench_function("decode_verify_cwt", |b| {
        b.iter(|| black_box(verify(black_box(&cwt))))
    });
    g.bench_function("lookup", |b| {
        b.iter(|| black_box(verified.status(black_box(probe))))
    });
    g.bench_function("signature_floor", |b| b.iter(floor));
    g.finish();
    cr.final_summary();

    let median = |f: &dyn Fn()| -> Duration {
        let mut v: Vec<Duration> = (0..11)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..20 {
                    f();
                }
                t.elapsed() / 20
            })
            .collect();
        v.sort();
        v[5]
    };
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let fl = median(&|| floor());
    let j = median(&|| drop(black_box(verify(&jwt))));
    let w = median(&|| drop(black_box(verify(&cwt))));
    let l = {
        let t = Instant::now();
        for i in 0..100_000u64 {
            black_box(verified.status(black_box(i * 10 % (1 << 20))));
        }
        t.elapsed() / 100_000
    };
    println!();
    println!(
        "2^20 entries, 1 bit, {} revoked: JWT {} bytes, CWT {} bytes",
        list.non_valid().count(),
        jwt.len(),
        cwt.len()
    );
    println!(
        "decode+verify JWT {:>8.1} us ({:.2}x floor), CWT {:>8.1} us ({:.2}x floor), lookup {:>6.1} ns, ES256 floor {:>6.1} us",
        us(j),
        j.as_secs_f64() / fl.as_secs_f64(),
        us(w),
        w.as_secs_f64() / fl.as_secs_f64(),
        l.as_secs_f64() * 1e9,
        us(fl)
    );
}
