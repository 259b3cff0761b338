//! DeviceRequest (clause 8.3.2.1.2.1): document requests with ItemsRequestBytes and optional
//! reader authentication (9.1.4).

use super::fields::{array, boolean, decode_top, field, map, opt_field, tag24, text};
use super::limits::{check_cap, Collection};
use super::MdocError;
use crate::cbor::{Item, Value};
use crate::cose::Sign1;

/// One requested element and whether the reader intends to retain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedElement {
    /// The namespace, e.g. `org.iso.18013.5.1`.
    pub namespace: String,
    /// The data element identifier, e.g. `age_over_20`.
    pub element: String,
    /// IntentToRetain: whether the reader says it will store the value.
    pub intent_to_retain: bool,
}

/// A decoded ItemsRequest with its ItemsRequestBytes as received.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsRequest {
    /// ItemsRequestBytes (tag 24 included): part of the readerAuth payload.
    pub raw: Vec<u8>,
    /// The document type asked for.
    pub doc_type: String,
    /// The elements asked for, in request order.
    pub elements: Vec<RequestedElement>,
    /// `requestInfo`, kept as received.
    pub request_info: Option<Value>,
}

/// One DocRequest.
#[derive(Debug, Clone)]
pub struct DocRequest {
    /// What is asked for.
    pub items_request: ItemsRequest,
    /// The reader's signature over ReaderAuthenticationBytes (9.1.4), if any.
    pub reader_auth: Option<Sign1>,
}

/// A decoded DeviceRequest.
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    /// "1.0" (or another "1.x").
    pub version: String,
    /// One request per document type.
    pub doc_requests: Vec<DocRequest>,
}

const P: &str = "DeviceRequest";

impl DeviceRequest {
    /// Decode a received DeviceRequest, keeping each ItemsRequestBytes as received.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MdocError> {
        let top = decode_top(bytes, P)?;
        map(&top, P)?;
        let version = text(field(&top, "version", P)?, "DeviceRequest.version")?.to_string();
        if !version.starts_with("1.") {
            return Err(MdocError::UnsupportedVersion {
                path: "DeviceRequest.version".into(),
                version,
            });
        }
        let mut doc_requests = Vec::new();
        let list = array(field(&top, "docRequests", P)?, "DeviceRequest.docRequests")?;
        check_cap(
            list.len(),
            Collection::DocRequests,
            "DeviceRequest.docRequests",
        )?;
        for (i, dr) in list.iter().enumerate() {
            let path = format!("DeviceRequest.docRequests[{i}]");
            doc_requests.push(parse_doc_request(dr, &path)?);
        }
        Ok(DeviceRequest {
            version,
            doc_requests,
        })
    }
}

/// Decode one DocRequest at `path`.
fn parse_doc_request(dr: &Item<'_>, path: &str) -> Result<DocRequest, MdocError> {
    map(dr, path)?;
    let ip = format!("{path}.itemsRequest");
    let irb = field(dr, "itemsRequest", path)?;
    let ir = tag24(irb, &ip)?;
    map(&ir, &ip)?;
    let doc_type = text(field(&ir, "docType", &ip)?, &format!("{ip}.docType"))?.to_string();
    let mut elements = Vec::new();
    let np = format!("{ip}.nameSpaces");
    let nss = map(field(&ir, "nameSpaces", &ip)?, &np)?;
    check_cap(nss.len(), Collection::Namespaces, &np)?;
    for (ns, els) in nss {
        let ns = text(ns, &np)?;
        let ep = format!("{np}[{ns:?}]");
        let els = map(els, &ep)?;
        check_cap(elements.len() + els.len(), Collection::Elements, &np)?;
        for (el, retain) in els {
            elements.push(RequestedElement {
                namespace: ns.to_string(),
                element: text(el, &ep)?.to_string(),
                intent_to_retain: boolean(retain, &ep)?,
            });
        }
    }
    let request_info = opt_field(&ir, "requestInfo", &ip)?.map(Item::to_value);
    let reader_auth = opt_field(dr, "readerAuth", path)?
        .map(|ra| {
            Sign1::from_slice(ra.raw()).map_err(|source| MdocError::Cose {
                path: format!("{path}.readerAuth"),
                source,
            })
        })
        .transpose()?;
    Ok(DocRequest {
        items_request: ItemsRequest {
            raw: irb.raw().to_vec(),
            doc_type,
            elements,
            request_info,
        },
        reader_auth,
    })
}
