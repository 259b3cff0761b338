#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Engagement to verdict at the till, for `age_over_20` and a 10 KiB portrait: the reader flow
//! (kakunin_verifier::flow) against the holder loop (kakunin_holder_sim), each run a fresh
//! session with readerAuth, the full verification and the till's verdict (OK required).
//!
//! 1. QR engagement + BLE (mdoc peripheral server mode) over a simulated radio: BLE GATT
//!    framing (`BleFramedLink`, ATT MTU 512) on an in-memory pipe, the holder in its own
//!    thread. Reported: the measured compute (wall time of the in-memory run: both sides'
//!    crypto, CBOR and verification, which alternate) plus the modelled radio time of the
//!    values that crossed, plus a modelled connection set-up. The radio model (a model, not a
//!    measurement; every constant below):
//!    - LE 2M PHY: 2 Mbit/s, 4 us per byte on air;
//!    - LE Data Length Extension: link-layer payloads of at most 251 bytes; per link-layer
//!      packet 11 bytes of framing (2 preamble, 4 access address, 2 header, 3 CRC), no MIC
//!      (18013-5 encrypts at the session layer, the link is not paired);
//!    - each characteristic value (write without response / notification, as clause
//!      8.3.3.1.1 uses) carries a 3-byte ATT and a 4-byte L2CAP header;
//!    - every link-layer packet is followed by T_IFS (150 us), the peer's empty packet
//!      (44 us) and T_IFS again: (11 + n) * 4 us + 344 us per packet of n payload bytes;
//!    - connection interval 15 ms; each burst (the values one side sends in a row) starts at
//!      the next connection event, on average half an interval after the other side's last
//!      value; a connection event lasts as long as there is data;
//!    - set-up before the first value (not a transfer of session bytes): the mdoc's
//!      advertising seen after 10 ms on average (20 ms advertising interval), then 7 ATT or
//!      LL round trips of one connection interval each (MTU exchange, data length update,
//!      service, characteristic and descriptor discovery, two CCCD writes): 115 ms.
//! 2. NFC engagement (static handover) and NFC data transfer through pcscd and vsmartcard's
//!    vpcd (feature `pcsc`, pcscd running: `bash scripts/install-peers.sh`): the holder's
//!    card (HolderCard) served to vpcd over TCP, the reader through the pcsc crate; wall time
//!    from the card being present to the verdict, extended-length APDUs. This measures the
//!    PC/SC stack and the protocol, not a contactless radio (vpcd has no RF timing).
//!
//! Environment: KAKUNIN_E2V_RUNS (30 per transport).

use kakunin_core::crypto::{default_provider, hazmat, Curve, EcPrivateKey};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::{
    run_holder, CredentialStore, HolderDeadlines, HolderLoop, HolderPolicy, MemoryStore,
};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_transport::ble_link::{BleFramedLink, ValuePipe};
use kakunin_transport::link::{memory_pair, LinkError, MemoryEnd};
use kakunin_verifier::flow::{
    run_reader, Engagement, FlowOutcome, ReaderAuthSigner, ReaderConfig, ReaderFlow,
};
use kakunin_verifier::Verdict;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// ATT MTU of the simulated link.
const MTU: u16 = 512;
/// Portrait size.
const PORTRAIT_BYTES: usize = 10 * 1024;
/// Connection interval of the model.
const CONN_INTERVAL: Duration = Duration::from_millis(15);
/// Modelled connection set-up: 10 ms to be seen advertising, 7 round trips of one interval.
const SETUP: Duration = Duration::from_millis(10 + 7 * 15);

fn runs() -> usize {
    std::env::var("KAKUNIN_E2V_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30usize)
        .max(1)
}

/// The Annex D portrait (a real JPEG) grown to exactly [`PORTRAIT_BYTES`] with JPEG comment
/// segments (COM, FF FE) after SOI: still a well-formed JPEG.
fn portrait() -> Vec<u8> {
    let jpeg = hex::decode(
        include_str!("../spec-vectors/data/annex-d/portrait.jpg.hex")
            .trim()
            .replace(['\n', ' '], ""),
    )
    .unwrap();
    assert!(jpeg.len() < PORTRAIT_BYTES && jpeg.starts_with(&[0xff, 0xd8]));
    let mut out = jpeg[..2].to_vec();
    let mut fill = PORTRAIT_BYTES - jpeg.len();
    let mut k = 0u8;
    while fill > 0 {
        // A COM segment: marker (2), length (2, counting itself), data.
        let seg = fill.min(60_000);
        assert!(seg >= 4, "filler below one segment");
        let data = seg - 4;
        out.extend_from_slice(&[0xff, 0xfe]);
        out.extend_from_slice(&u16::try_from(data + 2).unwrap().to_be_bytes());
        out.extend((0..data).map(|_| {
            k = k.wrapping_mul(31).wrapping_add(7);
            k
        }));
        fill -= seg;
    }
    out.extend_from_slice(&jpeg[2..]);
    assert_eq!(out.len(), PORTRAIT_BYTES);
    out
}

fn copy_key(k: &EcPrivateKey) -> EcPrivateKey {
    hazmat::private_key_from_scalar(k.curve(), hazmat::scalar_bytes(k)).unwrap()
}

struct World {
    pki: TestPki,
    store: MemoryStore,
    now: time::OffsetDateTime,
}

impl World {
    /// A test PKI and `n` single-use mDL credentials of an adult with the 10 KiB portrait.
    fn new(n: usize) -> Self {
        let c = default_provider();
        let now = time::OffsetDateTime::now_utc();
        let pki = TestPki::generate(c, "JP", 1, now - time::Duration::days(90)).unwrap();
        let mut claims: serde_json::Value =
            serde_json::from_str(include_str!("../docs/examples/mdl-claims.json")).unwrap();
        claims["birth_date"] = "1990-05-05".into();
        use base64::Engine;
        claims["portrait"] = base64::engine::general_purpose::STANDARD
            .encode(portrait())
            .into();
        let elements = elements_from_json(DocProfile::Mdl, &claims, now.date()).unwrap();
        let ds = &pki.document_signers[0];
        let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
        let store = MemoryStore::new();
        let signed = now - time::Duration::days(1);
        for i in 0..n {
            let key = c.generate_key(Curve::P256).unwrap();
            let cred = issuer
                .issue(
                    DocProfile::Mdl.doc_type(),
                    &elements,
                    &c.public_key(&key).unwrap(),
                    ValidityInfo {
                        signed,
                        valid_from: signed,
                        valid_until: now + time::Duration::days(30),
                        expected_update: None,
                    },
                    None,
                )
                .unwrap();
            store
                .store(
                    &format!("mdl-{i}"),
                    &cred.doc_type,
                    &cred.issuer_signed,
                    &key,
                )
                .unwrap();
        }
        World { pki, store, now }
    }

    /// The till: the IACA, readerAuth, the default request (age_over_20 and the portrait).
    fn reader_config(&self) -> ReaderConfig {
        ReaderConfig::new(TrustAnchors::from_der_certs([self.pki.iaca.cert_der.clone()]).unwrap())
            .with_reader_auth(ReaderAuthSigner::new(
                vec![self.pki.reader.cert_der.clone()],
                copy_key(&self.pki.reader.key),
            ))
    }

    fn holder_policy(&self) -> HolderPolicy {
        HolderPolicy {
            reader_trust: Some(
                TrustAnchors::from_der_certs([self.pki.reader_root.cert_der.clone()]).unwrap(),
            ),
            require_reader_auth: true,
            ..HolderPolicy::default()
        }
    }
}

/// The verdict must be OK with the portrait and age_over_20 verified.
fn check(out: &FlowOutcome) {
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.failure);
    let p = out.decision.portrait.as_ref().expect("portrait shown");
    assert_eq!(p.bytes().len(), PORTRAIT_BYTES);
    let report = out.mdoc.as_ref().unwrap();
    let shared: Vec<&str> = report.documents[0]
        .verified_elements()
        .map(|e| e.identifier.as_str())
        .collect();
    assert_eq!(shared, ["age_over_20", "portrait"]);
}

/// Which side sent a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Reader,
    Holder,
}

/// A value pipe that logs the size of each value it sends, in order, for the radio model.
struct Metered {
    inner: MemoryEnd,
    side: Side,
    log: Arc<Mutex<Vec<(Side, usize)>>>,
}

impl ValuePipe for Metered {
    fn send_value(&mut self, value: &[u8]) -> Result<(), LinkError> {
        self.log.lock().unwrap().push((self.side, value.len()));
        self.inner.send_value(value)
    }
    fn receive_value(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        self.inner.receive_value(deadline)
    }
}

/// Air time of one characteristic value of `len` bytes under the model (module docs).
fn value_air_time(len: usize) -> Duration {
    let mut sdu = len + 3 + 4; // ATT header, L2CAP header
    let mut us = 0u64;
    while sdu > 0 {
        let n = sdu.min(251);
        us += (11 + n as u64) * 4 + 344;
        sdu -= n;
    }
    Duration::from_micros(us)
}

/// Modelled radio time of the logged values: bursts wait half a connection interval, then
/// their packets' air time.
fn modelled_link_time(log: &[(Side, usize)]) -> (Duration, usize, usize) {
    let mut t = Duration::ZERO;
    let mut last: Option<Side> = None;
    let mut bursts = 0;
    for &(side, len) in log {
        if last != Some(side) {
            t += CONN_INTERVAL / 2;
            bursts += 1;
            last = Some(side);
        }
        t += value_air_time(len);
    }
    (t, bursts, log.iter().map(|(_, l)| l).sum())
}

struct Sample {
    compute: Duration,
    link: Duration,
}

fn ble_run(w: &World, config: &ReaderConfig) -> (Sample, usize, usize, usize) {
    let c = default_provider();
    let (de, _uuid, session) = qr_ble_engagement(c).unwrap();
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let log = Arc::new(Mutex::new(Vec::new()));
    let (reader_end, holder_end) = memory_pair();
    let mut reader_link = BleFramedLink::new(
        Metered {
            inner: reader_end,
            side: Side::Reader,
            log: Arc::clone(&log),
        },
        MTU,
    )
    .unwrap();
    let mut holder_link = BleFramedLink::new(
        Metered {
            inner: holder_end,
            side: Side::Holder,
            log: Arc::clone(&log),
        },
        MTU,
    )
    .unwrap();
    let policy = w.holder_policy();
    let store: &MemoryStore = &w.store;
    let now = w.now;
    let (out, compute) = std::thread::scope(|s| {
        let holder = s.spawn(move || {
            let mut hl = HolderLoop::new(store, policy, session);
            run_holder(
                &mut hl,
                &mut holder_link,
                c,
                &Instant::now,
                HolderDeadlines::default(),
                now,
                &mut |_| {},
            )
        });
        // Engagement: the QR code's URI has just been read.
        let t0 = Instant::now();
        let mut flow = ReaderFlow::new(c, config, &Engagement::Qr { uri }).unwrap();
        let out = run_reader(&mut flow, &mut reader_link, c, &Instant::now, now);
        let compute = t0.elapsed();
        let h = holder.join().unwrap();
        assert!(h.failure.is_none(), "{:?}", h.failure);
        (out, compute)
    });
    check(&out);
    let log = log.lock().unwrap();
    let (link, bursts, bytes) = modelled_link_time(&log);
    (Sample { compute, link }, log.len(), bursts, bytes)
}

fn quantile(v: &[Duration], per_mille: usize) -> Duration {
    let mut s = v.to_vec();
    s.sort_unstable();
    s.get(s.len().saturating_sub(1) * per_mille / 1000)
        .copied()
        .unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_row(name: &str, v: &[Duration]) {
    println!(
        "{name:<58} {:>4} {:>9.2} {:>9.2}",
        v.len(),
        ms(quantile(v, 500)),
        ms(quantile(v, 990))
    );
}

#[cfg(feature = "pcsc")]
fn nfc_runs(w: &World, config: &ReaderConfig, n: usize) -> Result<Vec<Duration>, String> {
    use kakunin_core::cbor::wrap_tag24;
    use kakunin_core::mdoc::encode_device_engagement;
    use kakunin_holder_sim::HolderCard;
    use kakunin_transport::adapters::pcsc::PcscCard;
    use kakunin_transport::adapters::vpcd::VirtualCard;
    use kakunin_transport::handover::{build_static_select, nfc_handover, NfcCarrier};
    use kakunin_transport::nfc::{NfcCard, NfcReader, ReaderConfig as ApduConfig};
    use kakunin_transport::nfc_link::NfcMessageLink;
    use kakunin_transport::session::MdocSession;
    use kakunin_verifier::flow::{engage_nfc, NfcHandoverMode};
    const READER: &str = "Virtual PCD 00 00";
    let readers = PcscCard::readers().map_err(|e| format!("pcscd not reachable: {e}"))?;
    if !readers.iter().any(|r| r.contains(READER)) {
        return Err(format!("no vpcd reader in {readers:?}"));
    }
    let c = default_provider();
    let mut times = Vec::with_capacity(n);
    let mut apdus = 0;
    let mut failed = 0usize;
    for _ in 0..n {
        let e_device_key = c.generate_key(Curve::P256).unwrap();
        let de = encode_device_engagement(&c.public_key(&e_device_key).unwrap(), &[]);
        let nfc = NfcCarrier {
            version: 1,
            max_command_data: Some(65535),
            max_response_data: Some(65536),
        };
        let hs = build_static_select(&de, None, Some(&nfc)).unwrap();
        let policy = w.holder_policy();
        let store: &MemoryStore = &w.store;
        let now = w.now;
        let elapsed = std::thread::scope(|s| {
            let holder = s.spawn(move || {
                let session =
                    MdocSession::new(e_device_key, wrap_tag24(&de), nfc_handover(&hs, None));
                let mut card = HolderCard::new(
                    NfcCard::new(&hs).unwrap(),
                    HolderLoop::new(store, policy, session),
                    default_provider(),
                    now,
                );
                let served = VirtualCard::serve_with_reinsertion(
                    "127.0.0.1:35963",
                    &mut card,
                    Duration::from_secs(3),
                    5,
                    |c| c.is_done(),
                );
                (served.map_err(|e| e.to_string()), card.into_outcome())
            });
            let pcsc = PcscCard::connect(READER, Duration::from_secs(30)).expect("card present");
            // The card is in the field: from here to the verdict.
            let t0 = Instant::now();
            let mut reader = NfcReader::new(pcsc, ApduConfig::EXTENDED);
            // The vpcd slot is shared with anything else on this machine that uses it
            // (tests/nfc_pcsc.rs): a session disturbed from outside is counted, not timed.
            let engagement = match engage_nfc(&mut reader, NfcHandoverMode::Static, 0x4b4b) {
                Ok(e) => e,
                Err(e) => {
                    drop(reader);
                    let _ = holder.join();
                    return Err(format!("engagement: {e}"));
                }
            };
            let mut flow = ReaderFlow::new(c, config, &engagement).unwrap();
            let mut link = NfcMessageLink::open(reader).unwrap();
            let out = run_reader(&mut flow, &mut link, c, &Instant::now, now);
            let elapsed = t0.elapsed();
            apdus = link.stats().commands;
            drop(link);
            let (served, h) = holder.join().unwrap();
            served.map_err(|e| format!("virtual card: {e}"))?;
            if let Some(f) = h.failure {
                return Err(format!("holder: {f}"));
            }
            if out.decision.verdict != Verdict::Ok {
                return Err(format!(
                    "verdict {:?}: {:?}",
                    out.decision.verdict, out.failure
                ));
            }
            check(&out);
            Ok(elapsed)
        });
        match elapsed {
            Ok(t) => times.push(t),
            Err(e) => {
                failed += 1;
                eprintln!("NFC run not timed: {e}");
            }
        }
    }
    println!("\nNFC: {apdus} APDUs through pcscd per session (after engagement); {failed} run(s) disturbed");
    Ok(times)
}

#[cfg(not(feature = "pcsc"))]
fn nfc_runs(_: &World, _: &ReaderConfig, _: usize) -> Result<Vec<Duration>, String> {
    Err("built without the `pcsc` feature (cargo bench --features pcsc)".into())
}

fn main() {
    let n = runs();
    let w = World::new(2 * n + 2);
    let config = w.reader_config();
    println!(
        "engagement -> verdict, age_over_20 + {PORTRAIT_BYTES}-byte portrait, readerAuth, {n} runs each; \
         load average {}",
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    // One warm-up session (page cache, allocator).
    let _ = ble_run(&w, &config);
    let mut compute = Vec::new();
    let mut link = Vec::new();
    let mut total = Vec::new();
    let mut shape = (0, 0, 0);
    for _ in 0..n {
        let (s, values, bursts, bytes) = ble_run(&w, &config);
        shape = (values, bursts, bytes);
        compute.push(s.compute);
        link.push(s.link);
        total.push(s.compute + s.link + SETUP);
    }
    println!(
        "\nsimulated BLE, ATT MTU {MTU}, LE 2M PHY with DLE, {} ms connection interval: {} values in {} bursts, {} bytes",
        CONN_INTERVAL.as_millis(),
        shape.0,
        shape.1,
        shape.2
    );
    println!("{:<58} {:>4} {:>9} {:>9}", "", "runs", "p50 ms", "p99 ms");
    print_row("measured compute (both sides, in-memory link)", &compute);
    print_row("modelled radio time of the session's values", &link);
    print_row(
        &format!(
            "engagement -> verdict (compute + radio + {} ms set-up)",
            SETUP.as_millis()
        ),
        &total,
    );

    match nfc_runs(&w, &config, n) {
        Ok(t) => {
            println!("\nNFC through pcscd + vpcd (static handover, extended APDUs), wall time");
            println!("{:<58} {:>4} {:>9} {:>9}", "", "runs", "p50 ms", "p99 ms");
            print_row("card present -> verdict", &t);
        }
        Err(e) => println!("\nNFC through pcscd + vpcd: not run: {e}"),
    }
}
