#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! Load benchmark of `POST /api/v1/verify/mdoc` on loopback (bench/till-load.sh): N
//! keep-alive clients in a closed loop (bounded in count and time) give verifications per
//! second, p50 and p99; then the same clients at half that rate give p99 under load; then
//! the same closed loop against tests/interop/auth0_server.mjs (@auth0/mdl) with the same
//! responses, side by side. The till runs in process with its default SQLite audit store
//! (WAL, synchronous=FULL, a row committed before each answer).
//!
//! Environment: KAKUNIN_LOAD_CLIENTS (8), KAKUNIN_LOAD_SECONDS (5), KAKUNIN_LOAD_MAX
//! (200000), KAKUNIN_LOAD_NODE (node; empty skips the @auth0/mdl server),
//! KAKUNIN_LOAD_CLOSED_ONLY (set: one closed-loop run per client count, nothing else).

include!("load/body.rs");
