#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Verifying the Annex D DeviceResponse with every check, against the bare crypto that
//! verification cannot avoid (the "crypto floor"), measured in the same run.
//!
//! The floor is: ES256 verification of issuerAuth, ES256 verification of the DS certificate
//! by the IACA, ECDH + HKDF for EMacKey (with the SHA-256 salt), the six item digests and the
//! HMAC of DeviceMac. Goal: full verification <= 1.2x the floor.
//!
//! Criterion reports each on its own; the closing paired measurement interleaves batches of
//! both so that machine noise hits them alike, and prints the ratio.

use criterion::{black_box, Criterion};
use kakunin_core::crypto::{default_provider, CryptoProvider, Curve, EcPublicKey, HashAlg};
use kakunin_spec_vectors::annex_d::{bytes, e_reader_key, iaca_anchors, VERIFICATION_TIME};
use kakunin_verifier::Verifier;
use std::time::{Duration, Instant};

struct Floor {
    issuer_tbs: Vec<u8>,
    issuer_sig: Vec<u8>,
    ds_key: EcPublicKey,
    cert_tbs: Vec<u8>,
    cert_sig: Vec<u8>,
    iaca_key: EcPublicKey,
    device_key: EcPublicKey,
    transcript_bytes: Vec<u8>,
    items: Vec<Vec<u8>>,
    mac_structure: Vec<u8>,
}

fn spki_point(cert: &x509_cert::Certificate) -> EcPublicKey {
    let bits = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    EcPublicKey::from_sec1_uncompressed(Curve::P256, bits).expect("P-256 key")
}

fn floor_inputs() -> Floor {
    use der::{Decode, Encode};
    let ds = x509_cert::Certificate::from_der(&bytes("ds_cert.der")).expect("DS cert");
    let iaca = x509_cert::Certificate::from_der(&bytes("iaca_cert.der")).expect("IACA cert");
    let der_sig = ds.signature.raw_bytes();
    let cert_sig = p256::ecdsa::Signature::from_der(der_sig)
        .expect("sig")
        .to_bytes()
        .to_vec();
    let ia = kakunin_core::cose::Sign1::from_slice(&bytes("issuer_auth")).expect("issuerAuth");
    let mso =
        kakunin_core::mdoc::MobileSecurityObject::from_tagged_bytes(ia.payload().expect("payload"))
            .expect("MSO");
    let ia_bytes = bytes("issuer_auth");
    let ia_item = kakunin_core::cbor::decode(&ia_bytes).expect("cbor");
    let issuer_sig = ia_item.as_array().expect("array")[3]
        .as_bytes()
        .expect("sig")
        .to_vec();
    Floor {
        issuer_tbs: bytes("issuer_auth_sig_structure"),
        issuer_sig,
        ds_key: spki_point(&ds),
        cert_tbs: ds.tbs_certificate.to_der().expect("tbs"),
        cert_sig,
        iaca_key: spki_point(&iaca),
        device_key: mso.device_key,
        transcript_bytes: bytes("session_transcript_bytes"),
        items: [
            "issuer_signed_item_00_family_name",
            "issuer_signed_item_03_issue_date",
            "issuer_signed_item_04_expiry_date",
            "issuer_signed_item_07_document_number",
            "issuer_signed_item_08_portrait",
            "issuer_signed_item_09_driving_privileges",
        ]
        .iter()
        .map(|n| bytes(n))
        .collect(),
        mac_structure: bytes("device_mac_structure"),
    }
}

fn crypto_floor(
    c: &dyn CryptoProvider,
    f: &Floor,
    reader: &kakunin_core::crypto::EcPrivateKey,
) -> [u8; 32] {
    c.verify_ecdsa(&f.ds_key, HashAlg::Sha256, &f.issuer_tbs, &f.issuer_sig)
        .expect("issuer sig");
    c.verify_ecdsa(&f.iaca_key, HashAlg::Sha256, &f.cert_tbs, &f.cert_sig)
        .expect("cert sig");
    for item in &f.items {
        black_box(c.hash(HashAlg::Sha256, item));
    }
    let zab = c.ecdh(reader, &f.device_key).expect("ecdh");
    let salt = c.hash(HashAlg::Sha256, &f.transcript_bytes);
    let mut emac = [0u8; 32];
    c.hkdf_sha256(&zab, &salt, b"EMacKey", &mut emac)
        .expect("hkdf");
    c.hmac_sha256(&emac, &f.mac_structure)
}

fn paired_ratio(full: &mut dyn FnMut(), floor: &mut dyn FnMut()) -> (Duration, Duration) {
    const BATCH: u32 = 50;
    const ROUNDS: usize = 21;
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..BATCH {
            f();
        }
        start.elapsed() / BATCH
    };
    for _ in 0..3 {
        time(full);
        time(floor);
    }
    let mut a = Vec::with_capacity(ROUNDS);
    let mut b = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        a.push(time(full));
        b.push(time(floor));
    }
    a.sort();
    b.sort();
    (a[ROUNDS / 2], b[ROUNDS / 2])
}

fn main() {
    let response = bytes("device_response");
    let transcript = bytes("session_transcript_bytes");
    let anchors = iaca_anchors();
    let key = e_reader_key();
    let verifier = Verifier::new(&anchors).with_reader_key(&key);
    let crypto = default_provider();
    let floor = floor_inputs();
    assert!(verifier
        .verify_device_response(&response, &transcript, VERIFICATION_TIME)
        .valid());
    assert_eq!(
        crypto_floor(crypto, &floor, &key).as_slice(),
        bytes("device_mac_tag").as_slice()
    );

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("annex_d");
    group.bench_function("verify_device_response", |b| {
        b.iter(|| {
            black_box(verifier.verify_device_response(
                black_box(&response),
                &transcript,
                VERIFICATION_TIME,
            ))
        })
    });
    group.bench_function("crypto_floor", |b| {
        b.iter(|| black_box(crypto_floor(crypto, &floor, &key)))
    });
    group.finish();
    c.final_summary();

    let (full, bare) = paired_ratio(
        &mut || {
            black_box(verifier.verify_device_response(
                black_box(&response),
                &transcript,
                VERIFICATION_TIME,
            ));
        },
        &mut || {
            black_box(crypto_floor(crypto, &floor, &key));
        },
    );
    let ratio = full.as_secs_f64() / bare.as_secs_f64();
    println!();
    println!("paired medians (21 interleaved batches of 50):");
    println!(
        "  verify_device_response  {:>10.1} us",
        full.as_secs_f64() * 1e6
    );
    println!(
        "  crypto floor            {:>10.1} us",
        bare.as_secs_f64() * 1e6
    );
    println!(
        "  ratio full / floor      {ratio:>10.3}   (goal <= 1.2: {})",
        if ratio <= 1.2 { "met" } else { "NOT met" }
    );
}
