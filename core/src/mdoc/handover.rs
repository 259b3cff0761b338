//! Handover builders: the SessionTranscript (ISO/IEC 18013-5 clause 9.1.5.1) of every
//! presentation flow Kakunin knows, from typed inputs, byte for byte.
//!
//! - Proximity (18013-5 9.1.5.1): `[DeviceEngagementBytes, EReaderKeyBytes, Handover]` with
//!   Handover `null` for QR engagement and `[HandoverSelect, HandoverRequest / null]` for NFC.
//! - Online flows keep the array with both keys `null` (`83 f6 f6 <Handover>`):
//!   - OpenID4VP 1.0 B.2.6.1: `["OpenID4VPHandover", SHA-256([client_id, nonce, thumbprint /
//!     null, response_uri])]`;
//!   - OpenID4VP 1.0 B.2.6.2 (DC API): `["OpenID4VPDCAPIHandover", SHA-256([origin, nonce,
//!     thumbprint / null])]`;
//!   - OpenID4VP draft 24 (DC API): the same label over `[origin, client_id, nonce]`;
//!   - ISO/IEC 18013-7 Annex B: `[SHA-256([client_id, mdocGeneratedNonce]),
//!     SHA-256([response_uri, mdocGeneratedNonce]), nonce]`;
//!   - ISO/IEC 18013-7 Annex C: `["dcapi", SHA-256([encryptionInfo (base64url text), origin])]`.
//!
//! Every hash is SHA-256 over the shortest-form, definite-length CBOR of the array, which the
//! [`Encoder`] writes. Inputs are used exactly as given: no origin or client_id is normalised
//! here, because telling those variants apart is the point of `kakunin transcript explain`.

use super::transcript::SessionTranscript;
use crate::cbor::{decode, wrap_tag24, Encoder};
use crate::crypto::{CryptoProvider, HashAlg};

/// Largest text input of an online handover (client_id, nonce, origin, URIs, encryption info).
pub const MAX_HANDOVER_TEXT: usize = 8 * 1024;
/// Largest binary input of a proximity handover (engagement, reader key, NDEF messages).
pub const MAX_HANDOVER_BYTES: usize = 64 * 1024;

/// The handover families, named as `kakunin transcript build --handover` takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandoverKind {
    /// 18013-5 QR engagement: Handover `null`.
    Qr,
    /// 18013-5 NFC engagement: `[HandoverSelect, HandoverRequest / null]`.
    Nfc,
    /// OpenID4VP 1.0 redirect / cross-device (`OpenID4VPHandover`).
    OpenId4Vp,
    /// OpenID4VP 1.0 over the Digital Credentials API (`OpenID4VPDCAPIHandover`).
    OpenId4VpDcApi,
    /// OpenID4VP draft 24 over the DC API (same label, `[origin, client_id, nonce]`).
    OpenId4VpDcApiDraft24,
    /// ISO/IEC 18013-7 Annex B (`OID4VPHandover`, with the mdoc-generated nonce).
    Iso7AnnexB,
    /// ISO/IEC 18013-7 Annex C (`dcapi`, DC API protocol `org-iso-mdoc`).
    Iso7AnnexC,
}

impl HandoverKind {
    /// Every kind, in the order `explain` tries them.
    pub const ALL: [HandoverKind; 7] = [
        HandoverKind::Qr,
        HandoverKind::Nfc,
        HandoverKind::OpenId4Vp,
        HandoverKind::OpenId4VpDcApi,
        HandoverKind::OpenId4VpDcApiDraft24,
        HandoverKind::Iso7AnnexB,
        HandoverKind::Iso7AnnexC,
    ];

    /// The published name (`qr`, `nfc`, `oid4vp`, `oid4vp-dcapi`, `oid4vp-dcapi-draft24`,
    /// `iso-7-annex-b`, `iso-7-annex-c`).
    pub fn name(self) -> &'static str {
        match self {
            HandoverKind::Qr => "qr",
            HandoverKind::Nfc => "nfc",
            HandoverKind::OpenId4Vp => "oid4vp",
            HandoverKind::OpenId4VpDcApi => "oid4vp-dcapi",
            HandoverKind::OpenId4VpDcApiDraft24 => "oid4vp-dcapi-draft24",
            HandoverKind::Iso7AnnexB => "iso-7-annex-b",
            HandoverKind::Iso7AnnexC => "iso-7-annex-c",
        }
    }

    /// The clause that defines the handover.
    pub fn clause(self) -> &'static str {
        match self {
            HandoverKind::Qr => "ISO/IEC 18013-5 9.1.5.1 (QR)",
            HandoverKind::Nfc => "ISO/IEC 18013-5 9.1.5.1 (NFC)",
            HandoverKind::OpenId4Vp => "OpenID4VP 1.0 B.2.6.1",
            HandoverKind::OpenId4VpDcApi => "OpenID4VP 1.0 B.2.6.2",
            HandoverKind::OpenId4VpDcApiDraft24 => "OpenID4VP draft 24 DC API",
            HandoverKind::Iso7AnnexB => "ISO/IEC 18013-7 Annex B",
            HandoverKind::Iso7AnnexC => "ISO/IEC 18013-7 Annex C",
        }
    }
}

impl core::fmt::Display for HandoverKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for HandoverKind {
    type Err = HandoverError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HandoverKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| HandoverError::UnknownKind {
                name: s.chars().take(64).collect(),
            })
    }
}

/// Why a handover could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandoverError {
    /// The handover kind is not one of [`HandoverKind::ALL`].
    #[error(
        "unknown handover {name:?}: expected qr, nfc, oid4vp, oid4vp-dcapi, \
         oid4vp-dcapi-draft24, iso-7-annex-b or iso-7-annex-c"
    )]
    UnknownKind {
        /// The name given (at most 64 characters of it).
        name: String,
    },
    /// An input is longer than its cap.
    #[error("{field}: {len} bytes, more than the {max} a handover input may have")]
    TooLong {
        /// The input (snake case, as in the inputs file).
        field: &'static str,
        /// Its length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// An input that must not be empty is.
    #[error("{field} is empty")]
    Empty {
        /// The input.
        field: &'static str,
    },
    /// An input is not what its field holds.
    #[error("{field}: {reason}")]
    Malformed {
        /// The input.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl HandoverError {
    /// The cause group: every handover error is about the inputs.
    pub fn cause(&self) -> crate::Cause {
        crate::Cause::Malformed
    }
}

fn text_input(field: &'static str, value: &str) -> Result<(), HandoverError> {
    if value.len() > MAX_HANDOVER_TEXT {
        return Err(HandoverError::TooLong {
            field,
            len: value.len(),
            max: MAX_HANDOVER_TEXT,
        });
    }
    Ok(())
}

fn bytes_input(field: &'static str, value: &[u8]) -> Result<(), HandoverError> {
    if value.is_empty() {
        return Err(HandoverError::Empty { field });
    }
    if value.len() > MAX_HANDOVER_BYTES {
        return Err(HandoverError::TooLong {
            field,
            len: value.len(),
            max: MAX_HANDOVER_BYTES,
        });
    }
    Ok(())
}

/// The tag-24 item (`#6.24(bstr .cbor X)`) the SessionTranscript embeds, from either that item
/// as exchanged (kept byte for byte) or the bare structure `X` (a DeviceEngagement or a
/// COSE_Key map, wrapped here).
///
/// `field` names the input in errors.
pub fn tag24_item(field: &'static str, bytes: &[u8]) -> Result<Vec<u8>, HandoverError> {
    bytes_input(field, bytes)?;
    let item = decode(bytes).map_err(|_| HandoverError::Malformed {
        field,
        reason: "not one well-formed CBOR item",
    })?;
    match item.as_tag() {
        Some((24, inner)) if inner.as_bytes().is_some() => Ok(bytes.to_vec()),
        Some(_) => Err(HandoverError::Malformed {
            field,
            reason: "a tag other than 24 (encoded CBOR data item)",
        }),
        None if item.as_map().is_some() => Ok(wrap_tag24(bytes)),
        None => Err(HandoverError::Malformed {
            field,
            reason: "neither a tag-24 item nor the map it wraps",
        }),
    }
}

/// The RFC 7638 SHA-256 thumbprint of a JWK (the `jwkThumbprint` of the OpenID4VP handovers):
/// the digest of its required members only (EC: crv, kty, x, y; OKP: crv, kty, x; RSA: e, kty,
/// n), in that order, as compact JSON. Other members (`use`, `alg`, `kid`) are left out.
pub fn jwk_thumbprint(
    crypto: &dyn CryptoProvider,
    jwk: &serde_json::Value,
) -> Result<[u8; 32], HandoverError> {
    let malformed = |reason| HandoverError::Malformed {
        field: "jwk",
        reason,
    };
    let object = jwk.as_object().ok_or(malformed("not a JSON object"))?;
    let members: &[&str] = match object.get("kty").and_then(|v| v.as_str()) {
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("OKP") => &["crv", "kty", "x"],
        Some("RSA") => &["e", "kty", "n"],
        Some(_) => return Err(malformed("kty is not EC, OKP or RSA")),
        None => return Err(malformed("no kty")),
    };
    let mut canonical = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let value = object
            .get(*name)
            .and_then(|v| v.as_str())
            .ok_or(malformed("a required member is missing or not a string"))?;
        if i > 0 {
            canonical.push(',');
        }
        // serde_json's string form is RFC 8259 with the minimal escaping RFC 7638 asks for.
        canonical.push_str(&serde_json::Value::String((*name).to_string()).to_string());
        canonical.push(':');
        canonical.push_str(&serde_json::Value::String(value.to_string()).to_string());
    }
    canonical.push('}');
    let mut out = [0u8; 32];
    // SHA-256 always yields 32 bytes; `zip` keeps this total without indexing.
    for (o, d) in out.iter_mut().zip(sha256(crypto, canonical.as_bytes())) {
        *o = d;
    }
    Ok(out)
}

fn sha256(crypto: &dyn CryptoProvider, data: &[u8]) -> Vec<u8> {
    crypto.hash(HashAlg::Sha256, data)
}

fn thumbprint_or_null(e: &mut Encoder, thumbprint: Option<&[u8; 32]>) {
    match thumbprint {
        Some(t) => e.bytes(t),
        None => e.null(),
    };
}

/// 18013-5 QR engagement: `[DeviceEngagementBytes, EReaderKeyBytes, null]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrHandover {
    /// DeviceEngagementBytes (tag 24) as in the QR code, or the bare DeviceEngagement.
    pub device_engagement: Vec<u8>,
    /// EReaderKeyBytes (tag 24) as in SessionEstablishment, or the bare COSE_Key.
    pub e_reader_key: Vec<u8>,
}

impl QrHandover {
    /// The SessionTranscript.
    pub fn session_transcript(&self) -> Result<SessionTranscript, HandoverError> {
        let de = tag24_item("device_engagement", &self.device_engagement)?;
        let erk = tag24_item("e_reader_key", &self.e_reader_key)?;
        Ok(SessionTranscript::build(&de, &erk, &[0xf6]))
    }
}

/// 18013-5 NFC engagement: `[DeviceEngagementBytes, EReaderKeyBytes, [HS, HR / null]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NfcHandover {
    /// DeviceEngagementBytes (tag 24) as in the Handover Select's record, or the bare map.
    pub device_engagement: Vec<u8>,
    /// EReaderKeyBytes (tag 24), or the bare COSE_Key.
    pub e_reader_key: Vec<u8>,
    /// The Handover Select NDEF message, exactly as read.
    pub handover_select: Vec<u8>,
    /// The Handover Request NDEF message of a negotiated handover; `None` (null) for static.
    pub handover_request: Option<Vec<u8>>,
}

impl NfcHandover {
    /// The Handover element `[HS, HR / null]`.
    pub fn handover_bytes(&self) -> Result<Vec<u8>, HandoverError> {
        bytes_input("handover_select", &self.handover_select)?;
        let mut e = Encoder::new();
        e.array(2).bytes(&self.handover_select);
        match &self.handover_request {
            Some(hr) => {
                bytes_input("handover_request", hr)?;
                e.bytes(hr);
            }
            None => {
                e.null();
            }
        }
        Ok(e.into_bytes())
    }

    /// The SessionTranscript.
    pub fn session_transcript(&self) -> Result<SessionTranscript, HandoverError> {
        let de = tag24_item("device_engagement", &self.device_engagement)?;
        let erk = tag24_item("e_reader_key", &self.e_reader_key)?;
        Ok(SessionTranscript::build(&de, &erk, &self.handover_bytes()?))
    }
}

/// OpenID4VP 1.0 (B.2.6.1), redirect and cross-device flows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenId4VpHandover {
    /// The `client_id` request parameter, with its prefix (`x509_san_dns:example.com`).
    pub client_id: String,
    /// The request `nonce`.
    pub nonce: String,
    /// RFC 7638 SHA-256 thumbprint of the key the response is encrypted to; `None` (null)
    /// when the response is not encrypted.
    pub jwk_thumbprint: Option<[u8; 32]>,
    /// `response_uri` (direct_post / direct_post.jwt), otherwise `redirect_uri`.
    pub response_uri: String,
}

impl OpenId4VpHandover {
    /// The label of the handover array.
    pub const LABEL: &'static str = "OpenID4VPHandover";

    /// OpenID4VPHandoverInfo: `[clientId, nonce, jwkThumbprint / null, responseUri]`.
    pub fn info_bytes(&self) -> Result<Vec<u8>, HandoverError> {
        text_input("client_id", &self.client_id)?;
        text_input("nonce", &self.nonce)?;
        text_input("response_uri", &self.response_uri)?;
        let mut e = Encoder::new();
        e.array(4).text(&self.client_id).text(&self.nonce);
        thumbprint_or_null(&mut e, self.jwk_thumbprint.as_ref());
        e.text(&self.response_uri);
        Ok(e.into_bytes())
    }

    /// The Handover element `["OpenID4VPHandover", SHA-256(info)]`.
    pub fn handover_bytes(&self, crypto: &dyn CryptoProvider) -> Result<Vec<u8>, HandoverError> {
        Ok(labelled(Self::LABEL, &sha256(crypto, &self.info_bytes()?)))
    }

    /// The SessionTranscript `[null, null, Handover]`.
    pub fn session_transcript(
        &self,
        crypto: &dyn CryptoProvider,
    ) -> Result<SessionTranscript, HandoverError> {
        Ok(online(&self.handover_bytes(crypto)?))
    }
}

/// OpenID4VP 1.0 over the Digital Credentials API (B.2.6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenId4VpDcApiHandover {
    /// The web origin the browser or OS reported (`https://example.com`).
    pub origin: String,
    /// The request `nonce`.
    pub nonce: String,
    /// The thumbprint of the response encryption key (`dc_api.jwt`); `None` for `dc_api`.
    pub jwk_thumbprint: Option<[u8; 32]>,
}

impl OpenId4VpDcApiHandover {
    /// The label of the handover array (the same for draft 24).
    pub const LABEL: &'static str = "OpenID4VPDCAPIHandover";

    /// OpenID4VPDCAPIHandoverInfo: `[origin, nonce, jwkThumbprint / null]`.
    pub fn info_bytes(&self) -> Result<Vec<u8>, HandoverError> {
        text_input("origin", &self.origin)?;
        text_input("nonce", &self.nonce)?;
        let mut e = Encoder::new();
        e.array(3).text(&self.origin).text(&self.nonce);
        thumbprint_or_null(&mut e, self.jwk_thumbprint.as_ref());
        Ok(e.into_bytes())
    }

    /// The Handover element `["OpenID4VPDCAPIHandover", SHA-256(info)]`.
    pub fn handover_bytes(&self, crypto: &dyn CryptoProvider) -> Result<Vec<u8>, HandoverError> {
        Ok(labelled(Self::LABEL, &sha256(crypto, &self.info_bytes()?)))
    }

    /// The SessionTranscript `[null, null, Handover]`.
    pub fn session_transcript(
        &self,
        crypto: &dyn CryptoProvider,
    ) -> Result<SessionTranscript, HandoverError> {
        Ok(online(&self.handover_bytes(crypto)?))
    }
}

/// OpenID4VP draft 24 over the DC API: the 1.0 label over `[origin, client_id, nonce]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenId4VpDcApiDraft24Handover {
    /// The web origin.
    pub origin: String,
    /// The effective client_id (for unsigned requests `web-origin:<origin>`).
    pub client_id: String,
    /// The request `nonce`.
    pub nonce: String,
}

impl OpenId4VpDcApiDraft24Handover {
    /// The draft-24 info array `[origin, client_id, nonce]`.
    pub fn info_bytes(&self) -> Result<Vec<u8>, HandoverError> {
        text_input("origin", &self.origin)?;
        text_input("client_id", &self.client_id)?;
        text_input("nonce", &self.nonce)?;
        let mut e = Encoder::new();
        e.array(3)
            .text(&self.origin)
            .text(&self.client_id)
            .text(&self.nonce);
        Ok(e.into_bytes())
    }

    /// The Handover element `["OpenID4VPDCAPIHandover", SHA-256(info)]`.
    pub fn handover_bytes(&self, crypto: &dyn CryptoProvider) -> Result<Vec<u8>, HandoverError> {
        Ok(labelled(
            OpenId4VpDcApiHandover::LABEL,
            &sha256(crypto, &self.info_bytes()?),
        ))
    }

    /// The SessionTranscript `[null, null, Handover]`.
    pub fn session_transcript(
        &self,
        crypto: &dyn CryptoProvider,
    ) -> Result<SessionTranscript, HandoverError> {
        Ok(online(&self.handover_bytes(crypto)?))
    }
}

/// ISO/IEC 18013-7 Annex B (`OID4VPHandover`, OpenID4VP drafts 18-23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iso7AnnexBHandover {
    /// The `client_id` request parameter.
    pub client_id: String,
    /// The `response_uri`.
    pub response_uri: String,
    /// The verifier's request `nonce`.
    pub nonce: String,
    /// The wallet's mdocGeneratedNonce (text; the base64url-decoded JWE `apu`).
    pub mdoc_generated_nonce: String,
}

impl Iso7AnnexBHandover {
    /// The Handover element `[clientIdHash, responseUriHash, nonce]`.
    pub fn handover_bytes(&self, crypto: &dyn CryptoProvider) -> Result<Vec<u8>, HandoverError> {
        text_input("client_id", &self.client_id)?;
        text_input("response_uri", &self.response_uri)?;
        text_input("nonce", &self.nonce)?;
        text_input("mdoc_generated_nonce", &self.mdoc_generated_nonce)?;
        let pair = |first: &str| {
            let mut e = Encoder::new();
            e.array(2).text(first).text(&self.mdoc_generated_nonce);
            sha256(crypto, &e.into_bytes())
        };
        let mut e = Encoder::new();
        e.array(3)
            .bytes(&pair(&self.client_id))
            .bytes(&pair(&self.response_uri))
            .text(&self.nonce);
        Ok(e.into_bytes())
    }

    /// The SessionTranscript `[null, null, Handover]`.
    pub fn session_transcript(
        &self,
        crypto: &dyn CryptoProvider,
    ) -> Result<SessionTranscript, HandoverError> {
        Ok(online(&self.handover_bytes(crypto)?))
    }
}

/// ISO/IEC 18013-7 Annex C (`dcapi`, DC API protocol `org-iso-mdoc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iso7AnnexCHandover {
    /// The `encryptionInfo` of the request: the exact base64url text, not its decoding.
    pub encryption_info: String,
    /// The serialized web origin.
    pub origin: String,
}

impl Iso7AnnexCHandover {
    /// The label of the handover array.
    pub const LABEL: &'static str = "dcapi";

    /// dcapiInfo: `[Base64EncryptionInfo, SerializedOrigin]`.
    pub fn info_bytes(&self) -> Result<Vec<u8>, HandoverError> {
        text_input("encryption_info", &self.encryption_info)?;
        text_input("origin", &self.origin)?;
        if self.encryption_info.is_empty() {
            return Err(HandoverError::Empty {
                field: "encryption_info",
            });
        }
        let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if !self
            .encryption_info
            .trim_end_matches('=')
            .chars()
            .all(base64url)
        {
            return Err(HandoverError::Malformed {
                field: "encryption_info",
                reason: "not base64url text (the request's encryptionInfo string)",
            });
        }
        let mut e = Encoder::new();
        e.array(2).text(&self.encryption_info).text(&self.origin);
        Ok(e.into_bytes())
    }

    /// The Handover element `["dcapi", SHA-256(dcapiInfo)]`.
    pub fn handover_bytes(&self, crypto: &dyn CryptoProvider) -> Result<Vec<u8>, HandoverError> {
        Ok(labelled(Self::LABEL, &sha256(crypto, &self.info_bytes()?)))
    }

    /// The SessionTranscript `[null, null, Handover]`.
    pub fn session_transcript(
        &self,
        crypto: &dyn CryptoProvider,
    ) -> Result<SessionTranscript, HandoverError> {
        Ok(online(&self.handover_bytes(crypto)?))
    }
}

/// One handover with its inputs, of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handover {
    /// 18013-5 QR.
    Qr(QrHandover),
    /// 18013-5 NFC.
    Nfc(NfcHandover),
    /// OpenID4VP 1.0.
    OpenId4Vp(OpenId4VpHandover),
    /// OpenID4VP 1.0 over the DC API.
    OpenId4VpDcApi(OpenId4VpDcApiHandover),
    /// OpenID4VP draft 24 over the DC API.
    OpenId4VpDcApiDraft24(OpenId4VpDcApiDraft24Handover),
    /// ISO/IEC 18013-7 Annex B.
    Iso7AnnexB(Iso7AnnexBHandover),
    /// ISO/IEC 18013-7 Annex C.
    Iso7AnnexC(Iso7AnnexCHandover),
}

impl Handover {
    /// Its kind.
    pub fn kind(&self) -> HandoverKind {
        match self {
            Handover::Qr(_) => HandoverKind::Qr,
            Handover::Nfc(_) => HandoverKind::Nfc,
            Handover::OpenId4Vp(_) => HandoverKind::OpenId4Vp,
            Handover::OpenId4VpDcApi(_) => HandoverKind::OpenId4VpDcApi,
            Handover::OpenId4VpDcApiDraft24(_) => HandoverKind::OpenId4VpDcApiDraft24,
            Handover::Iso7AnnexB(_) => HandoverKind::Iso7AnnexB,
            Handover::Iso7AnnexC(_) => HandoverKind::Iso7AnnexC,
        }
    }

    /// The SessionTranscript this handover gives.
    pub fn session_transcript(
        &self,
        crypto: &dyn CryptoProvider,
    ) -> Result<SessionTranscript, HandoverError> {
        match self {
            Handover::Qr(h) => h.session_transcript(),
            Handover::Nfc(h) => h.session_transcript(),
            Handover::OpenId4Vp(h) => h.session_transcript(crypto),
            Handover::OpenId4VpDcApi(h) => h.session_transcript(crypto),
            Handover::OpenId4VpDcApiDraft24(h) => h.session_transcript(crypto),
            Handover::Iso7AnnexB(h) => h.session_transcript(crypto),
            Handover::Iso7AnnexC(h) => h.session_transcript(crypto),
        }
    }
}

/// `[label, bstr digest]`.
fn labelled(label: &str, digest: &[u8]) -> Vec<u8> {
    let mut e = Encoder::new();
    e.array(2).text(label).bytes(digest);
    e.into_bytes()
}

/// `[null, null, handover]`: online flows have no engagement and no reader key.
fn online(handover: &[u8]) -> SessionTranscript {
    SessionTranscript::build(&[0xf6], &[0xf6], handover)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::default_provider;

    const NONCE: &str = "exc7gBkxjx1rdc9udRrveKvSsJIq80avlXeLHhGwqtA";

    fn thumbprint() -> [u8; 32] {
        let v = hex::decode("4283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6bd669047")
            .unwrap();
        v.try_into().unwrap()
    }

    #[test]
    fn openid4vp_matches_the_published_b261_example() {
        let h = OpenId4VpHandover {
            client_id: "x509_san_dns:example.com".into(),
            nonce: NONCE.into(),
            jwk_thumbprint: Some(thumbprint()),
            response_uri: "https://example.com/response".into(),
        };
        assert_eq!(
            hex::encode(h.info_bytes().unwrap()),
            "847818783530395f73616e5f646e733a6578616d706c652e636f6d782b6578633767426b786a783172\
             6463397564527276654b7653734a4971383061766c58654c4868477771744158204283ec927ae0f208\
             daaa2d026a814f2b22dca52cf85ffa8f3f8626c6bd669047781c68747470733a2f2f6578616d706c652e\
             636f6d2f726573706f6e7365"
        );
        let t = h.session_transcript(default_provider()).unwrap();
        assert_eq!(
            hex::encode(t.bare_bytes()),
            "83f6f682714f70656e494434565048616e646f7665725820048bc053c00442af9b8eed494cefdd9d95\
             240d254b046b11b68013722aad38ac"
        );
        // The tagged form wraps exactly those bytes.
        assert_eq!(t.tagged_bytes(), wrap_tag24(t.bare_bytes()));
    }

    #[test]
    fn openid4vp_dc_api_matches_the_published_b262_example() {
        let h = OpenId4VpDcApiHandover {
            origin: "https://example.com".into(),
            nonce: NONCE.into(),
            jwk_thumbprint: Some(thumbprint()),
        };
        let t = h.session_transcript(default_provider()).unwrap();
        assert_eq!(
            hex::encode(t.bare_bytes()),
            "83f6f682764f70656e4944345650444341504948616e646f7665725820fbece366f4212f9762c74cfd\
             bf83b8c69e371d5d68cea09cb4c48ca6daab761a"
        );
        // A trailing slash is another origin, hence another transcript.
        let slash = OpenId4VpDcApiHandover {
            origin: "https://example.com/".into(),
            ..h
        };
        assert_ne!(slash.session_transcript(default_provider()).unwrap(), t);
    }

    #[test]
    fn jwk_thumbprint_matches_the_published_value_and_drops_other_members() {
        let jwk = serde_json::json!({"kty":"EC","crv":"P-256",
            "x":"DxiH5Q4Yx3UrukE2lWCErq8N8bqC9CHLLrAwLz5BmE0",
            "y":"XtLM4-3h5o3HUH0MHVJV0kyq0iBlrBwlh8qEDMZ4-Pc","use":"enc","alg":"ECDH-ES","kid":"1"});
        assert_eq!(
            jwk_thumbprint(default_provider(), &jwk).unwrap(),
            thumbprint()
        );
        // RFC 7638 3.1: the RSA example, whose thumbprint the RFC gives as
        // NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs (base64url).
        let rsa = serde_json::json!({"kty":"RSA","e":"AQAB","alg":"RS256","kid":"2011-04-29",
            "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        assert_eq!(
            hex::encode(jwk_thumbprint(default_provider(), &rsa).unwrap()),
            "3736cbb1787cb8309c77ee8c3705c5e16ffb9e859715901f1e4c59b11182f57b"
        );
        for bad in [
            serde_json::json!("x"),
            serde_json::json!({"kty": "oct", "k": "AA"}),
            serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AA"}),
        ] {
            assert!(matches!(
                jwk_thumbprint(default_provider(), &bad),
                Err(HandoverError::Malformed { field: "jwk", .. })
            ));
        }
    }

    #[test]
    fn null_thumbprint_is_cbor_null() {
        let h = OpenId4VpHandover {
            client_id: "a".into(),
            nonce: "n".into(),
            jwk_thumbprint: None,
            response_uri: "r".into(),
        };
        assert_eq!(
            h.info_bytes().unwrap(),
            [0x84, 0x61, b'a', 0x61, b'n', 0xf6, 0x61, b'r']
        );
    }

    #[test]
    fn annex_b_hashes_the_two_pairs() {
        let h = Iso7AnnexBHandover {
            client_id: "c".into(),
            response_uri: "r".into(),
            nonce: "n".into(),
            mdoc_generated_nonce: "m".into(),
        };
        let crypto = default_provider();
        let hb = h.handover_bytes(crypto).unwrap();
        let c = crypto.hash(HashAlg::Sha256, &[0x82, 0x61, b'c', 0x61, b'm']);
        let r = crypto.hash(HashAlg::Sha256, &[0x82, 0x61, b'r', 0x61, b'm']);
        let mut expected = vec![0x83, 0x58, 0x20];
        expected.extend(&c);
        expected.extend([0x58, 0x20]);
        expected.extend(&r);
        expected.extend([0x61, b'n']);
        assert_eq!(hb, expected);
        let t = h.session_transcript(crypto).unwrap();
        assert_eq!(t.bare_bytes().get(..3), Some(&[0x83, 0xf6, 0xf6][..]));
    }

    #[test]
    fn annex_c_refuses_text_that_is_not_base64url() {
        let h = Iso7AnnexCHandover {
            encryption_info: "not base64!".into(),
            origin: "https://example.com".into(),
        };
        assert!(matches!(
            h.info_bytes(),
            Err(HandoverError::Malformed {
                field: "encryption_info",
                ..
            })
        ));
        let empty = Iso7AnnexCHandover {
            encryption_info: String::new(),
            ..h
        };
        assert_eq!(
            empty.info_bytes(),
            Err(HandoverError::Empty {
                field: "encryption_info"
            })
        );
    }

    #[test]
    fn proximity_handovers_wrap_bare_items_and_keep_tagged_ones() {
        // A one-entry map stands in for the DeviceEngagement and the COSE_Key.
        let map = [0xa1, 0x01, 0x02];
        let tagged = wrap_tag24(&map);
        let qr = QrHandover {
            device_engagement: map.to_vec(),
            e_reader_key: tagged.clone(),
        };
        let t = qr.session_transcript().unwrap();
        let mut expected = vec![0x83];
        expected.extend(&tagged);
        expected.extend(&tagged);
        expected.push(0xf6);
        assert_eq!(t.bare_bytes(), expected);
        let nfc = NfcHandover {
            device_engagement: map.to_vec(),
            e_reader_key: map.to_vec(),
            handover_select: vec![0xd1, 0x02],
            handover_request: None,
        };
        assert_eq!(
            nfc.handover_bytes().unwrap(),
            [0x82, 0x42, 0xd1, 0x02, 0xf6]
        );
        // Not CBOR, a wrong tag, or a non-map: typed errors naming the input.
        for bad in [&[0xff][..], &[0xc1, 0x00][..], &[0x01][..], &[][..]] {
            let err = QrHandover {
                device_engagement: bad.to_vec(),
                e_reader_key: map.to_vec(),
            }
            .session_transcript()
            .unwrap_err();
            assert!(err.to_string().starts_with("device_engagement"), "{err}");
        }
    }

    #[test]
    fn oversize_inputs_are_refused() {
        let h = OpenId4VpDcApiHandover {
            origin: "o".repeat(MAX_HANDOVER_TEXT + 1),
            nonce: "n".into(),
            jwk_thumbprint: None,
        };
        assert!(matches!(
            h.info_bytes(),
            Err(HandoverError::TooLong {
                field: "origin",
                ..
            })
        ));
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for k in HandoverKind::ALL {
            assert_eq!(k.name().parse::<HandoverKind>().unwrap(), k);
        }
        assert!(matches!(
            "oid4vp-v2".parse::<HandoverKind>(),
            Err(HandoverError::UnknownKind { .. })
        ));
    }
}
