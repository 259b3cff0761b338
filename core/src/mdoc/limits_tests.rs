//! Each cap at its limit (accepted) and one beyond (a typed error naming the collection).

use super::*;
use crate::cbor::{wrap_tag24, Encoder, Value};
use crate::crypto::{default_provider, Curve, HashAlg};
use crate::mdoc::{
    encode_device_request, encode_device_response, encode_issuer_signed, encode_items_request,
    encode_mso_bytes, issuer_signed_item_bytes, DeviceRequest, DeviceResponse, DocumentParts,
    InvalidReason, KeyAuthorizations, MdocError, MobileSecurityObject, MsoParts, RequestedElement,
    ValidityInfo,
};

fn too_many(e: &MdocError) -> Option<Collection> {
    match e {
        MdocError::Invalid {
            reason: InvalidReason::TooMany { what, max },
            ..
        } => {
            assert_eq!(*max, what.max());
            Some(*what)
        }
        _ => None,
    }
}

/// A COSE_Sign1 that parses (ES256 protected header, attached payload, dummy signature).
fn sign1(payload: &[u8]) -> Vec<u8> {
    let mut e = Encoder::new();
    e.array(4)
        .bytes(&[0xa1, 0x01, 0x26])
        .map(0)
        .bytes(payload)
        .bytes(&[0u8; 64]);
    e.into_bytes()
}

/// A DeviceResponse of `docs` documents, each with `namespaces` issuer namespaces of
/// `per_ns` items, `device` device-signed elements and `errors` element errors.
fn response(
    docs: usize,
    namespaces: usize,
    per_ns: usize,
    device: usize,
    errors: usize,
) -> Vec<u8> {
    let items: Vec<Vec<u8>> = (0..per_ns)
        .map(|i| issuer_signed_item_bytes(i as u64, &[0; 16], &format!("e{i}"), &Value::Bool(true)))
        .collect();
    let names: Vec<String> = (0..namespaces).map(|n| format!("ns{n}")).collect();
    let ns: Vec<(&str, Vec<&[u8]>)> = names
        .iter()
        .map(|n| (n.as_str(), items.iter().map(Vec::as_slice).collect()))
        .collect();
    let issuer_signed = encode_issuer_signed(&ns, &sign1(&wrap_tag24(&[0xa0])));
    let mut dns = Encoder::new();
    dns.map(usize::from(device > 0));
    if device > 0 {
        dns.text("dns").map(device);
        for i in 0..device {
            dns.text(&format!("d{i}")).bool(true);
        }
    }
    let dns = wrap_tag24(&dns.into_bytes());
    let sig = sign1(&[]);
    let errs: Vec<(String, String, i64)> = (0..errors)
        .map(|i| ("errns".to_string(), format!("x{i}"), 0))
        .collect();
    let parts: Vec<DocumentParts<'_>> = (0..docs)
        .map(|_| DocumentParts {
            doc_type: "t",
            issuer_signed: issuer_signed.clone(),
            device_name_spaces_bytes: &dns,
            device_auth: ("deviceSignature", &sig),
            errors: errs.clone(),
        })
        .collect();
    encode_device_response(&parts, &[], 0)
}

#[test]
fn device_response_documents_cap() {
    let ok = DeviceResponse::from_bytes(&response(MAX_DOCUMENTS, 1, 1, 0, 0)).unwrap();
    assert_eq!(ok.documents.len(), MAX_DOCUMENTS);
    let err = DeviceResponse::from_bytes(&response(MAX_DOCUMENTS + 1, 1, 1, 0, 0)).unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Documents), "{err}");
    assert_eq!(err.path(), "DeviceResponse.documents");
    assert_eq!(
        err.to_string(),
        format!("DeviceResponse.documents: more than {MAX_DOCUMENTS} documents")
    );
}

#[test]
fn document_errors_cap() {
    let errs = |n: usize| -> Vec<(String, i64)> { (0..n).map(|i| (format!("t{i}"), 0)).collect() };
    let ok =
        DeviceResponse::from_bytes(&encode_device_response(&[], &errs(MAX_DOCUMENTS), 0)).unwrap();
    assert_eq!(ok.document_errors.len(), MAX_DOCUMENTS);
    let err = DeviceResponse::from_bytes(&encode_device_response(&[], &errs(MAX_DOCUMENTS + 1), 0))
        .unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::DocumentErrors));
}

#[test]
fn issuer_signed_namespace_and_element_caps() {
    let ok = DeviceResponse::from_bytes(&response(1, MAX_NAMESPACES, 1, 0, 0)).unwrap();
    assert_eq!(
        ok.documents[0].issuer_signed.name_spaces.len(),
        MAX_NAMESPACES
    );
    let err = DeviceResponse::from_bytes(&response(1, MAX_NAMESPACES + 1, 1, 0, 0)).unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Namespaces));
    // MAX_ELEMENTS over two namespaces is the limit, counted across them.
    let half = MAX_ELEMENTS / 2;
    let ok = DeviceResponse::from_bytes(&response(1, 2, half, 0, 0)).unwrap();
    let n: usize = ok.documents[0]
        .issuer_signed
        .name_spaces
        .iter()
        .map(|n| n.items.len())
        .sum();
    assert_eq!(n, MAX_ELEMENTS);
    let err = DeviceResponse::from_bytes(&response(1, 1, MAX_ELEMENTS + 1, 0, 0)).unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Elements));
    assert!(
        err.path().ends_with("issuerSigned.nameSpaces"),
        "{}",
        err.path()
    );
}

#[test]
fn device_signed_and_error_element_caps() {
    let ok = DeviceResponse::from_bytes(&response(1, 1, 1, MAX_ELEMENTS, MAX_ELEMENTS)).unwrap();
    assert_eq!(
        ok.documents[0].device_signed.name_spaces[0].1.len(),
        MAX_ELEMENTS
    );
    assert_eq!(ok.documents[0].errors.len(), MAX_ELEMENTS);
    let err = DeviceResponse::from_bytes(&response(1, 1, 1, MAX_ELEMENTS + 1, 0)).unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Elements));
    assert!(err.path().contains("deviceSigned"), "{}", err.path());
    let err = DeviceResponse::from_bytes(&response(1, 1, 1, 0, MAX_ELEMENTS + 1)).unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Elements));
    assert!(err.path().ends_with(".errors"), "{}", err.path());
}

fn request(docs: usize, namespaces: usize, per_ns: usize) -> Vec<u8> {
    let elements: Vec<RequestedElement> = (0..namespaces)
        .flat_map(|n| {
            (0..per_ns).map(move |i| RequestedElement {
                namespace: format!("ns{n}"),
                element: format!("e{i}"),
                intent_to_retain: false,
            })
        })
        .collect();
    let items = encode_items_request("t", &elements);
    encode_device_request(&vec![(items, None); docs])
}

#[test]
fn device_request_caps() {
    let ok = DeviceRequest::from_bytes(&request(MAX_DOC_REQUESTS, 1, 1)).unwrap();
    assert_eq!(ok.doc_requests.len(), MAX_DOC_REQUESTS);
    let err = DeviceRequest::from_bytes(&request(MAX_DOC_REQUESTS + 1, 1, 1)).unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::DocRequests));
    let ok = DeviceRequest::from_bytes(&request(1, MAX_NAMESPACES, 1)).unwrap();
    assert_eq!(
        ok.doc_requests[0].items_request.elements.len(),
        MAX_NAMESPACES
    );
    let err = DeviceRequest::from_bytes(&request(1, MAX_NAMESPACES + 1, 1)).unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Namespaces));
    let ok = DeviceRequest::from_bytes(&request(1, 2, MAX_ELEMENTS / 2)).unwrap();
    assert_eq!(
        ok.doc_requests[0].items_request.elements.len(),
        MAX_ELEMENTS
    );
    let err = DeviceRequest::from_bytes(&request(1, 1, MAX_ELEMENTS + 1)).unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Elements));
}

fn mso(namespaces: usize, per_ns: usize, ka: Option<&KeyAuthorizations>) -> Vec<u8> {
    let c = default_provider();
    let key = c.generate_key(Curve::P256).unwrap();
    let public = c.public_key(&key).unwrap();
    let digests: Vec<crate::mdoc::NamespaceDigests> = (0..namespaces)
        .map(|n| {
            (
                format!("ns{n}"),
                (0..per_ns as u64).map(|i| (i, vec![0u8; 32])).collect(),
            )
        })
        .collect();
    let t = time::macros::datetime!(2026-01-01 00:00 UTC);
    encode_mso_bytes(&MsoParts {
        digest_algorithm: HashAlg::Sha256,
        value_digests: &digests,
        device_key: &public,
        key_authorizations: ka,
        doc_type: "t",
        validity: ValidityInfo {
            signed: t,
            valid_from: t,
            valid_until: t,
            expected_update: None,
        },
        status: None,
    })
}

#[test]
fn mso_digest_and_namespace_caps() {
    let ok = MobileSecurityObject::from_tagged_bytes(&mso(2, MAX_DIGESTS / 2, None)).unwrap();
    assert_eq!(
        ok.value_digests.values().map(|d| d.len()).sum::<usize>(),
        MAX_DIGESTS
    );
    let err = MobileSecurityObject::from_tagged_bytes(&mso(1, MAX_DIGESTS + 1, None)).unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Digests));
    assert!(MobileSecurityObject::from_tagged_bytes(&mso(MAX_NAMESPACES, 1, None)).is_ok());
    let err =
        MobileSecurityObject::from_tagged_bytes(&mso(MAX_NAMESPACES + 1, 1, None)).unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Namespaces));
    // keyAuthorizations: namespaces and elements.
    let ka = |ns: usize, els: usize| KeyAuthorizations {
        name_spaces: (0..ns).map(|n| format!("k{n}")).collect(),
        data_elements: [(
            "d".to_string(),
            (0..els).map(|i| format!("e{i}")).collect::<Vec<_>>(),
        )]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect(),
    };
    assert!(
        MobileSecurityObject::from_tagged_bytes(&mso(1, 1, Some(&ka(MAX_NAMESPACES, 0)))).is_ok()
    );
    let err = MobileSecurityObject::from_tagged_bytes(&mso(1, 1, Some(&ka(MAX_NAMESPACES + 1, 0))))
        .unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Namespaces));
    assert!(
        MobileSecurityObject::from_tagged_bytes(&mso(1, 1, Some(&ka(0, MAX_ELEMENTS)))).is_ok()
    );
    let err = MobileSecurityObject::from_tagged_bytes(&mso(1, 1, Some(&ka(0, MAX_ELEMENTS + 1))))
        .unwrap_err();
    assert_eq!(too_many(&err), Some(Collection::Elements));
}

/// One item budget covers a DeviceResponse and every embedded item in it: each element
/// alone is well within [`MAX_ITEMS`], together they are not.
#[test]
fn one_item_budget_for_the_response_and_its_embedded_items() {
    let with = |n: usize| {
        let big = Value::Array(vec![Value::Uint(0); 100_000]);
        let items: Vec<Vec<u8>> = (0..n)
            .map(|i| issuer_signed_item_bytes(i as u64, &[0; 16], &format!("e{i}"), &big))
            .collect();
        let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
        let issuer_signed = encode_issuer_signed(&[("ns", refs)], &sign1(&wrap_tag24(&[0xa0])));
        let dns = wrap_tag24(&[0xa0]);
        let sig = sign1(&[]);
        encode_device_response(
            &[DocumentParts {
                doc_type: "t",
                issuer_signed,
                device_name_spaces_bytes: &dns,
                device_auth: ("deviceSignature", &sig),
                errors: Vec::new(),
            }],
            &[],
            0,
        )
    };
    assert!(DeviceResponse::from_bytes(&with(2)).is_ok());
    let err = DeviceResponse::from_bytes(&with(3)).unwrap_err();
    assert!(
        matches!(
            err,
            MdocError::Cbor {
                source: crate::cbor::CborError {
                    kind: crate::cbor::CborErrorKind::TooManyItems { .. },
                    ..
                },
                ..
            }
        ),
        "{err}"
    );
}
