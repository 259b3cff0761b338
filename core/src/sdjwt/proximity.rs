//! Kakunin's profile for carrying SD-JWT VC presentations over an ISO 18013-5 proximity
//! session (docs/profiles/sd-jwt-proximity.md): the session (engagement, SessionEstablishment,
//! SessionData, encryption) is unchanged; only the plaintext messages differ.
//!
//! Request  = `{"version": "1.0", "sdJwtRequests": [{"vct": tstr, "claims": [tstr]}]}`
//! Response = `{"version": "1.0", "sdJwtPresentations": [tstr], "status": uint}`
//!
//! The KB-JWT `nonce` is base64url(SHA-256(SessionTranscriptBytes)) and `aud` is
//! [`PROXIMITY_AUDIENCE`], so a presentation is bound to this session's transcript.

use crate::cbor::{Encoder, Item};
use crate::crypto::{CryptoProvider, HashAlg};
use crate::mdoc::fields::{array, decode_top, field, text, uint};
use crate::mdoc::{MdocError, SessionTranscript};

/// The KB-JWT audience in a proximity session.
pub const PROXIMITY_AUDIENCE: &str = "urn:kakunin:iso18013-5-proximity";

/// What the reader asks for, per credential type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdJwtRequest {
    /// The SD-JWT VC type (`vct`) asked for.
    pub vct: String,
    /// Dotted claim paths, e.g. `age_equal_or_over.20`.
    pub claims: Vec<String>,
}

/// The KB-JWT nonce for a session.
pub fn transcript_nonce(crypto: &dyn CryptoProvider, transcript: &SessionTranscript) -> String {
    super::b64(&crypto.hash(HashAlg::Sha256, transcript.tagged_bytes()))
}

/// Decode a request or response and check its `version` is "1.0".
fn top<'a>(bytes: &'a [u8], what: &str) -> Result<Item<'a>, MdocError> {
    let item = decode_top(bytes, what)?;
    let version = text(
        field(&item, "version", what)?,
        format_args!("{what}.version"),
    )?;
    if version != "1.0" {
        return Err(MdocError::UnsupportedVersion {
            path: format!("{what}.version"),
            version: version.to_string(),
        });
    }
    Ok(item)
}

/// Encode an SdJwtDeviceRequest (the reader's plaintext in the session).
pub fn encode_request(requests: &[SdJwtRequest]) -> Vec<u8> {
    let mut e = Encoder::new();
    e.map(2)
        .text("version")
        .text("1.0")
        .text("sdJwtRequests")
        .array(requests.len());
    for r in requests {
        e.map(2)
            .text("vct")
            .text(&r.vct)
            .text("claims")
            .array(r.claims.len());
        for c in &r.claims {
            e.text(c);
        }
    }
    e.into_bytes()
}

/// Decode a received SdJwtDeviceRequest (holder side).
pub fn decode_request(bytes: &[u8]) -> Result<Vec<SdJwtRequest>, MdocError> {
    const P: &str = "SdJwtDeviceRequest";
    let t = top(bytes, P)?;
    const LP: &str = "SdJwtDeviceRequest.sdJwtRequests";
    let list = array(field(&t, "sdJwtRequests", P)?, LP)?;
    list.iter()
        .enumerate()
        .map(|(i, r)| {
            let path = format!("{LP}[{i}]");
            let vct = text(field(r, "vct", &path)?, format_args!("{path}.vct"))?;
            let cp = format!("{path}.claims");
            let claims = array(field(r, "claims", &path)?, &cp)?
                .iter()
                .map(|c| text(c, &cp).map(str::to_string))
                .collect::<Result<_, _>>()?;
            Ok(SdJwtRequest {
                vct: vct.to_string(),
                claims,
            })
        })
        .collect()
}

/// Encode an SdJwtDeviceResponse (the holder's plaintext in the session).
pub fn encode_response(presentations: &[String], status: u64) -> Vec<u8> {
    let mut e = Encoder::new();
    e.map(3)
        .text("version")
        .text("1.0")
        .text("sdJwtPresentations")
        .array(presentations.len());
    for p in presentations {
        e.text(p);
    }
    e.text("status").uint(status);
    e.into_bytes()
}

/// Decode a received SdJwtDeviceResponse: the presentations and the status.
pub fn decode_response(bytes: &[u8]) -> Result<(Vec<String>, u64), MdocError> {
    const P: &str = "SdJwtDeviceResponse";
    let t = top(bytes, P)?;
    const LP: &str = "SdJwtDeviceResponse.sdJwtPresentations";
    let list = array(field(&t, "sdJwtPresentations", P)?, LP)?
        .iter()
        .map(|p| text(p, LP).map(str::to_string))
        .collect::<Result<_, _>>()?;
    let status = uint(field(&t, "status", P)?, "SdJwtDeviceResponse.status")?;
    Ok((list, status))
}
