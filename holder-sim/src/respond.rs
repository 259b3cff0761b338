//! Answering a DeviceRequest (ISO 18013-5 clause 8.3.2.1.2): check who is asking
//! (readerAuth), apply the consent policy and the unlock gate, and return only the requested
//! and approved elements, authenticated by DeviceSignature or DeviceMac with a fresh
//! credential of the batch. Refusals go back on the wire as ISO documentErrors / element
//! errors / status codes, and are reported to the caller in plain terms.

use crate::store::CredentialStore;
use crate::wallet::WalletError;
use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::{Mac0, Sign1};
use kakunin_core::crypto::CryptoProvider;
use kakunin_core::mdoc::{
    decode_issuer_signed, device_authentication_bytes, encode_device_response,
    encode_issuer_signed, verify_reader_auth_with_crls, DeviceRequest, DocumentParts,
    ReaderAuthError, SessionTranscript,
};
use kakunin_core::secret::Pin;
use kakunin_core::session::derive_emac_key;
use kakunin_core::trust::TrustAnchors;
use time::OffsetDateTime;

/// ErrorCode 0: data not returned (Table 9).
const NOT_RETURNED: i64 = 0;

/// What the holder agrees to disclose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consent {
    /// Everything requested that the credential holds.
    ApproveAll,
    /// Only these elements (`element` or `namespace/element`).
    ApproveListed(Vec<String>),
    /// Nothing.
    Deny,
    /// Fault injection (a misbehaving wallet, for verifier tests): everything requested,
    /// and every other element or claim the credential holds as well, unrequested. A
    /// verifier must neither judge nor show what it did not ask for.
    OverDisclose,
}

impl Consent {
    fn approves(&self, namespace: &str, element: &str) -> bool {
        match self {
            Consent::ApproveAll | Consent::OverDisclose => true,
            Consent::Deny => false,
            Consent::ApproveListed(list) => list.iter().any(|a| {
                a == element
                    || a.split_once('/')
                        .is_some_and(|(n, e)| n == namespace && e == element)
            }),
        }
    }
}

/// How the mdoc authenticates itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceAuthMode {
    /// COSE_Sign1 with the device key.
    Signature,
    /// COSE_Mac0 with EMacKey (needs the reader's ephemeral key from the transcript).
    Mac,
}

/// The holder's settings for one presentation.
#[derive(Debug, Clone)]
pub struct HolderPolicy {
    /// What the user agrees to disclose.
    pub consent: Consent,
    /// If set, the presentation needs this PIN (standing in for the device's biometric).
    /// Shared, not copied, when the policy is cloned: a [`Pin`] has no `Clone`.
    pub unlock_pin: Option<std::sync::Arc<Pin>>,
    /// Reader roots to authenticate requests against; `None` shows readers as unchecked.
    pub reader_trust: Option<TrustAnchors>,
    /// Refuse requests without a verified readerAuth.
    pub require_reader_auth: bool,
    /// DeviceSignature or DeviceMac (9.1.3.4).
    pub device_auth: DeviceAuthMode,
}

impl Default for HolderPolicy {
    fn default() -> Self {
        HolderPolicy {
            consent: Consent::ApproveAll,
            unlock_pin: None,
            reader_trust: None,
            require_reader_auth: false,
            device_auth: DeviceAuthMode::Signature,
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReaderIdentity {
    /// readerAuth verified against the reader trust anchors.
    Authenticated {
        /// The reader certificate's subject commonName.
        common_name: Option<String>,
        /// The reader certificate's subject organizationName.
        organization: Option<String>,
    },
    /// The request carries no readerAuth.
    Anonymous,
    /// readerAuth is present but was not checked (no reader trust configured).
    Unchecked,
    /// readerAuth failed.
    Untrusted(ReaderAuthError),
}

/// Why a requested document was not returned.
/// On the wire each is a documentErrors entry (8.3.2.1.2.2) with ErrorCode 0, data not returned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The wallet holds no credential of this docType.
    NotHeld,
    /// Every credential of this docType's single-use batch has been presented.
    BatchExhausted,
    /// The user's consent ([`Consent::Deny`]) refused it.
    Denied,
    /// The policy needs an unlock PIN and the one entered (if any) did not match.
    PinRejected,
    /// readerAuth did not verify, or the policy requires it and it is missing.
    UntrustedReader,
}

/// Why a requested element was not returned.
/// On the wire each is an errors entry of the document (ErrorCode 0, data not returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Withheld {
    /// The credential holds it, but the user's consent does not cover it.
    NotApproved,
    /// The credential does not hold it.
    NotInCredential,
}

/// What happened to one DocRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocOutcome {
    /// The requested docType.
    pub doc_type: String,
    /// Who asked, as readerAuth showed.
    pub reader: ReaderIdentity,
    /// The stored credential presented, if one was.
    pub credential_id: Option<String>,
    /// (namespace, element, intentToRetain) disclosed.
    pub disclosed: Vec<(String, String, bool)>,
    /// (namespace, element, why) requested and not returned.
    pub withheld: Vec<(String, String, Withheld)>,
    /// Why the whole document was not returned, if it was not.
    pub refusal: Option<Refusal>,
    /// Unused credentials of this docType left after this presentation.
    pub remaining: usize,
}

/// The DeviceResponse and what it disclosed.
#[derive(Debug, Clone)]
pub struct Presentation {
    /// The DeviceResponse CBOR (8.3.2.1.2.2), to encrypt into SessionData.
    pub response: Vec<u8>,
    /// Its status (Table 8): 0 OK.
    pub status: u64,
    /// Per DocRequest, in order, what happened to it.
    pub documents: Vec<DocOutcome>,
}

/// Presentation failed on the holder's side (not a protocol refusal).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HolderError {
    /// The SessionTranscript (9.1.5.1) does not decode.
    #[error("session transcript: {0}")]
    Transcript(kakunin_core::mdoc::MdocError),
    /// The wallet's storage failed.
    #[error("wallet: {0}")]
    Wallet(#[from] WalletError),
    /// A stored IssuerSigned does not decode.
    #[error("stored credential {id}: {source}")]
    StoredCredential {
        /// The credential's id in the store.
        id: String,
        /// Why it does not decode.
        source: kakunin_core::mdoc::MdocError,
    },
    /// Making DeviceSignature or DeviceMac (9.1.3) failed.
    #[error("device authentication: {0}")]
    DeviceAuth(#[from] kakunin_core::cose::CoseError),
    /// DeviceMac needs EReaderKey from the transcript, and it is not usable (says why).
    #[error("DeviceMac needs the reader's ephemeral key in the transcript: {0}")]
    MacKey(&'static str),
    /// Key agreement or derivation for EMacKey (9.1.3.5) failed.
    #[error("crypto: {0}")]
    Crypto(#[from] kakunin_core::crypto::CryptoError),
    /// A fault profile (crate::faults) could not be applied.
    #[error("fault profile: {0}")]
    Fault(#[from] crate::faults::FaultError),
}

impl HolderError {
    /// The cause group of this failure.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            HolderError::Transcript(_)
            | HolderError::StoredCredential { .. }
            | HolderError::MacKey(_) => kakunin_core::Cause::Malformed,
            HolderError::Wallet(e) => e.cause(),
            HolderError::DeviceAuth(e) => e.cause(),
            HolderError::Crypto(e) => e.cause(),
            HolderError::Fault(e) => e.cause(),
        }
    }
}

/// One document's encoded parts, before the response is assembled.
struct BuiltDocument {
    doc_type: String,
    issuer_signed: Vec<u8>,
    device_name_spaces: Vec<u8>,
    auth_kind: &'static str,
    auth: Vec<u8>,
    errors: Vec<(String, String, i64)>,
}

/// Constant-time (see [`Pin`]); no PIN entered never matches.
fn pin_matches(expected: &Pin, entered: Option<&Pin>) -> bool {
    entered.is_some_and(|p| expected.ct_eq(p))
}

pub(crate) fn e_reader_key(
    transcript: &SessionTranscript,
) -> Result<kakunin_core::crypto::EcPublicKey, HolderError> {
    let bytes = transcript
        .e_reader_key_bytes()
        .map_err(HolderError::Transcript)?;
    let item = kakunin_core::cbor::decode(&bytes)
        .map_err(|_| HolderError::MacKey("EReaderKeyBytes is not CBOR"))?;
    let inner = match item.as_tag() {
        Some((24, inner)) => inner
            .as_bytes()
            .ok_or(HolderError::MacKey("EReaderKeyBytes is not a bstr"))?,
        _ => return Err(HolderError::MacKey("EReaderKeyBytes is not tag 24")),
    };
    let key = kakunin_core::cbor::decode(inner)
        .map_err(|_| HolderError::MacKey("EReaderKey is not CBOR"))?;
    kakunin_core::cose::decode_cose_key(&key)
        .map_err(|_| HolderError::MacKey("EReaderKey is not an EC2 COSE_Key"))
}

/// One credential's selectively disclosed document, before it goes into a DeviceResponse.
#[derive(Debug, Clone)]
pub struct DisclosedDocument {
    /// IssuerSigned with only the disclosed items (received bytes, re-embedded).
    pub issuer_signed: Vec<u8>,
    /// DeviceNameSpacesBytes (empty map: nothing is device-signed).
    pub device_name_spaces: Vec<u8>,
    /// `deviceSignature` or `deviceMac`.
    pub auth_kind: &'static str,
    /// The COSE_Sign1 or COSE_Mac0 (detached payload: DeviceAuthenticationBytes).
    pub auth: Vec<u8>,
    /// (namespace, element, intentToRetain) returned.
    pub disclosed: Vec<(String, String, bool)>,
    /// (namespace, element, why) requested and not returned.
    pub withheld: Vec<(String, String, Withheld)>,
    /// Element errors for the response: (namespace, element, ErrorCode).
    pub element_errors: Vec<(String, String, i64)>,
}

/// Select the requested and approved elements of one stored credential and authenticate
/// them for this session. No I/O: the wallet bookkeeping is [`respond`]'s.
pub fn disclose(
    crypto: &dyn CryptoProvider,
    issuer_signed: &[u8],
    device_key: &kakunin_core::crypto::EcPrivateKey,
    ir: &kakunin_core::mdoc::ItemsRequest,
    transcript: &SessionTranscript,
    consent: &Consent,
    mode: DeviceAuthMode,
) -> Result<DisclosedDocument, HolderError> {
    let issuer_signed =
        decode_issuer_signed(issuer_signed).map_err(|source| HolderError::StoredCredential {
            id: String::new(),
            source,
        })?;
    let mut disclosed = Vec::new();
    let mut withheld = Vec::new();
    let mut chosen: Vec<(String, Vec<&[u8]>)> = Vec::new();
    let mut element_errors = Vec::new();
    for want in &ir.elements {
        let item = issuer_signed
            .name_spaces
            .iter()
            .filter(|ns| ns.name == want.namespace)
            .flat_map(|ns| ns.items.iter())
            .find(|i| i.element_identifier == want.element);
        match item {
            Some(item) if consent.approves(&want.namespace, &want.element) => {
                match chosen.iter_mut().find(|(n, _)| *n == want.namespace) {
                    Some((_, v)) => v.push(&item.raw),
                    None => chosen.push((want.namespace.clone(), vec![&item.raw])),
                }
                disclosed.push((
                    want.namespace.clone(),
                    want.element.clone(),
                    want.intent_to_retain,
                ));
            }
            found => {
                let reason = if found.is_some() {
                    Withheld::NotApproved
                } else {
                    Withheld::NotInCredential
                };
                withheld.push((want.namespace.clone(), want.element.clone(), reason));
                element_errors.push((want.namespace.clone(), want.element.clone(), NOT_RETURNED));
            }
        }
    }
    if *consent == Consent::OverDisclose {
        for ns in &issuer_signed.name_spaces {
            for item in &ns.items {
                let asked = disclosed
                    .iter()
                    .any(|(n, e, _)| *n == ns.name && *e == item.element_identifier);
                if asked {
                    continue;
                }
                match chosen.iter_mut().find(|(n, _)| *n == ns.name) {
                    Some((_, v)) => v.push(&item.raw),
                    None => chosen.push((ns.name.clone(), vec![&item.raw])),
                }
                disclosed.push((ns.name.clone(), item.element_identifier.clone(), false));
            }
        }
    }
    let ns_refs: Vec<(&str, Vec<&[u8]>)> = chosen
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    let returned = encode_issuer_signed(&ns_refs, issuer_signed.issuer_auth.raw());
    let device_ns = wrap_tag24(&[0xa0]);
    let payload = device_authentication_bytes(transcript, &ir.doc_type, &device_ns);
    let (auth_kind, auth) = match mode {
        DeviceAuthMode::Signature => (
            "deviceSignature",
            Sign1::sign(crypto, device_key, &payload, true, &[])?
                .raw()
                .to_vec(),
        ),
        DeviceAuthMode::Mac => {
            let reader_pub = e_reader_key(transcript)?;
            let key = derive_emac_key(crypto, device_key, &reader_pub, transcript)?;
            (
                "deviceMac",
                Mac0::create_detached(crypto, key.as_ref(), &payload)?
                    .raw()
                    .to_vec(),
            )
        }
    };
    Ok(DisclosedDocument {
        issuer_signed: returned,
        device_name_spaces: device_ns,
        auth_kind,
        auth,
        disclosed,
        withheld,
        element_errors,
    })
}

/// Answer `request` (DeviceRequest CBOR) in `transcript`'s session.
pub fn respond(
    crypto: &dyn CryptoProvider,
    wallet: &dyn CredentialStore,
    request: &[u8],
    transcript: &[u8],
    policy: &HolderPolicy,
    entered_pin: Option<&Pin>,
    now: OffsetDateTime,
) -> Result<Presentation, HolderError> {
    respond_with(
        crypto,
        wallet,
        request,
        transcript,
        policy,
        RespondOptions {
            entered_pin,
            reader_crls: None,
        },
        now,
    )
}

/// What a single answer needs besides the policy: the PIN the user entered, and CRLs of the
/// reader-authentication CAs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RespondOptions<'a> {
    /// The PIN the user entered (checked against [`HolderPolicy::unlock_pin`]).
    pub entered_pin: Option<&'a Pin>,
    /// CRLs (RFC 5280) of the reader roots and their intermediates: a reader whose chain has a
    /// revoked certificate, or one whose CRL is stale, is [`ReaderIdentity::Untrusted`]
    /// (kakunin_core::mdoc::verify_reader_auth_with_crls). `None`: no revocation check.
    pub reader_crls: Option<&'a kakunin_core::trust::CrlSet>,
}

/// [`respond`] with [`RespondOptions`]: reader certificates are also checked against CRLs.
pub fn respond_with(
    crypto: &dyn CryptoProvider,
    wallet: &dyn CredentialStore,
    request: &[u8],
    transcript: &[u8],
    policy: &HolderPolicy,
    options: RespondOptions<'_>,
    now: OffsetDateTime,
) -> Result<Presentation, HolderError> {
    let RespondOptions {
        entered_pin,
        reader_crls,
    } = options;
    let transcript = SessionTranscript::from_bytes(transcript).map_err(HolderError::Transcript)?;
    let request = match DeviceRequest::from_bytes(request) {
        Ok(r) => r,
        Err(e) => {
            let status = e.iso_status();
            return Ok(Presentation {
                response: encode_device_response(&[], &[], status),
                status,
                documents: Vec::new(),
            });
        }
    };
    let unlocked = policy
        .unlock_pin
        .as_deref()
        .is_none_or(|pin| pin_matches(pin, entered_pin));
    let mut outcomes = Vec::new();
    let mut docs: Vec<BuiltDocument> = Vec::new();
    let mut doc_errors: Vec<(String, i64)> = Vec::new();
    let mut taken: Vec<String> = Vec::new();

    for dr in &request.doc_requests {
        let ir = &dr.items_request;
        let reader = match (&dr.reader_auth, &policy.reader_trust) {
            (None, _) => ReaderIdentity::Anonymous,
            (Some(_), None) => ReaderIdentity::Unchecked,
            (Some(_), Some(trust)) => {
                match verify_reader_auth_with_crls(crypto, dr, &transcript, trust, reader_crls, now)
                {
                    Ok(s) => ReaderIdentity::Authenticated {
                        common_name: s.common_name,
                        organization: s.organization,
                    },
                    Err(e) => ReaderIdentity::Untrusted(e),
                }
            }
        };
        let mut outcome = DocOutcome {
            doc_type: ir.doc_type.clone(),
            reader: reader.clone(),
            credential_id: None,
            disclosed: Vec::new(),
            withheld: Vec::new(),
            refusal: None,
            remaining: 0,
        };
        let held: Vec<_> = wallet
            .list()?
            .into_iter()
            .filter(|c| c.doc_type == ir.doc_type)
            .collect();
        let unused: Vec<_> = held
            .iter()
            .filter(|c| !c.used && !taken.contains(&c.id))
            .collect();
        outcome.refusal = if matches!(reader, ReaderIdentity::Untrusted(_))
            || (policy.require_reader_auth
                && !matches!(reader, ReaderIdentity::Authenticated { .. }))
        {
            Some(Refusal::UntrustedReader)
        } else if !unlocked {
            Some(Refusal::PinRejected)
        } else if policy.consent == Consent::Deny {
            Some(Refusal::Denied)
        } else if held.is_empty() {
            Some(Refusal::NotHeld)
        } else if unused.is_empty() {
            Some(Refusal::BatchExhausted)
        } else {
            None
        };
        if outcome.refusal.is_some() {
            outcome.remaining = unused.len();
            doc_errors.push((ir.doc_type.clone(), NOT_RETURNED));
            outcomes.push(outcome);
            continue;
        }
        let Some(info) = unused.first() else { continue };
        let cred = wallet.load(&info.id)?;
        let d = disclose(
            crypto,
            &cred.issuer_signed,
            &cred.device_key,
            ir,
            &transcript,
            &policy.consent,
            policy.device_auth,
        )
        .map_err(|e| match e {
            HolderError::StoredCredential { source, .. } => HolderError::StoredCredential {
                id: cred.id.clone(),
                source,
            },
            other => other,
        })?;
        outcome.disclosed = d.disclosed;
        outcome.withheld = d.withheld;
        let (returned, device_ns, kind, auth, element_errors) = (
            d.issuer_signed,
            d.device_name_spaces,
            d.auth_kind,
            d.auth,
            d.element_errors,
        );
        taken.push(cred.id.clone());
        outcome.credential_id = Some(cred.id.clone());
        outcome.remaining = unused.len() - 1;
        docs.push(BuiltDocument {
            doc_type: ir.doc_type.clone(),
            issuer_signed: returned,
            device_name_spaces: device_ns,
            auth_kind: kind,
            auth,
            errors: element_errors,
        });
        outcomes.push(outcome);
    }

    let parts: Vec<DocumentParts<'_>> = docs
        .iter()
        .map(|d| DocumentParts {
            doc_type: &d.doc_type,
            issuer_signed: d.issuer_signed.clone(),
            device_name_spaces_bytes: &d.device_name_spaces,
            device_auth: (d.auth_kind, &d.auth),
            errors: d.errors.clone(),
        })
        .collect();
    let status = kakunin_core::mdoc::STATUS_OK;
    let response = encode_device_response(&parts, &doc_errors, status);
    // Only now, with the response built, are the credentials spent.
    for id in &taken {
        wallet.mark_used(id)?;
    }
    Ok(Presentation {
        response,
        status,
        documents: outcomes,
    })
}
