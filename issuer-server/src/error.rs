//! Errors: [`ApiError`], the typed 4xx/5xx body of every refused request
//! (`{"error": code, "detail": fixed text}` — never personal data, never an echo of the
//! input), and [`ServerError`], why the service could not start.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kakunin_issuer::proofing::ProofingError;
use std::path::PathBuf;

/// A refused request: status, code and a fixed explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The machine-readable code (docs/profiles/jpki-enrolment.md lists them).
    pub code: &'static str,
    /// A fixed human-readable sentence.
    pub detail: &'static str,
}

const fn e(status: StatusCode, code: &'static str, detail: &'static str) -> ApiError {
    ApiError {
        status,
        code,
        detail,
    }
}

impl ApiError {
    /// The body is not JSON, or not the expected JSON (unknown or missing members).
    pub const MALFORMED_JSON: ApiError = e(
        StatusCode::BAD_REQUEST,
        "malformed_json",
        "the body is not the JSON this endpoint expects",
    );
    /// The request is well-formed JSON but a member is invalid (base64, key, length).
    pub const MALFORMED_REQUEST: ApiError = e(
        StatusCode::BAD_REQUEST,
        "malformed_request",
        "a member of the request is not valid",
    );
    /// The body is larger than the service accepts.
    pub const BODY_TOO_LARGE: ApiError = e(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        "the body is larger than the service accepts",
    );
    /// The wrong content type.
    pub const UNSUPPORTED_MEDIA_TYPE: ApiError = e(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "the body must be application/json",
    );
    /// The nonce was not handed out by this issuer.
    pub const NONCE_UNKNOWN: ApiError = e(
        StatusCode::BAD_REQUEST,
        "nonce_unknown",
        "the nonce was not issued by this service",
    );
    /// The nonce expired.
    pub const NONCE_EXPIRED: ApiError = e(
        StatusCode::BAD_REQUEST,
        "nonce_expired",
        "the nonce has expired; ask for a new one",
    );
    /// The nonce was used already.
    pub const NONCE_USED: ApiError = e(
        StatusCode::BAD_REQUEST,
        "nonce_used",
        "the nonce has been used already; ask for a new one",
    );
    /// A device key's proof of possession does not verify.
    pub const BAD_POP: ApiError = e(
        StatusCode::BAD_REQUEST,
        "bad_pop",
        "a device key's proof of possession does not verify",
    );
    /// The same key appears twice in the request.
    pub const DEVICE_KEY_REUSED: ApiError = e(
        StatusCode::BAD_REQUEST,
        "device_key_reused",
        "every key of an enrolment must be distinct",
    );
    /// A batch is outside 1..=32 keys.
    pub const TOO_MANY_KEYS: ApiError = e(
        StatusCode::BAD_REQUEST,
        "too_many_keys",
        "each batch holds 1 to 32 keys",
    );
    /// A certificate does not chain to a configured JPKI CA.
    pub const UNTRUSTED_CERTIFICATE: ApiError = e(
        StatusCode::FORBIDDEN,
        "untrusted_certificate",
        "a certificate is not from a trusted JPKI CA",
    );
    /// A certificate is revoked.
    pub const REVOKED_CERTIFICATE: ApiError = e(
        StatusCode::FORBIDDEN,
        "revoked_certificate",
        "a certificate is revoked",
    );
    /// A certificate is outside its validity.
    pub const EXPIRED_CERTIFICATE: ApiError = e(
        StatusCode::FORBIDDEN,
        "expired_certificate",
        "a certificate is expired or not yet valid",
    );
    /// A card signature over the challenge does not verify.
    pub const BAD_SIGNATURE: ApiError = e(
        StatusCode::FORBIDDEN,
        "bad_signature",
        "a signature over the enrolment challenge does not verify",
    );
    /// The certificates are not a signature and an authentication certificate of one kind.
    pub const WRONG_CERTIFICATE: ApiError = e(
        StatusCode::FORBIDDEN,
        "wrong_certificate",
        "the certificates are not a JPKI signature and authentication certificate pair",
    );
    /// No current CRL to decide revocation.
    pub const REVOCATION_UNKNOWN: ApiError = e(
        StatusCode::FORBIDDEN,
        "revocation_unknown",
        "the revocation status of a certificate cannot be decided now",
    );
    /// The certificate's facts cannot be issued (an incomplete date of birth, say).
    pub const UNUSABLE_FACTS: ApiError = e(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unusable_facts",
        "the certificate's facts cannot be issued as a credential",
    );
    /// Missing or wrong bearer token.
    pub const UNAUTHORIZED: ApiError = e(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "a valid administration bearer token is required",
    );
    /// No such route, person, device or list.
    pub const NOT_FOUND: ApiError = e(StatusCode::NOT_FOUND, "not_found", "not found");
    /// The wrong method for the route.
    pub const METHOD_NOT_ALLOWED: ApiError = e(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "the method is not allowed on this route",
    );
    /// An uploaded CRL does not parse or verify.
    pub const BAD_CRL: ApiError = e(
        StatusCode::BAD_REQUEST,
        "bad_crl",
        "the CRL does not parse or does not verify under a configured JPKI CA",
    );
    /// The deadline passed.
    pub const TIMEOUT: ApiError = e(
        StatusCode::REQUEST_TIMEOUT,
        "timeout",
        "the request was not completed within the deadline",
    );
    /// A concurrent change; retry.
    pub const BUSY: ApiError = e(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "a concurrent change got in the way; retry",
    );
    /// Anything else (logged by code only).
    pub const INTERNAL: ApiError = e(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the service failed; nothing was issued",
    );

    /// The error for a proofing failure.
    pub fn from_proofing(p: &ProofingError) -> ApiError {
        match p {
            ProofingError::Malformed { .. } => ApiError::MALFORMED_REQUEST,
            ProofingError::Untrusted { .. } => ApiError::UNTRUSTED_CERTIFICATE,
            ProofingError::Expired { .. } => ApiError::EXPIRED_CERTIFICATE,
            ProofingError::Revoked { .. } => ApiError::REVOKED_CERTIFICATE,
            ProofingError::RevocationUnknown { .. } => ApiError::REVOCATION_UNKNOWN,
            ProofingError::BadSignature { .. } => ApiError::BAD_SIGNATURE,
            ProofingError::WrongCertificate(_) => ApiError::WRONG_CERTIFICATE,
            _ => ApiError::WRONG_CERTIFICATE,
        }
    }

    /// The error for a registry failure.
    pub fn from_registry(r: &crate::registry::RegistryError) -> ApiError {
        use crate::registry::RegistryError as R;
        match r {
            R::NonceUnknown => ApiError::NONCE_UNKNOWN,
            R::NonceUsed => ApiError::NONCE_USED,
            R::NonceExpired => ApiError::NONCE_EXPIRED,
            R::NotFound => ApiError::NOT_FOUND,
            R::Conflict => ApiError::BUSY,
            _ => ApiError::INTERNAL,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Codes only: no request content, no personal data reaches the log.
        if self.status.is_server_error() {
            eprintln!("kakunin issuer: {} {}", self.status.as_u16(), self.code);
        }
        let body = serde_json::json!({"error": self.code, "detail": self.detail});
        let mut r = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// Why the issuer service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The configuration cannot be served.
    #[error("configuration: {0}")]
    Invalid(String),
    /// An issuer key or certificate of the PKI directory could not be loaded.
    #[error("issuer PKI: {0}")]
    Pki(#[from] kakunin_issuer::pki::PkiError),
    /// A JPKI CA certificate could not be used.
    #[error("{path}: {reason}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A secret in the data directory.
    #[error("{0}")]
    Secret(#[from] crate::secrets::SecretError),
    /// The registry database failed.
    #[error("registry: {0}")]
    Registry(#[from] crate::registry::RegistryError),
    /// Listening failed.
    #[error("listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl ServerError {
    /// The cause group (kakunin_core::Cause) of this error.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            ServerError::Pki(e) => e.cause(),
            ServerError::Secret(e) => e.cause(),
            ServerError::Registry(e) => e.cause(),
            ServerError::Certificate { .. } => kakunin_core::Cause::Untrusted,
            _ => kakunin_core::Cause::Misuse,
        }
    }
}
