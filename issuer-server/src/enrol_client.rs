//! The enrolment client of `kakunin holder-sim enroll` (docs/profiles/jpki-enrolment.md): it
//! asks the issuer for a nonce (`POST /enrol/nonce`) and sends the signed request
//! (`POST /enrol`), over the same plain-HTTP transport as the administration client
//! ([`crate::client`]: 10 s connect, 30 s read/write deadlines, a cap on every answer). The
//! bytes it returns are parsed by the holder (`kakunin_holder_sim::enrolment`); this module only
//! moves them and turns the issuer's error body into a typed refusal.

use crate::client::{exchange, ClientError};

/// Largest nonce offer read (the holder caps it again, tighter).
const MAX_OFFER: u64 = 64 * 1024;
/// Largest enrolment answer read (two batches of 32 PID credentials fit well inside).
const MAX_ENROL_ANSWER: u64 = 8 * 1024 * 1024;

/// Why an enrolment exchange failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrolClientError {
    /// The connection, the URL or the HTTP framing failed.
    #[error(transparent)]
    Transport(#[from] ClientError),
    /// The issuer refused with a 4xx and its error code (`revoked_certificate`,
    /// `nonce_expired`, ...; see docs/profiles/jpki-enrolment.md).
    #[error("the issuer refused ({status}): {code}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The issuer's error code (ASCII, at most 64 characters; `unknown` otherwise).
        code: String,
    },
    /// The issuer failed (5xx) or answered with an unexpected status.
    #[error("the issuer answered HTTP {0}")]
    Status(u16),
}

impl EnrolClientError {
    /// The cause group of this error.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            EnrolClientError::Transport(e) => e.cause(),
            EnrolClientError::Refused { .. } => kakunin_core::Cause::FailedCheck,
            EnrolClientError::Status(_) => kakunin_core::Cause::Misuse,
        }
    }
}

/// The issuer's error code from an error body, if it is a short ASCII token (never echoed
/// otherwise: the terminal only ever shows a fixed-alphabet code).
fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .filter(|c| {
            !c.is_empty()
                && c.len() <= 64
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn expect_created(status: u16, body: Vec<u8>) -> Result<Vec<u8>, EnrolClientError> {
    match status {
        200 | 201 => Ok(body),
        400..=499 => Err(EnrolClientError::Refused {
            status,
            code: error_code(&body),
        }),
        other => Err(EnrolClientError::Status(other)),
    }
}

/// `POST /enrol/nonce` at the issuer `url`: the offer's body (parse it with
/// `NonceOffer::parse`).
pub fn fetch_nonce(url: &str) -> Result<Vec<u8>, EnrolClientError> {
    let (status, body) = exchange(
        url,
        "POST",
        "/enrol/nonce",
        None,
        Some(("application/json", b"{}")),
        MAX_OFFER,
    )?;
    expect_created(status, body)
}

/// `POST /enrol` at the issuer `url` with the signed request `body`: the answer's body (store
/// it with `store_answer`).
pub fn enrol(url: &str, body: &[u8]) -> Result<Vec<u8>, EnrolClientError> {
    let (status, answer) = exchange(
        url,
        "POST",
        "/enrol",
        None,
        Some(("application/json", body)),
        MAX_ENROL_ANSWER,
    )?;
    expect_created(status, answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_carry_only_a_clean_code() {
        let r = expect_created(
            403,
            br#"{"error":"revoked_certificate","detail":"x"}"#.to_vec(),
        );
        assert!(matches!(
            r,
            Err(EnrolClientError::Refused { status: 403, ref code }) if code == "revoked_certificate"
        ));
        let r = expect_created(400, br#"{"error":"\u001b[31mred"}"#.to_vec());
        assert!(matches!(r, Err(EnrolClientError::Refused { ref code, .. }) if code == "unknown"));
        assert!(matches!(
            expect_created(500, Vec::new()),
            Err(EnrolClientError::Status(500))
        ));
        assert_eq!(expect_created(201, b"ok".to_vec()).unwrap(), b"ok");
    }
}
