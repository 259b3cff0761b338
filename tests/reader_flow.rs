#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The reader flow (kakunin_verifier::flow) against the holder loop (kakunin_holder_sim), end
//! to end in memory with a fixed clock: QR engagement and BLE GATT framing over an in-memory
//! pipe, NFC (static and negotiated handover) against the in-memory card, encrypted sessions,
//! readerAuth, the complete report and the till's verdict — for every outcome a till sees.

use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::mdoc::{ValidityInfo, JP_PID_DOCTYPE, MDL_DOCTYPE};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::{
    run_holder, Consent, CredentialStore, HolderCard, HolderDeadlines, HolderLoop, HolderOutcome,
    HolderPolicy, MemoryStore, Presented,
};
use kakunin_issuer::sd_jwt_vc::{issue_sd_jwt_vcs, SdJwtVcSettings, JP_PID_VCT};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_transport::ble_link::BleFramedLink;
use kakunin_transport::handover::{build_static_select, nfc_handover, NfcCarrier};
use kakunin_transport::link::{memory_pair, LinkError, MemoryEnd, MessageLink};
use kakunin_transport::nfc::{NfcCard, NfcReader, ReaderConfig as ApduConfig};
use kakunin_transport::nfc_link::NfcMessageLink;
use kakunin_transport::session::MdocSession;
use kakunin_verifier::flow::{
    engage_nfc, run_reader, Engagement, FlowFailure, FlowOutcome, NfcHandoverMode, Progress,
    ReaderAuthSigner, ReaderConfig, ReaderFlow, SdJwtMode,
};
use kakunin_verifier::verdict::CredentialKind;
use kakunin_verifier::{NgReason, Verdict};
use std::time::{Duration, Instant};
use time::macros::datetime;
use time::OffsetDateTime;

mod common;
use common::MTU;

fn now() -> OffsetDateTime {
    datetime!(2026-12-01 09:00 UTC)
}

fn pki() -> TestPki {
    // Made three months before the check, so back-dated credentials fall inside the DS
    // certificate's validity.
    TestPki::generate(
        default_provider(),
        "JP",
        1,
        now() - time::Duration::days(90),
    )
    .unwrap()
}

fn claims(profile: DocProfile, birth_date: &str) -> serde_json::Value {
    let text = match profile {
        DocProfile::JpPid => include_str!("../docs/examples/jp-pid-claims.json"),
        _ => include_str!("../docs/examples/mdl-claims.json"),
    };
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    v["birth_date"] = birth_date.into();
    v
}

fn validity(valid_until: OffsetDateTime) -> ValidityInfo {
    let signed = now() - time::Duration::days(30);
    ValidityInfo {
        signed,
        valid_from: signed,
        valid_until,
        expected_update: None,
    }
}

fn store_mdocs(
    pki: &TestPki,
    store: &MemoryStore,
    profile: DocProfile,
    birth_date: &str,
    validity: ValidityInfo,
    n: usize,
) {
    let c = default_provider();
    let elements = elements_from_json(profile, &claims(profile, birth_date), now().date()).unwrap();
    let ds = &pki.document_signers[0];
    let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
    for i in 0..n {
        let key = c.generate_key(Curve::P256).unwrap();
        let cred = issuer
            .issue(
                profile.doc_type(),
                &elements,
                &c.public_key(&key).unwrap(),
                validity,
                None,
            )
            .unwrap();
        store
            .store(
                &format!("{}-{i}", profile.doc_type()),
                &cred.doc_type,
                &cred.issuer_signed,
                &key,
            )
            .unwrap();
    }
}

fn store_sd_jwts(pki: &TestPki, store: &MemoryStore, birth_date: &str, n: usize) {
    let c = default_provider();
    let elements = elements_from_json(
        DocProfile::JpPid,
        &claims(DocProfile::JpPid, birth_date),
        now().date(),
    )
    .unwrap();
    let keys: Vec<EcPrivateKey> = (0..n)
        .map(|_| c.generate_key(Curve::P256).unwrap())
        .collect();
    let publics: Vec<_> = keys.iter().map(|k| c.public_key(k).unwrap()).collect();
    let creds = issue_sd_jwt_vcs(
        c,
        &pki.jws_signer.key,
        std::slice::from_ref(&pki.jws_signer.cert_der),
        &elements,
        &publics,
        &SdJwtVcSettings {
            issuer_id: "https://issuer.kakunin.invalid",
            valid_from: (now() - time::Duration::days(30)).unix_timestamp(),
            valid_until: (now() + time::Duration::days(30)).unix_timestamp(),
            ..SdJwtVcSettings::default()
        },
    )
    .unwrap();
    for (i, (cred, key)) in creds.iter().zip(&keys).enumerate() {
        store
            .store_sd_jwt(&format!("pid-sd-{i}"), JP_PID_VCT, cred, key)
            .unwrap();
    }
}

/// The test PKI keeps its reader key; the till gets its own copy (keys are not Clone).
fn copy_key(k: &kakunin_core::crypto::EcPrivateKey) -> kakunin_core::crypto::EcPrivateKey {
    use kakunin_core::crypto::hazmat;
    hazmat::private_key_from_scalar(k.curve(), hazmat::scalar_bytes(k)).unwrap()
}

fn reader_config(pki: &TestPki, iaca: &[u8]) -> ReaderConfig {
    ReaderConfig::new(TrustAnchors::from_der_certs([iaca.to_vec()]).unwrap()).with_reader_auth(
        ReaderAuthSigner::new(vec![pki.reader.cert_der.clone()], copy_key(&pki.reader.key)),
    )
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

/// The reader flow against the holder loop over BLE framing on an in-memory pipe, at
/// [`now`].
fn run_qr(
    config: &ReaderConfig,
    store: &MemoryStore,
    policy: HolderPolicy,
) -> (FlowOutcome, HolderOutcome) {
    common::run_qr(config, store, policy, now())
}

fn ng(out: &FlowOutcome) -> Option<NgReason> {
    out.decision.verdict.reason()
}

#[test]
fn adult_mdl_is_ok_with_portrait_and_reader_authenticated() {
    let pki = pki();
    let store = MemoryStore::new();
    store_mdocs(
        &pki,
        &store,
        DocProfile::Mdl,
        "2000-05-05",
        validity(now() + time::Duration::days(30)),
        2,
    );
    let config = reader_config(&pki, &pki.iaca.cert_der);
    let (out, holder) = run_qr(&config, &store, holder_policy(&pki));
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.mdoc);
    assert_eq!(
        out.decision.credential,
        Some(CredentialKind::Mdoc {
            doc_type: MDL_DOCTYPE.into()
        })
    );
    assert!(out
        .decision
        .portrait
        .as_ref()
        .is_some_and(|p| !p.bytes().is_empty()));
    assert_eq!(
        out.progress,
        [Progress::Connecting, Progress::Verifying, Progress::Done]
    );
    let report = out.mdoc.as_ref().unwrap();
    assert!(report.valid());
    let shared: Vec<&str> = report.documents[0]
        .verified_elements()
        .map(|e| e.identifier.as_str())
        .collect();
    assert_eq!(shared, ["age_over_20", "portrait"]);
    assert!(out.sd_jwt.is_none() && out.failure.is_none());
    // The session ended with status 20.
    assert_eq!(
        out.final_message.as_deref(),
        Some(&[0xa1, 0x66, b's', b't', b'a', b't', b'u', b's', 0x14][..])
    );
    assert!(holder.failure.is_none(), "{:?}", holder.failure);
    let [Presented::Mdoc(p)] = holder.presented.as_slice() else {
        panic!("{:?}", holder.presented)
    };
    assert!(matches!(
        p.documents[0].reader,
        kakunin_holder_sim::ReaderIdentity::Authenticated { .. }
    ));
    // One credential of the batch spent, the other left.
    assert_eq!(store.list().unwrap().iter().filter(|c| c.used).count(), 1);
}

#[test]
fn nineteen_year_old_is_under_age() {
    let pki = pki();
    let store = MemoryStore::new();
    store_mdocs(
        &pki,
        &store,
        DocProfile::Mdl,
        "2007-06-01",
        validity(now() + time::Duration::days(30)),
        1,
    );
    let (out, _) = run_qr(
        &reader_config(&pki, &pki.iaca.cert_der),
        &store,
        holder_policy(&pki),
    );
    assert_eq!(ng(&out), Some(NgReason::UnderAge));
    assert!(out.decision.portrait.is_none());
}

#[test]
fn expired_credential() {
    let pki = pki();
    let store = MemoryStore::new();
    store_mdocs(
        &pki,
        &store,
        DocProfile::Mdl,
        "2000-05-05",
        validity(now() - time::Duration::days(1)),
        1,
    );
    let (out, _) = run_qr(
        &reader_config(&pki, &pki.iaca.cert_der),
        &store,
        holder_policy(&pki),
    );
    assert_eq!(ng(&out), Some(NgReason::Expired));
}

#[test]
fn tampered_credential_and_nothing_verified_in_it() {
    let pki = pki();
    let honest = MemoryStore::new();
    store_mdocs(
        &pki,
        &honest,
        DocProfile::Mdl,
        "2007-06-01",
        validity(now() + time::Duration::days(30)),
        1,
    );
    // The 19-year-old flips age_over_20 from false to true in the stored IssuerSigned.
    let info = honest.list().unwrap().remove(0);
    let cred = honest.load(&info.id).unwrap();
    let mut bytes = cred.issuer_signed.clone();
    let at = bytes
        .windows(11)
        .position(|w| w == b"age_over_20")
        .expect("age_over_20 item");
    let value_key = bytes[at..]
        .windows(12)
        .position(|w| w == b"elementValue")
        .map(|p| at + p + 12)
        .expect("its elementValue");
    assert_eq!(
        bytes[value_key], 0xf4,
        "age_over_20 = false before tampering"
    );
    bytes[value_key] = 0xf5;
    let store = MemoryStore::new();
    store
        .store("tampered", &cred.doc_type, &bytes, &cred.device_key)
        .unwrap();
    let (out, _) = run_qr(
        &reader_config(&pki, &pki.iaca.cert_der),
        &store,
        holder_policy(&pki),
    );
    assert_eq!(ng(&out), Some(NgReason::Tampered));
    let doc = &out.mdoc.as_ref().unwrap().documents[0];
    assert_eq!(doc.verified_elements().count(), 0);
    assert!(doc.elements.iter().all(|e| !e.verified));
    assert_eq!(
        doc.verified_value(kakunin_core::mdoc::MDL_NAMESPACE, "age_over_20"),
        None
    );
}

#[test]
fn untrusted_iaca() {
    let pki = pki();
    let other = TestPki::generate(default_provider(), "JP", 1, now()).unwrap();
    let store = MemoryStore::new();
    store_mdocs(
        &pki,
        &store,
        DocProfile::Mdl,
        "2000-05-05",
        validity(now() + time::Duration::days(30)),
        1,
    );
    let (out, _) = run_qr(
        &reader_config(&pki, &other.iaca.cert_der),
        &store,
        holder_policy(&pki),
    );
    assert_eq!(ng(&out), Some(NgReason::UntrustedIssuer));
}

#[test]
fn consent_denied_is_not_disclosed() {
    let pki = pki();
    let store = MemoryStore::new();
    store_mdocs(
        &pki,
        &store,
        DocProfile::Mdl,
        "2000-05-05",
        validity(now() + time::Duration::days(30)),
        1,
    );
    let policy = HolderPolicy {
        consent: Consent::Deny,
        ..holder_policy(&pki)
    };
    let (out, holder) = run_qr(&reader_config(&pki, &pki.iaca.cert_der), &store, policy);
    assert_eq!(ng(&out), Some(NgReason::NotDisclosed));
    assert!(holder.failure.is_none());
    assert!(
        store.list().unwrap().iter().all(|c| !c.used),
        "nothing spent"
    );
}

#[test]
fn jp_pid_mdoc_is_ok() {
    let pki = pki();
    let store = MemoryStore::new();
    store_mdocs(
        &pki,
        &store,
        DocProfile::JpPid,
        "2000-05-05",
        validity(now() + time::Duration::days(30)),
        1,
    );
    let (out, _) = run_qr(
        &reader_config(&pki, &pki.iaca.cert_der),
        &store,
        holder_policy(&pki),
    );
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.mdoc);
    assert_eq!(
        out.decision.credential,
        Some(CredentialKind::Mdoc {
            doc_type: JP_PID_DOCTYPE.into()
        })
    );
    assert!(out.decision.portrait.is_some());
}

#[test]
fn jp_pid_sd_jwt_wallet_ok_through_the_fallback_in_the_same_session() {
    let pki = pki();
    let store = MemoryStore::new();
    store_sd_jwts(&pki, &store, "2000-05-05", 2);
    let (out, holder) = run_qr(
        &reader_config(&pki, &pki.iaca.cert_der),
        &store,
        holder_policy(&pki),
    );
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.sd_jwt);
    assert_eq!(
        out.decision.credential,
        Some(CredentialKind::SdJwtVc {
            vct: JP_PID_VCT.into()
        })
    );
    assert!(out.decision.portrait.is_some());
    assert!(out.mdoc.is_some() && out.sd_jwt.is_some());
    assert_eq!(
        out.progress,
        [
            Progress::Connecting,
            Progress::Verifying,
            Progress::Connecting,
            Progress::Verifying,
            Progress::Done
        ]
    );
    assert!(holder.failure.is_none(), "{:?}", holder.failure);
    assert!(matches!(
        holder.presented.as_slice(),
        [Presented::Mdoc(_), Presented::SdJwt { .. }]
    ));
    assert_eq!(store.list().unwrap().iter().filter(|c| c.used).count(), 1);
}

#[test]
fn jp_pid_sd_jwt_under_age_and_sd_jwt_only_mode() {
    let pki = pki();
    let store = MemoryStore::new();
    store_sd_jwts(&pki, &store, "2007-06-01", 2);
    let (out, _) = run_qr(
        &reader_config(&pki, &pki.iaca.cert_der),
        &store,
        holder_policy(&pki),
    );
    assert_eq!(ng(&out), Some(NgReason::UnderAge));
    let mut only = reader_config(&pki, &pki.iaca.cert_der);
    only.sd_jwt = SdJwtMode::Only;
    let (out, _) = run_qr(&only, &store, holder_policy(&pki));
    assert_eq!(ng(&out), Some(NgReason::UnderAge));
    assert!(out.mdoc.is_none());
    assert_eq!(
        out.progress,
        [Progress::Connecting, Progress::Verifying, Progress::Done]
    );
}

/// Records what goes through a link.
struct Recording<L> {
    inner: L,
    sent: Vec<Vec<u8>>,
}

impl<L: MessageLink> MessageLink for Recording<L> {
    fn send(&mut self, m: &[u8]) -> Result<(), LinkError> {
        self.sent.push(m.to_vec());
        self.inner.send(m)
    }
    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        self.inner.receive(deadline)
    }
    fn close(&mut self) -> Result<(), LinkError> {
        self.inner.close()
    }
}

/// A flow against a scripted phone: `phone` gets the link's other end.
fn run_against(
    config: &ReaderConfig,
    phone: impl FnOnce(BleFramedLink<MemoryEnd>) -> Vec<Vec<u8>> + Send,
) -> (FlowOutcome, Vec<Vec<u8>>) {
    let c = default_provider();
    let (de, _, _session) = qr_ble_engagement(c).unwrap();
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let (reader_end, phone_end) = memory_pair();
    let mut link = BleFramedLink::new(reader_end, MTU).unwrap();
    let phone_link = BleFramedLink::new(phone_end, MTU).unwrap();
    std::thread::scope(|s| {
        let p = s.spawn(move || phone(phone_link));
        let mut flow = ReaderFlow::new(c, config, &Engagement::Qr { uri }).unwrap();
        let out = run_reader(&mut flow, &mut link, c, &Instant::now, now());
        (out, p.join().unwrap())
    })
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(2)
}

const STATUS_10: [u8; 9] = [0xa1, 0x66, b's', b't', b'a', b't', b'u', b's', 0x0a];
const STATUS_11: [u8; 9] = [0xa1, 0x66, b's', b't', b'a', b't', b'u', b's', 0x0b];
const STATUS_20: [u8; 9] = [0xa1, 0x66, b's', b't', b'a', b't', b'u', b's', 0x14];

#[test]
fn a_response_from_another_session_is_device_auth_failed() {
    let pki = pki();
    let store = MemoryStore::new();
    store_mdocs(
        &pki,
        &store,
        DocProfile::Mdl,
        "2000-05-05",
        validity(now() + time::Duration::days(30)),
        2,
    );
    let config = reader_config(&pki, &pki.iaca.cert_der);
    // Session A, recording what the phone sends.
    let c = default_provider();
    let (de, _, session) = qr_ble_engagement(c).unwrap();
    let (reader_end, holder_end) = memory_pair();
    let mut reader_link = BleFramedLink::new(reader_end, MTU).unwrap();
    let mut holder_link = Recording {
        inner: BleFramedLink::new(holder_end, MTU).unwrap(),
        sent: Vec::new(),
    };
    let policy = holder_policy(&pki);
    let first = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let mut hl = HolderLoop::new(&store, policy, session);
            run_holder(
                &mut hl,
                &mut holder_link,
                c,
                &Instant::now,
                HolderDeadlines::default(),
                now(),
                &mut |_| {},
            );
        });
        let mut flow = ReaderFlow::new(
            c,
            &config,
            &Engagement::Qr {
                uri: kakunin_transport::qr::engagement_uri(&de),
            },
        )
        .unwrap();
        let out = run_reader(&mut flow, &mut reader_link, c, &Instant::now, now());
        h.join().unwrap();
        out
    });
    assert_eq!(first.decision.verdict, Verdict::Ok);
    let replayed = holder_link.sent[0].clone();
    // Session B: the phone answers with session A's response.
    let (out, seen) = run_against(&config, move |mut phone| {
        let establishment = phone.receive(soon()).unwrap();
        phone.send(&replayed).unwrap();
        vec![establishment, phone.receive(soon()).unwrap()]
    });
    assert_eq!(ng(&out), Some(NgReason::DeviceAuthFailed));
    assert!(matches!(out.failure, Some(FlowFailure::Session(_))));
    assert_eq!(
        seen[1], STATUS_10,
        "the reader says: session encryption error"
    );
}

#[test]
fn a_phone_that_never_answers_times_out() {
    let pki = pki();
    let mut config = reader_config(&pki, &pki.iaca.cert_der);
    config.deadlines.per_message = Duration::from_millis(30);
    let started = Instant::now();
    let (out, seen) = run_against(&config, |mut phone| {
        let establishment = phone.receive(soon()).unwrap();
        // Say nothing; the reader gives up and ends the session.
        vec![establishment, phone.receive(soon()).unwrap()]
    });
    assert_eq!(ng(&out), Some(NgReason::Timeout));
    assert!(matches!(out.failure, Some(FlowFailure::Timeout)));
    assert_eq!(seen[1], STATUS_20);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_phone_that_sends_garbage_is_malformed() {
    let pki = pki();
    let config = reader_config(&pki, &pki.iaca.cert_der);
    let (out, seen) = run_against(&config, |mut phone| {
        let establishment = phone.receive(soon()).unwrap();
        phone.send(b"\x82\x01garbage").unwrap();
        vec![establishment, phone.receive(soon()).unwrap()]
    });
    assert_eq!(ng(&out), Some(NgReason::Malformed));
    assert_eq!(seen[1], STATUS_11, "the reader says: CBOR decoding error");
    // A peer that ends the session with an error status is malformed too.
    let (out, _) = run_against(&config, |mut phone| {
        let establishment = phone.receive(soon()).unwrap();
        phone.send(&STATUS_11).unwrap();
        vec![establishment]
    });
    assert_eq!(ng(&out), Some(NgReason::Malformed));
}

#[test]
fn the_holder_loop_answers_garbage_with_status_11_once() {
    let pki = pki();
    let store = MemoryStore::new();
    let c = default_provider();
    let (_, _, session) = qr_ble_engagement(c).unwrap();
    let mut hl = HolderLoop::new(&store, holder_policy(&pki), session);
    let step = hl.handle(c, b"\x01\x02", now());
    assert_eq!(step.send.as_deref(), Some(&STATUS_11[..]));
    assert!(step.done && step.failure.is_some());
    let again = hl.handle(c, b"\x01\x02", now());
    assert!(again.send.is_none() && again.done);
}

/// NFC: the reader engages (static or negotiated handover) with the holder's card and runs
/// the same flow over ENVELOPE exchanges, in memory.
fn run_nfc(negotiated: bool, apdus: ApduConfig) -> (FlowOutcome, HolderOutcome) {
    let c = default_provider();
    let pki = pki();
    let store = MemoryStore::new();
    store_mdocs(
        &pki,
        &store,
        DocProfile::Mdl,
        "2000-05-05",
        validity(now() + time::Duration::days(30)),
        1,
    );
    let key = c.generate_key(Curve::P256).unwrap();
    let de = kakunin_core::mdoc::encode_device_engagement(&c.public_key(&key).unwrap(), &[]);
    let carrier = NfcCarrier {
        version: 1,
        max_command_data: Some(65535),
        max_response_data: Some(65536),
    };
    let hs = build_static_select(&de, None, Some(&carrier)).unwrap();
    let card = if negotiated {
        NfcCard::negotiated(&de, carrier)
    } else {
        NfcCard::new(&hs)
    }
    .unwrap();
    let session = MdocSession::new(
        key,
        kakunin_core::cbor::wrap_tag24(&de),
        nfc_handover(&hs, None),
    );
    let holder = HolderCard::new(
        card,
        HolderLoop::new(&store, holder_policy(&pki), session),
        c,
        now(),
    );
    let mut reader = NfcReader::new(holder, apdus);
    let mode = if negotiated {
        NfcHandoverMode::Negotiated {
            max_command_data: 255,
            max_response_data: 256,
        }
    } else {
        NfcHandoverMode::Static
    };
    let engagement = engage_nfc(&mut reader, mode, 0x4b4b).unwrap();
    assert_eq!(
        matches!(engagement, Engagement::NfcNegotiated { .. }),
        negotiated
    );
    let config = reader_config(&pki, &pki.iaca.cert_der);
    let mut flow = ReaderFlow::new(c, &config, &engagement).unwrap();
    let mut link = NfcMessageLink::open(reader).unwrap();
    let out = run_reader(&mut flow, &mut link, c, &Instant::now, now());
    let card = link.into_reader().into_inner();
    assert!(card.is_done());
    (out, card.into_outcome())
}

#[test]
fn nfc_static_and_negotiated_handover_run_the_same_flow() {
    for (negotiated, apdus) in [
        (false, ApduConfig::EXTENDED),
        (false, ApduConfig::SHORT),
        (true, ApduConfig::SHORT),
    ] {
        let (out, holder) = run_nfc(negotiated, apdus);
        assert_eq!(
            out.decision.verdict,
            Verdict::Ok,
            "negotiated {negotiated}: {:?}",
            out.failure
        );
        assert!(holder.failure.is_none(), "{:?}", holder.failure);
        assert_eq!(holder.presented.len(), 1);
    }
}
