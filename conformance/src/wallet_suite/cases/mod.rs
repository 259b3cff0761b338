//! The wallet cases: each opens one session with the wallet under test, sends its requests
//! (through the verifier's reader flow, or byte by byte for the session cases), and judges
//! the answers — fully verified against the suite's IACA, with their status codes and the
//! way the session ends (ISO 18013-5 clauses 8.3.2.1, 9.1.1, 9.1.4; Tables 8 and 20).
//!
//! The wallet profile the cases assume (docs/conformance.md): an mDL (namespace
//! `org.iso.18013.5.1`: age_over_20, portrait, family_name, given_name, birth_date,
//! issuing_country, document_number, expiry_date) and a JP PID mdoc (`org.kakunin.jp.pid.1`)
//! issued under the suite's IACA, several of each (credentials are single-use); consent to
//! every request of a trusted reader; readerAuth required, with the suite's reader root as
//! the wallet's reader trust.

use super::judge::{
    answer_observed, check_answer, describe_outcome, describe_report, describe_request,
    flow_observed, Judged,
};
use super::raw::{status_message, Answer, RawReader};
use super::{Failure, WalletSession, WalletSuiteConfig};
use crate::case::{Expected, Observed};
use kakunin_core::crypto::CryptoProvider;
use kakunin_core::mdoc::{
    encode_device_request, encode_items_request, DeviceRequest, RequestedElement, JP_PID_DOCTYPE,
    JP_PID_NAMESPACE, MDL_DOCTYPE, MDL_NAMESPACE,
};
use kakunin_verifier::flow::{
    keep_requested, run_reader, Deadlines, FlowOutcome, ReaderAuthSigner, ReaderConfig, ReaderFlow,
    RequestSpec, SdJwtMode,
};
use kakunin_verifier::{ResponseReport, Verifier};
use std::time::{Duration, Instant};

/// A docType no issuer uses.
const UNKNOWN_DOCTYPE: &str = "org.kakunin.conformance.unknown.1";
/// An element no mDL holds.
const NOT_HELD: &str = "kakunin_conformance_not_held";
/// Elements in one oversize ItemsRequest: over the 1024 a holder is expected to handle
/// (kakunin_core::mdoc::limits::MAX_ELEMENTS).
const OVERSIZE_ELEMENTS: usize = 2000;
/// How long the suite listens for silence after the session should have ended.
const QUIET: Duration = Duration::from_millis(500);

/// What one case has to work with.
pub(crate) struct Ctx<'a> {
    pub(crate) crypto: &'a dyn CryptoProvider,
    pub(crate) config: &'a WalletSuiteConfig,
    pub(crate) session: WalletSession,
    pub(crate) deadline: Instant,
}

impl Ctx<'_> {
    fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// What a correct wallet does with a case.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Accept,
    Reject(&'static str),
}

/// Whether a case's failure fails the run.
#[derive(Debug, Clone, Copy)]
enum Need {
    Required,
    /// Required only with [`WalletSuiteConfig::sd_jwt_required`].
    SdJwt,
    /// Required only with [`WalletSuiteConfig::jp_pid_required`] (the JP PID mdoc).
    JpPid,
}

/// One case of the suite.
pub(crate) struct Case {
    pub(crate) id: &'static str,
    pub(crate) description: &'static str,
    need: Need,
    expect: Expect,
    pub(crate) run: fn(&mut Ctx<'_>) -> Judged,
}

impl Case {
    pub(crate) fn expected(&self) -> Expected {
        match self.expect {
            Expect::Accept => Expected::Accept,
            Expect::Reject(reason) => Expected::Reject {
                reason: reason.into(),
            },
        }
    }

    pub(crate) fn required(&self, config: &WalletSuiteConfig) -> bool {
        match self.need {
            Need::Required => true,
            Need::SdJwt => config.sd_jwt_required,
            Need::JpPid => config.jp_pid_required,
        }
    }
}

fn el(namespace: &str, element: &str) -> RequestedElement {
    RequestedElement {
        namespace: namespace.into(),
        element: element.into(),
        intent_to_retain: false,
    }
}

fn mdl(elements: &[&str]) -> (String, Vec<RequestedElement>) {
    (
        MDL_DOCTYPE.into(),
        elements.iter().map(|e| el(MDL_NAMESPACE, e)).collect(),
    )
}

fn pid(elements: &[&str]) -> (String, Vec<RequestedElement>) {
    (
        JP_PID_DOCTYPE.into(),
        elements.iter().map(|e| el(JP_PID_NAMESPACE, e)).collect(),
    )
}

type Requests = Vec<(String, Vec<RequestedElement>)>;

/// Who signs readerAuth.
#[derive(Clone, Copy)]
enum Auth {
    Trusted,
    Untrusted,
    Missing,
}

impl Auth {
    fn signer(self, config: &WalletSuiteConfig) -> Option<ReaderAuthSigner> {
        match self {
            Auth::Trusted => Some(config.reader.clone()),
            Auth::Untrusted => Some(config.untrusted_reader.clone()),
            Auth::Missing => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Auth::Trusted => "signed by the suite's trusted reader",
            Auth::Untrusted => "signed by a reader under an untrusted root",
            Auth::Missing => "none",
        }
    }
}

fn reader_config(ctx: &Ctx<'_>, requests: Requests, auth: Auth, sd: SdJwtMode) -> ReaderConfig {
    let mut config = ReaderConfig::new(ctx.config.trust.clone());
    config.request = RequestSpec::Elements(requests);
    config.reader_auth = auth.signer(ctx.config);
    config.sd_jwt = sd;
    let left = ctx.left();
    config.deadlines = Deadlines {
        per_message: left,
        session: left,
        max_messages: 4,
    };
    config
}

/// Run the verifier's reader flow with `requests` over the case's session.
fn flow(
    ctx: &mut Ctx<'_>,
    requests: &Requests,
    auth: Auth,
    sd: SdJwtMode,
) -> Result<FlowOutcome, Failure> {
    let config = reader_config(ctx, requests.clone(), auth, sd);
    let mut flow = ReaderFlow::new(ctx.crypto, &config, &ctx.session.engagement)
        .map_err(|e| flow_failed(&e))?;
    Ok(run_reader(
        &mut flow,
        ctx.session.link.as_mut(),
        ctx.crypto,
        &Instant::now,
        ctx.config.now,
    ))
}

fn setup_failed(f: Failure, sent: String) -> Judged {
    match f {
        Failure::Setup(detail) => Judged::broken(
            format!("the suite could not build its request: {detail}"),
            sent,
        ),
        Failure::Engagement(detail) => Judged::broken(
            format!("the wallet's engagement is unusable: {detail}"),
            sent,
        ),
    }
}

/// A reader flow that cannot start: the wallet's engagement is at fault when it does not
/// decode (clause 8.2), the suite otherwise.
fn flow_failed(e: &kakunin_verifier::flow::FlowError) -> Failure {
    if e.cause() == kakunin_core::Cause::Malformed {
        Failure::Engagement(e.to_string())
    } else {
        Failure::Setup(format!("reader flow: {e}"))
    }
}

/// A valid request: the wallet must answer with exactly what was asked, fully verified.
fn valid(ctx: &mut Ctx<'_>, requests: Requests, held: &[&str]) -> Judged {
    let sent = describe_request(&requests, Auth::Trusted.label());
    let deadline = ctx.left();
    let out = match flow(ctx, &requests, Auth::Trusted, SdJwtMode::Never) {
        Ok(o) => o,
        Err(f) => return setup_failed(f, sent),
    };
    let observed = flow_observed(&out, deadline);
    let failing_check = match observed {
        Observed::Accepted => check_answer(&out, &requests, held),
        _ => None,
    };
    Judged {
        observed,
        failing_check,
        sent,
        received: describe_outcome(&out),
    }
    .bounded()
}

/// A request the wallet must refuse: no element may come back.
fn refused(ctx: &mut Ctx<'_>, requests: Requests, auth: Auth) -> Judged {
    let sent = describe_request(&requests, auth.label());
    let deadline = ctx.left();
    let out = match flow(ctx, &requests, auth, SdJwtMode::Never) {
        Ok(o) => o,
        Err(f) => return setup_failed(f, sent),
    };
    Judged {
        observed: flow_observed(&out, deadline),
        failing_check: None,
        sent,
        received: describe_outcome(&out),
    }
    .bounded()
}

fn verify(ctx: &Ctx<'_>, raw: &RawReader, plaintext: &[u8]) -> ResponseReport {
    Verifier::new(&ctx.config.trust)
        .with_crypto(ctx.crypto)
        .with_reader_key(raw.e_reader_key())
        .verify_device_response(plaintext, raw.transcript().tagged_bytes(), ctx.config.now)
}

/// A DeviceRequest for `requests`, its readerAuth signed by `auth` over `transcript`.
fn device_request(
    ctx: &Ctx<'_>,
    requests: &Requests,
    auth: Auth,
    transcript: &kakunin_core::mdoc::SessionTranscript,
) -> Result<Vec<u8>, Failure> {
    let config = reader_config(ctx, requests.clone(), auth, SdJwtMode::Never);
    config
        .device_request(ctx.crypto, transcript)
        .map_err(|e| Failure::Setup(format!("readerAuth: {e}")))
}

/// Send `msg` as the session's first message; judge a refusal (nothing disclosed).
fn raw_refusal(ctx: &mut Ctx<'_>, raw: &mut RawReader, msg: &[u8], sent: String) -> Judged {
    let deadline = ctx.left();
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), msg, ctx.deadline);
    let report = match &answer {
        Answer::Data { plaintext, .. } => Some(verify(ctx, raw, plaintext)),
        _ => None,
    };
    let received = match &report {
        Some(r) => describe_report(r),
        None => answer.describe(),
    };
    end_session(ctx);
    Judged {
        observed: answer_observed(&answer, report.as_ref(), deadline),
        failing_check: None,
        sent,
        received,
    }
    .bounded()
}

/// The reader's normal end (status 20) and closing the link; errors do not matter here.
fn end_session(ctx: &mut Ctx<'_>) {
    let _ = ctx.session.link.send(&status_message(20));
    let _ = ctx.session.link.close();
}

/// Expect exactly SessionData status `want` in answer to `msg` (Table 20).
fn expect_status(
    ctx: &mut Ctx<'_>,
    raw: &mut RawReader,
    msg: &[u8],
    want: u64,
    sent: String,
) -> Judged {
    let deadline = ctx.left();
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), msg, ctx.deadline);
    status_judged(ctx, raw, &answer, want, sent, deadline)
}

fn status_judged(
    ctx: &mut Ctx<'_>,
    raw: &RawReader,
    answer: &Answer,
    want: u64,
    sent: String,
    deadline: Duration,
) -> Judged {
    let report = match answer {
        Answer::Data { plaintext, .. } => Some(verify(ctx, raw, plaintext)),
        _ => None,
    };
    let observed = answer_observed(answer, report.as_ref(), deadline);
    let failing_check = match (answer, &observed) {
        (Answer::Status(s), _) if *s == want => None,
        (_, Observed::Rejected { .. }) => Some(format!(
            "expected SessionData status {want} (ISO 18013-5 Table 20); got {}",
            answer.describe()
        )),
        _ => None,
    };
    let _ = ctx.session.link.close();
    Judged {
        observed,
        failing_check,
        sent,
        received: report
            .as_ref()
            .map_or_else(|| answer.describe(), describe_report),
    }
    .bounded()
}

fn raw_reader(ctx: &Ctx<'_>) -> Result<RawReader, Failure> {
    RawReader::new(ctx.crypto, &ctx.session.engagement)
}

macro_rules! try_setup {
    ($e:expr, $sent:expr) => {
        match $e {
            Ok(v) => v,
            Err(f) => return setup_failed(f, $sent),
        }
    };
}

mod only_asked;
mod refusals;
mod session;
mod valid;

use only_asked::*;
use refusals::*;
use session::*;
use valid::*;

/// Every case, in run order.
pub(crate) fn all() -> &'static [Case] {
    &CASES
}

const fn case(
    id: &'static str,
    description: &'static str,
    expect: Expect,
    run: fn(&mut Ctx<'_>) -> Judged,
) -> Case {
    Case {
        id,
        description,
        need: Need::Required,
        expect,
        run,
    }
}

/// A case that needs the JP PID mdoc.
const fn pid_case(
    id: &'static str,
    description: &'static str,
    run: fn(&mut Ctx<'_>) -> Judged,
) -> Case {
    Case {
        id,
        description,
        need: Need::JpPid,
        expect: Expect::Accept,
        run,
    }
}

const REFUSE_DISCLOSURE: &str = "no element disclosed";

static CASES: [Case; 27] = [
    case(
        "wallet/mdl-age-over-20",
        "mDL age_over_20 with a trusted readerAuth: exactly that element, verified (8.3.2.1, 9.1.4)",
        Expect::Accept,
        mdl_age_over_20,
    ),
    case(
        "wallet/mdl-age-and-portrait",
        "mDL age_over_20 and portrait: both, verified (8.3.2.1)",
        Expect::Accept,
        mdl_age_and_portrait,
    ),
    pid_case(
        "wallet/jp-pid",
        "JP PID mdoc (org.kakunin.jp.pid.1): age_over_20, family_name, given_name (docs/profiles/jp-pid-mdoc.md)",
        jp_pid,
    ),
    case(
        "wallet/mdl-several-elements",
        "mDL: six elements of one namespace, all returned and verified (8.3.2.1.2.2)",
        Expect::Accept,
        mdl_several,
    ),
    case(
        "wallet/intent-to-retain",
        "mDL elements with IntentToRetain true: answered like any request (8.3.2.1.2.1)",
        Expect::Accept,
        intent_to_retain,
    ),
    pid_case(
        "wallet/two-doc-requests",
        "one DeviceRequest with two DocRequests (mDL and JP PID): two documents (8.3.2.1.2.1)",
        two_doc_requests,
    ),
    Case {
        id: "wallet/sd-jwt-request",
        description: "the SD-JWT VC request of docs/profiles/sd-jwt-proximity.md: a verified, key-bound presentation with only the asked claims (required only for wallets holding the JP PID SD-JWT VC)",
        need: Need::SdJwt,
        expect: Expect::Accept,
        run: sd_jwt_request,
    },
    case(
        "wallet/known-and-unknown-doctype",
        "mDL and an unknown docType: the mDL, and documentErrors for the other (8.3.2.1.2.2)",
        Expect::Accept,
        known_and_unknown_doctype,
    ),
    case(
        "wallet/untrusted-reader-auth",
        "readerAuth signed by a reader under a root the wallet does not trust: nothing disclosed (9.1.4)",
        Expect::Reject(REFUSE_DISCLOSURE),
        untrusted_reader_auth,
    ),
    case(
        "wallet/missing-reader-auth",
        "no readerAuth, to a wallet that requires it: nothing disclosed (9.1.4)",
        Expect::Reject(REFUSE_DISCLOSURE),
        missing_reader_auth,
    ),
    case(
        "wallet/reader-auth-other-transcript",
        "readerAuth of the trusted reader over another session's SessionTranscript: nothing disclosed (9.1.4, ReaderAuthentication)",
        Expect::Reject(REFUSE_DISCLOSURE),
        reader_auth_other_transcript,
    ),
    case(
        "wallet/reader-auth-other-items",
        "readerAuth of the trusted reader made for another ItemsRequest: nothing disclosed (9.1.4)",
        Expect::Reject(REFUSE_DISCLOSURE),
        reader_auth_other_items,
    ),
    case(
        "wallet/unknown-doctype",
        "a docType the wallet does not hold: documentErrors, no document (8.3.2.1.2.2)",
        Expect::Reject("documentErrors, no document"),
        unknown_doctype,
    ),
    case(
        "wallet/oversize-request",
        "an ItemsRequest of 2001 elements: refused with a status (Table 8 status 10/11/12, or Table 20 status 11/20), nothing disclosed",
        Expect::Reject(REFUSE_DISCLOSURE),
        oversize_request,
    ),
    case(
        "wallet/unsupported-version",
        "DeviceRequest version \"2.0\": refused, nothing disclosed (8.3.2.1.2.1: version 1.x)",
        Expect::Reject(REFUSE_DISCLOSURE),
        unsupported_version,
    ),
    case(
        "wallet/no-extra-element",
        "mDL family_name only: no other element comes back, not even age_over_NN (8.3.2.1.2.2)",
        Expect::Accept,
        no_extra_element,
    ),
    pid_case(
        "wallet/no-other-namespace",
        "JP PID given_name in its namespace: no element of another namespace (8.3.2.1.2.2)",
        no_other_namespace,
    ),
    case(
        "wallet/element-not-held",
        "mDL age_over_20 and an element no mDL holds: age_over_20, and an element error for the other (8.3.2.1.2.2, ErrorCode 0)",
        Expect::Accept,
        element_not_held,
    ),
    case(
        "wallet/unknown-namespace",
        "mDL age_over_20 and an element of an unknown namespace: age_over_20 only (8.3.2.1.2.2)",
        Expect::Accept,
        unknown_namespace,
    ),
    case(
        "wallet/garbage-ciphertext",
        "SessionEstablishment whose data does not decrypt: SessionData status 10 (9.1.1.4, Table 20)",
        Expect::Reject("SessionData status 10"),
        garbage_ciphertext,
    ),
    case(
        "wallet/undecodable-establishment",
        "a first message that is not CBOR: SessionData status 11 (9.1.1.4, Table 20)",
        Expect::Reject("SessionData status 11"),
        undecodable_establishment,
    ),
    case(
        "wallet/undecodable-request",
        "a DeviceRequest plaintext that is not CBOR: status 11, as SessionData (Table 20) or DeviceResponse status (Table 8)",
        Expect::Reject("status 11"),
        undecodable_request,
    ),
    case(
        "wallet/skipped-counter",
        "a request sealed with message counter 2 first: SessionData status 10 (9.1.1.5, Table 20)",
        Expect::Reject("SessionData status 10"),
        skipped_counter,
    ),
    case(
        "wallet/second-request",
        "a second request in the same session (SessionData): a second verified response (9.1.1.4)",
        Expect::Accept,
        second_request,
    ),
    case(
        "wallet/replayed-reader-message",
        "the reader's SessionData sent twice: the replay does not decrypt, SessionData status 10 (9.1.1.5)",
        Expect::Reject("SessionData status 10"),
        replayed_reader_message,
    ),
    case(
        "wallet/reader-termination",
        "after the reader's status 20 the wallet ends the session: a later request goes unanswered (9.1.1.4, Table 20)",
        Expect::Reject("session ended, nothing answered"),
        reader_termination,
    ),
    case(
        "wallet/mdl-age-over-20-again",
        "a fresh session after the others: the wallet still answers (single-use credentials, 9.1.3)",
        Expect::Accept,
        mdl_age_over_20,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_ids_are_unique_and_the_docs_list_each_one() {
        let doc = include_str!("../../../../docs/conformance-wallet.md");
        let mut seen = std::collections::HashSet::new();
        assert!(all().len() >= 25);
        for c in all() {
            assert!(c.id.starts_with("wallet/"), "{}", c.id);
            assert!(seen.insert(c.id), "duplicate {}", c.id);
            assert!(
                doc.contains(&format!("| `{}` |", c.id)),
                "docs/conformance-wallet.md lacks {}",
                c.id
            );
            assert!(!c.description.is_empty());
        }
    }

    #[test]
    fn the_requests_encode_what_they_say() {
        let (doc_type, els) = mdl(&["age_over_20", "portrait"]);
        assert_eq!(doc_type, MDL_DOCTYPE);
        assert!(els
            .iter()
            .all(|e| e.namespace == MDL_NAMESPACE && !e.intent_to_retain));
        let text = describe_request(&[(doc_type, els)], Auth::Missing.label());
        assert_eq!(
            text,
            "DeviceRequest; org.iso.18013.5.1.mDL: org.iso.18013.5.1/age_over_20, \
             org.iso.18013.5.1/portrait; readerAuth: none"
        );
    }
}
