//! Kakunin issuer: a test PKI following ISO 18013-5 Annex B, claim validation for the mDL and
//! the Japanese PID profile, and mdoc issuance in single-use batches (clause 9.1.2).
#![forbid(unsafe_code)]

pub mod claims;
pub mod crl;
mod jpki_proofing;
pub mod mdoc;
pub mod pki;
pub mod proofing;
pub mod sd_jwt_vc;
pub mod status;
#[cfg(test)]
mod test_support;

pub use claims::{elements_from_json, ClaimError, DocProfile, Element};
pub use mdoc::{IssueError, IssuedMdoc, MdocIssuer};
pub use pki::{KeyAndCert, PkiError, TestPki};
pub use status::StatusList;
