//! The till's verdict: a policy over a *complete* verification report that answers OK or NG
//! with exactly one reason from a fixed, documented set (docs/verdict.md).
//!
//! OK needs all three of: the document passed every check of clause 9.3.1 (or every RFC 9901 /
//! SD-JWT VC check), it chains to a trusted IACA, and the age element is verified `true`.
//! Anything else is NG with the single most important reason, in this order of precedence —
//! a document that is tampered with cannot be trusted to say whether it expired:
//! `malformed`, `untrusted_issuer`, `tampered`, `device_auth_failed`, `revoked`,
//! `status_unknown`, `expired`, `not_yet_valid`, `not_disclosed`, `under_age`.
//! Failures of the exchange itself (`timeout`, `cancelled`, a session that does not decrypt)
//! are decided by the reader flow and handed to [`Decision::ng`].
//!
//! Status (draft-ietf-oauth-status-list-20, crate::status): INVALID or SUSPENDED is NG
//! `revoked`; undetermined (no list, stale, wrong signer, ...) or an application-specific value
//! is NG `status_unknown`, unless [`StatusPolicy::offline_grace`] accepts a list that verified
//! but is overdue by at most that much (then what that list says is judged). A credential
//! without a status reference, or one verified without status lists, passes, unless
//! [`StatusPolicy::required`] (then `status_unknown`).
//!
//! Revocation by CRLs (RFC 5280, crate::revocation): a certificate of the DS chain listed by
//! its issuer's current CRL is NG `revoked`; a CRL past its nextUpdate is NG `status_unknown`
//! unless overdue by at most the same [`StatusPolicy::offline_grace`]; a CRL not yet valid or
//! unusable is NG `status_unknown`; no CRL for the chain's issuers passes.
//!
//! Age elements (ISO 18013-5 clause 7.2.5): a wallet asked for `age_over_20` that holds only
//! other thresholds may answer with the nearest one, so a verified `age_over_NN = true` with
//! NN ≥ the policy's threshold proves the age, and `age_over_NN = false` with NN ≤ it disproves
//! it. The SD-JWT VC form (`age_equal_or_over: {"20": true}`) is read the same way.

use crate::status::{StatusOutcome, StatusReport};
use crate::{CheckError, DocumentReport, ResponseReport};
use kakunin_core::cbor::Value;
use kakunin_core::mdoc::{JP_PID_DOCTYPE, JP_PID_NAMESPACE, MDL_DOCTYPE, MDL_NAMESPACE};
use kakunin_core::sdjwt::{JwsError, SdJwtError, VcError, VerifiedSdJwt, JP_PID_VCT};
use kakunin_core::status::StatusCheck;

/// Why the till said NG. The codes are a published interface (audit log, JSON API, page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NgReason {
    /// The age element is verified and says the customer is under the threshold.
    UnderAge,
    /// The age element was not returned: the customer declined, or the wallet has no such
    /// credential or element.
    NotDisclosed,
    /// The credential is past its validity (validUntil / `exp`).
    Expired,
    /// The credential is not valid yet (validFrom / `nbf`).
    NotYetValid,
    /// The issuer does not chain to a trusted IACA (or its certificate is not usable).
    UntrustedIssuer,
    /// A digest, the issuer signature or the document structure was altered.
    Tampered,
    /// Device authentication failed: the response was not made by the credential's device key
    /// for this session (including another session's response, or a replay).
    DeviceAuthFailed,
    /// The credential's status list says it is revoked or suspended.
    Revoked,
    /// The credential's status could not be determined.
    StatusUnknown,
    /// The customer's phone did not answer within the deadline.
    Timeout,
    /// The phone sent something that does not decode as the protocol requires.
    Malformed,
    /// The clerk or the customer cancelled the check.
    Cancelled,
}

impl NgReason {
    /// Every reason, in the documented order.
    pub const ALL: [NgReason; 12] = [
        NgReason::UnderAge,
        NgReason::NotDisclosed,
        NgReason::Expired,
        NgReason::NotYetValid,
        NgReason::UntrustedIssuer,
        NgReason::Tampered,
        NgReason::DeviceAuthFailed,
        NgReason::Revoked,
        NgReason::StatusUnknown,
        NgReason::Timeout,
        NgReason::Malformed,
        NgReason::Cancelled,
    ];

    /// The stable machine-readable code.
    pub const fn code(self) -> &'static str {
        match self {
            NgReason::UnderAge => "under_age",
            NgReason::NotDisclosed => "not_disclosed",
            NgReason::Expired => "expired",
            NgReason::NotYetValid => "not_yet_valid",
            NgReason::UntrustedIssuer => "untrusted_issuer",
            NgReason::Tampered => "tampered",
            NgReason::DeviceAuthFailed => "device_auth_failed",
            NgReason::Revoked => "revoked",
            NgReason::StatusUnknown => "status_unknown",
            NgReason::Timeout => "timeout",
            NgReason::Malformed => "malformed",
            NgReason::Cancelled => "cancelled",
        }
    }

    /// The reason for a code, if it is one of ours.
    pub fn from_code(code: &str) -> Option<NgReason> {
        NgReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What the clerk reads, in English.
    pub const fn text_en(self) -> &'static str {
        match self {
            NgReason::UnderAge => "Under the age limit. Do not sell.",
            NgReason::NotDisclosed => {
                "The age was not shared. Ask the customer to allow the age check, or check a physical ID."
            }
            NgReason::Expired => "The credential has expired. Check a physical ID.",
            NgReason::NotYetValid => "The credential is not valid yet. Check a physical ID.",
            NgReason::UntrustedIssuer => {
                "The credential is not from a trusted issuer. Check a physical ID."
            }
            NgReason::Tampered => "The credential has been altered. Do not sell.",
            NgReason::DeviceAuthFailed => {
                "The phone could not prove the credential is its own. Try again, or check a physical ID."
            }
            NgReason::Revoked => "The credential has been revoked. Check a physical ID.",
            NgReason::StatusUnknown => {
                "The credential's status could not be checked. Check a physical ID."
            }
            NgReason::Timeout => "The phone did not answer in time. Try again.",
            NgReason::Malformed => "The phone sent an unreadable answer. Try again.",
            NgReason::Cancelled => "The check was cancelled.",
        }
    }

    /// What the clerk reads, in Japanese.
    pub const fn text_ja(self) -> &'static str {
        match self {
            NgReason::UnderAge => "年齢制限に満たないため、販売できません。",
            NgReason::NotDisclosed => {
                "年齢情報が提示されませんでした。提示の許可をお願いするか、本人確認書類で確認してください。"
            }
            NgReason::Expired => "有効期限が切れています。本人確認書類で確認してください。",
            NgReason::NotYetValid => "まだ有効ではありません。本人確認書類で確認してください。",
            NgReason::UntrustedIssuer => {
                "信頼できる発行者のものではありません。本人確認書類で確認してください。"
            }
            NgReason::Tampered => "改ざんが検出されました。販売できません。",
            NgReason::DeviceAuthFailed => {
                "端末の認証に失敗しました。もう一度お試しいただくか、本人確認書類で確認してください。"
            }
            NgReason::Revoked => "失効しています。本人確認書類で確認してください。",
            NgReason::StatusUnknown => {
                "失効状態を確認できませんでした。本人確認書類で確認してください。"
            }
            NgReason::Timeout => "端末から時間内に応答がありませんでした。もう一度お試しください。",
            NgReason::Malformed => "端末の応答を読み取れませんでした。もう一度お試しください。",
            NgReason::Cancelled => "確認は取り消されました。",
        }
    }
}

impl core::fmt::Display for NgReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.code())
    }
}

/// OK, or NG with its one reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Sell: every check passed and the age is verified.
    Ok,
    /// Do not sell on this evidence, for this reason.
    Ng(NgReason),
}

impl Verdict {
    /// `"OK"` or `"NG"`.
    pub const fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::Ng(_) => "NG",
        }
    }

    /// The reason, for NG.
    pub const fn reason(self) -> Option<NgReason> {
        match self {
            Verdict::Ok => None,
            Verdict::Ng(r) => Some(r),
        }
    }
}

/// A verified portrait, for the clerk's look at the face. Personal data: it is wiped from
/// memory when dropped and never shows in `Debug`.
pub struct Portrait(zeroize::Zeroizing<Vec<u8>>);

impl Portrait {
    /// The image bytes (JPEG or JPEG 2000, as issued).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for Portrait {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Portrait(<{} bytes>)", self.0.len())
    }
}

/// Which credential the verdict is about (no attribute values: safe to log).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialKind {
    /// An mdoc of this docType.
    Mdoc {
        /// The document's docType, as sent (attacker-chosen text: escape before printing).
        doc_type: String,
    },
    /// An SD-JWT VC of this `vct`.
    SdJwtVc {
        /// The `vct` claim (attacker-chosen text: escape before printing).
        vct: String,
    },
}

/// The verdict with what the clerk may see alongside it.
#[derive(Debug)]
pub struct Decision {
    /// OK or NG with one reason.
    pub verdict: Verdict,
    /// The credential the verdict is about, when one was received.
    pub credential: Option<CredentialKind>,
    /// The verified portrait, only with OK and only when the policy asks for it.
    pub portrait: Option<Portrait>,
}

impl Decision {
    /// NG for a reason found outside the report (a timeout, a cancelled check, a session that
    /// failed before any response arrived).
    pub fn ng(reason: NgReason) -> Self {
        Decision {
            verdict: Verdict::Ng(reason),
            credential: None,
            portrait: None,
        }
    }
}

/// A document the till accepts, and the namespace its age elements live in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedDocument {
    /// The mdoc docType.
    pub doc_type: String,
    /// The namespace of `age_over_NN` and `portrait`.
    pub namespace: String,
}

/// What the till requires of a credential's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusPolicy {
    /// Every credential must have its status checked and VALID: one without a status
    /// reference, or verified without status lists, is NG `status_unknown`.
    pub required: bool,
    /// How long past its `exp`/`ttl` a list that otherwise verified is still believed (an
    /// offline till whose cache could not be refreshed). Zero: never.
    pub offline_grace: time::Duration,
}

impl StatusPolicy {
    /// The verdict reason of a status check, `None` when it lets the credential through.
    pub fn failure(&self, s: &StatusReport) -> Option<NgReason> {
        let judge = |c: &StatusCheck| match c {
            StatusCheck::Valid => None,
            StatusCheck::Invalid | StatusCheck::Suspended => Some(NgReason::Revoked),
            _ => Some(NgReason::StatusUnknown),
        };
        match &s.outcome {
            StatusOutcome::NotApplicable | StatusOutcome::NotChecked => {
                self.required.then_some(NgReason::StatusUnknown)
            }
            // The credential's own checks failed; their reason is the verdict's.
            StatusOutcome::NotPerformed => None,
            StatusOutcome::Checked(StatusCheck::Undetermined { .. }) => match &s.stale {
                Some(stale) if stale.overdue <= self.offline_grace => judge(&stale.status),
                _ => Some(NgReason::StatusUnknown),
            },
            StatusOutcome::Checked(c) => judge(c),
        }
    }
}

impl StatusPolicy {
    /// The verdict reason of a CRL revocation check (crate::revocation), `None` when it lets
    /// the credential through: a certificate of the chain revoked is `revoked`; a CRL that
    /// cannot be believed is `status_unknown`, except that one only overdue by at most
    /// [`StatusPolicy::offline_grace`] is believed (the same grace as for status lists).
    /// No CRL of the chain's issuers, or none configured, passes: CRLs are optional evidence
    /// ([`StatusPolicy::required`] is about the credential's own status reference).
    pub fn revocation_failure(&self, r: &crate::RevocationReport) -> Option<NgReason> {
        use crate::RevocationVerdict as V;
        match r.verdict() {
            V::Passes => None,
            V::Revoked => Some(NgReason::Revoked),
            V::Stale { overdue, revoked } if overdue <= self.offline_grace => {
                revoked.then_some(NgReason::Revoked)
            }
            V::Stale { .. } | V::Undetermined => Some(NgReason::StatusUnknown),
        }
    }
}

/// The till's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgePolicy {
    /// The age to prove (20 in Japan for alcohol and tobacco).
    pub threshold: u8,
    /// Show the verified portrait with OK.
    pub portrait: bool,
    /// The mdoc documents accepted; the first one returned that matches is judged.
    pub mdoc_documents: Vec<AcceptedDocument>,
    /// The SD-JWT VC types accepted.
    pub sd_jwt_vcts: Vec<String>,
    /// What the credential's status must be.
    pub status: StatusPolicy,
}

impl Default for AgePolicy {
    /// Twenty or over, with the portrait; the mDL and the Japanese PID (as mdoc and SD-JWT VC).
    fn default() -> Self {
        AgePolicy {
            threshold: 20,
            portrait: true,
            mdoc_documents: vec![
                AcceptedDocument {
                    doc_type: MDL_DOCTYPE.into(),
                    namespace: MDL_NAMESPACE.into(),
                },
                AcceptedDocument {
                    doc_type: JP_PID_DOCTYPE.into(),
                    namespace: JP_PID_NAMESPACE.into(),
                },
            ],
            sd_jwt_vcts: vec![JP_PID_VCT.into()],
            status: StatusPolicy::default(),
        }
    }
}

/// What a verified age element says.
enum AgeEvidence {
    Proves,
    Disproves,
    Silent,
    Malformed,
}

impl AgePolicy {
    /// A policy for another threshold, otherwise the default.
    pub fn with_threshold(threshold: u8) -> Self {
        AgePolicy {
            threshold,
            ..AgePolicy::default()
        }
    }

    /// The element a request should ask for (`age_over_20`).
    pub fn mdoc_element(&self) -> String {
        format!("age_over_{:02}", self.threshold)
    }

    /// The SD-JWT VC claim path a request should ask for (`age_equal_or_over.20`).
    pub fn sd_jwt_claim(&self) -> String {
        format!("age_equal_or_over.{}", self.threshold)
    }

    /// Judge a complete DeviceResponse report.
    pub fn decide_mdoc(&self, report: &ResponseReport) -> Decision {
        // The test modes (a pinned DS, lenient certificates; issue 18) are never a till's
        // policy: whatever else the report says, the issuer is not trusted.
        if report.trust_mode.is_test_mode() {
            return Decision::ng(NgReason::UntrustedIssuer);
        }
        if let Some(reason) = response_failure(report) {
            return Decision::ng(reason);
        }
        let found = report.documents.iter().find_map(|d| {
            self.mdoc_documents
                .iter()
                .find(|a| a.doc_type == d.doc_type)
                .map(|a| (d, a))
        });
        let Some((doc, accepted)) = found else {
            return Decision {
                credential: report.documents.first().map(|d| CredentialKind::Mdoc {
                    doc_type: d.doc_type.clone(),
                }),
                ..Decision::ng(NgReason::NotDisclosed)
            };
        };
        let credential = Some(CredentialKind::Mdoc {
            doc_type: doc.doc_type.clone(),
        });
        let failure = document_failure(doc)
            .into_iter()
            .chain(self.status.failure(&doc.status_check))
            .chain(self.status.revocation_failure(&doc.revocation))
            .min_by_key(|r| precedence(*r));
        let verdict = match failure {
            Some(reason) => Verdict::Ng(reason),
            None => match self.mdoc_age(doc, &accepted.namespace) {
                AgeEvidence::Proves => Verdict::Ok,
                AgeEvidence::Disproves => Verdict::Ng(NgReason::UnderAge),
                AgeEvidence::Silent => Verdict::Ng(NgReason::NotDisclosed),
                AgeEvidence::Malformed => Verdict::Ng(NgReason::Malformed),
            },
        };
        let portrait = match (verdict, self.portrait) {
            (Verdict::Ok, true) => match judged_elements(doc)
                .find(|e| e.namespace == accepted.namespace && e.identifier == "portrait")
                .map(|e| &e.value)
            {
                Some(Value::Bytes(b)) => Some(Portrait(zeroize::Zeroizing::new(b.clone()))),
                _ => None,
            },
            _ => None,
        };
        Decision {
            verdict,
            credential,
            portrait,
        }
    }

    fn mdoc_age(&self, doc: &DocumentReport, namespace: &str) -> AgeEvidence {
        let mut evidence = AgeEvidence::Silent;
        for e in judged_elements(doc).filter(|e| e.namespace == namespace) {
            let Some(nn) = age_threshold_of(&e.identifier, "age_over_") else {
                continue;
            };
            match (&e.value, nn) {
                (Value::Bool(true), nn) if nn >= self.threshold => return AgeEvidence::Proves,
                (Value::Bool(false), nn) if nn <= self.threshold => {
                    evidence = AgeEvidence::Disproves
                }
                (Value::Bool(_), _) => {}
                _ if nn == self.threshold => evidence = AgeEvidence::Malformed,
                _ => {}
            }
        }
        evidence
    }

    /// Judge the SD-JWT VC presentations of one proximity response: `Err` when the response
    /// itself did not decode, otherwise its status and each presentation's verification.
    /// Their status is not checked ([`Self::decide_sd_jwt_with_status`] does).
    pub fn decide_sd_jwt(&self, response: &crate::SdJwtResponseResult) -> Decision {
        self.decide_sd_jwt_with_status(response, &[])
    }

    /// [`Self::decide_sd_jwt`] with the status check of each presentation, in the order of
    /// the response (crate::status::sd_jwt_response_status); a missing one is not checked.
    pub fn decide_sd_jwt_with_status(
        &self,
        response: &crate::SdJwtResponseResult,
        statuses: &[StatusReport],
    ) -> Decision {
        self.decide_sd_jwt_with_checks(response, statuses, &[])
    }

    /// [`Self::decide_sd_jwt_with_status`] with the CRL revocation check of each
    /// presentation's `x5c` chain too (crate::revocation::sd_jwt_revocation), in the order of
    /// the response; a missing one is not checked.
    pub fn decide_sd_jwt_with_checks(
        &self,
        response: &crate::SdJwtResponseResult,
        statuses: &[StatusReport],
        revocations: &[crate::RevocationReport],
    ) -> Decision {
        let (status, results) = match response {
            Ok(r) => r,
            Err(_) => return Decision::ng(NgReason::Malformed),
        };
        if *status != 0 {
            return Decision::ng(NgReason::Malformed);
        }
        // Judge the first presentation of an accepted type; a failed one is judged as failed
        // (its vct cannot be trusted, so it counts as the candidate).
        let Some((position, result)) = results.iter().enumerate().find(|(_, r)| match r {
            Ok(v) => v
                .claims
                .get("vct")
                .and_then(|v| v.as_str())
                .is_some_and(|vct| self.sd_jwt_vcts.iter().any(|a| a == vct)),
            Err(_) => true,
        }) else {
            return Decision::ng(NgReason::NotDisclosed);
        };
        let v = match result {
            Ok(v) => v,
            Err(e) => return Decision::ng(sd_jwt_failure(e)),
        };
        let credential = v
            .claims
            .get("vct")
            .and_then(|v| v.as_str())
            .map(|vct| CredentialKind::SdJwtVc { vct: vct.into() });
        let not_checked = StatusReport {
            outcome: StatusOutcome::NotChecked,
            ..StatusReport::default()
        };
        let status_check = statuses.get(position).unwrap_or(&not_checked);
        let revocation_failure = revocations
            .get(position)
            .and_then(|r| self.status.revocation_failure(r));
        let failure = self
            .status
            .failure(status_check)
            .into_iter()
            .chain(revocation_failure)
            .min_by_key(|r| precedence(*r));
        let verdict = match failure {
            Some(reason) => Verdict::Ng(reason),
            None => match self.sd_jwt_age(v) {
                AgeEvidence::Proves => Verdict::Ok,
                AgeEvidence::Disproves => Verdict::Ng(NgReason::UnderAge),
                AgeEvidence::Silent => Verdict::Ng(NgReason::NotDisclosed),
                AgeEvidence::Malformed => Verdict::Ng(NgReason::Malformed),
            },
        };
        let portrait = match (verdict, self.portrait) {
            (Verdict::Ok, true) => v
                .claims
                .get("portrait")
                .and_then(|p| p.as_str())
                .and_then(decode_base64)
                .map(|b| Portrait(zeroize::Zeroizing::new(b))),
            _ => None,
        };
        Decision {
            verdict,
            credential,
            portrait,
        }
    }

    fn sd_jwt_age(&self, v: &VerifiedSdJwt) -> AgeEvidence {
        let Some(ages) = v.claims.get("age_equal_or_over") else {
            return AgeEvidence::Silent;
        };
        let Some(ages) = ages.as_object() else {
            return AgeEvidence::Malformed;
        };
        let mut evidence = AgeEvidence::Silent;
        for (k, val) in ages {
            let Some(nn) = age_threshold_of(k, "") else {
                continue;
            };
            match (val.as_bool(), nn) {
                (Some(true), nn) if nn >= self.threshold => return AgeEvidence::Proves,
                (Some(false), nn) if nn <= self.threshold => evidence = AgeEvidence::Disproves,
                (Some(_), _) => {}
                (None, nn) if nn == self.threshold => evidence = AgeEvidence::Malformed,
                (None, _) => {}
            }
        }
        evidence
    }
}

/// `NN` of `age_over_NN` (two decimal digits, clause 7.2.5), or of a bare `"NN"`.
fn age_threshold_of(name: &str, prefix: &str) -> Option<u8> {
    let digits = name.strip_prefix(prefix)?;
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let s = s.trim_end_matches('=');
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .ok()
}

/// A failure of the response as a whole (before any document is judged).
fn response_failure(report: &ResponseReport) -> Option<NgReason> {
    if let Some(e) = report.errors.first() {
        return Some(match e {
            CheckError::NoDocuments => NgReason::NotDisclosed,
            _ => NgReason::Malformed,
        });
    }
    if report.documents.is_empty() {
        return Some(NgReason::NotDisclosed);
    }
    None
}

/// The elements the age and the portrait are read from: verified ones of a document that
/// passed every check of 9.3.1 (its status is judged apart, by [`StatusPolicy`]).
fn judged_elements(doc: &DocumentReport) -> impl Iterator<Item = &crate::DisclosedElement> {
    let valid = doc.checks_valid();
    doc.elements.iter().filter(move |e| valid && e.verified)
}

/// Precedence among a document's failures (lower is more important).
fn precedence(reason: NgReason) -> u8 {
    match reason {
        NgReason::Malformed => 0,
        NgReason::UntrustedIssuer => 1,
        NgReason::Tampered => 2,
        NgReason::DeviceAuthFailed => 3,
        NgReason::Revoked => 4,
        NgReason::StatusUnknown => 5,
        NgReason::Expired => 6,
        NgReason::NotYetValid => 7,
        _ => 8,
    }
}

/// The reason a document failed, if it failed any check.
fn document_failure(doc: &DocumentReport) -> Option<NgReason> {
    let worst = doc
        .errors
        .iter()
        .map(check_error_reason)
        .min_by_key(|r| precedence(*r));
    match worst {
        Some(r) => Some(r),
        // A check that did not pass without an error to say why: never OK on that.
        None if !doc.checks_valid() => Some(NgReason::Malformed),
        None => None,
    }
}

/// The verdict reason for one failed mdoc check.
pub fn check_error_reason(e: &CheckError) -> NgReason {
    match e {
        CheckError::UntrustedIssuer { .. }
        | CheckError::SignedOutsideCertificateValidity { .. } => NgReason::UntrustedIssuer,
        CheckError::IssuerSignature { .. }
        | CheckError::DocTypeMismatch { .. }
        | CheckError::DigestMismatch { .. }
        | CheckError::DigestMissing { .. }
        | CheckError::DuplicateDigestId { .. }
        | CheckError::DuplicateElement { .. }
        | CheckError::DeviceKeyNotAuthorized { .. }
        | CheckError::DeviceSignedOverridesIssuer { .. } => NgReason::Tampered,
        CheckError::DeviceSignature { .. }
        | CheckError::DeviceMac { .. }
        | CheckError::DeviceMacNeedsReaderKey { .. }
        | CheckError::ReaderKeyNotInTranscript { .. }
        | CheckError::Crypto { .. } => NgReason::DeviceAuthFailed,
        CheckError::Expired { .. } => NgReason::Expired,
        CheckError::NotYetValid { .. } => NgReason::NotYetValid,
        CheckError::NoDocuments => NgReason::NotDisclosed,
        _ => NgReason::Malformed,
    }
}

/// The verdict reason for a rejected SD-JWT VC presentation.
pub fn sd_jwt_failure(e: &VcError) -> NgReason {
    match e {
        VcError::Untrusted(_) => NgReason::UntrustedIssuer,
        // The issuer signed a credential that breaks the format (a holder cannot add a
        // Disclosure the issuer did not digest): not a tampering, an unusable credential.
        VcError::SelectivelyDisclosed(_) => NgReason::Malformed,
        VcError::SdJwt(e) => match e {
            SdJwtError::Expired => NgReason::Expired,
            SdJwtError::NotYetValid => NgReason::NotYetValid,
            SdJwtError::MissingKeyBinding
            | SdJwtError::NoHolderKey
            | SdJwtError::KbTyp
            | SdJwtError::KbAudience
            | SdJwtError::KbNonce
            | SdJwtError::KbIat
            | SdJwtError::KbSdHash => NgReason::DeviceAuthFailed,
            SdJwtError::Jws { part, source } => match source {
                JwsError::BadSignature | JwsError::AlgKeyMismatch { .. }
                    if *part == kakunin_core::sdjwt::JwtPart::KbJwt =>
                {
                    NgReason::DeviceAuthFailed
                }
                JwsError::BadSignature | JwsError::AlgKeyMismatch { .. } => NgReason::Tampered,
                JwsError::BadX5c => NgReason::UntrustedIssuer,
                JwsError::AlgNone | JwsError::UnsupportedAlg(_) => NgReason::UntrustedIssuer,
                _ => NgReason::Malformed,
            },
            SdJwtError::UnsupportedSdAlg(_) => NgReason::UntrustedIssuer,
            SdJwtError::DuplicateDigest(_)
            | SdJwtError::UnreferencedDisclosure { .. }
            | SdJwtError::ForbiddenClaimName(_)
            | SdJwtError::ClaimOverwrite(_)
            | SdJwtError::WrongDisclosureKind(_) => NgReason::Tampered,
            _ => NgReason::Malformed,
        },
        _ => NgReason::Malformed,
    }
}

/// Why an NG reason was given, where the reason's own text would mislead the clerk. Only
/// ever alongside its reason (see [`NgDetail::reason`]); the reason code stays the
/// published interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NgDetail {
    /// The till's trust data (its signed trust bundle) is older than the policy's maximum
    /// age: no credential can be judged until it is refreshed. With `status_unknown`.
    TrustDataTooOld,
}

impl NgDetail {
    /// The reason it goes with.
    pub const fn reason(self) -> NgReason {
        match self {
            NgDetail::TrustDataTooOld => NgReason::StatusUnknown,
        }
    }

    /// The stable machine-readable code.
    pub const fn code(self) -> &'static str {
        match self {
            NgDetail::TrustDataTooOld => "trust_data_too_old",
        }
    }

    /// What the clerk reads, in English.
    pub const fn text_en(self) -> &'static str {
        match self {
            NgDetail::TrustDataTooOld => {
                "Trust data too old: this till's trust data must be updated. Check a physical ID."
            }
        }
    }

    /// What the clerk reads, in Japanese.
    pub const fn text_ja(self) -> &'static str {
        match self {
            NgDetail::TrustDataTooOld => {
                "信頼データが古すぎます。レジの信頼データを更新してください。本人確認書類で確認してください。"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Check, CheckResult, DisclosedElement, Outcome};
    use kakunin_core::cose::CoseError;
    use kakunin_core::trust::TrustError;

    fn element(id: &str, value: Value, verified: bool) -> DisclosedElement {
        DisclosedElement {
            namespace: MDL_NAMESPACE.into(),
            identifier: id.into(),
            value,
            digest_id: Some(1),
            verified,
        }
    }

    fn doc(elements: Vec<DisclosedElement>, errors: Vec<CheckError>) -> DocumentReport {
        let failed: Vec<Check> = errors.iter().filter_map(CheckError::check).collect();
        DocumentReport {
            doc_type: MDL_DOCTYPE.into(),
            checks: Check::ALL
                .iter()
                .map(|c| CheckResult {
                    check: *c,
                    outcome: if failed.contains(c) {
                        Outcome::Failed
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
            device_auth: "signature",
            elements,
            not_returned: vec![],
            errors,
            warnings: vec![],
        }
    }

    fn report(docs: Vec<DocumentReport>) -> ResponseReport {
        ResponseReport {
            trust_mode: crate::TrustMode::IacaChain,
            version: Some("1.0".into()),
            status: Some(0),
            documents: docs,
            document_errors: vec![],
            errors: vec![],
        }
    }

    fn over_20(v: bool) -> Vec<DisclosedElement> {
        vec![element("age_over_20", Value::Bool(v), true)]
    }

    fn decide(errors: Vec<CheckError>) -> Verdict {
        AgePolicy::default()
            .decide_mdoc(&report(vec![doc(over_20(true), errors)]))
            .verdict
    }

    fn at() -> time::OffsetDateTime {
        time::macros::datetime!(2026-12-01 09:00 UTC)
    }

    /// SD-JWT VC §3.2.2.2: a registered claim in a Disclosure is the issuer's malformed
    /// credential (docs/verdict.md), not a tampering.
    #[test]
    fn a_selectively_disclosed_registered_claim_is_malformed() {
        for name in kakunin_core::sdjwt::NEVER_DISCLOSABLE {
            assert_eq!(
                sd_jwt_failure(&VcError::SelectivelyDisclosed(name)),
                NgReason::Malformed
            );
        }
    }

    /// Issue 18: a report made in a test mode (pinned DS, lenient certificates) is never OK
    /// at a till, however valid its document is.
    #[test]
    fn test_mode_reports_are_untrusted_issuer() {
        let policy = AgePolicy::default();
        let ok = report(vec![doc(over_20(true), vec![])]);
        assert_eq!(policy.decide_mdoc(&ok).verdict, Verdict::Ok);
        for mode in [
            crate::TrustMode::PinnedDs,
            crate::TrustMode::IacaChainLenient,
        ] {
            let mut r = ok.clone();
            r.trust_mode = mode;
            assert!(r.valid(), "the report itself is valid");
            assert_eq!(
                policy.decide_mdoc(&r).verdict,
                Verdict::Ng(NgReason::UntrustedIssuer),
                "{mode:?}"
            );
        }
    }

    #[test]
    fn ok_only_for_a_fully_valid_document_with_age_verified_true() {
        let policy = AgePolicy::default();
        let mut els = over_20(true);
        els.push(element(
            "portrait",
            Value::Bytes(vec![0xff, 0xd8, 1, 2]),
            true,
        ));
        let d = policy.decide_mdoc(&report(vec![doc(els, vec![])]));
        assert_eq!(d.verdict, Verdict::Ok);
        assert_eq!(
            d.portrait.as_ref().map(Portrait::bytes),
            Some(&[0xff, 0xd8, 1, 2][..])
        );
        assert!(!format!("{:?}", d.portrait).contains("255"));
        assert_eq!(
            d.credential,
            Some(CredentialKind::Mdoc {
                doc_type: MDL_DOCTYPE.into()
            })
        );
    }

    #[test]
    fn under_age() {
        let d = AgePolicy::default().decide_mdoc(&report(vec![doc(over_20(false), vec![])]));
        assert_eq!(d.verdict, Verdict::Ng(NgReason::UnderAge));
        assert!(d.portrait.is_none());
    }

    #[test]
    fn nearest_age_element_rules_of_7_2_5() {
        let p = AgePolicy::default();
        let with = |id: &str, v: bool| {
            p.decide_mdoc(&report(vec![doc(
                vec![element(id, Value::Bool(v), true)],
                vec![],
            )]))
            .verdict
        };
        assert_eq!(with("age_over_21", true), Verdict::Ok);
        assert_eq!(with("age_over_18", false), Verdict::Ng(NgReason::UnderAge));
        // Neither proves nor disproves 20.
        assert_eq!(
            with("age_over_18", true),
            Verdict::Ng(NgReason::NotDisclosed)
        );
        assert_eq!(
            with("age_over_21", false),
            Verdict::Ng(NgReason::NotDisclosed)
        );
        let p18 = AgePolicy::with_threshold(18);
        assert_eq!(p18.mdoc_element(), "age_over_18");
        assert_eq!(
            p18.decide_mdoc(&report(vec![doc(over_20(true), vec![])]))
                .verdict,
            Verdict::Ok
        );
    }

    #[test]
    fn not_disclosed() {
        let p = AgePolicy::default();
        // Declined: no documents at all.
        let mut r = report(vec![]);
        r.errors.push(CheckError::NoDocuments);
        assert_eq!(
            p.decide_mdoc(&r).verdict,
            Verdict::Ng(NgReason::NotDisclosed)
        );
        // A valid document without the age element.
        let d = doc(
            vec![element("family_name", Value::Text("x".into()), true)],
            vec![],
        );
        assert_eq!(
            p.decide_mdoc(&report(vec![d])).verdict,
            Verdict::Ng(NgReason::NotDisclosed)
        );
        // Only a document the till does not accept.
        let mut other = doc(over_20(true), vec![]);
        other.doc_type = "org.example.other".into();
        assert_eq!(
            p.decide_mdoc(&report(vec![other])).verdict,
            Verdict::Ng(NgReason::NotDisclosed)
        );
    }

    #[test]
    fn unverified_age_element_never_counts() {
        let d = doc(
            vec![element("age_over_20", Value::Bool(true), false)],
            vec![],
        );
        assert_ne!(
            AgePolicy::default().decide_mdoc(&report(vec![d])).verdict,
            Verdict::Ok
        );
    }

    #[test]
    fn a_failed_check_without_an_error_is_never_ok() {
        let mut d = doc(over_20(true), vec![]);
        if let Some(c) = d.checks.last_mut() {
            c.outcome = Outcome::NotPerformed;
        }
        assert_eq!(
            AgePolicy::default().decide_mdoc(&report(vec![d])).verdict,
            Verdict::Ng(NgReason::Malformed)
        );
    }

    #[test]
    fn expired_and_not_yet_valid() {
        assert_eq!(
            decide(vec![CheckError::Expired {
                doc: 0,
                valid_until: at(),
                at: at()
            }]),
            Verdict::Ng(NgReason::Expired)
        );
        assert_eq!(
            decide(vec![CheckError::NotYetValid {
                doc: 0,
                valid_from: at(),
                at: at()
            }]),
            Verdict::Ng(NgReason::NotYetValid)
        );
    }

    #[test]
    fn untrusted_issuer() {
        assert_eq!(
            decide(vec![CheckError::UntrustedIssuer {
                doc: 0,
                source: TrustError::UnknownIssuer
            }]),
            Verdict::Ng(NgReason::UntrustedIssuer)
        );
    }

    #[test]
    fn tampered_beats_expired() {
        let digest = CheckError::DigestMismatch {
            doc: 0,
            namespace: MDL_NAMESPACE.into(),
            element: "age_over_20".into(),
            digest_id: 1,
        };
        let expired = CheckError::Expired {
            doc: 0,
            valid_until: at(),
            at: at(),
        };
        assert_eq!(
            decide(vec![expired, digest]),
            Verdict::Ng(NgReason::Tampered)
        );
        assert_eq!(
            decide(vec![CheckError::IssuerSignature {
                doc: 0,
                source: CoseError::BadSignature
            }]),
            Verdict::Ng(NgReason::Tampered)
        );
    }

    #[test]
    fn device_auth_failed() {
        assert_eq!(
            decide(vec![CheckError::DeviceSignature {
                doc: 0,
                source: CoseError::BadSignature
            }]),
            Verdict::Ng(NgReason::DeviceAuthFailed)
        );
        assert_eq!(
            decide(vec![CheckError::ReaderKeyNotInTranscript { doc: 0 }]),
            Verdict::Ng(NgReason::DeviceAuthFailed)
        );
    }

    #[test]
    fn malformed() {
        let mut r = report(vec![]);
        r.errors.push(CheckError::ResponseStatus { status: 11 });
        assert_eq!(
            AgePolicy::default().decide_mdoc(&r).verdict,
            Verdict::Ng(NgReason::Malformed)
        );
        let d = doc(
            vec![element("age_over_20", Value::Text("yes".into()), true)],
            vec![],
        );
        assert_eq!(
            AgePolicy::default().decide_mdoc(&report(vec![d])).verdict,
            Verdict::Ng(NgReason::Malformed)
        );
    }

    #[test]
    fn flow_reasons_and_codes() {
        for r in [
            NgReason::Timeout,
            NgReason::Cancelled,
            NgReason::Revoked,
            NgReason::StatusUnknown,
        ] {
            assert_eq!(Decision::ng(r).verdict, Verdict::Ng(r));
        }
        let mut codes: Vec<&str> = NgReason::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), NgReason::ALL.len());
        for r in NgReason::ALL {
            assert_eq!(NgReason::from_code(r.code()), Some(r));
            assert!(!r.text_en().is_empty() && !r.text_ja().is_empty());
            assert!(!r.text_ja().is_ascii(), "{r} has no Japanese text");
        }
    }

    fn status(outcome: StatusOutcome, stale: Option<crate::status::StaleStatus>) -> StatusReport {
        StatusReport {
            reference: Some(crate::StatusRef {
                uri: "https://issuer.example/status/1".into(),
                idx: 3,
            }),
            outcome,
            stale,
        }
    }

    fn undetermined() -> StatusOutcome {
        StatusOutcome::Checked(StatusCheck::Undetermined {
            reason: kakunin_core::status::StatusListError::Unreachable,
        })
    }

    fn decide_status(policy: &AgePolicy, s: StatusReport, errors: Vec<CheckError>) -> Verdict {
        let mut d = doc(over_20(true), errors);
        d.status_check = s;
        policy.decide_mdoc(&report(vec![d])).verdict
    }

    #[test]
    fn status_mapping() {
        let p = AgePolicy::default();
        let checked = |c| status(StatusOutcome::Checked(c), None);
        assert_eq!(
            decide_status(&p, checked(StatusCheck::Valid), vec![]),
            Verdict::Ok
        );
        for c in [StatusCheck::Invalid, StatusCheck::Suspended] {
            assert_eq!(
                decide_status(&p, checked(c), vec![]),
                Verdict::Ng(NgReason::Revoked)
            );
        }
        assert_eq!(
            decide_status(&p, checked(StatusCheck::Other(3)), vec![]),
            Verdict::Ng(NgReason::StatusUnknown)
        );
        assert_eq!(
            decide_status(&p, status(undetermined(), None), vec![]),
            Verdict::Ng(NgReason::StatusUnknown)
        );
        // No reference, or no lists given: passes unless status is required.
        for o in [StatusOutcome::NotApplicable, StatusOutcome::NotChecked] {
            assert_eq!(
                decide_status(&p, status(o.clone(), None), vec![]),
                Verdict::Ok
            );
            let strict = AgePolicy {
                status: StatusPolicy {
                    required: true,
                    ..StatusPolicy::default()
                },
                ..AgePolicy::default()
            };
            assert_eq!(
                decide_status(&strict, status(o, None), vec![]),
                Verdict::Ng(NgReason::StatusUnknown)
            );
        }
    }

    #[test]
    fn status_precedence() {
        let p = AgePolicy::default();
        let revoked = || status(StatusOutcome::Checked(StatusCheck::Invalid), None);
        let expired = CheckError::Expired {
            doc: 0,
            valid_until: at(),
            at: at(),
        };
        let device = CheckError::DeviceSignature {
            doc: 0,
            source: CoseError::BadSignature,
        };
        // Revoked beats expired; device_auth_failed beats revoked.
        assert_eq!(
            decide_status(&p, revoked(), vec![expired.clone()]),
            Verdict::Ng(NgReason::Revoked)
        );
        assert_eq!(
            decide_status(&p, revoked(), vec![device]),
            Verdict::Ng(NgReason::DeviceAuthFailed)
        );
        // status_unknown beats expired, loses to revoked (only one status per document).
        assert_eq!(
            decide_status(&p, status(undetermined(), None), vec![expired]),
            Verdict::Ng(NgReason::StatusUnknown)
        );
        // Not performed (the issuer failed): the document's own reason.
        assert_eq!(
            decide_status(
                &p,
                status(StatusOutcome::NotPerformed, None),
                vec![CheckError::UntrustedIssuer {
                    doc: 0,
                    source: TrustError::UnknownIssuer
                }]
            ),
            Verdict::Ng(NgReason::UntrustedIssuer)
        );
    }

    #[test]
    fn offline_grace_accepts_a_stale_list_within_it_only() {
        let stale = |value, minutes| {
            status(
                undetermined(),
                Some(crate::status::StaleStatus {
                    status: value,
                    overdue: time::Duration::minutes(minutes),
                }),
            )
        };
        let none = AgePolicy::default();
        let graced = AgePolicy {
            status: StatusPolicy {
                required: true,
                offline_grace: time::Duration::hours(1),
            },
            ..AgePolicy::default()
        };
        assert_eq!(
            decide_status(&none, stale(StatusCheck::Valid, 10), vec![]),
            Verdict::Ng(NgReason::StatusUnknown)
        );
        let d = {
            let mut d = doc(over_20(true), vec![]);
            d.status_check = stale(StatusCheck::Valid, 10);
            graced.decide_mdoc(&report(vec![d]))
        };
        assert_eq!(d.verdict, Verdict::Ok);
        assert_eq!(
            decide_status(&graced, stale(StatusCheck::Valid, 60), vec![]),
            Verdict::Ok
        );
        assert_eq!(
            decide_status(&graced, stale(StatusCheck::Valid, 61), vec![]),
            Verdict::Ng(NgReason::StatusUnknown)
        );
        assert_eq!(
            decide_status(&graced, stale(StatusCheck::Invalid, 10), vec![]),
            Verdict::Ng(NgReason::Revoked)
        );
        // Under age is still under age within the grace.
        let mut d = doc(over_20(false), vec![]);
        d.status_check = stale(StatusCheck::Valid, 10);
        assert_eq!(
            graced.decide_mdoc(&report(vec![d])).verdict,
            Verdict::Ng(NgReason::UnderAge)
        );
    }

    #[test]
    fn sd_jwt_status_verdicts() {
        let p = AgePolicy::default();
        let ok = Ok((0, vec![Ok(sd_jwt(serde_json::json!({"20": true})))]));
        let with = |s: StatusReport| p.decide_sd_jwt_with_status(&ok, &[s]).verdict;
        assert_eq!(
            with(status(StatusOutcome::Checked(StatusCheck::Valid), None)),
            Verdict::Ok
        );
        assert_eq!(
            with(status(StatusOutcome::Checked(StatusCheck::Suspended), None)),
            Verdict::Ng(NgReason::Revoked)
        );
        assert_eq!(
            with(status(undetermined(), None)),
            Verdict::Ng(NgReason::StatusUnknown)
        );
        // Without statuses: not checked, passes unless required.
        assert_eq!(p.decide_sd_jwt(&ok).verdict, Verdict::Ok);
        let strict = AgePolicy {
            status: StatusPolicy {
                required: true,
                ..StatusPolicy::default()
            },
            ..AgePolicy::default()
        };
        assert_eq!(
            strict.decide_sd_jwt(&ok).verdict,
            Verdict::Ng(NgReason::StatusUnknown)
        );
    }

    fn sd_jwt(ages: serde_json::Value) -> VerifiedSdJwt {
        let mut claims = serde_json::Map::new();
        claims.insert("vct".into(), JP_PID_VCT.into());
        claims.insert("age_equal_or_over".into(), ages);
        VerifiedSdJwt {
            header: serde_json::Map::new(),
            claims,
            holder_key: None,
            key_bound: true,
            disclosures: 1,
        }
    }

    #[test]
    fn sd_jwt_verdicts() {
        let p = AgePolicy::default();
        let one = |r: Result<VerifiedSdJwt, VcError>| p.decide_sd_jwt(&Ok((0, vec![r]))).verdict;
        assert_eq!(
            one(Ok(sd_jwt(serde_json::json!({"20": true})))),
            Verdict::Ok
        );
        assert_eq!(
            one(Ok(sd_jwt(serde_json::json!({"20": false})))),
            Verdict::Ng(NgReason::UnderAge)
        );
        assert_eq!(
            one(Ok(sd_jwt(serde_json::json!({"18": true})))),
            Verdict::Ng(NgReason::NotDisclosed)
        );
        assert_eq!(
            one(Err(VcError::SdJwt(SdJwtError::Expired))),
            Verdict::Ng(NgReason::Expired)
        );
        assert_eq!(
            one(Err(VcError::SdJwt(SdJwtError::NotYetValid))),
            Verdict::Ng(NgReason::NotYetValid)
        );
        assert_eq!(
            one(Err(VcError::SdJwt(SdJwtError::KbNonce))),
            Verdict::Ng(NgReason::DeviceAuthFailed)
        );
        assert_eq!(
            one(Err(VcError::SdJwt(SdJwtError::Jws {
                part: kakunin_core::sdjwt::JwtPart::IssuerJwt,
                source: JwsError::BadSignature
            }))),
            Verdict::Ng(NgReason::Tampered)
        );
        assert_eq!(
            one(Err(VcError::SdJwt(SdJwtError::Jws {
                part: kakunin_core::sdjwt::JwtPart::KbJwt,
                source: JwsError::BadSignature
            }))),
            Verdict::Ng(NgReason::DeviceAuthFailed)
        );
        assert_eq!(
            one(Err(VcError::Untrusted(TrustError::UnknownIssuer))),
            Verdict::Ng(NgReason::UntrustedIssuer)
        );
        assert_eq!(
            p.decide_sd_jwt(&Ok((0, vec![]))).verdict,
            Verdict::Ng(NgReason::NotDisclosed)
        );
        assert_eq!(
            p.decide_sd_jwt(&Ok((12, vec![]))).verdict,
            Verdict::Ng(NgReason::Malformed)
        );
    }
}
