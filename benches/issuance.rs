//! Issuance and presentation cost: a 20-credential single-use mDL batch for one holder (goal:
//! <= 10 ms on one core), and building the DeviceResponse for an age_over_20 request
//! (selection, re-embedding, DeviceSignature). Criterion measures each; the closing lines
//! print the figures from this run and the share spent in ECDSA signing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{black_box, Criterion};
use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey, EcPublicKey, HashAlg};
use kakunin_core::mdoc::{
    encode_device_engagement, encode_items_request, ItemsRequest, RequestedElement,
    SessionTranscript, ValidityInfo,
};
use kakunin_holder_sim::{disclose, Consent, DeviceAuthMode};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use std::time::{Duration, Instant};

const BATCH: usize = 20;

fn median(mut f: impl FnMut(), rounds: usize) -> Duration {
    let mut t: Vec<Duration> = (0..rounds)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[rounds / 2]
}

fn main() {
    let c = default_provider();
    let now = time::OffsetDateTime::now_utc();
    let pki = TestPki::generate(c, "JP", 1, now).expect("pki");
    let claims: serde_json::Value =
        serde_json::from_str(include_str!("../docs/examples/mdl-claims.json")).expect("claims");
    let elements = elements_from_json(DocProfile::Mdl, &claims, now.date()).expect("elements");
    let ds = &pki.document_signers[0];
    let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
    let device_keys: Vec<EcPrivateKey> = (0..BATCH)
        .map(|_| c.generate_key(Curve::P256).expect("key"))
        .collect();
    let publics: Vec<EcPublicKey> = device_keys
        .iter()
        .map(|k| c.public_key(k).expect("pub"))
        .collect();
    let validity = ValidityInfo {
        signed: now,
        valid_from: now,
        valid_until: now + time::Duration::days(30),
        expected_update: None,
    };
    let doc_type = DocProfile::Mdl.doc_type();
    let issue = || {
        issuer
            .issue_batch(doc_type, &elements, &publics, validity)
            .expect("batch")
    };
    let batch = issue();

    // A session and a request for age_over_20.
    let eph = c
        .public_key(&c.generate_key(Curve::P256).expect("k"))
        .expect("p");
    let reader = c
        .public_key(&c.generate_key(Curve::P256).expect("k"))
        .expect("p");
    let transcript = SessionTranscript::build(
        &wrap_tag24(&encode_device_engagement(&eph, &[])),
        &wrap_tag24(&encode_cose_key(&reader)),
        &[0xf6],
    );
    let wanted = vec![RequestedElement {
        namespace: kakunin_core::mdoc::MDL_NAMESPACE.into(),
        element: "age_over_20".into(),
        intent_to_retain: false,
    }];
    let ir = ItemsRequest {
        raw: encode_items_request(doc_type, &wanted),
        doc_type: doc_type.into(),
        elements: wanted,
        request_info: None,
    };
    let present = || {
        disclose(
            c,
            &batch[0].issuer_signed,
            &device_keys[0],
            &ir,
            &transcript,
            &Consent::ApproveAll,
            DeviceAuthMode::Signature,
        )
        .expect("disclose")
    };
    let sign_only = || {
        for _ in 0..BATCH {
            black_box(
                c.sign_ecdsa(&ds.key, HashAlg::Sha256, b"a MSO-sized message")
                    .expect("sign"),
            );
        }
    };

    let mut cr = Criterion::default().configure_from_args();
    let mut g = cr.benchmark_group("issuance");
    g.sample_size(20);
    g.bench_function("issue_batch_20_mdl", |b| b.iter(|| black_box(issue())));
    g.bench_function("disclose_age_over_20_device_signature", |b| {
        b.iter(|| black_box(present()))
    });
    g.finish();
    cr.final_summary();

    let t_batch = median(|| drop(black_box(issue())), 31);
    let t_sign = median(sign_only, 31);
    let t_present = median(|| drop(black_box(present())), 101);
    println!();
    println!("figures from this run (medians, one thread):");
    println!(
        "  issue a {BATCH}-credential mDL batch ({} elements each)  {:>8.2} ms   (goal <= 10 ms: {})",
        elements.len(),
        t_batch.as_secs_f64() * 1e3,
        if t_batch <= Duration::from_millis(10) { "met" } else { "NOT met" }
    );
    println!(
        "    of which {BATCH} ECDSA P-256 signatures            {:>8.2} ms   ({:.0}% of the batch)",
        t_sign.as_secs_f64() * 1e3,
        100.0 * t_sign.as_secs_f64() / t_batch.as_secs_f64()
    );
    println!(
        "  build the age_over_20 response for one credential  {:>8.3} ms",
        t_present.as_secs_f64() * 1e3
    );
}
