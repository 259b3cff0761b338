//! The administration client of `kakunin issuer devices|revoke` (and the transport of the
//! enrolment client, [`crate::enrol_client`]): one HTTP/1.1 request per
//! connection over plain TCP to an `http://` issuer URL (the administration API is meant for
//! loopback or an operator network; put a TLS proxy in front for anything else), with the
//! bearer token, a 30-second deadline and a 1 MiB cap on the answer.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Largest answer read.
const MAX_ANSWER: u64 = 1024 * 1024;

/// The request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL is not `http://host[:port][/base]`.
    #[error("the issuer URL must be http://host[:port][/path]")]
    BadUrl,
    /// Connecting, sending or receiving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The answer is not an HTTP response with a JSON body.
    #[error("the issuer's answer is not an HTTP response with a JSON body")]
    BadAnswer,
}

impl ClientError {
    /// The cause group of this error.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            ClientError::BadAnswer => kakunin_core::Cause::Malformed,
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

fn split_url(url: &str) -> Result<(String, String), ClientError> {
    let rest = url.strip_prefix("http://").ok_or(ClientError::BadUrl)?;
    let (host, base) = match rest.find('/') {
        Some(i) => (
            rest.get(..i).unwrap_or_default(),
            rest.get(i..).unwrap_or_default(),
        ),
        None => (rest, ""),
    };
    if host.is_empty() {
        return Err(ClientError::BadUrl);
    }
    let host = if host.contains(':') && !host.ends_with(']') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    Ok((host, base.trim_end_matches('/').to_string()))
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(b.get(..eol)?).ok()?;
        let n = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if n == 0 {
            return Some(out);
        }
        let start = eol.checked_add(2)?;
        let end = start.checked_add(n)?;
        out.extend_from_slice(b.get(start..end)?);
        b = b.get(end.checked_add(2)?..)?;
    }
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

/// One HTTP/1.1 exchange: `method base+path` with an optional bearer token and body; the
/// status and the (de-chunked) body, read up to `cap` bytes (a longer answer is
/// [`ClientError::BadAnswer`], never cut short silently). Deadlines: 10 s to connect, 30 s
/// per read or write.
pub(crate) fn exchange(
    url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &[u8])>,
    cap: u64,
) -> Result<(u16, Vec<u8>), ClientError> {
    let (host, base) = split_url(url)?;
    let addr = host.to_socket_addrs()?.next().ok_or(ClientError::BadUrl)?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    s.set_write_timeout(Some(Duration::from_secs(30)))?;
    let (ct, bytes) = body.unwrap_or(("application/octet-stream", &[]));
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let auth = zeroize::Zeroizing::new(auth);
    let head = format!(
        "{method} {base}{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         {}Content-Type: {ct}\r\nContent-Length: {}\r\n\
         Accept: application/json\r\n\r\n",
        auth.as_str(),
        bytes.len()
    );
    let head = zeroize::Zeroizing::new(head);
    s.write_all(head.as_bytes())?;
    s.write_all(bytes)?;
    let mut out = Vec::new();
    // Head room for the status line and headers beyond the body cap.
    let limit = cap.saturating_add(64 * 1024);
    s.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if u64::try_from(out.len()).unwrap_or(u64::MAX) > limit {
        return Err(ClientError::BadAnswer);
    }
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(ClientError::BadAnswer)?;
    let head = std::str::from_utf8(out.get(..split).ok_or(ClientError::BadAnswer)?)
        .map_err(|_| ClientError::BadAnswer)?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(ClientError::BadAnswer)?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let raw = out.get(split.saturating_add(4)..).unwrap_or_default();
    let body = if chunked {
        dechunk(raw).ok_or(ClientError::BadAnswer)?
    } else {
        raw.to_vec()
    };
    if u64::try_from(body.len()).unwrap_or(u64::MAX) > cap {
        return Err(ClientError::BadAnswer);
    }
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_chunks() {
        assert_eq!(
            split_url("http://127.0.0.1:8090").unwrap(),
            ("127.0.0.1:8090".into(), String::new())
        );
        assert_eq!(
            split_url("http://issuer.example/base/").unwrap(),
            ("issuer.example:80".into(), "/base".into())
        );
        assert!(split_url("https://x").is_err());
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert!(dechunk(b"ff\r\nabc").is_none());
    }
}
