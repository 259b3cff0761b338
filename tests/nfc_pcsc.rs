//! NFC over a real PC/SC stack: the holder simulator is a virtual contactless card attached
//! to pcscd through vsmartcard's vpcd; the reader engages over NFC (static handover read from
//! the card's NDEF file), receives the DeviceResponse over NFC (ENVELOPE / GET RESPONSE) via
//! the pcsc crate, and the verifier accepts it. Needs pcscd running with vpcd
//! (scripts/install-peers.sh installs and starts them) and the `pcsc` feature.
#![cfg(feature = "pcsc")]

use kakunin_core::cbor::wrap_tag24;
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::{
    encode_device_engagement, encode_device_request, encode_items_request, sign_reader_auth,
    RequestedElement, ValidityInfo,
};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::{respond, HolderPolicy, Wallet};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_transport::adapters::pcsc::PcscCard;
use kakunin_transport::adapters::vpcd::VirtualCard;
use kakunin_transport::handover::{build_static_select, nfc_handover, Handover, NfcCarrier};
use kakunin_transport::nfc::{MemoryCard, NfcCard, NfcReader, ReaderConfig};
use kakunin_transport::session::{Event, MdocSession, ReaderSession};
use kakunin_verifier::Verifier;
use std::time::Duration;

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

    // The holder's card: static handover with an NFC carrier, and the mdoc session behind it.
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
        let mut card = MemoryCard {
            card: NfcCard::new(&hs).unwrap(),
            session: MdocSession::new(e_device_key, wrap_tag24(&de), nfc_handover(&hs, None)),
            crypto: default_provider(),
            responder: Box::new(move |req, transcript| {
                respond(
                    default_provider(),
                    &wallet,
                    req,
                    transcript.tagged_bytes(),
                    &policy,
                    None,
                    time::OffsetDateTime::now_utc(),
                )
                .expect("holder responds")
                .response
            }),
            last_error: None,
        };
        let apdus = VirtualCard::serve_with_reinsertion(
            "127.0.0.1:35963",
            &mut card,
            Duration::from_secs(3),
            5,
            |c| c.session.is_closed(),
        )
        .expect("virtual card served");
        (apdus, card.last_error)
    });

    // The reader: engage over NFC, then request age_over_20 over NFC.
    let pcsc = PcscCard::connect(READER, Duration::from_secs(30))
        .expect("card present in the vpcd reader");
    let mut reader = NfcReader::new(pcsc, config);
    let hs_read = reader
        .read_handover_select()
        .expect("read the Handover Select");
    let parsed = Handover::parse(&hs_read).unwrap();
    let reader_key = c.generate_key(Curve::P256).unwrap();
    let mut session = ReaderSession::new(
        c,
        &parsed.device_engagement_bytes().unwrap(),
        &nfc_handover(&hs_read, None),
        &reader_key,
    )
    .unwrap();
    let wanted = vec![RequestedElement {
        namespace: kakunin_core::mdoc::MDL_NAMESPACE.into(),
        element: "age_over_20".into(),
        intent_to_retain: false,
    }];
    let items = encode_items_request(DocProfile::Mdl.doc_type(), &wanted);
    let ra = sign_reader_auth(
        c,
        &pki.reader.key,
        std::slice::from_ref(&pki.reader.cert_der),
        session.transcript(),
        &items,
    )
    .unwrap();
    let request = encode_device_request(&[(items, Some(ra.raw().to_vec()))]);
    reader.select_mdoc().unwrap();
    let answer = reader
        .exchange(&session.request(c, &request).unwrap())
        .expect("NFC exchange");
    let Event::Response { response, .. } = session.handle(c, &answer).expect("decrypts") else {
        panic!("no response")
    };
    reader.send_final(&session.terminate()).unwrap();
    let stats = reader.stats();
    let (apdus, card_error) = holder.join().unwrap();
    assert!(card_error.is_none(), "{card_error:?}");
    assert_eq!(
        apdus, stats.commands,
        "every APDU went through pcscd to the virtual card"
    );

    let anchors = TrustAnchors::from_der_certs([pki.iaca.cert_der.clone()]).unwrap();
    let report = Verifier::new(&anchors)
        .with_reader_key(&reader_key)
        .verify_device_response(
            &response,
            session.transcript().tagged_bytes(),
            time::OffsetDateTime::now_utc(),
        );
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
