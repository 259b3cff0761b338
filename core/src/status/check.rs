//! Checking a credential's status against a Status List Token, as a relying party
//! (draft-ietf-oauth-status-list-20 §8.3 "Validation Rules").
//!
//! The order is the draft's: the token's signature under a trusted signer, then its claims
//! (`sub` equals the referencing `uri`; `nbf`, `iat`, `exp` and `ttl` against `now` and the
//! [`FreshnessPolicy`]), then the value at the index. Any failure means no statement can be
//! made: [`StatusCheck::Undetermined`] with the reason, never VALID.
//!
//! Trust in the signer (§11.3 "Key Resolution and Trust Management"): either the list
//! carries an `x5chain`/`x5c` whose leaf chains to the credential's own IACA
//! ([`SignerTrust::Iaca`]), or the issuer declared the key out of band
//! ([`SignerTrust::DeclaredKey`]). A list signed by any other key is undetermined.
//!
//! Status-signer certificate profile. The draft's EKU `id-kp-oauthStatusSigning`
//! (1.3.6.1.5.5.7.3.TBD) has no number yet, so it cannot be required. The leaf must instead
//! be a signing certificate of the credential issuer under the same IACA: the mdoc Document
//! Signer EKU 1.0.18013.5.1.2, or the JWS-signer EKU 1.0.18013.5.1.3 (SD-JWT VC issuers). It
//! also needs the digitalSignature key usage, must not be a CA, and must name the IACA's
//! country. This is the draft's "same key as the Referenced Token" case. Any other
//! certificate the IACA issued (a reader-authentication or TLS certificate, say) cannot sign
//! lists.

use super::list::StatusValue;
use super::token::StatusListToken;
use super::StatusListError;
use crate::crypto::{CryptoProvider, EcPublicKey};
use crate::trust::{validate_chain, CertProfile, TrustAnchors, TrustError, ValidatedChain};
use time::{Duration, OffsetDateTime};

/// Which signers the relying party accepts for a credential's status list.
#[derive(Debug, Clone, Copy)]
pub enum SignerTrust<'a> {
    /// The credential's IACA trust anchors: the list's `x5chain`/`x5c` must chain to one of
    /// them under the status-signer profile (see the module documentation).
    Iaca(&'a TrustAnchors),
    /// A key the issuer declared for its status lists (out of band, or the credential's own
    /// issuer key).
    DeclaredKey(&'a EcPublicKey),
}

/// How fresh a list must be. The defaults: no grace after `exp` or `ttl`, `ttl` honoured up
/// to 30 days, no maximum age of `iat`, and 5 minutes of clock skew on `iat`/`nbf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshnessPolicy {
    /// Extra time allowed after `exp`, and after `resolved + ttl`, before the list is stale
    /// (an offline till may accept a list a few hours past its refresh time).
    pub grace: Duration,
    /// The longest `ttl` honoured; a larger one is clamped to it (§11.6: an issuer must not
    /// keep its lists cached forever).
    pub max_ttl: Duration,
    /// If set, a list whose `iat` is older than this is stale (§8.3 step 4b).
    pub max_age: Option<Duration>,
    /// Clock skew tolerated on `iat` and `nbf` in the future.
    pub max_skew: Duration,
}

impl Default for FreshnessPolicy {
    fn default() -> Self {
        FreshnessPolicy {
            grace: Duration::ZERO,
            max_ttl: Duration::days(30),
            max_age: None,
            max_skew: Duration::minutes(5),
        }
    }
}

/// What a Referenced Token says about its status (`status.status_list`, §6): the list's URI
/// and the token's index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusReference<'a> {
    /// `uri`: must equal the list's `sub`.
    pub uri: &'a str,
    /// `idx`.
    pub idx: u64,
}

/// Everything a check needs besides the token and the reference.
#[derive(Debug, Clone, Copy)]
pub struct CheckContext<'a> {
    /// The accepted signers.
    pub trust: SignerTrust<'a>,
    /// Freshness rules.
    pub policy: FreshnessPolicy,
    /// The time of the check.
    pub now: OffsetDateTime,
    /// When the list was retrieved; `None` uses its `iat` (the conservative choice: a copy
    /// cannot have been fetched before it was issued).
    pub fetched_at: Option<OffsetDateTime>,
}

/// Who signed a verified list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerIdentity {
    /// A certificate that chains to the credential's IACA.
    Certificate(Box<ValidatedChain>),
    /// The declared key.
    DeclaredKey,
}

/// A Status List Token whose signer, signature, subject and freshness were checked.
#[derive(Debug, Clone)]
pub struct VerifiedStatusList {
    token: StatusListToken,
    signer: SignerIdentity,
}

impl VerifiedStatusList {
    /// The token.
    pub fn token(&self) -> &StatusListToken {
        &self.token
    }

    /// Who signed it.
    pub fn signer(&self) -> &SignerIdentity {
        &self.signer
    }

    /// The status at `idx` (§8.3 steps 6–7).
    pub fn status(&self, idx: u64) -> StatusCheck {
        match self.token.list().status(idx) {
            Ok(v) => StatusCheck::from_value(v),
            Err(reason) => StatusCheck::Undetermined { reason },
        }
    }
}

/// The coarse reason of an undetermined status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UndeterminedKind {
    /// The list could not be retrieved.
    Unreachable,
    /// Expired, past its `ttl`, too old, or not yet valid.
    Stale,
    /// The signature does not verify.
    Signature,
    /// The signer is not trusted for this credential.
    Signer,
    /// The list is not the one the credential refers to (`sub` ≠ `uri`).
    Subject,
    /// The index is beyond the list.
    IndexOutOfRange,
    /// The token or the list is malformed or unsupported.
    Malformed,
    /// The credential refers to a status mechanism that cannot be checked here (the ISO
    /// 18013-5 identifier list, or an unknown one).
    Unsupported,
}

impl UndeterminedKind {
    /// A short name: `unreachable`, `stale`, `signature`, `signer`, `subject`,
    /// `index-out-of-range`, `malformed`, `unsupported`.
    pub const fn name(self) -> &'static str {
        match self {
            UndeterminedKind::Unreachable => "unreachable",
            UndeterminedKind::Stale => "stale",
            UndeterminedKind::Signature => "signature",
            UndeterminedKind::Signer => "signer",
            UndeterminedKind::Subject => "subject",
            UndeterminedKind::IndexOutOfRange => "index-out-of-range",
            UndeterminedKind::Malformed => "malformed",
            UndeterminedKind::Unsupported => "unsupported",
        }
    }
}

impl StatusListError {
    /// Which kind of undetermined status this error makes.
    pub fn undetermined_kind(&self) -> UndeterminedKind {
        use StatusListError as E;
        match self {
            E::Unreachable => UndeterminedKind::Unreachable,
            E::Expired { .. }
            | E::TtlElapsed { .. }
            | E::TooOld { .. }
            | E::IssuedInFuture { .. } => UndeterminedKind::Stale,
            E::BadSignature => UndeterminedKind::Signature,
            E::UntrustedSigner(_) | E::NoSignerCertificate => UndeterminedKind::Signer,
            E::SubjectMismatch { .. } => UndeterminedKind::Subject,
            E::IndexOutOfRange { .. } => UndeterminedKind::IndexOutOfRange,
            E::UnsupportedMechanism(_) => UndeterminedKind::Unsupported,
            _ => UndeterminedKind::Malformed,
        }
    }
}

/// The status of a Referenced Token: never just a boolean.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusCheck {
    /// 0x00 VALID.
    Valid,
    /// 0x01 INVALID (revoked).
    Invalid,
    /// 0x02 SUSPENDED.
    Suspended,
    /// Any other value: application-specific (0x03, 0x0C–0x0F) or reserved. Not valid.
    Other(u8),
    /// No statement can be made; the token SHOULD be rejected (§8.3).
    Undetermined {
        /// Why.
        reason: StatusListError,
    },
}

impl StatusCheck {
    /// The check for a status value.
    pub fn from_value(v: StatusValue) -> Self {
        match v {
            StatusValue::Valid => StatusCheck::Valid,
            StatusValue::Invalid => StatusCheck::Invalid,
            StatusValue::Suspended => StatusCheck::Suspended,
            StatusValue::Other(n) => StatusCheck::Other(n),
        }
    }

    /// Whether the status is VALID: the only outcome that lets a credential through.
    pub fn is_valid(&self) -> bool {
        matches!(self, StatusCheck::Valid)
    }

    /// `VALID`, `INVALID`, `SUSPENDED`, `OTHER` or `UNDETERMINED`.
    pub fn label(&self) -> &'static str {
        match self {
            StatusCheck::Valid => "VALID",
            StatusCheck::Invalid => "INVALID",
            StatusCheck::Suspended => "SUSPENDED",
            StatusCheck::Other(_) => "OTHER",
            StatusCheck::Undetermined { .. } => "UNDETERMINED",
        }
    }
}

impl core::fmt::Display for StatusCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StatusCheck::Other(n) => write!(f, "OTHER {}", StatusValue::Other(*n)),
            StatusCheck::Undetermined { reason } => write!(
                f,
                "UNDETERMINED ({}): {reason}",
                reason.undetermined_kind().name()
            ),
            other => f.write_str(other.label()),
        }
    }
}

/// Validate a status-list signer's chain under the status-signer profile: the issuer's
/// Document Signer or JWS-signer certificate under the IACA (module documentation).
fn validate_signer_chain(
    crypto: &dyn CryptoProvider,
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    at: OffsetDateTime,
) -> Result<ValidatedChain, TrustError> {
    let refs: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
    match validate_chain(crypto, &refs, anchors, CertProfile::DocumentSigner, at) {
        // Neither EKU: the error names the Document Signer profile, the first one tried.
        Err(ds_error @ TrustError::WrongExtendedKeyUsage { .. }) => {
            validate_chain(crypto, &refs, anchors, CertProfile::JwsSigner, at).map_err(
                |e| match e {
                    TrustError::WrongExtendedKeyUsage { .. } => ds_error,
                    other => other,
                },
            )
        }
        other => other,
    }
}

fn check_freshness(token: &StatusListToken, ctx: &CheckContext<'_>) -> Result<(), StatusListError> {
    let claims = token.claims();
    let now = ctx.now;
    let policy = &ctx.policy;
    if claims.iat > now + policy.max_skew {
        return Err(StatusListError::IssuedInFuture {
            iat: claims.iat,
            now,
        });
    }
    if let Some(nbf) = claims.nbf {
        if nbf > now + policy.max_skew {
            return Err(StatusListError::IssuedInFuture { iat: nbf, now });
        }
    }
    if let Some(exp) = claims.exp {
        if now > exp + policy.grace {
            return Err(StatusListError::Expired { exp, now });
        }
    }
    if let Some(ttl) = claims.ttl {
        let max_ttl = u64::try_from(policy.max_ttl.whole_seconds()).unwrap_or(0);
        let ttl = ttl.min(max_ttl);
        let resolved_at = ctx.fetched_at.unwrap_or(claims.iat);
        let ttl_d = Duration::seconds(i64::try_from(ttl).unwrap_or(i64::MAX));
        if now > resolved_at + ttl_d + policy.grace {
            return Err(StatusListError::TtlElapsed {
                resolved_at,
                ttl,
                now,
            });
        }
    }
    if let Some(max_age) = policy.max_age {
        if now > claims.iat + max_age {
            return Err(StatusListError::TooOld {
                iat: claims.iat,
                now,
            });
        }
    }
    Ok(())
}

/// Verify a parsed Status List Token for a credential whose status lives at `uri`: signer,
/// signature, `sub`, then freshness (§8.3 steps 3–4).
pub fn verify_status_list(
    crypto: &dyn CryptoProvider,
    token: StatusListToken,
    uri: &str,
    ctx: &CheckContext<'_>,
) -> Result<VerifiedStatusList, StatusListError> {
    let (key, signer) = match ctx.trust {
        SignerTrust::DeclaredKey(k) => (k.clone(), SignerIdentity::DeclaredKey),
        SignerTrust::Iaca(anchors) => {
            if token.x5chain().is_empty() {
                return Err(StatusListError::NoSignerCertificate);
            }
            let chain = validate_signer_chain(crypto, token.x5chain(), anchors, ctx.now)
                .map_err(StatusListError::UntrustedSigner)?;
            (
                chain.leaf_public_key.clone(),
                SignerIdentity::Certificate(Box::new(chain)),
            )
        }
    };
    token.verify_signature(crypto, &key)?;
    if token.claims().sub != uri {
        return Err(StatusListError::SubjectMismatch {
            expected: uri.to_string(),
            found: token.claims().sub.clone(),
        });
    }
    check_freshness(&token, ctx)?;
    Ok(VerifiedStatusList { token, signer })
}

/// The whole check (§8.3 steps 3–7) on a token as received: parse, verify, look up. Never
/// fails and never says VALID unless every step passed.
pub fn check_status(
    crypto: &dyn CryptoProvider,
    token: &[u8],
    reference: &StatusReference<'_>,
    ctx: &CheckContext<'_>,
) -> StatusCheck {
    let verified = StatusListToken::parse(token)
        .and_then(|t| verify_status_list(crypto, t, reference.uri, ctx));
    match verified {
        Ok(v) => v.status(reference.idx),
        Err(reason) => StatusCheck::Undetermined { reason },
    }
}
