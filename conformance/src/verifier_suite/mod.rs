//! The verifier suite (issue 18, "the conformance runner"): cases generated on the fly, each a
//! presentation with what a correct verifier does with it, fed to a verifier under test (a
//! [`crate::targets::Target`]) and graded.
//!
//! - [`pki`]: the suite's own PKI (fresh, or kept in a directory so an HTTP target can be
//!   configured to trust its IACA before the run).
//! - [`mdoc_cases`]: ISO 18013-5 DeviceResponses (valid ones, issuer-side faults, structural
//!   faults, the fixed Annex D vector).
//! - [`sd_jwt_cases`]: SD-JWT VC presentations (RFC 9901, draft-ietf-oauth-sd-jwt-vc).
//! - [`run`]: feed the cases to a target and build the [`crate::SuiteReport`].

mod curves;
pub mod mdoc_cases;
pub mod pki;
pub mod run;
pub mod sd_jwt_cases;

use crate::case::Expected;
use kakunin_core::crypto::EcPrivateKey;
use time::OffsetDateTime;

pub use pki::SuitePki;
pub use run::{run_suite, RunOptions};

/// Which cases to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SuiteKind {
    /// ISO 18013-5 mdoc DeviceResponses only.
    Mdoc,
    /// SD-JWT VC presentations only.
    SdJwt,
    /// Both.
    All,
}

impl std::str::FromStr for SuiteKind {
    type Err = SuiteError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mdoc" => Ok(SuiteKind::Mdoc),
            "sd-jwt" => Ok(SuiteKind::SdJwt),
            "all" => Ok(SuiteKind::All),
            other => Err(SuiteError::UnknownSuite(other.to_string())),
        }
    }
}

/// What one case hands the verifier.
#[non_exhaustive]
pub enum CaseInput {
    /// An mdoc presentation (clause 8.3.2.1.2.2 DeviceResponse) in its session.
    Mdoc {
        /// DeviceResponse CBOR (or deliberately broken bytes).
        response: Vec<u8>,
        /// SessionTranscriptBytes (tag 24), clause 9.1.5.1.
        transcript: Vec<u8>,
        /// The reader's ephemeral private key, for DeviceMac (clause 9.1.3.5); a throwaway
        /// session key of the suite, still zeroized on drop.
        reader_key: Option<EcPrivateKey>,
    },
    /// An SD-JWT VC presentation with its expected KB-JWT `aud` and `nonce`.
    SdJwt {
        /// The presentation text (compact or JWS JSON serialization).
        presentation: String,
        /// The expected KB-JWT `aud`.
        aud: String,
        /// The expected KB-JWT `nonce`.
        nonce: String,
    },
}

impl std::fmt::Debug for CaseInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaseInput::Mdoc {
                response,
                transcript,
                reader_key,
            } => f
                .debug_struct("Mdoc")
                .field("response_len", &response.len())
                .field("transcript_len", &transcript.len())
                .field("reader_key", &reader_key.as_ref().map(|_| "<redacted>"))
                .finish(),
            CaseInput::SdJwt {
                presentation,
                aud,
                nonce,
            } => f
                .debug_struct("SdJwt")
                .field("presentation_len", &presentation.len())
                .field("aud", aud)
                .field("nonce", nonce)
                .finish(),
        }
    }
}

/// One case of the verifier suite.
#[derive(Debug)]
pub struct VerifierCase {
    /// Stable identifier (`mdoc/valid/mdl-sig-age20`, `sd-jwt/fault/wrong-aud`).
    pub id: String,
    /// Report group: `mdoc` or `sd-jwt`.
    pub group: &'static str,
    /// One line: what the case does, and the clause it exercises.
    pub description: String,
    /// Whether its failure fails the run.
    pub required: bool,
    /// What a correct verifier does.
    pub expected: Expected,
    /// What it is given.
    pub input: CaseInput,
    /// The trust anchor (IACA certificate, DER) the verifier is told to trust.
    pub trust_der: Vec<u8>,
    /// The verification time.
    pub at: OffsetDateTime,
    /// True when `trust_der` and `at` are the suite's own (a target configured once, such as
    /// an HTTP till, can run the case); false for a published vector with its own IACA.
    pub suite_trust: bool,
}

impl VerifierCase {
    /// The IACA as PEM text (what `{trust}` points at).
    pub fn trust_pem(&self) -> String {
        pem("CERTIFICATE", &self.trust_der)
    }

    /// `at` as RFC 3339 (what `{at}` is).
    pub fn at_rfc3339(&self) -> String {
        self.at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }
}

/// PEM armour (RFC 7468) of `der` under `label`.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Building the suite failed (the suite's own key generation, issuance or PKI files).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SuiteError {
    /// `--suite` named no suite.
    #[error("unknown suite {0:?} (mdoc, sd-jwt or all)")]
    UnknownSuite(String),
    /// The suite PKI could not be generated, read or written.
    #[error("suite PKI: {0}")]
    Pki(#[from] kakunin_issuer::PkiError),
    /// Issuing a case's credential failed.
    #[error("issuing the credential of case {case}: {detail}")]
    Issue {
        /// The case.
        case: String,
        /// What failed.
        detail: String,
    },
    /// A published vector could not be loaded.
    #[error("published vector: {0}")]
    Vector(String),
}

impl SuiteError {
    /// The cause group: an unknown suite name is misuse, an unreadable PKI directory is
    /// malformed input, the rest is the suite's own failure (misuse of the libraries).
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            SuiteError::Pki(e) => e.cause(),
            _ => kakunin_core::Cause::Misuse,
        }
    }
}

/// Build the cases of `kind` with the suite PKI, verified at `at`.
pub fn build_suite(
    kind: SuiteKind,
    pki: &SuitePki,
    at: OffsetDateTime,
) -> Result<Vec<VerifierCase>, SuiteError> {
    let mut cases = Vec::new();
    if matches!(kind, SuiteKind::Mdoc | SuiteKind::All) {
        cases.extend(mdoc_cases::build(pki, at)?);
    }
    if matches!(kind, SuiteKind::SdJwt | SuiteKind::All) {
        cases.extend(sd_jwt_cases::build(pki, at)?);
    }
    Ok(cases)
}

/// Keep the cases whose id matches `pattern` (`*` matches any run of characters, `?` one
/// character; no other syntax), e.g. `mdoc/fault/*`.
pub fn glob_matches(pattern: &str, id: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|i| s.get(i..).is_some_and(|t| go(rest, t))),
            Some(('?', rest)) => s.split_first().is_some_and(|(_, t)| go(rest, t)),
            Some((c, rest)) => s.split_first().is_some_and(|(h, t)| h == c && go(rest, t)),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = id.chars().collect();
    go(&p, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_matches("mdoc/*", "mdoc/valid/x"));
        assert!(glob_matches("*wrong-aud", "sd-jwt/fault/wrong-aud"));
        assert!(glob_matches("a?c", "abc"));
        assert!(!glob_matches("a?c", "abbc"));
        assert!(!glob_matches("mdoc/*", "sd-jwt/valid/x"));
        assert!(glob_matches("*", ""));
    }

    #[test]
    fn pem_lines() {
        let p = pem("CERTIFICATE", &[0u8; 100]);
        assert!(p.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(p.lines().all(|l| l.len() <= 64));
        assert!(p.ends_with("-----END CERTIFICATE-----\n"));
    }
}
