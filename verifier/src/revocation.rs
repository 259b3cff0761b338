//! Revocation of a validated certificate chain by CRLs (RFC 5280 §5,
//! kakunin_core::trust::crl): the DS certificate looked up in its IACA's CRL, and each
//! intermediate of the path in its issuer's CRL.
//!
//! The result is three-valued, as for Token Status Lists: every certificate of the path is
//! not revoked (or no CRL of its issuer is configured, which is no statement and does not
//! fail), one is revoked (the check fails), or a CRL that would answer cannot be believed
//! (stale, not yet valid): undetermined. A verdict maps revoked to NG `revoked` and
//! undetermined to NG `status_unknown`, with the status policy's offline grace for a CRL that
//! is only overdue (crate::verdict).

use kakunin_core::trust::{CrlSet, RevocationCheck, RevocationStatus, ValidatedChain};
use time::{Duration, OffsetDateTime};

/// One certificate of the path and what the CRLs say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRevocation {
    /// Its position in the x5chain as received (0 = the DS or leaf).
    pub index: usize,
    /// Its serial number, lowercase hex of the INTEGER content octets.
    pub serial: String,
    /// What the issuer's CRL says.
    pub check: RevocationCheck,
}

/// The revocation check of a document's certificate chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RevocationReport {
    /// The verifier has no CRLs configured ([`crate::Verifier::with_crls`] not called).
    #[default]
    NotChecked,
    /// The chain did not validate, so there is nothing to check.
    NotPerformed,
    /// Each certificate of the validated path, leaf first.
    Checked(Vec<CertRevocation>),
}

/// The judgement of a [`RevocationReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationVerdict {
    /// Nothing revoked: every certificate not revoked by a current CRL, or no CRL of its
    /// issuer configured, or nothing checked.
    Passes,
    /// A current CRL lists a certificate of the path.
    Revoked,
    /// A CRL that would answer is stale by `overdue` and says `status`: a policy may believe
    /// it within a grace period.
    Stale {
        /// How long past its nextUpdate (the most overdue CRL of the path).
        overdue: Duration,
        /// Whether that stale CRL lists the certificate (the worst of the path).
        revoked: bool,
    },
    /// A CRL that would answer cannot be used (not yet valid, certificate unparsable).
    Undetermined,
}

impl RevocationReport {
    /// The stable snake_case name used in JSON reports: `not_checked`, `not_performed`,
    /// `not_revoked`, `no_crl` (CRLs configured, none of this chain's issuers), `revoked`,
    /// `stale` or `undetermined`.
    pub fn name(&self) -> &'static str {
        match self {
            RevocationReport::NotChecked => "not_checked",
            RevocationReport::NotPerformed => "not_performed",
            RevocationReport::Checked(certs) => match self.verdict() {
                RevocationVerdict::Revoked => "revoked",
                RevocationVerdict::Stale { .. } => "stale",
                RevocationVerdict::Undetermined => "undetermined",
                RevocationVerdict::Passes
                    if certs
                        .iter()
                        .all(|c| matches!(c.check, RevocationCheck::NoCrl)) =>
                {
                    "no_crl"
                }
                RevocationVerdict::Passes => "not_revoked",
            },
        }
    }

    /// The judgement: revoked anywhere wins, then undetermined, then stale.
    pub fn verdict(&self) -> RevocationVerdict {
        let RevocationReport::Checked(certs) = self else {
            return RevocationVerdict::Passes;
        };
        let mut verdict = RevocationVerdict::Passes;
        for c in certs {
            match &c.check {
                RevocationCheck::Revoked { .. } => return RevocationVerdict::Revoked,
                RevocationCheck::NotRevoked { .. } | RevocationCheck::NoCrl => {}
                RevocationCheck::Stale {
                    overdue, status, ..
                } => {
                    let revoked = matches!(status, RevocationStatus::Revoked { .. });
                    verdict = match verdict {
                        RevocationVerdict::Passes => RevocationVerdict::Stale {
                            overdue: *overdue,
                            revoked,
                        },
                        RevocationVerdict::Stale {
                            overdue: o,
                            revoked: r,
                        } => RevocationVerdict::Stale {
                            overdue: o.max(*overdue),
                            revoked: r || revoked,
                        },
                        other => other,
                    }
                }
                _ => verdict = RevocationVerdict::Undetermined,
            }
        }
        verdict
    }

    /// Whether the document may be called valid: nothing revoked and nothing undetermined
    /// (a stale CRL fails here; a verdict policy may still accept it within its grace).
    pub fn passes(&self) -> bool {
        self.verdict() == RevocationVerdict::Passes
    }
}

/// Check the validated path `chain` of `certs` (the x5chain as received, leaf first) ending in
/// the anchor `anchor_der`, against `crls` at `at`.
pub(crate) fn chain_revocation(
    crls: &CrlSet,
    certs: &[&[u8]],
    chain: &ValidatedChain,
    anchor_der: &[u8],
    at: OffsetDateTime,
) -> RevocationReport {
    RevocationReport::Checked(
        crls.check_path(certs, chain, anchor_der, at)
            .into_iter()
            .map(|(index, check)| CertRevocation {
                index,
                serial: certs
                    .get(index)
                    .and_then(|c| crate::response::certificate_serial(c))
                    .unwrap_or_default(),
                check,
            })
            .collect(),
    )
}

/// The revocation check of a verified SD-JWT VC whose issuer key came from its `x5c` chain
/// (validated to `anchors` under the JWS signer profile): every certificate of that chain
/// against `crls` at `at`. `crls` `None` is [`RevocationReport::NotChecked`]; an issuer key
/// configured out of band (`anchors` `None`), or an `x5c` that does not validate again, is
/// [`RevocationReport::NotPerformed`]. The chain is validated once more here (one certificate
/// signature per chain element), only when CRLs are configured.
pub fn sd_jwt_revocation(
    crypto: &dyn kakunin_core::crypto::CryptoProvider,
    verified: &kakunin_core::sdjwt::VerifiedSdJwt,
    anchors: Option<&kakunin_core::trust::TrustAnchors>,
    crls: Option<&CrlSet>,
    at: OffsetDateTime,
) -> RevocationReport {
    use base64::Engine;
    let Some(crls) = crls else {
        return RevocationReport::NotChecked;
    };
    let Some(anchors) = anchors else {
        return RevocationReport::NotPerformed;
    };
    let certs = verified
        .header
        .get("x5c")
        .and_then(|v| v.as_array())
        .and_then(|arr| {
            arr.iter()
                .map(|c| {
                    c.as_str()
                        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                })
                .collect::<Option<Vec<Vec<u8>>>>()
        });
    let Some(certs) = certs else {
        return RevocationReport::NotPerformed;
    };
    let refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
    let Ok(chain) = kakunin_core::trust::validate_chain(
        crypto,
        &refs,
        anchors,
        kakunin_core::trust::CertProfile::JwsSigner,
        at,
    ) else {
        return RevocationReport::NotPerformed;
    };
    match anchors.iter().nth(chain.anchor_index) {
        Some(anchor) => chain_revocation(crls, &refs, &chain, anchor.der(), at),
        None => RevocationReport::NotPerformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NgReason, StatusPolicy};
    use kakunin_core::trust::{CrlReason, CrlSummary};
    use time::macros::datetime;

    fn summary() -> CrlSummary {
        CrlSummary {
            issuer: "CN=IACA,C=JP".into(),
            this_update: datetime!(2026-01-01 00:00 UTC),
            next_update: Some(datetime!(2026-01-02 00:00 UTC)),
            crl_number: Some("01".into()),
            entries: 1,
        }
    }

    fn report(checks: Vec<RevocationCheck>) -> RevocationReport {
        RevocationReport::Checked(
            checks
                .into_iter()
                .enumerate()
                .map(|(index, check)| CertRevocation {
                    index,
                    serial: "01".into(),
                    check,
                })
                .collect(),
        )
    }

    fn revoked() -> RevocationCheck {
        RevocationCheck::Revoked {
            reason: Some(CrlReason::KeyCompromise),
            revoked_at: datetime!(2026-01-01 00:00 UTC),
            crl: summary(),
        }
    }

    fn stale(hours: i64, status: RevocationStatus) -> RevocationCheck {
        RevocationCheck::Stale {
            overdue: Duration::hours(hours),
            status,
            crl: summary(),
        }
    }

    /// Revoked anywhere in the path wins over stale and undetermined; stale keeps the worst
    /// overdue and whether any stale CRL lists its certificate; the policy's grace applies
    /// only to stale CRLs.
    #[test]
    fn verdicts_and_the_policy_mapping() {
        let strict = StatusPolicy::default();
        let lenient = StatusPolicy {
            offline_grace: Duration::hours(10),
            ..StatusPolicy::default()
        };
        let not_yet = RevocationCheck::NotYetValid { crl: summary() };
        let cases = [
            (report(vec![RevocationCheck::NoCrl]), None, None, "no_crl"),
            (
                report(vec![revoked(), stale(1, RevocationStatus::NotRevoked)]),
                Some(NgReason::Revoked),
                Some(NgReason::Revoked),
                "revoked",
            ),
            (
                report(vec![
                    stale(2, RevocationStatus::NotRevoked),
                    stale(5, RevocationStatus::NotRevoked),
                ]),
                Some(NgReason::StatusUnknown),
                None,
                "stale",
            ),
            (
                report(vec![
                    stale(2, RevocationStatus::NotRevoked),
                    stale(20, RevocationStatus::NotRevoked),
                ]),
                Some(NgReason::StatusUnknown),
                Some(NgReason::StatusUnknown),
                "stale",
            ),
            (
                report(vec![stale(
                    2,
                    RevocationStatus::Revoked {
                        reason: None,
                        revoked_at: datetime!(2026-01-01 00:00 UTC),
                    },
                )]),
                Some(NgReason::StatusUnknown),
                Some(NgReason::Revoked),
                "stale",
            ),
            (
                report(vec![stale(1, RevocationStatus::NotRevoked), not_yet]),
                Some(NgReason::StatusUnknown),
                Some(NgReason::StatusUnknown),
                "undetermined",
            ),
            (RevocationReport::NotChecked, None, None, "not_checked"),
            (RevocationReport::NotPerformed, None, None, "not_performed"),
        ];
        for (r, strict_reason, lenient_reason, name) in cases {
            assert_eq!(strict.revocation_failure(&r), strict_reason, "{r:?}");
            assert_eq!(lenient.revocation_failure(&r), lenient_reason, "{r:?}");
            assert_eq!(r.name(), name);
            assert_eq!(r.passes(), strict_reason.is_none(), "{r:?}");
        }
    }
}
