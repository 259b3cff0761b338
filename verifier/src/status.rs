//! The credential's status check (draft-ietf-oauth-status-list-20 §8.3 "Validation Rules"):
//! after a credential's own checks, look up its `status.status_list` reference (the mdoc MSO
//! `status`, ISO 18013-5 second edition; the SD-JWT VC `status` claim) in a Status List Token
//! that the caller supplies.
//!
//! Verification does no I/O: the lists come from a [`StatusSource`] (an in-memory map here,
//! an on-disk cache filled by a fetching adapter elsewhere). The signer of a list must chain
//! to the IACA the credential itself chained to (one anchor, not the whole trust store), or
//! be a key the issuer declared; `kakunin_core::status` enforces the status-signer profile.
//!
//! The result is never a boolean: [`StatusOutcome`] says VALID, INVALID, SUSPENDED, another
//! value, undetermined with its reason, not applicable (no reference), or not checked. A list
//! that verified but is past its `exp`/`ttl` is undetermined; the report also keeps what that
//! stale list says and by how much it is overdue ([`StaleStatus`]), so that a till's policy
//! can accept it within a stated offline grace (`verdict::StatusPolicy`).

use kakunin_core::crypto::{CryptoProvider, EcPublicKey};
use kakunin_core::mdoc::MsoStatus;
use kakunin_core::status::{
    verify_status_list, CheckContext, FreshnessPolicy, SignerTrust, StatusCheck, StatusListError,
    StatusListToken,
};
use kakunin_core::trust::{validate_chain, CertProfile, TrustAnchors};
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

/// Where the verifier finds Status List Tokens: the caller's copy, by URI. Implementations
/// must be cheap and must not block on a network: a till verifies offline from a cache.
pub trait StatusSource {
    /// The token stored for `uri` (JWT text or CWT bytes, as received) and when it was
    /// fetched; `None` when there is no copy.
    fn get(&self, uri: &str) -> Option<(Vec<u8>, OffsetDateTime)>;
}

/// Status List Tokens held in memory, by URI.
#[derive(Debug, Clone, Default)]
pub struct MemoryStatusSource {
    lists: HashMap<String, (Vec<u8>, OffsetDateTime)>,
}

impl MemoryStatusSource {
    /// An empty source.
    pub fn new() -> Self {
        MemoryStatusSource::default()
    }

    /// Store (or replace) the token for `uri`, fetched at `fetched_at`.
    pub fn insert(&mut self, uri: impl Into<String>, token: Vec<u8>, fetched_at: OffsetDateTime) {
        self.lists.insert(uri.into(), (token, fetched_at));
    }
}

impl StatusSource for MemoryStatusSource {
    fn get(&self, uri: &str) -> Option<(Vec<u8>, OffsetDateTime)> {
        self.lists.get(uri).cloned()
    }
}

/// How the verifier checks status: where the lists are, and how fresh they must be.
#[derive(Clone, Copy)]
pub struct StatusOptions<'a> {
    /// The lists.
    pub source: &'a dyn StatusSource,
    /// Freshness of a list (`exp`, `ttl`, `iat`); its `grace` makes a stale list count as
    /// fresh for the report itself, while a till's offline grace is a verdict policy.
    pub freshness: FreshnessPolicy,
}

impl<'a> StatusOptions<'a> {
    /// Lists from `source` under the default freshness policy.
    pub fn new(source: &'a dyn StatusSource) -> Self {
        StatusOptions {
            source,
            freshness: FreshnessPolicy::default(),
        }
    }
}

impl core::fmt::Debug for StatusOptions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StatusOptions")
            .field("freshness", &self.freshness)
            .finish_non_exhaustive()
    }
}

/// A credential's `status.status_list` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRef {
    /// `uri`: where the list is published; the list's `sub` must equal it.
    pub uri: String,
    /// `idx`: the credential's entry.
    pub idx: u64,
}

/// What came of the status check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusOutcome {
    /// The credential carries no status reference: nothing to check (not a failure, unless
    /// a policy requires status).
    NotApplicable,
    /// The credential has a reference, but no status source was given to the verifier.
    NotChecked,
    /// Not performed because the credential's own checks (certificate chain, issuer
    /// signature) failed: its reference cannot be trusted (§8.3 step 1).
    NotPerformed,
    /// Checked against the list: VALID, INVALID, SUSPENDED, another value, or undetermined.
    Checked(StatusCheck),
}

/// What a list that verified (signer, signature, `sub`) but is past its `exp` or `ttl` says,
/// and by how much it is overdue: what an offline grace would accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleStatus {
    /// The status at the credential's index in the stale list.
    pub status: StatusCheck,
    /// How long past `exp` (or past fetch time + `ttl`, whichever is later) the check was.
    pub overdue: Duration,
}

/// The status check of one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The reference the credential carries, if any.
    pub reference: Option<StatusRef>,
    /// The outcome.
    pub outcome: StatusOutcome,
    /// When the outcome is undetermined because the list is stale: what the stale list says.
    pub stale: Option<StaleStatus>,
}

impl Default for StatusReport {
    /// Not applicable: no reference.
    fn default() -> Self {
        StatusReport {
            reference: None,
            outcome: StatusOutcome::NotApplicable,
            stale: None,
        }
    }
}

impl StatusReport {
    fn new(reference: Option<StatusRef>, outcome: StatusOutcome) -> Self {
        StatusReport {
            reference,
            outcome,
            stale: None,
        }
    }

    fn undetermined(reference: Option<StatusRef>, reason: StatusListError) -> Self {
        StatusReport::new(
            reference,
            StatusOutcome::Checked(StatusCheck::Undetermined { reason }),
        )
    }

    /// The stable snake_case name used in JSON reports: `valid`, `invalid`, `suspended`,
    /// `other`, `undetermined`, `not_applicable`, `not_checked` or `not_performed`.
    pub fn name(&self) -> &'static str {
        match &self.outcome {
            StatusOutcome::NotApplicable => "not_applicable",
            StatusOutcome::NotChecked => "not_checked",
            StatusOutcome::NotPerformed => "not_performed",
            StatusOutcome::Checked(StatusCheck::Valid) => "valid",
            StatusOutcome::Checked(StatusCheck::Invalid) => "invalid",
            StatusOutcome::Checked(StatusCheck::Suspended) => "suspended",
            StatusOutcome::Checked(StatusCheck::Undetermined { .. }) => "undetermined",
            StatusOutcome::Checked(_) => "other",
        }
    }

    /// For an undetermined status, the reason code (`unreachable`, `stale`, `signer`, ...,
    /// `kakunin_core::status::UndeterminedKind::name`).
    pub fn reason_code(&self) -> Option<&'static str> {
        self.undetermined_reason()
            .map(|r| r.undetermined_kind().name())
    }

    /// For an undetermined status, why.
    pub fn undetermined_reason(&self) -> Option<&StatusListError> {
        match &self.outcome {
            StatusOutcome::Checked(StatusCheck::Undetermined { reason }) => Some(reason),
            _ => None,
        }
    }

    /// Whether the status lets the credential count as valid in the report: VALID, or
    /// nothing to check (no reference, or no status source given). Every other outcome,
    /// undetermined included, does not; a till's offline grace is the verdict's to apply.
    pub fn passes(&self) -> bool {
        matches!(
            self.outcome,
            StatusOutcome::NotApplicable
                | StatusOutcome::NotChecked
                | StatusOutcome::Checked(StatusCheck::Valid)
        )
    }
}

/// The reference of an MSO `status`, or the reason it cannot be checked.
fn mso_reference(status: &MsoStatus) -> Result<StatusRef, StatusListError> {
    match status {
        MsoStatus::StatusList { idx, uri, .. } => Ok(StatusRef {
            uri: uri.clone(),
            idx: *idx,
        }),
        MsoStatus::IdentifierList { .. } => Err(StatusListError::UnsupportedMechanism(
            "identifier_list (ISO 18013-5)",
        )),
        MsoStatus::Other(_) => Err(StatusListError::UnsupportedMechanism(
            "other than status_list",
        )),
    }
}

/// The `status.status_list` reference of an SD-JWT VC's claims (§6 "Referenced Token"), `Ok(None)` without a
/// `status` claim.
pub fn sd_jwt_reference(
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Result<Option<StatusRef>, StatusListError> {
    let Some(status) = claims.get("status") else {
        return Ok(None);
    };
    let malformed = |reason| StatusListError::Malformed {
        field: "status.status_list",
        reason,
    };
    let status = status.as_object().ok_or(StatusListError::Malformed {
        field: "status",
        reason: "not an object",
    })?;
    let Some(list) = status.get("status_list") else {
        return Err(StatusListError::UnsupportedMechanism(
            "other than status_list",
        ));
    };
    let list = list.as_object().ok_or(malformed("not an object"))?;
    let idx = list
        .get("idx")
        .and_then(serde_json::Value::as_u64)
        .ok_or(malformed("idx is not a non-negative integer"))?;
    let uri = list
        .get("uri")
        .and_then(serde_json::Value::as_str)
        .ok_or(malformed("uri is not a string"))?;
    Ok(Some(StatusRef {
        uri: uri.to_string(),
        idx,
    }))
}

/// Look the reference up in the source's list under `trust` (§8.3 steps 3–7).
fn check_reference(
    crypto: &dyn CryptoProvider,
    reference: StatusRef,
    trust: SignerTrust<'_>,
    options: &StatusOptions<'_>,
    now: OffsetDateTime,
) -> StatusReport {
    let Some((bytes, fetched_at)) = options.source.get(&reference.uri) else {
        return StatusReport::undetermined(Some(reference), StatusListError::Unreachable);
    };
    let token = match StatusListToken::parse(&bytes) {
        Ok(t) => t,
        Err(reason) => return StatusReport::undetermined(Some(reference), reason),
    };
    let ctx = CheckContext {
        trust,
        policy: options.freshness,
        now,
        fetched_at: Some(fetched_at),
    };
    match verify_status_list(crypto, token.clone(), &reference.uri, &ctx) {
        Ok(list) => {
            let check = list.status(reference.idx);
            StatusReport::new(Some(reference), StatusOutcome::Checked(check))
        }
        Err(reason) => {
            let stale = stale_status(crypto, token, &reference, &ctx, &reason);
            StatusReport {
                stale,
                ..StatusReport::undetermined(Some(reference), reason)
            }
        }
    }
}

/// How far past its freshness a stale list is, from the error that said so.
fn overdue_of(reason: &StatusListError) -> Option<Duration> {
    match reason {
        StatusListError::Expired { exp, now } => Some(*now - *exp),
        StatusListError::TtlElapsed {
            resolved_at,
            ttl,
            now,
        } => {
            let ttl = Duration::seconds(i64::try_from(*ttl).ok()?);
            Some(*now - resolved_at.checked_add(ttl)?)
        }
        _ => None,
    }
}

/// For a list refused only as stale (`exp` or `ttl` passed): what it says, verified with
/// just enough grace, and by how much it is overdue. Signer, signature and `sub` are
/// checked again; a list too old by `max_age` or issued in the future gets nothing.
fn stale_status(
    crypto: &dyn CryptoProvider,
    token: StatusListToken,
    reference: &StatusRef,
    ctx: &CheckContext<'_>,
    reason: &StatusListError,
) -> Option<StaleStatus> {
    let mut overdue = overdue_of(reason)?;
    // `exp` is checked before `ttl`: at most one more round finds the larger overdue.
    for _ in 0..2 {
        let graced = CheckContext {
            policy: FreshnessPolicy {
                grace: ctx.policy.grace.checked_add(overdue)?,
                ..ctx.policy
            },
            ..*ctx
        };
        match verify_status_list(crypto, token.clone(), &reference.uri, &graced) {
            Ok(list) => {
                return Some(StaleStatus {
                    status: list.status(reference.idx),
                    overdue,
                })
            }
            Err(again) => match overdue_of(&again) {
                Some(more) if more > overdue => overdue = more,
                _ => return None,
            },
        }
    }
    None
}

/// The status check of an mdoc whose DS chain validated to `anchors[anchor_index]` and whose
/// issuer signature verified: the MSO `status` looked up in `options`' source, the list's
/// signer chained to that same IACA.
pub fn mdoc_status(
    crypto: &dyn CryptoProvider,
    status: Option<&MsoStatus>,
    anchors: &TrustAnchors,
    anchor_index: usize,
    options: Option<&StatusOptions<'_>>,
    now: OffsetDateTime,
) -> StatusReport {
    let Some(status) = status else {
        return StatusReport::default();
    };
    let Some(options) = options else {
        return StatusReport::new(mso_reference(status).ok(), StatusOutcome::NotChecked);
    };
    let reference = match mso_reference(status) {
        Ok(r) => r,
        Err(reason) => return StatusReport::undetermined(None, reason),
    };
    let Some(own_iaca) = anchors.only(anchor_index) else {
        // The chain named an anchor that is not in the set: never trust a list on that.
        return StatusReport::undetermined(
            Some(reference),
            StatusListError::UntrustedSigner(kakunin_core::trust::TrustError::UnknownIssuer),
        );
    };
    check_reference(
        crypto,
        reference,
        SignerTrust::Iaca(&own_iaca),
        options,
        now,
    )
}

/// The report for a credential whose own checks failed: its reference, not performed.
pub fn not_performed(status: Option<&MsoStatus>) -> StatusReport {
    match status {
        None => StatusReport::default(),
        Some(s) => StatusReport::new(mso_reference(s).ok(), StatusOutcome::NotPerformed),
    }
}

/// The status of an MSO that nothing could check it against (a pinned DS has no IACA a
/// status list's signer could chain to): `not_checked`, as without a status source.
pub(crate) fn not_checked(status: Option<&MsoStatus>) -> StatusReport {
    match status {
        None => StatusReport::default(),
        Some(s) => StatusReport::new(mso_reference(s).ok(), StatusOutcome::NotChecked),
    }
}

/// Who may sign the status list of an SD-JWT VC.
#[derive(Debug, Clone, Copy)]
pub enum SdJwtIssuer<'a> {
    /// The IACAs the presentation's `x5c` was validated against: the list's signer must
    /// chain to the one the `x5c` chained to.
    X5c(&'a TrustAnchors),
    /// The issuer key configured out of band, which must also sign the list.
    Key(&'a EcPublicKey),
}

/// The IACA (as a one-anchor set) that a verified SD-JWT VC's `x5c` chains to.
fn sd_jwt_own_iaca(
    crypto: &dyn CryptoProvider,
    header: &serde_json::Map<String, serde_json::Value>,
    anchors: &TrustAnchors,
    now: OffsetDateTime,
) -> Option<TrustAnchors> {
    use base64::Engine;
    let certs = header
        .get("x5c")?
        .as_array()?
        .iter()
        .map(|c| {
            c.as_str()
                .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        })
        .collect::<Option<Vec<Vec<u8>>>>()?;
    let refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
    let chain = validate_chain(crypto, &refs, anchors, CertProfile::JwsSigner, now).ok()?;
    anchors.only(chain.anchor_index)
}

/// The status check of a verified SD-JWT VC (its `status` claim, §6 "Referenced Token"): looked up in
/// `options`' source, the list's signer chained to the credential's own IACA or equal to the
/// configured issuer key. `options` `None`: not checked.
pub fn sd_jwt_status(
    crypto: &dyn CryptoProvider,
    verified: &kakunin_core::sdjwt::VerifiedSdJwt,
    issuer: SdJwtIssuer<'_>,
    options: Option<&StatusOptions<'_>>,
    now: OffsetDateTime,
) -> StatusReport {
    let reference = match (sd_jwt_reference(&verified.claims), options) {
        (Ok(None), _) => return StatusReport::default(),
        (Ok(reference), None) => return StatusReport::new(reference, StatusOutcome::NotChecked),
        (Err(_), None) => return StatusReport::new(None, StatusOutcome::NotChecked),
        (Ok(Some(r)), Some(_)) => r,
        (Err(reason), Some(_)) => return StatusReport::undetermined(None, reason),
    };
    let Some(options) = options else {
        return StatusReport::new(Some(reference), StatusOutcome::NotChecked);
    };
    match issuer {
        SdJwtIssuer::Key(key) => check_reference(
            crypto,
            reference,
            SignerTrust::DeclaredKey(key),
            options,
            now,
        ),
        SdJwtIssuer::X5c(anchors) => {
            match sd_jwt_own_iaca(crypto, &verified.header, anchors, now) {
                Some(own) => {
                    check_reference(crypto, reference, SignerTrust::Iaca(&own), options, now)
                }
                None => StatusReport::undetermined(
                    Some(reference),
                    StatusListError::UntrustedSigner(
                        kakunin_core::trust::TrustError::UnknownIssuer,
                    ),
                ),
            }
        }
    }
}

/// The status check of each presentation of a proximity SD-JWT response
/// ([`crate::verify_sd_jwt_response`]), in order: not performed for one that failed.
pub fn sd_jwt_response_status(
    crypto: &dyn CryptoProvider,
    response: &crate::SdJwtResponseResult,
    anchors: &TrustAnchors,
    options: Option<&StatusOptions<'_>>,
    now: OffsetDateTime,
) -> Vec<StatusReport> {
    let Ok((_, results)) = response else {
        return Vec::new();
    };
    results
        .iter()
        .map(|r| match r {
            Ok(v) => sd_jwt_status(crypto, v, SdJwtIssuer::X5c(anchors), options, now),
            Err(_) => StatusReport::new(None, StatusOutcome::NotPerformed),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::crypto::{default_provider, Curve, ProviderSigner};
    use kakunin_core::sdjwt::VerifiedSdJwt;
    use kakunin_core::status::UndeterminedKind;
    use kakunin_core::status::{build_jwt, Bits, KeyReference, StatusList, StatusListClaims};
    use serde_json::json;

    const URI: &str = "https://issuer.example/status/1";

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-12-01 09:00 UTC)
    }

    /// A 2-bit list of 16 entries: 1 INVALID, 2 SUSPENDED, 3 = 3 (application-specific),
    /// issued at `now() - 1h`, `exp` one hour after issuance, `ttl` 600 s.
    fn token(key: &kakunin_core::crypto::EcPrivateKey) -> Vec<u8> {
        let c = default_provider();
        let mut list = StatusList::new(Bits::Two, 16).unwrap();
        list.set(1, 1).unwrap();
        list.set(2, 2).unwrap();
        list.set(3, 3).unwrap();
        let iat = now() - Duration::hours(1);
        let claims = StatusListClaims {
            exp: Some(iat + Duration::hours(1) + Duration::minutes(30)),
            ttl: Some(600),
            ..StatusListClaims::new(URI, iat)
        };
        let signer = ProviderSigner::new(c, key).unwrap();
        build_jwt(&signer, &list, &claims, &KeyReference::default())
            .unwrap()
            .into_bytes()
    }

    fn vc(status: Option<serde_json::Value>) -> VerifiedSdJwt {
        let mut claims = serde_json::Map::new();
        claims.insert("vct".into(), json!("urn:x"));
        if let Some(s) = status {
            claims.insert("status".into(), s);
        }
        VerifiedSdJwt {
            header: serde_json::Map::new(),
            claims,
            holder_key: None,
            key_bound: true,
            disclosures: 0,
        }
    }

    fn at_index(idx: u64) -> VerifiedSdJwt {
        vc(Some(json!({"status_list": {"idx": idx, "uri": URI}})))
    }

    #[test]
    fn every_outcome_of_a_declared_key_list() {
        let c = default_provider();
        let key = c.generate_key(Curve::P256).unwrap();
        let public = c.public_key(&key).unwrap();
        let mut source = MemoryStatusSource::new();
        // Fetched five minutes ago: within its 600 s ttl.
        source.insert(URI, token(&key), now() - Duration::minutes(5));
        let options = StatusOptions::new(&source);
        let check = |v: &VerifiedSdJwt| {
            sd_jwt_status(c, v, SdJwtIssuer::Key(&public), Some(&options), now())
        };
        assert_eq!(check(&at_index(0)).name(), "valid");
        assert!(check(&at_index(0)).passes());
        assert_eq!(check(&at_index(1)).name(), "invalid");
        assert_eq!(check(&at_index(2)).name(), "suspended");
        assert_eq!(check(&at_index(3)).name(), "other");
        for idx in 1..4 {
            assert!(!check(&at_index(idx)).passes());
        }
        let out = check(&at_index(16));
        assert_eq!(out.reason_code(), Some("index-out-of-range"));
        assert_eq!(
            out.reference,
            Some(StatusRef {
                uri: URI.into(),
                idx: 16
            })
        );
        // No reference: not applicable, and passes.
        let none = check(&vc(None));
        assert_eq!(none.name(), "not_applicable");
        assert!(none.passes());
        // Without a source: not checked.
        let unchecked = sd_jwt_status(c, &at_index(1), SdJwtIssuer::Key(&public), None, now());
        assert_eq!(unchecked.outcome, StatusOutcome::NotChecked);
        // Another URI: no copy, unreachable.
        let other = vc(Some(
            json!({"status_list": {"idx": 0, "uri": "https://x/2"}}),
        ));
        assert_eq!(check(&other).reason_code(), Some("unreachable"));
        // A malformed reference.
        for bad in [
            json!({"status_list": {"idx": -1, "uri": URI}}),
            json!({"status_list": {"idx": 0}}),
            json!("revoked"),
        ] {
            assert_eq!(check(&vc(Some(bad))).reason_code(), Some("malformed"));
        }
        assert_eq!(
            check(&vc(Some(json!({"identifier_list": {}})))).reason_code(),
            Some("unsupported")
        );
        // Signed by another key: the signature does not verify under the declared one.
        let stranger = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
        let foreign = sd_jwt_status(
            c,
            &at_index(0),
            SdJwtIssuer::Key(&stranger),
            Some(&options),
            now(),
        );
        assert_eq!(foreign.reason_code(), Some("signature"));
        // A list with no x5c cannot chain to an IACA.
        let anchors = TrustAnchors::default();
        let iaca = sd_jwt_status(
            c,
            &at_index(0),
            SdJwtIssuer::X5c(&anchors),
            Some(&options),
            now(),
        );
        assert_eq!(iaca.reason_code(), Some("signer"));
        // Garbage in the cache.
        let mut junk = MemoryStatusSource::new();
        junk.insert(URI, b"not a token".to_vec(), now());
        let junk_options = StatusOptions::new(&junk);
        let j = sd_jwt_status(
            c,
            &at_index(0),
            SdJwtIssuer::Key(&public),
            Some(&junk_options),
            now(),
        );
        assert_eq!(j.name(), "undetermined");
        assert!(j.stale.is_none());
    }

    #[test]
    fn a_stale_list_keeps_what_it_says_and_by_how_much() {
        let c = default_provider();
        let key = c.generate_key(Curve::P256).unwrap();
        let public = c.public_key(&key).unwrap();
        let mut source = MemoryStatusSource::new();
        // Fetched 30 minutes ago with a 600 s ttl: 20 minutes overdue by ttl.
        source.insert(URI, token(&key), now() - Duration::minutes(30));
        let options = StatusOptions::new(&source);
        let r = sd_jwt_status(
            c,
            &at_index(1),
            SdJwtIssuer::Key(&public),
            Some(&options),
            now(),
        );
        assert_eq!(r.reason_code(), Some(UndeterminedKind::Stale.name()));
        let stale = r.stale.clone().unwrap();
        assert_eq!(stale.status, StatusCheck::Invalid);
        assert_eq!(stale.overdue, Duration::minutes(20));
        // Two hours later `exp` (iat + 90 min) has passed too; the larger overdue counts.
        let later = now() + Duration::hours(2);
        let r = sd_jwt_status(
            c,
            &at_index(0),
            SdJwtIssuer::Key(&public),
            Some(&options),
            later,
        );
        let stale = r.stale.unwrap();
        assert_eq!(stale.status, StatusCheck::Valid);
        assert_eq!(stale.overdue, Duration::minutes(140));
        // A stale list under the wrong key says nothing.
        let stranger = c.public_key(&c.generate_key(Curve::P256).unwrap()).unwrap();
        let r = sd_jwt_status(
            c,
            &at_index(0),
            SdJwtIssuer::Key(&stranger),
            Some(&options),
            later,
        );
        assert_eq!(r.reason_code(), Some("signature"));
        assert!(r.stale.is_none());
    }

    #[test]
    fn mso_references() {
        let c = default_provider();
        let anchors = TrustAnchors::default();
        let source = MemoryStatusSource::new();
        let options = StatusOptions::new(&source);
        let list = MsoStatus::StatusList {
            idx: 4,
            uri: URI.into(),
            certificate: None,
        };
        assert_eq!(
            mdoc_status(c, None, &anchors, 0, Some(&options), now()).name(),
            "not_applicable"
        );
        assert_eq!(
            mdoc_status(c, Some(&list), &anchors, 0, None, now()).name(),
            "not_checked"
        );
        // An anchor index not in the set is never trusted.
        assert_eq!(
            mdoc_status(c, Some(&list), &anchors, 0, Some(&options), now()).reason_code(),
            Some("signer")
        );
        let ids = MsoStatus::IdentifierList {
            id: vec![1],
            uri: URI.into(),
            certificate: None,
        };
        assert_eq!(
            mdoc_status(c, Some(&ids), &anchors, 0, Some(&options), now()).reason_code(),
            Some("unsupported")
        );
        assert_eq!(not_performed(Some(&list)).name(), "not_performed");
        assert!(!not_performed(Some(&list)).passes());
    }
}
