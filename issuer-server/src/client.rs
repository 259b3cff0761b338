//! The administration client of `kakunin issuer devices|revoke` (and the transport of the
//! enrolment client, [`crate::enrol_client`]): one request per call through `ureq` (already in
//! the tree for status-fetch; docs/decisions/0018-issuer-service.md), to an `http://` or
//! `https://` issuer URL (https: rustls on `ring`, the platform's roots, no downgrade), with
//! the bearer token, deadlines (10 s to connect, 60 s for the whole exchange), no redirects
//! followed, and a cap on every answer.

use std::sync::Arc;
use std::time::Duration;

/// Largest administration answer read.
const MAX_ANSWER: u64 = 1024 * 1024;
/// Deadline to connect.
const CONNECT_DEADLINE: Duration = Duration::from_secs(10);
/// Deadline for the whole exchange (connect, send, receive).
const EXCHANGE_DEADLINE: Duration = Duration::from_secs(60);

/// The request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL is not `http[s]://host[:port][/base]`.
    #[error("the issuer URL must be http[s]://host[:port][/path]")]
    BadUrl,
    /// Connecting, sending or receiving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The answer is not an HTTP response with a JSON body.
    #[error("the issuer's answer is not an HTTP response with a JSON body")]
    BadAnswer,
    /// The exchange did not finish within its deadline.
    #[error("the issuer did not answer within {0:?}")]
    Timeout(Duration),
    /// The answer is over its cap.
    #[error("the issuer's answer is over the {0}-byte cap")]
    TooLarge(u64),
    /// The HTTP client failed (connection refused, TLS, protocol).
    #[error("{0}")]
    Transport(#[source] Box<ureq::Error>),
}

impl ClientError {
    /// The cause group of this error.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            ClientError::BadAnswer | ClientError::TooLarge(_) => kakunin_core::Cause::Malformed,
            _ => kakunin_core::Cause::Misuse,
        }
    }
}

/// An answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: serde_json::Value,
}

/// The base URL without a trailing `/`, and whether it is https. Only the scheme and a
/// non-empty authority are checked here; ureq parses the rest.
fn split_url(url: &str) -> Result<(String, bool), ClientError> {
    let lower = url
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let (https, rest) = if lower.starts_with("https://") {
        (true, url.get(8..).unwrap_or_default())
    } else if lower.starts_with("http://") {
        (false, url.get(7..).unwrap_or_default())
    } else {
        return Err(ClientError::BadUrl);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || rest.contains(['?', '#']) || rest.chars().any(char::is_whitespace) {
        return Err(ClientError::BadUrl);
    }
    Ok((url.trim_end_matches('/').to_string(), https))
}

/// rustls on `ring` with the platform's roots (what an operator's issuer certificate chains
/// to); a store that cannot be read contributes what it could.
fn tls_config() -> ureq::tls::TlsConfig {
    let roots: Vec<ureq::tls::Certificate<'static>> = rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(roots)))
        .build()
}

/// Send `method path` to the issuer at `url` with the bearer `token` and an optional body.
pub fn request(
    url: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<(&str, &[u8])>,
) -> Result<Answer, ClientError> {
    let (status, body) = exchange(url, method, path, Some(token), body, MAX_ANSWER)?;
    let body = serde_json::from_slice(&body).map_err(|_| ClientError::BadAnswer)?;
    Ok(Answer { status, body })
}

/// One exchange: `method base+path` (GET or POST) with an optional bearer token and body; the
/// status and the body, read up to `cap` bytes (a longer answer is [`ClientError::TooLarge`],
/// never cut short silently).
pub(crate) fn exchange(
    url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &[u8])>,
    cap: u64,
) -> Result<(u16, Vec<u8>), ClientError> {
    let (base, https) = split_url(url)?;
    let full = format!("{base}{path}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(EXCHANGE_DEADLINE))
        .timeout_connect(Some(CONNECT_DEADLINE))
        .max_redirects(0)
        .http_status_as_error(false)
        .https_only(https)
        .tls_config(tls_config())
        .build()
        .into();
    let auth = token.map(|t| zeroize::Zeroizing::new(format!("Bearer {t}")));
    let transport = |e: ureq::Error| match e {
        ureq::Error::Timeout(_) => ClientError::Timeout(EXCHANGE_DEADLINE),
        ureq::Error::BodyExceedsLimit(_) => ClientError::TooLarge(cap),
        ureq::Error::Io(io) => ClientError::Io(io),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => ClientError::BadUrl,
        other => ClientError::Transport(Box::new(other)),
    };
    let mut response = match method {
        "GET" => {
            let mut r = agent.get(&full).header("Accept", "application/json");
            if let Some(a) = &auth {
                r = r.header("Authorization", a.as_str());
            }
            r.call()
        }
        "POST" => {
            let (ct, bytes) = body.unwrap_or(("application/octet-stream", &[]));
            let mut r = agent
                .post(&full)
                .header("Accept", "application/json")
                .content_type(ct);
            if let Some(a) = &auth {
                r = r.header("Authorization", a.as_str());
            }
            r.send(bytes)
        }
        _ => return Err(ClientError::BadUrl),
    }
    .map_err(transport)?;
    let status = response.status().as_u16();
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.parse::<u64>().ok());
    if declared.is_some_and(|l| l > cap) {
        return Err(ClientError::TooLarge(cap));
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(cap)
        .read_to_vec()
        .map_err(transport)?;
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            split_url("http://127.0.0.1:8090").unwrap(),
            ("http://127.0.0.1:8090".into(), false)
        );
        assert_eq!(
            split_url("HTTPS://issuer.example/base/").unwrap(),
            ("HTTPS://issuer.example/base".into(), true)
        );
        for bad in [
            "ftp://x",
            "http://",
            "http:///x",
            "issuer.example",
            "http://a b",
            "http://x/?q",
        ] {
            assert!(split_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_closed_port_is_a_transport_error_and_an_oversize_answer_is_refused() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let e = exchange(&format!("http://{addr}"), "GET", "/", None, None, 10).unwrap_err();
        assert!(!matches!(e, ClientError::BadUrl), "{e:?}");

        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut c, _) = l.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf).unwrap();
            let body = vec![b'x'; 100];
            c.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n")
                .unwrap();
            c.write_all(&body).unwrap();
            c.write_all(b"\r\n0\r\n\r\n").unwrap();
        });
        let e = exchange(&format!("http://{addr}"), "GET", "/", None, None, 10).unwrap_err();
        assert!(matches!(e, ClientError::TooLarge(10)), "{e:?}");
        server.join().unwrap();
    }
}
