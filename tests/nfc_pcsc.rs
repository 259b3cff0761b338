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
#![cfg(feature = "pcsc")]

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
    // One test, run in sequence: the vpcd slot serves one virtual card at a time.
    run(ReaderConfig::EXTENDED);
    run(ReaderConfig::SHORT);
}
