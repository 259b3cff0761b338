//! Fetching a Status List Token over HTTP into the cache (draft-ietf-oauth-status-list-20,
//! "Status List Request": `GET uri` with an `Accept` of the token form).
//!
//! Every exchange is bounded: one deadline covers connecting, sending and reading the whole
//! body; the body is capped (the cache's cap) and an oversize one is an error that leaves the
//! cache untouched; redirects are followed a few times at most. With the cached entry's
//! `ETag` the request is conditional (`If-None-Match`, RFC 9110 §13.1.2): a 304 keeps the
//! cached token and records the new `fetched_at`, from which its `ttl` runs again.
//!
//! `https://` goes through rustls on `ring` with the roots of [`TlsRoots`] (by default the
//! platform's store; `status fetch --ca FILE` for an explicit CA set). A redirect chain that
//! starts at `https://` may never leave it: a redirect to `http://` is
//! [`FetchError::Downgrade`]. A failed TLS handshake (a server certificate from a CA that is
//! not trusted, a name mismatch, an expired certificate) is [`FetchError::Tls`].
//!
//! Plain `http://` is still fetched unless [`Fetcher::with_https_only`] says otherwise: a
//! Status List Token is signed, and verification checks its signature and signer against the
//! credential's IACA and its `sub` against the referencing URI, so a network attacker can
//! withhold or replay a list (bounded by its `exp`/`ttl` and the policy's grace, and visible
//! as `undetermined`) but cannot forge one. What plain http gives away is privacy: which
//! list a verifier asks for is visible on the path (docs/decisions/0010).

use crate::cache::{CacheError, CachedList, StatusCache};
use crate::tls::{tls_config, TlsRoots};
use std::time::Duration;
use time::OffsetDateTime;

/// Which token forms to ask for (`Accept`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// `application/statuslist+jwt`.
    Jwt,
    /// `application/statuslist+cwt`.
    Cwt,
    /// Either form, JWT preferred.
    Any,
}

impl Accept {
    /// The `Accept` header value.
    pub const fn header(self) -> &'static str {
        match self {
            Accept::Jwt => "application/statuslist+jwt",
            Accept::Cwt => "application/statuslist+cwt",
            Accept::Any => "application/statuslist+jwt, application/statuslist+cwt;q=0.9",
        }
    }
}

/// What a fetch did to the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchOutcome {
    /// A new token (200) was stored.
    Updated {
        /// Its length in bytes.
        len: usize,
    },
    /// The server said the cached token is current (304); its `fetched_at` was renewed.
    NotModified,
}

/// Why a fetch failed. The cache is left as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URI is neither `http://` nor `https://`, or is `http://` on an https-only
    /// fetcher.
    #[error("{0}: not a status list URI this fetcher reaches (http:// or https://)")]
    UnsupportedScheme(String),
    /// An `https://` URI, but no root is trusted (no CA given, no platform store, or an
    /// empty one).
    #[error("{0}: no TLS root certificate is trusted (give a CA certificate or use the platform's store)")]
    NoRoots(String),
    /// The TLS handshake failed: the server's certificate does not chain to a trusted root,
    /// does not name the host, has expired, or the protocol failed.
    #[error("TLS: {0}")]
    Tls(#[source] Box<rustls::Error>),
    /// A redirect from `https://` to `http://` (refused: it would drop the channel's
    /// protection half way).
    #[error("redirect from https to plain http refused: {0}")]
    Downgrade(String),
    /// The exchange did not finish before the deadline.
    #[error("no complete answer within {0:?}")]
    Timeout(Duration),
    /// The body is larger than the cap.
    #[error("the status list is larger than the {max}-byte cap")]
    TooLarge {
        /// The cap.
        max: usize,
    },
    /// The server answered with a status other than 200 or 304.
    #[error("the server answered HTTP {0}")]
    Status(u16),
    /// A 304 came without a cached entry to keep.
    #[error("the server answered 304 Not Modified, but nothing is cached")]
    NotModifiedWithoutEntry,
    /// Connecting, redirecting or the HTTP exchange failed.
    #[error("HTTP: {0}")]
    Transport(#[source] Box<ureq::Error>),
    /// The cache could not be written.
    #[error("cache: {0}")]
    Cache(#[from] CacheError),
}

impl FetchError {
    /// The cause group: the server's answers are failed checks, a server certificate that
    /// is not trusted is untrusted, a bad URI or no roots misuse, cache errors theirs.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            FetchError::UnsupportedScheme(_) | FetchError::NoRoots(_) => {
                kakunin_core::Cause::Misuse
            }
            FetchError::Tls(e) if matches!(**e, rustls::Error::InvalidCertificate(_)) => {
                kakunin_core::Cause::Untrusted
            }
            FetchError::Cache(e) => e.cause(),
            _ => kakunin_core::Cause::FailedCheck,
        }
    }
}

/// An HTTP client for status lists.
#[derive(Debug, Clone)]
pub struct Fetcher {
    timeout: Duration,
    accept: Accept,
    max_redirects: u32,
    roots: TlsRoots,
    https_only: bool,
}

impl Default for Fetcher {
    /// 10 s for the whole exchange, either form, at most 3 redirects, the platform's roots,
    /// plain http allowed.
    fn default() -> Self {
        Fetcher {
            timeout: Duration::from_secs(10),
            accept: Accept::Any,
            max_redirects: 3,
            roots: TlsRoots::platform(),
            https_only: false,
        }
    }
}

impl Fetcher {
    /// The default fetcher.
    pub fn new() -> Self {
        Fetcher::default()
    }

    /// The deadline for one whole exchange.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Which form to ask for.
    pub fn with_accept(mut self, accept: Accept) -> Self {
        self.accept = accept;
        self
    }

    /// The roots `https://` servers must chain to.
    pub fn with_roots(mut self, roots: TlsRoots) -> Self {
        self.roots = roots;
        self
    }

    /// Refuse plain `http://` URIs (and redirects to them).
    pub fn with_https_only(mut self, https_only: bool) -> Self {
        self.https_only = https_only;
        self
    }

    /// Fetch `uri` into `cache`, recording `now` as its `fetched_at`. A 304 keeps the cached
    /// token; any failure leaves the cache as it was.
    pub fn fetch(
        &self,
        uri: &str,
        cache: &StatusCache,
        now: OffsetDateTime,
    ) -> Result<FetchOutcome, FetchError> {
        let scheme_is = |scheme: &str| {
            uri.get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        };
        let https = scheme_is("https://");
        if !https && (self.https_only || !scheme_is("http://")) {
            return Err(FetchError::UnsupportedScheme(uri.to_string()));
        }
        // Anchors are set for plain http too: a redirect may upgrade to https.
        let anchors = self.roots.anchors();
        if https && anchors.is_empty() {
            return Err(FetchError::NoRoots(uri.to_string()));
        }
        // A corrupt or oversize entry is no entry: fetch unconditionally and replace it.
        let previous = cache.get(uri).ok().flatten();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .max_redirects(self.max_redirects)
            .http_status_as_error(false)
            // Once on https, stay there: ureq then refuses a redirect to http.
            .https_only(https || self.https_only)
            .tls_config(tls_config(anchors))
            .build()
            .into();
        let mut request = agent.get(uri).header("Accept", self.accept.header());
        if let Some(etag) = previous.as_ref().and_then(|p| p.etag.as_deref()) {
            request = request.header("If-None-Match", etag);
        }
        let max = cache.max_len();
        let transport = |e: ureq::Error| match e {
            ureq::Error::Timeout(_) => FetchError::Timeout(self.timeout),
            ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge { max },
            ureq::Error::RequireHttpsOnly(to) => FetchError::Downgrade(to),
            ureq::Error::Rustls(e) => FetchError::Tls(Box::new(e)),
            // The handshake runs inside ureq's I/O, which wraps rustls' error in io::Error.
            ureq::Error::Io(io) if io.get_ref().is_some_and(|e| e.is::<rustls::Error>()) => {
                match io.into_inner().map(|e| e.downcast::<rustls::Error>()) {
                    Some(Ok(e)) => FetchError::Tls(e),
                    // Not reached: the guard saw a rustls error inside.
                    _ => FetchError::Transport(Box::new(ureq::Error::Tls("TLS failure"))),
                }
            }
            other => FetchError::Transport(Box::new(other)),
        };
        let mut response = request.call().map_err(transport)?;
        match response.status().as_u16() {
            304 => {
                let mut kept = previous.ok_or(FetchError::NotModifiedWithoutEntry)?;
                kept.fetched_at = now;
                cache.put(&kept)?;
                Ok(FetchOutcome::NotModified)
            }
            200 => {
                let header = |name: &str| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                let etag = header("etag");
                let content_type = header("content-type");
                let declared = header("content-length").and_then(|l| l.parse::<u64>().ok());
                if declared.is_some_and(|l| usize::try_from(l).map_or(true, |l| l > max)) {
                    return Err(FetchError::TooLarge { max });
                }
                let token = response
                    .body_mut()
                    .with_config()
                    .limit(u64::try_from(max).unwrap_or(u64::MAX))
                    .read_to_vec()
                    .map_err(transport)?;
                let len = token.len();
                cache.put(&CachedList {
                    uri: uri.to_string(),
                    token,
                    etag,
                    content_type,
                    fetched_at: now,
                })?;
                Ok(FetchOutcome::Updated { len })
            }
            status => Err(FetchError::Status(status)),
        }
    }
}
