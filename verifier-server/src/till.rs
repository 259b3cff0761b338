//! The till's in-process state machine (docs/till.md, "The page"):
//!
//! ```text
//! Waiting/Ready --engage--> Connecting --> Verifying --> Result{verdict, reason, portrait?}
//!       ^                                                   |
//!       +------------- next customer / result timeout ------+
//! ```
//!
//! A session is run by a [`SessionRunner`]: `run_session(engagement, cancel, progress) ->
//! SessionOutcome`. The runners ([`crate::session::FlowRunner`] for scanned codes,
//! [`crate::demo::DemoRunner`] for the demo's phones) run kakunin_verifier's reader flow over
//! a link; the till only sees the phases it reports and the [`Decision`] at the end. "Next
//! customer" during a session sets the session's cancel flag (the flow ends NG `cancelled`
//! within 50 ms) and the till is ready at once. Every change is published on a watch
//! channel the page's Server-Sent Events stream follows. The portrait lives in memory only,
//! while the result is on screen, and is wiped when the state is cleared.

use crate::verify::AuditFacts;
use kakunin_verifier::{Decision, NgReason, Portrait, Verdict};
use serde_json::{json, Value as Json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// A customer's device engagement, as the till read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engagement {
    /// The `mdoc:` URI (what the QR code holds).
    pub uri: String,
    /// The DeviceEngagement bytes, as received.
    pub device_engagement: Vec<u8>,
}

/// Why an engagement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngageError {
    /// Not an `mdoc:` URI with a base64url DeviceEngagement.
    #[error("engagement URI: {0}")]
    Uri(#[from] kakunin_transport::qr::QrError),
    /// The DeviceEngagement does not decode (ISO 18013-5 clause 8.2.1.1).
    #[error("DeviceEngagement: {0}")]
    Engagement(String),
    /// A session is already running or its result is on screen.
    #[error("the till is busy with another customer")]
    Busy,
}

impl Engagement {
    /// Read an `mdoc:` URI (clause 8.2.2.3) and check that its DeviceEngagement decodes.
    pub fn from_uri(uri: &str) -> Result<Self, EngageError> {
        let device_engagement = kakunin_transport::qr::parse_engagement_uri(uri)?;
        kakunin_core::mdoc::DeviceEngagement::from_bytes(&device_engagement)
            .map_err(|e| EngageError::Engagement(e.to_string()))?;
        Ok(Engagement {
            uri: uri.trim().to_string(),
            device_engagement,
        })
    }
}

/// The phases a session reports while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Opening the link to the phone (BLE/NFC) and the session.
    Connecting,
    /// The response arrived; verifying it.
    Verifying,
}

/// What a session ended with: the decision and, when a response was verified, the facts the
/// audit log keeps.
#[derive(Debug)]
pub struct SessionOutcome {
    /// OK or NG, with the portrait for OK when the policy asks for it.
    pub decision: Decision,
    /// The audit facts (empty when no response was verified, e.g. a timeout).
    pub facts: AuditFacts,
}

impl From<Decision> for SessionOutcome {
    fn from(decision: Decision) -> Self {
        SessionOutcome {
            decision,
            facts: AuditFacts::default(),
        }
    }
}

/// Runs one proximity session, from an engagement to a decision. Blocking: the till calls it
/// on the blocking pool. Must return within its own deadline (a stalling phone is
/// `Decision::ng(NgReason::Timeout)`) and soon after `cancel` is set (NG `cancelled`).
pub trait SessionRunner: Send + Sync + 'static {
    /// Run the session; report phases through `progress`; give up when `cancel` is set.
    fn run_session(
        &self,
        engagement: &Engagement,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(Phase),
    ) -> SessionOutcome;
}

/// The till's state.
#[derive(Debug)]
pub enum TillState {
    /// No customer yet (after start).
    Waiting,
    /// Connecting to the customer's phone.
    Connecting,
    /// The response arrived and is being verified.
    Verifying,
    /// The verdict is on screen.
    Result {
        /// OK or NG with its reason.
        verdict: Verdict,
        /// The verified portrait (OK only), in memory only.
        portrait: Option<Portrait>,
    },
    /// The last result was cleared; ready for the next customer.
    Ready,
}

impl TillState {
    /// The state's name on the page and in the event stream.
    pub const fn name(&self) -> &'static str {
        match self {
            TillState::Waiting => "waiting",
            TillState::Connecting => "connecting",
            TillState::Verifying => "verifying",
            TillState::Result { .. } => "result",
            TillState::Ready => "ready",
        }
    }

    fn idle(&self) -> bool {
        matches!(self, TillState::Waiting | TillState::Ready)
    }
}

struct Inner {
    state: TillState,
    session: u64,
    engagement: Option<Engagement>,
    cancel: Arc<AtomicBool>,
    /// The detail of the result on screen, if its reason's own text would mislead.
    detail: Option<kakunin_verifier::NgDetail>,
    nfc: Option<NfcStatus>,
}

/// The NFC reader's state as the page shows it (`transports.nfc_reader`; docs/till.md, NFC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NfcStatus {
    /// The configured reader name (substring), or the full name once found.
    pub reader: String,
    /// `None` while the reader is there and polled; otherwise why NFC is unavailable
    /// (pcscd not running, no such reader), as the till's own words.
    pub unavailable: Option<String>,
}

/// The till: its state, the engagement it works with, and the event channel.
pub struct Till {
    inner: Mutex<Inner>,
    events: watch::Sender<Json>,
}

impl core::fmt::Debug for Till {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Till")
    }
}

impl Default for Till {
    fn default() -> Self {
        Self::new()
    }
}

impl Till {
    /// A till in `Waiting`.
    pub fn new() -> Self {
        let inner = Inner {
            state: TillState::Waiting,
            session: 0,
            engagement: None,
            cancel: Arc::new(AtomicBool::new(false)),
            detail: None,
            nfc: None,
        };
        let (events, _) = watch::channel(view(&inner));
        Till {
            inner: Mutex::new(inner),
            events,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut g = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let r = f(&mut g);
        self.events.send_replace(view(&g));
        r
    }

    /// Follow the state (the page's event stream).
    pub fn subscribe(&self) -> watch::Receiver<Json> {
        self.events.subscribe()
    }

    /// The state as the page sees it.
    pub fn view(&self) -> Json {
        self.events.borrow().clone()
    }

    /// The session number in force.
    pub fn session(&self) -> u64 {
        self.with(|i| i.session)
    }

    /// The engagement on screen (its QR code), if any.
    pub fn engagement(&self) -> Option<Engagement> {
        self.with(|i| i.engagement.clone())
    }

    /// Start a session with this engagement: `Connecting`, a new session number.
    pub fn begin(&self, engagement: Engagement) -> Result<u64, EngageError> {
        self.with(|i| {
            if !i.state.idle() {
                return Err(EngageError::Busy);
            }
            i.session = i.session.wrapping_add(1);
            i.engagement = Some(engagement);
            i.state = TillState::Connecting;
            i.cancel = Arc::new(AtomicBool::new(false));
            Ok(i.session)
        })
    }

    /// Start a session for a card presented to the NFC reader: `Connecting`, a new session
    /// number, no QR engagement (the engagement is read from the card).
    pub fn begin_card(&self) -> Result<u64, EngageError> {
        self.with(|i| {
            if !i.state.idle() {
                return Err(EngageError::Busy);
            }
            i.session = i.session.wrapping_add(1);
            i.engagement = None;
            i.state = TillState::Connecting;
            i.cancel = Arc::new(AtomicBool::new(false));
            Ok(i.session)
        })
    }

    /// Whether the till waits for a customer (no session running, no result on screen).
    pub fn is_idle(&self) -> bool {
        self.with(|i| i.state.idle())
    }

    /// The NFC reader's state changed (published only when it differs).
    pub fn set_nfc(&self, status: Option<NfcStatus>) {
        let same = match self.inner.lock() {
            Ok(g) => g.nfc == status,
            Err(p) => p.into_inner().nfc == status,
        };
        if !same {
            self.with(|i| i.nfc = status);
        }
    }

    /// The cancel flag of `session` (set by "next customer" while it runs); `None` when
    /// `session` is not the current one.
    pub fn cancel_flag(&self, session: u64) -> Option<Arc<AtomicBool>> {
        self.with(|i| (i.session == session).then(|| Arc::clone(&i.cancel)))
    }

    /// The running session reached a phase (ignored if the session is not the current one).
    pub fn progress(&self, session: u64, phase: Phase) {
        self.with(|i| {
            if i.session == session
                && matches!(i.state, TillState::Connecting | TillState::Verifying)
            {
                i.state = match phase {
                    Phase::Connecting => TillState::Connecting,
                    Phase::Verifying => TillState::Verifying,
                };
            }
        });
    }

    /// The session ended: show its verdict (and the portrait, OK only) — unless the clerk
    /// moved on (cancelled it) meanwhile.
    pub fn finish(&self, session: u64, decision: Decision) {
        self.finish_with_detail(session, decision, None);
    }

    /// [`Till::finish`], with the detail the page shows instead of the reason's own text
    /// ("trust data too old").
    pub fn finish_with_detail(
        &self,
        session: u64,
        decision: Decision,
        detail: Option<kakunin_verifier::NgDetail>,
    ) {
        self.with(|i| {
            if i.session == session
                && matches!(i.state, TillState::Connecting | TillState::Verifying)
            {
                i.detail = detail;
            }
            if i.session == session
                && matches!(i.state, TillState::Connecting | TillState::Verifying)
            {
                let portrait = match decision.verdict {
                    Verdict::Ok => decision.portrait,
                    Verdict::Ng(_) => None,
                };
                i.state = TillState::Result {
                    verdict: decision.verdict,
                    portrait,
                };
            }
        });
    }

    /// "Next customer" (`None`: whatever is shown or running), or the result timeout for
    /// `session`: forget the result, the portrait and the engagement; `Ready`. With `None`,
    /// a running session is cancelled (its flag set; its late result is not shown).
    pub fn clear(&self, session: Option<u64>) -> bool {
        self.with(|i| {
            if session.is_some_and(|s| s != i.session) {
                return false;
            }
            let running = matches!(i.state, TillState::Connecting | TillState::Verifying);
            if running && session.is_none() {
                i.cancel.store(true, Ordering::Relaxed);
                i.state = TillState::Ready;
                i.engagement = None;
                return true;
            }
            if !matches!(i.state, TillState::Result { .. }) {
                return false;
            }
            // Dropping the state drops the Portrait, which zeroizes its bytes.
            i.state = TillState::Ready;
            i.engagement = None;
            true
        })
    }

    /// A copy of the portrait on screen for `session`, for the page (never stored).
    pub fn portrait(&self, session: u64) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        self.with(|i| match &i.state {
            TillState::Result {
                portrait: Some(p), ..
            } if i.session == session => Some(zeroize::Zeroizing::new(p.bytes().to_vec())),
            _ => None,
        })
    }
}

fn view(i: &Inner) -> Json {
    let (verdict, reason, portrait) = match &i.state {
        TillState::Result { verdict, portrait } => {
            (Some(verdict.label()), verdict.reason(), portrait.is_some())
        }
        _ => (None, None, false),
    };
    let detail = i.detail.filter(|d| reason == Some(d.reason()));
    json!({
        "state": i.state.name(),
        "session": i.session,
        "engaged": i.engagement.is_some(),
        "verdict": verdict,
        "reason": reason.map(NgReason::code),
        "detail": detail.map(kakunin_verifier::NgDetail::code),
        "text_en": detail.map(kakunin_verifier::NgDetail::text_en).or(reason.map(NgReason::text_en)),
        "text_ja": detail.map(kakunin_verifier::NgDetail::text_ja).or(reason.map(NgReason::text_ja)),
        "portrait": portrait,
        "nfc": i.nfc.as_ref().map(|n| json!({
            "reader": n.reader,
            "available": n.unavailable.is_none(),
            "error": n.unavailable,
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engagement() -> Engagement {
        let c = kakunin_core::crypto::default_provider();
        let k = c
            .public_key(&c.generate_key(kakunin_core::crypto::Curve::P256).unwrap())
            .unwrap();
        let de = kakunin_core::mdoc::encode_device_engagement(&k, &[]);
        Engagement::from_uri(&kakunin_transport::qr::engagement_uri(&de)).unwrap()
    }

    #[test]
    fn a_session_walks_the_states_and_clear_forgets_everything() {
        let till = Till::new();
        assert_eq!(till.view()["state"], "waiting");
        let s = till.begin(engagement()).unwrap();
        assert_eq!(till.view()["state"], "connecting");
        assert_eq!(till.begin(engagement()), Err(EngageError::Busy));
        till.progress(s, Phase::Verifying);
        assert_eq!(till.view()["state"], "verifying");
        till.finish(s, Decision::ng(NgReason::UnderAge));
        let v = till.view();
        assert_eq!(
            (v["state"].as_str(), v["verdict"].as_str()),
            (Some("result"), Some("NG"))
        );
        assert_eq!(v["reason"], "under_age");
        assert!(till.portrait(s).is_none());
        assert!(!till.clear(Some(s + 1)), "a stale timeout clears nothing");
        assert!(till.clear(Some(s)));
        assert_eq!(till.view()["state"], "ready");
        assert!(till.engagement().is_none());
        assert!(till.begin(engagement()).is_ok());
    }

    #[test]
    fn next_customer_cancels_a_running_session_and_its_late_result_is_not_shown() {
        let till = Till::new();
        let s = till.begin(engagement()).unwrap();
        let flag = till.cancel_flag(s).unwrap();
        assert!(till.cancel_flag(s + 1).is_none());
        assert!(!flag.load(Ordering::Relaxed));
        assert!(
            !till.clear(Some(s)),
            "the result timeout does not cancel a session"
        );
        assert!(till.clear(None));
        assert!(flag.load(Ordering::Relaxed));
        assert_eq!(till.view()["state"], "ready");
        till.finish(s, Decision::ng(NgReason::Cancelled));
        assert_eq!(till.view()["state"], "ready");
        let s2 = till.begin(engagement()).unwrap();
        assert!(!till.cancel_flag(s2).unwrap().load(Ordering::Relaxed));
    }

    #[test]
    fn bad_engagements_are_refused() {
        assert!(matches!(
            Engagement::from_uri("https://example.com"),
            Err(EngageError::Uri(_))
        ));
        assert!(matches!(
            Engagement::from_uri("mdoc:oWFhYWI"),
            Err(EngageError::Engagement(_))
        ));
    }
}
