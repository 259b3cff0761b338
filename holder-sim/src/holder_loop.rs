//! The holder's side of a proximity presentation as one sans-IO machine, whatever the
//! transport: the mdoc session (ISO 18013-5 clause 9.1.1) around the wallet and the consent
//! policy. A DeviceRequest is answered with [`crate::respond`], an SD-JWT request
//! (docs/profiles/sd-jwt-proximity.md) with [`crate::sd_jwt::respond_sd_jwt`]; the plaintext
//! says which.
//!
//! One behaviour on failure: the loop sends the SessionData status the standard assigns
//! (Table 20) exactly once and closes — 10 when a message does not decrypt, 11 when it does
//! not decode, 20 (termination) for anything else, including a failure of the holder's own
//! wallet. [`run_holder`] drives it over any [`MessageLink`], with a deadline on every wait.

use crate::faults::{respond_faulty_or_plain, wrong_moment_status, Fault, FaultKit, FaultLayer};
use crate::respond::{respond_with, HolderError, HolderPolicy, Presentation, RespondOptions};
use crate::sd_jwt::respond_sd_jwt;
use crate::store::CredentialStore;
use kakunin_core::crypto::CryptoProvider;
use kakunin_transport::link::{LinkError, MessageLink};
use kakunin_transport::session::{Event, MdocSession, ProximityError};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Most requests answered in one session (an mdoc request and the SD-JWT fallback, with room
/// to spare); a reader asking more is cut off.
pub const MAX_REQUESTS: usize = 4;

/// What the holder shared in answer to one request (what a wallet would show its user).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Presented {
    /// A DeviceResponse: per DocRequest, what was disclosed, withheld or refused.
    Mdoc(Presentation),
    /// An SD-JWT VC response: per presentation, the claims disclosed.
    SdJwt {
        /// Claim paths disclosed, per presentation sent.
        disclosed: Vec<Vec<String>>,
    },
}

/// Why the holder's session ended abnormally.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HolderFailure {
    /// The reader's message did not decrypt or decode (the status sent says which).
    #[error("session: {0}")]
    Session(ProximityError),
    /// The holder itself failed (its wallet, its keys); the session was terminated.
    #[error("holder: {0}")]
    Holder(HolderError),
    /// The reader asked more than [`MAX_REQUESTS`] times.
    #[error("the reader sent more than {MAX_REQUESTS} requests")]
    TooManyRequests,
    /// The reader went silent.
    #[error("the reader did not send anything before the deadline")]
    Timeout,
    /// The link failed.
    #[error("link: {0}")]
    Link(LinkError),
}

impl HolderFailure {
    /// The cause group of this failure.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            HolderFailure::Session(e) => e.cause(),
            HolderFailure::Holder(e) => e.cause(),
            HolderFailure::TooManyRequests => kakunin_core::Cause::Malformed,
            HolderFailure::Timeout => kakunin_core::Cause::FailedCheck,
            HolderFailure::Link(e) => e.cause(),
        }
    }
}

/// What to do after one message from the reader.
#[derive(Debug, Default)]
pub struct HolderStep {
    /// The message to send back, if any.
    pub send: Option<Vec<u8>>,
    /// The session is over (after sending `send`, close the link).
    pub done: bool,
    /// What was shared in answer to this message.
    pub presented: Option<Presented>,
    /// Why the session ended, when it ended abnormally.
    pub failure: Option<HolderFailure>,
}

/// The holder loop: wallet + consent + session -> answers.
pub struct HolderLoop<'a> {
    store: &'a dyn CredentialStore,
    policy: HolderPolicy,
    session: MdocSession,
    entered_pin: Option<kakunin_core::secret::Pin>,
    reader_crls: Option<&'a kakunin_core::trust::CrlSet>,
    requests: usize,
    closed: bool,
    fault: Option<Fault>,
    fault_kit: FaultKit<'a>,
}

/// Whether a request's plaintext is an SdJwtDeviceRequest (it has `sdJwtRequests`) rather
/// than a DeviceRequest.
fn is_sd_jwt_request(plaintext: &[u8]) -> bool {
    kakunin_core::cbor::decode(plaintext)
        .ok()
        .is_some_and(|item| item.get_text_key("sdJwtRequests").is_some())
}

impl<'a> HolderLoop<'a> {
    /// A loop answering from `store` under `policy` in `session` (the engagement's key,
    /// DeviceEngagementBytes and Handover).
    pub fn new(store: &'a dyn CredentialStore, policy: HolderPolicy, session: MdocSession) -> Self {
        HolderLoop {
            store,
            policy,
            session,
            entered_pin: None,
            reader_crls: None,
            requests: 0,
            closed: false,
            fault: None,
            fault_kit: FaultKit::default(),
        }
    }

    /// Misbehave on purpose (crate::faults, docs/faults.md): a Session-layer profile answers
    /// the first request with its status instead of a response; a Response-layer profile
    /// breaks every DeviceResponse ([`respond_faulty`]). BLE and NFC profiles act in the
    /// transport wrappers ([`crate::faults::BleFaultPipe`], [`crate::faults::NfcFaultCard`]),
    /// not here.
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// What the Response-layer profiles need beyond the wallet ([`FaultKit`]).
    pub fn with_fault_kit(mut self, kit: FaultKit<'a>) -> Self {
        self.fault_kit = kit;
        self
    }

    /// Check readerAuth chains against these CRLs too (crate::RespondOptions::reader_crls):
    /// a revoked reader is untrusted.
    pub fn with_reader_crls(mut self, crls: &'a kakunin_core::trust::CrlSet) -> Self {
        self.reader_crls = Some(crls);
        self
    }

    /// The PIN the user entered (checked against [`HolderPolicy::unlock_pin`]).
    pub fn with_entered_pin(mut self, pin: kakunin_core::secret::Pin) -> Self {
        self.entered_pin = Some(pin);
        self
    }

    /// Set the Handover once negotiated NFC handover finished (before the first message).
    pub fn set_handover(&mut self, handover: Vec<u8>) -> Result<(), ProximityError> {
        self.session.set_handover(handover)
    }

    /// The session is over.
    pub fn is_done(&self) -> bool {
        self.closed || self.session.is_closed()
    }

    fn end(&mut self, send: Option<Vec<u8>>, failure: Option<HolderFailure>) -> HolderStep {
        self.closed = true;
        HolderStep {
            send,
            done: true,
            presented: None,
            failure,
        }
    }

    fn terminate(&mut self, failure: HolderFailure) -> HolderStep {
        let bye = self.session.terminate();
        self.end(Some(bye), Some(failure))
    }

    /// Handle one message from the reader at `now`.
    pub fn handle(
        &mut self,
        crypto: &dyn CryptoProvider,
        msg: &[u8],
        now: OffsetDateTime,
    ) -> HolderStep {
        if self.is_done() {
            return self.end(None, None);
        }
        let request = match self.session.handle(crypto, msg) {
            Ok(Event::Request(r)) => r,
            Ok(Event::Terminated | Event::Response { .. }) => return self.end(None, None),
            Err(e) => {
                let send = e.message_to_send().map(<[u8]>::to_vec);
                return self.end(send, Some(HolderFailure::Session(e)));
            }
        };
        self.requests = self.requests.saturating_add(1);
        if self.requests > MAX_REQUESTS {
            return self.terminate(HolderFailure::TooManyRequests);
        }
        let Some(transcript) = self.session.transcript().cloned() else {
            return self.terminate(HolderFailure::Session(ProximityError::WrongState {
                state: "no transcript",
                action: "respond",
            }));
        };
        if let Some(status) = self.fault.and_then(wrong_moment_status) {
            // The request decrypted and decoded; the profile says otherwise (or ends the
            // session where the response belongs).
            self.session.terminate();
            return self.end(Some(crate::faults::session::status_message(status)), None);
        }
        let response_fault = self.fault.filter(|f| f.layer() == FaultLayer::Response);
        let answered = if is_sd_jwt_request(&request) {
            respond_sd_jwt(
                crypto,
                self.store,
                &request,
                &transcript,
                &self.policy.consent,
                now,
            )
            .map(|(response, disclosed)| (response, Presented::SdJwt { disclosed }))
        } else {
            let options = RespondOptions {
                entered_pin: self.entered_pin.as_ref(),
                reader_crls: self.reader_crls,
            };
            match response_fault {
                // Where the profile has nothing to break, the wallet answers plainly.
                Some(fault) => respond_faulty_or_plain(
                    crypto,
                    self.store,
                    &request,
                    transcript.tagged_bytes(),
                    &self.policy,
                    options,
                    now,
                    fault,
                    &self.fault_kit,
                )
                .map(|(presentation, _not_applicable)| presentation),
                None => respond_with(
                    crypto,
                    self.store,
                    &request,
                    transcript.tagged_bytes(),
                    &self.policy,
                    options,
                    now,
                ),
            }
            .map(|p| (p.response.clone(), Presented::Mdoc(p)))
        };
        let (response, presented) = match answered {
            Ok(a) => a,
            Err(e) => return self.terminate(HolderFailure::Holder(e)),
        };
        match self.session.respond(crypto, &response, false) {
            Ok(out) => HolderStep {
                send: Some(out),
                done: false,
                presented: Some(presented),
                failure: None,
            },
            Err(e) => {
                let send = e.message_to_send().map(<[u8]>::to_vec);
                self.end(send, Some(HolderFailure::Session(e)))
            }
        }
    }

    /// The reader went silent: end the session (status 20).
    pub fn on_timeout(&mut self) -> HolderStep {
        self.terminate(HolderFailure::Timeout)
    }

    /// The link failed: nothing more can be sent.
    pub fn on_link_error(&mut self, e: LinkError) -> HolderStep {
        self.session.terminate();
        self.end(None, Some(HolderFailure::Link(e)))
    }
}

/// How long the holder waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HolderDeadlines {
    /// For the reader's first message (the customer walks up to the till).
    pub first_message: Duration,
    /// For every later message.
    pub per_message: Duration,
}

impl Default for HolderDeadlines {
    /// Two minutes for the reader to start, ten seconds per message afterwards.
    fn default() -> Self {
        HolderDeadlines {
            first_message: Duration::from_secs(120),
            per_message: Duration::from_secs(10),
        }
    }
}

/// What a whole holder session came to.
#[derive(Debug, Default)]
pub struct HolderOutcome {
    /// What was shared, per answered request, in order.
    pub presented: Vec<Presented>,
    /// Why the session ended abnormally, if it did.
    pub failure: Option<HolderFailure>,
}

/// Run `holder` over `link` until the session ends: every wait has a deadline (from `clock`,
/// a monotonic clock), the number of messages is bounded by the loop's request cap, and the
/// final status goes out before the link closes. `on_present` sees each answer as it is
/// sent (for a UI or a log).
pub fn run_holder(
    holder: &mut HolderLoop<'_>,
    link: &mut dyn MessageLink,
    crypto: &dyn CryptoProvider,
    clock: &dyn Fn() -> Instant,
    deadlines: HolderDeadlines,
    now: OffsetDateTime,
    on_present: &mut dyn FnMut(&Presented),
) -> HolderOutcome {
    let mut outcome = HolderOutcome::default();
    let mut wait = deadlines.first_message;
    // Each answered request takes one message; the final status one more.
    for _ in 0..=MAX_REQUESTS.saturating_add(1) {
        let step = match link.receive(clock() + wait) {
            Ok(msg) => holder.handle(crypto, &msg, now),
            Err(LinkError::Timeout) => holder.on_timeout(),
            Err(e) => holder.on_link_error(e),
        };
        wait = deadlines.per_message;
        if let Some(p) = step.presented {
            on_present(&p);
            outcome.presented.push(p);
        }
        if let Some(msg) = &step.send {
            if let Err(e) = link.send(msg) {
                outcome.failure = step.failure.or(Some(HolderFailure::Link(e)));
                let _ = link.close();
                return outcome;
            }
        }
        if step.done {
            outcome.failure = step.failure;
            let _ = link.close();
            return outcome;
        }
    }
    let step = holder.terminate(HolderFailure::TooManyRequests);
    if let Some(msg) = &step.send {
        let _ = link.send(msg);
    }
    let _ = link.close();
    outcome.failure = step.failure;
    outcome
}
