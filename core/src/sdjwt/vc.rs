//! SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): `typ` dc+sd-jwt (vc+sd-jwt when configured), `vct`
//! and `iss` present, the issuer key from an `x5c` chain to configured trust anchors (JWS
//! signer profile) or from a configured JWK.

use super::{
    json_serialization::verify_parsed_json, verify_presentation, JsonSdJwt, Jws, KbRequirements,
    SdJwtError, VerifiedSdJwt,
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
pub enum VcError {
    #[error("{0}")]
    SdJwt(#[from] SdJwtError),
    #[error("typ {0:?} is not dc+sd-jwt")]
    Typ(Option<String>),
    #[error("claim {0} is missing")]
    MissingClaim(&'static str),
    #[error("issuer certificate: {0}")]
    Untrusted(TrustError),
}

impl VcError {
    pub fn cause(&self) -> crate::Cause {
        match self {
            VcError::SdJwt(e) => e.cause(),
            VcError::Untrusted(e) => e.cause(),
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
        part: "issuer-signed JWT",
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
                part: "x5c",
                source,
            })?;
            let refs: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
            validate_chain(&refs, anchors, CertProfile::JwsSigner, now)
                .map_err(VcError::Untrusted)?
                .leaf_public_key
        }
    };
    let v = match &json {
        Some(parsed) => verify_parsed_json(crypto, parsed, &key, kb, now)?,
        None => verify_presentation(crypto, presentation, &key, kb, now)?,
    };
    for claim in ["vct", "iss"] {
        if !v
            .claims
            .get(claim)
            .is_some_and(serde_json::Value::is_string)
        {
            return Err(VcError::MissingClaim(claim));
        }
    }
    Ok(v)
}
