//! Encoders for the 18013-5 structures Kakunin produces (issuer and holder side). Received
//! tag-24 items are re-embedded byte for byte ([`Value::Raw`]), never re-encoded.

use super::response::parse_issuer_signed;
use super::{IssuerSigned, MdocError};
use crate::cbor::{wrap_tag24, Encoder, Value};

/// IssuerSignedItemBytes for one element: `#6.24(bstr .cbor {digestID, random,
/// elementIdentifier, elementValue})`.
pub fn issuer_signed_item_bytes(
    digest_id: u64,
    random: &[u8],
    element: &str,
    value: &Value,
) -> Vec<u8> {
    issuer_signed_item_bytes_from_tail(digest_id, random, &issuer_signed_item_tail(element, value))
}

/// The two entries of an IssuerSignedItem that every credential of a batch shares,
/// `"elementIdentifier": element, "elementValue": value`, encoded once for
/// [`issuer_signed_item_bytes_from_tail`] (only the digestID and the salt differ).
pub fn issuer_signed_item_tail(element: &str, value: &Value) -> Vec<u8> {
    let mut e = Encoder::new();
    e.text("elementIdentifier")
        .text(element)
        .text("elementValue")
        .value(value);
    e.into_bytes()
}

/// IssuerSignedItemBytes with the shared part `tail` from [`issuer_signed_item_tail`]: the
/// same bytes as [`issuer_signed_item_bytes`].
pub fn issuer_signed_item_bytes_from_tail(digest_id: u64, random: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut e = Encoder::with_capacity(tail.len() + random.len() + 32);
    e.map(4)
        .text("digestID")
        .uint(digest_id)
        .text("random")
        .bytes(random)
        .raw(tail);
    wrap_tag24(&e.into_bytes())
}

/// `IssuerSigned = {"nameSpaces": {ns: [IssuerSignedItemBytes]}, "issuerAuth": COSE_Sign1}`;
/// namespaces with no items are left out (the structure forbids empty arrays).
pub fn encode_issuer_signed(name_spaces: &[(&str, Vec<&[u8]>)], issuer_auth: &[u8]) -> Vec<u8> {
    let present: Vec<_> = name_spaces
        .iter()
        .filter(|(_, items)| !items.is_empty())
        .collect();
    let size: usize = present
        .iter()
        .flat_map(|(ns, items)| items.iter().map(|i| i.len()).chain([ns.len() + 16]))
        .sum();
    let mut e = Encoder::with_capacity(size + issuer_auth.len() + 32);
    e.map(if present.is_empty() { 1 } else { 2 });
    if !present.is_empty() {
        e.text("nameSpaces").map(present.len());
        for (ns, items) in present {
            e.text(ns).array(items.len());
            for item in items {
                e.raw(item);
            }
        }
    }
    e.text("issuerAuth").raw(issuer_auth);
    e.into_bytes()
}

/// Decode an IssuerSigned on its own (as a wallet stores it).
pub fn decode_issuer_signed(bytes: &[u8]) -> Result<IssuerSigned, MdocError> {
    let top = super::fields::decode_top(bytes, "IssuerSigned")?;
    let mut budget = super::MAX_ITEMS;
    parse_issuer_signed(&top, "IssuerSigned", &mut budget)
}

/// One document of a DeviceResponse, with its parts already encoded.
pub struct DocumentParts<'a> {
    /// The document type.
    pub doc_type: &'a str,
    /// IssuerSigned as returned (only the disclosed items).
    pub issuer_signed: Vec<u8>,
    /// DeviceNameSpacesBytes (tag 24).
    pub device_name_spaces_bytes: &'a [u8],
    /// `"deviceSignature"` or `"deviceMac"`, and the COSE structure.
    pub device_auth: (&'a str, &'a [u8]),
    /// Elements not returned: (namespace, element, ErrorCode).
    pub errors: Vec<(String, String, i64)>,
}

/// Encode a DeviceResponse (version "1.0").
pub fn encode_device_response(
    documents: &[DocumentParts<'_>],
    document_errors: &[(String, i64)],
    status: u64,
) -> Vec<u8> {
    let mut e = Encoder::new();
    let n = 2 + usize::from(!documents.is_empty()) + usize::from(!document_errors.is_empty());
    e.map(n).text("version").text("1.0");
    if !documents.is_empty() {
        e.text("documents").array(documents.len());
        for d in documents {
            e.map(3 + usize::from(!d.errors.is_empty()))
                .text("docType")
                .text(d.doc_type)
                .text("issuerSigned")
                .raw(&d.issuer_signed)
                .text("deviceSigned")
                .map(2)
                .text("nameSpaces")
                .raw(d.device_name_spaces_bytes)
                .text("deviceAuth")
                .map(1)
                .text(d.device_auth.0)
                .raw(d.device_auth.1);
            if !d.errors.is_empty() {
                let mut by_ns: Vec<(&str, Vec<(&str, i64)>)> = Vec::new();
                for (ns, el, code) in &d.errors {
                    match by_ns.iter_mut().find(|(n, _)| n == ns) {
                        Some((_, v)) => v.push((el, *code)),
                        None => by_ns.push((ns, vec![(el, *code)])),
                    }
                }
                e.text("errors").map(by_ns.len());
                for (ns, els) in by_ns {
                    e.text(ns).map(els.len());
                    for (el, code) in els {
                        e.text(el).int(code);
                    }
                }
            }
        }
    }
    if !document_errors.is_empty() {
        e.text("documentErrors").array(document_errors.len());
        for (dt, code) in document_errors {
            e.map(1).text(dt).int(*code);
        }
    }
    e.text("status").uint(status);
    e.into_bytes()
}

/// RFC 3339 with whole seconds and `Z`, as 18013-5 requires for `tdate` (9.1.2.4).
pub fn tdate(t: time::OffsetDateTime) -> Value {
    let t = t.to_offset(time::UtcOffset::UTC);
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    Value::Tag(crate::cbor::TAG_TDATE, Box::new(Value::Text(text)))
}

/// `full-date` (tag 1004, `YYYY-MM-DD`).
pub fn full_date(d: time::Date) -> Value {
    Value::Tag(
        crate::cbor::TAG_FULL_DATE,
        Box::new(Value::Text(format!(
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        ))),
    )
}

/// Value digests of one namespace: `(digestID, digest)` pairs.
pub type NamespaceDigests = (String, Vec<(u64, Vec<u8>)>);

/// The content of an MSO to encode.
pub struct MsoParts<'a> {
    /// The hash of the value digests.
    pub digest_algorithm: crate::crypto::HashAlg,
    /// namespace -> [(digestID, digest)].
    pub value_digests: &'a [NamespaceDigests],
    /// The holder's device key.
    pub device_key: &'a crate::crypto::EcPublicKey,
    /// Restrictions on what the device key may sign, if any.
    pub key_authorizations: Option<&'a super::KeyAuthorizations>,
    /// The document type.
    pub doc_type: &'a str,
    /// The validity window.
    pub validity: super::ValidityInfo,
    /// An encoded `status` map, if the credential has a status reference.
    pub status: Option<Value>,
}

/// Encode MobileSecurityObjectBytes (`#6.24(bstr .cbor MSO)`), the issuerAuth payload.
pub fn encode_mso_bytes(p: &MsoParts<'_>) -> Vec<u8> {
    let mut e = Encoder::new();
    e.map(6 + usize::from(p.status.is_some()))
        .text("version")
        .text("1.0")
        .text("digestAlgorithm")
        .text(p.digest_algorithm.mso_name())
        .text("valueDigests")
        .map(p.value_digests.len());
    for (ns, digests) in p.value_digests {
        e.text(ns).map(digests.len());
        for (id, d) in digests {
            e.uint(*id).bytes(d);
        }
    }
    e.text("deviceKeyInfo")
        .map(1 + usize::from(p.key_authorizations.is_some()))
        .text("deviceKey")
        .raw(&crate::cose::encode_cose_key(p.device_key));
    if let Some(ka) = p.key_authorizations {
        let n = usize::from(!ka.name_spaces.is_empty()) + usize::from(!ka.data_elements.is_empty());
        e.text("keyAuthorizations").map(n);
        if !ka.name_spaces.is_empty() {
            e.text("nameSpaces").array(ka.name_spaces.len());
            for ns in &ka.name_spaces {
                e.text(ns);
            }
        }
        if !ka.data_elements.is_empty() {
            e.text("dataElements").map(ka.data_elements.len());
            for (ns, els) in &ka.data_elements {
                e.text(ns).array(els.len());
                for el in els {
                    e.text(el);
                }
            }
        }
    }
    let v = &p.validity;
    e.text("docType").text(p.doc_type).text("validityInfo");
    e.map(3 + usize::from(v.expected_update.is_some()))
        .text("signed")
        .value(&tdate(v.signed))
        .text("validFrom")
        .value(&tdate(v.valid_from))
        .text("validUntil")
        .value(&tdate(v.valid_until));
    if let Some(u) = v.expected_update {
        e.text("expectedUpdate").value(&tdate(u));
    }
    if let Some(s) = &p.status {
        e.text("status").value(s);
    }
    wrap_tag24(&e.into_bytes())
}

/// ItemsRequestBytes: `#6.24(bstr .cbor {"docType", "nameSpaces": {ns: {element: intentToRetain}}})`.
pub fn encode_items_request(doc_type: &str, elements: &[super::RequestedElement]) -> Vec<u8> {
    let mut by_ns: Vec<(&str, Vec<(&str, bool)>)> = Vec::new();
    for r in elements {
        match by_ns.iter_mut().find(|(n, _)| *n == r.namespace) {
            Some((_, v)) => v.push((&r.element, r.intent_to_retain)),
            None => by_ns.push((&r.namespace, vec![(&r.element, r.intent_to_retain)])),
        }
    }
    let mut e = Encoder::new();
    e.map(2)
        .text("docType")
        .text(doc_type)
        .text("nameSpaces")
        .map(by_ns.len());
    for (ns, els) in by_ns {
        e.text(ns).map(els.len());
        for (el, retain) in els {
            e.text(el).bool(retain);
        }
    }
    wrap_tag24(&e.into_bytes())
}

/// A DeviceRequest (version "1.0") from encoded ItemsRequestBytes and optional readerAuth.
pub fn encode_device_request(doc_requests: &[(Vec<u8>, Option<Vec<u8>>)]) -> Vec<u8> {
    let mut e = Encoder::new();
    e.map(2)
        .text("version")
        .text("1.0")
        .text("docRequests")
        .array(doc_requests.len());
    for (items, reader_auth) in doc_requests {
        e.map(1 + usize::from(reader_auth.is_some()))
            .text("itemsRequest")
            .raw(items);
        if let Some(ra) = reader_auth {
            e.text("readerAuth").raw(ra);
        }
    }
    e.into_bytes()
}
