#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
//! The load benchmark (load.rs) with mimalloc as the global allocator: an A/B of the
//! allocator on the same code (docs/decisions/0014-till-api-speed.md). The `kakunin` binary
//! keeps the system allocator until a quiet-machine run shows a gain beyond the spread.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

include!("load/body.rs");
