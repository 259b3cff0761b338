#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The wallet suite against Kakunin's holder simulator with each fault profile of
//! `kakunin_holder_sim::faults`, in memory, with the transport framing the profile acts on
//! (BLE GATT framing for the BLE profiles, NFC APDUs for the NFC ones): every profile that
//! breaks a presentation is caught by at least one required case — the table below says
//! which cases, and the test checks exactly those fail — and `non-shortest-heads` (valid)
//! passes every case.

use kakunin_conformance::wallet_suite::fixture::SimWallet;
use kakunin_conformance::wallet_suite::{
    run_selected, MemoryFraming, MemoryTarget, NfcTarget, TargetError, WalletSuiteConfig,
};
use kakunin_conformance::{Grade, SuiteReport};
use kakunin_core::crypto::{default_provider, CryptoProvider, Curve};
use kakunin_holder_sim::faults::{
    double_engagement_card, BleFaultPipe, Drip, Fault, FaultKit, FaultLayer, IssuerSigner,
    NfcFaultCard,
};
use kakunin_holder_sim::{run_holder, HolderCard, HolderDeadlines, HolderLoop};
use kakunin_transport::ble_link::BleFramedLink;
use kakunin_transport::handover::{build_static_select, nfc_handover, NfcCarrier};
use kakunin_transport::nfc::{NfcCard, Transceive};
use kakunin_transport::session::MdocSession;
use std::time::{Duration, Instant};

const MTU: u16 = 185;

/// The cases run for the BLE and NFC profiles (a transport fault breaks every session, and
/// each broken session costs a deadline): an answer, a larger answer, a refusal, a status
/// case and a two-request session.
const TRANSPORT_CASES: [&str; 5] = [
    "wallet/mdl-age-over-20",
    "wallet/mdl-age-and-portrait",
    "wallet/untrusted-reader-auth",
    "wallet/garbage-ciphertext",
    "wallet/second-request",
];

fn holder_deadlines() -> HolderDeadlines {
    HolderDeadlines {
        first_message: Duration::from_secs(2),
        per_message: Duration::from_secs(1),
    }
}

/// One wallet for the whole test (leaked: the NFC cards borrow it for `'static`).
fn world() -> (&'static SimWallet, WalletSuiteConfig) {
    let now = time::OffsetDateTime::now_utc();
    let wallet: &'static SimWallet =
        Box::leak(Box::new(SimWallet::new(default_provider(), now).unwrap()));
    let mut config = wallet.suite_config(now).unwrap();
    config.case_deadline = Duration::from_millis(1500);
    (wallet, config)
}

fn kit(w: &'static SimWallet) -> FaultKit<'static> {
    let ds = &w.pki.document_signers[0];
    let chain: &'static [Vec<u8>] = Box::leak(Box::new([ds.cert_der.clone()]));
    FaultKit {
        issuer: Some(IssuerSigner {
            key: &ds.key,
            x5chain: chain,
        }),
        earlier_response: None,
    }
}

fn run_memory(w: &'static SimWallet, config: &WalletSuiteConfig, fault: Fault) -> SuiteReport {
    let policy = w.policy().unwrap();
    let at = config.now;
    let framing = if fault.layer() == FaultLayer::Ble {
        MemoryFraming::Ble { mtu: MTU }
    } else {
        MemoryFraming::Messages
    };
    let mut target = MemoryTarget::new(fault.name(), move |session, end| {
        let policy = policy.clone();
        std::thread::spawn(move || {
            let mut hl = HolderLoop::new(&w.store, policy, session);
            if matches!(fault.layer(), FaultLayer::Response | FaultLayer::Session) {
                hl = hl.with_fault(fault).with_fault_kit(kit(w));
            }
            let mut run = |link: &mut dyn kakunin_transport::link::MessageLink| {
                run_holder(
                    &mut hl,
                    link,
                    default_provider(),
                    &Instant::now,
                    holder_deadlines(),
                    at,
                    &mut |_| {},
                );
            };
            if fault.layer() == FaultLayer::Ble {
                let pipe = BleFaultPipe::new(end, fault).unwrap().with_drip(Drip {
                    interval: Duration::from_millis(150),
                    give_up: Duration::from_secs(3),
                });
                run(&mut BleFramedLink::new(pipe, MTU).unwrap());
            } else {
                let mut end = end;
                run(&mut end);
            }
        });
    })
    .with_framing(framing);
    run_selected(&mut target, config, default_provider(), |id| {
        fault.layer() != FaultLayer::Ble || TRANSPORT_CASES.contains(&id)
    })
}

/// The holder's NFC card, with the NFC profile in front of it.
enum Card {
    Plain(HolderCard<'static>),
    Faulty(NfcFaultCard<HolderCard<'static>>),
}

impl Transceive for Card {
    type Error = <HolderCard<'static> as Transceive>::Error;
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        match self {
            Card::Plain(c) => c.transceive(command),
            Card::Faulty(c) => c.transceive(command),
        }
    }
}

fn run_nfc(w: &'static SimWallet, config: &WalletSuiteConfig, fault: Fault) -> SuiteReport {
    let policy = w.policy().unwrap();
    let at = config.now;
    let mut target = NfcTarget::new(fault.name(), move |_: &dyn CryptoProvider| {
        let fail = |step| TargetError::Start { step };
        let c: &'static dyn CryptoProvider = default_provider();
        let key = c.generate_key(Curve::P256).map_err(|_| fail("key"))?;
        let public = c.public_key(&key).map_err(|_| fail("key"))?;
        let de = kakunin_core::mdoc::encode_device_engagement(&public, &[]);
        let carrier = NfcCarrier {
            version: 1,
            max_command_data: Some(65535),
            max_response_data: Some(65536),
        };
        let (card, hs) = if fault == Fault::NfcDoubleEngagement {
            double_engagement_card(c, &de, carrier).map_err(|_| fail("card"))?
        } else {
            let hs = build_static_select(&de, None, Some(&carrier)).map_err(|_| fail("HS"))?;
            (NfcCard::new(&hs).map_err(|_| fail("card"))?, hs)
        };
        let session = MdocSession::new(
            key,
            kakunin_core::cbor::wrap_tag24(&de),
            nfc_handover(&hs, None),
        );
        let hl = HolderLoop::new(&w.store, policy.clone(), session);
        let holder = HolderCard::new(card, hl, c, at);
        Ok(match fault {
            Fault::Nfc61xxLoop | Fault::NfcWrongStatusWords => {
                Card::Faulty(NfcFaultCard::new(holder, fault).unwrap())
            }
            _ => Card::Plain(holder),
        })
    });
    run_selected(&mut target, config, default_provider(), |id| {
        TRANSPORT_CASES.contains(&id)
    })
}

fn failed(report: &SuiteReport) -> Vec<String> {
    report
        .cases
        .iter()
        .filter(|r| r.grade == Grade::Fail)
        .map(|r| r.id.clone())
        .collect()
}

/// Per profile: a case that must fail, and a piece of what the report must say about it
/// (the observation or the failing check).
const CATCHES: [(Fault, &str, &str); 24] = [
    (
        Fault::WrongSessionTranscript,
        "wallet/mdl-age-over-20",
        "device signature",
    ),
    (
        Fault::ReplayedDeviceAuth,
        "wallet/mdl-age-over-20",
        "device signature",
    ),
    (Fault::StaleMso, "wallet/mdl-age-over-20", "expired"),
    (Fault::UntrustedDs, "wallet/mdl-age-over-20", "trusted root"),
    (
        Fault::ReencodedTag24,
        "wallet/mdl-age-over-20",
        "does not match the MSO",
    ),
    (Fault::DigestSwap, "wallet/mdl-age-and-portrait", ""),
    (
        Fault::ExtraElement,
        "wallet/no-extra-element",
        "did not ask for",
    ),
    (
        Fault::ElementUnderOtherNamespace,
        "wallet/mdl-age-over-20",
        "MSO does not list",
    ),
    (Fault::WrongDocType, "wallet/mdl-age-over-20", "docType"),
    (Fault::MissingDeviceAuth, "wallet/mdl-age-over-20", ""),
    (
        Fault::DeviceMacInsteadOfSignature,
        "wallet/mdl-age-over-20",
        "device MAC",
    ),
    (Fault::AttachedPayload, "wallet/mdl-age-over-20", "detached"),
    (Fault::DuplicateMapKeys, "wallet/mdl-age-over-20", ""),
    (
        Fault::Status10WrongMoment,
        "wallet/mdl-age-over-20",
        "SessionData status 10",
    ),
    (
        Fault::Status11WrongMoment,
        "wallet/mdl-age-over-20",
        "SessionData status 11",
    ),
    (
        Fault::Status20WrongMoment,
        "wallet/mdl-age-over-20",
        "SessionData status 20",
    ),
    (
        Fault::BleOversizeFirstWrite,
        "wallet/mdl-age-over-20",
        "BLE chunk framing",
    ),
    (
        Fault::BleWrongContinuationByte,
        "wallet/mdl-age-over-20",
        "does not decode",
    ),
    (
        Fault::BleNotificationDropped,
        "wallet/mdl-age-over-20",
        "does not decode",
    ),
    (
        Fault::BleDisconnectMidResponse,
        "wallet/mdl-age-over-20",
        "closed the link",
    ),
    (Fault::BleSlowDrip, "wallet/mdl-age-and-portrait", "Timeout"),
    (Fault::Nfc61xxLoop, "wallet/mdl-age-over-20", "framing"),
    (Fault::NfcWrongStatusWords, "wallet/mdl-age-over-20", "6A80"),
    (
        Fault::NfcDoubleEngagement,
        "wallet/mdl-age-over-20",
        "engagement",
    ),
];

#[test]
fn every_fault_profile_is_caught_and_the_valid_one_passes() {
    assert_eq!(CATCHES.len() + 1, Fault::ALL.len());
    for &fault in Fault::ALL.iter() {
        // A fresh wallet per profile: credentials are single-use.
        let (w, config) = world();
        let report = if fault.layer() == FaultLayer::Nfc {
            run_nfc(w, &config, fault)
        } else {
            run_memory(w, &config, fault)
        };
        let expected_cases = match fault.layer() {
            FaultLayer::Ble | FaultLayer::Nfc => TRANSPORT_CASES.len(),
            _ => 27,
        };
        assert_eq!(report.cases.len(), expected_cases, "{}", fault.name());
        let failed = failed(&report);
        if fault == Fault::NonShortestHeads {
            // Valid: every case passes. Where an answer carries no document (an unknown
            // docType) the profile has nothing to break and the wallet answers plainly.
            assert!(failed.is_empty(), "{failed:?}");
            continue;
        }
        assert!(!report.all_required_passed(), "{} not caught", fault.name());
        let (_, id, says) = CATCHES
            .iter()
            .find(|(f, _, _)| *f == fault)
            .copied()
            .unwrap();
        let case = report.cases.iter().find(|r| r.id == id).unwrap();
        let text = format!("{:?} {:?}", case.observed, case.failing_check);
        assert_eq!(case.grade, Grade::Fail, "{}: {id} passed", fault.name());
        assert!(text.contains(says), "{}: {id}: {text}", fault.name());
    }
}
