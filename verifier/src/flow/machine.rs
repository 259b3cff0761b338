//! The reader flow as one sans-IO state machine: engagement -> session establishment (ISO
//! 18013-5 clause 9.1.1) -> DeviceRequest with readerAuth -> DeviceResponse -> the complete
//! report (9.3.1) -> the verdict of the policy ([`crate::verdict`]). The same session may carry
//! the SD-JWT VC request of docs/profiles/sd-jwt-proximity.md as a second SessionData when
//! the mdoc response held no accepted document.
//!
//! Like rustls and quinn-proto it does no I/O and reads no clock: [`ReaderFlow::start`] gives
//! the first message, [`ReaderFlow::handle`] takes each answer and says what to send next or
//! that the flow is done; time is an argument. Session failures become verdict reasons as
//! docs/verdict.md tabulates.

use super::config::{ReaderConfig, SdJwtMode};
use super::engagement::Engagement;
use super::FlowError;
use crate::verdict::{Decision, NgReason, Verdict};
use crate::{verify_sd_jwt_response, ChainCache, ResponseReport, SdJwtResponseResult, Verifier};
use kakunin_core::crypto::{CryptoProvider, EcPrivateKey};
use kakunin_transport::link::LinkError;
use kakunin_transport::session::{Event, ProximityError, ReaderSession};
use time::OffsetDateTime;

/// Where the flow is, for a UI (the till shows "connecting", then "verifying").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// The request is on its way; waiting for the phone.
    Connecting,
    /// A response arrived and is being verified.
    Verifying,
    /// The verdict is in.
    Done,
}

/// Why a flow ended without a verdict from the policy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowFailure {
    /// The session failed (a message that does not decrypt or decode, a peer error status).
    #[error("session: {0}")]
    Session(ProximityError),
    /// The link failed.
    #[error("link: {0}")]
    Link(LinkError),
    /// The phone did not answer before the deadline.
    #[error("the phone did not answer before the deadline")]
    Timeout,
    /// The clerk (or the customer) cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The phone ended the session before answering.
    #[error("the phone ended the session without a response")]
    EndedByPeer,
    /// More messages than the flow allows.
    #[error("too many messages in one session")]
    TooManyMessages,
    /// The reader could not build its own request.
    #[error("request: {0}")]
    Request(FlowError),
}

impl FlowFailure {
    /// The verdict reason for this failure (docs/verdict.md, "session failures").
    pub fn reason(&self) -> NgReason {
        match self {
            FlowFailure::Session(e) => session_failure_reason(e),
            FlowFailure::Link(e) => link_failure_reason(e),
            FlowFailure::Timeout => NgReason::Timeout,
            FlowFailure::Cancelled | FlowFailure::EndedByPeer => NgReason::Cancelled,
            FlowFailure::TooManyMessages | FlowFailure::Request(_) => NgReason::Malformed,
        }
    }
}

/// The verdict reason when the session itself fails: a response that does not decrypt
/// (another session's response, a replay, a tampered ciphertext) is `device_auth_failed`;
/// everything else (does not decode, oversize, a peer error status 10/11, an unknown status)
/// is `malformed`.
pub fn session_failure_reason(e: &ProximityError) -> NgReason {
    match e {
        ProximityError::Decrypt { .. } => NgReason::DeviceAuthFailed,
        _ => NgReason::Malformed,
    }
}

/// The verdict reason when the link fails: silence or a lost link is `timeout`, broken
/// framing or a card refusing an APDU is `malformed`.
pub fn link_failure_reason(e: &LinkError) -> NgReason {
    match e {
        LinkError::Framing { .. } | LinkError::Card { .. } | LinkError::Misuse(_) => {
            NgReason::Malformed
        }
        _ => NgReason::Timeout,
    }
}

/// How a flow ended: the decision, the complete reports behind it, and the transcript.
#[derive(Debug)]
pub struct FlowOutcome {
    /// OK / NG with its one reason, the credential kind, the portrait (only with OK).
    pub decision: Decision,
    /// The DeviceResponse report, when a DeviceResponse arrived.
    pub mdoc: Option<ResponseReport>,
    /// The SD-JWT VC results, when an SD-JWT response arrived.
    pub sd_jwt: Option<SdJwtResponseResult>,
    /// SessionTranscriptBytes (tag 24) of this session.
    pub transcript: Vec<u8>,
    /// The progress states passed through, in order.
    pub progress: Vec<Progress>,
    /// The last message to send before closing the link (status 20, or the error status).
    pub final_message: Option<Vec<u8>>,
    /// Why the flow ended without a policy verdict, if it did.
    pub failure: Option<FlowFailure>,
    /// How many returned elements (mdoc) and claims (SD-JWT VC) the request did not ask for
    /// and were dropped from [`FlowOutcome::mdoc`] and [`FlowOutcome::sd_jwt`] before the
    /// verdict (see [`keep_requested`], [`keep_requested_claims`]); their values are never
    /// shown.
    pub unrequested_elements: usize,
    /// The status check of each SD-JWT VC presentation of [`FlowOutcome::sd_jwt`], in its
    /// order (empty when no status source is configured or no SD-JWT response arrived).
    pub sd_jwt_status: Vec<crate::StatusReport>,
    /// The CRL revocation check of each presentation's `x5c` chain, in the same order
    /// (empty when no CRLs are configured).
    pub sd_jwt_revocation: Vec<crate::RevocationReport>,
}

/// Drop from `report` every element the till did not ask for in `requests` (docType ->
/// elements), so that neither the verdict nor anything shown beside it can use an element the
/// customer was not asked to share; returns how many were dropped. An element is requested
/// when its docType, namespace and identifier were asked for, or when it is an `age_over_NN`
/// in a namespace where some `age_over_MM` was asked for (ISO 18013-5 clause 7.2.5: a wallet
/// without the asked threshold answers with the nearest one). The document's checks are
/// untouched: an unrequested element whose digest does not match still fails the document.
pub fn keep_requested(
    report: &mut ResponseReport,
    requests: &[(String, Vec<kakunin_core::mdoc::RequestedElement>)],
) -> usize {
    let is_age = |id: &str| {
        id.strip_prefix("age_over_")
            .is_some_and(|nn| !nn.is_empty() && nn.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut dropped = 0;
    for doc in &mut report.documents {
        let asked: &[kakunin_core::mdoc::RequestedElement] = requests
            .iter()
            .find(|(doc_type, _)| *doc_type == doc.doc_type)
            .map(|(_, els)| els.as_slice())
            .unwrap_or_default();
        let before = doc.elements.len();
        doc.elements.retain(|e| {
            asked.iter().any(|r| {
                r.namespace == e.namespace
                    && (r.element == e.identifier || (is_age(&r.element) && is_age(&e.identifier)))
            })
        });
        dropped += before - doc.elements.len();
    }
    dropped
}

/// Claims of an SD-JWT VC that are about the credential, not its subject, and are kept
/// whatever was asked (SD-JWT VC §3.2.2: issuer, type, validity, holder key, status).
const SD_JWT_CREDENTIAL_CLAIMS: [&str; 8] = [
    "iss",
    "vct",
    "vct#integrity",
    "iat",
    "nbf",
    "exp",
    "cnf",
    "status",
];

/// Drop from each verified SD-JWT VC in `result` every claim the till did not ask for in
/// `requests` (per `vct`: claim paths, `.` between the levels of a nested object, as in
/// docs/profiles/sd-jwt-proximity.md), so that a wallet disclosing more than asked shows
/// nothing more; returns how many claims were dropped. The credential's own claims
/// ([`SD_JWT_CREDENTIAL_CLAIMS`]) stay. The checks are untouched: every presented
/// Disclosure was verified before, and a bad one fails the presentation.
pub fn keep_requested_claims(
    result: &mut SdJwtResponseResult,
    requests: &[kakunin_core::sdjwt::proximity::SdJwtRequest],
) -> usize {
    let Ok((_, presentations)) = result else {
        return 0;
    };
    let mut dropped = 0;
    for verified in presentations.iter_mut().filter_map(|r| r.as_mut().ok()) {
        let vct = verified
            .claims
            .get("vct")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let asked: Vec<&str> = requests
            .iter()
            .filter(|r| vct.as_deref() == Some(r.vct.as_str()))
            .flat_map(|r| r.claims.iter().map(String::as_str))
            .collect();
        dropped += prune_claims(&mut verified.claims, &asked, true);
    }
    dropped
}

/// Keep in `claims` only the paths in `asked` (and, at the top, the credential's claims);
/// how many were removed. Recursion is bounded by the depth of the requested paths.
fn prune_claims(
    claims: &mut serde_json::Map<String, serde_json::Value>,
    asked: &[&str],
    top: bool,
) -> usize {
    let mut dropped = 0;
    let keys: Vec<String> = claims.keys().cloned().collect();
    for key in keys {
        if (top && SD_JWT_CREDENTIAL_CLAIMS.contains(&key.as_str()))
            || asked.iter().any(|p| *p == key)
        {
            continue;
        }
        let prefix = format!("{key}.");
        let deeper: Vec<&str> = asked
            .iter()
            .filter_map(|p| p.strip_prefix(prefix.as_str()))
            .collect();
        match claims.get_mut(&key) {
            Some(serde_json::Value::Object(inner)) if !deeper.is_empty() => {
                dropped += prune_claims(inner, &deeper, false);
            }
            _ => {
                claims.remove(&key);
                dropped += 1;
            }
        }
    }
    dropped
}

/// What to do after a message from the phone. Deliberately exhaustive: a driver must handle
/// every instruction, and a new one should fail to compile rather than be ignored.
#[derive(Debug)]
pub enum Step {
    /// Send this message and wait for the next answer.
    Send(Vec<u8>),
    /// The flow is over: send `final_message` if any, close the link.
    Done(Box<FlowOutcome>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ready,
    AwaitingMdoc,
    AwaitingSdJwt,
    Done,
}

/// The reader's flow for one customer.
pub struct ReaderFlow<'c> {
    config: &'c ReaderConfig,
    session: ReaderSession,
    e_reader_key: EcPrivateKey,
    state: State,
    progress: Vec<Progress>,
    mdoc: Option<(ResponseReport, Decision)>,
    unrequested: usize,
    chain_cache: Option<&'c ChainCache>,
    /// The SD-JWT leg's status and revocation checks, handed to the outcome.
    sd_checks: (Vec<crate::StatusReport>, Vec<crate::RevocationReport>),
}

impl core::fmt::Debug for ReaderFlow<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReaderFlow")
            .field("state", &self.state)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

impl<'c> ReaderFlow<'c> {
    /// A flow for `engagement` under `config`, with a fresh ephemeral reader key (on the curve
    /// of EDeviceKey) made by `crypto`.
    pub fn new(
        crypto: &dyn CryptoProvider,
        config: &'c ReaderConfig,
        engagement: &Engagement,
    ) -> Result<Self, FlowError> {
        let engaged = engagement.resolve()?;
        let curve = engaged.device_engagement.security.e_device_key.curve();
        let e_reader_key = crypto.generate_key(curve).map_err(FlowError::Crypto)?;
        let session = ReaderSession::new(
            crypto,
            &engaged.device_engagement_bytes,
            &engaged.handover,
            &e_reader_key,
        )
        .map_err(FlowError::Session)?;
        Ok(ReaderFlow {
            config,
            session,
            e_reader_key,
            state: State::Ready,
            progress: Vec::new(),
            mdoc: None,
            unrequested: 0,
            chain_cache: None,
            sd_checks: (Vec::new(), Vec::new()),
        })
    }

    /// Validate the DS chain through `cache` (a till's one bounded cache of validated chains,
    /// shared by its sessions and its API): a chain validated under these anchors within the
    /// hour is not validated again ([`ChainCache`]).
    pub fn with_chain_cache(mut self, cache: &'c ChainCache) -> Self {
        self.chain_cache = Some(cache);
        self
    }

    /// The deadlines this flow runs under.
    pub fn deadlines(&self) -> super::Deadlines {
        self.config.deadlines
    }

    /// SessionTranscriptBytes (tag 24) of this session.
    pub fn transcript(&self) -> &[u8] {
        self.session.transcript().tagged_bytes()
    }

    /// The progress states so far.
    pub fn progress(&self) -> &[Progress] {
        &self.progress
    }

    /// The flow is over.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The first message: SessionEstablishment carrying the encrypted DeviceRequest (or the
    /// SD-JWT request, with [`SdJwtMode::Only`]).
    pub fn start(&mut self, crypto: &dyn CryptoProvider) -> Result<Vec<u8>, FlowError> {
        if self.state != State::Ready {
            return Err(FlowError::WrongState("start"));
        }
        let (request, next) = match self.config.sd_jwt {
            SdJwtMode::Only => (self.config.sd_jwt_request(), State::AwaitingSdJwt),
            SdJwtMode::Never | SdJwtMode::Fallback => (
                self.config
                    .device_request(crypto, self.session.transcript())
                    .map_err(FlowError::ReaderAuth)?,
                State::AwaitingMdoc,
            ),
        };
        let msg = self
            .session
            .request(crypto, &request)
            .map_err(FlowError::Session)?;
        self.state = next;
        self.progress.push(Progress::Connecting);
        Ok(msg)
    }

    fn finish(
        &mut self,
        decision: Decision,
        sd_jwt: Option<SdJwtResponseResult>,
        final_message: Option<Vec<u8>>,
        failure: Option<FlowFailure>,
    ) -> FlowOutcome {
        self.state = State::Done;
        self.progress.push(Progress::Done);
        let (sd_jwt_status, sd_jwt_revocation) = std::mem::take(&mut self.sd_checks);
        FlowOutcome {
            sd_jwt_status,
            sd_jwt_revocation,
            decision,
            mdoc: self.mdoc.take().map(|(report, _)| report),
            sd_jwt,
            transcript: self.transcript().to_vec(),
            progress: self.progress.clone(),
            final_message,
            failure,
            unrequested_elements: self.unrequested,
        }
    }

    fn fail(&mut self, failure: FlowFailure, final_message: Option<Vec<u8>>) -> FlowOutcome {
        // A failure of the exchange is the verdict, whatever an earlier leg said.
        let decision = Decision::ng(failure.reason());
        self.finish(decision, None, final_message, Some(failure))
    }

    /// Handle one message from the phone at `now`.
    pub fn handle(&mut self, crypto: &dyn CryptoProvider, msg: &[u8], now: OffsetDateTime) -> Step {
        let awaiting = self.state;
        if !matches!(awaiting, State::AwaitingMdoc | State::AwaitingSdJwt) {
            return Step::Done(Box::new(
                self.fail(FlowFailure::Request(FlowError::WrongState("handle")), None),
            ));
        }
        let (response, terminated) = match self.session.handle(crypto, msg) {
            Ok(Event::Response {
                response,
                terminated,
            }) => (response, terminated),
            Ok(Event::Terminated) => {
                return Step::Done(Box::new(self.fail(FlowFailure::EndedByPeer, None)))
            }
            Ok(Event::Request(_)) => {
                let bye = self.session.terminate();
                return Step::Done(Box::new(self.fail(
                    FlowFailure::Request(FlowError::WrongState("a request from the mdoc")),
                    Some(bye),
                )));
            }
            Err(e) => {
                let send = e.message_to_send().map(<[u8]>::to_vec);
                return Step::Done(Box::new(self.fail(FlowFailure::Session(e), send)));
            }
        };
        self.progress.push(Progress::Verifying);
        let bye = |s: &mut ReaderSession| (!terminated).then(|| s.terminate());
        if awaiting == State::AwaitingSdJwt {
            let mut result = verify_sd_jwt_response(
                crypto,
                &response,
                self.session.transcript(),
                &self.config.trust,
                now,
            );
            // Only what was asked for is judged and shown.
            self.unrequested += keep_requested_claims(&mut result, &self.config.sd_jwt_requests());
            let statuses = match self.config.status.as_ref().map(|s| &*s.0) {
                Some(source) => {
                    let options = crate::status::StatusOptions::new(source);
                    crate::status::sd_jwt_response_status(
                        crypto,
                        &result,
                        &self.config.trust,
                        Some(&options),
                        now,
                    )
                }
                None => Vec::new(),
            };
            let revocations: Vec<crate::RevocationReport> =
                match (self.config.crls.as_ref(), &result) {
                    (Some(crls), Ok((_, results))) => results
                        .iter()
                        .map(|r| match r {
                            Ok(v) => crate::sd_jwt_revocation(
                                crypto,
                                v,
                                Some(&self.config.trust),
                                Some(&crls.0),
                                now,
                            ),
                            Err(_) => crate::RevocationReport::NotPerformed,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
            let sd_decision =
                self.config
                    .policy
                    .decide_sd_jwt_with_checks(&result, &statuses, &revocations);
            self.sd_checks = (statuses, revocations);
            // The SD-JWT leg found nothing either: the mdoc leg's verdict stands (it may say
            // more, e.g. that a document of another type was offered).
            let decision = match self.mdoc.as_mut() {
                Some((_, first)) if sd_decision.verdict == Verdict::Ng(NgReason::NotDisclosed) => {
                    std::mem::replace(first, Decision::ng(NgReason::NotDisclosed))
                }
                _ => sd_decision,
            };
            let end = bye(&mut self.session);
            return Step::Done(Box::new(self.finish(decision, Some(result), end, None)));
        }
        let mut verifier = Verifier::new(&self.config.trust)
            .with_crypto(crypto)
            .with_reader_key(&self.e_reader_key);
        if let Some(source) = self.config.status.as_ref().map(|s| &*s.0) {
            verifier = verifier.with_status(crate::status::StatusOptions::new(source));
        }
        if let Some(crls) = &self.config.crls {
            verifier = verifier.with_crls(&crls.0);
        }
        if let Some(cache) = self.chain_cache {
            verifier = verifier.with_chain_cache(cache);
        }
        let mut report = verifier.verify_device_response(&response, self.transcript(), now);
        // Only what was asked for is judged and shown.
        self.unrequested = keep_requested(&mut report, &self.config.doc_requests());
        let decision = self.config.policy.decide_mdoc(&report);
        let accepted = report.documents.iter().any(|d| {
            self.config
                .policy
                .mdoc_documents
                .iter()
                .any(|a| a.doc_type == d.doc_type)
        });
        // Only an answer that decoded and disclosed nothing accepted falls back to SD-JWT: a
        // malformed response is the verdict (NG malformed), not a reason to ask again.
        let fall_back = self.config.sd_jwt == SdJwtMode::Fallback
            && !terminated
            && !accepted
            && decision.verdict == Verdict::Ng(NgReason::NotDisclosed)
            && !self.config.policy.sd_jwt_vcts.is_empty();
        if fall_back {
            let request = self.config.sd_jwt_request();
            self.mdoc = Some((report, decision));
            return match self.session.request(crypto, &request) {
                Ok(m) => {
                    self.state = State::AwaitingSdJwt;
                    self.progress.push(Progress::Connecting);
                    Step::Send(m)
                }
                Err(e) => {
                    let bye = self.session.terminate();
                    Step::Done(Box::new(
                        self.fail(FlowFailure::Request(FlowError::Session(e)), Some(bye)),
                    ))
                }
            };
        }
        let end = bye(&mut self.session);
        self.mdoc = Some((report, Decision::ng(NgReason::NotDisclosed)));
        Step::Done(Box::new(self.finish(decision, None, end, None)))
    }

    /// No answer before the deadline: NG `timeout`; the outcome's final message ends the
    /// session (status 20).
    pub fn on_timeout(&mut self) -> FlowOutcome {
        let bye = self.session.terminate();
        self.fail(FlowFailure::Timeout, Some(bye))
    }

    /// The clerk cancelled: NG `cancelled`; the final message ends the session (status 20).
    pub fn cancel(&mut self) -> FlowOutcome {
        let bye = self.session.terminate();
        self.fail(FlowFailure::Cancelled, Some(bye))
    }

    /// The link failed: NG with the link's reason (docs/verdict.md); nothing more to send.
    pub fn on_link_error(&mut self, e: LinkError) -> FlowOutcome {
        self.session.terminate();
        self.fail(FlowFailure::Link(e), None)
    }

    /// The reader's own first request could not be built: NG `malformed`.
    pub fn cancel_request(&mut self, e: FlowError) -> FlowOutcome {
        let bye = (self.state != State::Ready).then(|| self.session.terminate());
        self.fail(FlowFailure::Request(e), bye)
    }

    /// More messages than [`super::Deadlines::max_messages`]: NG `malformed`.
    pub fn on_too_many_messages(&mut self) -> FlowOutcome {
        let bye = self.session.terminate();
        self.fail(FlowFailure::TooManyMessages, Some(bye))
    }
}
