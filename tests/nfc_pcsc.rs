#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! NFC over a real PC/SC stack: the holder simulator is a virtual contactless card attached
//! to pcscd through vsmartcard's vpcd; the reader engages over NFC (static handover read from
//! the card's NDEF file) and runs the reader flow over NFC (ENVELOPE / GET RESPONSE) via the
//! pcsc crate against the holder loop behind the card; the verdict is OK. Needs pcscd running with vpcd
//! (scripts/install-peers.sh installs and starts them) and the `pcsc` feature.
//!
//! Also `kakunin till serve` with `transports.nfc_reader`: cards presented through vpcd get
//! OK (adult) and NG `under_age` (19), a card pulled away mid-session NG `timeout` with the
//! till ready again, and an absent reader or an unreachable pcscd shows NFC unavailable.
//! vpcd has one slot (port 35963): every test here that uses it holds [`VPCD`].
#![cfg(feature = "pcsc")]

#[path = "../verifier-server/tests/common/mod.rs"]
mod common;

use kakunin_core::cbor::wrap_tag24;
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::{encode_device_engagement, RequestedElement, ValidityInfo};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::{HolderCard, HolderLoop, HolderPolicy, Wallet};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_transport::adapters::pcsc::PcscCard;
use kakunin_transport::adapters::vpcd::VirtualCard;
use kakunin_transport::handover::{build_static_select, nfc_handover, NfcCarrier};
use kakunin_transport::nfc::{NfcCard, NfcReader, ReaderConfig};
use kakunin_transport::nfc_link::NfcMessageLink;
use kakunin_transport::session::MdocSession;
use kakunin_verifier::flow::{
    engage_nfc, run_reader, NfcHandoverMode, ReaderAuthSigner, ReaderConfig as FlowConfig,
    ReaderFlow, RequestSpec,
};
use kakunin_verifier::Verdict;
use std::time::{Duration, Instant};

const READER: &str = "Virtual PCD 00 00";

/// vpcd serves one virtual card at a time: the tests that present one take turns.
static VPCD: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn vpcd_slot() -> std::sync::MutexGuard<'static, ()> {
    VPCD.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn run(config: ReaderConfig) {
    let c = default_provider();
    let readers = PcscCard::readers().unwrap_or_else(|e| {
        panic!("pcscd is not reachable ({e}): run `bash scripts/install-peers.sh`")
    });
    assert!(
        readers.iter().any(|r| r.contains(READER)),
        "no vpcd reader in {readers:?}: is vsmartcard-vpcd installed?"
    );

    let now = time::OffsetDateTime::now_utc();
    let pki = TestPki::generate(c, "JP", 1, now).unwrap();
    let claims: serde_json::Value =
        serde_json::from_str(include_str!("../docs/examples/mdl-claims.json")).unwrap();
    let elements = elements_from_json(DocProfile::Mdl, &claims, now.date()).unwrap();
    let ds = &pki.document_signers[0];
    let device_key = c.generate_key(Curve::P256).unwrap();
    let cred = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()])
        .issue(
            DocProfile::Mdl.doc_type(),
            &elements,
            &c.public_key(&device_key).unwrap(),
            ValidityInfo {
                signed: now,
                valid_from: now,
                valid_until: now + time::Duration::days(30),
                expected_update: None,
            },
            None,
        )
        .unwrap();
    let wallet_dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(wallet_dir.path()).unwrap();
    wallet
        .store("mdl-000", &cred.doc_type, &cred.issuer_signed, &device_key)
        .unwrap();

    // The holder's card: static handover with an NFC carrier, the holder loop behind it.
    let e_device_key = c.generate_key(Curve::P256).unwrap();
    let de = encode_device_engagement(&c.public_key(&e_device_key).unwrap(), &[]);
    let nfc = NfcCarrier {
        version: 1,
        max_command_data: Some(65535),
        max_response_data: Some(65536),
    };
    let hs = build_static_select(&de, None, Some(&nfc)).unwrap();
    let reader_root = pki.reader_root.cert_der.clone();
    let holder = std::thread::spawn(move || {
        let policy = HolderPolicy {
            reader_trust: Some(TrustAnchors::from_der_certs([reader_root]).unwrap()),
            require_reader_auth: true,
            ..HolderPolicy::default()
        };
        let session = MdocSession::new(e_device_key, wrap_tag24(&de), nfc_handover(&hs, None));
        let mut card = HolderCard::new(
            NfcCard::new(&hs).unwrap(),
            HolderLoop::new(&wallet, policy, session),
            default_provider(),
            time::OffsetDateTime::now_utc(),
        );
        let apdus = VirtualCard::serve_with_reinsertion(
            "127.0.0.1:35963",
            &mut card,
            Duration::from_secs(3),
            5,
            |c| c.is_done(),
        )
        .expect("virtual card served");
        let outcome = card.into_outcome();
        (
            apdus,
            outcome.failure.map(|f| f.to_string()),
            outcome.presented.len(),
        )
    });

    // The reader: engage over NFC, then the reader flow asks for age_over_20 over NFC.
    let pcsc = PcscCard::connect(READER, Duration::from_secs(30))
        .expect("card present in the vpcd reader");
    let mut reader = NfcReader::new(pcsc, config);
    let engagement =
        engage_nfc(&mut reader, NfcHandoverMode::Static, 0x4b4b).expect("read the Handover Select");
    let anchors = TrustAnchors::from_der_certs([pki.iaca.cert_der.clone()]).unwrap();
    let mut reader_config = FlowConfig::new(anchors).with_reader_auth(ReaderAuthSigner::new(
        vec![pki.reader.cert_der.clone()],
        pki.reader.key,
    ));
    reader_config.request = RequestSpec::Elements(vec![(
        DocProfile::Mdl.doc_type().into(),
        vec![RequestedElement {
            namespace: kakunin_core::mdoc::MDL_NAMESPACE.into(),
            element: "age_over_20".into(),
            intent_to_retain: false,
        }],
    )]);
    reader_config.policy.portrait = false;
    let mut flow = ReaderFlow::new(c, &reader_config, &engagement).unwrap();
    let mut link = NfcMessageLink::open(reader).unwrap();
    let out = run_reader(
        &mut flow,
        &mut link,
        c,
        &Instant::now,
        time::OffsetDateTime::now_utc(),
    );
    let stats = link.stats();
    let (apdus, card_error, presented) = holder.join().unwrap();
    assert!(card_error.is_none(), "{card_error:?}");
    assert_eq!(presented, 1);
    assert_eq!(
        apdus, stats.commands,
        "every APDU went through pcscd to the virtual card"
    );
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.failure);
    let report = out.mdoc.unwrap();
    assert!(
        report.valid(),
        "{:?}",
        report.all_errors().collect::<Vec<_>>()
    );
    let els: Vec<_> = report.documents[0]
        .elements
        .iter()
        .map(|e| e.identifier.as_str())
        .collect();
    assert_eq!(els, vec!["age_over_20"]);
}

#[test]
fn nfc_engagement_and_transfer_through_pcscd_and_vpcd() {
    let _slot = vpcd_slot();
    // One test, run in sequence: the vpcd slot serves one virtual card at a time.
    run(ReaderConfig::EXTENDED);
    run(ReaderConfig::SHORT);
}

mod till {
    use super::{common, vpcd_slot, READER};
    use kakunin_core::cbor::wrap_tag24;
    use kakunin_core::crypto::{default_provider, Curve};
    use kakunin_core::mdoc::{encode_device_engagement, ValidityInfo};
    use kakunin_holder_sim::{HolderCard, HolderLoop, HolderPolicy, MemoryStore};
    use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer};
    use kakunin_transport::adapters::vpcd::VirtualCard;
    use kakunin_transport::handover::{build_static_select, nfc_handover, NfcCarrier};
    use kakunin_transport::nfc::{NfcCard, Transceive};
    use kakunin_transport::session::MdocSession;
    use serde_json::Value;
    use std::net::SocketAddr;
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    fn free_port() -> SocketAddr {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    }

    struct Till {
        child: Child,
        addr: SocketAddr,
        data: tempfile::TempDir,
    }

    impl Drop for Till {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    impl Till {
        fn start(iaca: &Path, nfc_reader: &str, env: &[(&str, &str)]) -> Till {
            let data = tempfile::tempdir().unwrap();
            let config = data.path().join("till.toml");
            std::fs::write(
                &config,
                format!(
                    "[transports]\nble = false\nnfc_reader = {nfc_reader:?}\n\n[limits]\nphone_timeout_ms = 3000\n"
                ),
            )
            .unwrap();
            let addr = free_port();
            let child = Command::new(env!("CARGO_BIN_EXE_kakunin"))
                .args(["till", "serve", "--config"])
                .arg(&config)
                .args(["--listen", &addr.to_string(), "--data"])
                .arg(data.path().join("data"))
                .arg("--trust-anchor")
                .arg(iaca)
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(data.path().join("stderr.log")).unwrap())
                .stdin(Stdio::null())
                .spawn()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            while std::net::TcpStream::connect(addr).is_err() {
                assert!(Instant::now() < deadline, "the till did not start");
                std::thread::sleep(Duration::from_millis(50));
            }
            Till { child, addr, data }
        }

        fn state(&self) -> Value {
            let (status, _, body) = common::http(self.addr, "GET", "/api/v1/till/state", &[], b"");
            assert_eq!(status, 200);
            serde_json::from_slice(&body).unwrap()
        }

        fn wait_for(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
            let deadline = Instant::now() + Duration::from_secs(40);
            loop {
                let s = self.state();
                if ok(&s) {
                    return s;
                }
                assert!(
                    Instant::now() < deadline,
                    "{what}: last state {s}\n{}",
                    self.log()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }

        fn log(&self) -> String {
            std::fs::read_to_string(self.data.path().join("stderr.log")).unwrap_or_default()
        }

        fn next(&self) {
            let (status, v) = common::post_json(self.addr, "/api/v1/till/next", "{}", None);
            assert_eq!(status, 200, "{v}");
        }

        fn audit(&self) -> Value {
            let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
                .args(["till", "audit", "--format", "json", "--data"])
                .arg(self.data.path().join("data"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        }
    }

    /// How the customer's card behaves.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Card {
        /// Static handover, answers.
        Static,
        /// Negotiated handover (TNEP), answers.
        Negotiated,
        /// Taken away when the till sends its request (the first ENVELOPE).
        Pulled,
    }

    /// The holder's card, failing (the card leaves the field) at the first ENVELOPE when
    /// `pull` is set.
    struct Pullable<'a> {
        card: HolderCard<'a>,
        pull: bool,
    }

    impl Transceive for Pullable<'_> {
        type Error = String;
        fn transceive(&mut self, apdu: &[u8]) -> Result<Vec<u8>, String> {
            if self.pull && apdu.get(1) == Some(&0xc3) {
                return Err("the customer took the phone away".into());
            }
            self.card.transceive(apdu).map_err(|e| e.to_string())
        }
    }

    /// Present a card holding an mDL of someone `age` years old through vpcd; returns when
    /// the card left the field (its session over, or pulled away).
    fn present(w: &common::World, age: i32, kind: Card) -> std::thread::JoinHandle<()> {
        let c = default_provider();
        let now = common::now();
        let claims = common::claims(&common::birth_date(age));
        let elements = elements_from_json(DocProfile::Mdl, &claims, now.date()).unwrap();
        let ds = &w.pki.document_signers[0];
        let device_key = c.generate_key(Curve::P256).unwrap();
        let cred = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()])
            .issue(
                DocProfile::Mdl.doc_type(),
                &elements,
                &c.public_key(&device_key).unwrap(),
                ValidityInfo {
                    signed: now,
                    valid_from: now,
                    valid_until: now + time::Duration::days(30),
                    expected_update: None,
                },
                None,
            )
            .unwrap();
        std::thread::spawn(move || {
            let c = default_provider();
            let store = MemoryStore::new();
            kakunin_holder_sim::CredentialStore::store(
                &store,
                "mdl-1",
                &cred.doc_type,
                &cred.issuer_signed,
                &device_key,
            )
            .unwrap();
            let e_device_key = c.generate_key(Curve::P256).unwrap();
            let de = encode_device_engagement(&c.public_key(&e_device_key).unwrap(), &[]);
            let carrier = NfcCarrier {
                version: 1,
                max_command_data: Some(65535),
                max_response_data: Some(65536),
            };
            let hs = build_static_select(&de, None, Some(&carrier)).unwrap();
            let nfc = match kind {
                Card::Negotiated => NfcCard::negotiated(&de, carrier).unwrap(),
                _ => NfcCard::new(&hs).unwrap(),
            };
            let session = MdocSession::new(e_device_key, wrap_tag24(&de), nfc_handover(&hs, None));
            let mut card = Pullable {
                card: HolderCard::new(
                    nfc,
                    HolderLoop::new(&store, HolderPolicy::default(), session),
                    c,
                    common::now(),
                ),
                pull: kind == Card::Pulled,
            };
            let served = VirtualCard::serve_with_reinsertion(
                "127.0.0.1:35963",
                &mut card,
                Duration::from_secs(3),
                5,
                |c| c.card.is_done(),
            );
            match kind {
                Card::Pulled => assert!(served.is_err(), "the card was pulled away"),
                _ => {
                    served.expect("the virtual card was served");
                    let outcome = card.card.into_outcome();
                    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
                    assert_eq!(outcome.presented.len(), 1);
                }
            }
        })
    }

    fn result_of(till: &Till, after: u64) -> Value {
        till.wait_for("a result", |s| {
            s["state"] == "result" && s["session"].as_u64().is_some_and(|n| n > after)
        })
    }

    #[test]
    fn till_serve_reads_cards_through_its_nfc_reader() {
        let _slot = vpcd_slot();
        let w = common::World::new();
        let till = Till::start(&w.iaca_file(), READER, &[]);
        let s = till.wait_for("NFC available", |s| s["nfc"]["available"] == true);
        assert_eq!(s["state"], "waiting");
        assert!(s["nfc"]["reader"].as_str().unwrap().contains(READER), "{s}");

        // An adult, static handover: OK, with the portrait on screen.
        let card = present(&w, 36, Card::Static);
        let s = result_of(&till, 0);
        card.join().unwrap();
        assert_eq!(
            (s["verdict"].as_str(), s["portrait"].as_bool()),
            (Some("OK"), Some(true)),
            "{s}"
        );
        let session = s["session"].as_u64().unwrap();
        till.next();
        assert_eq!(till.state()["state"], "ready");

        // A 19-year-old, negotiated handover: NG under_age.
        let card = present(&w, 19, Card::Negotiated);
        let s = result_of(&till, session);
        card.join().unwrap();
        assert_eq!(
            (s["verdict"].as_str(), s["reason"].as_str()),
            (Some("NG"), Some("under_age")),
            "{s}"
        );
        assert_eq!(s["portrait"], false);
        let session = s["session"].as_u64().unwrap();
        till.next();

        // The card leaves the field when the till sends its request: NG timeout (a lost
        // link), within the deadline, and the till is ready for the next customer.
        let started = Instant::now();
        let card = present(&w, 36, Card::Pulled);
        let s = result_of(&till, session);
        card.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(15));
        assert_eq!(
            (s["verdict"].as_str(), s["reason"].as_str()),
            (Some("NG"), Some("timeout")),
            "{s}\n{}",
            till.log()
        );
        let session = s["session"].as_u64().unwrap();
        till.next();
        assert_eq!(till.state()["state"], "ready");
        let card = present(&w, 36, Card::Static);
        let s = result_of(&till, session);
        card.join().unwrap();
        assert_eq!(s["verdict"], "OK", "{s}");

        // One audit row per card, transport nfc, with the issuer and no personal data.
        let rows = till.audit();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 4, "{rows:?}");
        for row in rows {
            assert_eq!(row["transport"], "nfc", "{row}");
            assert!(!row.to_string().contains(common::FAMILY_NAME), "{row}");
        }
        let verdicts: Vec<_> = rows
            .iter()
            .map(|r| (r["verdict"].as_str().unwrap(), r["reason"].as_str()))
            .collect();
        assert!(
            verdicts.contains(&("NG", Some("under_age"))),
            "{verdicts:?}"
        );
        assert!(verdicts.contains(&("NG", Some("timeout"))), "{verdicts:?}");
        assert_eq!(verdicts.iter().filter(|v| v.0 == "OK").count(), 2);
        assert!(rows
            .iter()
            .filter(|r| r["verdict"] == "OK")
            .all(|r| r["iaca_subject"]
                .as_str()
                .is_some_and(|s| s.contains("C=JP"))));
    }

    #[test]
    fn an_absent_reader_or_pcscd_shows_nfc_unavailable_and_the_till_keeps_serving() {
        let w = common::World::new();
        let mut till = Till::start(&w.iaca_file(), "No Such Reader 99", &[]);
        let s = till.wait_for("NFC unavailable", |s| s["nfc"]["available"] == false);
        assert!(
            s["nfc"]["error"]
                .as_str()
                .unwrap()
                .contains("No Such Reader 99"),
            "{s}"
        );
        // pcscd unreachable (the client library's socket pointed elsewhere).
        let mut down = Till::start(
            &w.iaca_file(),
            READER,
            &[("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")],
        );
        let s = down.wait_for("pcscd unavailable", |s| s["nfc"]["available"] == false);
        assert!(s["nfc"]["error"].as_str().unwrap().contains("pcscd"), "{s}");
        // Both keep answering (the poller backs off; it does not take the server down).
        std::thread::sleep(Duration::from_secs(2));
        for t in [&mut till, &mut down] {
            let (status, _, body) = common::http(t.addr, "GET", "/healthz", &[], b"");
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            assert_eq!(t.state()["nfc"]["available"], false);
            assert!(t.child.try_wait().unwrap().is_none(), "the till exited");
        }
    }
}
