//! SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): `typ` dc+sd-jwt (vc+sd-jwt when configured), `vct`
//! and `iss` present, the issuer key from an `x5c` chain to configured trust anchors (JWS
//! signer profile) or from a configured JWK.

use super::{
    json_serialization::verify_parsed_json, verify_presentation, JsonSdJwt, Jws, JwtPart,
    KbRequirements, SdJwtError, VerifiedSdJwt,
};
use crate::crypto::{CryptoProvider, EcPublicKey};
use crate::trust::{validate_chain, CertProfile, TrustAnchors, TrustError};
use time::OffsetDateTime;

/// Where the issuer's key comes from.
#[derive(Clone, Copy)]
pub enum IssuerKey<'a> {
    /// `x5c` in the JWT header, validated to these anchors.
    X5c(&'a TrustAnchors),
    /// A key configured out of band.
    Key(&'a EcPublicKey),
}

/// Why an SD-JWT VC was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VcError {
    /// The SD-JWT underneath failed (RFC 9901 §7).
    #[error("{0}")]
    SdJwt(#[from] SdJwtError),
    /// The JWT `typ` is not `dc+sd-jwt` (nor `vc+sd-jwt` when accepted); the `typ` received,
    /// if any (printed escaped).
    #[error("typ {} is not dc+sd-jwt", TypShown(.0))]
    Typ(Option<String>),
    /// A claim SD-JWT VC requires (as a string) is missing.
    #[error("claim {0} is missing")]
    MissingClaim(VcClaim),
    /// The `x5c` chain does not validate to the configured anchors (JWS signer profile).
    #[error("issuer certificate: {0}")]
    Untrusted(TrustError),
    /// A registered claim that SD-JWT VC forbids to disclose selectively (`iss`, `nbf`,
    /// `exp`, `cnf`, `vct`, `status`; draft-ietf-oauth-sd-jwt-vc §3.2.2.2) arrived in a
    /// Disclosure instead of in the issuer-signed payload: the credential as issued breaks
    /// the format (malformed, whoever signed it).
    #[error("claim {0} must not be selectively disclosed (SD-JWT VC §3.2.2.2)")]
    SelectivelyDisclosed(&'static str),
}

/// The top-level claims SD-JWT VC (draft-ietf-oauth-sd-jwt-vc §3.2.2.2, "Registered JWT
/// Claims") says MUST NOT be selectively disclosed: a verifier needs them to judge the
/// credential at all, so they must sit in the clear in the issuer-signed payload.
pub const NEVER_DISCLOSABLE: [&str; 6] = ["iss", "nbf", "exp", "cnf", "vct", "status"];

/// A claim the SD-JWT VC format requires in the issuer-signed payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VcClaim {
    /// `vct`, the credential type.
    Vct,
    /// `iss`, the issuer.
    Iss,
}

impl VcClaim {
    /// The claim's name in the JWT.
    pub const fn name(self) -> &'static str {
        match self {
            VcClaim::Vct => "vct",
            VcClaim::Iss => "iss",
        }
    }
}

impl core::fmt::Display for VcClaim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A received `typ`, escaped, or "(absent)".
struct TypShown<'a>(&'a Option<String>);

impl core::fmt::Display for TypShown<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(t) => write!(f, "{t:?}"),
            None => f.write_str("(absent)"),
        }
    }
}

impl VcError {
    /// The cause group (that of the underlying error; a wrong `typ` or missing claim is a
    /// failed check).
    pub fn cause(&self) -> crate::Cause {
        match self {
            VcError::SdJwt(e) => e.cause(),
            VcError::Untrusted(e) => e.cause(),
            VcError::SelectivelyDisclosed(_) => crate::Cause::Malformed,
            _ => crate::Cause::FailedCheck,
        }
    }
}

/// Verify an SD-JWT VC presentation, in compact form or in the JWS JSON Serialization (RFC 9901
/// §8; a JSON object). With the JSON form, `typ` and `x5c` are read from the first signature's
/// protected header.
pub fn verify_sd_jwt_vc(
    crypto: &dyn CryptoProvider,
    presentation: &str,
    issuer: IssuerKey<'_>,
    kb: Option<&KbRequirements<'_>>,
    accept_vc_sd_jwt: bool,
    now: OffsetDateTime,
) -> Result<VerifiedSdJwt, VcError> {
    let json = if presentation.trim_start().starts_with('{') {
        Some(JsonSdJwt::parse(presentation)?)
    } else {
        None
    };
    let jwt = match &json {
        Some(j) => j.jwt(0).unwrap_or_default(),
        None => presentation
            .split('~')
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    let jws = Jws::parse(&jwt).map_err(|source| SdJwtError::Jws {
        part: JwtPart::IssuerJwt,
        source,
    })?;
    match jws.typ() {
        Some("dc+sd-jwt") => {}
        Some("vc+sd-jwt") if accept_vc_sd_jwt => {}
        other => return Err(VcError::Typ(other.map(str::to_string))),
    }
    let key = match issuer {
        IssuerKey::Key(k) => k.clone(),
        IssuerKey::X5c(anchors) => {
            let chain = jws.x5c().map_err(|source| SdJwtError::Jws {
                part: JwtPart::X5c,
                source,
            })?;
            let refs: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
            validate_chain(crypto, &refs, anchors, CertProfile::JwsSigner, now)
                .map_err(VcError::Untrusted)?
                .leaf_public_key
        }
    };
    let v = match &json {
        Some(parsed) => verify_parsed_json(crypto, parsed, &key, kb, now)?,
        None => verify_presentation(crypto, presentation, &key, kb, now)?,
    };
    // A claim among the processed claims that the signed payload does not carry in the
    // clear came from a Disclosure.
    if let Some(name) = NEVER_DISCLOSABLE
        .iter()
        .find(|n| v.claims.contains_key(**n) && !jws.payload.contains_key(**n))
    {
        return Err(VcError::SelectivelyDisclosed(name));
    }
    for claim in [VcClaim::Vct, VcClaim::Iss] {
        if !v
            .claims
            .get(claim.name())
            .is_some_and(serde_json::Value::is_string)
        {
            return Err(VcError::MissingClaim(claim));
        }
    }
    Ok(v)
}
