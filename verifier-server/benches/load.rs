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
//! responses and the same load generator, side by side; then one summary block with the
//! issue's numbers (rate, p50, p99, p99 at half rate, @auth0/mdl rate, ratio, server CPU per
//! verification, the load generator's CPU per request).
//!
//! Durability, as in production: the till runs in process with its default SQLite audit
//! store (WAL, synchronous=FULL). Rows of concurrent requests are committed together (group
//! commit: one multi-row INSERT, one fsync), and each answer is sent only after the
//! transaction holding its row has committed.
//!
//! The load generator is wrk-style (pre-built request bytes, one reused read buffer, the
//! status line and the answer's top-level `verdict` checked without building anything); it
//! shares the two cores with the server, so its own CPU per request is printed, and one run
//! with the earlier generator (BufRead lines, serde_json) gives its before/after.
//!
//! Environment: KAKUNIN_LOAD_CLIENTS (2,4,8,16), KAKUNIN_LOAD_SECONDS (5), KAKUNIN_LOAD_MAX
//! (200000), KAKUNIN_LOAD_RATE (2500: the goal's half rate, also run paced),
//! KAKUNIN_LOAD_NODE (node; empty skips the @auth0/mdl server), KAKUNIN_LOAD_OLD_CLIENT
//! (1; 0 skips the earlier generator's run), KAKUNIN_LOAD_CLOSED_ONLY (set: one closed-loop
//! run per client count, nothing else), KAKUNIN_LOAD_DIRECT (2000: in-process verifications
//! before the HTTP runs), KAKUNIN_LOAD_DIRECT_ONLY (set: those only, then exit; `cached`:
//! only the cached loop, for callgrind), KAKUNIN_LOAD_ANSWER (`tree`: that loop builds the
//! answer through serde_json trees as before, for the serialiser's A/B).

include!("load/body.rs");
