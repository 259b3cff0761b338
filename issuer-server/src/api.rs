//! The HTTP routes (docs/profiles/jpki-enrolment.md):
//!
//! - `POST /enrol/nonce`, `POST /enrol` — enrolment, no authentication (the card is it);
//! - `GET /status/{list}` — the status lists, JWT or CWT by `Accept`, cacheable;
//! - `GET /admin/persons/{id}/devices`, `POST /admin/devices/{id}/revoke`,
//!   `POST /admin/jpki-crl` — administration, bearer token (constant-time compare);
//! - `GET /healthz`.
//!
//! Every refusal is a typed JSON body (crate::error::ApiError). The enrolment's checks run
//! in a fixed order: JSON and sizes, then the nonce is consumed (for good, whatever follows),
//! then the device keys (distinct, each proof of possession), then the applicant's proofing,
//! then issuance (signed off the async workers) and the registry rows in one transaction; the
//! answer is sent after the commit.

use crate::answer_json::array_text;
use crate::config::IssuerConfig;
use crate::error::ApiError;
use crate::issue::{issue_batches, valid_until, IssueContext, IssuedBatch, IssuerKeys};
use crate::links::LinkKey;
use crate::registry::{EnrolmentRecord, Registry, RegistryError};
use crate::status::{Publisher, CWT_MEDIA_TYPE, JWT_MEDIA_TYPE};
use crate::wire::{b64url_encode, nonce_hash, EnrolRequest, ParsedEnrolment};
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kakunin_core::crypto::{CryptoProvider, HashAlg};
use kakunin_core::enrolment::NONCE_LEN;
use kakunin_issuer::proofing::{ApplicantProofing, EnrolmentEvidence};
use serde_json::json;
use std::sync::Arc;

/// Everything a request needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: IssuerConfig,
    pub(crate) crypto: &'static dyn CryptoProvider,
    pub(crate) keys: IssuerKeys,
    pub(crate) registry: Registry,
    pub(crate) proofing: Arc<dyn ApplicantProofing>,
    pub(crate) links: LinkKey,
    /// SHA-256 of the administration token: compared in constant time, fixed length.
    pub(crate) admin_token_hash: zeroize::Zeroizing<Vec<u8>>,
    pub(crate) publisher: Publisher,
    pub(crate) jpki_cas: Vec<Vec<u8>>,
}

impl core::fmt::Debug for AppState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppState")
            .field("public_url", &self.inner.config.public_url)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The registry (tests inspect it).
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The configuration in force.
    pub fn config(&self) -> &IssuerConfig {
        &self.inner.config
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Log a refusal by its code only (no input, no personal data).
fn refused(what: &str, e: ApiError) -> ApiError {
    eprintln!("kakunin issuer: {what} refused: {}", e.code);
    e
}

/// The body, or 413 past the cap.
fn body_or_413(
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::BODY_TOO_LARGE
        } else {
            ApiError::MALFORMED_JSON
        }
    })
}

fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::UNSUPPORTED_MEDIA_TYPE)
    }
}

/// The router with every route, for a given state.
pub fn router(state: AppState) -> Router {
    let admin = Router::new()
        .route("/admin/persons/{id}/devices", get(person_devices))
        .route("/admin/devices/{id}/revoke", post(revoke_device))
        .route("/admin/jpki-crl", post(jpki_crl))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin_auth,
        ));
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/enrol/nonce", post(new_nonce))
        .route("/enrol", post(enrol))
        .route("/status/{list}", get(status_list))
        .merge(admin)
        .fallback(|| async { ApiError::NOT_FOUND })
        .method_not_allowed_fallback(|| async { ApiError::METHOD_NOT_ALLOWED })
        .layer(axum::extract::DefaultBodyLimit::max(
            state.inner.config.limits.max_body_bytes,
        ))
        .with_state(state)
}

async fn admin_auth(State(st): State<AppState>, req: Request, next: Next) -> Response {
    use subtle::ConstantTimeEq;
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    let hash = st.inner.crypto.hash(HashAlg::Sha256, given.as_bytes());
    let ok: bool = hash.ct_eq(st.inner.admin_token_hash.as_slice()).into();
    if !ok || given.is_empty() {
        return refused("admin", ApiError::UNAUTHORIZED).into_response();
    }
    next.run(req).await
}

/// `POST /enrol/nonce`.
async fn new_nonce(
    State(st): State<AppState>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    body_or_413(body)?;
    let i = &st.inner;
    let mut nonce = [0u8; NONCE_LEN];
    i.crypto
        .fill_random(&mut nonce)
        .map_err(|_| ApiError::INTERNAL)?;
    let now = now();
    let expires = now.saturating_add(i64::try_from(i.config.nonce_ttl.as_secs()).unwrap_or(300));
    i.registry
        .put_nonce(&nonce_hash(i.crypto, &nonce), now, expires)
        .await
        .map_err(|e| ApiError::from_registry(&e))?;
    let body = json!({
        "nonce": b64url_encode(&nonce),
        "expires_at": expires,
        "issuer": i.config.public_url,
    });
    Ok((StatusCode::CREATED, no_store(Json(body).into_response())).into_response())
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `POST /enrol`.
async fn enrol(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    enrol_inner(&st, &headers, body)
        .await
        .map_err(|e| refused("enrolment", e))
}

async fn enrol_inner(
    st: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let i = &st.inner;
    let body = body_or_413(body)?;
    require_json(headers)?;
    let req: EnrolRequest = serde_json::from_slice(&body).map_err(|_| ApiError::MALFORMED_JSON)?;
    let parsed = ParsedEnrolment::parse(i.crypto, &req)?;
    drop(req);
    let now = now();
    let nonce_hash = nonce_hash(i.crypto, &parsed.nonce);
    // From here on the nonce is spent, whatever the outcome.
    i.registry
        .consume_nonce(&nonce_hash, now)
        .await
        .map_err(|e| ApiError::from_registry(&e))?;
    parsed.check_distinct()?;
    let thumbprints = parsed.thumbprints();
    let crypto = i.crypto;
    let proofing = Arc::clone(&i.proofing);
    let issuer = i.config.public_url.clone();
    // Signature checks are CPU work: off the async workers.
    let (parsed, applicant) = tokio::task::spawn_blocking(move || {
        parsed.verify_pops(crypto)?;
        let evidence = EnrolmentEvidence {
            issuer: &issuer,
            nonce: &parsed.nonce,
            device_key_thumbprints: &thumbprints,
            signature_certificate: &parsed.signature_certificate,
            signature: &parsed.signature,
            authentication_certificate: &parsed.authentication_certificate,
            authentication_signature: &parsed.authentication_signature,
        };
        let applicant = proofing
            .prove(&evidence, now)
            .map_err(|e| ApiError::from_proofing(&e))?;
        Ok::<_, ApiError>((parsed, applicant))
    })
    .await
    .map_err(|_| ApiError::INTERNAL)??;
    let until = valid_until(now, i.config.validity.as_secs(), applicant.not_after)?;
    let (method, level) = (applicant.method.name(), applicant.level);
    let record = EnrolmentRecord {
        enrolment_id: crate::registry::random_id(crypto).map_err(|_| ApiError::INTERNAL)?,
        nonce_hash,
        auth_link: i
            .links
            .certificate_ref(crypto, &applicant.authentication_certificate),
        facts_link: i.links.facts(crypto, &applicant),
        sign_link: i
            .links
            .certificate_ref(crypto, &applicant.signature_certificate),
        device_thumbprint: b64url_encode(&parsed.device.thumbprint),
        label: parsed.label.clone(),
        now,
        valid_from: now,
        valid_until: until,
        mdocs: parsed.mdoc_keys.len(),
        sd_jwt_vcs: parsed.sd_jwt_keys.len(),
        method: method.into(),
        level: level.into(),
    };
    // The steps of Registry::enrol one by one, so that the signing (and the serialising of
    // the answer's two large arrays) runs on a blocking thread: on an async worker it would
    // stall every request that worker serves, among them the transaction of another
    // enrolment that holds SQLite's write lock.
    let registry_error = |e: RegistryError| ApiError::from_registry(&e);
    i.registry
        .check_nonce_open(&record.nonce_hash)
        .await
        .map_err(registry_error)?;
    let total = u64::try_from(record.mdocs.saturating_add(record.sd_jwt_vcs))
        .map_err(|_| ApiError::INTERNAL)?;
    let reserved = i.registry.reserve(total).await.map_err(registry_error)?;
    let inner = Arc::clone(&st.inner);
    let (rows, mdoc, sd_jwt_vc, reserved) = tokio::task::spawn_blocking(move || {
        let i = &*inner;
        let cx = IssueContext {
            issuer_id: &i.config.public_url,
            issuing_authority: &i.config.issuing_authority,
            now,
            valid_until: until,
        };
        let uri = i.config.status_uri(&reserved.list_id);
        let (rows, batch) = issue_batches(
            crypto,
            &i.keys,
            &applicant,
            &cx,
            &parsed.mdoc_keys,
            &parsed.sd_jwt_keys,
            &reserved,
            &uri,
        )?;
        let IssuedBatch { mdoc, sd_jwt_vc } = batch;
        // Each array written once into a buffer of about its final size (the credentials
        // are most of it), not grown by doubling.
        let mdoc = array_text(
            &mdoc,
            mdoc.iter().map(|m| m.issuer_signed.len() + 400).sum(),
        )
        .map_err(|_| ApiError::INTERNAL)?;
        let sd_jwt_vc = array_text(
            &sd_jwt_vc,
            sd_jwt_vc.iter().map(|s| s.sd_jwt.len() + 400).sum(),
        )
        .map_err(|_| ApiError::INTERNAL)?;
        Ok::<_, ApiError>((rows, mdoc, sd_jwt_vc, reserved))
    })
    .await
    .map_err(|_| ApiError::INTERNAL)??;
    let outcome = i
        .registry
        .record(crypto, record, reserved, rows)
        .await
        .map_err(registry_error)?;
    for list in &outcome.changed_lists {
        // Published again at once; a failure here leaves the version bumped, so the next
        // GET rebuilds it.
        let _ = i
            .publisher
            .rebuild(crypto, &i.registry, &i.keys, &i.config, list, now)
            .await;
    }
    let head = json!({
        "person": outcome.allocation.person_id,
        "device": outcome.allocation.device_id,
        "proofing": {"method": method, "level": level},
        "valid_until": until,
    });
    let body = with_serialised_fields(&head, &[("mdoc", &mdoc), ("sd_jwt_vc", &sd_jwt_vc)])?;
    let answer = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    Ok((StatusCode::CREATED, no_store(answer)).into_response())
}

/// The JSON object `head` (not empty) with `fields` added, each value already serialised
/// JSON text.
fn with_serialised_fields(
    head: &serde_json::Value,
    fields: &[(&str, &str)],
) -> Result<Vec<u8>, ApiError> {
    let room: usize = fields.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
    let mut out = Vec::with_capacity(room + 256);
    serde_json::to_writer(&mut out, head).map_err(|_| ApiError::INTERNAL)?;
    if head.as_object().is_none_or(|o| o.is_empty()) || out.pop() != Some(b'}') {
        return Err(ApiError::INTERNAL);
    }
    for (name, value) in fields {
        out.push(b',');
        serde_json::to_writer(&mut out, name).map_err(|_| ApiError::INTERNAL)?;
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
    }
    out.push(b'}');
    Ok(out)
}

/// `GET /status/{list}`.
async fn status_list(
    State(st): State<AppState>,
    Path(list): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let i = &st.inner;
    if list.is_empty() || list.len() > 32 || !list.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::NOT_FOUND);
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let cwt = accept.contains(CWT_MEDIA_TYPE) && !accept.contains(JWT_MEDIA_TYPE);
    let published = i
        .publisher
        .get(i.crypto, &i.registry, &i.keys, &i.config, &list, now())
        .await?
        .ok_or(ApiError::NOT_FOUND)?;
    let etag = published.etag(cwt);
    let max_age = format!("max-age={}", i.config.status_ttl.as_secs());
    let mut r = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let (ct, bytes) = if cwt {
            (CWT_MEDIA_TYPE, published.cwt.clone())
        } else {
            (JWT_MEDIA_TYPE, published.jwt.clone())
        };
        ([(header::CONTENT_TYPE, ct)], bytes).into_response()
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&max_age) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(r)
}

fn id_ok(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// `GET /admin/persons/{id}/devices`.
async fn person_devices(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !id_ok(&id) {
        return Err(ApiError::NOT_FOUND);
    }
    let devices = st
        .inner
        .registry
        .devices(&id)
        .await
        .map_err(|e| ApiError::from_registry(&e))?;
    let list: Vec<_> = devices
        .iter()
        .map(|d| {
            json!({
                "device": d.id, "label": d.label, "created_at": d.created_at,
                "enrolled_at": d.enrolled_at, "revoked_at": d.revoked_at,
                "credentials": {"active": d.active, "revoked": d.revoked, "superseded": d.superseded},
            })
        })
        .collect();
    Ok(no_store(
        Json(json!({"person": id, "devices": list})).into_response(),
    ))
}

async fn republish(st: &AppState, lists: &[String]) {
    let i = &st.inner;
    for l in lists {
        let _ = i
            .publisher
            .rebuild(i.crypto, &i.registry, &i.keys, &i.config, l, now())
            .await;
    }
}

/// `POST /admin/devices/{id}/revoke`.
async fn revoke_device(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !id_ok(&id) {
        return Err(ApiError::NOT_FOUND);
    }
    let out = st
        .inner
        .registry
        .revoke_device(&id, now())
        .await
        .map_err(|e| ApiError::from_registry(&e))?;
    republish(&st, &out.changed_lists).await;
    eprintln!(
        "kakunin issuer: device revoked ({} credentials)",
        out.credentials
    );
    Ok(no_store(
        Json(json!({"device": id, "revoked_credentials": out.credentials, "status_lists": out.changed_lists}))
            .into_response(),
    ))
}

/// Apply CRLs to the registry; the summary.
pub(crate) async fn apply_crls(
    st: &AppState,
    crls: &[Vec<u8>],
) -> Result<serde_json::Value, ApiError> {
    let i = &st.inner;
    let mut links = Vec::new();
    for crl in crls {
        // The proofing refuses the next enrolment of a listed certificate; the registry marks
        // the credentials already issued to it.
        i.proofing.update_crl(crl).map_err(|_| ApiError::BAD_CRL)?;
        links.extend(crate::crl::revoked_links(
            i.crypto,
            &i.links,
            &i.jpki_cas,
            crl,
        )?);
    }
    let out = i
        .registry
        .revoke_links(&links, now())
        .await
        .map_err(|e| ApiError::from_registry(&e))?;
    republish(st, &out.changed_lists).await;
    Ok(json!({
        "crls": crls.len(),
        "revoked_certificates": links.len(),
        "persons": out.persons,
        "revoked_credentials": out.credentials,
        "status_lists": out.changed_lists,
    }))
}

/// `POST /admin/jpki-crl`: a DER (or PEM) CRL in the body, or an empty body to re-read the
/// CRL files of the JPKI CA directory.
async fn jpki_crl(
    State(st): State<AppState>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_or_413(body)?;
    let crls = if body.is_empty() {
        crate::crl::crl_files(&st.inner.config.jpki_ca_dir)
            .iter()
            .map(std::fs::read)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::BAD_CRL)?
    } else {
        vec![body.to_vec()]
    };
    let summary = apply_crls(&st, &crls)
        .await
        .map_err(|e| refused("CRL", e))?;
    Ok(no_store(Json(summary).into_response()))
}

/// The typed error for a request that ran out of time.
pub(crate) fn timeout_response() -> Response {
    ApiError::TIMEOUT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialised_fields_join_the_object() {
        let head = json!({"person": "p", "valid_until": 7});
        let mdoc = serde_json::to_string(&json!([{"doc_type": "x\"y"}])).unwrap();
        let body = with_serialised_fields(&head, &[("mdoc", &mdoc), ("sd_jwt_vc", "[]")]).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            json!({"person": "p", "valid_until": 7, "mdoc": [{"doc_type": "x\"y"}], "sd_jwt_vc": []})
        );
        // Not an object, or an empty one: refused, never a broken body.
        assert!(with_serialised_fields(&json!([]), &[("a", "1")]).is_err());
        assert!(with_serialised_fields(&json!({}), &[("a", "1")]).is_err());
    }
}
