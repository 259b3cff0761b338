//! `--demo`: simulated customers for the till page — an adult, a 19-year-old, an expired
//! credential, a tampered one and a phone that stalls — each with an mDL issued by
//! kakunin-issuer under a test PKI made at start-up.
//!
//! Pressing a customer's button makes the simulated phone: a fresh single-use credential in
//! an in-memory wallet (kakunin_holder_sim::MemoryStore), a fresh QR engagement offering BLE
//! peripheral server mode (the `mdoc:` URI the page shows as a QR code), and a till session
//! with it. [`DemoRunner`] then runs both real machines, as the phone and the till would:
//! the phone's holder loop on its own thread, the till's reader flow on the session's,
//! joined by an in-memory link with the BLE GATT framing (MTU [`DEMO_MTU`]) — session
//! encryption, readerAuth signed with the till's reader certificate, the complete report, and
//! the verdict from the flow's decision.
//!
//! The tampered customer's wallet holds a credential whose `age_over_20` was rewritten from
//! false to true after issuance (its digest no longer matches the MSO: NG `tampered`). The
//! stalling phone receives the request and never answers: the flow's own per-message
//! deadline ([`DEMO_DEADLINE`]) ends it NG `timeout`. Nothing of the customers is written to
//! disk.

use crate::session::{reader_config, run_flow};
use crate::till::{Engagement, Phase, SessionOutcome, SessionRunner};
use crate::trust::TrustStore;
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::mdoc::ValidityInfo;
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::{
    run_holder, CredentialStore, HolderDeadlines, HolderLoop, HolderPolicy, MemoryStore,
};
use kakunin_issuer::{elements_from_json, DocProfile, KeyAndCert, MdocIssuer, TestPki};
use kakunin_transport::ble_link::BleFramedLink;
use kakunin_transport::link::{memory_pair, LinkError, MessageLink};
use kakunin_transport::session::MdocSession;
use kakunin_verifier::flow::{Engagement as FlowEngagement, ReaderAuthSigner, ReaderFlow};
use kakunin_verifier::{AgePolicy, Decision, NgReason};
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the till waits for each answer of a demo phone before NG `timeout` (the flow's
/// per-message deadline in demo sessions; the session as a whole gets three times this).
pub const DEMO_DEADLINE: Duration = Duration::from_secs(3);
/// The simulated BLE link's ATT MTU.
pub const DEMO_MTU: u16 = 512;
/// How long a simulated phone takes to answer (its user looks at the request, the BLE
/// transfer): long enough for the page to show the phases.
const PHONE_LATENCY: Duration = Duration::from_millis(500);
/// Engagements waiting for their session at most (older ones are forgotten).
const MAX_PENDING: usize = 16;

/// What a simulated customer's phone does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Behaviour {
    /// Answers with its credential as issued.
    Honest,
    /// Holds a credential whose `age_over_20` was rewritten from false to true after
    /// issuance (the digest no longer matches).
    Tamper,
    /// Never answers.
    Stall,
}

/// One simulated customer.
#[derive(Debug)]
pub struct Customer {
    /// The button's identifier (`adult`, `nineteen`, `expired`, `tampered`, `stalling`).
    pub id: &'static str,
    /// The button's label.
    pub label: &'static str,
    /// What the phone does.
    pub behaviour: Behaviour,
    age: i32,
    shift_days: i64,
}

/// The customers: id, label, age, validity shift in days (negative: expired), behaviour.
const SPECS: [(&str, &str, i32, i64, Behaviour); 5] = [
    ("adult", "成人 Adult (36)", 36, 0, Behaviour::Honest),
    ("nineteen", "19歳 19-year-old", 19, 0, Behaviour::Honest),
    ("expired", "期限切れ Expired", 36, -60, Behaviour::Honest),
    ("tampered", "改ざん Tampered", 19, 0, Behaviour::Tamper),
    ("stalling", "無応答 Stalling phone", 36, 0, Behaviour::Stall),
];

/// A simulated phone between its button press and its session: whose it is, its wallet and
/// the mdoc side of the session its engagement opened.
struct PendingPhone {
    customer: usize,
    store: MemoryStore,
    session: MdocSession,
}

/// The demo's test PKI, customers and the engagements they showed.
pub struct DemoWorld {
    document_signer: KeyAndCert,
    anchors: TrustAnchors,
    reader_signer: ReaderAuthSigner,
    reader_trust: TrustAnchors,
    customers: Vec<Customer>,
    pending: Mutex<HashMap<Vec<u8>, PendingPhone>>,
}

impl core::fmt::Debug for DemoWorld {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DemoWorld")
            .field("customers", &self.customers.len())
            .finish_non_exhaustive()
    }
}

/// The demo could not be prepared or a customer is unknown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// Making the PKI or issuing failed.
    #[error("issuing the demo credentials: {0}")]
    Issue(String),
    /// The simulated wallet failed.
    #[error("demo wallet: {0}")]
    Wallet(String),
    /// The credential to tamper with has no `age_over_20 = false` to rewrite.
    #[error("demo: nothing to tamper with in the credential")]
    Tamper,
    /// No customer of that name.
    #[error("no demo customer {0:?}")]
    NoSuchCustomer(String),
}

fn claims(birth: time::Date, issued: time::Date) -> Json {
    let d = |x: time::Date| format!("{:04}-{:02}-{:02}", x.year(), u8::from(x.month()), x.day());
    let expiry = issued.replace_year(issued.year() + 5).unwrap_or(issued);
    json!({
        "family_name": "Demokyaku", "given_name": "Hanako", "birth_date": d(birth),
        "issue_date": d(issued), "expiry_date": d(expiry), "issuing_country": "JP",
        "issuing_authority": "Kakunin demo public safety commission",
        "document_number": "DEMO-0001", "portrait": DEMO_PORTRAIT_B64,
        "un_distinguishing_sign": "J",
        "driving_privileges": [{"vehicle_category_code": "B", "issue_date": d(issued), "expiry_date": d(expiry)}],
    })
}

/// A small JPEG (the ISO 18013-5 Annex D portrait), base64.
const DEMO_PORTRAIT_B64: &str = include_str!("../assets/demo-portrait.b64");

fn years_before(now: time::OffsetDateTime, years: i32) -> time::Date {
    let d = now.date();
    d.replace_year(d.year() - years)
        .or_else(|_| {
            d.replace_day(28)
                .and_then(|x| x.replace_year(x.year() - years))
        })
        .unwrap_or(d)
}

impl DemoWorld {
    /// Make the test PKI (dated 90 days back so an expired credential of two months ago is
    /// inside the certificates' validity) and the customers. Each press of a customer's
    /// button issues a fresh single-use credential into a fresh in-memory wallet.
    pub fn new(now: time::OffsetDateTime) -> Result<Self, DemoError> {
        let c = default_provider();
        let issue = |e: &dyn std::fmt::Display| DemoError::Issue(e.to_string());
        let TestPki {
            iaca,
            mut document_signers,
            reader_root,
            reader,
            ..
        } = TestPki::generate(c, "JP", 1, now - time::Duration::days(90)).map_err(|e| issue(&e))?;
        let anchors = TrustAnchors::from_der_certs([iaca.cert_der]).map_err(|e| issue(&e))?;
        let reader_trust =
            TrustAnchors::from_der_certs([reader_root.cert_der]).map_err(|e| issue(&e))?;
        if document_signers.is_empty() {
            return Err(DemoError::Issue("no document signer".into()));
        }
        let document_signer = document_signers.swap_remove(0);
        let customers = SPECS
            .into_iter()
            .map(|(id, label, age, shift_days, behaviour)| Customer {
                id,
                label,
                age,
                shift_days,
                behaviour,
            })
            .collect();
        Ok(DemoWorld {
            document_signer,
            anchors,
            reader_signer: ReaderAuthSigner::new(vec![reader.cert_der], reader.key),
            reader_trust,
            customers,
            pending: Mutex::new(HashMap::new()),
        })
    }

    /// The demo IACA (the till trusts it in demo mode).
    pub fn anchors(&self) -> &TrustAnchors {
        &self.anchors
    }

    /// The customers, for the page's buttons.
    pub fn list(&self) -> Vec<Json> {
        self.customers
            .iter()
            .map(|c| json!({"id": c.id, "label": c.label}))
            .collect()
    }

    /// The demo's reader certificate (readerAuth of a till without its own).
    pub fn reader_signer(&self) -> &ReaderAuthSigner {
        &self.reader_signer
    }

    /// The customer's phone shows its engagement: a fresh credential in a fresh wallet, a
    /// fresh ephemeral key and a BLE retrieval method (mdoc peripheral server mode, a random
    /// service UUID).
    pub fn engage(&self, id: &str) -> Result<Engagement, DemoError> {
        let (index, customer) = self
            .customers
            .iter()
            .enumerate()
            .find(|(_, c)| c.id == id)
            .ok_or_else(|| DemoError::NoSuchCustomer(id.chars().take(64).collect()))?;
        let store = MemoryStore::new();
        self.issue_credential(customer, &store, time::OffsetDateTime::now_utc())?;
        let (de, _uuid, session) =
            qr_ble_engagement(default_provider()).map_err(|e| DemoError::Issue(e.to_string()))?;
        let uri = kakunin_transport::qr::engagement_uri(&de);
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if pending.len() >= MAX_PENDING {
            pending.clear();
        }
        pending.insert(
            de.clone(),
            PendingPhone {
                customer: index,
                store,
                session,
            },
        );
        Ok(Engagement {
            uri,
            device_engagement: de,
        })
    }

    /// A fresh single-use credential in the customer's wallet (each press of the button is
    /// a new presentation, as a real wallet's batch would give); the tampering customer's is
    /// altered after issuance.
    fn issue_credential(
        &self,
        customer: &Customer,
        store: &dyn CredentialStore,
        now: time::OffsetDateTime,
    ) -> Result<(), DemoError> {
        let c = default_provider();
        let issue = |e: &dyn std::fmt::Display| DemoError::Issue(e.to_string());
        let ds = &self.document_signer;
        let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
        let from = now + time::Duration::days(customer.shift_days - 1);
        let validity = ValidityInfo {
            signed: from,
            valid_from: from,
            valid_until: from + time::Duration::days(30),
            expected_update: None,
        };
        let birth = years_before(now, customer.age) - time::Duration::days(10);
        let elements =
            elements_from_json(DocProfile::Mdl, &claims(birth, from.date()), from.date())
                .map_err(|e| issue(&e))?;
        let key = c.generate_key(Curve::P256).map_err(|e| issue(&e))?;
        let public = c.public_key(&key).map_err(|e| issue(&e))?;
        let cred = issuer
            .issue(
                DocProfile::Mdl.doc_type(),
                &elements,
                &public,
                validity,
                None,
            )
            .map_err(|e| issue(&e))?;
        let mut issuer_signed = cred.issuer_signed;
        if customer.behaviour == Behaviour::Tamper && !tamper_age(&mut issuer_signed) {
            return Err(DemoError::Tamper);
        }
        store
            .store("mdl-demo", &cred.doc_type, &issuer_signed, &key)
            .map_err(|e| DemoError::Wallet(e.to_string()))
    }

    fn take(&self, engagement: &Engagement) -> Option<(&Customer, PendingPhone)> {
        let phone = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&engagement.device_engagement)?;
        Some((self.customers.get(phone.customer)?, phone))
    }
}

/// Sessions with the demo's simulated phones; other engagements go to `fallback` (the
/// till's [`crate::session::FlowRunner`]).
pub struct DemoRunner {
    world: Arc<DemoWorld>,
    policy: AgePolicy,
    signer: ReaderAuthSigner,
    holder_policy: HolderPolicy,
    fallback: Option<Arc<dyn SessionRunner>>,
    deadline: Duration,
    trust: Option<Arc<TrustStore>>,
}

impl core::fmt::Debug for DemoRunner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DemoRunner")
    }
}

impl DemoRunner {
    /// A runner for the world's customers, judging by `policy`, signing readerAuth with the
    /// demo's reader certificate (the phones require it, verified to the demo reader root).
    pub fn new(world: Arc<DemoWorld>, policy: AgePolicy) -> Self {
        let holder_policy = HolderPolicy {
            reader_trust: Some(world.reader_trust.clone()),
            require_reader_auth: true,
            ..HolderPolicy::default()
        };
        DemoRunner {
            signer: world.reader_signer.clone(),
            world,
            policy,
            holder_policy,
            fallback: None,
            deadline: DEMO_DEADLINE,
            trust: None,
        }
    }

    /// Validate DS chains through the cache of the till's trust snapshot in force (the one
    /// bounded cache the API and the other sessions use).
    pub fn with_chain_cache(mut self, trust: Arc<TrustStore>) -> Self {
        self.trust = Some(trust);
        self
    }

    /// Sign readerAuth with the till's own reader certificate instead. The demo phones do
    /// not know its root, so they accept the request without verifying readerAuth.
    pub fn with_reader(mut self, signer: ReaderAuthSigner) -> Self {
        self.signer = signer;
        self.holder_policy.reader_trust = None;
        self.holder_policy.require_reader_auth = false;
        self
    }

    /// The runner for engagements that are not the demo's (scanned codes).
    pub fn with_fallback(mut self, fallback: Arc<dyn SessionRunner>) -> Self {
        self.fallback = Some(fallback);
        self
    }

    /// The deadline for each answer of a phone (default [`DEMO_DEADLINE`]).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }
}

/// `elementValue` (CBOR text, 12 bytes) followed by `false`.
const ELEMENT_VALUE_FALSE: &[u8] = b"\x6celementValue\xf4";
/// `age_over_20` as a CBOR text string.
const AGE_OVER_20: &[u8] = b"\x6bage_over_20";
/// How far from its identifier an IssuerSignedItem's value can be (the item is a map of
/// digestID, random (16 bytes), elementIdentifier and elementValue).
const ITEM_REACH: usize = 96;

/// Rewrite `age_over_20` from false to true inside the IssuerSignedItemBytes of an
/// IssuerSigned structure, leaving the MSO (and its digest of the item) as signed. Whether
/// it found the element to rewrite.
fn tamper_age(issuer_signed: &mut [u8]) -> bool {
    let Some(at) = issuer_signed
        .windows(AGE_OVER_20.len())
        .position(|w| w == AGE_OVER_20)
    else {
        return false;
    };
    let from = at.saturating_sub(ITEM_REACH);
    let to = (at + AGE_OVER_20.len() + ITEM_REACH).min(issuer_signed.len());
    let Some(window) = issuer_signed.get_mut(from..to) else {
        return false;
    };
    let n = ELEMENT_VALUE_FALSE.len();
    let Some(value) = window
        .windows(n)
        .position(|w| w == ELEMENT_VALUE_FALSE)
        .and_then(|p| window.get_mut(p + n - 1))
    else {
        return false;
    };
    *value = 0xf5;
    true
}

/// The simulated phone's side of the link: its answers take [`PHONE_LATENCY`].
struct SlowPhone<L>(L);

impl<L: MessageLink> MessageLink for SlowPhone<L> {
    fn send(&mut self, m: &[u8]) -> Result<(), LinkError> {
        std::thread::sleep(PHONE_LATENCY);
        self.0.send(m)
    }
    fn receive(&mut self, deadline: Instant) -> Result<Vec<u8>, LinkError> {
        self.0.receive(deadline)
    }
    fn close(&mut self) -> Result<(), LinkError> {
        self.0.close()
    }
}

/// The stalling phone: it takes the till's messages and never answers, until the till
/// closes the link (or a minute passes).
fn stall(phone: &mut dyn MessageLink) {
    let give_up = Instant::now() + Duration::from_secs(60);
    while Instant::now() < give_up {
        match phone.receive(Instant::now() + Duration::from_millis(200)) {
            Ok(_) | Err(LinkError::Timeout) => {}
            Err(_) => break,
        }
    }
}

impl SessionRunner for DemoRunner {
    fn run_session(
        &self,
        engagement: &Engagement,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(Phase),
    ) -> SessionOutcome {
        let Some((customer, phone)) = self.world.take(engagement) else {
            return match &self.fallback {
                Some(f) => f.run_session(engagement, cancel, progress),
                None => SessionOutcome::from(Decision::ng(NgReason::Cancelled)),
            };
        };
        progress(Phase::Connecting);
        let config = reader_config(
            self.world.anchors.clone(),
            &self.policy,
            Some(&self.signer),
            self.deadline,
        );
        let c = default_provider();
        let flow_engagement = FlowEngagement::Qr {
            uri: engagement.uri.clone(),
        };
        let snapshot = self.trust.as_ref().map(|t| t.snapshot());
        let mut flow = match ReaderFlow::new(c, &config, &flow_engagement) {
            Ok(f) => match &snapshot {
                Some(t) => f.with_chain_cache(&t.chain_cache),
                None => f,
            },
            Err(_) => return SessionOutcome::from(Decision::ng(NgReason::Malformed)),
        };
        let (till_end, phone_end) = memory_pair();
        let (mut till_link, mut phone_link) = match (
            BleFramedLink::new(till_end, DEMO_MTU),
            BleFramedLink::new(phone_end, DEMO_MTU),
        ) {
            (Ok(t), Ok(p)) => (t, SlowPhone(p)),
            _ => return SessionOutcome::from(Decision::ng(NgReason::Malformed)),
        };
        let PendingPhone { store, session, .. } = phone;
        let holder_policy = self.holder_policy.clone();
        let stalls = customer.behaviour == Behaviour::Stall;
        std::thread::scope(|s| {
            s.spawn(move || {
                if stalls {
                    stall(&mut phone_link);
                    return;
                }
                let mut holder = HolderLoop::new(&store, holder_policy, session);
                let deadlines = HolderDeadlines {
                    first_message: Duration::from_secs(10),
                    per_message: Duration::from_secs(10),
                };
                run_holder(
                    &mut holder,
                    &mut phone_link,
                    c,
                    &Instant::now,
                    deadlines,
                    time::OffsetDateTime::now_utc(),
                    &mut |_| {},
                );
            });
            run_flow(&mut flow, &mut till_link, cancel, progress)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn every_customer_gets_its_verdict_from_the_reader_flow_on_every_press() {
        let world = Arc::new(DemoWorld::new(time::OffsetDateTime::now_utc()).unwrap());
        let runner = DemoRunner::new(Arc::clone(&world), AgePolicy::default())
            .with_deadline(Duration::from_millis(700));
        let expected = [
            ("adult", None),
            ("nineteen", Some(NgReason::UnderAge)),
            ("expired", Some(NgReason::Expired)),
            ("tampered", Some(NgReason::Tampered)),
            ("stalling", Some(NgReason::Timeout)),
        ];
        let never = AtomicBool::new(false);
        for _ in 0..2 {
            for (id, reason) in expected {
                let e = world.engage(id).unwrap();
                let mut phases = Vec::new();
                let started = Instant::now();
                let out = runner.run_session(&e, &never, &mut |p| phases.push(p));
                assert_eq!(out.decision.verdict.reason(), reason, "{id}");
                assert_eq!(out.decision.portrait.is_some(), reason.is_none(), "{id}");
                assert_eq!(phases.first(), Some(&Phase::Connecting), "{id}");
                if reason == Some(NgReason::Timeout) {
                    // The flow's own per-message deadline, not a sleep.
                    assert!(started.elapsed() >= Duration::from_millis(700));
                    assert!(!phases.contains(&Phase::Verifying));
                    assert!(out.facts.format.is_none());
                } else {
                    assert!(phases.contains(&Phase::Verifying), "{id}: {phases:?}");
                    let facts = out.facts;
                    assert_eq!(facts.doc_type.as_deref(), Some("org.iso.18013.5.1.mDL"));
                    assert!(facts.ds_serial.is_some_and(|s| !s.is_empty()), "{id}");
                    assert!(
                        facts
                            .iaca_subject
                            .as_deref()
                            .is_some_and(|s| s.contains("C=JP")),
                        "{id}"
                    );
                }
                // A session is single-use: the same engagement again is not the demo's.
                let again = runner.run_session(&e, &never, &mut |_| {});
                assert_eq!(again.decision.verdict.reason(), Some(NgReason::Cancelled));
            }
        }
        assert!(matches!(
            world.engage("nobody"),
            Err(DemoError::NoSuchCustomer(_))
        ));
        assert_eq!(world.list().len(), 5);
    }

    #[test]
    fn a_second_session_with_the_same_ds_chain_is_answered_from_the_shared_cache() {
        let world = Arc::new(DemoWorld::new(time::OffsetDateTime::now_utc()).unwrap());
        let trust = Arc::new(TrustStore::fixed(world.anchors().clone()));
        let runner = DemoRunner::new(Arc::clone(&world), AgePolicy::default())
            .with_chain_cache(Arc::clone(&trust));
        let never = AtomicBool::new(false);
        let cache = || {
            let t = trust.snapshot();
            (
                t.chain_cache.hits(),
                t.chain_cache.misses(),
                t.chain_cache.len(),
            )
        };
        assert_eq!(cache(), (0, 0, 0));
        let e = world.engage("adult").unwrap();
        let out = runner.run_session(&e, &never, &mut |_| {});
        assert_eq!(out.decision.verdict.reason(), None);
        assert_eq!(cache(), (0, 1, 1), "the first session validates the chain");
        let e = world.engage("nineteen").unwrap();
        let out = runner.run_session(&e, &never, &mut |_| {});
        assert_eq!(out.decision.verdict.reason(), Some(NgReason::UnderAge));
        assert_eq!(
            cache(),
            (1, 1, 1),
            "the second is a hit on the same DS chain"
        );
    }

    #[test]
    fn the_cancel_flag_ends_a_stalling_session_at_once() {
        let world = Arc::new(DemoWorld::new(time::OffsetDateTime::now_utc()).unwrap());
        let runner = Arc::new(
            DemoRunner::new(Arc::clone(&world), AgePolicy::default())
                .with_deadline(Duration::from_secs(20)),
        );
        let e = world.engage("stalling").unwrap();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            flag.store(true, Ordering::Relaxed);
        });
        let started = Instant::now();
        let out = runner.run_session(&e, &cancel, &mut |_| {});
        assert_eq!(out.decision.verdict.reason(), Some(NgReason::Cancelled));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn tampering_rewrites_only_age_over_20() {
        let mut bytes = b"\x00\x6bage_over_20\x6celementValue\xf4\x6cage_over_21".to_vec();
        let before = bytes.clone();
        assert!(tamper_age(&mut bytes));
        let changed: Vec<usize> = (0..bytes.len())
            .filter(|&i| bytes[i] != before[i])
            .collect();
        assert_eq!(changed, [26]);
        assert!(!tamper_age(&mut b"no such element".to_vec()));
    }
}
