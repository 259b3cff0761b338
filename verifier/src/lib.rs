//! Kakunin verifier: complete verification of ISO/IEC 18013-5 DeviceResponses (clause 9.3.1:
//! issuer data authentication, mdoc authentication) and of DeviceRequest reader
//! authentication (9.1.4), producing a report per document and per element.
//!
//! Verification never reads the clock: the time is an argument. All crypto goes through a
//! [`kakunin_core::crypto::CryptoProvider`].
#![forbid(unsafe_code)]

mod chain_cache;
mod decode;
mod error;
pub mod flow;
pub mod json;
pub mod json_write;
mod reader_auth;
mod report;
mod response;
pub mod revocation;
mod sd_jwt;
mod sd_jwt_issuer;
mod sd_jwt_json;
mod sd_jwt_test_mode;
pub mod status;
pub mod transcript_explain;
pub mod verdict;

pub use chain_cache::{
    ChainCache, DEFAULT_CAPACITY as CHAIN_CACHE_CAPACITY, MAX_CACHED_CHAIN_BYTES,
};
pub use error::{Check, CheckError};
pub use reader_auth::{
    verify_device_request, verify_device_request_with, DocRequestReport, RequestReport,
};
pub use report::{
    CheckResult, DisclosedElement, DocumentReport, IssuerSummary, Outcome, ResponseReport, Warning,
};
pub use response::{verify_device_response, IssuerDataReport, TrustMode, Verifier};
pub use revocation::{sd_jwt_revocation, CertRevocation, RevocationReport, RevocationVerdict};
pub use sd_jwt::{verify_sd_jwt_response, SdJwtResponseResult};
pub use sd_jwt_issuer::{sd_jwt_x5c_issuer, X5cIssuer};
pub use sd_jwt_json::{
    sd_jwt_report_json, sd_jwt_report_json_with_checks, sd_jwt_report_json_with_status,
};
pub use sd_jwt_test_mode::{
    verify_sd_jwt_vc_without_key_binding, KbExpectation, KeyBindingOutcome,
};
pub use status::{
    MemoryStatusSource, StatusOptions, StatusOutcome, StatusRef, StatusReport, StatusSource,
};
pub use verdict::{AgePolicy, Decision, NgDetail, NgReason, Portrait, StatusPolicy, Verdict};
