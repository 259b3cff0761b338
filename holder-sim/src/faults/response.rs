//! The Response-layer fault profiles: the DeviceResponse a wallet builds (ISO 18013-5 clause
//! 8.3.2.1.2.2), with exactly one thing wrong. The normal answer is made first
//! ([`crate::respond_with`]: readerAuth, consent, a fresh credential), then one fault is
//! applied to its first returned document — or, for the CBOR profiles, to the response's
//! encoding — and whatever the fault forces to change as a consequence is re-made correctly
//! (a new docType is device-signed again, a re-dated MSO is issuer-signed again), so a reader
//! that catches it catches this one fault.

use super::cbor_edit::{
    decode_value, encode_long_heads, entries_mut, items_mut, member, member_mut, tag24_content,
};
use super::pki::rogue_signer;
use super::{Fault, FaultError, FaultKit, FaultLayer};
use crate::respond::{
    e_reader_key, respond_with, DeviceAuthMode, HolderError, HolderPolicy, Presentation,
    RespondOptions,
};
use crate::store::CredentialStore;
use kakunin_core::cbor::{wrap_tag24, Encoder, Value};
use kakunin_core::cose::{encode_cose_key, Mac0, Sign1};
use kakunin_core::crypto::{CryptoProvider, Curve, EcPrivateKey};
use kakunin_core::mdoc::{
    decode_issuer_signed, device_authentication_bytes, tdate, MobileSecurityObject,
    SessionTranscript, JP_PID_DOCTYPE, MDL_DOCTYPE,
};
use kakunin_core::session::derive_emac_key;
use time::OffsetDateTime;

/// [`respond_with`], then `fault` (a [`FaultLayer::Response`] profile) applied to the answer.
///
/// The credential is spent as for a normal answer. A profile of another layer is a
/// [`FaultError::WrongLayer`]; `stale-mso` without [`FaultKit::issuer`] is a
/// [`FaultError::NeedsIssuerKey`] (checked before anything is spent); a presentation that
/// returned no document, or lacks what a profile needs (two elements in one namespace for
/// `digest-swap`, an undisclosed element for `extra-element`), is
/// [`FaultError::NotApplicable`].
#[allow(clippy::too_many_arguments)] // respond_with's seven, plus the profile and its kit.
pub fn respond_faulty(
    crypto: &dyn CryptoProvider,
    store: &dyn CredentialStore,
    request: &[u8],
    transcript: &[u8],
    policy: &HolderPolicy,
    options: RespondOptions<'_>,
    now: OffsetDateTime,
    fault: Fault,
    kit: &FaultKit<'_>,
) -> Result<Presentation, HolderError> {
    match respond_faulty_or_plain(
        crypto, store, request, transcript, policy, options, now, fault, kit,
    )? {
        (presentation, None) => Ok(presentation),
        (_, Some(not_applicable)) => Err(not_applicable.into()),
    }
}

/// [`respond_faulty`] for a live session: where the profile has nothing to break in this
/// answer ([`FaultError::NotApplicable`], e.g. a request for a docType the wallet does not
/// hold), the plain answer, with the reason beside it — a wallet that misbehaves in one way
/// still answers what it cannot break, and spends no second credential doing so.
#[allow(clippy::too_many_arguments)] // respond_faulty's arguments.
pub fn respond_faulty_or_plain(
    crypto: &dyn CryptoProvider,
    store: &dyn CredentialStore,
    request: &[u8],
    transcript: &[u8],
    policy: &HolderPolicy,
    options: RespondOptions<'_>,
    now: OffsetDateTime,
    fault: Fault,
    kit: &FaultKit<'_>,
) -> Result<(Presentation, Option<FaultError>), HolderError> {
    if fault.layer() != FaultLayer::Response {
        return Err(FaultError::WrongLayer {
            fault,
            layer: fault.layer(),
            here: FaultLayer::Response,
        }
        .into());
    }
    if fault == Fault::StaleMso && kit.issuer.is_none() {
        return Err(FaultError::NeedsIssuerKey { fault }.into());
    }
    let session = SessionTranscript::from_bytes(transcript).map_err(HolderError::Transcript)?;
    let mut presentation = respond_with(crypto, store, request, transcript, policy, options, now)?;
    let Some((outcome, id)) = presentation
        .documents
        .iter()
        .find_map(|d| d.credential_id.clone().map(|id| (d, id)))
    else {
        let not_applicable = FaultError::NotApplicable {
            fault,
            why: "no document was returned",
        };
        return Ok((presentation, Some(not_applicable)));
    };
    let disclosed: Vec<(String, String)> = outcome
        .disclosed
        .iter()
        .map(|(n, e, _)| (n.clone(), e.clone()))
        .collect();
    let cred = store.load(&id)?;
    let ctx = Ctx {
        crypto,
        session: &session,
        device_key: &cred.device_key,
        mode: policy.device_auth,
        stored: &cred.issuer_signed,
        disclosed: &disclosed,
        now,
        kit,
        fault,
    };
    let mut response = decode_value(&presentation.response, "DeviceResponse")?;
    match ctx.apply(&mut response) {
        Ok(broken) => {
            presentation.response = broken;
            Ok((presentation, None))
        }
        Err(HolderError::Fault(e @ FaultError::NotApplicable { .. })) => {
            Ok((presentation, Some(e)))
        }
        Err(e) => Err(e),
    }
}

/// Everything a profile may need about the answer it breaks.
struct Ctx<'a> {
    crypto: &'a dyn CryptoProvider,
    session: &'a SessionTranscript,
    device_key: &'a EcPrivateKey,
    mode: DeviceAuthMode,
    /// The stored IssuerSigned of the credential presented (every element, as issued).
    stored: &'a [u8],
    /// (namespace, element) disclosed in the first document.
    disclosed: &'a [(String, String)],
    now: OffsetDateTime,
    kit: &'a FaultKit<'a>,
    fault: Fault,
}

fn first_doc(response: &mut Value) -> Result<&mut Value, FaultError> {
    items_mut(
        member_mut(response, "documents", "DeviceResponse.documents")?,
        "DeviceResponse.documents",
    )?
    .first_mut()
    .ok_or(FaultError::UnexpectedShape("DeviceResponse.documents[0]"))
}

fn doc_type(doc: &Value) -> Result<String, FaultError> {
    member(doc, "docType", "Document.docType")?
        .as_text()
        .map(str::to_string)
        .ok_or(FaultError::UnexpectedShape("Document.docType"))
}

/// DeviceNameSpacesBytes as encoded (tag 24 included): part of DeviceAuthentication.
fn device_name_spaces(doc: &Value) -> Result<Vec<u8>, FaultError> {
    let ds = member(doc, "deviceSigned", "Document.deviceSigned")?;
    Ok(member(ds, "nameSpaces", "DeviceSigned.nameSpaces")?.to_vec())
}

fn set_device_auth(doc: &mut Value, kind: &str, cose: Vec<u8>) -> Result<(), FaultError> {
    let ds = member_mut(doc, "deviceSigned", "Document.deviceSigned")?;
    *member_mut(ds, "deviceAuth", "DeviceSigned.deviceAuth")? =
        Value::Map(vec![(Value::text(kind), Value::Raw(cose))]);
    Ok(())
}

fn issuer_auth(doc: &mut Value) -> Result<&mut Value, FaultError> {
    let is = member_mut(doc, "issuerSigned", "Document.issuerSigned")?;
    member_mut(is, "issuerAuth", "IssuerSigned.issuerAuth")
}

/// MobileSecurityObjectBytes: the issuerAuth payload.
fn mso_bytes(doc: &mut Value) -> Result<Vec<u8>, FaultError> {
    match items_mut(issuer_auth(doc)?, "issuerAuth")?.get(2) {
        Some(Value::Bytes(b)) => Ok(b.clone()),
        _ => Err(FaultError::UnexpectedShape("issuerAuth payload")),
    }
}

/// The namespaces of IssuerSigned: (namespace, its IssuerSignedItemBytes).
fn issuer_name_spaces(doc: &mut Value) -> Result<&mut Vec<(Value, Value)>, FaultError> {
    let is = member_mut(doc, "issuerSigned", "Document.issuerSigned")?;
    entries_mut(
        member_mut(is, "nameSpaces", "IssuerSigned.nameSpaces")?,
        "IssuerSigned.nameSpaces",
    )
}

/// An IssuerSignedItem map decoded from its `#6.24` wrapper.
fn decode_item(item: &Value) -> Result<Value, FaultError> {
    decode_value(
        tag24_content(item, "IssuerSignedItemBytes")?,
        "IssuerSignedItem",
    )
}

fn tag24_value(inner: Vec<u8>) -> Value {
    Value::Tag(24, Box::new(Value::Bytes(inner)))
}

impl Ctx<'_> {
    fn not_applicable(&self, why: &'static str) -> FaultError {
        FaultError::NotApplicable {
            fault: self.fault,
            why,
        }
    }

    /// DeviceSignature (detached unless `attached`) or DeviceMac over `payload`, as the
    /// holder's policy says; a MAC's key is derived over `mac_transcript`.
    fn device_auth(
        &self,
        payload: &[u8],
        mac_transcript: &SessionTranscript,
        attached: bool,
    ) -> Result<(&'static str, Vec<u8>), HolderError> {
        if self.mode == DeviceAuthMode::Mac && !attached {
            let reader = e_reader_key(mac_transcript)?;
            let key = derive_emac_key(self.crypto, self.device_key, &reader, mac_transcript)?;
            let mac = Mac0::create_detached(self.crypto, key.as_ref(), payload)?;
            return Ok(("deviceMac", mac.raw().to_vec()));
        }
        let sig = Sign1::sign(self.crypto, self.device_key, payload, !attached, &[])?;
        Ok(("deviceSignature", sig.raw().to_vec()))
    }

    /// Authenticate `doc` again over `transcript` (and its current docType).
    fn reauthenticate(
        &self,
        doc: &mut Value,
        transcript: &SessionTranscript,
    ) -> Result<(), HolderError> {
        let payload =
            device_authentication_bytes(transcript, &doc_type(doc)?, &device_name_spaces(doc)?);
        let (kind, cose) = self.device_auth(&payload, transcript, false)?;
        set_device_auth(doc, kind, cose)?;
        Ok(())
    }

    fn apply(&self, response: &mut Value) -> Result<Vec<u8>, HolderError> {
        match self.fault {
            Fault::WrongSessionTranscript => self.wrong_session_transcript(first_doc(response)?)?,
            Fault::ReplayedDeviceAuth => self.replayed_device_auth(first_doc(response)?)?,
            Fault::StaleMso => self.stale_mso(first_doc(response)?)?,
            Fault::UntrustedDs => self.untrusted_ds(first_doc(response)?)?,
            Fault::ReencodedTag24 => self.reencoded_tag24(first_doc(response)?)?,
            Fault::DigestSwap => self.digest_swap(first_doc(response)?)?,
            Fault::ExtraElement => self.extra_element(first_doc(response)?)?,
            Fault::ElementUnderOtherNamespace => self.other_namespace(first_doc(response)?)?,
            Fault::WrongDocType => {
                let doc = first_doc(response)?;
                let other = if doc_type(doc)? == MDL_DOCTYPE {
                    JP_PID_DOCTYPE
                } else {
                    MDL_DOCTYPE
                };
                *member_mut(doc, "docType", "Document.docType")? = Value::text(other);
                // Device-signed again over the new docType: only the MSO disagrees.
                self.reauthenticate(doc, self.session)?;
            }
            Fault::MissingDeviceAuth => {
                let doc = first_doc(response)?;
                let ds = member_mut(doc, "deviceSigned", "Document.deviceSigned")?;
                entries_mut(ds, "DeviceSigned")?.retain(|(k, _)| k.as_text() != Some("deviceAuth"));
            }
            Fault::DeviceMacInsteadOfSignature => {
                let doc = first_doc(response)?;
                let payload = device_authentication_bytes(
                    self.session,
                    &doc_type(doc)?,
                    &device_name_spaces(doc)?,
                );
                // A key no reader can derive: the MAC checks out for nobody.
                let mut key = zeroize::Zeroizing::new([0u8; 32]);
                self.crypto.fill_random(key.as_mut())?;
                let mac = Mac0::create_detached(self.crypto, key.as_ref(), &payload)?;
                set_device_auth(doc, "deviceMac", mac.raw().to_vec())?;
            }
            Fault::AttachedPayload => {
                let doc = first_doc(response)?;
                let payload = device_authentication_bytes(
                    self.session,
                    &doc_type(doc)?,
                    &device_name_spaces(doc)?,
                );
                let (kind, cose) = self.device_auth(&payload, self.session, true)?;
                set_device_auth(doc, kind, cose)?;
            }
            Fault::DuplicateMapKeys => {
                // A second "version" right after the first: same value, so only the
                // duplication is wrong (RFC 8949 §5.6).
                let entries = entries_mut(response, "DeviceResponse")?;
                let at = entries
                    .iter()
                    .position(|(k, _)| k.as_text() == Some("version"))
                    .map_or(0, |i| i.saturating_add(1));
                entries.insert(at, (Value::text("version"), Value::text("1.0")));
            }
            Fault::NonShortestHeads => return Ok(self.non_shortest_heads(response)?),
            _ => {
                return Err(FaultError::WrongLayer {
                    fault: self.fault,
                    layer: self.fault.layer(),
                    here: FaultLayer::Response,
                }
                .into())
            }
        }
        Ok(response.to_vec())
    }

    /// The session's engagement and reader key with another Handover: QR's `null` where the
    /// session had a Handover, an NFC-shaped `[bstr, null]` where it had `null`.
    fn wrong_session_transcript(&self, doc: &mut Value) -> Result<(), HolderError> {
        let handover = self
            .session
            .handover_bytes()
            .map_err(HolderError::Transcript)?;
        let other = if handover == [0xf6] {
            let mut e = Encoder::new();
            e.array(2).bytes(&[0xd1, 0x02, 0x00]).null();
            e.into_bytes()
        } else {
            vec![0xf6]
        };
        let t = SessionTranscript::build(
            &self
                .session
                .device_engagement_bytes()
                .map_err(HolderError::Transcript)?,
            &self
                .session
                .e_reader_key_bytes()
                .map_err(HolderError::Transcript)?,
            &other,
        );
        self.reauthenticate(doc, &t)
    }

    /// The earlier response's DeviceSigned, or one made for another session (the same
    /// engagement and Handover, another reader's ephemeral key).
    fn replayed_device_auth(&self, doc: &mut Value) -> Result<(), HolderError> {
        if let Some(earlier) = self.kit.earlier_response {
            let mut old = decode_value(earlier, "earlier DeviceResponse")?;
            let signed = member(
                first_doc(&mut old)?,
                "deviceSigned",
                "Document.deviceSigned",
            )?;
            *member_mut(doc, "deviceSigned", "Document.deviceSigned")? = signed.clone();
            return Ok(());
        }
        let other_reader = self.crypto.generate_key(Curve::P256)?;
        let other_pub = self.crypto.public_key(&other_reader)?;
        let t = SessionTranscript::build(
            &self
                .session
                .device_engagement_bytes()
                .map_err(HolderError::Transcript)?,
            &wrap_tag24(&encode_cose_key(&other_pub)),
            &self
                .session
                .handover_bytes()
                .map_err(HolderError::Transcript)?,
        );
        self.reauthenticate(doc, &t)
    }

    /// validityInfo moved into the past (validUntil a minute before `now`), the MSO signed
    /// again by the issuer's DS: only the validity window is wrong.
    fn stale_mso(&self, doc: &mut Value) -> Result<(), HolderError> {
        let Some(issuer) = self.kit.issuer else {
            return Err(FaultError::NeedsIssuerKey { fault: self.fault }.into());
        };
        let payload = mso_bytes(doc)?;
        let old = MobileSecurityObject::from_tagged_bytes(&payload)
            .map_err(|_| FaultError::UnexpectedShape("MobileSecurityObject"))?;
        let until = self.now - time::Duration::minutes(1);
        let from = old
            .validity
            .valid_from
            .min(until - time::Duration::minutes(1));
        let signed = old.validity.signed.min(from);
        let mut mso = decode_value(
            tag24_content(
                &decode_value(&payload, "MobileSecurityObjectBytes")?,
                "MobileSecurityObjectBytes",
            )?,
            "MobileSecurityObject",
        )?;
        let vi = member_mut(&mut mso, "validityInfo", "MSO.validityInfo")?;
        for (k, v) in entries_mut(vi, "MSO.validityInfo")? {
            match k.as_text() {
                Some("signed") => *v = tdate(signed),
                Some("validFrom") => *v = tdate(from),
                Some("validUntil") => *v = tdate(until),
                _ => {}
            }
        }
        let resigned = Sign1::sign(
            self.crypto,
            issuer.key,
            &wrap_tag24(&mso.to_vec()),
            false,
            issuer.x5chain,
        )?;
        *issuer_auth(doc)? = Value::Raw(resigned.raw().to_vec());
        Ok(())
    }

    /// The same MSO, signed by a DS under a fresh IACA nobody trusts.
    fn untrusted_ds(&self, doc: &mut Value) -> Result<(), HolderError> {
        let payload = mso_bytes(doc)?;
        let rogue = rogue_signer(self.crypto, self.now)?;
        let resigned = Sign1::sign(
            self.crypto,
            &rogue.key,
            &payload,
            false,
            std::slice::from_ref(&rogue.ds_cert),
        )?;
        *issuer_auth(doc)? = Value::Raw(resigned.raw().to_vec());
        Ok(())
    }

    /// The first disclosed IssuerSignedItem encoded again with longer heads: the same item,
    /// other bytes, so its digest no longer matches (9.1.2.5 digests the bytes received).
    fn reencoded_tag24(&self, doc: &mut Value) -> Result<(), HolderError> {
        let (_, items) = issuer_name_spaces(doc)?
            .first_mut()
            .ok_or_else(|| self.not_applicable("no element was disclosed"))?;
        let item = items_mut(items, "IssuerNameSpace")?
            .first_mut()
            .ok_or_else(|| self.not_applicable("no element was disclosed"))?;
        let mut long = Vec::new();
        encode_long_heads(&decode_item(item)?, &mut long);
        *item = tag24_value(long);
        Ok(())
    }

    /// Two items of one namespace trade digestIDs: each points at the other's digest.
    fn digest_swap(&self, doc: &mut Value) -> Result<(), HolderError> {
        let items = issuer_name_spaces(doc)?
            .iter_mut()
            .filter_map(|(_, v)| match v {
                Value::Array(a) if a.len() >= 2 => Some(a),
                _ => None,
            })
            .next()
            .ok_or_else(|| self.not_applicable("needs two elements disclosed in one namespace"))?;
        let (Some(a), Some(b)) = (items.first(), items.get(1)) else {
            return Err(self
                .not_applicable("needs two elements disclosed in one namespace")
                .into());
        };
        let (mut a, mut b) = (decode_item(a)?, decode_item(b)?);
        let id_a = member(&a, "digestID", "IssuerSignedItem.digestID")?.clone();
        let id_b = member(&b, "digestID", "IssuerSignedItem.digestID")?.clone();
        *member_mut(&mut a, "digestID", "IssuerSignedItem.digestID")? = id_b;
        *member_mut(&mut b, "digestID", "IssuerSignedItem.digestID")? = id_a;
        if let Some(first) = items.first_mut() {
            *first = tag24_value(a.to_vec());
        }
        if let Some(second) = items.get_mut(1) {
            *second = tag24_value(b.to_vec());
        }
        Ok(())
    }

    /// One element of the credential the reader did not ask for, added as issued (its
    /// digest is right): a reader must neither judge nor show it.
    fn extra_element(&self, doc: &mut Value) -> Result<(), HolderError> {
        let stored = decode_issuer_signed(self.stored)
            .map_err(|_| FaultError::UnexpectedShape("stored IssuerSigned"))?;
        let (ns, raw) = stored
            .name_spaces
            .iter()
            .flat_map(|ns| ns.items.iter().map(move |i| (ns, i)))
            .find(|(ns, i)| {
                !self
                    .disclosed
                    .iter()
                    .any(|(n, e)| *n == ns.name && *e == i.element_identifier)
            })
            .map(|(ns, i)| (ns.name.clone(), i.raw.clone()))
            .ok_or_else(|| self.not_applicable("every element of the credential was requested"))?;
        let spaces = issuer_name_spaces(doc)?;
        match spaces.iter_mut().find(|(k, _)| k.as_text() == Some(&ns)) {
            Some((_, items)) => items_mut(items, "IssuerNameSpace")?.push(Value::Raw(raw)),
            None => spaces.push((Value::text(ns), Value::Array(vec![Value::Raw(raw)]))),
        }
        Ok(())
    }

    /// The first disclosed item moved under another namespace: another of the MSO's if it
    /// has one, else a made-up one next to it.
    fn other_namespace(&self, doc: &mut Value) -> Result<(), HolderError> {
        let mso = MobileSecurityObject::from_tagged_bytes(&mso_bytes(doc)?)
            .map_err(|_| FaultError::UnexpectedShape("MobileSecurityObject"))?;
        let spaces = issuer_name_spaces(doc)?;
        let (from, item) = {
            let (k, items) = spaces
                .first_mut()
                .ok_or_else(|| self.not_applicable("no element was disclosed"))?;
            let from = k
                .as_text()
                .map(str::to_string)
                .ok_or(FaultError::UnexpectedShape("namespace"))?;
            let items = items_mut(items, "IssuerNameSpace")?;
            if items.is_empty() {
                return Err(self.not_applicable("no element was disclosed").into());
            }
            (from, items.remove(0))
        };
        // An emptied namespace goes: an empty one would be a second fault.
        spaces.retain(|(_, v)| !matches!(v, Value::Array(a) if a.is_empty()));
        let to = mso
            .value_digests
            .keys()
            .find(|n| **n != from)
            .cloned()
            .unwrap_or_else(|| format!("{from}.other"));
        match spaces.iter_mut().find(|(k, _)| k.as_text() == Some(&to)) {
            Some((_, items)) => items_mut(items, "IssuerNameSpace")?.push(item),
            None => spaces.push((Value::text(to), Value::Array(vec![item]))),
        }
        Ok(())
    }

    /// Every head outside the signed structures one size longer than needed (valid CBOR,
    /// RFC 8949 §3; §4.2.1 only prefers the shortest). The items, issuerAuth,
    /// DeviceNameSpacesBytes and deviceAuth stay byte for byte as signed.
    fn non_shortest_heads(&self, response: &mut Value) -> Result<Vec<u8>, FaultError> {
        let raw = |v: &mut Value| *v = Value::Raw(v.to_vec());
        if let Ok(docs) = member_mut(response, "documents", "DeviceResponse.documents") {
            for doc in items_mut(docs, "DeviceResponse.documents")? {
                for (_, items) in issuer_name_spaces(doc)?.iter_mut() {
                    items_mut(items, "IssuerNameSpace")?
                        .iter_mut()
                        .for_each(raw);
                }
                raw(issuer_auth(doc)?);
                let ds = member_mut(doc, "deviceSigned", "Document.deviceSigned")?;
                raw(member_mut(ds, "nameSpaces", "DeviceSigned.nameSpaces")?);
                let auth = member_mut(ds, "deviceAuth", "DeviceSigned.deviceAuth")?;
                entries_mut(auth, "DeviceAuth")?
                    .iter_mut()
                    .for_each(|(_, v)| raw(v));
            }
        }
        let mut out = Vec::new();
        encode_long_heads(response, &mut out);
        Ok(out)
    }
}
