//! Fetching a Status List Token over HTTP into the cache (draft-ietf-oauth-status-list-20,
//! "Status List Request": `GET uri` with an `Accept` of the token form).
//!
//! Every exchange is bounded: one deadline covers connecting, sending and reading the whole
//! body; the body is capped (the cache's cap) and an oversize one is an error that leaves the
//! cache untouched; redirects are followed a few times at most. With the cached entry's
//! `ETag` the request is conditional (`If-None-Match`, RFC 9110 §13.1.2): a 304 keeps the
//! cached token and records the new `fetched_at`, from which its `ttl` runs again.
//!
//! Plain `http://` only: this build of the client has no TLS (docs/decisions/0010).

use crate::cache::{CacheError, CachedList, StatusCache};
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
    /// The URI is not `http://` (or is `https://`, which this build cannot reach).
    #[error("{0}: only http:// status list URIs can be fetched by this build (no TLS)")]
    UnsupportedScheme(String),
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
    /// The cause group: the server's answers are failed checks, a bad URI misuse, cache
    /// errors theirs.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            FetchError::UnsupportedScheme(_) => kakunin_core::Cause::Misuse,
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
}

impl Default for Fetcher {
    /// 10 s for the whole exchange, either form, at most 3 redirects.
    fn default() -> Self {
        Fetcher {
            timeout: Duration::from_secs(10),
            accept: Accept::Any,
            max_redirects: 3,
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

    /// Fetch `uri` into `cache`, recording `now` as its `fetched_at`. A 304 keeps the cached
    /// token; any failure leaves the cache as it was.
    pub fn fetch(
        &self,
        uri: &str,
        cache: &StatusCache,
        now: OffsetDateTime,
    ) -> Result<FetchOutcome, FetchError> {
        if !uri
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        {
            return Err(FetchError::UnsupportedScheme(uri.to_string()));
        }
        // A corrupt or oversize entry is no entry: fetch unconditionally and replace it.
        let previous = cache.get(uri).ok().flatten();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .max_redirects(self.max_redirects)
            .http_status_as_error(false)
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
