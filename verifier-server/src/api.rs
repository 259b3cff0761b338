//! The HTTP routes (docs/till-api.md): the verification API for platforms, the till's own
//! endpoints behind the page, and `/healthz`.
//!
//! Every POST needs `Content-Type: application/json` (a browser cannot send that cross-origin
//! without a CORS preflight, which is never answered: no cross-site requests to a till on
//! loopback). Bodies over the cap get 413, malformed JSON 400, each with a typed error body
//! `{"error": {"code", "message"}}`. Verification runs on the request's runtime worker, at
//! most `limits.workers` at once, and the audit row is committed before the answer is sent.

use crate::audit::{AuditRecord, AuditStore, Transport};
use crate::config::{ApiToken, Config};
use crate::demo::DemoWorld;
use crate::till::{EngageError, Engagement, Phase, SessionOutcome, SessionRunner, Till};
use crate::trust::TrustStore;
use crate::verify::{self, AuditFacts, Outcome, Report};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kakunin_verifier::{AgePolicy, Verdict};
use serde::Deserialize;
use serde_json::{json, Value as Json_};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The peer's address, attached to each request by the connection loop.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub(crate) config: Arc<Config>,
    pub(crate) trust: Arc<TrustStore>,
    pub(crate) policy: Arc<AgePolicy>,
    pub(crate) audit: AuditStore,
    pub(crate) till: Arc<Till>,
    pub(crate) runner: Arc<dyn SessionRunner>,
    pub(crate) workers: Arc<Semaphore>,
    pub(crate) demo: Option<Arc<DemoWorld>>,
    pub(crate) reader: Option<Arc<crate::server::ReaderCredentials>>,
}

impl core::fmt::Debug for AppState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppState")
            .field("till_id", &self.config.till_id)
            .finish_non_exhaustive()
    }
}

/// An API error: status and a typed body.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut r = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// The typed error for a request that ran out of time (the deadline middleware).
pub(crate) fn timeout_response() -> Response {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "timeout",
        "the request was not completed within the deadline",
    )
    .into_response()
}

/// The router with every route, for a given state.
pub fn router(state: AppState) -> Router {
    let page = Router::new()
        .route("/", get(crate::page::index))
        .route("/assets/till.css", get(crate::page::css))
        .route("/assets/till.js", get(crate::page::js))
        .route("/api/v1/till/state", get(till_state))
        .route("/api/v1/till/events", get(crate::page::events))
        .route("/api/v1/till/qr.svg", get(crate::page::qr_svg))
        .route("/api/v1/till/portrait", get(portrait))
        .route("/api/v1/till/trust", get(trust_info))
        .route("/api/v1/till/engage", post(engage))
        .route("/api/v1/till/next", post(next_customer))
        .route("/api/v1/till/demo", get(demo_list))
        .route("/api/v1/till/demo/{customer}", post(demo_customer))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            page_auth,
        ));
    let api = Router::new()
        .route("/api/v1/verify/mdoc", post(verify_mdoc))
        .route("/api/v1/verify/sd-jwt", post(verify_sd_jwt))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api_auth,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(page)
        .merge(api)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.limits.max_body_bytes,
        ))
        .with_state(state)
}

fn bearer_ok(token: &ApiToken, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        .is_some_and(|t| token.matches(t))
}

fn unauthorized() -> Response {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "a bearer token is required",
    )
    .into_response()
}

/// The platform API: the bearer token whenever one is configured.
async fn api_auth(State(s): State<AppState>, req: Request, next: Next) -> Response {
    match &s.config.api_token {
        Some(t) if !bearer_ok(t, req.headers()) => unauthorized(),
        _ => next.run(req).await,
    }
}

/// The page and its endpoints: open to the till's own browser (a loopback peer); anyone
/// else needs the bearer token (they show the portrait and drive the till).
async fn page_auth(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let loopback = req
        .extensions()
        .get::<PeerAddr>()
        .is_some_and(|p| p.0.ip().is_loopback());
    if loopback {
        return next.run(req).await;
    }
    match &s.config.api_token {
        Some(t) if bearer_ok(t, req.headers()) => next.run(req).await,
        _ => unauthorized(),
    }
}

/// A JSON body: `Content-Type: application/json`, then serde with unknown fields refused.
fn parse_body<'a, T: serde::Deserialize<'a>>(
    headers: &HeaderMap,
    body: &'a [u8],
) -> Result<T, ApiError> {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad("malformed_json", e.to_string()))
}

/// The body, or 413 past the cap.
fn body_or_413(
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the body is larger than the server accepts",
            )
        } else {
            ApiError::bad("bad_body", e.body_text())
        }
    })
}

fn b64url(field: &'static str, text: &str) -> Result<Vec<u8>, ApiError> {
    kakunin_core::base64url::decode_lenient(text)
        .ok_or_else(|| ApiError::bad("bad_base64", format!("{field} is not base64url")))
}

fn parse_at(at: Option<&str>) -> Result<time::OffsetDateTime, ApiError> {
    match at {
        None => Ok(time::OffsetDateTime::now_utc()),
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|_| ApiError::bad("bad_time", "at is not an RFC 3339 date-time")),
    }
}

/// The body of `POST /api/v1/verify/mdoc`. The base64url texts are borrowed from the body
/// where they hold no JSON escape (always, for base64url), not copied.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MdocRequest<'a> {
    #[serde(borrow)]
    device_response: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    session_transcript: std::borrow::Cow<'a, str>,
    reader_key: Option<String>,
    at: Option<String>,
}

/// The body of `POST /api/v1/verify/sd-jwt`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SdJwtRequest {
    presentation: String,
    aud: String,
    nonce: String,
    at: Option<String>,
}

/// Run a verification on this request's runtime worker, at most `workers` at once.
///
/// A verification is a few hundred microseconds of CPU (two ECDSA checks with a cached DS
/// chain), so it runs where the request is, not on the blocking pool: the hop there and back
/// (two thread wake-ups and a context switch each way) cost about as much CPU as the
/// checks besides the signatures (docs/till.md, Speed). The permit is held until the work
/// returns, so at most `workers` verifications run at once, and a panic in it (a bug) gives
/// a 500 instead of a dropped connection.
async fn run_verification<T>(s: &AppState, work: impl FnOnce() -> T) -> Result<T, ApiError> {
    let permit = s.workers.acquire().await.map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is stopping",
        )
    })?;
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    drop(permit);
    out.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "verification failed to run",
        )
    })
}

/// A new audit row id: 128 bits, hex — the clock's Unix time in milliseconds (48 bits) then
/// 80 random bits, so ids are unique across a chain's tills and in time order.
///
/// Why time-ordered: `id` is the table's primary key, and SQLite keeps it in a B-tree; fully
/// random ids land on a random leaf page each, so every row of a group commit dirtied its
/// own index page (one more 4 KiB WAL frame written and checksummed per row, and page-cache
/// misses as the log grows), where ids in time order append to the same rightmost page
/// (docs/decisions/0014-till-api-speed.md). The time is the server's clock, not the
/// request's `at` (which the caller chooses).
fn new_id() -> String {
    let now = time::OffsetDateTime::now_utc();
    let ms = u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    let mut b = [0u8; 16];
    let (time_part, random_part) = b.split_at_mut(6);
    // The low 48 bits of the time in milliseconds, big-endian: good until the year 10889.
    time_part.copy_from_slice(ms.to_be_bytes().get(2..).unwrap_or(&[0; 6]));
    if kakunin_core::crypto::default_provider()
        .fill_random(random_part)
        .is_err()
    {
        // No randomness: fall back to the clock and a counter (still unique per process).
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = now.unix_timestamp_nanos();
        return format!("{t:x}-{n:x}");
    }
    hex::encode(b)
}

/// The audit row for a verdict and its facts.
pub(crate) fn audit_record(
    config: &Config,
    transport: Transport,
    at: time::OffsetDateTime,
    verdict: Verdict,
    facts: &AuditFacts,
) -> AuditRecord {
    AuditRecord {
        id: new_id(),
        at,
        store_id: config.store_id.clone(),
        till_id: config.till_id.clone(),
        transport: transport.name().into(),
        format: facts.format.map(|f| f.name().to_string()),
        verdict: verdict.label().into(),
        reason: verdict.reason().map(|r| r.code().to_string()),
        doc_type: facts.doc_type.clone(),
        iaca_subject: facts.iaca_subject.clone(),
        ds_subject: facts.ds_subject.clone(),
        ds_serial: facts.ds_serial.clone(),
        country: facts.country.clone(),
        checks: if facts.checks.is_null() {
            "{}".into()
        } else {
            facts.checks.to_string()
        },
    }
}

/// Commit the audit row, then answer.
async fn answer(
    s: &AppState,
    at: time::OffsetDateTime,
    outcome: Outcome<Report>,
) -> Result<Response, ApiError> {
    let verdict = outcome.decision.verdict;
    let detail = outcome.detail;
    let record = audit_record(&s.config, Transport::Api, at, verdict, &outcome.facts);
    let id = record.id.clone();
    s.audit.record(record).await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            format!("the verification could not be recorded: {e}"),
        )
    })?;
    // The portrait is never sent by the API (the report carries what the caller asked for).
    drop(outcome.decision.portrait);
    let body = crate::answer::answer_body(verdict, &outcome.report, &id, detail);
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

async fn verify_mdoc(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_or_413(body)?;
    let req: MdocRequest = parse_body(&headers, &body)?;
    let response = b64url("device_response", &req.device_response)?;
    let transcript = b64url("session_transcript", &req.session_transcript)?;
    let key = match &req.reader_key {
        Some(k) => {
            let der = zeroize::Zeroizing::new(b64url("reader_key", k)?);
            Some(
                kakunin_core::crypto::import_private_key(&der)
                    .map_err(|e| ApiError::bad("bad_reader_key", format!("reader_key: {e}")))?,
            )
        }
        None => None,
    };
    let at = parse_at(req.at.as_deref())?;
    let trust = s.trust.snapshot();
    let policy = Arc::clone(&s.policy);
    let max_age = s.config.max_trust_age;
    let outcome = run_verification(&s, move || {
        verify::verify_mdoc_report_in(
            &trust,
            max_age,
            &policy,
            &response,
            &transcript,
            key.as_ref(),
            at,
        )
    })
    .await?;
    answer(&s, at, outcome).await
}

async fn verify_sd_jwt(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_or_413(body)?;
    let req: SdJwtRequest = parse_body(&headers, &body)?;
    let at = parse_at(req.at.as_deref())?;
    let trust = s.trust.snapshot();
    let policy = Arc::clone(&s.policy);
    let max_age = s.config.max_trust_age;
    let outcome = run_verification(&s, move || {
        verify::verify_sd_jwt_in(
            &trust,
            max_age,
            &policy,
            &req.presentation,
            &req.aud,
            &req.nonce,
            at,
        )
        .into_report()
    })
    .await?;
    answer(&s, at, outcome).await
}

async fn healthz(State(s): State<AppState>) -> Response {
    let t = s.trust.snapshot();
    Json(json!({"status": "ok", "trust_anchors": t.anchors.len()})).into_response()
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn till_state(State(s): State<AppState>) -> Response {
    no_store(Json(s.till.view()).into_response())
}

fn rfc3339(t: time::OffsetDateTime) -> Json_ {
    t.format(&time::format_description::well_known::Rfc3339)
        .map(Json_::String)
        .unwrap_or(Json_::Null)
}

/// The trust data's size and age (shown on the page).
pub(crate) fn trust_view(trust: &TrustStore) -> Json_ {
    let t = trust.snapshot();
    let now = time::OffsetDateTime::now_utc();
    let updated = t.data_time();
    json!({
        "anchors": t.anchors.len(),
        "loaded_at": rfc3339(t.loaded_at),
        "updated_at": rfc3339(updated),
        "age_seconds": (now - updated).whole_seconds().max(0),
        "bundle_version": t.bundle.as_ref().map(|b| b.bundle.version()),
        // When the revocation data goes stale: the earliest nextUpdate of the CRLs in force.
        "crls": t.crls.as_ref().map_or(0, |c| c.len()),
        "crl_next_update": t
            .crls
            .as_deref()
            .and_then(crate::crls::earliest_next_update)
            .map(rfc3339),
        "vicals": t.vicals.iter().map(|v| v.view(now)).collect::<Vec<_>>(),
    })
}

async fn trust_info(State(s): State<AppState>) -> Response {
    no_store(Json(trust_view(&s.trust)).into_response())
}

#[derive(Deserialize)]
struct SessionQuery {
    session: u64,
}

/// The portrait on screen: `Cache-Control: no-store`, only while its result is shown.
async fn portrait(State(s): State<AppState>, Query(q): Query<SessionQuery>) -> Response {
    match s.till.portrait(q.session) {
        Some(bytes) => {
            let kind = if bytes.starts_with(&[0xff, 0xd8]) {
                "image/jpeg"
            } else {
                "image/jp2"
            };
            let mut r = (StatusCode::OK, bytes.to_vec()).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            no_store(r)
        }
        None => no_store(
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_portrait",
                "no portrait on screen",
            )
            .into_response(),
        ),
    }
}

/// The body of `POST /api/v1/till/engage`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EngageRequest {
    uri: String,
}

fn engage_error(e: EngageError) -> ApiError {
    match e {
        EngageError::Busy => ApiError::new(StatusCode::CONFLICT, "busy", e.to_string()),
        other => ApiError::bad("bad_engagement", other.to_string()),
    }
}

/// Start a session with an engagement and run it in the background; 202 with its number.
pub(crate) fn start_session(
    s: &AppState,
    engagement: Engagement,
    transport: Transport,
) -> Result<u64, EngageError> {
    let session = s.till.begin(engagement.clone())?;
    let cancel = s
        .till
        .cancel_flag(session)
        .unwrap_or_else(|| Arc::new(std::sync::atomic::AtomicBool::new(true)));
    let st = s.clone();
    tokio::spawn(async move {
        let till = Arc::clone(&st.till);
        let runner = Arc::clone(&st.runner);
        let at = time::OffsetDateTime::now_utc();
        // One session at a time (Till::begin), so it does not take one of the API's workers.
        // Past the policy's maximum trust age nothing is judged (conclude_session answers NG
        // "trust data too old"), so the phone is not even contacted.
        let too_old = st.trust.snapshot().too_old(st.config.max_trust_age, at);
        let outcome = if too_old {
            SessionOutcome::from(kakunin_verifier::Decision::ng(
                kakunin_verifier::NgReason::StatusUnknown,
            ))
        } else {
            let ran = tokio::task::spawn_blocking(move || {
                let mut progress = |p: Phase| till.progress(session, p);
                runner.run_session(&engagement, &cancel, &mut progress)
            })
            .await;
            ran.unwrap_or_else(|_| {
                SessionOutcome::from(kakunin_verifier::Decision::ng(
                    kakunin_verifier::NgReason::Cancelled,
                ))
            })
        };
        conclude_session(&st, session, transport, at, outcome).await;
    });
    Ok(session)
}

/// A till session ended (started at `at`): commit its audit row, then show its result,
/// cleared after the result timeout. Shared by every transport's sessions.
pub(crate) async fn conclude_session(
    st: &AppState,
    session: u64,
    transport: Transport,
    at: time::OffsetDateTime,
    outcome: SessionOutcome,
) {
    // Past the policy's maximum trust age every session, whatever the transport, is NG
    // "trust data too old" (docs/verdict.md), and its row says so.
    let (outcome, detail) = if st.trust.snapshot().too_old(st.config.max_trust_age, at) {
        let o = verify::trust_too_old(crate::audit::CredentialFormat::Mdoc);
        let facts = crate::verify::AuditFacts {
            format: None,
            ..o.facts
        };
        (
            SessionOutcome {
                decision: o.decision,
                facts,
            },
            o.detail,
        )
    } else {
        (outcome, None)
    };
    let record = audit_record(
        &st.config,
        transport,
        at,
        outcome.decision.verdict,
        &outcome.facts,
    );
    // The row first: a result the clerk saw is always in the log.
    if let Err(e) = st.audit.record(record).await {
        eprintln!("kakunin till: audit store: {e}");
    }
    st.till
        .finish_with_detail(session, outcome.decision, detail);
    let timeout = st.config.limits.result_timeout;
    let till = Arc::clone(&st.till);
    tokio::spawn(async move {
        tokio::time::sleep(timeout).await;
        till.clear(Some(session));
    });
}

async fn engage(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_or_413(body)?;
    let req: EngageRequest = parse_body(&headers, &body)?;
    let engagement = Engagement::from_uri(&req.uri).map_err(engage_error)?;
    let session = start_session(&s, engagement, Transport::QrBle).map_err(engage_error)?;
    Ok((StatusCode::ACCEPTED, Json(json!({"session": session}))).into_response())
}

async fn next_customer(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_or_413(body)?;
    let _: Json_ = parse_body(&headers, if body.is_empty() { b"{}" } else { &body })?;
    let cleared = s.till.clear(None);
    Ok(Json(json!({"cleared": cleared, "state": s.till.view()})).into_response())
}

async fn demo_list(State(s): State<AppState>) -> Response {
    match &s.demo {
        Some(d) => Json(json!({"customers": d.list()})).into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "no_demo",
            "start the till with --demo",
        )
        .into_response(),
    }
}

async fn demo_customer(
    State(s): State<AppState>,
    Path(customer): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_or_413(body)?;
    let _: Json_ = parse_body(&headers, if body.is_empty() { b"{}" } else { &body })?;
    let Some(demo) = &s.demo else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_demo",
            "start the till with --demo",
        ));
    };
    let engagement = demo
        .engage(&customer)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "no_such_customer", e.to_string()))?;
    let session = start_session(&s, engagement, Transport::Demo).map_err(engage_error)?;
    Ok((StatusCode::ACCEPTED, Json(json!({"session": session}))).into_response())
}

#[cfg(test)]
mod tests {
    use super::new_id;

    #[test]
    fn audit_ids_are_128_bits_unique_and_in_time_order() {
        let before = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let ids: Vec<String> = (0..1000).map(|_| new_id()).collect();
        let after = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let mut seen = std::collections::HashSet::new();
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
            let ms = i128::from_str_radix(&id[..12], 16).unwrap();
            assert!((before..=after).contains(&ms), "{id}: {before}..{after}");
            assert!(seen.insert(id.clone()), "{id} twice");
        }
        // Ids of later milliseconds sort after earlier ones (the B-tree appends).
        assert!(ids.windows(2).all(|w| w[0][..12] <= w[1][..12]));
        // The random part differs within one millisecond.
        assert!(ids
            .windows(2)
            .any(|w| w[0][..12] == w[1][..12] && w[0] != w[1]));
    }
}
