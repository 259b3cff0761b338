//! DeviceResponse (clause 8.3.2.1.2.2): documents with IssuerSigned and DeviceSigned parts.

use super::fields::{
    array, bytes, decode_budgeted, field, int, invalid, map, opt_field, tag24_budgeted, text, uint,
};
use super::limits::{check_cap, Collection};
use super::{InvalidReason, MdocError};
use crate::cbor::{Item, Value};
use crate::cose::{Mac0, Sign1};

/// One issuer-signed element with its IssuerSignedItemBytes as received.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerSignedItem {
    /// IssuerSignedItemBytes exactly as received (tag 24 included): the digest input.
    pub raw: Vec<u8>,
    /// The digestID under which the MSO records this item's digest.
    pub digest_id: u64,
    /// The random salt (at least 16 bytes, 9.1.2.5), which keeps undisclosed values unguessable.
    pub random: Vec<u8>,
    /// The data element identifier.
    pub element_identifier: String,
    /// The element's value.
    pub element_value: Value,
}

/// The issuer-signed items of one namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerNameSpace {
    /// The namespace.
    pub name: String,
    /// The disclosed items, in received order.
    pub items: Vec<IssuerSignedItem>,
}

/// IssuerSigned: the disclosed items and the issuer's signature over the MSO.
#[derive(Debug, Clone)]
pub struct IssuerSigned {
    /// The disclosed items, per namespace.
    pub name_spaces: Vec<IssuerNameSpace>,
    /// The issuer's COSE_Sign1 over MobileSecurityObjectBytes, with the DS certificate.
    pub issuer_auth: Sign1,
}

/// DeviceAuth: a signature or a MAC by the device key.
#[derive(Debug, Clone)]
pub enum DeviceAuth {
    /// DeviceSignature: COSE_Sign1 with the device key (9.1.3.6).
    Signature(Sign1),
    /// DeviceMac: COSE_Mac0 with EMacKey (9.1.3.5).
    Mac(Mac0),
}

/// DeviceSigned: device-signed elements and the device authentication.
#[derive(Debug, Clone)]
pub struct DeviceSigned {
    /// DeviceNameSpacesBytes exactly as received (tag 24 included).
    pub name_spaces_bytes: Vec<u8>,
    /// namespace -> (element identifier, value).
    pub name_spaces: Vec<(String, Vec<(String, Value)>)>,
    /// The device's authentication of the session.
    pub device_auth: DeviceAuth,
}

/// An element the mdoc reports it did not return, with its ErrorCode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementError {
    /// The namespace.
    pub namespace: String,
    /// The element not returned.
    pub element: String,
    /// Its ErrorCode (0 = data not returned, Table 9).
    pub code: i64,
}

/// A document the mdoc reports it did not return, with its ErrorCode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    /// The document type not returned.
    pub doc_type: String,
    /// Its ErrorCode.
    pub code: i64,
}

/// One returned document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The document type, e.g. `org.iso.18013.5.1.mDL`.
    pub doc_type: String,
    /// What the issuer signed.
    pub issuer_signed: IssuerSigned,
    /// What the device signed or MACed.
    pub device_signed: DeviceSigned,
    /// Elements the mdoc says it did not return.
    pub errors: Vec<ElementError>,
}

/// A decoded DeviceResponse.
#[derive(Debug, Clone)]
pub struct DeviceResponse {
    /// "1.0" (or another "1.x").
    pub version: String,
    /// The returned documents.
    pub documents: Vec<Document>,
    /// Documents the mdoc says it did not return.
    pub document_errors: Vec<DocumentError>,
    /// The status code (Table 8; 0 = OK).
    pub status: u64,
}

const P: &str = "DeviceResponse";

impl DeviceResponse {
    /// Decode a received DeviceResponse, keeping every hashed and signed encoding as received.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MdocError> {
        // One item budget for the response and every tag-24 item inside it.
        let mut budget = super::MAX_ITEMS;
        let top = decode_budgeted(bytes, P, &mut budget)?;
        map(&top, P)?;
        let version = text(field(&top, "version", P)?, "DeviceResponse.version")?.to_string();
        if !version.starts_with("1.") {
            return Err(MdocError::UnsupportedVersion {
                path: "DeviceResponse.version".into(),
                version,
            });
        }
        let status = uint(field(&top, "status", P)?, "DeviceResponse.status")?;
        let mut documents = Vec::new();
        if let Some(docs) = opt_field(&top, "documents", P)? {
            let docs = array(docs, "DeviceResponse.documents")?;
            check_cap(
                docs.len(),
                Collection::Documents,
                "DeviceResponse.documents",
            )?;
            for (i, d) in docs.iter().enumerate() {
                documents.push(parse_document(
                    d,
                    format_args!("DeviceResponse.documents[{i}]"),
                    &mut budget,
                )?);
            }
        }
        let mut document_errors = Vec::new();
        if let Some(errs) = opt_field(&top, "documentErrors", P)? {
            for (i, e) in array(errs, "DeviceResponse.documentErrors")?
                .iter()
                .enumerate()
            {
                let path = format!("DeviceResponse.documentErrors[{i}]");
                let entries = map(e, &path)?;
                check_cap(
                    document_errors.len() + entries.len(),
                    Collection::DocumentErrors,
                    "DeviceResponse.documentErrors",
                )?;
                for (dt, code) in entries {
                    document_errors.push(DocumentError {
                        doc_type: text(dt, &path)?.to_string(),
                        code: int(code, &path)?,
                    });
                }
            }
        }
        Ok(DeviceResponse {
            version,
            documents,
            document_errors,
            status,
        })
    }
}

/// Decode one Document at `path`.
fn parse_document(
    d: &Item<'_>,
    path: impl std::fmt::Display + Copy,
    budget: &mut usize,
) -> Result<Document, MdocError> {
    map(d, path)?;
    let doc_type = text(field(d, "docType", path)?, format_args!("{path}.docType"))?.to_string();
    let is_path = format!("{path}.issuerSigned");
    let issuer_signed = parse_issuer_signed(field(d, "issuerSigned", path)?, &is_path, budget)?;
    let ds_path = format!("{path}.deviceSigned");
    let device_signed = parse_device_signed(field(d, "deviceSigned", path)?, &ds_path, budget)?;
    let mut errors = Vec::new();
    if let Some(errs) = opt_field(d, "errors", path)? {
        let ep = format!("{path}.errors");
        let nss = map(errs, &ep)?;
        check_cap(nss.len(), Collection::Namespaces, &ep)?;
        for (ns, els) in nss {
            let ns = text(ns, &ep)?;
            let np = format!("{ep}[{ns:?}]");
            let els = map(els, &np)?;
            check_cap(errors.len() + els.len(), Collection::Elements, &ep)?;
            for (el, code) in els {
                errors.push(ElementError {
                    namespace: ns.to_string(),
                    element: text(el, &np)?.to_string(),
                    code: int(code, &np)?,
                });
            }
        }
    }
    Ok(Document {
        doc_type,
        issuer_signed,
        device_signed,
        errors,
    })
}

/// Decode `IssuerSigned` (also used on its own, e.g. for issued credentials at rest), its
/// embedded items decoded against `budget` (see [`super::MAX_ITEMS`]).
pub(crate) fn parse_issuer_signed(
    is: &Item<'_>,
    path: impl std::fmt::Display + Copy,
    budget: &mut usize,
) -> Result<IssuerSigned, MdocError> {
    map(is, path)?;
    let mut name_spaces = Vec::new();
    if let Some(nss) = opt_field(is, "nameSpaces", path)? {
        let np = format!("{path}.nameSpaces");
        let nss = map(nss, &np)?;
        check_cap(nss.len(), Collection::Namespaces, &np)?;
        let mut total = 0usize;
        for (ns, items) in nss {
            let ns = text(ns, &np)?;
            let ip = format!("{np}[{ns:?}]");
            let list = array(items, &ip)?;
            if list.is_empty() {
                return Err(invalid(&ip, InvalidReason::EmptyNamespace));
            }
            total = total.saturating_add(list.len());
            check_cap(total, Collection::Elements, &np)?;
            let mut parsed = Vec::with_capacity(list.len());
            for (j, item_bytes) in list.iter().enumerate() {
                parsed.push(parse_issuer_signed_item(
                    item_bytes,
                    format_args!("{ip}[{j}]"),
                    budget,
                )?);
            }
            name_spaces.push(IssuerNameSpace {
                name: ns.to_string(),
                items: parsed,
            });
        }
    }
    let ia_path = format!("{path}.issuerAuth");
    let ia = field(is, "issuerAuth", path)?;
    let issuer_auth = Sign1::from_slice(ia.raw()).map_err(|source| MdocError::Cose {
        path: ia_path.clone(),
        source,
    })?;
    if issuer_auth.payload().is_none() {
        return Err(invalid(&ia_path, InvalidReason::MissingMsoPayload));
    }
    Ok(IssuerSigned {
        name_spaces,
        issuer_auth,
    })
}

/// Decode one IssuerSignedItemBytes at `path`.
fn parse_issuer_signed_item(
    item_bytes: &Item<'_>,
    path: impl std::fmt::Display + Copy,
    budget: &mut usize,
) -> Result<IssuerSignedItem, MdocError> {
    let item = tag24_budgeted(item_bytes, path, budget)?;
    map(&item, path)?;
    let random = bytes(field(&item, "random", path)?, format_args!("{path}.random"))?.to_vec();
    Ok(IssuerSignedItem {
        raw: item_bytes.raw().to_vec(),
        digest_id: uint(
            field(&item, "digestID", path)?,
            format_args!("{path}.digestID"),
        )?,
        random,
        element_identifier: text(
            field(&item, "elementIdentifier", path)?,
            format_args!("{path}.elementIdentifier"),
        )?
        .to_string(),
        element_value: field(&item, "elementValue", path)?.to_value(),
    })
}

/// Decode DeviceSigned at `path`.
fn parse_device_signed(
    ds: &Item<'_>,
    path: impl std::fmt::Display + Copy,
    budget: &mut usize,
) -> Result<DeviceSigned, MdocError> {
    map(ds, path)?;
    let nsb = field(ds, "nameSpaces", path)?;
    let np = format!("{path}.nameSpaces");
    let ns_item = tag24_budgeted(nsb, &np, budget)?;
    let mut name_spaces = Vec::new();
    let nss = map(&ns_item, &np)?;
    check_cap(nss.len(), Collection::Namespaces, &np)?;
    let mut total = 0usize;
    for (ns, els) in nss {
        let ns = text(ns, &np)?;
        let ep = format!("{np}[{ns:?}]");
        let els = map(els, &ep)?;
        total = total.saturating_add(els.len());
        check_cap(total, Collection::Elements, &np)?;
        let mut list = Vec::with_capacity(els.len());
        for (el, v) in els {
            list.push((text(el, &ep)?.to_string(), v.to_value()));
        }
        name_spaces.push((ns.to_string(), list));
    }
    let ap = format!("{path}.deviceAuth");
    let da = field(ds, "deviceAuth", path)?;
    map(da, &ap)?;
    let sig = da.get_text_key("deviceSignature");
    let mac = da.get_text_key("deviceMac");
    let device_auth = match (sig, mac) {
        (Some(s), None) => {
            DeviceAuth::Signature(
                Sign1::from_slice(s.raw()).map_err(|source| MdocError::Cose {
                    path: format!("{ap}.deviceSignature"),
                    source,
                })?,
            )
        }
        (None, Some(m)) => {
            DeviceAuth::Mac(Mac0::from_slice(m.raw()).map_err(|source| MdocError::Cose {
                path: format!("{ap}.deviceMac"),
                source,
            })?)
        }
        (Some(_), Some(_)) => return Err(invalid(&ap, InvalidReason::BothSignatureAndMac)),
        (None, None) => return Err(invalid(&ap, InvalidReason::NoDeviceAuth)),
    };
    Ok(DeviceSigned {
        name_spaces_bytes: nsb.raw().to_vec(),
        name_spaces,
        device_auth,
    })
}
