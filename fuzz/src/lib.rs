//! The fuzz targets' bodies, one function per target, and their shared fixtures (the Annex D
//! transcript, trust anchors and keys, read at compile time from spec-vectors/data/annex-d).
//!
//! Each `fuzz_targets/<name>.rs` only calls `kakunin_fuzz::<name>(data)`. The workspace member
//! `fuzz-replay` compiles this same file (by `#[path]`) and runs every committed seed in
//! `corpus-seeds/<name>/` and every reproducer in `regressions/` through these functions, so
//! `cargo test --workspace` keeps fixed crashes fixed without nightly flags or cargo-fuzz.
//!
//! The functions panic (assert) only on a broken invariant; errors on bad input are expected.

use kakunin_core::crypto::{Curve, EcPrivateKey};
use kakunin_core::trust::TrustAnchors;
use std::sync::OnceLock;

macro_rules! annex {
    ($name:literal) => {
        include_str!(concat!("../../spec-vectors/data/annex-d/", $name, ".hex"))
    };
}

fn hex_bytes(s: &str) -> Vec<u8> {
    hex::decode(s.trim()).expect("Annex D hex")
}

/// The Annex D setup the verifying targets run against.
pub struct Fixtures {
    pub transcript: Vec<u8>,
    pub iaca: TrustAnchors,
    pub reader_root: TrustAnchors,
    pub reader_key: EcPrivateKey,
    pub at: time::OffsetDateTime,
    pub handover_select: Vec<u8>,
    pub device_engagement_nfc: Vec<u8>,
}

pub fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| Fixtures {
        transcript: hex_bytes(annex!("session_transcript_bytes")),
        iaca: TrustAnchors::from_der_certs([hex_bytes(annex!("iaca_cert.der"))]).expect("IACA"),
        reader_root: TrustAnchors::from_der_certs([hex_bytes(annex!("reader_root_cert.der"))])
            .expect("root"),
        reader_key: kakunin_core::crypto::hazmat::private_key_from_scalar(
            Curve::P256,
            &hex_bytes(annex!("e_reader_key_priv_d")),
        )
        .expect("key"),
        at: time::macros::datetime!(2021-01-01 00:00:00 UTC),
        handover_select: hex_bytes(annex!("handover_select")),
        device_engagement_nfc: hex_bytes(annex!("device_engagement_nfc")),
    })
}

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target, by name (the `[[bin]]` names of fuzz/Cargo.toml), with its function.
pub const TARGETS: &[(&str, Target)] = &[
    ("cbor_decode", cbor_decode),
    ("device_response", device_response),
    ("device_request", device_request),
    ("device_engagement", device_engagement),
    ("session_messages", session_messages),
    ("mso", mso),
    ("cose", cose),
    ("transcript", transcript),
    ("certificate", certificate),
    ("crl", crl),
    ("sd_jwt", sd_jwt),
    ("apdu", apdu),
    ("ndef", ndef),
    ("handover", handover),
    ("ble_oob", ble_oob),
    ("nfc_card", nfc_card),
    ("ble_reassembler", ble_reassembler),
    ("nfc_reader", nfc_reader),
    ("reader_flow", reader_flow),
    ("vical", vical),
    ("jpki_cert", jpki_cert),
];

// ---------------------------------------------------------------- floor 1: formats

/// A VICAL (ISO 18013-5 Annex C): parse under the bounds, then verify against the Austroads
/// root on a clock inside its list's validity. Whatever verifies must be what parsed, and
/// only a list whose signer chains to that root may verify.
pub fn vical(data: &[u8]) {
    use kakunin_core::trust::vical::{SignedVical, VicalPolicy};
    static ROOT: OnceLock<TrustAnchors> = OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let pem = include_str!("../../spec-vectors/data/vical/austroads-root.pem");
        let der = kakunin_core::trust::parse_certificate_input(pem.as_bytes()).expect("root");
        TrustAnchors::from_der_certs([der]).expect("root")
    });
    let Ok(signed) = SignedVical::parse(data) else {
        return;
    };
    let entries = signed.unverified_contents().entries().len();
    assert!(entries >= 1);
    let at = time::macros::datetime!(2024-10-01 00:00:00 UTC);
    let crypto = kakunin_core::crypto::default_provider();
    if let Ok(v) = signed.verify(root, crypto, at, &VicalPolicy::default()) {
        assert_eq!(v.entries().len(), entries);
        assert!(v.warnings().iter().all(|w| w.index < entries));
        assert_eq!(v.into_trust_anchors().len(), entries);
    }
}

/// The bounded CBOR decoder, diagnostic notation, and the owned-value round trip.
pub fn cbor_decode(data: &[u8]) {
    let tree = kakunin_core::cbor::decode(data);
    if let Ok(item) = &tree {
        let _ = kakunin_core::cbor::diagnostic(item);
        let again = item.to_value().to_vec();
        // What decoded once re-encodes to something that decodes again.
        assert!(kakunin_core::cbor::decode(&again).is_ok());
    }
    // The pull reader agrees with the tree decoder on every input: the same value, or the
    // same error kind at the same offset.
    let pulled = kakunin_core::cbor::Reader::new(data, &kakunin_core::cbor::Limits::DEFAULT)
        .and_then(|mut r| {
            let v = pull_value(&mut r)?;
            r.finish()?;
            Ok(v)
        });
    match (tree, pulled) {
        // Compared by their encodings: a NaN is not equal to itself.
        (Ok(item), Ok(value)) => {
            assert!(item.to_value().to_vec() == value.to_vec(), "values differ")
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "errors differ"),
        (a, b) => panic!("decoder {:?} but reader {:?}", a.map(|_| ()), b.map(|_| ())),
    }
}

/// One whole item from the pull reader, as an owned value (recursion bounded by the reader's
/// depth limit).
fn pull_value(
    r: &mut kakunin_core::cbor::Reader<'_>,
) -> Result<kakunin_core::cbor::Value, kakunin_core::cbor::CborError> {
    use kakunin_core::cbor::{Head, Value};
    Ok(match r.read()? {
        Head::Uint(n) => Value::Uint(n),
        Head::Nint(n) => Value::Nint(n),
        Head::Bytes(b) => Value::Bytes(b.to_vec()),
        Head::Text(t) => Value::Text(t.to_string()),
        Head::Array(n) => Value::Array((0..n).map(|_| pull_value(r)).collect::<Result<_, _>>()?),
        Head::Map(n) => Value::Map(
            (0..n)
                .map(|_| Ok((pull_value(r)?, pull_value(r)?)))
                .collect::<Result<_, kakunin_core::cbor::CborError>>()?,
        ),
        Head::Tag(t) => Value::Tag(t, Box::new(pull_value(r)?)),
        Head::Bool(b) => Value::Bool(b),
        Head::Null => Value::Null,
        Head::Undefined => Value::Undefined,
        Head::Float(f) => Value::Float(f),
        Head::Simple(s) => Value::Simple(s),
        other => panic!("a head this check does not read: {other:?}"),
    })
}

/// DeviceResponse decoding and full verification against the Annex D trust setup.
pub fn device_response(data: &[u8]) {
    let f = fixtures();
    let _ = kakunin_core::mdoc::DeviceResponse::from_bytes(data);
    let report = kakunin_verifier::Verifier::new(&f.iaca)
        .with_reader_key(&f.reader_key)
        .verify_device_response(data, &f.transcript, f.at);
    let _ = report.to_json();
}

/// DeviceRequest decoding and readerAuth verification.
pub fn device_request(data: &[u8]) {
    let f = fixtures();
    let _ = kakunin_core::mdoc::DeviceRequest::from_bytes(data);
    let report = kakunin_verifier::verify_device_request(data, &f.transcript, &f.reader_root, f.at);
    let _ = report.to_json();
}

/// DeviceEngagement, plain and as DeviceEngagementBytes (tag 24).
pub fn device_engagement(data: &[u8]) {
    use kakunin_core::{cbor::wrap_tag24, mdoc::DeviceEngagement};
    if let Ok(de) = DeviceEngagement::from_bytes(data) {
        let _ = de.raw();
        // What parses bare also parses wrapped in tag 24.
        assert!(DeviceEngagement::from_tagged(&wrap_tag24(data)).is_ok());
    }
    let _ = DeviceEngagement::from_tagged(data);
}

/// SessionEstablishment and SessionData, with a re-encoding round trip.
pub fn session_messages(data: &[u8]) {
    use kakunin_core::session::{SessionData, SessionEstablishment};
    if let Ok(se) = SessionEstablishment::from_bytes(data) {
        let again = SessionEstablishment::from_bytes(&se.to_bytes())
            .expect("re-encoded SessionEstablishment");
        assert_eq!(se, again);
    }
    if let Ok(sd) = SessionData::from_bytes(data) {
        let again = SessionData::from_bytes(&sd.to_bytes()).expect("re-encoded SessionData");
        assert_eq!(sd, again);
    }
}

/// MobileSecurityObjectBytes (tag 24) decoding and digest look-up.
pub fn mso(data: &[u8]) {
    use kakunin_core::mdoc::MobileSecurityObject;
    if let Ok(mso) = MobileSecurityObject::from_tagged_bytes(data) {
        let _ = mso.raw_tagged();
        let _ = mso.digest("org.iso.18013.5.1", 0);
    }
}

/// COSE_Sign1 and COSE_Mac0 (tagged or not) and COSE_Key.
pub fn cose(data: &[u8]) {
    use kakunin_core::{cbor, cose, crypto};
    if let Ok(s) = cose::Sign1::from_slice(data) {
        let _ = s.algorithm();
        let _ = s.x5chain();
        let _ = s.ignored_unprotected_labels();
        let _ = s.to_be_signed(None);
        let _ = s.to_be_signed(Some(b"x"));
    }
    if let Ok(m) = cose::Mac0::from_slice(data) {
        let _ = m.check_algorithm();
        let _ = m.to_be_maced(None);
        let _ = m.verify(crypto::default_provider(), &[0u8; 32], Some(b"x"));
    }
    if let Ok(item) = cbor::decode(data) {
        let _ = cose::decode_cose_key(&item);
    }
}

/// SessionTranscript (bare array or tag-24 SessionTranscriptBytes) and its accessors.
pub fn transcript(data: &[u8]) {
    use kakunin_core::mdoc::SessionTranscript;
    if let Ok(t) = SessionTranscript::from_bytes(data) {
        let _ = t.device_engagement_bytes();
        let _ = t.e_reader_key_bytes();
        let _ = t.handover_bytes();
        // The two encodings it keeps describe the same transcript.
        let again = SessionTranscript::from_bytes(t.tagged_bytes()).expect("tagged transcript");
        assert_eq!(t.bare_bytes(), again.bare_bytes());
    }
}

/// Certificate input parsing (DER, PEM, hex), trust-anchor construction, and path validation
/// under every profile (DS and JWS signer under the Annex D IACA, reader auth under its root).
pub fn certificate(data: &[u8]) {
    use kakunin_core::trust::{parse_certificate_input, validate_chain, CertProfile};
    let f = fixtures();
    let c = kakunin_core::crypto::default_provider();
    let _ = validate_chain(c, &[data], &f.iaca, CertProfile::DocumentSigner, f.at);
    let _ = validate_chain(c, &[data], &f.iaca, CertProfile::JwsSigner, f.at);
    let _ = validate_chain(c, &[data], &f.reader_root, CertProfile::ReaderAuth, f.at);
    if let Ok(der) = parse_certificate_input(data) {
        if der != data {
            let _ = validate_chain(c, &[&der], &f.iaca, CertProfile::DocumentSigner, f.at);
        }
    }
    let _ = TrustAnchors::from_der_certs([data]);
}

/// CRL parsing (DER and PEM, RFC 5280 §5), verification against the Annex D IACA and reader
/// root, and lookups through a `CrlSet`. Invariants: a parsed CRL keeps the DER it was given,
/// and a lookup of a listed serial agrees with the set's answer.
pub fn crl(data: &[u8]) {
    use kakunin_core::trust::{parse_crl_input, Crl, CrlSet, RevocationCheck};
    let f = fixtures();
    let c = kakunin_core::crypto::default_provider();
    if let Ok(crl) = Crl::from_der(data) {
        assert_eq!(crl.der(), data);
    }
    let Ok(crl) = parse_crl_input(data) else {
        return;
    };
    let _ = (crl.issuer(), crl.crl_number(), crl.len(), crl.next_update());
    assert!(crl.next_update().is_none_or(|n| n >= crl.this_update()));
    let anchors: Vec<&[u8]> = f
        .iaca
        .iter()
        .chain(f.reader_root.iter())
        .map(|a| a.der())
        .collect();
    if let Ok(v) = crl.verify_by_any(c, anchors.iter().copied()) {
        let _ = v.freshness(f.at);
        let mut set = CrlSet::new();
        set.insert(v);
        for a in &anchors {
            assert!(
                !matches!(set.check(a, a, f.at), RevocationCheck::Unusable(_)),
                "an anchor certificate is usable"
            );
        }
    }
}

/// SD-JWT presentation parsing and verification (RFC 9901), with and without Key Binding, in
/// compact and JWS JSON serialization.
pub fn sd_jwt(data: &[u8]) {
    use kakunin_core::crypto::default_provider;
    use kakunin_core::sdjwt::{
        verify_json_presentation, verify_presentation, Disclosure, JsonSdJwt, Jws, KbRequirements,
    };
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let c = default_provider();
    let key = kakunin_core::crypto::hazmat::private_key_from_scalar(Curve::P256, &[7u8; 32])
        .expect("scalar");
    let public = c.public_key(&key).expect("public key");
    let f = fixtures();
    let kb = KbRequirements {
        required: true,
        aud: "aud",
        nonce: "nonce",
        max_age: time::Duration::minutes(5),
        max_skew: time::Duration::minutes(1),
    };
    let _ = verify_presentation(c, text, &public, Some(&kb), f.at);
    let _ = verify_presentation(c, text, &public, None, f.at);
    let _ = verify_json_presentation(c, text, &public, Some(&kb), f.at);
    let _ = JsonSdJwt::parse(text);
    let _ = Jws::parse(text);
    let _ = Disclosure::parse(text);
}

// ---------------------------------------------------------------- floor 2: transport

/// Split `data` into records of a 2-byte big-endian length and that many bytes; a short
/// last record takes what is left.
pub fn split_u16_prefixed(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((len, rest)) = data.split_first_chunk::<2>() {
        let n = usize::from(u16::from_be_bytes(*len)).min(rest.len());
        let (item, rest) = rest.split_at(n);
        out.push(item);
        data = rest;
    }
    out
}

/// Command and response APDUs and data object 53: what parses re-encodes to the same value.
pub fn apdu(data: &[u8]) {
    use kakunin_transport::apdu::{unwrap_do53, wrap_do53, Command, Response};
    if let Ok(c) = Command::parse(data) {
        for extended in [false, true] {
            let enc = c.encode(extended).expect("a parsed command re-encodes");
            assert_eq!(Command::parse(&enc).expect("re-encoded command parses"), c);
        }
    }
    if let Ok(r) = Response::parse(data) {
        assert_eq!(r.encode(), data);
    }
    if let Ok(m) = unwrap_do53(data) {
        let w = wrap_do53(m).expect("an unwrapped message re-wraps");
        assert_eq!(unwrap_do53(&w).expect("re-wrapped parses"), m);
        assert!(w.len() <= data.len(), "shortest length form");
    }
}

/// NDEF messages: what parses re-encodes (short records where they fit) to the same records.
pub fn ndef(data: &[u8]) {
    use kakunin_transport::ndef::{encode_message, parse_message};
    if let Ok(records) = parse_message(data) {
        let enc = encode_message(&records).expect("parsed records re-encode");
        assert!(enc.len() <= data.len());
        assert_eq!(
            parse_message(&enc).expect("re-encoded message parses"),
            records
        );
        for r in &records {
            let _ = kakunin_transport::handover::tnep::service_name(r);
        }
    }
}

/// Handover Select / Request: what parses gives carriers that rebuild into a Handover Select
/// with the same BLE and NFC configuration and DeviceEngagement.
pub fn handover(data: &[u8]) {
    use kakunin_transport::handover::{build_static_select, Handover, HandoverKind};
    let Ok(h) = Handover::parse(data) else {
        return;
    };
    assert_eq!(h.raw, data);
    let _ = h.device_engagement_bytes();
    let de = h.device_engagement.clone().unwrap_or_default();
    if h.kind == HandoverKind::Select {
        assert!(h.device_engagement.is_some());
    }
    if let Ok(hs) = build_static_select(&de, h.ble.as_ref(), h.nfc.as_ref()) {
        let again = Handover::parse(&hs).expect("a built Handover Select parses");
        assert_eq!(again.ble, h.ble);
        assert_eq!(again.nfc, h.nfc);
        assert_eq!(again.device_engagement, Some(de));
    }
}

/// BLE out-of-band AD structures: what parses re-encodes to the same configuration.
pub fn ble_oob(data: &[u8]) {
    use kakunin_transport::handover::BleOob;
    if let Ok(oob) = BleOob::parse(data) {
        let again = BleOob::parse(&oob.encode()).expect("encoded AD structures parse");
        assert_eq!(again, oob);
    }
}

/// The NFC card state machine fed an APDU sequence. Byte 0 bit 0 picks a negotiated-handover
/// card (else static handover with the Annex D Handover Select); the rest is u16-prefixed
/// command APDUs. Each whole session message is echoed back as the mdoc's answer.
pub fn nfc_card(data: &[u8]) {
    use kakunin_transport::handover::NfcCarrier;
    use kakunin_transport::nfc::{CardStep, NfcCard};
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = fixtures();
    let mut card = if mode & 1 == 1 {
        let nfc = NfcCarrier {
            version: 1,
            max_command_data: Some(255),
            max_response_data: Some(256),
        };
        NfcCard::negotiated(&f.device_engagement_nfc, nfc).expect("negotiated card")
    } else {
        NfcCard::new(&f.handover_select).expect("static card")
    };
    for apdu in split_u16_prefixed(rest) {
        let reply = match card.process(apdu) {
            CardStep::Reply(r) => r,
            CardStep::Message(m) => {
                assert!(m.len() <= kakunin_transport::nfc::MAX_MESSAGE + 8);
                card.reply_with(&m).expect("an accepted message fits DO 53")
            }
        };
        // SW1 SW2 always, and never more data than an extended Le allows.
        assert!(
            reply.len() >= 2 && reply.len() <= 65536 + 2,
            "{}",
            reply.len()
        );
        let _ = card.negotiated_handover();
    }
}

/// The BLE reassembler fed characteristic values. Bytes 0-1: the MTU (big-endian); the rest
/// is u16-prefixed values. Each message it returns fragments and reassembles to itself.
pub fn ble_reassembler(data: &[u8]) {
    use kakunin_transport::ble::{fragment, Reassembler};
    const MAX: usize = 4096;
    let Some((mtu, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let mtu = u16::from_be_bytes(*mtu);
    let Ok(mut r) = Reassembler::new(mtu, MAX) else {
        return;
    };
    for value in split_u16_prefixed(rest) {
        if let Ok(Some(m)) = r.push(value) {
            assert!(m.len() <= MAX);
            let mut again = Reassembler::new(mtu, MAX).expect("same MTU");
            let mut out = None;
            for v in fragment(&m, mtu).expect("valid MTU") {
                assert!(out.is_none(), "a value after the last");
                out = again.push(&v).expect("own fragments reassemble");
            }
            assert_eq!(out.as_deref(), Some(m.as_slice()));
        }
    }
}

/// A card that answers each command with the next u16-prefixed record of the fuzz input, and
/// fails when they run out.
pub struct ScriptedCard<'a> {
    answers: std::vec::IntoIter<&'a [u8]>,
}

impl<'a> ScriptedCard<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        ScriptedCard {
            answers: split_u16_prefixed(data).into_iter(),
        }
    }
}

impl kakunin_transport::nfc::Transceive for ScriptedCard<'_> {
    type Error = &'static str;
    fn transceive(&mut self, _command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        self.answers
            .next()
            .map(<[u8]>::to_vec)
            .ok_or("script ended")
    }
}

/// The session message the reader target sends: 300 bytes, so short APDUs chain it.
pub const READER_MESSAGE: [u8; 300] = [0x5a; 300];
/// The final message the reader target sends.
pub const READER_FINAL: [u8; 3] = [0xa1, 0x00, 0x14];
/// Collision-resolution random of the reader target's Handover Request.
pub const READER_COLLISION: u16 = 0x4b4b;

/// The reader side against an arbitrary card. Byte 0: bit 0 extended APDUs (else short),
/// bit 1 negotiated handover (else static); the rest is the card's u16-prefixed answers. The
/// reader engages, selects the mdoc application, exchanges [`READER_MESSAGE`] and sends
/// [`READER_FINAL`], going on after each failure while answers remain.
pub fn nfc_reader(data: &[u8]) {
    use kakunin_transport::handover::{build_handover_request, NfcCarrier};
    use kakunin_transport::nfc::{NfcReader, ReaderConfig};
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let config = if mode & 1 == 1 {
        ReaderConfig::EXTENDED
    } else {
        ReaderConfig::SHORT
    };
    let mut reader = NfcReader::new(ScriptedCard::new(rest), config);
    if mode & 2 == 2 {
        let hr = build_handover_request(
            READER_COLLISION,
            &NfcCarrier {
                version: 1,
                max_command_data: Some(255),
                max_response_data: Some(256),
            },
        )
        .expect("Handover Request");
        if let Ok(hs) = reader.negotiate_handover(&hr) {
            assert!(hs.len() <= kakunin_transport::nfc::MAX_NDEF_FILE);
        }
    } else if let Ok(hs) = reader.read_handover_select() {
        assert!(hs.len() <= kakunin_transport::nfc::MAX_NDEF_FILE);
    }
    let _ = reader.select_mdoc();
    if let Ok(answer) = reader.exchange(&READER_MESSAGE) {
        assert!(answer.len() <= kakunin_transport::nfc::MAX_MESSAGE + 8);
    }
    let _ = reader.send_final(&READER_FINAL);
}

// ---------------------------------------------------------------- floor 3: the reader flow

/// The till's setup for [`reader_flow`]: the reader config (Annex D IACA as trust anchor,
/// the default age policy and request) and the wallet's fixed engagement key (Annex D
/// EDeviceKey), so the holder session the target runs derives this session's keys.
pub struct FlowFixtures {
    pub config: kakunin_verifier::flow::ReaderConfig,
    pub device_key_d: Vec<u8>,
    pub device_engagement: Vec<u8>,
}

pub fn flow_fixtures() -> &'static FlowFixtures {
    static F: OnceLock<FlowFixtures> = OnceLock::new();
    F.get_or_init(|| {
        let d = hex_bytes(annex!("e_device_key_priv_d"));
        let c = kakunin_core::crypto::default_provider();
        let key = kakunin_core::crypto::hazmat::private_key_from_scalar(Curve::P256, &d)
            .expect("EDeviceKey");
        let public = c.public_key(&key).expect("public key");
        FlowFixtures {
            config: kakunin_verifier::flow::ReaderConfig::new(
                TrustAnchors::from_der_certs([hex_bytes(annex!("iaca_cert.der"))]).expect("IACA"),
            ),
            device_key_d: d,
            device_engagement: kakunin_core::mdoc::encode_device_engagement(&public, &[]),
        }
    })
}

/// The reader flow (`ReaderFlow`: session, DeviceRequest, DeviceResponse, report, verdict,
/// SD-JWT fallback) against a wallet whose answers come from the input. The first message
/// is the flow's real SessionEstablishment, read by a real holder session of the fixed
/// engagement. The input is u16-prefixed answers; each answer's first byte says what the rest
/// is: bit 0 set, a plaintext the holder session encrypts for this session (bit 1: with
/// status 20), else the raw message as received. Invariants: never OK (no response is device
/// authenticated for a session the fuzzer cannot sign for), nothing shown that was not asked
/// for, a portrait only with OK, and the flow ends within its message bound.
pub fn reader_flow(data: &[u8]) {
    use kakunin_transport::session::{Event, MdocSession};
    use kakunin_verifier::flow::{Engagement, FlowOutcome, ReaderFlow, Step};
    let f = flow_fixtures();
    let c = kakunin_core::crypto::default_provider();
    let uri = kakunin_transport::qr::engagement_uri(&f.device_engagement);
    let mut flow = ReaderFlow::new(c, &f.config, &Engagement::Qr { uri }).expect("flow");
    let first = flow.start(c).expect("first message");
    let key = kakunin_core::crypto::hazmat::private_key_from_scalar(Curve::P256, &f.device_key_d)
        .expect("EDeviceKey");
    let mut holder = MdocSession::new(
        key,
        kakunin_core::cbor::wrap_tag24(&f.device_engagement),
        vec![0xf6],
    );
    assert!(matches!(holder.handle(c, &first), Ok(Event::Request(_))));
    let check = |out: &FlowOutcome| {
        assert_ne!(out.decision.verdict, kakunin_verifier::Verdict::Ok);
        assert!(out.decision.portrait.is_none());
        if let Some(report) = &out.mdoc {
            let asked = f.config.doc_requests();
            for d in &report.documents {
                let els = asked
                    .iter()
                    .find(|(t, _)| *t == d.doc_type)
                    .map(|(_, els)| els.as_slice())
                    .unwrap_or_default();
                // Only requested docTypes and namespaces keep elements.
                for e in &d.elements {
                    assert!(els.iter().any(|r| r.namespace == e.namespace));
                }
            }
        }
    };
    for answer in split_u16_prefixed(data) {
        let Some((&mode, body)) = answer.split_first() else {
            continue;
        };
        let msg = if mode & 1 == 1 {
            holder
                .respond(c, body, mode & 2 == 2)
                .unwrap_or_else(|_| body.to_vec())
        } else {
            body.to_vec()
        };
        match flow.handle(c, &msg, fixtures().at) {
            Step::Send(next) => {
                // The SD-JWT request of the fallback: the holder reads it too.
                let _ = holder.handle(c, &next);
            }
            Step::Done(out) => {
                check(&out);
                return;
            }
        }
    }
    check(&flow.on_timeout());
}

// ---------------------------------------------------------------- floor 2: JPKI

/// A JPKI certificate (kakunin-jpki): `SignatureCertificate::parse` and
/// `AuthenticationCertificate::parse`, then validation under the JPKI-SIM CAs and CRLs of
/// jpki/tests/data at 2026-07-01. Invariants: what parses keeps the DER it was given, one
/// input is never both kinds, and a certificate that validates is a leaf of its purpose.
pub fn jpki_cert(data: &[u8]) {
    use kakunin_jpki::trust::Purpose;
    use kakunin_jpki::{AuthenticationCertificate, JpkiTrust, SignatureCertificate};
    static T: OnceLock<JpkiTrust> = OnceLock::new();
    let c = kakunin_core::crypto::default_provider();
    let trust = T.get_or_init(|| {
        let mut t = JpkiTrust::new(
            c,
            vec![include_bytes!("../../jpki/tests/data/sign-ca.der").to_vec()],
            vec![include_bytes!("../../jpki/tests/data/auth-ca.der").to_vec()],
        )
        .expect("JPKI-SIM CAs");
        t.add_crl(
            c,
            Purpose::Signature,
            include_bytes!("../../jpki/tests/data/sign-ca.crl"),
        )
        .expect("sign CRL");
        t.add_crl(
            c,
            Purpose::Authentication,
            include_bytes!("../../jpki/tests/data/auth-ca.crl"),
        )
        .expect("auth CRL");
        t
    });
    let at = time::macros::datetime!(2026-07-01 00:00:00 UTC);
    let sign = SignatureCertificate::parse(data);
    let auth = AuthenticationCertificate::parse(data);
    assert!(
        !(sign.is_ok() && auth.is_ok()),
        "both a signature and an authentication certificate"
    );
    if let Ok(s) = sign {
        assert_eq!(s.info.der(), data);
        let _ = (
            s.facts.name_has_substitutes(),
            s.facts.address_has_substitutes(),
        );
        if trust.validate_signature_cert(&s, at, c).is_ok() {
            assert!(!s.info.is_ca && s.info.digital_signature && s.info.non_repudiation);
        }
    }
    if let Ok(a) = auth {
        assert_eq!(a.info.der(), data);
        if trust.validate_authentication_cert(&a, at, c).is_ok() {
            assert!(!a.info.is_ca && a.info.digital_signature);
        }
    }
}
