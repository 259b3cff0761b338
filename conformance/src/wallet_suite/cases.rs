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

// ---- valid requests (clause 8.3.2.1, 9.1.4) ----

fn mdl_age_over_20(ctx: &mut Ctx<'_>) -> Judged {
    valid(ctx, vec![mdl(&["age_over_20"])], &[MDL_DOCTYPE])
}

fn mdl_age_and_portrait(ctx: &mut Ctx<'_>) -> Judged {
    valid(ctx, vec![mdl(&["age_over_20", "portrait"])], &[MDL_DOCTYPE])
}

fn jp_pid(ctx: &mut Ctx<'_>) -> Judged {
    valid(
        ctx,
        vec![pid(&["age_over_20", "family_name", "given_name"])],
        &[JP_PID_DOCTYPE],
    )
}

fn mdl_several(ctx: &mut Ctx<'_>) -> Judged {
    valid(
        ctx,
        vec![mdl(&[
            "family_name",
            "given_name",
            "birth_date",
            "issuing_country",
            "document_number",
            "expiry_date",
        ])],
        &[MDL_DOCTYPE],
    )
}

fn intent_to_retain(ctx: &mut Ctx<'_>) -> Judged {
    let mut req = mdl(&["age_over_20", "family_name"]);
    for e in &mut req.1 {
        e.intent_to_retain = true;
    }
    valid(ctx, vec![req], &[MDL_DOCTYPE])
}

fn two_doc_requests(ctx: &mut Ctx<'_>) -> Judged {
    valid(
        ctx,
        vec![mdl(&["age_over_20"]), pid(&["age_over_20", "family_name"])],
        &[MDL_DOCTYPE, JP_PID_DOCTYPE],
    )
}

fn known_and_unknown_doctype(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![
        mdl(&["age_over_20"]),
        (
            UNKNOWN_DOCTYPE.into(),
            vec![el(UNKNOWN_DOCTYPE, "age_over_20")],
        ),
    ];
    let mut j = valid(ctx, requests, &[MDL_DOCTYPE]);
    if j.failing_check.is_none() && j.observed == Observed::Accepted {
        // The docType not returned belongs in documentErrors (clause 8.3.2.1.2.2).
        if !j
            .received
            .contains(&format!("documentErrors: {UNKNOWN_DOCTYPE}"))
        {
            j.failing_check = Some(format!(
                "no documentErrors entry for {UNKNOWN_DOCTYPE} (clause 8.3.2.1.2.2)"
            ));
        }
    }
    j
}

fn sd_jwt_request(ctx: &mut Ctx<'_>) -> Judged {
    let config = reader_config(ctx, Vec::new(), Auth::Trusted, SdJwtMode::Only);
    let sent = format!(
        "SdJwtDeviceRequest (docs/profiles/sd-jwt-proximity.md): {}",
        config
            .sd_jwt_requests()
            .iter()
            .map(|r| format!("{}: {}", r.vct, r.claims.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let deadline = ctx.left();
    let mut flow = try_setup!(
        ReaderFlow::new(ctx.crypto, &config, &ctx.session.engagement).map_err(|e| flow_failed(&e)),
        sent
    );
    let out = run_reader(
        &mut flow,
        ctx.session.link.as_mut(),
        ctx.crypto,
        &Instant::now,
        ctx.config.now,
    );
    let observed = flow_observed(&out, deadline);
    let failing_check = match (&observed, &out.sd_jwt) {
        (Observed::Accepted, Some(Ok((_, list)))) => {
            if let Some(Err(e)) = list.iter().find(|r| r.is_err()) {
                Some(format!("a presentation does not verify: {e}"))
            } else if out.unrequested_elements > 0 {
                Some(format!(
                    "{} claim(s) disclosed that were not requested",
                    out.unrequested_elements
                ))
            } else {
                None
            }
        }
        (Observed::Accepted, _) => Some("no SD-JWT VC response".into()),
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

// ---- requests the wallet must refuse (clause 9.1.4, 8.3.2.1.2.2) ----

fn untrusted_reader_auth(ctx: &mut Ctx<'_>) -> Judged {
    refused(ctx, vec![mdl(&["age_over_20"])], Auth::Untrusted)
}

fn missing_reader_auth(ctx: &mut Ctx<'_>) -> Judged {
    refused(ctx, vec![mdl(&["age_over_20"])], Auth::Missing)
}

fn reader_auth_other_transcript(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![mdl(&["age_over_20"])];
    let sent = format!(
        "{} — over the SessionTranscript of another session",
        describe_request(&requests, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let other = try_setup!(raw_reader(ctx), sent);
    let req = try_setup!(
        device_request(ctx, &requests, Auth::Trusted, other.transcript()),
        sent
    );
    let msg = try_setup!(raw.establishment(ctx.crypto, &req), sent);
    raw_refusal(ctx, &mut raw, &msg, sent)
}

fn reader_auth_other_items(ctx: &mut Ctx<'_>) -> Judged {
    let signed = vec![mdl(&["age_over_20"])];
    let asked = vec![mdl(&["age_over_20", "portrait", "family_name"])];
    let sent = format!(
        "{} — with the readerAuth made for {}",
        describe_request(&asked, Auth::Trusted.label()),
        describe_request(&signed, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let genuine = try_setup!(
        device_request(ctx, &signed, Auth::Trusted, raw.transcript()),
        sent
    );
    let reader_auth = try_setup!(
        DeviceRequest::from_bytes(&genuine)
            .ok()
            .and_then(|d| d.doc_requests.into_iter().next())
            .and_then(|d| d.reader_auth)
            .map(|s| s.raw().to_vec())
            .ok_or_else(|| Failure::Setup("the suite's own readerAuth".into())),
        sent
    );
    let items = asked
        .iter()
        .map(|(d, e)| (encode_items_request(d, e), Some(reader_auth.clone())))
        .collect::<Vec<_>>();
    let msg = try_setup!(
        raw.establishment(ctx.crypto, &encode_device_request(&items)),
        sent
    );
    raw_refusal(ctx, &mut raw, &msg, sent)
}

fn unknown_doctype(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![(
        UNKNOWN_DOCTYPE.to_string(),
        vec![el(UNKNOWN_DOCTYPE, "age_over_20")],
    )];
    let mut j = refused(ctx, requests, Auth::Trusted);
    if matches!(j.observed, Observed::Rejected { .. })
        && !j
            .received
            .contains(&format!("documentErrors: {UNKNOWN_DOCTYPE}"))
    {
        j.failing_check = Some(format!(
            "expected a DeviceResponse with documentErrors for {UNKNOWN_DOCTYPE} and no \
             document (clause 8.3.2.1.2.2)"
        ));
    }
    j
}

fn oversize_request(ctx: &mut Ctx<'_>) -> Judged {
    let names: Vec<String> = (0..OVERSIZE_ELEMENTS)
        .map(|i| format!("kakunin_oversize_{i:04}"))
        .collect();
    let mut els: Vec<&str> = vec!["age_over_20"];
    els.extend(names.iter().map(String::as_str));
    refused(ctx, vec![mdl(&els)], Auth::Trusted)
}

fn unsupported_version(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![mdl(&["age_over_20"])];
    let sent = format!(
        "{} — with DeviceRequest version \"2.0\"",
        describe_request(&requests, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let req = try_setup!(
        device_request(ctx, &requests, Auth::Trusted, raw.transcript()),
        sent
    );
    // "1.0" is text of 3 bytes after its head 0x63; the same length keeps the CBOR valid.
    let Some(at) = req.windows(4).position(|w| w == b"\x631.0") else {
        return setup_failed(Failure::Setup("no version in the request".into()), sent);
    };
    let mut bumped = req;
    if let Some(major) = bumped.get_mut(at + 1) {
        *major = b'2';
    }
    let msg = try_setup!(raw.establishment(ctx.crypto, &bumped), sent);
    raw_refusal(ctx, &mut raw, &msg, sent)
}

// ---- only what was asked (clause 8.3.2.1.2.2) ----

fn no_extra_element(ctx: &mut Ctx<'_>) -> Judged {
    valid(ctx, vec![mdl(&["family_name"])], &[MDL_DOCTYPE])
}

fn no_other_namespace(ctx: &mut Ctx<'_>) -> Judged {
    // PID elements asked under the PID namespace only: nothing of the mDL or of any other
    // namespace may come back.
    valid(ctx, vec![pid(&["given_name"])], &[JP_PID_DOCTYPE])
}

fn element_not_held(ctx: &mut Ctx<'_>) -> Judged {
    let mut j = valid(ctx, vec![mdl(&["age_over_20", NOT_HELD])], &[]);
    if j.failing_check.is_none() {
        let back = j.received.contains(&format!("{MDL_NAMESPACE}/age_over_20"));
        let errored = j
            .received
            .contains(&format!("element errors: {MDL_NAMESPACE}/{NOT_HELD}"));
        j.failing_check = match (back, errored) {
            (false, _) => Some("age_over_20 not returned".into()),
            (true, false) => Some(format!(
                "no element error for {NOT_HELD} (the Document's errors, clause 8.3.2.1.2.2)"
            )),
            (true, true) => None,
        };
    }
    j
}

fn unknown_namespace(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![(
        MDL_DOCTYPE.to_string(),
        vec![
            el(MDL_NAMESPACE, "age_over_20"),
            el("org.kakunin.conformance.unknown", "age_over_20"),
        ],
    )];
    let mut j = valid(ctx, requests, &[]);
    if j.failing_check.is_none() && !j.received.contains(&format!("{MDL_NAMESPACE}/age_over_20")) {
        j.failing_check = Some("age_over_20 not returned".into());
    }
    j
}

// ---- session behaviour (clause 9.1.1, Table 20) ----

fn garbage_ciphertext(ctx: &mut Ctx<'_>) -> Judged {
    let sent =
        "SessionEstablishment whose data is 64 random bytes, not sealed with SKReader".into();
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let mut junk = [0u8; 64];
    if ctx.crypto.fill_random(&mut junk).is_err() {
        junk = [0x5a; 64];
    }
    let msg = raw.establishment_with(junk.to_vec());
    expect_status(ctx, &mut raw, &msg, 10, sent)
}

fn undecodable_establishment(ctx: &mut Ctx<'_>) -> Judged {
    let sent = "a first message that is not CBOR (ff 00 ff 00)".into();
    let mut raw = try_setup!(raw_reader(ctx), sent);
    expect_status(ctx, &mut raw, &[0xff, 0x00, 0xff, 0x00], 11, sent)
}

fn undecodable_request(ctx: &mut Ctx<'_>) -> Judged {
    let sent = "SessionEstablishment whose data decrypts to bytes that are not CBOR".into();
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let msg = try_setup!(raw.establishment(ctx.crypto, &[0xff, 0xfe, 0xfd]), sent);
    let deadline = ctx.left();
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, ctx.deadline);
    // Status 11 either as SessionData status (Table 20) or as the DeviceResponse status
    // "CBOR decoding error" (Table 8).
    if let Answer::Data { plaintext, .. } = &answer {
        let report = verify(ctx, &raw, plaintext);
        let observed = answer_observed(&answer, Some(&report), deadline);
        let failing_check = match (&observed, report.status) {
            (Observed::Rejected { .. }, Some(11)) => None,
            (Observed::Rejected { .. }, s) => Some(format!(
                "expected status 11 (CBOR decoding error, Table 8 or Table 20); DeviceResponse \
                 status {}",
                s.map_or("?".into(), |v| v.to_string())
            )),
            _ => None,
        };
        end_session(ctx);
        return Judged {
            observed,
            failing_check,
            sent,
            received: describe_report(&report),
        }
        .bounded();
    }
    status_judged(ctx, &raw, &answer, 11, sent, deadline)
}

fn skipped_counter(ctx: &mut Ctx<'_>) -> Judged {
    let requests = vec![mdl(&["age_over_20"])];
    let sent = format!(
        "{} — sealed with message counter 2 instead of 1 (clause 9.1.1.5)",
        describe_request(&requests, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let req = try_setup!(
        device_request(ctx, &requests, Auth::Trusted, raw.transcript()),
        sent
    );
    // Counter 1 is used up on a message never sent.
    let _ = try_setup!(raw.data(ctx.crypto, &req), sent);
    let msg = try_setup!(raw.establishment(ctx.crypto, &req), sent);
    expect_status(ctx, &mut raw, &msg, 10, sent)
}

/// The first exchange of a session case: a valid request for `requests`; the answer's
/// report, or the finished judgement when the wallet did not answer with a valid response.
fn first_exchange(
    ctx: &mut Ctx<'_>,
    raw: &mut RawReader,
    requests: &Requests,
    sent: &str,
) -> Result<ResponseReport, Judged> {
    let deadline = ctx.left();
    let req = device_request(ctx, requests, Auth::Trusted, raw.transcript())
        .map_err(|f| setup_failed(f, sent.into()))?;
    let msg = raw
        .establishment(ctx.crypto, &req)
        .map_err(|f| setup_failed(f, sent.into()))?;
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, ctx.deadline);
    check_exchange(ctx, raw, &answer, requests, sent, deadline, "first")
}

fn check_exchange(
    ctx: &Ctx<'_>,
    raw: &RawReader,
    answer: &Answer,
    requests: &Requests,
    sent: &str,
    deadline: Duration,
    which: &str,
) -> Result<ResponseReport, Judged> {
    let Answer::Data { plaintext, .. } = answer else {
        return Err(Judged {
            observed: answer_observed(answer, None, deadline),
            failing_check: Some(format!("no response to the {which} request")),
            sent: sent.into(),
            received: answer.describe(),
        });
    };
    let mut report = verify(ctx, raw, plaintext);
    let extra = keep_requested(&mut report, requests);
    let failing = if let Some(e) = report.all_errors().next() {
        Some(format!("the {which} response does not verify: {e}"))
    } else if extra > 0 {
        Some(format!(
            "the {which} response holds {extra} element(s) not requested"
        ))
    } else if !report.valid() {
        Some(format!("the {which} response holds no document"))
    } else {
        None
    };
    match failing {
        Some(f) => Err(Judged {
            observed: answer_observed(answer, Some(&report), deadline),
            failing_check: Some(f),
            sent: sent.into(),
            received: describe_report(&report),
        }),
        None => Ok(report),
    }
}

fn second_request(ctx: &mut Ctx<'_>) -> Judged {
    let first = vec![mdl(&["age_over_20"])];
    let second = vec![mdl(&["family_name"])];
    let sent = format!(
        "{}, then in the same session (SessionData, counter 2) {}",
        describe_request(&first, Auth::Trusted.label()),
        describe_request(&second, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    let r1 = match first_exchange(ctx, &mut raw, &first, &sent) {
        Ok(r) => r,
        Err(j) => return j.bounded(),
    };
    let deadline = ctx.left();
    let req = try_setup!(
        device_request(ctx, &second, Auth::Trusted, raw.transcript()),
        sent
    );
    let msg = try_setup!(raw.data(ctx.crypto, &req), sent);
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, ctx.deadline);
    let judged = match check_exchange(ctx, &raw, &answer, &second, &sent, deadline, "second") {
        Ok(r2) => Judged {
            observed: Observed::Accepted,
            failing_check: None,
            sent,
            received: format!(
                "first: {}; second: {}",
                describe_report(&r1),
                describe_report(&r2)
            ),
        },
        Err(j) => j,
    };
    end_session(ctx);
    judged.bounded()
}

fn replayed_reader_message(ctx: &mut Ctx<'_>) -> Judged {
    let first = vec![mdl(&["age_over_20"])];
    let second = vec![mdl(&["family_name"])];
    let sent = format!(
        "{}, then {} as SessionData (counter 2), then that same SessionData again",
        describe_request(&first, Auth::Trusted.label()),
        describe_request(&second, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    if let Err(j) = first_exchange(ctx, &mut raw, &first, &sent) {
        return j.bounded();
    }
    let deadline = ctx.left();
    let req = try_setup!(
        device_request(ctx, &second, Auth::Trusted, raw.transcript()),
        sent
    );
    let msg = try_setup!(raw.data(ctx.crypto, &req), sent);
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, ctx.deadline);
    if let Err(j) = check_exchange(ctx, &raw, &answer, &second, &sent, deadline, "second") {
        return j.bounded();
    }
    let deadline = ctx.left();
    let replay = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, ctx.deadline);
    status_judged(ctx, &raw, &replay, 10, sent, deadline)
}

fn reader_termination(ctx: &mut Ctx<'_>) -> Judged {
    let first = vec![mdl(&["age_over_20"])];
    let second = vec![mdl(&["family_name"])];
    let sent = format!(
        "{}, then SessionData status 20 (termination), then {} as SessionData",
        describe_request(&first, Auth::Trusted.label()),
        describe_request(&second, Auth::Trusted.label())
    );
    let mut raw = try_setup!(raw_reader(ctx), sent);
    if let Err(j) = first_exchange(ctx, &mut raw, &first, &sent) {
        return j.bounded();
    }
    let link = ctx.session.link.as_mut();
    if let Err(e) = link.send(&status_message(20)) {
        return Judged::broken(format!("the link failed sending status 20: {e}"), sent);
    }
    // After termination nothing may be answered: the request after it must go unanswered.
    let req = try_setup!(
        device_request(ctx, &second, Auth::Trusted, raw.transcript()),
        sent
    );
    let msg = try_setup!(raw.data(ctx.crypto, &req), sent);
    let quiet = Instant::now() + QUIET.min(ctx.left());
    let answer = raw.exchange(ctx.crypto, ctx.session.link.as_mut(), &msg, quiet);
    let _ = ctx.session.link.close();
    let (observed, failing_check) = match &answer {
        Answer::Link(_) | Answer::Status(_) => (
            Observed::Rejected {
                reason: Some(format!("after termination: {}", answer.describe())),
            },
            None,
        ),
        Answer::Data { .. } => (
            Observed::Accepted,
            Some("the wallet answered a request after the reader ended the session".into()),
        ),
        other => (
            Observed::Broken {
                detail: other.describe(),
            },
            None,
        ),
    };
    Judged {
        observed,
        failing_check,
        sent,
        received: answer.describe(),
    }
    .bounded()
}

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
        let doc = include_str!("../../../docs/conformance-wallet.md");
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
