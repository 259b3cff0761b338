#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! A customer's phone cannot break the till: hostile in-memory cards (NFC) and wallets (BLE
//! framing over an in-memory pipe) against the reader flow. Each case ends in NG `timeout` or
//! `malformed` within its deadline, and after each one a normal adult customer, with the same
//! ReaderConfig, gets OK. NFC cases run on a simulated clock that advances one millisecond per
//! APDU, so a card dripping its answer reaches a ten-second deadline in milliseconds.

use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::{
    encode_device_response, DocumentParts, ItemsRequest, RequestedElement, ValidityInfo,
    MDL_DOCTYPE, MDL_NAMESPACE,
};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::{
    disclose, run_holder, Consent, CredentialStore, DeviceAuthMode, HolderDeadlines, HolderLoop,
    HolderPolicy, MemoryStore,
};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_transport::ble_link::{BleFramedLink, ValuePipe};
use kakunin_transport::link::{memory_pair, LinkError, MemoryEnd, MessageLink};
use kakunin_transport::nfc::{NfcReader, ReaderConfig as ApduConfig, Transceive};
use kakunin_transport::nfc_link::NfcMessageLink;
use kakunin_transport::session::{Event, MdocSession};
use kakunin_verifier::flow::{
    keep_requested, run_reader, Engagement, FlowFailure, FlowOutcome, ReaderAuthSigner,
    ReaderConfig, ReaderFlow,
};
use kakunin_verifier::{NgReason, Verdict};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::macros::datetime;
use time::OffsetDateTime;

const MTU: u16 = 185;

fn now() -> OffsetDateTime {
    datetime!(2026-12-01 09:00 UTC)
}

struct Till {
    pki: TestPki,
    store: MemoryStore,
    config: ReaderConfig,
}

fn copy_key(k: &kakunin_core::crypto::EcPrivateKey) -> kakunin_core::crypto::EcPrivateKey {
    use kakunin_core::crypto::hazmat;
    hazmat::private_key_from_scalar(k.curve(), hazmat::scalar_bytes(k)).unwrap()
}

/// A till with its PKI and a wallet of `n` adult mDLs (one is spent per honest customer).
fn till(n: usize) -> Till {
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
    let validity = ValidityInfo {
        signed,
        valid_from: signed,
        valid_until: now() + time::Duration::days(30),
        expected_update: None,
    };
    for i in 0..n {
        let key = c.generate_key(Curve::P256).unwrap();
        let cred = issuer
            .issue(
                MDL_DOCTYPE,
                &elements,
                &c.public_key(&key).unwrap(),
                validity,
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
    let config =
        ReaderConfig::new(TrustAnchors::from_der_certs([pki.iaca.cert_der.clone()]).unwrap())
            .with_reader_auth(ReaderAuthSigner::new(
                vec![pki.reader.cert_der.clone()],
                copy_key(&pki.reader.key),
            ));
    Till { pki, store, config }
}

fn holder_policy(pki: &TestPki) -> HolderPolicy {
    HolderPolicy {
        reader_trust: Some(
            TrustAnchors::from_der_certs([pki.reader_root.cert_der.clone()]).unwrap(),
        ),
        require_reader_auth: true,
        ..HolderPolicy::default()
    }
}

fn ng(out: &FlowOutcome) -> Option<NgReason> {
    out.decision.verdict.reason()
}

/// The next customer, honest and adult, with the same ReaderConfig: OK.
fn next_customer_is_ok(t: &Till) {
    let c = default_provider();
    let (de, _uuid, session) = qr_ble_engagement(c).unwrap();
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let (reader_end, holder_end) = memory_pair();
    let mut reader_link = BleFramedLink::new(reader_end, MTU).unwrap();
    let mut holder_link = BleFramedLink::new(holder_end, MTU).unwrap();
    let policy = holder_policy(&t.pki);
    let out = std::thread::scope(|s| {
        let store = &t.store;
        let holder = s.spawn(move || {
            let mut hl = HolderLoop::new(store, policy, session);
            run_holder(
                &mut hl,
                &mut holder_link,
                c,
                &Instant::now,
                HolderDeadlines::default(),
                now(),
                &mut |_| {},
            )
        });
        let mut flow = ReaderFlow::new(c, &t.config, &Engagement::Qr { uri }).unwrap();
        let out = run_reader(&mut flow, &mut reader_link, c, &Instant::now, now());
        holder.join().unwrap();
        out
    });
    assert_eq!(
        out.decision.verdict,
        Verdict::Ok,
        "the next customer: {:?}",
        out.failure
    );
}

/// The reader flow against a scripted wallet over BLE framing on an in-memory pipe. The
/// wallet gets its framed link (raw values through `pipe_mut`) and the mdoc session of the
/// engagement the till scanned. Returns the outcome and how long the till took.
fn against_wallet(
    config: &ReaderConfig,
    wallet: impl FnOnce(BleFramedLink<MemoryEnd>, MdocSession) + Send,
) -> (FlowOutcome, Duration) {
    let c = default_provider();
    let (de, _, session) = qr_ble_engagement(c).unwrap();
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let (reader_end, phone_end) = memory_pair();
    let mut link = BleFramedLink::new(reader_end, MTU).unwrap();
    let phone = BleFramedLink::new(phone_end, MTU).unwrap();
    std::thread::scope(|s| {
        let p = s.spawn(move || wallet(phone, session));
        let mut flow = ReaderFlow::new(c, config, &Engagement::Qr { uri }).unwrap();
        let started = Instant::now();
        let out = run_reader(&mut flow, &mut link, c, &Instant::now, now());
        let took = started.elapsed();
        drop(link);
        p.join().unwrap();
        (out, took)
    })
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

/// The wallet reads the establishment and answers `plaintext` inside the real session.
fn answer_encrypted(
    plaintext: Vec<u8>,
) -> impl FnOnce(BleFramedLink<MemoryEnd>, MdocSession) + Send {
    move |mut phone, mut session| {
        let c = default_provider();
        let est = phone.receive(soon()).unwrap();
        let Ok(Event::Request(_)) = session.handle(c, &est) else {
            panic!("the till's first message is a request");
        };
        let msg = session.respond(c, &plaintext, false).unwrap();
        phone.send(&msg).unwrap();
        let _ = phone.receive(soon());
    }
}

#[test]
fn a_wallet_that_stalls_times_out_at_the_deadline() {
    let mut t = till(1);
    t.config.deadlines.per_message = Duration::from_millis(600);
    let (out, took) = against_wallet(&t.config, |mut phone, _| {
        let _establishment = phone.receive(soon()).unwrap();
        // Say nothing; wait for the till's goodbye (status 20).
        let bye = phone.receive(soon()).unwrap();
        assert_eq!(bye.last(), Some(&0x14));
    });
    assert_eq!(ng(&out), Some(NgReason::Timeout));
    assert!(matches!(out.failure, Some(FlowFailure::Timeout)));
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_secs(3),
        "{took:?}"
    );
    next_customer_is_ok(&t);
}

#[test]
fn a_wallet_that_disconnects_mid_message_is_ng() {
    let t = till(1);
    let (out, took) = against_wallet(&t.config, |mut phone, _| {
        let _ = phone.receive(soon()).unwrap();
        // The first value of a longer message, then the link goes away.
        phone.pipe_mut().send_value(&[0x01, 0xa1, 0x64]).unwrap();
        drop(phone);
    });
    assert_eq!(ng(&out), Some(NgReason::Timeout));
    assert!(
        matches!(out.failure, Some(FlowFailure::Link(LinkError::Closed))),
        "{:?}",
        out.failure
    );
    assert!(took < Duration::from_secs(2));
    next_customer_is_ok(&t);
}

#[test]
fn a_wallet_that_drips_slowly_is_ended_by_the_session_deadline() {
    let mut t = till(1);
    // A generous per-message wait: the session deadline is what ends the drip.
    t.config.deadlines.per_message = Duration::from_secs(10);
    t.config.deadlines.session = Duration::from_millis(700);
    let (out, took) = against_wallet(&t.config, |mut phone, _| {
        let _ = phone.receive(soon()).unwrap();
        // One "more follows" value every 20 ms until the till says goodbye.
        for _ in 0..500 {
            if phone.pipe_mut().send_value(&[0x01, 0x00]).is_err() {
                return;
            }
            if let Ok(v) = phone
                .pipe_mut()
                .receive_value(Instant::now() + Duration::from_millis(20))
            {
                assert_eq!(v.first(), Some(&0x00), "the till's last value");
                return;
            }
        }
        panic!("the till never gave up");
    });
    assert_eq!(ng(&out), Some(NgReason::Timeout));
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(3),
        "{took:?}"
    );
    t.config.deadlines = Default::default();
    next_customer_is_ok(&t);
}

#[test]
fn garbage_values_and_a_wrong_continuation_byte_are_malformed() {
    let t = till(3);
    // A value whose first byte is neither 0x00 nor 0x01.
    let (out, _) = against_wallet(&t.config, |mut phone, _| {
        let _ = phone.receive(soon()).unwrap();
        phone.pipe_mut().send_value(&[0x01, 0xa1]).unwrap();
        phone.pipe_mut().send_value(&[0x07, 0x64]).unwrap();
    });
    assert_eq!(ng(&out), Some(NgReason::Malformed));
    assert!(matches!(
        out.failure,
        Some(FlowFailure::Link(LinkError::Framing { .. }))
    ));
    next_customer_is_ok(&t);
    // An empty value (no flag byte) and a value longer than the MTU allows.
    for bad in [vec![], vec![0x00; usize::from(MTU)]] {
        let (out, _) = against_wallet(&t.config, move |mut phone, _| {
            let _ = phone.receive(soon()).unwrap();
            phone.pipe_mut().send_value(&bad).unwrap();
        });
        assert_eq!(ng(&out), Some(NgReason::Malformed));
    }
    // Well-framed garbage: not a SessionData.
    let (out, _) = against_wallet(&t.config, |mut phone, _| {
        let _ = phone.receive(soon()).unwrap();
        phone.send(&[0xde, 0xad, 0xbe, 0xef]).unwrap();
        let _ = phone.receive(soon());
    });
    assert_eq!(ng(&out), Some(NgReason::Malformed));
    next_customer_is_ok(&t);
}

/// `head` followed by a few bytes: a CBOR head that claims far more than follows.
fn claims(head: &[u8]) -> Vec<u8> {
    let mut v = head.to_vec();
    v.extend_from_slice(&[0u8; 16]);
    v
}

#[test]
fn huge_declared_lengths_are_malformed_without_allocating_them() {
    let t = till(5);
    // SessionData {"data": bstr claiming 2^63 bytes}, unencrypted.
    let mut session_data = vec![0xa1, 0x64, b'd', b'a', b't', b'a'];
    session_data.extend(claims(&[0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0]));
    let (out, _) = against_wallet(&t.config, move |mut phone, _| {
        let _ = phone.receive(soon()).unwrap();
        phone.send(&session_data).unwrap();
        let _ = phone.receive(soon());
    });
    assert_eq!(ng(&out), Some(NgReason::Malformed));
    next_customer_is_ok(&t);
    // Inside the session (decrypts fine): a DeviceResponse that is a bstr of 2^63 bytes, an
    // array of 2^32 items, a map of 2^32 entries, and a valid-looking DeviceResponse whose
    // documents array claims 2^32 documents.
    let mut documents_claim = vec![0xa3];
    documents_claim.extend([
        0x67, b'v', b'e', b'r', b's', b'i', b'o', b'n', 0x63, b'1', b'.', b'0',
    ]);
    documents_claim.extend([0x66, b's', b't', b'a', b't', b'u', b's', 0x00]);
    documents_claim.extend([0x69, b'd', b'o', b'c', b'u', b'm', b'e', b'n', b't', b's']);
    documents_claim.extend(claims(&[0x9b, 0, 0, 0, 1, 0, 0, 0, 0]));
    for plaintext in [
        claims(&[0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        claims(&[0x9b, 0, 0, 0, 1, 0, 0, 0, 0]),
        claims(&[0xbb, 0, 0, 0, 1, 0, 0, 0, 0]),
        documents_claim,
    ] {
        let (out, _) = against_wallet(&t.config, answer_encrypted(plaintext));
        assert_eq!(ng(&out), Some(NgReason::Malformed));
        let report = out
            .mdoc
            .as_ref()
            .expect("a report of the undecodable response");
        assert!(!report.errors.is_empty() && report.documents.is_empty());
    }
    next_customer_is_ok(&t);
}

#[test]
fn more_documents_than_the_cap_is_malformed() {
    let t = till(2);
    let issuer_signed = t.store.load("mdl-0").unwrap().issuer_signed;
    let sig = [0x84, 0x43, 0xa1, 0x01, 0x26, 0xa0, 0xf6, 0x40];
    let dns = kakunin_core::cbor::wrap_tag24(&[0xa0]);
    let docs: Vec<DocumentParts<'_>> = (0..=kakunin_core::mdoc::MAX_DOCUMENTS)
        .map(|_| DocumentParts {
            doc_type: MDL_DOCTYPE,
            issuer_signed: issuer_signed.clone(),
            device_name_spaces_bytes: &dns,
            device_auth: ("deviceSignature", &sig),
            errors: Vec::new(),
        })
        .collect();
    let (out, _) = against_wallet(
        &t.config,
        answer_encrypted(encode_device_response(&docs, &[], 0)),
    );
    assert_eq!(ng(&out), Some(NgReason::Malformed));
    next_customer_is_ok(&t);
}

/// A wallet that answers with more than it was asked: the requested elements plus
/// `family_name`, all issuer-signed with correct digests and device-signed for this session.
#[test]
fn extra_unrequested_elements_are_never_shown_and_do_not_decide() {
    let t = till(2);
    let cred = t.store.load("mdl-0").unwrap();
    let issuer_signed = cred.issuer_signed.clone();
    let device_key = cred.device_key;
    let (out, _) = against_wallet(&t.config, move |mut phone, mut session| {
        let c = default_provider();
        let est = phone.receive(soon()).unwrap();
        let Ok(Event::Request(_)) = session.handle(c, &est) else {
            panic!("a request");
        };
        let el = |e: &str| RequestedElement {
            namespace: MDL_NAMESPACE.into(),
            element: e.into(),
            intent_to_retain: false,
        };
        let over_asked = ItemsRequest {
            raw: Vec::new(),
            doc_type: MDL_DOCTYPE.into(),
            elements: vec![el("age_over_20"), el("portrait"), el("family_name")],
            request_info: None,
        };
        let d = disclose(
            c,
            &issuer_signed,
            &device_key,
            &over_asked,
            session.transcript().unwrap(),
            &Consent::ApproveAll,
            DeviceAuthMode::Signature,
        )
        .unwrap();
        assert_eq!(d.disclosed.len(), 3, "the wallet really sends family_name");
        let response = encode_device_response(
            &[DocumentParts {
                doc_type: MDL_DOCTYPE,
                issuer_signed: d.issuer_signed,
                device_name_spaces_bytes: &d.device_name_spaces,
                device_auth: (d.auth_kind, &d.auth),
                errors: Vec::new(),
            }],
            &[],
            0,
        );
        phone
            .send(&session.respond(c, &response, false).unwrap())
            .unwrap();
        let _ = phone.receive(soon());
    });
    // Decided on the verified, requested age element: OK, with the requested portrait.
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.mdoc);
    assert!(out.decision.portrait.is_some());
    assert_eq!(out.unrequested_elements, 1);
    let report = out.mdoc.as_ref().unwrap();
    let doc = &report.documents[0];
    assert!(
        doc.valid(),
        "the extra element's digest was checked and matched"
    );
    let shown: Vec<&str> = doc.elements.iter().map(|e| e.identifier.as_str()).collect();
    assert_eq!(shown, ["age_over_20", "portrait"]);
    assert_eq!(doc.verified_value(MDL_NAMESPACE, "family_name"), None);
    // Nowhere in what the till keeps: not in the report's Debug or JSON either.
    assert!(!format!("{out:?}").contains("family_name"));
    assert!(!report.to_json().to_string().contains("family_name"));
    next_customer_is_ok(&t);
}

#[test]
fn keep_requested_drops_other_namespaces_and_doc_types_but_keeps_nearest_age() {
    use kakunin_core::cbor::Value;
    use kakunin_verifier::{DisclosedElement, DocumentReport, ResponseReport};
    let el = |ns: &str, id: &str| DisclosedElement {
        namespace: ns.into(),
        identifier: id.into(),
        value: Value::Bool(true),
        digest_id: Some(0),
        verified: true,
    };
    let doc = |doc_type: &str| DocumentReport {
        doc_type: doc_type.into(),
        checks: Vec::new(),
        issuer: None,
        validity: None,
        status: None,
        status_check: Default::default(),
        revocation: Default::default(),
        device_auth: "deviceSignature",
        elements: vec![
            el(MDL_NAMESPACE, "age_over_20"),
            el(MDL_NAMESPACE, "age_over_21"),
            el(MDL_NAMESPACE, "age_over_x"),
            el(MDL_NAMESPACE, "family_name"),
            el("org.example.other", "age_over_20"),
            el("org.example.other", "portrait"),
        ],
        not_returned: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let mut report = ResponseReport {
        version: Some("1.0".into()),
        status: Some(0),
        documents: vec![doc(MDL_DOCTYPE), doc("org.example.unasked")],
        document_errors: Vec::new(),
        errors: Vec::new(),
        trust_mode: kakunin_verifier::TrustMode::IacaChain,
    };
    let requests = t_requests();
    assert_eq!(keep_requested(&mut report, &requests), 4 + 6);
    let kept: Vec<&str> = report.documents[0]
        .elements
        .iter()
        .map(|e| e.identifier.as_str())
        .collect();
    assert_eq!(kept, ["age_over_20", "age_over_21"]);
    assert!(report.documents[1].elements.is_empty());
}

fn t_requests() -> Vec<(String, Vec<RequestedElement>)> {
    let t = ReaderConfig::new(TrustAnchors::default());
    t.doc_requests()
}

// ---------------------------------------------------------------- NFC

/// How a hostile card answers the last ENVELOPE (and the GET RESPONSEs after it).
#[derive(Clone, Copy, Debug)]
enum Card {
    /// `61 00` with no data, forever.
    MoreWithoutData,
    /// One byte and `61 01`, forever.
    DripOneByte,
    /// One byte and `61 00`, forever (the reader asks for the maximum each time).
    DripUnderFull,
    /// The card goes away (the reader's transceive fails).
    Disconnect,
    /// A status word that is neither 9000 nor 61XX.
    WrongStatus(u16),
    /// DO53 declaring 16 MiB with four bytes behind it, then 9000.
    HugeDo53,
}

/// A card that selects fine and then misbehaves; every APDU takes one simulated millisecond.
struct HostileCard {
    mode: Card,
    ticks: Arc<AtomicU64>,
    apdus: usize,
}

impl Transceive for HostileCard {
    type Error = &'static str;

    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        self.ticks.fetch_add(1, Ordering::SeqCst);
        self.apdus += 1;
        let ok = |mut data: Vec<u8>, sw: u16| {
            data.extend_from_slice(&sw.to_be_bytes());
            Ok(data)
        };
        match (command[0], command[1]) {
            (_, 0xa4) => ok(vec![], 0x9000),
            (0x10, 0xc3) => ok(vec![], 0x9000),
            (_, 0xc3 | 0xc0) => match self.mode {
                Card::MoreWithoutData => ok(vec![], 0x6100),
                Card::DripOneByte => ok(vec![0x53], 0x6101),
                Card::DripUnderFull => ok(vec![0x53], 0x6100),
                Card::Disconnect => Err("card removed"),
                Card::WrongStatus(sw) => ok(vec![], sw),
                Card::HugeDo53 => ok(vec![0x53, 0x83, 0xff, 0xff, 0xff, 1, 2, 3, 4], 0x9000),
            },
            _ => ok(vec![], 0x6d00),
        }
    }
}

/// The reader flow over NFC against `mode`, on a clock that advances 1 ms per APDU. Returns
/// the outcome, the APDUs the card saw and the simulated time that passed.
fn against_card(config: &ReaderConfig, mode: Card) -> (FlowOutcome, usize, Duration) {
    let c = default_provider();
    let key = c.generate_key(Curve::P256).unwrap();
    let de = kakunin_core::mdoc::encode_device_engagement(&c.public_key(&key).unwrap(), &[]);
    let ticks = Arc::new(AtomicU64::new(0));
    let base = Instant::now();
    let clock = {
        let ticks = Arc::clone(&ticks);
        Arc::new(move || base + Duration::from_millis(ticks.load(Ordering::SeqCst)))
    };
    let card = HostileCard {
        mode,
        ticks: Arc::clone(&ticks),
        apdus: 0,
    };
    let reader = NfcReader::new(card, ApduConfig::SHORT);
    let mut link = NfcMessageLink::open_with_clock(reader, clock.clone()).unwrap();
    let mut flow = ReaderFlow::new(
        c,
        config,
        &Engagement::Qr {
            uri: kakunin_transport::qr::engagement_uri(&de),
        },
    )
    .unwrap();
    let out = run_reader(&mut flow, &mut link, c, &*clock, now());
    let elapsed = clock() - base;
    (out, link.into_reader().into_inner().apdus, elapsed)
}

#[test]
fn a_card_that_drips_one_byte_per_61xx_times_out_at_the_deadline() {
    let t = till(2);
    for mode in [Card::DripOneByte, Card::DripUnderFull] {
        let started = Instant::now();
        let (out, apdus, simulated) = against_card(&t.config, mode);
        assert_eq!(
            ng(&out),
            Some(NgReason::Timeout),
            "{mode:?}: {:?}",
            out.failure
        );
        assert!(matches!(out.failure, Some(FlowFailure::Timeout)));
        // Ten simulated seconds (the default per-message deadline), one APDU per millisecond:
        // the deadline ended it, not the APDU bound of four million.
        assert!((10_000..10_100).contains(&apdus), "{mode:?}: {apdus} APDUs");
        assert!(simulated >= Duration::from_secs(10), "{simulated:?}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        next_customer_is_ok(&t);
    }
}

#[test]
fn a_card_that_says_61xx_forever_without_data_is_malformed() {
    let t = till(1);
    let (out, apdus, _) = against_card(&t.config, Card::MoreWithoutData);
    assert_eq!(ng(&out), Some(NgReason::Malformed), "{:?}", out.failure);
    assert!(apdus < 10, "{apdus}");
    next_customer_is_ok(&t);
}

#[test]
fn a_card_that_disconnects_is_ng() {
    let t = till(1);
    let (out, _, _) = against_card(&t.config, Card::Disconnect);
    assert_eq!(ng(&out), Some(NgReason::Timeout), "{:?}", out.failure);
    assert!(matches!(
        out.failure,
        Some(FlowFailure::Link(LinkError::Io(_)))
    ));
    next_customer_is_ok(&t);
}

#[test]
fn wrong_status_words_are_malformed() {
    let t = till(1);
    for sw in [0x6f00, 0x6a82, 0x6700, 0x9100, 0x0000] {
        let (out, _, _) = against_card(&t.config, Card::WrongStatus(sw));
        assert_eq!(
            ng(&out),
            Some(NgReason::Malformed),
            "{sw:04X}: {:?}",
            out.failure
        );
        assert!(matches!(
            out.failure,
            Some(FlowFailure::Link(LinkError::Card { sw: Some(s), .. })) if s == sw
        ));
    }
    next_customer_is_ok(&t);
}

#[test]
fn a_do53_declaring_a_huge_length_is_malformed() {
    let t = till(1);
    let (out, _, _) = against_card(&t.config, Card::HugeDo53);
    assert_eq!(ng(&out), Some(NgReason::Malformed), "{:?}", out.failure);
    assert!(matches!(
        out.failure,
        Some(FlowFailure::Link(LinkError::Framing { .. }))
    ));
    next_customer_is_ok(&t);
}

/// A link that is never ready, on a clock that never moves, with the cancel flag being
/// polled: the driver's bound on wait slices ends it, NG `timeout`, instead of spinning.
#[test]
fn a_stalled_clock_cannot_make_the_driver_spin() {
    struct NeverReady(usize);
    impl MessageLink for NeverReady {
        fn send(&mut self, _: &[u8]) -> Result<(), LinkError> {
            Ok(())
        }
        fn receive(&mut self, _: Instant) -> Result<Vec<u8>, LinkError> {
            self.0 += 1;
            Err(LinkError::Timeout)
        }
    }
    let t = till(1);
    let c = default_provider();
    let (de, _, _) = qr_ble_engagement(c).unwrap();
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let mut flow = ReaderFlow::new(c, &t.config, &Engagement::Qr { uri }).unwrap();
    let frozen = Instant::now();
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let mut link = NeverReady(0);
    let out = kakunin_verifier::flow::run_reader_with(
        &mut flow,
        &mut link,
        c,
        &|| frozen,
        now(),
        kakunin_verifier::flow::Observer {
            cancel: Some(&cancel),
            on_progress: None,
        },
    );
    assert_eq!(ng(&out), Some(NgReason::Timeout));
    // 10 s per message in 50 ms slices, plus two.
    assert_eq!(link.0, 202);
    next_customer_is_ok(&t);
}
