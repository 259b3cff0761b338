//! NFC at the till (`transports.nfc_reader`): a thread owned by the server polls one named
//! PC/SC reader and, when a phone or card is presented while the till waits for a customer,
//! runs kakunin_verifier's reader flow over NFC — engagement by negotiated handover (TNEP,
//! ISO 18013-5 clause 8.2.2.1 with the NFC Forum's Connection Handover) or, when the card
//! offers no handover service, static handover (the Handover Select in its NDEF file); then
//! data transfer over [`NfcMessageLink`] (8.3.3.1.2: ENVELOPE / GET RESPONSE) — through the
//! same session state machine, page states, audit row and chain cache as a BLE session.
//!
//! Bounds: each poll blocks in `SCardGetStatusChange` for at most [`POLL_WAIT`] and an
//! iteration of the loop takes at least [`MIN_ITERATION`], so the loop never spins; while
//! the reader is absent or pcscd is down the page says NFC is unavailable and the loop waits
//! from [`BACKOFF_MIN`] doubling up to [`BACKOFF_MAX`] between attempts. Engagement has the
//! per-answer deadline (`limits.phone_timeout_ms`), the flow its own deadlines. A card
//! removed mid-session fails its next APDU: NG `timeout` (docs/verdict.md: a lost link).
//! "Next customer" and shutdown make the card's next APDU fail at once: NG `cancelled`. The
//! same card is served once: a new session needs the card taken away (or another card).

use crate::api::{self, AppState};
use crate::audit::Transport;
use crate::session::{flow_facts, reader_config, run_flow};
use crate::till::{NfcStatus, Phase, SessionOutcome, Till};
use kakunin_core::crypto::default_provider;
use kakunin_transport::handover::{build_handover_request, NfcCarrier};
use kakunin_transport::link::LinkError;
use kakunin_transport::nfc::{NfcError, NfcReader, ReaderConfig as ApduConfig, Transceive};
use kakunin_transport::nfc_link::{nfc_link_error, NfcMessageLink};
use kakunin_verifier::flow::{link_failure_reason, Engagement as FlowEngagement, ReaderFlow};
use kakunin_verifier::{Decision, NgReason};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest one poll of the reader blocks.
pub const POLL_WAIT: Duration = Duration::from_millis(250);
/// The shortest one iteration of the polling loop takes (a source that answers at once
/// cannot make it spin).
pub const MIN_ITERATION: Duration = Duration::from_millis(50);
/// The first wait after the reader or pcscd was found unavailable.
pub const BACKOFF_MIN: Duration = Duration::from_millis(250);
/// The longest wait between attempts while NFC is unavailable.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How often a wait looks at the stop flag.
const STOP_SLICE: Duration = Duration::from_millis(100);

/// Why NFC is unavailable at the till.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NfcUnavailable {
    /// pcscd is not reachable or failed (pcsc-lite's error, as it prints itself).
    #[error("the PC/SC service (pcscd) is not available: {0}")]
    Service(String),
    /// No reader's name contains the configured name.
    #[error("no PC/SC reader whose name contains {0:?}")]
    NoReader(String),
    /// This build has no PC/SC support.
    #[error("this build has no PC/SC support (build with --features pcsc)")]
    NotBuilt,
}

/// What is in the reader's field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Nothing.
    Empty,
    /// A card; `insertion` changes with every insertion (a swapped card is a new card).
    Card {
        /// The reader's insertion count when the card was seen.
        insertion: u32,
    },
}

/// Where the till's cards come from: one PC/SC reader ([`PcscSource`], `pcsc` feature), or a
/// test double.
pub trait CardSource {
    /// A connected card.
    type Card: Transceive;
    /// The reader's name for the page.
    fn name(&self) -> String;
    /// Wait up to `wait` for a change in the field; what is there now.
    fn poll(&mut self, wait: Duration) -> Result<Presence, NfcUnavailable>;
    /// Connect to the card in the field.
    fn connect(&mut self) -> Result<Self::Card, NfcUnavailable>;
}

/// Sleep `d`, in slices, returning early when `stop` is set.
fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let end = Instant::now() + d;
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let now = Instant::now();
        if now >= end {
            return;
        }
        std::thread::sleep((end - now).min(STOP_SLICE));
    }
}

/// The polling loop: until `stop`, poll `source`, keep the page's NFC state, and hand each
/// newly presented card to `serve` while the till is idle.
pub fn poll_loop<S: CardSource>(
    source: &mut S,
    till: &Till,
    stop: &AtomicBool,
    serve: &mut dyn FnMut(&mut S),
) {
    let mut backoff = BACKOFF_MIN;
    let mut served: Option<u32> = None;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        match source.poll(POLL_WAIT) {
            Err(e) => {
                till.set_nfc(Some(NfcStatus {
                    reader: source.name(),
                    unavailable: Some(e.to_string()),
                }));
                served = None;
                sleep_unless(stop, backoff);
                backoff = backoff.saturating_mul(2).min(BACKOFF_MAX);
                continue;
            }
            Ok(presence) => {
                backoff = BACKOFF_MIN;
                till.set_nfc(Some(NfcStatus {
                    reader: source.name(),
                    unavailable: None,
                }));
                match presence {
                    Presence::Empty => served = None,
                    Presence::Card { insertion } if served != Some(insertion) && till.is_idle() => {
                        served = Some(insertion);
                        serve(source);
                    }
                    Presence::Card { .. } => {}
                }
            }
        }
        sleep_unless(stop, MIN_ITERATION.saturating_sub(started.elapsed()));
    }
}

/// The card as the session sees it: every APDU is refused once the clerk cancels or the
/// server stops, so a session ends at its next APDU whatever the card is doing.
struct Guarded<'a, T> {
    card: T,
    flags: [&'a AtomicBool; 2],
    refused: &'a AtomicBool,
}

/// A guarded card's failure.
#[derive(Debug)]
enum GuardError<E> {
    /// Cancelled ("next customer") or the server is stopping.
    Stopped,
    /// The card failed (removed, reset, pcscd gone).
    Card(E),
    /// The reader returned no status word: the card did not answer (it left the field;
    /// vpcd answers so when its card disconnects mid-command).
    NoAnswer,
}

impl<E: core::fmt::Display> core::fmt::Display for GuardError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            GuardError::Stopped => f.write_str("session cancelled"),
            GuardError::Card(e) => write!(f, "card: {e}"),
            GuardError::NoAnswer => f.write_str("the card did not answer (left the field)"),
        }
    }
}

impl<T: Transceive> Transceive for Guarded<'_, T> {
    type Error = GuardError<T::Error>;

    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        if self.flags.iter().any(|f| f.load(Ordering::Relaxed)) {
            self.refused.store(true, Ordering::Relaxed);
            return Err(GuardError::Stopped);
        }
        let response = self.card.transceive(command).map_err(GuardError::Card)?;
        // Every response APDU ends in SW1 SW2 (ISO/IEC 7816-4 5.1); nothing at all is no
        // answer, which is a lost link (NG timeout), not a malformed answer.
        if response.is_empty() {
            return Err(GuardError::NoAnswer);
        }
        Ok(response)
    }
}

/// Engage over NFC: negotiated handover when the card offers the TNEP handover service,
/// otherwise the static Handover Select from its NDEF file; every APDU before `deadline`.
fn engage<T: Transceive>(
    reader: &mut NfcReader<T>,
    deadline: Instant,
) -> Result<FlowEngagement, LinkError> {
    let mut random = [0u8; 2];
    // A fixed value is still a valid collision-resolution number (the card compares it).
    let _ = default_provider().fill_random(&mut random);
    let handover_request = build_handover_request(
        u16::from_be_bytes(random),
        &NfcCarrier {
            version: 1,
            max_command_data: Some(65535),
            max_response_data: Some(65536),
        },
    )
    .map_err(|_| LinkError::Misuse("Handover Request does not encode"))?;
    let clock = Instant::now;
    match reader.negotiate_handover_until(&handover_request, deadline, &clock) {
        Ok(handover_select) => Ok(FlowEngagement::NfcNegotiated {
            handover_select,
            handover_request,
        }),
        Err(NfcError::NoHandoverService) => {
            let handover_select = reader
                .read_handover_select_until(deadline, &clock)
                .map_err(|e| nfc_link_error(&e))?;
            Ok(FlowEngagement::NfcStatic { handover_select })
        }
        Err(e) => Err(nfc_link_error(&e)),
    }
}

/// Run one NFC session with `card` under the till's trust, policy, reader certificate and
/// deadlines: engagement, the reader flow, the decision.
pub fn run_card<T: Transceive>(
    state: &AppState,
    card: T,
    cancel: &AtomicBool,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(Phase),
) -> SessionOutcome {
    progress(Phase::Connecting);
    let refused = AtomicBool::new(false);
    let per_message = state.config.limits.phone_timeout;
    let mut reader = NfcReader::new(
        Guarded {
            card,
            flags: [cancel, stop],
            refused: &refused,
        },
        ApduConfig::EXTENDED,
    );
    let outcome = match engage(&mut reader, Instant::now() + per_message) {
        Err(e) => {
            eprintln!("kakunin till: NFC engagement: {e}");
            SessionOutcome::from(Decision::ng(link_failure_reason(&e)))
        }
        Ok(engagement) => {
            let trust = state.trust.snapshot();
            let signer = state.reader.as_ref().map(|r| r.signer());
            let mut config = reader_config(
                trust.anchors.clone(),
                &state.policy,
                signer.as_ref(),
                per_message,
            );
            // The trust bundle's and the status cache's lists, as in BLE sessions.
            config.status = trust.status.clone();
            config.crls = trust.crls.clone().map(kakunin_verifier::flow::SharedCrlSet);
            match ReaderFlow::new(default_provider(), &config, &engagement) {
                Err(e) => {
                    eprintln!("kakunin till: NFC session not started: {e}");
                    SessionOutcome::from(Decision::ng(NgReason::Malformed))
                }
                Ok(flow) => {
                    let mut flow = flow.with_chain_cache(&trust.chain_cache);
                    match NfcMessageLink::open(reader) {
                        Ok(mut link) => run_flow(&mut flow, &mut link, cancel, progress),
                        Err(e) => {
                            eprintln!("kakunin till: NFC: {e}");
                            let out = flow.on_link_error(e);
                            SessionOutcome {
                                facts: flow_facts(&out),
                                decision: out.decision,
                            }
                        }
                    }
                }
            }
        }
    };
    if refused.load(Ordering::Relaxed) {
        // The session ended because the clerk moved on (or the till is stopping), not
        // because of the card.
        return SessionOutcome::from(Decision::ng(NgReason::Cancelled));
    }
    outcome
}

/// Serve the card in `source`'s field as one till session, if the till is still idle.
fn serve_card<S: CardSource>(
    state: &AppState,
    handle: &tokio::runtime::Handle,
    source: &mut S,
    stop: &AtomicBool,
) {
    let Ok(session) = state.till.begin_card() else {
        return;
    };
    let cancel = state
        .till
        .cancel_flag(session)
        .unwrap_or_else(|| Arc::new(AtomicBool::new(true)));
    let at = time::OffsetDateTime::now_utc();
    let till = Arc::clone(&state.till);
    let mut progress = |p: Phase| till.progress(session, p);
    let outcome = match source.connect() {
        Ok(card) => run_card(state, card, &cancel, stop, &mut progress),
        Err(e) => {
            // Gone before the till could talk to it.
            eprintln!("kakunin till: NFC: {e}");
            SessionOutcome::from(Decision::ng(NgReason::Timeout))
        }
    };
    handle.block_on(api::conclude_session(
        state,
        session,
        Transport::Nfc,
        at,
        outcome,
    ));
}

/// The NFC polling thread, owned by the server; stopped by [`NfcPoller::stop`].
#[derive(Debug)]
pub struct NfcPoller {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl NfcPoller {
    /// Poll `source` on a thread of its own, serving cards as till sessions of `state`;
    /// session ends are recorded through `handle` (the server's runtime).
    pub fn spawn<S: CardSource + Send + 'static>(
        state: AppState,
        mut source: S,
        handle: tokio::runtime::Handle,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("kakunin-nfc".into())
            .spawn(move || {
                let till = Arc::clone(&state.till);
                poll_loop(&mut source, &till, &flag, &mut |s| {
                    serve_card(&state, &handle, s, &flag);
                });
            })?;
        Ok(NfcPoller {
            stop,
            thread: Some(thread),
        })
    }

    /// Stop polling (a running session ends at its next APDU) and wait for the thread.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One PC/SC reader, by name (substring), through pcsc-lite
/// (kakunin_transport::adapters::pcsc::PcscWatch); reconnects to pcscd after it failed.
#[cfg(feature = "pcsc")]
#[derive(Default)]
pub struct PcscSource {
    filter: String,
    watch: Option<kakunin_transport::adapters::pcsc::PcscWatch>,
}

#[cfg(feature = "pcsc")]
impl PcscSource {
    /// The reader whose name contains `filter`.
    pub fn new(filter: &str) -> Self {
        PcscSource {
            filter: filter.to_string(),
            watch: None,
        }
    }
}

#[cfg(feature = "pcsc")]
fn pcsc_unavailable(
    e: &kakunin_transport::adapters::pcsc::PcscError,
    filter: &str,
) -> NfcUnavailable {
    use kakunin_transport::adapters::pcsc::PcscError;
    match e {
        PcscError::NoReader(_) | PcscError::NoCard(_) => NfcUnavailable::NoReader(filter.into()),
        PcscError::Pcsc(pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable) => {
            NfcUnavailable::NoReader(filter.into())
        }
        other => NfcUnavailable::Service(other.to_string()),
    }
}

#[cfg(feature = "pcsc")]
impl CardSource for PcscSource {
    type Card = kakunin_transport::adapters::pcsc::PcscCard;

    fn name(&self) -> String {
        self.watch
            .as_ref()
            .and_then(|w| w.reader_name())
            .unwrap_or_else(|| self.filter.clone())
    }

    fn poll(&mut self, wait: Duration) -> Result<Presence, NfcUnavailable> {
        use kakunin_transport::adapters::pcsc::{PcscError, PcscWatch, Presence as P};
        let watch = match &mut self.watch {
            Some(w) => w,
            None => self.watch.insert(
                PcscWatch::open(&self.filter).map_err(|e| pcsc_unavailable(&e, &self.filter))?,
            ),
        };
        match watch.poll(wait) {
            Ok(P::Empty) => Ok(Presence::Empty),
            Ok(P::Card { insertion }) => Ok(Presence::Card { insertion }),
            Err(e) => {
                if !matches!(e, PcscError::NoReader(_)) {
                    // pcscd failed or restarted: a new context next time.
                    self.watch = None;
                }
                Err(pcsc_unavailable(&e, &self.filter))
            }
        }
    }

    fn connect(&mut self) -> Result<Self::Card, NfcUnavailable> {
        match &mut self.watch {
            Some(w) => w.connect().map_err(|e| pcsc_unavailable(&e, &self.filter)),
            None => Err(NfcUnavailable::NoReader(self.filter.clone())),
        }
    }
}

/// Start polling the configured NFC reader, if any (`transports.nfc_reader`). In a build
/// without PC/SC the page says NFC is unavailable and nothing polls.
pub(crate) fn start(state: &AppState) -> Option<NfcPoller> {
    let name = state.config.transports.nfc_reader.clone()?;
    spawn_pcsc(state, &name)
}

#[cfg(feature = "pcsc")]
fn spawn_pcsc(state: &AppState, name: &str) -> Option<NfcPoller> {
    let handle = tokio::runtime::Handle::try_current().ok()?;
    match NfcPoller::spawn(state.clone(), PcscSource::new(name), handle) {
        Ok(p) => {
            eprintln!("kakunin till: polling the NFC reader {name:?}");
            Some(p)
        }
        Err(e) => {
            eprintln!("kakunin till: NFC poller not started: {e}");
            state.till.set_nfc(Some(NfcStatus {
                reader: name.into(),
                unavailable: Some(e.to_string()),
            }));
            None
        }
    }
}

#[cfg(not(feature = "pcsc"))]
fn spawn_pcsc(state: &AppState, name: &str) -> Option<NfcPoller> {
    eprintln!("kakunin till: {}", NfcUnavailable::NotBuilt);
    state.till.set_nfc(Some(NfcStatus {
        reader: name.into(),
        unavailable: Some(NfcUnavailable::NotBuilt.to_string()),
    }));
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A reader that is absent `down` polls, then has a card for the rest; it counts polls.
    struct Flaky {
        polls: Arc<Mutex<Vec<Instant>>>,
        down: usize,
        immediate: bool,
    }

    /// A card that answers nothing (never connected to in these tests).
    struct Mute;

    impl Transceive for Mute {
        type Error = std::io::Error;
        fn transceive(&mut self, _: &[u8]) -> Result<Vec<u8>, Self::Error> {
            Err(std::io::ErrorKind::NotConnected.into())
        }
    }

    impl CardSource for Flaky {
        type Card = Mute;
        fn name(&self) -> String {
            "Flaky 00".into()
        }
        fn poll(&mut self, wait: Duration) -> Result<Presence, NfcUnavailable> {
            let mut p = self.polls.lock().unwrap();
            p.push(Instant::now());
            if p.len() <= self.down {
                return Err(NfcUnavailable::Service("pcscd is down".into()));
            }
            if !self.immediate {
                std::thread::sleep(wait);
            }
            Ok(Presence::Card { insertion: 7 })
        }
        fn connect(&mut self) -> Result<Self::Card, NfcUnavailable> {
            Err(NfcUnavailable::NoReader("Flaky".into()))
        }
    }

    #[test]
    fn an_unavailable_reader_backs_off_and_a_present_card_is_served_once() {
        let polls = Arc::new(Mutex::new(Vec::new()));
        let mut source = Flaky {
            polls: Arc::clone(&polls),
            down: 4,
            immediate: true,
        };
        let till = Till::new();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let mut seen = Vec::new();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(4500));
            flag.store(true, Ordering::Relaxed);
        });
        let started = Instant::now();
        let mut served = 0;
        poll_loop(&mut source, &till, &stop, &mut |_| {
            served += 1;
            seen.push(till.view()["nfc"].clone());
        });
        t.join().unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(4800),
            "stops at once"
        );
        let p = polls.lock().unwrap();
        // Down four times: waits of 250, 500, 1000, 2000 ms between them.
        let gaps: Vec<u128> = p
            .windows(2)
            .take(4)
            .map(|w| (w[1] - w[0]).as_millis())
            .collect();
        for (gap, want) in gaps.iter().zip([250u128, 500, 1000, 2000]) {
            assert!(*gap >= want && *gap < want + 200, "{gaps:?}");
        }
        // Then a source that answers at once: at most one poll per MIN_ITERATION.
        let up = p.len() - 4;
        assert!((5..=20).contains(&up), "{up} polls in ~750 ms");
        // The card is served once (it stays in the field), with NFC shown available.
        assert_eq!(served, 1);
        assert_eq!(seen[0]["available"], true);
        assert_eq!(seen[0]["reader"], "Flaky 00");
    }

    /// A phone in the field whose holder is asked to wait: the clerk presses "next
    /// customer" when the till's request (the first ENVELOPE) reaches it.
    struct ClerkMovesOn<'a> {
        card: kakunin_holder_sim::HolderCard<'a>,
        cancel: &'a AtomicBool,
    }

    impl Transceive for ClerkMovesOn<'_> {
        type Error = String;
        fn transceive(&mut self, apdu: &[u8]) -> Result<Vec<u8>, String> {
            if apdu.get(1) == Some(&0xc3) {
                self.cancel.store(true, Ordering::Relaxed);
            }
            self.card.transceive(apdu).map_err(|e| e.to_string())
        }
    }

    #[test]
    fn next_customer_cancels_an_nfc_session_at_its_next_apdu() {
        use kakunin_core::crypto::Curve;
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::Config::new(dir.path());
        config.demo = true;
        let state = rt.block_on(crate::build(config, None)).unwrap();
        let c = default_provider();
        let key = c.generate_key(Curve::P256).unwrap();
        let de = kakunin_core::mdoc::encode_device_engagement(&c.public_key(&key).unwrap(), &[]);
        let carrier = NfcCarrier {
            version: 1,
            max_command_data: Some(65535),
            max_response_data: Some(65536),
        };
        let hs =
            kakunin_transport::handover::build_static_select(&de, None, Some(&carrier)).unwrap();
        let store = kakunin_holder_sim::MemoryStore::new();
        let session = kakunin_transport::session::MdocSession::new(
            key,
            kakunin_core::cbor::wrap_tag24(&de),
            kakunin_transport::handover::nfc_handover(&hs, None),
        );
        let cancel = AtomicBool::new(false);
        let stop = AtomicBool::new(false);
        let card = ClerkMovesOn {
            card: kakunin_holder_sim::HolderCard::new(
                kakunin_transport::nfc::NfcCard::new(&hs).unwrap(),
                kakunin_holder_sim::HolderLoop::new(
                    &store,
                    kakunin_holder_sim::HolderPolicy::default(),
                    session,
                ),
                c,
                time::OffsetDateTime::now_utc(),
            ),
            cancel: &cancel,
        };
        let mut phases = Vec::new();
        let started = Instant::now();
        let out = run_card(&state, card, &cancel, &stop, &mut |p| phases.push(p));
        assert_eq!(out.decision.verdict.reason(), Some(NgReason::Cancelled));
        assert!(
            cancel.load(Ordering::Relaxed),
            "engaged, then cancelled at the request"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(phases.first(), Some(&Phase::Connecting));
        // The same with the server stopping instead.
        let never = AtomicBool::new(false);
        let stopping = AtomicBool::new(true);
        let out = run_card(&state, Mute, &never, &stopping, &mut |_| {});
        assert_eq!(out.decision.verdict.reason(), Some(NgReason::Cancelled));
        // A card that does not answer at all is a lost link.
        let out = run_card(&state, Mute, &never, &never, &mut |_| {});
        assert_eq!(out.decision.verdict.reason(), Some(NgReason::Timeout));
    }

    #[test]
    fn the_page_says_nfc_is_unavailable_while_the_reader_is_down() {
        let polls = Arc::new(Mutex::new(Vec::new()));
        let mut source = Flaky {
            polls: Arc::clone(&polls),
            down: usize::MAX,
            immediate: false,
        };
        let till = Arc::new(Till::new());
        let stop = Arc::new(AtomicBool::new(false));
        let (t2, flag) = (Arc::clone(&till), Arc::clone(&stop));
        let watcher = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(400));
            let v = t2.view();
            flag.store(true, Ordering::Relaxed);
            v
        });
        poll_loop(&mut source, &till, &stop, &mut |_| panic!("no card"));
        let v = watcher.join().unwrap();
        assert_eq!(v["nfc"]["available"], false, "{v}");
        assert!(v["nfc"]["error"].as_str().unwrap().contains("pcscd"), "{v}");
        assert_eq!(v["state"], "waiting");
        assert!(polls.lock().unwrap().len() <= 3);
    }
}
