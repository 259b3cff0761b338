//! What verification found: per response, per document, per check and per element.

use crate::{Check, CheckError};
use kakunin_core::cbor::Value;
use kakunin_core::mdoc::{DocumentError, ElementError, MsoStatus, ValidityInfo};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The check was performed and passed.
    Passed,
    /// The check was performed and failed; the document's `errors` say why.
    Failed,
    /// Not performed because an earlier check it depends on failed.
    NotPerformed,
}

impl Outcome {
    /// The stable snake_case name used in JSON reports.
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
    /// Which check of 9.3.1.
    pub check: Check,
    /// What came of it.
    pub outcome: Outcome,
}

/// Who signed the document (from the validated DS certificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerSummary {
    /// The document signer certificate's subject commonName.
    pub ds_common_name: Option<String>,
    /// The issuing country (countryName of the DS subject, else of the IACA; Annex B).
    pub country: Option<String>,
    /// The IACA (root) certificate's subject commonName.
    pub iaca_common_name: Option<String>,
    /// The DS certificate's serialNumber (RFC 5280 4.1.2.2) as lowercase hex of the
    /// INTEGER's content octets, as encoded (a leading 00 kept).
    pub ds_serial: Option<String>,
    /// The IACA certificate's full subject DN as an RFC 4514 string (most specific RDN
    /// first, special characters backslash-escaped per RFC 4514 but otherwise as
    /// certified: attacker-influenced text, to be escaped by whoever prints it).
    pub iaca_subject: Option<String>,
}

/// A returned element and whether its digest verified.
#[derive(Debug, Clone, PartialEq)]
pub struct DisclosedElement {
    /// The namespace (e.g. `org.iso.18013.5.1`).
    pub namespace: String,
    /// The elementIdentifier.
    pub identifier: String,
    /// The elementValue as received.
    pub value: Value,
    /// `Some(id)` for issuer-signed elements, `None` for device-signed ones.
    pub digest_id: Option<u64>,
    /// The element's digest matched the MSO (issuer-signed) or was authenticated by the
    /// device (device-signed) — and the document's signatures verified.
    pub verified: bool,
}

/// Something tolerated during verification that an interop tester should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A COSE unprotected header carried parameters with an `undefined`/`null` value (e.g.
    /// `{4: undefined}`); they are outside the signature and were ignored.
    IgnoredUnprotectedHeader {
        /// Which COSE structure: `issuerAuth` or `deviceSignature`.
        structure: &'static str,
        /// The header labels that were ignored.
        labels: Vec<i64>,
    },
    /// A certificate deviation tolerated in a test mode (pinned DS, lenient certificates;
    /// issue 18).
    Certificate(kakunin_core::trust::lenient::CertWarning),
}

impl core::fmt::Display for Warning {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Warning::IgnoredUnprotectedHeader { structure, labels } => write!(
                f,
                "{structure}: unprotected header label(s) {labels:?} had an undefined/null value; ignored (not covered by the signature)"
            ),
            Warning::Certificate(w) => write!(f, "{w}"),
        }
    }
}

/// Verification of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentReport {
    /// The document's docType as received.
    pub doc_type: String,
    /// Every check of [`Check::ALL`], in order, with its outcome.
    pub checks: Vec<CheckResult>,
    /// Who signed it, when the DS certificate chain validated.
    pub issuer: Option<IssuerSummary>,
    /// The MSO's validityInfo, when the MSO decoded.
    pub validity: Option<ValidityInfo>,
    /// The MSO's status reference (revocation, 18013-5 second edition), if any.
    pub status: Option<MsoStatus>,
    /// The status check of that reference against a Token Status List (crate::status).
    pub status_check: crate::status::StatusReport,
    /// The revocation check of the DS certificate chain by CRLs (crate::revocation).
    pub revocation: crate::revocation::RevocationReport,
    /// How the mdoc authenticated: `deviceSignature` or `deviceMac` (9.1.3).
    pub device_auth: &'static str,
    /// Every returned element, issuer-signed then device-signed.
    pub elements: Vec<DisclosedElement>,
    /// Elements the mdoc reports it did not return.
    pub not_returned: Vec<ElementError>,
    /// Every failure found in this document.
    pub errors: Vec<CheckError>,
    /// What was tolerated and ignored.
    pub warnings: Vec<Warning>,
}

impl DocumentReport {
    /// Every check of [`Check::ALL`] was performed and passed, no error was recorded, the
    /// status check passed (VALID, or nothing to check: no reference or no status source;
    /// [`crate::status::StatusReport::passes`]), and no certificate of the chain is revoked
    /// or of undetermined revocation ([`crate::revocation::RevocationReport::passes`]).
    pub fn valid(&self) -> bool {
        self.checks_valid() && self.status_check.passes() && self.revocation.passes()
    }

    /// Every check of [`Check::ALL`] was performed and passed and no error was recorded,
    /// whatever the status check says (for a verdict that applies an offline grace).
    pub(crate) fn checks_valid(&self) -> bool {
        self.errors.is_empty()
            && Check::ALL
                .iter()
                .all(|check| self.outcome(*check) == Outcome::Passed)
            && self.checks.iter().all(|c| c.outcome == Outcome::Passed)
    }

    /// Issuer data authentication passed (issue 18, `verify-issuer-signed`): no error, and
    /// the MSO, DS trust, issuer signature, validity and value digest checks passed (the
    /// docType check too, unless it was not performed for a bare IssuerSigned). Says nothing
    /// of the device: never a valid presentation.
    pub fn issuer_data_valid(&self) -> bool {
        self.errors.is_empty()
            && [
                Check::MsoStructure,
                Check::IssuerCertificateChain,
                Check::IssuerSignature,
                Check::Validity,
                Check::ValueDigests,
            ]
            .iter()
            .all(|c| self.outcome(*c) == Outcome::Passed)
            && self.outcome(Check::DocType) != Outcome::Failed
            && self.status_check.passes()
            && self.revocation.passes()
    }

    /// The outcome of one check.
    pub fn outcome(&self, check: Check) -> Outcome {
        self.checks
            .iter()
            .find(|c| c.check == check)
            .map(|c| c.outcome)
            .unwrap_or(Outcome::NotPerformed)
    }

    /// The verified value of an element, if it was returned and verified — never from a
    /// document that failed (or skipped) any check, whatever its elements' flags say.
    pub fn verified_value(&self, namespace: &str, identifier: &str) -> Option<&Value> {
        if !self.valid() {
            return None;
        }
        self.elements
            .iter()
            .find(|e| e.verified && e.namespace == namespace && e.identifier == identifier)
            .map(|e| &e.value)
    }

    /// The elements verified as returned: empty for a document that failed any check.
    pub fn verified_elements(&self) -> impl Iterator<Item = &DisclosedElement> {
        let valid = self.valid();
        self.elements.iter().filter(move |e| valid && e.verified)
    }
}

/// Verification of a whole DeviceResponse.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseReport {
    /// The DeviceResponse version, when it decoded.
    pub version: Option<String>,
    /// The DeviceResponse status (Table 8), when it decoded.
    pub status: Option<u64>,
    /// One report per returned document, in order.
    pub documents: Vec<DocumentReport>,
    /// The documentErrors the mdoc returned: requested docTypes it did not return.
    pub document_errors: Vec<DocumentError>,
    /// Response-level errors (malformed input, status, no documents).
    pub errors: Vec<CheckError>,
    /// How the Document Signers were trusted: [`crate::TrustMode::IacaChain`] by default;
    /// a test mode otherwise, which a till refuses.
    pub trust_mode: crate::TrustMode,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(outcome: Outcome) -> DocumentReport {
        DocumentReport {
            doc_type: "org.iso.18013.5.1.mDL".into(),
            checks: Check::ALL
                .iter()
                .map(|c| CheckResult {
                    check: *c,
                    outcome: if *c == Check::ValueDigests {
                        outcome
                    } else {
                        Outcome::Passed
                    },
                })
                .collect(),
            issuer: None,
            validity: None,
            status: None,
            status_check: Default::default(),
            revocation: Default::default(),
            device_auth: "deviceSignature",
            elements: vec![DisclosedElement {
                namespace: "org.iso.18013.5.1".into(),
                identifier: "age_over_20".into(),
                value: Value::Bool(true),
                digest_id: Some(0),
                // As a careless builder of a report might leave it.
                verified: true,
            }],
            not_returned: vec![],
            errors: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn nothing_is_verified_in_a_document_that_failed_a_check() {
        let ok = doc(Outcome::Passed);
        assert!(ok.valid());
        assert_eq!(
            ok.verified_value("org.iso.18013.5.1", "age_over_20"),
            Some(&Value::Bool(true))
        );
        assert_eq!(ok.verified_elements().count(), 1);
        for bad in [Outcome::Failed, Outcome::NotPerformed] {
            let d = doc(bad);
            assert!(!d.valid());
            assert_eq!(d.verified_value("org.iso.18013.5.1", "age_over_20"), None);
            assert_eq!(d.verified_elements().count(), 0);
        }
        // A check missing from the list is not a pass.
        let mut missing = doc(Outcome::Passed);
        missing
            .checks
            .retain(|c| c.check != Check::DeviceAuthentication);
        assert!(!missing.valid());
        assert_eq!(
            missing.verified_value("org.iso.18013.5.1", "age_over_20"),
            None
        );
    }
}
