//! Kakunin's conformance runner (floor 4): suites of graded cases that drive a verifier or a
//! wallet under test, and the reports they produce.
//!
//! - [`case`]: the shared model — a case, what it expects, what came back, the grade — used
//!   by every suite and every report.
//! - [`verifier_suite`]: the mdoc and SD-JWT VC cases for a verifier under test, generated on
//!   the fly, and the run that grades them.
//! - [`targets`]: the verifier under test as a command or as the till's HTTP API.
//! - [`wallet_suite`]: the wallet suite — the runner acts as a reader against a wallet under
//!   test (`kakunin conformance wallet`).
//! - [`report`]: JUnit XML (for CI systems), one self-contained HTML page and JSON, written
//!   from a [`case::SuiteReport`].
//!
//! A case is graded *failed* with its reason whenever the target hangs past the case's
//! deadline, crashes, prints garbage or answers in the wrong shape; the run goes on and the
//! report is still written.
#![forbid(unsafe_code)]

pub mod case;
pub mod report;
pub mod targets;
pub mod verifier_suite;
pub mod wallet_suite;

pub use case::{CaseResult, Expected, Grade, Observed, SuiteReport};
