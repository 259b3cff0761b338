#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The Session, BLE and NFC fault profiles (kakunin_holder_sim::faults, docs/faults.md), and
//! Response profiles applied inside the holder loop, against Kakunin's reader flow end to end
//! in memory: each ends NG with the expected reason, within short simulated deadlines.

use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::faults::{
    double_engagement_card, BleFaultPipe, Drip, Fault, FaultLayer, NfcFaultCard,
};
use kakunin_holder_sim::{
    run_holder, CredentialStore, HolderCard, HolderDeadlines, HolderLoop, HolderOutcome,
    HolderPolicy, MemoryStore,
};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_transport::ble_link::BleFramedLink;
use kakunin_transport::handover::{build_static_select, nfc_handover, NfcCarrier};
use kakunin_transport::link::{memory_pair, LinkError};
use kakunin_transport::nfc::{NfcCard, NfcReader, ReaderConfig as ApduConfig};
use kakunin_transport::nfc_link::NfcMessageLink;
use kakunin_transport::session::{MdocSession, ProximityError};
use kakunin_verifier::flow::{
    engage_nfc, run_reader, Deadlines, Engagement, FlowFailure, FlowOutcome, NfcHandoverMode,
    ReaderConfig, ReaderFlow,
};
use kakunin_verifier::{NgReason, Verdict};
use std::time::{Duration, Instant};
use time::macros::datetime;
use time::OffsetDateTime;

const MTU: u16 = 185;

fn now() -> OffsetDateTime {
    datetime!(2026-12-01 09:00 UTC)
}

struct Fixture {
    pki: TestPki,
    store: MemoryStore,
}

fn fixture() -> Fixture {
    let c = default_provider();
    let pki = TestPki::generate(c, "JP", 1, now() - time::Duration::days(90)).unwrap();
    let store = MemoryStore::new();
    let mut claims: serde_json::Value =
        serde_json::from_str(include_str!("../docs/examples/mdl-claims.json")).unwrap();
    claims["birth_date"] = "2000-05-05".into();
    let elements = elements_from_json(DocProfile::Mdl, &claims, now().date()).unwrap();
    let ds = &pki.document_signers[0];
    let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
    let signed = now() - time::Duration::days(30);
    for i in 0..12 {
        let key = c.generate_key(Curve::P256).unwrap();
        let cred = issuer
            .issue(
                profile_doc_type(),
                &elements,
                &c.public_key(&key).unwrap(),
                ValidityInfo {
                    signed,
                    valid_from: signed,
                    valid_until: now() + time::Duration::days(30),
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
    Fixture { pki, store }
}

fn profile_doc_type() -> &'static str {
    DocProfile::Mdl.doc_type()
}

impl Fixture {
    fn config(&self) -> ReaderConfig {
        let mut config = ReaderConfig::new(
            TrustAnchors::from_der_certs([self.pki.iaca.cert_der.clone()]).unwrap(),
        );
        // Short simulated deadlines: a fault that stalls ends in well under a second.
        config.deadlines = Deadlines {
            per_message: Duration::from_millis(400),
            session: Duration::from_secs(3),
            ..Deadlines::default()
        };
        config
    }

    /// The reader flow against the holder loop (with `fault`) over BLE framing on an
    /// in-memory pipe; BLE profiles sit in the holder's value pipe.
    fn run_qr(&self, fault: Fault) -> (FlowOutcome, HolderOutcome, Duration) {
        let c = default_provider();
        let config = self.config();
        let (de, _uuid, session) = qr_ble_engagement(c).unwrap();
        let uri = kakunin_transport::qr::engagement_uri(&de);
        let (reader_end, holder_end) = memory_pair();
        let mut reader_link = BleFramedLink::new(reader_end, MTU).unwrap();
        let started = Instant::now();
        let store = &self.store;
        let (out, holder) = std::thread::scope(|s| {
            let holder = s.spawn(move || {
                let mut hl =
                    HolderLoop::new(store, HolderPolicy::default(), session).with_fault(fault);
                let deadlines = HolderDeadlines {
                    first_message: Duration::from_secs(2),
                    per_message: Duration::from_secs(1),
                };
                let mut run = |link: &mut dyn kakunin_transport::link::MessageLink| {
                    run_holder(
                        &mut hl,
                        link,
                        c,
                        &Instant::now,
                        deadlines,
                        now(),
                        &mut |_| {},
                    )
                };
                if fault.layer() == FaultLayer::Ble {
                    let pipe = BleFaultPipe::new(holder_end, fault)
                        .unwrap()
                        .with_drip(Drip {
                            interval: Duration::from_millis(200),
                            give_up: Duration::from_secs(2),
                        });
                    run(&mut BleFramedLink::new(pipe, MTU).unwrap())
                } else {
                    run(&mut BleFramedLink::new(holder_end, MTU).unwrap())
                }
            });
            let mut flow = ReaderFlow::new(c, &config, &Engagement::Qr { uri }).unwrap();
            let out = run_reader(&mut flow, &mut reader_link, c, &Instant::now, now());
            drop(reader_link);
            (out, holder.join().unwrap())
        });
        (out, holder, started.elapsed())
    }

    /// The reader flow against the holder's NFC card (static handover, extended APDUs),
    /// NFC profiles in front of it.
    fn run_nfc(&self, fault: Option<Fault>) -> Result<(FlowOutcome, Duration), String> {
        let c = default_provider();
        let key = c.generate_key(Curve::P256).unwrap();
        let de = kakunin_core::mdoc::encode_device_engagement(&c.public_key(&key).unwrap(), &[]);
        let carrier = NfcCarrier {
            version: 1,
            max_command_data: Some(65535),
            max_response_data: Some(65536),
        };
        let (card, hs) = if fault == Some(Fault::NfcDoubleEngagement) {
            double_engagement_card(c, &de, carrier).unwrap()
        } else {
            let hs = build_static_select(&de, None, Some(&carrier)).unwrap();
            (NfcCard::new(&hs).unwrap(), hs)
        };
        let session = MdocSession::new(
            key,
            kakunin_core::cbor::wrap_tag24(&de),
            nfc_handover(&hs, None),
        );
        let mut hl = HolderLoop::new(&self.store, HolderPolicy::default(), session);
        if let Some(f) = fault.filter(|f| f.layer() != FaultLayer::Nfc) {
            hl = hl.with_fault(f);
        }
        let holder = HolderCard::new(card, hl, c, now());
        let config = self.config();
        let started = Instant::now();
        macro_rules! flow_over {
            ($card:expr) => {{
                let mut reader = NfcReader::new($card, ApduConfig::EXTENDED);
                let engagement = engage_nfc(&mut reader, NfcHandoverMode::Static, 0x4b4b)
                    .map_err(|e| format!("{e:?}"))?;
                let mut flow =
                    ReaderFlow::new(c, &config, &engagement).map_err(|e| format!("{e:?}"))?;
                let mut link = NfcMessageLink::open(reader).unwrap();
                run_reader(&mut flow, &mut link, c, &Instant::now, now())
            }};
        }
        let out = match fault {
            Some(f @ (Fault::Nfc61xxLoop | Fault::NfcWrongStatusWords)) => {
                flow_over!(NfcFaultCard::new(holder, f).unwrap())
            }
            _ => flow_over!(holder),
        };
        Ok((out, started.elapsed()))
    }
}

fn ng(out: &FlowOutcome) -> Option<NgReason> {
    out.decision.verdict.reason()
}

#[test]
fn without_a_fault_both_transports_are_ok() {
    let f = fixture();
    let (out, holder, _) = f.run_qr(Fault::NonShortestHeads);
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.failure);
    assert!(holder.failure.is_none());
    let (out, _) = f.run_nfc(None).unwrap();
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.failure);
}

#[test]
fn status_at_the_wrong_moment_ends_the_session_ng() {
    let f = fixture();
    for (fault, status) in [
        (Fault::Status10WrongMoment, 10),
        (Fault::Status11WrongMoment, 11),
    ] {
        let (out, _, elapsed) = f.run_qr(fault);
        match &out.failure {
            Some(FlowFailure::Session(ProximityError::PeerError { status: s })) => {
                assert_eq!(*s, status, "{fault}")
            }
            other => panic!("{fault}: {other:?}"),
        }
        assert_eq!(ng(&out), Some(NgReason::Malformed), "{fault}");
        assert!(elapsed < Duration::from_secs(2), "{fault}: {elapsed:?}");
    }
    let (out, _, _) = f.run_qr(Fault::Status20WrongMoment);
    assert!(
        matches!(out.failure, Some(FlowFailure::EndedByPeer)),
        "{:?}",
        out.failure
    );
    assert_eq!(ng(&out), Some(NgReason::Cancelled));
}

#[test]
fn response_profiles_apply_inside_the_loop() {
    let f = fixture();
    let (out, _, _) = f.run_qr(Fault::WrongSessionTranscript);
    assert_eq!(
        ng(&out),
        Some(NgReason::DeviceAuthFailed),
        "{:?}",
        out.failure
    );
    let (out, _) = f.run_nfc(Some(Fault::ReencodedTag24)).unwrap();
    assert_eq!(ng(&out), Some(NgReason::Tampered), "{:?}", out.failure);
}

#[test]
fn extra_element_is_dropped_by_the_reader_flow() {
    let f = fixture();
    let (out, _, _) = f.run_qr(Fault::ExtraElement);
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.failure);
    assert_eq!(out.unrequested_elements, 1);
}

#[test]
fn ble_framing_profiles_end_ng_within_the_deadline() {
    let f = fixture();
    for (fault, reason) in [
        (Fault::BleOversizeFirstWrite, NgReason::Malformed),
        (Fault::BleDisconnectMidResponse, NgReason::Timeout),
        (Fault::BleSlowDrip, NgReason::Timeout),
    ] {
        let (out, _, elapsed) = f.run_qr(fault);
        assert_eq!(
            ng(&out),
            Some(reason),
            "{fault}: {:?} {:?} {:?}",
            out.failure,
            out.progress,
            out.mdoc
        );
        assert!(elapsed < Duration::from_secs(3), "{fault}: {elapsed:?}");
    }
    for fault in [
        Fault::BleWrongContinuationByte,
        Fault::BleNotificationDropped,
    ] {
        let (out, _, elapsed) = f.run_qr(fault);
        // A message cut short or with a gap does not decode as SessionData: status 11 back.
        assert!(
            matches!(
                out.failure,
                Some(FlowFailure::Session(ProximityError::Malformed { .. }))
            ),
            "{fault}: {:?}",
            out.failure
        );
        assert_eq!(ng(&out), Some(NgReason::Malformed), "{fault}");
        assert!(elapsed < Duration::from_secs(3), "{fault}: {elapsed:?}");
    }
}

#[test]
fn nfc_profiles_end_ng() {
    let f = fixture();
    for fault in [Fault::Nfc61xxLoop, Fault::NfcWrongStatusWords] {
        let (out, elapsed) = f.run_nfc(Some(fault)).unwrap();
        assert!(
            matches!(
                out.failure,
                Some(FlowFailure::Link(
                    LinkError::Framing { .. } | LinkError::Card { .. }
                ))
            ),
            "{fault}: {:?}",
            out.failure
        );
        assert_eq!(ng(&out), Some(NgReason::Malformed), "{fault}");
        assert!(elapsed < Duration::from_secs(3), "{fault}: {elapsed:?}");
    }
    // Two engagements in one NDEF file: the reader refuses to engage at all.
    let refused = f.run_nfc(Some(Fault::NfcDoubleEngagement)).unwrap_err();
    assert!(refused.contains("Ndef"), "{refused}");
}
