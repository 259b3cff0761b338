//! Kakunin's status-list adapter (floor 4): an HTTP client fills an on-disk cache of Status
//! List Tokens (draft-ietf-oauth-status-list-20 §8 "Verification and Processing": `GET uri`
//! with `Accept: application/statuslist+jwt` or `+cwt`), and the cache is a
//! [`kakunin_verifier::StatusSource`], so verification reads only the cache and a till
//! verifies offline.
//!
//! - [`cache`]: one file per URI (its name a SHA-256 of the URI), metadata and token
//!   together, written atomically (temporary file, then rename), read with a size cap.
//! - [`fetch`] (feature `http`, on by default): `ureq` with a deadline on the whole exchange,
//!   a body size cap, `ETag`/`If-None-Match`, `Accept` by token form, bounded redirects,
//!   `https://` without downgrade on redirect.
//! - [`tls`] (feature `http`): the roots `https://` servers must chain to (caller-given CA
//!   certificates and/or the platform's store) and the rustls-on-ring client configuration.
//!
//! The fetcher reads no clock: the caller passes the time it records as `fetched_at`.
#![forbid(unsafe_code)]

pub mod cache;
#[cfg(feature = "http")]
pub mod fetch;
#[cfg(feature = "http")]
pub mod tls;

pub use cache::{CacheError, CachedList, StatusCache};
#[cfg(feature = "http")]
pub use fetch::{Accept, FetchError, FetchOutcome, Fetcher};
#[cfg(feature = "http")]
pub use tls::{RootsError, TlsRoots};
