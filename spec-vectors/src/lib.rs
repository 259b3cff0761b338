//! Specification test vectors and the checks that run on them.
//!
//! Each suite embeds its data at build time from `data/<suite>/`, whose `PROVENANCE.md` says
//! where it came from:
//!
//! - [`annex_d`]: the ISO/IEC 18013-5:2021 Annex D vectors, one check per cross-verification
//!   listed in that folder's README.
//! - [`handovers`]: the OpenID4VP 1.0 handover examples (B.2.6.1, B.2.6.2), an 18013-7
//!   Annex C cross-check and the Annex D NFC transcript, rebuilt with the handover builders.
//! - [`rfc9901`]: the SD-JWT examples of RFC 9901 (§5, §6, Appendix A) verified as published,
//!   and the RFC's MUST-rejects applied to them.
//! - [`sd_jwt_python`]: the end-to-end test cases of the sd-jwt-python reference
//!   implementation, run through Kakunin's issuer, holder and verifier.
//! - [`status_list`]: every example of the IETF Token Status List draft: the decoded statuses
//!   at the documented indices, and the signatures of the signed examples.
//! - [`vical`]: the AAMVA and Austroads VICALs (ISO 18013-5 Annex C) verified on fixed clocks.
//!
//! `kakunin vectors` runs them all and prints one line per check.
#![forbid(unsafe_code)]

pub mod annex_d;
pub mod handovers;
pub mod rfc9901;
pub mod sd_jwt_python;
pub mod status_list;
pub mod vical;

/// A suite of checks, as `kakunin vectors` reports it.
pub struct Suite {
    /// Short name, e.g. `annex-d`.
    pub name: &'static str,
    /// The document or implementation the vectors come from.
    pub source: &'static str,
    /// Its checks, in the order they ran.
    pub checks: Vec<VectorCheck>,
}

/// Every suite, run.
pub fn run_all_suites() -> Vec<Suite> {
    vec![
        Suite {
            name: "annex-d",
            source: "ISO/IEC 18013-5:2021 Annex D",
            checks: annex_d::run_all(),
        },
        Suite {
            name: "handovers",
            source: handovers::SOURCE,
            checks: handovers::run_all(),
        },
        Suite {
            name: "rfc9901",
            source: "RFC 9901 (SD-JWT) examples, sections 5, 6 and Appendix A",
            checks: rfc9901::run_all(),
        },
        Suite {
            name: "sd-jwt-python",
            source: sd_jwt_python::SOURCE,
            checks: sd_jwt_python::run_all(),
        },
        Suite {
            name: "status-list",
            source: status_list::SOURCE,
            checks: status_list::run_all(),
        },
        Suite {
            name: "vical",
            source: vical::SOURCE,
            checks: vical::run_all(),
        },
    ]
}

/// The result of one vector check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorCheck {
    /// Stable identifier, e.g. `annex-d/session/sk-reader`.
    pub id: String,
    /// The clause (or test case) of the source the check belongs to.
    pub clause: String,
    /// What is checked.
    pub description: String,
    /// `None` if the check passed, otherwise what differed.
    pub failure: Option<String>,
}

impl VectorCheck {
    /// Whether the check passed (it has no failure).
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

pub(crate) type CheckResult = Result<(), String>;

/// Runs checks and records each outcome; a panicking check is a failed check, not a crash.
pub(crate) struct Runner {
    pub(crate) checks: Vec<VectorCheck>,
}

impl Runner {
    pub(crate) fn run(
        &mut self,
        id: impl Into<String>,
        clause: impl Into<String>,
        description: impl Into<String>,
        f: impl FnOnce() -> CheckResult,
    ) {
        let failure = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(r) => r.err(),
            Err(_) => Some("the check panicked".to_string()),
        };
        self.checks.push(VectorCheck {
            id: id.into(),
            clause: clause.into(),
            description: description.into(),
            failure,
        });
    }
}

/// A `map_err` adapter naming what failed.
pub(crate) fn err<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

/// base64url without padding, decoded (the JOSE encoding).
pub(crate) fn unb64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

/// The P-256 private key of a JWK with `d` (the test keys of RFC 9901 and sd-jwt-python).
pub(crate) fn jwk_private_key(
    jwk: &serde_json::Value,
) -> Option<kakunin_core::crypto::EcPrivateKey> {
    let d = unb64(jwk["d"].as_str()?)?;
    kakunin_core::crypto::hazmat::private_key_from_scalar(kakunin_core::crypto::Curve::P256, &d)
}
