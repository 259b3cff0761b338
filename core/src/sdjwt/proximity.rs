//! Kakunin's profile for carrying SD-JWT VC presentations over an ISO 18013-5 proximity
//! session (docs/profiles/sd-jwt-proximity.md): the session (engagement, SessionEstablishment,
//! SessionData, encryption) is unchanged; only the plaintext messages differ.
//!
//! Request  = `{"version": "1.0", "sdJwtRequests": [{"vct": tstr, "claims": [tstr]}]}`
//! Response = `{"version": "1.0", "sdJwtPresentations": [tstr], "status": uint}`
//!
//! The KB-JWT `nonce` is base64url(SHA-256(SessionTranscriptBytes)) and `aud` is
//! [`PROXIMITY_AUDIENCE`], so a presentation is bound to this session's transcript.

use crate::cbor::{decode, Encoder, Item};
use crate::crypto::{CryptoProvider, HashAlg};
use crate::mdoc::{MdocError, SessionTranscript};

/// The KB-JWT audience in a proximity session.
pub const PROXIMITY_AUDIENCE: &str = "urn:kakunin:iso18013-5-proximity";

/// What the reader asks for, per credential type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdJwtRequest {
    pub vct: String,
    /// Dotted claim paths, e.g. `age_equal_or_over.20`.
    pub claims: Vec<String>,
}

/// The KB-JWT nonce for a session.
pub fn transcript_nonce(crypto: &dyn CryptoProvider, transcript: &SessionTranscript) -> String {
    super::b64(&crypto.hash(HashAlg::Sha256, transcript.tagged_bytes()))
}

fn bad(path: &str, reason: &'static str) -> MdocError {
    MdocError::Invalid {
        path: path.into(),
        reason,
    }
}

fn top<'a>(bytes: &'a [u8], what: &str) -> Result<Item<'a>, MdocError> {
    let item = decode(bytes).map_err(|source| MdocError::Cbor {
        path: what.into(),
        source,
    })?;
    if item.get_text_key("version").and_then(Item::as_text) != Some("1.0") {
        return Err(bad(what, "version must be \"1.0\""));
    }
    Ok(item)
}

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

pub fn decode_request(bytes: &[u8]) -> Result<Vec<SdJwtRequest>, MdocError> {
    const P: &str = "SdJwtDeviceRequest";
    let t = top(bytes, P)?;
    let list = t
        .get_text_key("sdJwtRequests")
        .and_then(Item::as_array)
        .ok_or_else(|| bad(P, "sdJwtRequests must be an array"))?;
    list.iter()
        .map(|r| {
            let vct = r
                .get_text_key("vct")
                .and_then(Item::as_text)
                .ok_or_else(|| bad(P, "vct must be text"))?;
            let claims = r
                .get_text_key("claims")
                .and_then(Item::as_array)
                .ok_or_else(|| bad(P, "claims must be an array"))?
                .iter()
                .map(|c| {
                    c.as_text()
                        .map(str::to_string)
                        .ok_or_else(|| bad(P, "claims must be text"))
                })
                .collect::<Result<_, _>>()?;
            Ok(SdJwtRequest {
                vct: vct.to_string(),
                claims,
            })
        })
        .collect()
}

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

/// The presentations and the status.
pub fn decode_response(bytes: &[u8]) -> Result<(Vec<String>, u64), MdocError> {
    const P: &str = "SdJwtDeviceResponse";
    let t = top(bytes, P)?;
    let list = t
        .get_text_key("sdJwtPresentations")
        .and_then(Item::as_array)
        .ok_or_else(|| bad(P, "sdJwtPresentations must be an array"))?
        .iter()
        .map(|p| {
            p.as_text()
                .map(str::to_string)
                .ok_or_else(|| bad(P, "presentations must be text"))
        })
        .collect::<Result<_, _>>()?;
    let status = t
        .get_text_key("status")
        .and_then(Item::as_uint)
        .ok_or_else(|| bad(P, "status must be uint"))?;
    Ok((list, status))
}
