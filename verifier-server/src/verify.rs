//! One verification, as the API and the till run it: the complete report (the same JSON as
//! `kakunin verify-response --json` / `kakunin verify-sd-jwt --json`), the till's verdict over
//! it (kakunin_verifier::verdict), and the facts the audit log keeps — which never include an
//! attribute value or the portrait.
//!
//! This is CPU work (ECDSA, hashing); the API runs it on the request's worker, bounded
//! (api.rs).

use crate::audit::CredentialFormat;
use kakunin_core::crypto::{default_provider, EcPrivateKey};
use kakunin_core::sdjwt::{verify_sd_jwt_vc, IssuerKey, KbRequirements, VcError, VerifiedSdJwt};
use kakunin_core::trust::TrustAnchors;
use kakunin_verifier::{
    AgePolicy, ChainCache, Decision, ResponseReport, SdJwtResponseResult, Verifier,
};
use serde_json::{Map, Value as Json};

/// Longest attacker-chosen identifier (docType, vct, issuer name) kept in the audit log.
const MAX_LOGGED_TEXT: usize = 256;

/// What the audit log keeps about a verification besides time, till and verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFacts {
    /// mdoc or SD-JWT VC.
    pub format: Option<CredentialFormat>,
    /// The docType or `vct` judged.
    pub doc_type: Option<String>,
    /// The IACA's full subject DN, RFC 4514 (mdoc). Stored as certified, never printed
    /// unescaped.
    pub iaca_subject: Option<String>,
    /// The Document Signer's subject common name (mdoc), or the SD-JWT VC `iss`.
    pub ds_subject: Option<String>,
    /// The Document Signer certificate's serial number, hex (mdoc).
    pub ds_serial: Option<String>,
    /// The issuing country (the DS certificate's `C`).
    pub country: Option<String>,
    /// Each check's outcome (`{"issuer_chain": "passed", ...}`) and error codes, no values.
    pub checks: Json,
}

/// A verification's result. `R` is the report's form: a JSON tree ([`Json`], as the CLI's
/// `--json` prints it) or a [`Report`] that the API writes straight to its answer.
#[derive(Debug)]
pub struct Outcome<R = Json> {
    /// OK or NG with one reason, and the verified portrait (OK only, when the policy asks
    /// for it): for the till page, never for the API or the log.
    pub decision: Decision,
    /// The full report, as the CLI's `--json` prints it.
    pub report: R,
    /// What the audit log keeps.
    pub facts: AuditFacts,
    /// Why the reason was given, where its own text would mislead ("trust data too old").
    pub detail: Option<kakunin_verifier::NgDetail>,
}

/// A report as the API answers it: a DeviceResponse report is kept as found and written to
/// JSON text directly ([`ResponseReport::write_json`], the same bytes as its tree); other
/// reports (SD-JWT VC, "trust data too old") are already a tree.
#[derive(Debug)]
#[non_exhaustive]
pub enum Report {
    /// The report of a DeviceResponse.
    Mdoc(Box<ResponseReport>),
    /// A report already rendered as a JSON tree.
    Json(Json),
}

impl Report {
    /// The report as a JSON tree ([`ResponseReport::to_json`] for a DeviceResponse).
    pub fn into_json(self) -> Json {
        match self {
            Report::Mdoc(r) => r.to_json(),
            Report::Json(j) => j,
        }
    }

    /// Append the report's JSON text: the bytes `serde_json` writes for [`Report::into_json`].
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Report::Mdoc(r) => r.write_json(out),
            Report::Json(j) => out.extend_from_slice(j.to_string().as_bytes()),
        }
    }
}

impl Outcome<Report> {
    /// The same outcome with its report as a JSON tree.
    pub fn into_json(self) -> Outcome {
        Outcome {
            decision: self.decision,
            report: self.report.into_json(),
            facts: self.facts,
            detail: self.detail,
        }
    }
}

impl Outcome {
    /// The same outcome with its report kept as a [`Report`].
    pub fn into_report(self) -> Outcome<Report> {
        Outcome {
            decision: self.decision,
            report: Report::Json(self.report),
            facts: self.facts,
            detail: self.detail,
        }
    }
}

fn bounded(s: &str) -> String {
    s.chars().take(MAX_LOGGED_TEXT).collect()
}

/// Verify a DeviceResponse bound to a SessionTranscript at `at`, and judge it.
pub fn verify_mdoc(
    anchors: &TrustAnchors,
    policy: &AgePolicy,
    response: &[u8],
    transcript: &[u8],
    reader_key: Option<&EcPrivateKey>,
    at: time::OffsetDateTime,
) -> Outcome {
    verify_mdoc_cached(anchors, None, policy, response, transcript, reader_key, at)
}

/// [`verify_mdoc`] with a DS-chain cache (the trust snapshot's): a chain validated under
/// these anchors within the hour is not validated again.
pub fn verify_mdoc_cached(
    anchors: &TrustAnchors,
    chain_cache: Option<&ChainCache>,
    policy: &AgePolicy,
    response: &[u8],
    transcript: &[u8],
    reader_key: Option<&EcPrivateKey>,
    at: time::OffsetDateTime,
) -> Outcome {
    verify_mdoc_cached_report(
        anchors,
        chain_cache,
        policy,
        response,
        transcript,
        reader_key,
        at,
    )
    .into_json()
}

/// The policy's verdict over a DeviceResponse report, the judged document's audit facts,
/// and the report kept for the answer.
fn judge_mdoc(policy: &AgePolicy, report: ResponseReport) -> Outcome<Report> {
    let decision = policy.decide_mdoc(&report);
    let judged = match &decision.credential {
        Some(kakunin_verifier::verdict::CredentialKind::Mdoc { doc_type }) => {
            report.documents.iter().find(|d| &d.doc_type == doc_type)
        }
        _ => report.documents.first(),
    };
    Outcome {
        facts: mdoc_facts(&report, judged),
        report: Report::Mdoc(Box::new(report)),
        decision,
        detail: None,
    }
}

/// [`verify_mdoc_cached`] with the report kept as a [`Report`] (for the API's answer).
pub fn verify_mdoc_cached_report(
    anchors: &TrustAnchors,
    chain_cache: Option<&ChainCache>,
    policy: &AgePolicy,
    response: &[u8],
    transcript: &[u8],
    reader_key: Option<&EcPrivateKey>,
    at: time::OffsetDateTime,
) -> Outcome<Report> {
    let mut verifier = Verifier::new(anchors);
    if let Some(cache) = chain_cache {
        verifier = verifier.with_chain_cache(cache);
    }
    if let Some(k) = reader_key {
        verifier = verifier.with_reader_key(k);
    }
    judge_mdoc(
        policy,
        verifier.verify_device_response(response, transcript, at),
    )
}

/// The audit facts of a DeviceResponse report: the judged document's checks, issuer and
/// error codes.
pub fn mdoc_facts(
    report: &ResponseReport,
    doc: Option<&kakunin_verifier::DocumentReport>,
) -> AuditFacts {
    let mut checks = Map::new();
    if let Some(d) = doc {
        for c in &d.checks {
            checks.insert(c.check.name().into(), c.outcome.name().into());
        }
        // The status check's outcome (valid, invalid, undetermined, not_checked, ...).
        checks.insert("status".into(), d.status_check.name().into());
        // The CRL check's outcome (not_revoked, revoked, stale, no_crl, not_checked, ...).
        checks.insert("revocation".into(), d.revocation.name().into());
    }
    let errors: Vec<Json> = report
        .errors
        .iter()
        .chain(doc.map(|d| d.errors.as_slice()).unwrap_or_default())
        .map(|e| Json::from(e.code()))
        .collect();
    checks.insert("errors".into(), Json::Array(errors));
    let issuer = doc.and_then(|d| d.issuer.as_ref());
    AuditFacts {
        format: Some(CredentialFormat::Mdoc),
        doc_type: doc.map(|d| bounded(&d.doc_type)),
        iaca_subject: issuer.and_then(|i| i.iaca_subject.as_deref()).map(bounded),
        ds_subject: issuer
            .and_then(|i| i.ds_common_name.as_deref())
            .map(bounded),
        ds_serial: issuer.and_then(|i| i.ds_serial.as_deref()).map(bounded),
        country: issuer.and_then(|i| i.country.as_deref()).map(bounded),
        checks: Json::Object(checks),
    }
}

/// The key-binding requirements of the API's SD-JWT check (the CLI's values).
fn kb<'a>(aud: &'a str, nonce: &'a str) -> KbRequirements<'a> {
    KbRequirements {
        required: true,
        aud,
        nonce,
        max_age: time::Duration::minutes(5),
        max_skew: time::Duration::minutes(1),
    }
}

/// Verify an SD-JWT VC presentation (x5c to the anchors, KB-JWT with `aud` and `nonce`) at
/// `at`, and judge it.
pub fn verify_sd_jwt(
    anchors: &TrustAnchors,
    policy: &AgePolicy,
    presentation: &str,
    aud: &str,
    nonce: &str,
    at: time::OffsetDateTime,
) -> Outcome {
    let result = verify_sd_jwt_vc(
        default_provider(),
        presentation.trim(),
        IssuerKey::X5c(anchors),
        Some(&kb(aud, nonce)),
        false,
        at,
    );
    let report = kakunin_verifier::sd_jwt_report_json(&result, false);
    let facts = sd_jwt_facts(&result, &report);
    let wrapped: SdJwtResponseResult = Ok((0, vec![result]));
    let decision = policy.decide_sd_jwt(&wrapped);
    Outcome {
        decision,
        report,
        facts,
        detail: None,
    }
}

/// The audit facts of one SD-JWT VC verification (as received in a proximity session).
pub fn sd_jwt_result_facts(result: &Result<VerifiedSdJwt, VcError>) -> AuditFacts {
    sd_jwt_facts(result, &kakunin_verifier::sd_jwt_report_json(result, false))
}

/// [`sd_jwt_result_facts`] with the session's status and CRL revocation checks of that
/// presentation (their outcome names only, as for mdoc rows).
pub fn sd_jwt_result_facts_with_checks(
    result: &Result<VerifiedSdJwt, VcError>,
    status: Option<&kakunin_verifier::StatusReport>,
    revocation: Option<&kakunin_verifier::RevocationReport>,
) -> AuditFacts {
    let report =
        kakunin_verifier::sd_jwt_report_json_with_checks(result, false, status, revocation);
    sd_jwt_facts(result, &report)
}

fn sd_jwt_facts(result: &Result<VerifiedSdJwt, VcError>, report: &Json) -> AuditFacts {
    let mut checks = report
        .get("checks")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let errors: Vec<Json> = result
        .as_ref()
        .err()
        .map(|e| Json::from(e.code()))
        .into_iter()
        .collect();
    checks.insert("errors".into(), Json::Array(errors));
    let claim = |name: &str| {
        result
            .as_ref()
            .ok()
            .and_then(|v| v.claims.get(name))
            .and_then(Json::as_str)
            .map(bounded)
    };
    // The issuer as the mdoc rows record it when the key came from a validated x5c chain
    // (signer CN, serial and country, the root's subject); otherwise `iss`.
    let x5c = result
        .as_ref()
        .ok()
        .and_then(kakunin_verifier::sd_jwt_x5c_issuer);
    let x5c = x5c.as_ref();
    AuditFacts {
        format: Some(CredentialFormat::SdJwtVc),
        doc_type: claim("vct"),
        iaca_subject: x5c.and_then(|i| i.root_subject.as_deref()).map(bounded),
        ds_subject: x5c
            .and_then(|i| i.signer_common_name.as_deref())
            .map(bounded)
            .or_else(|| claim("iss")),
        ds_serial: x5c.and_then(|i| i.signer_serial.as_deref()).map(bounded),
        country: x5c.and_then(|i| i.country.as_deref()).map(bounded),
        checks: Json::Object(checks),
    }
}

/// The outcome of every verification while the trust bundle is older than the policy allows:
/// NG `status_unknown`, "trust data too old", with nothing verified.
pub fn trust_too_old(format: CredentialFormat) -> Outcome {
    let detail = kakunin_verifier::NgDetail::TrustDataTooOld;
    let mut checks = Map::new();
    checks.insert("trust_data".into(), Json::from("too_old"));
    checks.insert(
        "errors".into(),
        Json::Array(vec![Json::from(detail.code())]),
    );
    Outcome {
        decision: Decision::ng(detail.reason()),
        report: serde_json::json!({
            "valid": false,
            "trust": {"status": detail.code(), "text": detail.text_en()},
        }),
        facts: AuditFacts {
            format: Some(format),
            checks: Json::Object(checks),
            ..AuditFacts::default()
        },
        detail: Some(detail),
    }
}

/// [`verify_mdoc_cached`] under a trust snapshot: its anchors and chain cache, its status
/// lists (the trust bundle's and the status cache's), and NG "trust data too old" when the
/// bundle is older than `max_trust_age` at `at`.
pub fn verify_mdoc_in(
    trust: &crate::trust::TrustSnapshot,
    max_trust_age: Option<std::time::Duration>,
    policy: &AgePolicy,
    response: &[u8],
    transcript: &[u8],
    reader_key: Option<&EcPrivateKey>,
    at: time::OffsetDateTime,
) -> Outcome {
    verify_mdoc_report_in(
        trust,
        max_trust_age,
        policy,
        response,
        transcript,
        reader_key,
        at,
    )
    .into_json()
}

/// [`verify_mdoc_in`] with the report kept as a [`Report`] (for the API's answer).
pub fn verify_mdoc_report_in(
    trust: &crate::trust::TrustSnapshot,
    max_trust_age: Option<std::time::Duration>,
    policy: &AgePolicy,
    response: &[u8],
    transcript: &[u8],
    reader_key: Option<&EcPrivateKey>,
    at: time::OffsetDateTime,
) -> Outcome<Report> {
    if trust.too_old(max_trust_age, at) {
        return trust_too_old(CredentialFormat::Mdoc).into_report();
    }
    let mut verifier = Verifier::new(&trust.anchors).with_chain_cache(&trust.chain_cache);
    if let Some(status) = &trust.status {
        verifier = verifier.with_status(kakunin_verifier::StatusOptions::new(&*status.0));
    }
    if let Some(crls) = &trust.crls {
        verifier = verifier.with_crls(crls);
    }
    if let Some(k) = reader_key {
        verifier = verifier.with_reader_key(k);
    }
    judge_mdoc(
        policy,
        verifier.verify_device_response(response, transcript, at),
    )
}

/// [`verify_sd_jwt`] under a trust snapshot, with the status check of the credential's
/// `status` claim against the snapshot's lists, and NG "trust data too old" past
/// `max_trust_age`.
pub fn verify_sd_jwt_in(
    trust: &crate::trust::TrustSnapshot,
    max_trust_age: Option<std::time::Duration>,
    policy: &AgePolicy,
    presentation: &str,
    aud: &str,
    nonce: &str,
    at: time::OffsetDateTime,
) -> Outcome {
    if trust.too_old(max_trust_age, at) {
        return trust_too_old(CredentialFormat::SdJwtVc);
    }
    if trust.status.is_none() && trust.crls.is_none() {
        return verify_sd_jwt(&trust.anchors, policy, presentation, aud, nonce, at);
    }
    let crypto = default_provider();
    let result = verify_sd_jwt_vc(
        crypto,
        presentation.trim(),
        IssuerKey::X5c(&trust.anchors),
        Some(&kb(aud, nonce)),
        false,
        at,
    );
    let options = trust
        .status
        .as_ref()
        .map(|s| kakunin_verifier::StatusOptions::new(&*s.0));
    let report_status = result.as_ref().ok().map(|v| {
        kakunin_verifier::status::sd_jwt_status(
            crypto,
            v,
            kakunin_verifier::status::SdJwtIssuer::X5c(&trust.anchors),
            options.as_ref(),
            at,
        )
    });
    let revocation = match &result {
        Ok(v) => kakunin_verifier::sd_jwt_revocation(
            crypto,
            v,
            Some(&trust.anchors),
            trust.crls.as_deref(),
            at,
        ),
        Err(_) => kakunin_verifier::RevocationReport::NotPerformed,
    };
    let revocation = trust.crls.is_some().then_some(revocation);
    let report = kakunin_verifier::sd_jwt_report_json_with_checks(
        &result,
        false,
        report_status.as_ref(),
        revocation.as_ref(),
    );
    let facts = sd_jwt_facts(&result, &report);
    let statuses: Vec<_> = report_status.into_iter().collect();
    let revocations: Vec<_> = revocation.into_iter().collect();
    let wrapped: SdJwtResponseResult = Ok((0, vec![result]));
    let decision = policy.decide_sd_jwt_with_checks(&wrapped, &statuses, &revocations);
    Outcome {
        decision,
        report,
        facts,
        detail: None,
    }
}
