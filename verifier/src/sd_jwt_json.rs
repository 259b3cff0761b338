//! The JSON report of one SD-JWT VC verification (RFC 9901 and SD-JWT VC checks, in the
//! order of [`SdJwtCheck::ALL`]): what `kakunin verify-sd-jwt --json` prints and what the
//! till's `POST /api/v1/verify/sd-jwt` answers in `report` — one function for both.

use crate::status::StatusReport;
use kakunin_core::sdjwt::{SdJwtCheck, VcError, VerifiedSdJwt};
use serde_json::{json, Map, Value as Json};

/// The report of `result`: checks before the failing one passed, the failing one failed,
/// later ones were not performed; the certificate chain check is `not_performed` when the
/// issuer key was configured (`configured_key`) rather than taken from `x5c`. A valid result
/// carries `keyBound`, the number of `disclosures` and the disclosed `claims`; an invalid
/// one its error (`code`, `cause`, `check`, `message` — the message may quote received text
/// and must be escaped by whoever prints it outside JSON).
pub fn sd_jwt_report_json(result: &Result<VerifiedSdJwt, VcError>, configured_key: bool) -> Json {
    sd_jwt_report_json_with_status(result, configured_key, None)
}

/// [`sd_jwt_report_json`] with the credential's status check: `checks.status` and a
/// `statusCheck` object (value, reason, uri, idx, stale), and `valid` only when the status
/// passes as well.
pub fn sd_jwt_report_json_with_status(
    result: &Result<VerifiedSdJwt, VcError>,
    configured_key: bool,
    status: Option<&StatusReport>,
) -> Json {
    sd_jwt_report_json_with_checks(result, configured_key, status, None)
}

/// [`sd_jwt_report_json_with_status`] with the CRL revocation check of the `x5c` chain
/// (crate::revocation::sd_jwt_revocation): `checks.revocation` and a `revocation` object as
/// in the mdoc report, and `valid` only when it passes as well.
pub fn sd_jwt_report_json_with_checks(
    result: &Result<VerifiedSdJwt, VcError>,
    configured_key: bool,
    status: Option<&StatusReport>,
    revocation: Option<&crate::RevocationReport>,
) -> Json {
    let failed_at = result.as_ref().err().map(VcError::check);
    let mut checks = Map::new();
    for check in SdJwtCheck::ALL {
        let outcome = if check == SdJwtCheck::IssuerCertificateChain && configured_key {
            "not_performed"
        } else {
            match failed_at {
                Some(f) if check == f => "failed",
                Some(f) if check > f => "not_performed",
                _ => "passed",
            }
        };
        checks.insert(check.name().into(), outcome.into());
    }
    if let Some(st) = status {
        checks.insert("status".into(), st.name().into());
    }
    if let Some(r) = revocation {
        checks.insert("revocation".into(), r.name().into());
    }
    let mut out = match result {
        Ok(v) => json!({
            "valid": status.is_none_or(StatusReport::passes)
                && revocation.is_none_or(crate::RevocationReport::passes),
            "checks": checks,
            "keyBound": v.key_bound, "disclosures": v.disclosures, "claims": v.claims,
            "errors": [],
        }),
        Err(e) => json!({
            "valid": false, "checks": checks,
            "errors": [{
                "code": e.code(), "cause": e.cause().to_string(),
                "check": e.check().name(), "message": e.to_string(),
            }],
        }),
    };
    if let (Some(st), Some(obj)) = (status, out.as_object_mut()) {
        obj.insert("statusCheck".into(), crate::json::status_to_json(st));
    }
    if let (Some(r), Some(obj)) = (revocation, out.as_object_mut()) {
        obj.insert("revocation".into(), crate::json::revocation_to_json(r));
    }
    out
}
