//! NFC engagement and data transfer against the in-memory card.

use crate::handover::{build_static_select, nfc_handover, Handover, NfcCarrier};
use crate::nfc::*;
use crate::session::{Event, MdocSession, ReaderSession};
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_spec_vectors::annex_d::{bytes, e_reader_key};

fn card_with(response: Vec<u8>) -> MemoryCard<'static> {
    let c = default_provider();
    let hs = build_static_select(
        &bytes("device_engagement_nfc"),
        None,
        Some(&NfcCarrier {
            version: 1,
            max_command_data: Some(65535),
            max_response_data: Some(65536),
        }),
    );
    let de_bytes = Handover::parse(&hs)
        .unwrap()
        .device_engagement_bytes()
        .unwrap();
    let key = kakunin_core::crypto::hazmat::private_key_from_scalar(
        Curve::P256,
        &bytes("e_device_key_priv_d"),
    )
    .unwrap();
    MemoryCard {
        card: NfcCard::new(&hs),
        session: MdocSession::new(key, de_bytes, nfc_handover(&hs, None)),
        crypto: c,
        responder: Box::new(move |_, _| response.clone()),
        last_error: None,
    }
}

fn transact(config: ReaderConfig, response: Vec<u8>) -> Vec<u8> {
    let c = default_provider();
    let mut reader = NfcReader::new(card_with(response), config);
    let hs = reader.read_handover_select().unwrap();
    let parsed = Handover::parse(&hs).unwrap();
    let mut session = ReaderSession::new(
        c,
        &parsed.device_engagement_bytes().unwrap(),
        &nfc_handover(&hs, None),
        &e_reader_key(),
    )
    .unwrap();
    reader.select_mdoc().unwrap();
    let answer = reader
        .exchange(&session.request(c, &bytes("device_request")).unwrap())
        .unwrap();
    let Event::Response { response, .. } = session.handle(c, &answer).unwrap() else {
        panic!()
    };
    reader.send_final(&session.terminate()).unwrap();
    assert!(reader.into_inner().session.is_closed());
    response
}

#[test]
fn engagement_and_transfer_extended_and_short() {
    for config in [ReaderConfig::EXTENDED, ReaderConfig::SHORT] {
        let response = transact(config, bytes("device_response"));
        assert_eq!(response, bytes("device_response"));
    }
}

#[test]
fn apdu_counts_for_16_kib() {
    let c = default_provider();
    let big = vec![0x5a; 16 * 1024];
    let mut counts = Vec::new();
    for config in [ReaderConfig::EXTENDED, ReaderConfig::SHORT] {
        let mut reader = NfcReader::new(card_with(big.clone()), config);
        let hs = reader.read_handover_select().unwrap();
        let de = Handover::parse(&hs)
            .unwrap()
            .device_engagement_bytes()
            .unwrap();
        let mut s = ReaderSession::new(c, &de, &nfc_handover(&hs, None), &e_reader_key()).unwrap();
        reader.select_mdoc().unwrap();
        let before = reader.stats().commands;
        let answer = reader
            .exchange(&s.request(c, &bytes("device_request")).unwrap())
            .unwrap();
        let Event::Response { response, .. } = s.handle(c, &answer).unwrap() else {
            panic!()
        };
        assert_eq!(response, big);
        counts.push(reader.stats().commands - before);
    }
    // Extended: one ENVELOPE, the answer in one response. Short: 3 chained ENVELOPEs for the
    // ~750-byte request, then 256-byte response parts.
    assert_eq!(counts[0], 1);
    let request_len = 4 + bytes("session_establishment").len();
    let answer_len: usize = 16 * 1024 + 16 + 20;
    assert!(
        counts[1] >= request_len.div_ceil(255) + answer_len.div_ceil(256) - 1,
        "{counts:?}"
    );
}

#[test]
fn card_rejects_nonsense() {
    let mut card = NfcCard::new(&[0xd1, 0x01, 0x00, 0x54]);
    let sw = |r: CardStep| match r {
        CardStep::Reply(b) => u16::from_be_bytes([b[b.len() - 2], b[b.len() - 1]]),
        CardStep::Message(_) => 0,
    };
    assert_eq!(sw(card.process(&[0x00])), 0x6700);
    assert_eq!(
        sw(card.process(&[0x00, 0xb0, 0, 0, 1])),
        0x6d00,
        "READ BINARY before SELECT"
    );
    assert_eq!(sw(card.process(&[0x80, 0xa4, 4, 0, 1, 1])), 0x6e00);
    assert_eq!(sw(card.process(&[0x00, 0xa4, 4, 0, 3, 1, 2, 3])), 0x6a82);
    // ENVELOPE with a broken data object.
    let mut sel = vec![0x00, 0xa4, 0x04, 0x00, 0x07];
    sel.extend_from_slice(&MDOC_AID);
    assert_eq!(sw(card.process(&sel)), 0x9000);
    assert_eq!(
        sw(card.process(&[0x00, 0xc3, 0, 0, 2, 0x54, 0x00, 0x00])),
        0x6f00
    );
}

#[test]
fn negotiated_handover_then_transfer() {
    use crate::handover::{build_handover_request, HandoverKind};
    let c = default_provider();
    let nfc = NfcCarrier {
        version: 1,
        max_command_data: Some(255),
        max_response_data: Some(256),
    };
    let de = bytes("device_engagement_nfc");
    for config in [ReaderConfig::SHORT, ReaderConfig::EXTENDED] {
        let mut reader = NfcReader::new(
            MemoryCard {
                card: NfcCard::negotiated(&de, nfc.clone()),
                session: MdocSession::new(
                    kakunin_core::crypto::hazmat::private_key_from_scalar(
                        Curve::P256,
                        &bytes("e_device_key_priv_d"),
                    )
                    .unwrap(),
                    kakunin_core::cbor::wrap_tag24(&de),
                    vec![0xf6],
                ),
                crypto: c,
                responder: Box::new(|_, _| bytes("device_response")),
                last_error: None,
            },
            config,
        );
        let hr = build_handover_request(0x0102, &nfc);
        let hs = reader.negotiate_handover(&hr).unwrap();
        let parsed = Handover::parse(&hs).unwrap();
        assert_eq!(parsed.kind, HandoverKind::Select);
        assert_eq!(Handover::parse(&hr).unwrap().kind, HandoverKind::Request);
        let mut s = ReaderSession::new(
            c,
            &parsed.device_engagement_bytes().unwrap(),
            &nfc_handover(&hs, Some(&hr)),
            &e_reader_key(),
        )
        .unwrap();
        reader.select_mdoc().unwrap();
        let answer = reader
            .exchange(&s.request(c, &bytes("device_request")).unwrap())
            .unwrap();
        let Event::Response { response, .. } = s.handle(c, &answer).unwrap() else {
            panic!()
        };
        assert_eq!(response, bytes("device_response"));
        // Both sides used the same transcript, with Handover = [HS, HR].
        let inner = reader.into_inner();
        assert_eq!(inner.session.transcript().unwrap(), s.transcript());
    }
}

#[test]
fn negotiation_refuses_wrong_service_and_static_cards() {
    use crate::handover::{build_handover_request, tnep};
    let nfc = NfcCarrier {
        version: 1,
        max_command_data: None,
        max_response_data: None,
    };
    // A static-handover card offers no TNEP service.
    let mut reader = NfcReader::new(card_with(bytes("device_response")), ReaderConfig::SHORT);
    assert!(matches!(
        reader.negotiate_handover(&build_handover_request(1, &nfc)),
        Err(NfcError::Negotiation(_))
    ));
    // A Handover Request written without selecting the service first is refused.
    let mut card = NfcCard::negotiated(&bytes("device_engagement_nfc"), nfc.clone());
    let apdu = |cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8], le: Option<usize>| {
        crate::apdu::Command::new(cla, ins, p1, p2, data, le)
            .encode(false)
            .unwrap()
    };
    for a in [
        apdu(0, 0xa4, 4, 0, &NDEF_AID, None),
        apdu(0, 0xa4, 0, 0x0c, &[0xe1, 0x04], None),
    ] {
        card.process(&a);
    }
    let hr = build_handover_request(1, &nfc);
    let mut file = (hr.len() as u16).to_be_bytes().to_vec();
    file.extend_from_slice(&hr);
    card.process(&apdu(0, 0xd6, 0, 0, &file, None));
    assert!(card.negotiated_handover().is_none());
    match card.process(&apdu(0, 0xb0, 0, 0, &[], Some(64))) {
        CardStep::Reply(r) => assert!(r.windows(3).any(|w| w == b"Te\x01"), "{r:02x?}"),
        CardStep::Message(_) => panic!(),
    }
    let _ = tnep::status(0);
}
