//! Kakunin's issuer service (issue 17): JPKI-proofed enrolment over HTTP.
//!
//! A holder asks for a nonce, has the My Number card (or smartphone JPKI) sign the
//! enrolment challenge that binds the nonce, this issuer and every device key, and sends
//! both certificates, both signatures and the device keys with their proofs of possession.
//! The service checks them in a fixed order, proves the applicant through an
//! [`kakunin_issuer::proofing::ApplicantProofing`], and issues the Japanese PID as a batch
//! of mdocs and a batch of SD-JWT VCs, each credential on its own status-list entry, in one
//! registry transaction. It publishes the status lists and offers administration (a
//! person's devices, revoking one, applying JPKI CRLs) behind a bearer token.
//!
//! - [`wire`]: the request and response format (docs/profiles/jpki-enrolment.md);
//! - [`issue`]: the credentials (docs/profiles/jpki-proofing.md, carriage of the level);
//! - [`registry`]: persons, devices, credentials, lists, nonces (docs/jpki-registry.md);
//! - [`links`]: the HMAC links the registry is keyed by;
//! - [`status`]: status-list publication;
//! - [`crl`]: JPKI CRLs against the registry;
//! - [`answer_json`]: the answer's credential arrays as JSON text;
//! - [`api`], [`server`]: HTTP; [`client`]: the administration client of the CLI;
//! - [`local`]: the service in-process on a loopback port (`kakunin demo`).
//!
//! Decision record: docs/decisions/0018-issuer-service.md.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod answer_json;
pub mod api;
pub mod client;
pub mod config;
pub mod crl;
pub mod enrol_client;
pub mod error;
pub mod issue;
pub mod links;
pub mod local;
pub mod registry;
pub mod secrets;
pub mod server;
pub mod status;
pub mod wire;

pub use api::{router, AppState};
pub use config::{IssuerConfig, Limits};
pub use error::{ApiError, ServerError};
pub use local::LocalIssuer;
pub use registry::{Registry, RegistryError};
pub use server::{build, run, serve_with_shutdown, shutdown_signal, ADMIN_TOKEN_ENV};
