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
    )
    .unwrap();
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
        card: NfcCard::new(&hs).unwrap(),
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
    let mut card = NfcCard::new(&[0xd1, 0x01, 0x00, 0x54]).unwrap();
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
                card: NfcCard::negotiated(&de, nfc.clone()).unwrap(),
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
        let hr = build_handover_request(0x0102, &nfc).unwrap();
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
        reader.negotiate_handover(&build_handover_request(1, &nfc).unwrap()),
        Err(NfcError::NoHandoverService)
    ));
    // A Handover Request written without selecting the service first is refused.
    let mut card = NfcCard::negotiated(&bytes("device_engagement_nfc"), nfc.clone()).unwrap();
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
    let hr = build_handover_request(1, &nfc).unwrap();
    let mut file = u16::try_from(hr.len()).unwrap().to_be_bytes().to_vec();
    file.extend_from_slice(&hr);
    card.process(&apdu(0, 0xd6, 0, 0, &file, None));
    assert!(card.negotiated_handover().is_none());
    match card.process(&apdu(0, 0xb0, 0, 0, &[], Some(64))) {
        CardStep::Reply(r) => assert!(r.windows(3).any(|w| w == b"Te\x01"), "{r:02x?}"),
        CardStep::Message(_) => panic!(),
    }
    assert_eq!(tnep::status(1).unwrap(), b"\xd1\x02\x01Te\x01");
}

fn sw_of(r: &CardStep) -> u16 {
    match r {
        CardStep::Reply(b) => u16::from_be_bytes([b[b.len() - 2], b[b.len() - 1]]),
        CardStep::Message(_) => panic!("a message, not a reply"),
    }
}

fn select_ndef_file(card: &mut NfcCard) {
    let mut sel = vec![0x00, 0xa4, 0x04, 0x00, 0x07];
    sel.extend_from_slice(&NDEF_AID);
    assert_eq!(sw_of(&card.process(&sel)), 0x9000);
    assert_eq!(
        sw_of(&card.process(&[0x00, 0xa4, 0x00, 0x0c, 2, 0xe1, 0x04])),
        0x9000
    );
}

/// An NDEF message of exactly `len` bytes (one MIME record).
fn ndef_of_len(len: usize) -> Vec<u8> {
    // Long record header: 1 + 1 + 4 + type 1 = 7 bytes.
    let m = crate::ndef::encode_message(&[crate::ndef::Record::new(
        crate::ndef::TNF_MIME,
        b"x",
        &[],
        &vec![0x5a; len - 7],
    )])
    .unwrap();
    assert_eq!(m.len(), len);
    m
}

#[test]
fn read_binary_offsets_stop_at_7fff() {
    assert_eq!(binary_offset(0x7fff), Some([0x7f, 0xff]));
    assert_eq!(binary_offset(0x8000), None);
    assert_eq!(binary_offset(0x1_0000), None);
    // The largest NDEF file: NLEN + 0x7FFD bytes, last byte at offset 0x7FFE.
    let max = MAX_NDEF_FILE - 2;
    let m = ndef_of_len(max);
    let mut card = NfcCard::new(&m).unwrap();
    select_ndef_file(&mut card);
    // Offset 0x7FFE: the last byte; 0x7FFF: the end of the file, nothing left.
    match card.process(&[0x00, 0xb0, 0x7f, 0xfe, 0x10]) {
        CardStep::Reply(r) => assert_eq!(r, [0x5a, 0x90, 0x00]),
        CardStep::Message(_) => panic!(),
    }
    assert_eq!(
        card.process(&[0x00, 0xb0, 0x7f, 0xff, 0x10]),
        CardStep::Reply(vec![0x90, 0x00])
    );
    // P1 bit 8 set is a short EF identifier, not offset 0x8000 + x.
    assert_eq!(
        sw_of(&card.process(&[0x00, 0xb0, 0x80, 0x00, 0x10])),
        0x6a81
    );
    assert_eq!(
        sw_of(&card.process(&[0x00, 0xd6, 0x81, 0x02, 1, 0])),
        0x6985
    );
    // Both sides refuse a message one byte longer.
    assert_eq!(
        NfcCard::new(&ndef_of_len(max + 1)).unwrap_err(),
        CardError::NdefTooLarge { len: max + 1, max }
    );
    // The reader reads the largest file whole, in both APDU forms.
    for config in [ReaderConfig::EXTENDED, ReaderConfig::SHORT] {
        let card = NfcCard::new(&m).unwrap();
        let mut reader = NfcReader::new(Card(card), config);
        assert_eq!(reader.read_handover_select().unwrap(), m);
    }
}

/// A bare card for the reader, without a session behind it.
struct Card(NfcCard);

impl Transceive for Card {
    type Error = std::convert::Infallible;
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        Ok(match self.0.process(command) {
            CardStep::Reply(r) => r,
            CardStep::Message(_) => vec![0x90, 0x00],
        })
    }
}

/// A card that answers each command from a script, recording the commands.
struct Scripted {
    answers: Vec<Vec<u8>>,
    commands: Vec<Vec<u8>>,
}

impl Transceive for Scripted {
    type Error = &'static str;
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        self.commands.push(command.to_vec());
        if self.answers.is_empty() {
            return Err("script ended");
        }
        Ok(self.answers.remove(0))
    }
}

#[test]
fn reader_refuses_ndef_files_it_cannot_address() {
    let ok = vec![0x90, 0x00];
    // SELECT app, SELECT CC, READ CC, SELECT NDEF, then NLEN 0x7FFE: over the cap.
    let mut reader = NfcReader::new(
        Scripted {
            answers: vec![
                ok.clone(),
                ok.clone(),
                ok.clone(),
                ok.clone(),
                vec![0x7f, 0xfe, 0x90, 0x00],
            ],
            commands: vec![],
        },
        ReaderConfig::EXTENDED,
    );
    assert!(matches!(
        reader.read_handover_select(),
        Err(NfcError::NdefTooLarge {
            len: 0x7ffe,
            max: 0x7ffd
        })
    ));
    // No READ BINARY beyond the NLEN read was sent.
    assert_eq!(reader.into_inner().commands.len(), 5);
    // Writing a message over the cap is refused before any UPDATE BINARY.
    let card = NfcCard::negotiated(
        &bytes("device_engagement_nfc"),
        NfcCarrier {
            version: 1,
            max_command_data: None,
            max_response_data: None,
        },
    )
    .unwrap();
    let mut reader = NfcReader::new(Card(card), ReaderConfig::EXTENDED);
    assert!(matches!(
        reader.negotiate_handover(&ndef_of_len(MAX_NDEF_FILE - 1)),
        Err(NfcError::NdefTooLarge { .. })
    ));
}

#[test]
fn reader_stops_a_card_that_stalls_get_response() {
    let ok = vec![0x90, 0x00];
    // SELECT mdoc, then ENVELOPE answered 6110 with no data, GET RESPONSE the same.
    let mut reader = NfcReader::new(
        Scripted {
            answers: vec![ok, vec![0x61, 0x10], vec![0x61, 0x10], vec![0x61, 0x10]],
            commands: vec![],
        },
        ReaderConfig::SHORT,
    );
    reader.select_mdoc().unwrap();
    assert!(matches!(
        reader.exchange(b"hello"),
        Err(NfcError::NoProgress {
            step: Step::GetResponse
        })
    ));
}

#[test]
fn exchange_until_checks_the_clock_before_every_apdu() {
    use std::cell::Cell;
    use std::time::{Duration, Instant};
    let base = Instant::now();
    let apdus = Cell::new(0u64);
    // Every answer is one byte and 61 01: only the deadline ends it.
    let drip: Vec<Vec<u8>> = std::iter::once(vec![0x90, 0x00])
        .chain(std::iter::repeat_n(vec![0x53, 0x61, 0x01], 200))
        .collect();
    let mut reader = NfcReader::new(
        Scripted {
            answers: drip,
            commands: vec![],
        },
        ReaderConfig::SHORT,
    );
    reader.select_mdoc().unwrap();
    let clock = || {
        apdus.set(apdus.get() + 1);
        base + Duration::from_millis(apdus.get())
    };
    let r = reader.exchange_until(b"hello", base + Duration::from_millis(50), &clock);
    assert!(matches!(
        r,
        Err(NfcError::DeadlineExceeded {
            step: Step::GetResponse
        })
    ));
    // One clock reading per APDU: the ENVELOPE and 48 GET RESPONSEs went out before it.
    assert_eq!(reader.stats().commands, 1 + 49);
    // Past the deadline already: not even the ENVELOPE is sent.
    let sent = reader.stats().commands;
    assert!(matches!(
        reader.exchange_until(b"x", base, &|| base),
        Err(NfcError::DeadlineExceeded {
            step: Step::Envelope
        })
    ));
    assert_eq!(reader.stats().commands, sent);
}

#[test]
fn reader_refuses_an_oversize_response_apdu() {
    let mut reader = NfcReader::new(
        Scripted {
            answers: vec![vec![0x90, 0x00], vec![0u8; MAX_RESPONSE_APDU + 1]],
            commands: vec![],
        },
        ReaderConfig::EXTENDED,
    );
    reader.select_mdoc().unwrap();
    assert!(matches!(
        reader.exchange(b"hello"),
        Err(NfcError::ResponseTooLong {
            step: Step::Envelope,
            ..
        })
    ));
}

#[test]
fn the_nfc_link_times_out_and_says_its_waits_do_not_resume() {
    use crate::link::{LinkError, MessageLink};
    use crate::nfc_link::NfcMessageLink;
    use std::time::Instant;
    let base = Instant::now();
    let reader = NfcReader::new(
        Scripted {
            answers: vec![vec![0x90, 0x00], vec![0x53, 0x61, 0x01]],
            commands: vec![],
        },
        ReaderConfig::SHORT,
    );
    let mut link =
        NfcMessageLink::open_with_clock(reader, std::sync::Arc::new(move || base)).unwrap();
    assert!(!link.resumable_wait());
    link.send(b"hello").unwrap();
    assert_eq!(link.receive(base), Err(LinkError::Timeout));
    assert_eq!(link.stats().commands, 1, "only the SELECT went out");
}
