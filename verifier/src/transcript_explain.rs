//! "Which SessionTranscript did this wallet sign?": the search behind `kakunin transcript
//! explain`.
//!
//! From what a verifier knows about a presentation (the request's client_id, nonce, origin,
//! response_uri, the engagement bytes ...), [`candidates`] builds every handover shape those
//! inputs allow (kakunin_core::mdoc::Handover: 18013-5 QR and NFC, OpenID4VP 1.0, its DC API
//! form, the draft-24 DC API form, 18013-7 Annex B and C) in every plausible variant that real
//! wallets and verifiers have been seen to disagree on: an origin with or without a trailing
//! slash, a client_id with or without its prefix, an empty or absent mdoc-generated nonce, the
//! thumbprint present or `null`, the SessionTranscript embedded in DeviceAuthentication
//! bare (as ISO 18013-5 9.1.3.4 says) or tag-24 wrapped, and DeviceAuthentication signed with
//! or without its own tag-24 wrapper. [`explain_transcript`] then checks
//! each document's deviceSignature (9.1.3.6) against each candidate with the device key of
//! the document's MSO and reports the candidates it verifies over.
//!
//! The MSO is decoded, not verified, here: the device key is only as trustworthy as the
//! issuer data, which the caller verifies separately when it has trust anchors.

use kakunin_core::cbor::{wrap_tag24, Encoder};
use kakunin_core::cose::CoseError;
use kakunin_core::crypto::CryptoProvider;
use kakunin_core::mdoc::{
    DeviceAuth, DeviceResponse, Handover, HandoverError, Iso7AnnexBHandover, Iso7AnnexCHandover,
    MdocError, MobileSecurityObject, NfcHandover, OpenId4VpDcApiDraft24Handover,
    OpenId4VpDcApiHandover, OpenId4VpHandover, QrHandover, SessionTranscript,
};

/// Most candidate transcripts one search builds (the variants multiply; this bounds the work).
pub const MAX_CANDIDATES: usize = 1024;

/// The client identifier prefixes of OpenID4VP 1.0 ("Defined Client Identifier Prefixes"),
/// plus the draft-era `web-origin:` and the reserved `origin:`.
pub const CLIENT_ID_PREFIXES: [&str; 8] = [
    "redirect_uri",
    "x509_san_dns",
    "x509_hash",
    "decentralized_identifier",
    "verifier_attestation",
    "openid_federation",
    "web-origin",
    "origin",
];

/// What the verifier knows about the presentation; every field is optional, and a handover
/// shape is tried only when the inputs it needs are present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExplainInputs {
    /// The request's `client_id` (with or without its prefix).
    pub client_id: Option<String>,
    /// The request's `nonce`.
    pub nonce: Option<String>,
    /// The RFC 7638 thumbprint of the response encryption key, if the response was encrypted.
    pub jwk_thumbprint: Option<[u8; 32]>,
    /// The `response_uri` (or `redirect_uri`).
    pub response_uri: Option<String>,
    /// The web origin (DC API flows).
    pub origin: Option<String>,
    /// The wallet's mdocGeneratedNonce (18013-7 Annex B), as text.
    pub mdoc_generated_nonce: Option<String>,
    /// The request's base64url `encryptionInfo` (18013-7 Annex C).
    pub encryption_info: Option<String>,
    /// DeviceEngagementBytes (or the bare DeviceEngagement), for QR and NFC.
    pub device_engagement: Option<Vec<u8>>,
    /// EReaderKeyBytes (or the bare COSE_Key), for QR and NFC.
    pub e_reader_key: Option<Vec<u8>>,
    /// The Handover Select message, for NFC.
    pub handover_select: Option<Vec<u8>>,
    /// The Handover Request message of a negotiated NFC handover.
    pub handover_request: Option<Vec<u8>>,
}

/// How the SessionTranscript sits inside DeviceAuthentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Embedding {
    /// The bare array, as 18013-5 9.1.3.4 specifies.
    Bare,
    /// Wrapped as SessionTranscriptBytes (`#6.24`), a known wallet mistake.
    Tagged,
    /// The bare transcript, but the signed payload is the DeviceAuthentication array itself,
    /// not DeviceAuthenticationBytes (`#6.24`): the other half of the same confusion.
    UnwrappedPayload,
}

impl Embedding {
    /// A short description for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Embedding::Bare => "bare (as 18013-5 9.1.3.4 specifies)",
            Embedding::Tagged => "tag-24 wrapped (SessionTranscriptBytes, not the spec's form)",
            Embedding::UnwrappedPayload => {
                "bare, but DeviceAuthentication signed without its tag-24 wrapper (not the spec's form)"
            }
        }
    }
}

/// One transcript the wallet might have signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The handover and the exact inputs it was built from.
    pub handover: Handover,
    /// How each input departs from what was given (empty: every input as given).
    pub variants: Vec<String>,
    /// How the transcript is embedded in DeviceAuthentication.
    pub embedding: Embedding,
    /// The SessionTranscript.
    pub transcript: SessionTranscript,
}

/// The outcome for one document of the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentExplanation {
    /// Its index in `documents`.
    pub index: usize,
    /// Its docType.
    pub doc_type: String,
    /// The candidates its deviceSignature verifies over (normally one; empty: none).
    pub matches: Vec<Candidate>,
}

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// How many distinct candidates were tried.
    pub tried: usize,
    /// One entry per document.
    pub documents: Vec<DocumentExplanation>,
}

impl Explanation {
    /// Whether every document's deviceSignature verified over some candidate.
    pub fn all_explained(&self) -> bool {
        !self.documents.is_empty() && self.documents.iter().all(|d| !d.matches.is_empty())
    }
}

/// Why no search could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    /// The DeviceResponse does not decode.
    #[error("DeviceResponse: {0}")]
    Response(MdocError),
    /// The DeviceResponse carries no document.
    #[error("the DeviceResponse carries no document to explain")]
    NoDocuments,
    /// A document's MSO does not decode, so there is no device key.
    #[error("documents[{doc}]: the MSO (issuerAuth payload) does not decode: {source}")]
    Mso {
        /// The document.
        doc: usize,
        /// Why.
        source: MdocError,
    },
    /// A document is authenticated with DeviceMac, which needs the reader's private key.
    #[error(
        "documents[{doc}]: deviceMac, not deviceSignature: a MAC cannot be explained \
         without the reader's ephemeral private key"
    )]
    DeviceMac {
        /// The document.
        doc: usize,
    },
    /// A document's deviceSignature cannot be checked with its device key at all (an unknown
    /// algorithm, one that does not fit the key's curve), whatever the transcript.
    #[error("documents[{doc}]: the deviceSignature cannot be checked: {source}")]
    DeviceSignature {
        /// The document.
        doc: usize,
        /// Why.
        source: CoseError,
    },
    /// The inputs allow no handover shape at all.
    #[error(
        "the inputs allow no handover: give a nonce with client_id and response_uri \
         (OpenID4VP), a nonce with an origin (DC API), encryption_info with an origin \
         (Annex C), or device_engagement with e_reader_key (QR, NFC)"
    )]
    NoCandidates,
    /// An input cannot be used in any handover.
    #[error(transparent)]
    Input(#[from] HandoverError),
}

impl ExplainError {
    /// The cause group.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            ExplainError::DeviceMac { .. } | ExplainError::NoCandidates => {
                kakunin_core::Cause::Misuse
            }
            _ => kakunin_core::Cause::Malformed,
        }
    }
}

/// A value with the notes saying how it departs from the input.
type Variant<T> = (T, Option<String>);

fn with_note<T>(value: T, note: impl Into<String>) -> Variant<T> {
    (value, Some(note.into()))
}

fn origins(origin: &str, what: &'static str) -> Vec<Variant<String>> {
    let mut out = vec![(origin.to_string(), None)];
    let trimmed = origin.trim_end_matches('/');
    if trimmed != origin {
        out.push(with_note(
            trimmed.to_string(),
            format!("{what} without its trailing slash"),
        ));
    } else {
        out.push(with_note(
            format!("{origin}/"),
            format!("{what} with a trailing slash"),
        ));
    }
    out
}

fn client_ids(client_id: &str) -> Vec<Variant<String>> {
    let mut out = vec![(client_id.to_string(), None)];
    let known = client_id
        .split_once(':')
        .filter(|(prefix, _)| CLIENT_ID_PREFIXES.contains(prefix));
    match known {
        Some((prefix, rest)) => out.push(with_note(
            rest.to_string(),
            format!("client_id without its prefix `{prefix}:`"),
        )),
        None => {
            for prefix in ["x509_san_dns", "redirect_uri"] {
                out.push(with_note(
                    format!("{prefix}:{client_id}"),
                    format!("client_id with the prefix `{prefix}:`"),
                ));
            }
        }
    }
    out
}

fn thumbprints(thumbprint: Option<[u8; 32]>) -> Vec<Variant<Option<[u8; 32]>>> {
    match thumbprint {
        Some(t) => vec![
            (Some(t), None),
            with_note(None, "jwk_thumbprint null (an unencrypted response)"),
        ],
        None => vec![(None, None)],
    }
}

fn mdoc_nonces(nonce: Option<&str>) -> Vec<Variant<String>> {
    match nonce {
        Some("") => vec![(String::new(), None)],
        Some(n) => vec![
            (n.to_string(), None),
            with_note(String::new(), "mdoc_generated_nonce empty"),
        ],
        None => vec![with_note(
            String::new(),
            "mdoc_generated_nonce absent, taken as empty",
        )],
    }
}

fn notes(parts: &[&Option<String>]) -> Vec<String> {
    parts.iter().filter_map(|n| (*n).clone()).collect()
}

/// Every handover the inputs allow, in every variant (before the embedding is chosen).
fn handovers(inputs: &ExplainInputs) -> Vec<(Handover, Vec<String>)> {
    let mut out = Vec::new();
    if let (Some(de), Some(erk)) = (&inputs.device_engagement, &inputs.e_reader_key) {
        out.push((
            Handover::Qr(QrHandover {
                device_engagement: de.clone(),
                e_reader_key: erk.clone(),
            }),
            Vec::new(),
        ));
        if let Some(hs) = &inputs.handover_select {
            let mut requests = vec![(inputs.handover_request.clone(), None)];
            if inputs.handover_request.is_some() {
                requests.push(with_note(None, "handover_request null (a static handover)"));
            }
            for (hr, note) in requests {
                out.push((
                    Handover::Nfc(NfcHandover {
                        device_engagement: de.clone(),
                        e_reader_key: erk.clone(),
                        handover_select: hs.clone(),
                        handover_request: hr,
                    }),
                    notes(&[&note]),
                ));
            }
        }
    }
    let nonce = inputs.nonce.as_deref();
    if let (Some(client_id), Some(nonce), Some(uri)) =
        (&inputs.client_id, nonce, &inputs.response_uri)
    {
        for (c, cn) in client_ids(client_id) {
            for (t, tn) in thumbprints(inputs.jwk_thumbprint) {
                for (r, rn) in origins(uri, "response_uri") {
                    out.push((
                        Handover::OpenId4Vp(OpenId4VpHandover {
                            client_id: c.clone(),
                            nonce: nonce.to_string(),
                            jwk_thumbprint: t,
                            response_uri: r,
                        }),
                        notes(&[&cn, &tn, &rn]),
                    ));
                }
            }
            for (m, mn) in mdoc_nonces(inputs.mdoc_generated_nonce.as_deref()) {
                for (r, rn) in origins(uri, "response_uri") {
                    out.push((
                        Handover::Iso7AnnexB(Iso7AnnexBHandover {
                            client_id: c.clone(),
                            response_uri: r,
                            nonce: nonce.to_string(),
                            mdoc_generated_nonce: m.clone(),
                        }),
                        notes(&[&cn, &mn, &rn]),
                    ));
                }
            }
        }
    }
    if let (Some(origin), Some(nonce)) = (&inputs.origin, nonce) {
        for (o, on) in origins(origin, "origin") {
            for (t, tn) in thumbprints(inputs.jwk_thumbprint) {
                out.push((
                    Handover::OpenId4VpDcApi(OpenId4VpDcApiHandover {
                        origin: o.clone(),
                        nonce: nonce.to_string(),
                        jwk_thumbprint: t,
                    }),
                    notes(&[&on, &tn]),
                ));
            }
            // Draft 24: the client_id given, or the effective one of unsigned requests.
            let mut ids: Vec<Variant<String>> = inputs
                .client_id
                .as_deref()
                .map(client_ids)
                .unwrap_or_default();
            ids.push(with_note(
                format!("web-origin:{o}"),
                "client_id `web-origin:<origin>` (draft 24, unsigned request)",
            ));
            for (c, cn) in ids {
                out.push((
                    Handover::OpenId4VpDcApiDraft24(OpenId4VpDcApiDraft24Handover {
                        origin: o.clone(),
                        client_id: c,
                        nonce: nonce.to_string(),
                    }),
                    notes(&[&on, &cn]),
                ));
            }
        }
    }
    if let (Some(info), Some(origin)) = (&inputs.encryption_info, &inputs.origin) {
        for (o, on) in origins(origin, "origin") {
            out.push((
                Handover::Iso7AnnexC(Iso7AnnexCHandover {
                    encryption_info: info.clone(),
                    origin: o,
                }),
                notes(&[&on]),
            ));
        }
    }
    out
}

/// Every distinct candidate transcript the inputs allow, the spec's form of each first, at
/// most [`MAX_CANDIDATES`]. An input no handover can use (a malformed engagement, an oversize
/// text) is an error; a duplicate (the same bytes reached through two variants) is dropped.
pub fn candidates(
    crypto: &dyn CryptoProvider,
    inputs: &ExplainInputs,
) -> Result<Vec<Candidate>, ExplainError> {
    let mut out: Vec<Candidate> = Vec::new();
    for embedding in [
        Embedding::Bare,
        Embedding::Tagged,
        Embedding::UnwrappedPayload,
    ] {
        for (handover, variants) in handovers(inputs) {
            let transcript = handover.session_transcript(crypto)?;
            if out
                .iter()
                .any(|c| c.embedding == embedding && c.transcript == transcript)
            {
                continue;
            }
            if out.len() >= MAX_CANDIDATES {
                return Ok(out);
            }
            let mut variants = variants;
            match embedding {
                Embedding::Tagged => {
                    variants.push("SessionTranscript tag-24 wrapped in DeviceAuthentication".into())
                }
                Embedding::UnwrappedPayload => {
                    variants.push("DeviceAuthentication signed without its tag-24 wrapper".into())
                }
                Embedding::Bare => {}
            }
            out.push(Candidate {
                handover,
                variants,
                embedding,
                transcript,
            });
        }
    }
    if out.is_empty() {
        return Err(ExplainError::NoCandidates);
    }
    Ok(out)
}

/// DeviceAuthenticationBytes with the transcript embedded as `embedding` says.
fn device_authentication(
    candidate: &Candidate,
    doc_type: &str,
    device_name_spaces_bytes: &[u8],
) -> Vec<u8> {
    let transcript = match candidate.embedding {
        Embedding::Bare | Embedding::UnwrappedPayload => candidate.transcript.bare_bytes(),
        Embedding::Tagged => candidate.transcript.tagged_bytes(),
    };
    let mut e = Encoder::with_capacity(transcript.len() + device_name_spaces_bytes.len() + 64);
    e.array(4)
        .text("DeviceAuthentication")
        .raw(transcript)
        .text(doc_type)
        .raw(device_name_spaces_bytes);
    match candidate.embedding {
        Embedding::UnwrappedPayload => e.into_bytes(),
        _ => wrap_tag24(&e.into_bytes()),
    }
}

/// Check every document's deviceSignature against every candidate of `inputs`.
pub fn explain_transcript(
    crypto: &dyn CryptoProvider,
    response: &[u8],
    inputs: &ExplainInputs,
) -> Result<Explanation, ExplainError> {
    let parsed = DeviceResponse::from_bytes(response).map_err(ExplainError::Response)?;
    if parsed.documents.is_empty() {
        return Err(ExplainError::NoDocuments);
    }
    let candidates = candidates(crypto, inputs)?;
    let mut documents = Vec::with_capacity(parsed.documents.len());
    for (index, doc) in parsed.documents.iter().enumerate() {
        let DeviceAuth::Signature(sig) = &doc.device_signed.device_auth else {
            return Err(ExplainError::DeviceMac { doc: index });
        };
        let mso = doc
            .issuer_signed
            .issuer_auth
            .payload()
            .ok_or_else(|| MdocError::Missing {
                path: format!("DeviceResponse.documents[{index}].issuerSigned.issuerAuth.payload"),
            })
            .and_then(MobileSecurityObject::from_tagged_bytes)
            .map_err(|source| ExplainError::Mso { doc: index, source })?;
        let mut matches = Vec::new();
        for c in &candidates {
            let payload =
                device_authentication(c, &doc.doc_type, &doc.device_signed.name_spaces_bytes);
            match sig.verify(crypto, &mso.device_key, Some(&payload)) {
                Ok(()) => matches.push(c.clone()),
                Err(CoseError::BadSignature) => {}
                // Anything else (an algorithm that does not fit the key, an unknown one) fails
                // the same way whatever the transcript: no search can help.
                Err(source) => return Err(ExplainError::DeviceSignature { doc: index, source }),
            }
        }
        documents.push(DocumentExplanation {
            index,
            doc_type: doc.doc_type.clone(),
            matches,
        });
    }
    Ok(Explanation {
        tried: candidates.len(),
        documents,
    })
}

/// The inputs of a handover as (snake-case name, value) pairs for a report; bytes in hex,
/// texts as they are (the caller escapes them when printing).
pub fn handover_inputs(handover: &Handover) -> Vec<(&'static str, String)> {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let thumb = |t: &Option<[u8; 32]>| t.as_ref().map_or("null".to_string(), |t| hex(t));
    match handover {
        Handover::Qr(h) => vec![
            ("device_engagement", hex(&h.device_engagement)),
            ("e_reader_key", hex(&h.e_reader_key)),
        ],
        Handover::Nfc(h) => vec![
            ("device_engagement", hex(&h.device_engagement)),
            ("e_reader_key", hex(&h.e_reader_key)),
            ("handover_select", hex(&h.handover_select)),
            (
                "handover_request",
                h.handover_request
                    .as_deref()
                    .map_or("null".to_string(), hex),
            ),
        ],
        Handover::OpenId4Vp(h) => vec![
            ("client_id", h.client_id.clone()),
            ("nonce", h.nonce.clone()),
            ("jwk_thumbprint", thumb(&h.jwk_thumbprint)),
            ("response_uri", h.response_uri.clone()),
        ],
        Handover::OpenId4VpDcApi(h) => vec![
            ("origin", h.origin.clone()),
            ("nonce", h.nonce.clone()),
            ("jwk_thumbprint", thumb(&h.jwk_thumbprint)),
        ],
        Handover::OpenId4VpDcApiDraft24(h) => vec![
            ("origin", h.origin.clone()),
            ("client_id", h.client_id.clone()),
            ("nonce", h.nonce.clone()),
        ],
        Handover::Iso7AnnexB(h) => vec![
            ("client_id", h.client_id.clone()),
            ("response_uri", h.response_uri.clone()),
            ("nonce", h.nonce.clone()),
            ("mdoc_generated_nonce", h.mdoc_generated_nonce.clone()),
        ],
        Handover::Iso7AnnexC(h) => vec![
            ("encryption_info", h.encryption_info.clone()),
            ("origin", h.origin.clone()),
        ],
        // A kind added to core later: no inputs to list yet.
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::cbor::wrap_tag24;
    use kakunin_core::cose::Sign1;
    use kakunin_core::crypto::{default_provider, Curve, HashAlg};
    use kakunin_core::mdoc::{
        encode_device_response, encode_issuer_signed, encode_mso_bytes, DocumentParts, MsoParts,
        ValidityInfo,
    };

    const DOC_TYPE: &str = "org.iso.18013.5.1.mDL";

    /// A one-document DeviceResponse whose deviceSignature is over `transcript` embedded as
    /// `embedding`; the issuer data is minimal (explain does not verify it).
    fn response_signed_over(transcript: &SessionTranscript, embedding: Embedding) -> Vec<u8> {
        response_with_mso_key(transcript, embedding, None)
    }

    /// As [`response_signed_over`], with another key in the MSO than the one that signs.
    fn response_with_mso_key(
        transcript: &SessionTranscript,
        embedding: Embedding,
        mso_key: Option<kakunin_core::crypto::EcPublicKey>,
    ) -> Vec<u8> {
        let c = default_provider();
        let device = c.generate_key(Curve::P256).unwrap();
        let issuer = c.generate_key(Curve::P256).unwrap();
        let t = time::OffsetDateTime::UNIX_EPOCH;
        let mso = encode_mso_bytes(&MsoParts {
            digest_algorithm: HashAlg::Sha256,
            value_digests: &[],
            device_key: &mso_key.unwrap_or_else(|| c.public_key(&device).unwrap()),
            key_authorizations: None,
            doc_type: DOC_TYPE,
            validity: ValidityInfo {
                signed: t,
                valid_from: t,
                valid_until: t,
                expected_update: None,
            },
            status: None,
        });
        let issuer_auth = Sign1::sign(c, &issuer, &mso, false, &[]).unwrap();
        let name_spaces = wrap_tag24(&[0xa0]);
        let candidate = Candidate {
            handover: Handover::Qr(QrHandover {
                device_engagement: Vec::new(),
                e_reader_key: Vec::new(),
            }),
            variants: Vec::new(),
            embedding,
            transcript: transcript.clone(),
        };
        let payload = device_authentication(&candidate, DOC_TYPE, &name_spaces);
        let sig = Sign1::sign(c, &device, &payload, true, &[]).unwrap();
        encode_device_response(
            &[DocumentParts {
                doc_type: DOC_TYPE,
                issuer_signed: encode_issuer_signed(&[], issuer_auth.raw()),
                device_name_spaces_bytes: &name_spaces,
                device_auth: ("deviceSignature", sig.raw()),
                errors: Vec::new(),
            }],
            &[],
            0,
        )
    }

    fn dc_api_inputs() -> ExplainInputs {
        ExplainInputs {
            origin: Some("https://verifier.example".into()),
            nonce: Some("n-1".into()),
            client_id: Some("x509_san_dns:verifier.example".into()),
            response_uri: Some("https://verifier.example/post".into()),
            ..ExplainInputs::default()
        }
    }

    #[test]
    fn finds_a_trailing_slash_origin_wrapped_in_tag_24() {
        let c = default_provider();
        let signed = OpenId4VpDcApiHandover {
            origin: "https://verifier.example/".into(),
            nonce: "n-1".into(),
            jwk_thumbprint: None,
        }
        .session_transcript(c)
        .unwrap();
        let response = response_signed_over(&signed, Embedding::Tagged);
        let e = explain_transcript(c, &response, &dc_api_inputs()).unwrap();
        assert!(e.all_explained());
        let [doc] = e.documents.as_slice() else {
            panic!("one document")
        };
        let [m] = doc.matches.as_slice() else {
            panic!("exactly one match: {:?}", doc.matches)
        };
        assert_eq!(m.transcript, signed);
        assert_eq!(m.embedding, Embedding::Tagged);
        assert_eq!(
            m.variants,
            [
                "origin with a trailing slash",
                "SessionTranscript tag-24 wrapped in DeviceAuthentication"
            ]
        );
        assert!(e.tried > 20, "{}", e.tried);
    }

    #[test]
    fn finds_an_unprefixed_client_id_and_reports_none_for_another_transcript() {
        let c = default_provider();
        let signed = OpenId4VpHandover {
            client_id: "verifier.example".into(),
            nonce: "n-1".into(),
            jwk_thumbprint: None,
            response_uri: "https://verifier.example/post".into(),
        }
        .session_transcript(c)
        .unwrap();
        let response = response_signed_over(&signed, Embedding::Bare);
        let e = explain_transcript(c, &response, &dc_api_inputs()).unwrap();
        let m = &e.documents[0].matches;
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(
            m[0].variants,
            ["client_id without its prefix `x509_san_dns:`"]
        );
        assert!(matches!(m[0].handover, Handover::OpenId4Vp(_)));

        // Signed over a nonce the inputs do not know: nothing verifies.
        let other = OpenId4VpHandover {
            nonce: "n-2".into(),
            client_id: "x509_san_dns:verifier.example".into(),
            jwk_thumbprint: None,
            response_uri: "https://verifier.example/post".into(),
        }
        .session_transcript(c)
        .unwrap();
        let response = response_signed_over(&other, Embedding::Bare);
        let e = explain_transcript(c, &response, &dc_api_inputs()).unwrap();
        assert!(!e.all_explained());
        assert!(e.documents[0].matches.is_empty());
    }

    #[test]
    fn finds_a_payload_signed_without_its_tag_24_wrapper() {
        let c = default_provider();
        let signed = OpenId4VpDcApiHandover {
            origin: "https://verifier.example".into(),
            nonce: "n-1".into(),
            jwk_thumbprint: None,
        }
        .session_transcript(c)
        .unwrap();
        let response = response_signed_over(&signed, Embedding::UnwrappedPayload);
        let e = explain_transcript(c, &response, &dc_api_inputs()).unwrap();
        let m = &e.documents[0].matches;
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].embedding, Embedding::UnwrappedPayload);
        assert_eq!(
            m[0].variants,
            ["DeviceAuthentication signed without its tag-24 wrapper"]
        );
    }

    #[test]
    fn annex_b_with_an_empty_wallet_nonce_is_found() {
        let c = default_provider();
        let signed = Iso7AnnexBHandover {
            client_id: "x509_san_dns:verifier.example".into(),
            response_uri: "https://verifier.example/post".into(),
            nonce: "n-1".into(),
            mdoc_generated_nonce: String::new(),
        }
        .session_transcript(c)
        .unwrap();
        let response = response_signed_over(&signed, Embedding::Bare);
        let inputs = ExplainInputs {
            mdoc_generated_nonce: Some("wallet-nonce-123456".into()),
            ..dc_api_inputs()
        };
        let e = explain_transcript(c, &response, &inputs).unwrap();
        let m = &e.documents[0].matches;
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].variants, ["mdoc_generated_nonce empty"]);
    }

    #[test]
    fn no_usable_inputs_and_bad_responses_are_typed_errors() {
        let c = default_provider();
        let signed = OpenId4VpDcApiHandover {
            origin: "o".into(),
            nonce: "n".into(),
            jwk_thumbprint: None,
        }
        .session_transcript(c)
        .unwrap();
        let response = response_signed_over(&signed, Embedding::Bare);
        assert_eq!(
            explain_transcript(c, &response, &ExplainInputs::default()),
            Err(ExplainError::NoCandidates)
        );
        assert!(matches!(
            explain_transcript(c, &[0xa0], &dc_api_inputs()),
            Err(ExplainError::Response(_))
        ));
        let bad = ExplainInputs {
            device_engagement: Some(vec![0x01]),
            e_reader_key: Some(vec![0xa0]),
            ..ExplainInputs::default()
        };
        assert!(matches!(
            explain_transcript(c, &response, &bad),
            Err(ExplainError::Input(HandoverError::Malformed {
                field: "device_engagement",
                ..
            }))
        ));
    }

    #[test]
    fn a_signature_that_cannot_fit_the_device_key_is_an_error_not_a_miss() {
        let c = default_provider();
        let signed = OpenId4VpDcApiHandover {
            origin: "https://verifier.example".into(),
            nonce: "n-1".into(),
            jwk_thumbprint: None,
        }
        .session_transcript(c)
        .unwrap();
        // ES256 signature, P-384 device key in the MSO.
        let p384 = c.public_key(&c.generate_key(Curve::P384).unwrap()).unwrap();
        let response = response_with_mso_key(&signed, Embedding::Bare, Some(p384));
        assert!(matches!(
            explain_transcript(c, &response, &dc_api_inputs()),
            Err(ExplainError::DeviceSignature {
                doc: 0,
                source: CoseError::AlgorithmKeyMismatch { .. }
            })
        ));
    }

    #[test]
    fn candidates_are_distinct_and_bounded() {
        let c = default_provider();
        let inputs = ExplainInputs {
            jwk_thumbprint: Some([7; 32]),
            mdoc_generated_nonce: Some("m".into()),
            encryption_info: Some("gmVkY2FwaQ".into()),
            ..dc_api_inputs()
        };
        let all = candidates(c, &inputs).unwrap();
        assert!(all.len() <= MAX_CANDIDATES);
        for (i, a) in all.iter().enumerate() {
            for b in all.iter().skip(i + 1) {
                assert!(a.embedding != b.embedding || a.transcript != b.transcript);
            }
        }
        // The spec's form of each shape comes first: every input as given, bare.
        assert!(all[0].variants.is_empty() && all[0].embedding == Embedding::Bare);
    }
}
