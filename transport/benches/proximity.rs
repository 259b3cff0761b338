#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! Proximity transfer figures from one run: a 16 KiB DeviceResponse over the simulated GATT
//! link at MTU 23, 185 and 517 (chunks against the minimum ceil(len / (MTU − 4)), bytes on air
//! against payload, modelled time at 30 KB/s); APDU counts for the same message over NFC with
//! extended and with short APDUs; and session encryption throughput (criterion).

use criterion::{black_box, Criterion, Throughput};
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::session::{Role, SessionCipher};
use kakunin_spec_vectors::annex_d::{bytes, e_reader_key};
use kakunin_transport::ble_sim::{Faults, LinkConfig, SimLink};
use kakunin_transport::handover::{build_static_select, nfc_handover, Handover, NfcCarrier};
use kakunin_transport::nfc::{MemoryCard, NfcCard, NfcReader, ReaderConfig};
use kakunin_transport::session::{MdocSession, ReaderSession};

const SIZE: usize = 16 * 1024;

fn main() {
    let c = default_provider();
    let response = vec![0xa5u8; SIZE];

    // The SessionData carrying a 16 KiB DeviceResponse.
    let mut reader = ReaderSession::new(
        c,
        &bytes("device_engagement_bytes_nfc"),
        &bytes("nfc_handover"),
        &e_reader_key(),
    )
    .unwrap();
    let key = kakunin_core::crypto::hazmat::private_key_from_scalar(
        Curve::P256,
        &bytes("e_device_key_priv_d"),
    )
    .unwrap();
    let mut mdoc = MdocSession::new(
        key,
        bytes("device_engagement_bytes_nfc"),
        bytes("nfc_handover"),
    );
    mdoc.handle(c, &reader.request(c, &bytes("device_request")).unwrap())
        .unwrap();
    let message = mdoc.respond(c, &response, false).unwrap();

    println!(
        "BLE (simulated GATT link, 30 KB/s), a {} B SessionData holding a 16 KiB DeviceResponse:",
        message.len()
    );
    println!(
        "  {:>5} {:>8} {:>8} {:>12} {:>12} {:>10}",
        "MTU", "chunks", "minimum", "on air (B)", "payload (B)", "time (ms)"
    );
    for mtu in [23u16, 185, 517] {
        let mut link = SimLink::new(LinkConfig::typical(mtu), Faults::default());
        let values = link.notify(&message).unwrap();
        let s = link.stats();
        let per = (usize::from(mtu) - 4).min(511);
        let minimum = message.len().div_ceil(per);
        assert_eq!(values.len(), minimum);
        println!(
            "  {:>5} {:>8} {:>8} {:>12} {:>12} {:>10.1}",
            mtu,
            values.len(),
            minimum,
            s.bytes_on_air,
            s.payload_bytes,
            s.elapsed.as_secs_f64() * 1e3
        );
    }

    println!("NFC (in-memory card), the same 16 KiB DeviceResponse:");
    for (name, config) in [
        ("extended", ReaderConfig::EXTENDED),
        ("short", ReaderConfig::SHORT),
    ] {
        let hs = build_static_select(
            &bytes("device_engagement_nfc"),
            None,
            Some(&NfcCarrier {
                version: 1,
                max_command_data: Some(65535),
                max_response_data: Some(65536),
            }),
        )
        .unwrap();
        let de = Handover::parse(&hs)
            .unwrap()
            .device_engagement_bytes()
            .unwrap();
        let key = kakunin_core::crypto::hazmat::private_key_from_scalar(
            Curve::P256,
            &bytes("e_device_key_priv_d"),
        )
        .unwrap();
        let resp = response.clone();
        let card = MemoryCard {
            card: NfcCard::new(&hs).unwrap(),
            session: MdocSession::new(key, de.clone(), nfc_handover(&hs, None)),
            crypto: c,
            responder: Box::new(move |_, _| resp.clone()),
            last_error: None,
        };
        let mut nfc = NfcReader::new(card, config);
        let mut rs = ReaderSession::new(c, &de, &nfc_handover(&hs, None), &e_reader_key()).unwrap();
        nfc.select_mdoc().unwrap();
        let before = nfc.stats();
        nfc.exchange(&rs.request(c, &bytes("device_request")).unwrap())
            .unwrap();
        let after = nfc.stats();
        println!(
            "  {name:>8} APDUs: {:>4} commands, {:>6} B sent, {:>6} B received",
            after.commands - before.commands,
            after.command_bytes - before.command_bytes,
            after.response_bytes - before.response_bytes
        );
    }

    let keys = || kakunin_core::session::hazmat::session_keys_from_bytes([1; 32], [2; 32]);
    let mut cr = Criterion::default().configure_from_args();
    let mut g = cr.benchmark_group("session_encryption");
    g.throughput(Throughput::Bytes(SIZE as u64));
    g.bench_function("aes256gcm_encrypt_16KiB", |b| {
        let mut cipher = SessionCipher::new(keys(), Role::Mdoc);
        b.iter(|| black_box(cipher.encrypt(c, black_box(&response)).unwrap()))
    });
    g.finish();
    cr.final_summary();
    let mut cipher = SessionCipher::new(keys(), Role::Mdoc);
    let n = 2000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        black_box(cipher.encrypt(c, &response).unwrap());
    }
    let mbps = (SIZE * n) as f64 / start.elapsed().as_secs_f64() / 1e6;
    println!("session encryption (AES-256-GCM, 16 KiB messages): {mbps:.0} MB/s");
}
