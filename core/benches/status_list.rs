//! Decoding and verifying a 2^20-entry 1-bit Token Status List (JWT and CWT, with the signer
//! declared) and one lookup, printed beside the work each token cannot avoid (its floor):
//! the bare ES256 signature verification over the token's own signed bytes (the JWS signing
//! input; the CWT's Sig_structure) plus the bare zlib inflation of its `lst`, each
//! measured on its own in the same run. Goals (issue 16, Speed): decode+verify <= 1.2x the
//! floor; one lookup < 1 us.
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

    // The CWT's own signature floor: ES256 over its Sig_structure (smaller than the JWT's
    // signing input: no base64), built from the token's bytes outside the timing.
    let (cwt_tbs, cwt_sig) = {
        let top = kakunin_core::cbor::decode(&cwt).unwrap();
        let (_, sign1) = top.as_tag().unwrap();
        let parts = sign1.as_array().unwrap();
        let mut e = kakunin_core::cbor::Encoder::new();
        e.array(4)
            .text("Signature1")
            .bytes(parts[0].as_bytes().unwrap())
            .bytes(b"")
            .bytes(parts[2].as_bytes().unwrap());
        (e.into_bytes(), parts[3].as_bytes().unwrap().to_vec())
    };
    let floor_cwt = || {
        c.verify_ecdsa(
            &public,
            kakunin_core::crypto::HashAlg::Sha256,
            &cwt_tbs,
            &cwt_sig,
        )
        .unwrap()
    };
    floor_cwt();

    // The other half of the floor: inflating the same `lst` bytes, nothing else: miniz_oxide's
    // inflater straight into an output buffer of the known size, allocated once outside the
    // timing (no growth, no copy). `decompress_to_vec_zlib`, miniz_oxide's own growing-vector
    // inflate, is timed too, for reference.
    let lst = list.compress();
    let out = std::cell::RefCell::new(vec![0u8; 1 << 17]);
    let inflate = || {
        use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
        let mut state = Box::<DecompressorOxide>::default();
        let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
            | inflate_flags::TINFL_FLAG_COMPUTE_ADLER32
            | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
        let mut out = out.borrow_mut();
        let (status, _, written) = decompress(&mut state, black_box(&lst), &mut out, 0, flags);
        assert_eq!(
            (status, written),
            (miniz_oxide::inflate::TINFLStatus::Done, 1 << 17)
        );
        black_box(&out);
    };
    let inflate_to_vec = || {
        black_box(miniz_oxide::inflate::decompress_to_vec_zlib(black_box(&lst)).unwrap());
    };
    assert_eq!(
        miniz_oxide::inflate::decompress_to_vec_zlib(&lst)
            .unwrap()
            .len(),
        1 << 17
    );

    // For instruction counts (valgrind --tool=callgrind): `STATUS_BENCH_ONLY=jwt`, `cwt`,
    // `floor_jwt`, `floor_cwt`, `inflate` or `lookup` runs just that, `STATUS_BENCH_N` times
    // (default 100), and nothing else.
    if let Ok(only) = std::env::var("STATUS_BENCH_ONLY") {
        let n: usize = std::env::var("STATUS_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100);
        for i in 0..n as u64 {
            match only.as_str() {
                "jwt" => drop(black_box(verify(black_box(&jwt)))),
                "cwt" => drop(black_box(verify(black_box(&cwt)))),
                "floor_jwt" => floor(),
                "floor_cwt" => floor_cwt(),
                "inflate" => inflate(),
                "lookup" => drop(black_box(verified.status(black_box(i * 10 % (1 << 20))))),
                other => panic!("STATUS_BENCH_ONLY={other}: see the bench source"),
            }
        }
        return;
    }

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
    g.bench_function("signature_floor_jwt", |b| b.iter(floor));
    g.bench_function("signature_floor_cwt", |b| b.iter(floor_cwt));
    g.bench_function("inflate_floor", |b| b.iter(inflate));
    g.bench_function("inflate_to_vec", |b| b.iter(inflate_to_vec));
    g.finish();
    cr.final_summary();

    // Interleaved rounds: in each of 15 rounds every measurement runs one batch of 20, so
    // that machine noise (other work on the cores) hits them alike; the median batch each.
    let parse_only = |token: &[u8]| drop(black_box(StatusListToken::parse(token).unwrap()));
    let list_only = || {
        drop(black_box(
            StatusList::from_compressed(Bits::One, black_box(&lst)).unwrap(),
        ))
    };
    let work: [&dyn Fn(); 9] = [
        &|| floor(),
        &|| floor_cwt(),
        &inflate,
        &inflate_to_vec,
        &list_only,
        &|| parse_only(&jwt),
        &|| parse_only(&cwt),
        &|| drop(black_box(verify(&jwt))),
        &|| drop(black_box(verify(&cwt))),
    ];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); work.len()];
    for _ in 0..15 {
        for (f, out) in work.iter().zip(samples.iter_mut()) {
            let t = Instant::now();
            for _ in 0..20 {
                f();
            }
            out.push(t.elapsed() / 20);
        }
    }
    let med: Vec<Duration> = samples
        .iter_mut()
        .map(|v| {
            v.sort();
            v[v.len() / 2]
        })
        .collect();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let (sig, sig_cwt, inf, inf_vec, ours, pj, pc, j, w) = (
        med[0], med[1], med[2], med[3], med[4], med[5], med[6], med[7], med[8],
    );
    let fl = sig + inf;
    let fl_cwt = sig_cwt + inf;
    let l = {
        let t = Instant::now();
        for i in 0..1_000_000u64 {
            black_box(verified.status(black_box(i * 10 % (1 << 20))));
        }
        t.elapsed() / 1_000_000
    };
    let ratio = |d: Duration, fl: Duration| d.as_secs_f64() / fl.as_secs_f64();
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!();
    println!(
        "2^20 entries, 1 bit, {} revoked: JWT {} bytes, CWT {} bytes, lst {} bytes",
        list.non_valid().count(),
        jwt.len(),
        cwt.len(),
        lst.len()
    );
    println!(
        "floor JWT = ES256 verify over its {} -byte signing input {:>7.1} us + zlib inflate {:>7.1} us = {:>7.1} us",
        jwt_input.len(),
        us(sig),
        us(inf),
        us(fl)
    );
    println!(
        "floor CWT = ES256 verify over its {} -byte Sig_structure {:>7.1} us + zlib inflate {:>7.1} us = {:>7.1} us",
        cwt_tbs.len(),
        us(sig_cwt),
        us(inf),
        us(fl_cwt)
    );
    println!(
        "parts: StatusList::from_compressed {:>7.1} us (miniz decompress_to_vec_zlib {:>7.1} us), parse JWT {:>7.1} us, parse CWT {:>7.1} us",
        us(ours),
        us(inf_vec),
        us(pj),
        us(pc)
    );
    println!(
        "decode+verify JWT {:>8.1} us = {:.2}x its floor (goal <= 1.2: {})",
        us(j),
        ratio(j, fl),
        verdict(ratio(j, fl) <= 1.2)
    );
    println!(
        "decode+verify CWT {:>8.1} us = {:.2}x its floor (goal <= 1.2: {})",
        us(w),
        ratio(w, fl_cwt),
        verdict(ratio(w, fl_cwt) <= 1.2)
    );
    println!(
        "one lookup        {:>8.1} ns (goal < 1 us: {})",
        l.as_secs_f64() * 1e9,
        verdict(l < Duration::from_micros(1))
    );
}
