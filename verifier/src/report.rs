//! What verification found: per response, per document, per check and per element.

use crate::{Check, CheckError};
use kakunin_core::cbor::Value;
use kakunin_core::mdoc::{DocumentError, ElementError, MsoStatus, ValidityInfo};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// Not performed because an earlier check it depends on failed.
    NotPerformed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::NotPerformed => "not_performed",
        }
    }
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub check: Check,
    pub outcome: Outcome,
}

/// Who signed the document (from the validated DS certificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerSummary {
    pub ds_common_name: Option<String>,
    pub country: Option<String>,
    pub iaca_common_name: Option<String>,
}

/// A returned element and whether its digest verified.
#[derive(Debug, Clone, PartialEq)]
pub struct DisclosedElement {
    pub namespace: String,
    pub identifier: String,
    pub value: Value,
    /// `Some(id)` for issuer-signed elements, `None` for device-signed ones.
    pub digest_id: Option<u64>,
    /// The element's digest matched the MSO (issuer-signed) or was authenticated by the
    /// device (device-signed) — and the document's signatures verified.
    pub verified: bool,
}

/// Something tolerated during verification that an interop tester should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A COSE unprotected header carried parameters with an `undefined`/`null` value (e.g.
    /// `{4: undefined}`); they are outside the signature and were ignored.
    IgnoredUnprotectedHeader {
        structure: &'static str,
        labels: Vec<i64>,
    },
}

impl core::fmt::Display for Warning {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Warning::IgnoredUnprotectedHeader { structure, labels } => write!(
                f,
                "{structure}: unprotected header label(s) {labels:?} had an undefined/null value; ignored (not covered by the signature)"
            ),
        }
    }
}

/// Verification of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentReport {
    pub doc_type: String,
    pub checks: Vec<CheckResult>,
    pub issuer: Option<IssuerSummary>,
    pub validity: Option<ValidityInfo>,
    pub status: Option<MsoStatus>,
    pub device_auth: &'static str,
    pub elements: Vec<DisclosedElement>,
    /// Elements the mdoc reports it did not return.
    pub not_returned: Vec<ElementError>,
    pub errors: Vec<CheckError>,
    pub warnings: Vec<Warning>,
}

impl DocumentReport {
    /// Every check passed.
    pub fn valid(&self) -> bool {
        self.errors.is_empty() && self.checks.iter().all(|c| c.outcome == Outcome::Passed)
    }

    /// The outcome of one check.
    pub fn outcome(&self, check: Check) -> Outcome {
        self.checks
            .iter()
            .find(|c| c.check == check)
            .map(|c| c.outcome)
            .unwrap_or(Outcome::NotPerformed)
    }

    /// The verified value of an element, if it was returned and verified.
    pub fn verified_value(&self, namespace: &str, identifier: &str) -> Option<&Value> {
        self.elements
            .iter()
            .find(|e| e.verified && e.namespace == namespace && e.identifier == identifier)
            .map(|e| &e.value)
    }
}

/// Verification of a whole DeviceResponse.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseReport {
    pub version: Option<String>,
    pub status: Option<u64>,
    pub documents: Vec<DocumentReport>,
    pub document_errors: Vec<DocumentError>,
    /// Response-level errors (malformed input, status, no documents).
    pub errors: Vec<CheckError>,
}

impl ResponseReport {
    /// The response decoded, its status is OK, it holds at least one document, and every
    /// document passed every check.
    pub fn valid(&self) -> bool {
        self.errors.is_empty()
            && !self.documents.is_empty()
            && self.documents.iter().all(DocumentReport::valid)
    }

    /// Every error, response-level first.
    pub fn all_errors(&self) -> impl Iterator<Item = &CheckError> {
        self.errors
            .iter()
            .chain(self.documents.iter().flat_map(|d| d.errors.iter()))
    }
}
