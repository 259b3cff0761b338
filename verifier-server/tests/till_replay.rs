#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! Bad input at the till (issue 15): a phone that answers a till session with the response
//! it gave in an earlier session (a replay, or a relay of another session's answer) gets NG
//! `device_auth_failed` through the till's own path — `POST /api/v1/till/engage`, the
//! session runner driving the till's reader flow (`session::run_flow`, `reader_config`), the
//! page's state and the audit row — and the till is ready for the next customer.

mod common;

use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::{
    run_holder, CredentialStore, HolderDeadlines, HolderLoop, HolderPolicy, MemoryStore,
};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer};
use kakunin_transport::ble_link::BleFramedLink;
use kakunin_transport::link::{memory_pair, LinkError, MessageLink};
use kakunin_verifier::flow::{Engagement as FlowEngagement, ReaderFlow};
use kakunin_verifier::AgePolicy;
use kakunin_verifier_server::session::{reader_config, run_flow};
use kakunin_verifier_server::till::{Engagement, Phase, SessionOutcome, SessionRunner};
use kakunin_verifier_server::{build, serve_with_shutdown, Config};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MTU: u16 = 512;

/// A link that keeps a copy of what it sends.
struct Recording<L> {
    inner: L,
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl<L: MessageLink> MessageLink for Recording<L> {
    fn send(&mut self, m: &[u8]) -> Result<(), LinkError> {
        self.sent.lock().unwrap().push(m.to_vec());
        self.inner.send(m)
    }
    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        self.inner.receive(deadline)
    }
    fn close(&mut self) -> Result<(), LinkError> {
        self.inner.close()
    }
}

/// The till's reader flow against a phone played by `phone`, over BLE framing in memory.
fn session_with(
    anchors: &kakunin_core::trust::TrustAnchors,
    uri: &str,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Phase),
    phone: impl FnOnce(&mut dyn MessageLink) + Send,
) -> SessionOutcome {
    let config = reader_config(
        anchors.clone(),
        &AgePolicy::default(),
        None,
        Duration::from_secs(3),
    );
    let engagement = FlowEngagement::Qr { uri: uri.into() };
    let mut flow = ReaderFlow::new(default_provider(), &config, &engagement).unwrap();
    let (till_end, phone_end) = memory_pair();
    let mut till_link = BleFramedLink::new(till_end, MTU).unwrap();
    let mut phone_link = BleFramedLink::new(phone_end, MTU).unwrap();
    std::thread::scope(|s| {
        s.spawn(move || phone(&mut phone_link));
        run_flow(&mut flow, &mut till_link, cancel, progress)
    })
}

/// The phone of the engagements the test posts: it answers with what it recorded from
/// session A (`replay`) instead of answering this session.
struct Replaying {
    anchors: kakunin_core::trust::TrustAnchors,
    replay: Vec<u8>,
}

impl SessionRunner for Replaying {
    fn run_session(
        &self,
        engagement: &Engagement,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(Phase),
    ) -> SessionOutcome {
        let replay = self.replay.clone();
        session_with(
            &self.anchors,
            &engagement.uri,
            cancel,
            progress,
            move |phone| {
                let deadline = Instant::now() + Duration::from_secs(5);
                let _establishment = phone.receive(deadline).unwrap();
                phone.send(&replay).unwrap();
                // The till's answer (status 10: session encryption error), then the end.
                let _ = phone.receive(deadline);
            },
        )
    }
}

#[test]
fn a_replayed_response_in_a_till_session_is_device_auth_failed() {
    let w = common::World::new();
    let c = default_provider();
    let anchors =
        kakunin_core::trust::TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap();

    // Session A, honest: an adult's wallet answers the till's request; its answer is kept.
    let now = common::now();
    let els = elements_from_json(
        DocProfile::Mdl,
        &common::claims(&common::birth_date(36)),
        now.date(),
    )
    .unwrap();
    let ds = &w.pki.document_signers[0];
    let device_key = c.generate_key(Curve::P256).unwrap();
    let cred = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()])
        .issue(
            DocProfile::Mdl.doc_type(),
            &els,
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
    let store = MemoryStore::new();
    store
        .store("mdl-a", &cred.doc_type, &cred.issuer_signed, &device_key)
        .unwrap();
    let (de, _uuid, holder_session) = qr_ble_engagement(c).unwrap();
    let uri_a = kakunin_transport::qr::engagement_uri(&de);
    let sent = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&sent);
    let never = AtomicBool::new(false);
    let first = session_with(&anchors, &uri_a, &never, &mut |_| {}, |phone| {
        let mut link = Recording {
            inner: phone,
            sent: recorded,
        };
        let mut holder = HolderLoop::new(&store, HolderPolicy::default(), holder_session);
        run_holder(
            &mut holder,
            &mut link,
            default_provider(),
            &Instant::now,
            HolderDeadlines::default(),
            common::now(),
            &mut |_| {},
        );
    });
    assert_eq!(first.decision.verdict.label(), "OK");
    let replay = sent.lock().unwrap()[0].clone();

    // The till, with a phone that replays session A's answer in every session.
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::new(data.path());
    config.trust_anchors = vec![w.iaca_file()];
    config.listen = "127.0.0.1:0".parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let runner = Arc::new(Replaying {
        anchors: anchors.clone(),
        replay,
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, state) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = build(config, Some(runner)).await.unwrap();
        let s = state.clone();
        tokio::spawn(async move {
            serve_with_shutdown(s, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        (addr, state)
    });
    for _ in 0..2 {
        // Session B: a fresh engagement (the phone's new key), answered with A's response.
        let (de_b, _, _) = qr_ble_engagement(c).unwrap();
        let uri_b = kakunin_transport::qr::engagement_uri(&de_b);
        let body = serde_json::json!({ "uri": uri_b }).to_string();
        let (status, v) = common::post_json(addr, "/api/v1/till/engage", &body, None);
        assert_eq!(status, 202, "{v}");
        let session = v["session"].as_u64().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let shown = loop {
            let (_, _, b) = common::http(addr, "GET", "/api/v1/till/state", &[], b"");
            let s: serde_json::Value = serde_json::from_slice(&b).unwrap();
            if s["state"] == "result" && s["session"] == session {
                break s;
            }
            assert!(Instant::now() < deadline, "no result: {s}");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(
            (shown["verdict"].as_str(), shown["reason"].as_str()),
            (Some("NG"), Some("device_auth_failed")),
            "{shown}"
        );
        assert_eq!(shown["portrait"], false);
        let (status, v) = common::post_json(addr, "/api/v1/till/next", "{}", None);
        assert_eq!((status, v["state"]["state"].as_str()), (200, Some("ready")));
    }
    let rows = rt.block_on(state.audit().export(None)).unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(
            (row.verdict.as_str(), row.reason.as_deref()),
            ("NG", Some("device_auth_failed"))
        );
        assert_eq!(row.transport, "qr+ble");
    }
    drop(stop);
}
