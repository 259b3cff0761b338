//! Kakunin verifier server (floor 4): the store till's page and the verification API over
//! HTTP (axum), with an audit log of every verification (sqlx: SQLite by default,
//! PostgreSQL by URL). docs/till.md describes the till, docs/till-api.md the API.
//!
//! Library first: tests and the `kakunin till serve` command build a [`Config`], call
//! [`build`] (or [`serve`]) and drive the [`router`] in process.
#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod answer;
mod api;
pub mod audit;
pub mod bundle;
pub mod config;
pub mod crls;
pub mod demo;
mod error;
pub mod nfc;
mod page;
mod server;
pub mod session;
pub mod till;
pub mod trust;
pub mod verify;
pub mod vicals;

pub use api::{router, AppState, PeerAddr};
pub use audit::{AuditError, AuditRecord, AuditStore};
pub use config::{ApiToken, BleMode, Config, Limits, PolicyConfig, TransportConfig};
pub use error::ServerError;
pub use page::qr_svg_of;
pub use server::{
    build, export_blocking, run, serve, serve_with_shutdown, shutdown_signal, ReaderCredentials,
};
