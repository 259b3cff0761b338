//! The mutation suite: Annex D's DeviceResponse and DeviceRequest, altered one way at a time,
//! each rejected with the specific typed error expected (and never a panic).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kakunin_core::cbor::{self, Value};
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::trust::TrustError;
use kakunin_spec_vectors::annex_d::{
    bytes, e_reader_key, iaca_anchors, reader_anchors, VERIFICATION_TIME,
};
use kakunin_verifier::{Check, CheckError, Outcome, ResponseReport, Verifier};
use time::macros::datetime;
use time::OffsetDateTime;

// ---------------------------------------------------------------------------------------
// Helpers: decode to an owned tree, edit by path, re-encode. Annex D is in preferred
// serialization, so an unedited round trip gives back the same bytes (checked below).

#[derive(Clone, Copy)]
enum K {
    T(&'static str),
    I(usize),
    N(i64),
}

fn value(b: &[u8]) -> Value {
    cbor::decode(b).expect("decodes").to_value()
}

fn at<'a>(v: &'a mut Value, path: &[K]) -> &'a mut Value {
    let mut cur = v;
    for k in path {
        cur = match (cur, k) {
            (Value::Map(m), K::T(t)) => {
                &mut m
                    .iter_mut()
                    .find(|(key, _)| key.as_text() == Some(t))
                    .expect("key")
                    .1
            }
            (Value::Map(m), K::N(n)) => {
                &mut m
                    .iter_mut()
                    .find(|(key, _)| key.as_int() == Some(*n as i128))
                    .expect("key")
                    .1
            }
            (Value::Array(a), K::I(i)) => &mut a[*i],
            (Value::Tag(_, inner), K::I(0)) => inner,
            (other, _) => panic!("cannot index {other:?}"),
        };
    }
    cur
}

/// Edit the CBOR inside a `#6.24(bstr)` value.
fn edit_tag24(v: &mut Value, f: impl FnOnce(&mut Value)) {
    let Value::Tag(24, inner) = v else {
        panic!("not tag 24: {v:?}")
    };
    let Value::Bytes(b) = inner.as_mut() else {
        panic!("not bstr")
    };
    let mut decoded = value(b);
    f(&mut decoded);
    *b = decoded.to_vec();
}

/// Edit the CBOR inside a bstr (e.g. a COSE payload or protected header).
fn edit_bstr(v: &mut Value, f: impl FnOnce(&mut Value)) {
    let Value::Bytes(b) = v else {
        panic!("not bstr")
    };
    let mut decoded = value(b);
    f(&mut decoded);
    *b = decoded.to_vec();
}

const DOC: [K; 2] = [K::T("documents"), K::I(0)];

fn doc_path(rest: &[K]) -> Vec<K> {
    let mut p = DOC.to_vec();
    p.extend_from_slice(rest);
    p
}

fn items_path() -> Vec<K> {
    doc_path(&[
        K::T("issuerSigned"),
        K::T("nameSpaces"),
        K::T("org.iso.18013.5.1"),
    ])
}

fn issuer_auth_path() -> Vec<K> {
    doc_path(&[K::T("issuerSigned"), K::T("issuerAuth")])
}

fn mutate(f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = value(&bytes("device_response"));
    f(&mut v);
    v.to_vec()
}

fn mutate_item(index: usize, f: impl FnOnce(&mut Value)) -> Vec<u8> {
    mutate(|v| edit_tag24(at(v, &[items_path(), vec![K::I(index)]].concat()), f))
}

fn mutate_mso(f: impl FnOnce(&mut Value)) -> Vec<u8> {
    mutate(|v| {
        let payload = at(v, &[issuer_auth_path(), vec![K::I(2)]].concat());
        edit_bstr(payload, |tagged| edit_tag24(tagged, f));
    })
}

fn verify_at(
    response: &[u8],
    transcript: &[u8],
    at: OffsetDateTime,
    key: Option<&EcPrivateKey>,
) -> ResponseReport {
    let anchors = iaca_anchors();
    let mut v = Verifier::new(&anchors);
    if let Some(k) = key {
        v = v.with_reader_key(k);
    }
    v.verify_device_response(response, transcript, at)
}

fn verify(response: &[u8]) -> ResponseReport {
    let key = e_reader_key();
    verify_at(
        response,
        &bytes("session_transcript_bytes"),
        VERIFICATION_TIME,
        Some(&key),
    )
}

/// Assert the report is invalid and holds an error matching `pred`.
#[track_caller]
fn rejected(report: &ResponseReport, what: &str, pred: impl Fn(&CheckError) -> bool) {
    assert!(!report.valid(), "{what}: accepted");
    let errs: Vec<_> = report.all_errors().collect();
    assert!(
        errs.iter().any(|e| pred(e)),
        "{what}: expected error not found in {errs:#?}"
    );
    for d in &report.documents {
        assert!(
            d.elements.iter().all(|e| !e.verified),
            "{what}: an element is marked verified"
        );
    }
}

fn random_p256() -> EcPrivateKey {
    default_provider().generate_key(Curve::P256).expect("key")
}

// ---------------------------------------------------------------------------------------

#[test]
fn baseline_round_trip_and_valid() {
    let original = bytes("device_response");
    assert_eq!(
        value(&original).to_vec(),
        original,
        "Annex D re-encodes byte-exactly"
    );
    assert!(verify(&original).valid());
}

#[test]
fn m01_altered_family_name() {
    let r = verify(&mutate_item(0, |i| {
        *at(i, &[K::T("elementValue")]) = Value::text("Foe")
    }));
    rejected(
        &r,
        "family_name",
        |e| matches!(e, CheckError::DigestMismatch { element, digest_id: 0, .. } if element == "family_name"),
    );
    assert_eq!(
        r.documents[0].outcome(Check::IssuerSignature),
        Outcome::Passed
    );
}

#[test]
fn m02_altered_portrait_byte() {
    let r = verify(&mutate_item(4, |i| {
        if let Value::Bytes(b) = at(i, &[K::T("elementValue")]) {
            b[100] ^= 0x01;
        }
    }));
    rejected(
        &r,
        "portrait",
        |e| matches!(e, CheckError::DigestMismatch { element, .. } if element == "portrait"),
    );
}

#[test]
fn m03_altered_random_salt() {
    let r = verify(&mutate_item(1, |i| {
        if let Value::Bytes(b) = at(i, &[K::T("random")]) {
            b[0] ^= 0x80;
        }
    }));
    rejected(
        &r,
        "salt",
        |e| matches!(e, CheckError::DigestMismatch { element, .. } if element == "issue_date"),
    );
}

#[test]
fn m04_swapped_digest_ids() {
    let r = verify(&mutate(|v| {
        let items = at(v, &items_path());
        let id = |item: &mut Value| -> Value {
            let mut out = Value::Null;
            edit_tag24(item, |i| out = at(i, &[K::T("digestID")]).clone());
            out
        };
        let Value::Array(a) = items else { panic!() };
        let (id0, id1) = (id(&mut a[0]), id(&mut a[1]));
        edit_tag24(&mut a[0], |i| *at(i, &[K::T("digestID")]) = id1.clone());
        edit_tag24(&mut a[1], |i| *at(i, &[K::T("digestID")]) = id0.clone());
    }));
    rejected(
        &r,
        "swap",
        |e| matches!(e, CheckError::DigestMismatch { element, digest_id: 3, .. } if element == "family_name"),
    );
    rejected(
        &r,
        "swap",
        |e| matches!(e, CheckError::DigestMismatch { element, digest_id: 0, .. } if element == "issue_date"),
    );
}

#[test]
fn m05_digest_id_not_in_mso() {
    let r = verify(&mutate_item(2, |i| {
        *at(i, &[K::T("digestID")]) = Value::Uint(99)
    }));
    rejected(&r, "unknown id", |e| {
        matches!(e, CheckError::DigestMissing { digest_id: 99, .. })
    });
}

#[test]
fn m06_duplicated_item() {
    let r = verify(&mutate(|v| {
        let Value::Array(a) = at(v, &items_path()) else {
            panic!()
        };
        let first = a[0].clone();
        a.push(first);
    }));
    rejected(&r, "dup", |e| {
        matches!(e, CheckError::DuplicateDigestId { digest_id: 0, .. })
    });
    rejected(
        &r,
        "dup",
        |e| matches!(e, CheckError::DuplicateElement { element, .. } if element == "family_name"),
    );
}

#[test]
fn m07_tag24_reencoded_with_long_length_head() {
    // Same IssuerSignedItem, but its bstr head uses 4 length bytes instead of 1: equal
    // meaning, different bytes, so the digest (over the received bytes) must differ.
    let r = verify(&mutate(|v| {
        let item = at(v, &[items_path(), vec![K::I(0)]].concat());
        let Value::Tag(24, inner) = item else {
            panic!()
        };
        let Value::Bytes(content) = inner.as_ref() else {
            panic!()
        };
        let mut raw = vec![0xd8, 0x18, 0x5a];
        raw.extend_from_slice(&u32::try_from(content.len()).unwrap().to_be_bytes());
        raw.extend_from_slice(content);
        *item = Value::Raw(raw);
    }));
    rejected(
        &r,
        "long head",
        |e| matches!(e, CheckError::DigestMismatch { element, .. } if element == "family_name"),
    );
}

#[test]
fn m08_element_value_reencoded_non_shortest() {
    // "Doe" as a text string with a one-byte length (0x78 0x03) instead of 0x63.
    let r = verify(&mutate_item(0, |i| {
        *at(i, &[K::T("elementValue")]) = Value::Raw(vec![0x78, 0x03, b'D', b'o', b'e'])
    }));
    rejected(
        &r,
        "non-shortest",
        |e| matches!(e, CheckError::DigestMismatch { element, .. } if element == "family_name"),
    );
}

#[test]
fn m09_namespace_renamed() {
    let r = verify(&mutate(|v| {
        let Value::Map(m) = at(v, &doc_path(&[K::T("issuerSigned"), K::T("nameSpaces")])) else {
            panic!()
        };
        m[0].0 = Value::text("org.iso.18013.5.1.XX");
    }));
    rejected(
        &r,
        "namespace",
        |e| matches!(e, CheckError::DigestMissing { namespace, .. } if namespace == "org.iso.18013.5.1.XX"),
    );
}

#[test]
fn m10_wrong_doctype() {
    let r = verify(&mutate(|v| {
        *at(v, &doc_path(&[K::T("docType")])) = Value::text("org.iso.23220.photoid.1")
    }));
    rejected(
        &r,
        "docType",
        |e| matches!(e, CheckError::DocTypeMismatch { document, .. } if document == "org.iso.23220.photoid.1"),
    );
    // DeviceAuthentication covers the docType too.
    rejected(&r, "docType", |e| matches!(e, CheckError::DeviceMac { .. }));
}

#[test]
fn m11_clock_before_valid_from() {
    // The DS certificate is valid from 2020-10-01T00:00Z; the MSO from 13:30:02Z.
    let key = e_reader_key();
    let r = verify_at(
        &bytes("device_response"),
        &bytes("session_transcript_bytes"),
        datetime!(2020-10-01 13:00:00 UTC),
        Some(&key),
    );
    rejected(&r, "early", |e| matches!(e, CheckError::NotYetValid { .. }));
}

#[test]
fn m12_clock_after_valid_until() {
    let key = e_reader_key();
    let r = verify_at(
        &bytes("device_response"),
        &bytes("session_transcript_bytes"),
        datetime!(2021-10-02 00:00:00 UTC),
        Some(&key),
    );
    rejected(&r, "late", |e| matches!(e, CheckError::Expired { .. }));
    rejected(&r, "late", |e| {
        matches!(
            e,
            CheckError::UntrustedIssuer {
                source: TrustError::Expired { .. },
                ..
            }
        )
    });
}

#[test]
fn m13_clock_long_before_certificate() {
    let key = e_reader_key();
    let r = verify_at(
        &bytes("device_response"),
        &bytes("session_transcript_bytes"),
        datetime!(2019-01-01 00:00:00 UTC),
        Some(&key),
    );
    rejected(&r, "cert not yet valid", |e| {
        matches!(
            e,
            CheckError::UntrustedIssuer {
                source: TrustError::NotYetValid { .. },
                ..
            }
        )
    });
}

#[test]
fn m14_wrong_transcript_handover() {
    let mut t = value(&bytes("session_transcript"));
    let Value::Array(a) = &mut t else { panic!() };
    a[2] = Value::Null; // QR handover instead of the NFC one
    let key = e_reader_key();
    let r = verify_at(
        &bytes("device_response"),
        &t.to_vec(),
        VERIFICATION_TIME,
        Some(&key),
    );
    rejected(&r, "transcript", |e| {
        matches!(
            e,
            CheckError::DeviceMac {
                source: kakunin_core::cose::CoseError::BadTag,
                ..
            }
        )
    });
}

#[test]
fn m15_wrong_transcript_reader_key() {
    let other = default_provider().public_key(&random_p256()).unwrap();
    let mut t = value(&bytes("session_transcript"));
    let Value::Array(a) = &mut t else { panic!() };
    a[1] = Value::Tag(
        24,
        Box::new(Value::Bytes(kakunin_core::cose::encode_cose_key(&other))),
    );
    let key = e_reader_key();
    let r = verify_at(
        &bytes("device_response"),
        &t.to_vec(),
        VERIFICATION_TIME,
        Some(&key),
    );
    rejected(&r, "transcript key", |e| {
        matches!(e, CheckError::ReaderKeyNotInTranscript { .. })
    });
}

#[test]
fn m16_wrong_reader_key() {
    let key = random_p256();
    let r = verify_at(
        &bytes("device_response"),
        &bytes("session_transcript_bytes"),
        VERIFICATION_TIME,
        Some(&key),
    );
    rejected(&r, "reader key", |e| {
        matches!(e, CheckError::ReaderKeyNotInTranscript { .. })
    });
}

#[test]
fn m17_missing_reader_key() {
    let r = verify_at(
        &bytes("device_response"),
        &bytes("session_transcript_bytes"),
        VERIFICATION_TIME,
        None,
    );
    rejected(&r, "no reader key", |e| {
        matches!(e, CheckError::DeviceMacNeedsReaderKey { .. })
    });
    assert_eq!(
        r.all_errors().next().map(|e| e.cause()),
        Some(kakunin_core::Cause::Misuse)
    );
}

#[test]
fn m18_missing_x5chain() {
    let r = verify(&mutate(|v| {
        *at(v, &[issuer_auth_path(), vec![K::I(1)]].concat()) = Value::Map(vec![])
    }));
    rejected(&r, "x5chain", |e| {
        matches!(
            e,
            CheckError::IssuerAuthHeader {
                source: kakunin_core::cose::CoseError::MissingX5Chain,
                ..
            }
        )
    });
}

#[test]
fn m19_garbled_x5chain_certificate() {
    let r = verify(&mutate(|v| {
        if let Value::Bytes(c) = at(v, &[issuer_auth_path(), vec![K::I(1), K::N(33)]].concat()) {
            c.truncate(100);
        }
    }));
    rejected(&r, "garbled cert", |e| {
        matches!(
            e,
            CheckError::UntrustedIssuer {
                source: TrustError::MalformedCertificate { .. },
                ..
            }
        )
    });
}

#[test]
fn m20_x5chain_wrong_type() {
    let r = verify(&mutate(|v| {
        *at(v, &[issuer_auth_path(), vec![K::I(1), K::N(33)]].concat()) = Value::Uint(7)
    }));
    rejected(&r, "x5chain type", |e| {
        matches!(
            e,
            CheckError::IssuerAuthHeader {
                source: kakunin_core::cose::CoseError::MalformedX5Chain,
                ..
            }
        )
    });
}

#[test]
fn m21_untrusted_iaca() {
    let key = e_reader_key();
    let anchors = reader_anchors();
    let r = Verifier::new(&anchors)
        .with_reader_key(&key)
        .verify_device_response(
            &bytes("device_response"),
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
        );
    rejected(&r, "untrusted", |e| {
        matches!(
            e,
            CheckError::UntrustedIssuer {
                source: TrustError::UnknownIssuer,
                ..
            }
        )
    });
}

#[test]
fn m22_wrong_eku_reader_cert_as_ds() {
    // A reader-authentication certificate in x5chain, its own root trusted: the chain
    // builds, but the certificate is not a Document Signer.
    let key = e_reader_key();
    let anchors = reader_anchors();
    let response = mutate(|v| {
        *at(v, &[issuer_auth_path(), vec![K::I(1), K::N(33)]].concat()) =
            Value::Bytes(bytes("reader_cert.der"))
    });
    let r = Verifier::new(&anchors)
        .with_reader_key(&key)
        .verify_device_response(
            &response,
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
        );
    rejected(&r, "eku", |e| {
        matches!(
            e,
            CheckError::UntrustedIssuer {
                source: TrustError::WrongExtendedKeyUsage { .. },
                ..
            }
        )
    });
}

#[test]
fn m23_issuer_signature_flipped() {
    let r = verify(&mutate(|v| {
        if let Value::Bytes(s) = at(v, &[issuer_auth_path(), vec![K::I(3)]].concat()) {
            s[10] ^= 0x01;
        }
    }));
    rejected(&r, "sig", |e| {
        matches!(
            e,
            CheckError::IssuerSignature {
                source: kakunin_core::cose::CoseError::BadSignature,
                ..
            }
        )
    });
}

#[test]
fn m24_mso_digest_altered() {
    let r = verify(&mutate_mso(|mso| {
        if let Value::Bytes(d) = at(
            mso,
            &[K::T("valueDigests"), K::T("org.iso.18013.5.1"), K::N(0)],
        ) {
            d[0] ^= 0x01;
        }
    }));
    rejected(&r, "mso", |e| {
        matches!(e, CheckError::IssuerSignature { .. })
    });
    rejected(&r, "mso", |e| {
        matches!(e, CheckError::DigestMismatch { digest_id: 0, .. })
    });
}

#[test]
fn m25_mso_validity_extended() {
    // Extending validUntil is caught by the signature, not believed.
    let r = verify(&mutate_mso(|mso| {
        *at(mso, &[K::T("validityInfo"), K::T("validUntil")]) =
            Value::Tag(0, Box::new(Value::text("2099-01-01T00:00:00Z")))
    }));
    rejected(&r, "validUntil", |e| {
        matches!(e, CheckError::IssuerSignature { .. })
    });
}

#[test]
fn m26_algorithm_swapped_to_es384() {
    let r = verify(&mutate(|v| {
        edit_bstr(at(v, &[issuer_auth_path(), vec![K::I(0)]].concat()), |h| {
            *at(h, &[K::N(1)]) = Value::int(-35)
        })
    }));
    rejected(&r, "alg", |e| {
        matches!(
            e,
            CheckError::IssuerSignature {
                source: kakunin_core::cose::CoseError::AlgorithmKeyMismatch { .. },
                ..
            }
        )
    });
}

#[test]
fn m27_algorithm_unsupported() {
    let r = verify(&mutate(|v| {
        edit_bstr(at(v, &[issuer_auth_path(), vec![K::I(0)]].concat()), |h| {
            *at(h, &[K::N(1)]) = Value::int(-8)
        })
    }));
    rejected(&r, "alg", |e| {
        matches!(
            e,
            CheckError::IssuerSignature {
                source: kakunin_core::cose::CoseError::UnsupportedAlgorithm(-8),
                ..
            }
        )
    });
}

#[test]
fn m28_mso_payload_not_cbor() {
    let r = verify(&mutate(|v| {
        *at(v, &[issuer_auth_path(), vec![K::I(2)]].concat()) =
            Value::Bytes(vec![0xd8, 0x18, 0x45, 1, 2])
    }));
    rejected(&r, "mso garbage", |e| {
        matches!(e, CheckError::MalformedMso { .. })
    });
}

#[test]
fn m29_mso_wrong_digest_algorithm() {
    let r = verify(&mutate_mso(|mso| {
        *at(mso, &[K::T("digestAlgorithm")]) = Value::text("MD5")
    }));
    rejected(&r, "digestAlgorithm", |e| {
        matches!(e, CheckError::MalformedMso { .. })
    });
}

#[test]
fn m30_device_mac_tag_flipped() {
    let r = verify(&mutate(|v| {
        if let Value::Bytes(t) = at(
            v,
            &doc_path(&[
                K::T("deviceSigned"),
                K::T("deviceAuth"),
                K::T("deviceMac"),
                K::I(3),
            ]),
        ) {
            t[0] ^= 0x01;
        }
    }));
    rejected(&r, "mac", |e| {
        matches!(
            e,
            CheckError::DeviceMac {
                source: kakunin_core::cose::CoseError::BadTag,
                ..
            }
        )
    });
    assert_eq!(
        r.documents[0].outcome(Check::IssuerSignature),
        Outcome::Passed
    );
}

#[test]
fn m31_device_mac_algorithm_changed() {
    let r = verify(&mutate(|v| {
        edit_bstr(
            at(
                v,
                &doc_path(&[
                    K::T("deviceSigned"),
                    K::T("deviceAuth"),
                    K::T("deviceMac"),
                    K::I(0),
                ]),
            ),
            |h| *at(h, &[K::N(1)]) = Value::int(6),
        )
    }));
    rejected(&r, "mac alg", |e| {
        matches!(
            e,
            CheckError::DeviceMac {
                source: kakunin_core::cose::CoseError::UnsupportedAlgorithm(6),
                ..
            }
        )
    });
}

#[test]
fn m32_device_signed_element_added() {
    let r = verify(&mutate(|v| {
        edit_tag24(
            at(v, &doc_path(&[K::T("deviceSigned"), K::T("nameSpaces")])),
            |ns| {
                *ns = Value::Map(vec![(
                    Value::text("org.iso.18013.5.1"),
                    Value::Map(vec![(Value::text("age_over_21"), Value::Bool(true))]),
                )]);
            },
        )
    }));
    rejected(
        &r,
        "device ns",
        |e| matches!(e, CheckError::DeviceKeyNotAuthorized { element, .. } if element == "age_over_21"),
    );
    rejected(&r, "device ns", |e| {
        matches!(e, CheckError::DeviceMac { .. })
    });
}

#[test]
fn m33_device_signature_with_foreign_key() {
    // Replace the MAC by a signature from a key that is not the MSO's deviceKey.
    let crypto = default_provider();
    let key = random_p256();
    let payload = b"not the device authentication bytes";
    let sig = kakunin_core::cose::Sign1::sign(crypto, &key, payload, true, &[]).unwrap();
    let r = verify(&mutate(|v| {
        *at(v, &doc_path(&[K::T("deviceSigned"), K::T("deviceAuth")])) = Value::Map(vec![(
            Value::text("deviceSignature"),
            Value::Raw(sig.raw().to_vec()),
        )]);
    }));
    rejected(&r, "foreign sig", |e| {
        matches!(
            e,
            CheckError::DeviceSignature {
                source: kakunin_core::cose::CoseError::BadSignature,
                ..
            }
        )
    });
}

#[test]
fn m34_device_auth_both_kinds() {
    let r = verify(&mutate(|v| {
        let Value::Map(m) = at(v, &doc_path(&[K::T("deviceSigned"), K::T("deviceAuth")])) else {
            panic!()
        };
        let mac = m[0].1.clone();
        m.push((Value::text("deviceSignature"), mac));
    }));
    rejected(&r, "both", |e| {
        matches!(
            e,
            CheckError::Malformed(kakunin_core::mdoc::MdocError::Invalid {
                reason: kakunin_core::mdoc::InvalidReason::BothSignatureAndMac,
                ..
            })
        )
    });
}

#[test]
fn m35_status_not_ok() {
    // The document itself still verifies; the response as a whole is not accepted.
    let r = verify(&mutate(|v| *at(v, &[K::T("status")]) = Value::Uint(10)));
    assert!(!r.valid());
    assert_eq!(r.errors, vec![CheckError::ResponseStatus { status: 10 }]);
    assert!(r.documents[0].valid());
}

#[test]
fn m36_no_documents() {
    let r = verify(&mutate(|v| {
        let Value::Map(m) = v else { panic!() };
        m.retain(|(k, _)| k.as_text() != Some("documents"));
    }));
    rejected(&r, "no docs", |e| matches!(e, CheckError::NoDocuments));
}

#[test]
fn m37_unsupported_version() {
    let r = verify(&mutate(|v| *at(v, &[K::T("version")]) = Value::text("2.0")));
    rejected(&r, "version", |e| {
        matches!(
            e,
            CheckError::Malformed(kakunin_core::mdoc::MdocError::UnsupportedVersion { .. })
        )
    });
}

#[test]
fn m38_missing_issuer_auth() {
    let r = verify(&mutate(|v| {
        let Value::Map(m) = at(v, &doc_path(&[K::T("issuerSigned")])) else {
            panic!()
        };
        m.retain(|(k, _)| k.as_text() != Some("issuerAuth"));
    }));
    rejected(
        &r,
        "issuerAuth",
        |e| matches!(e, CheckError::Malformed(kakunin_core::mdoc::MdocError::Missing { path }) if path.ends_with("issuerSigned.issuerAuth")),
    );
}

#[test]
fn m39_element_identifier_wrong_type() {
    let r = verify(&mutate_item(0, |i| {
        *at(i, &[K::T("elementIdentifier")]) = Value::Uint(5)
    }));
    rejected(&r, "identifier type", |e| {
        matches!(
            e,
            CheckError::Malformed(kakunin_core::mdoc::MdocError::WrongType {
                expected: kakunin_core::mdoc::Expected::Type(kakunin_core::cbor::CborType::Text),
                ..
            })
        )
    });
}

#[test]
fn m40_truncation_at_every_offset() {
    let full = bytes("device_response");
    let key = e_reader_key();
    for len in 0..full.len() {
        let r = verify_at(
            &full[..len],
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
            Some(&key),
        );
        assert!(!r.valid(), "truncated to {len} accepted");
        assert!(
            r.errors.iter().any(|e| matches!(
                e,
                CheckError::Malformed(kakunin_core::mdoc::MdocError::Cbor { .. })
            )),
            "truncated to {len}: {:?}",
            r.errors
        );
    }
}

#[test]
fn m41_huge_declared_lengths() {
    // A byte string claiming 2^63 bytes, and an array claiming 2^32 elements.
    for input in [
        vec![0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x00],
        vec![
            0xa1, 0x69, b'd', b'o', b'c', b'u', b'm', b'e', b'n', b't', b's', 0x9b, 0, 0, 0, 1, 0,
            0, 0, 0,
        ],
    ] {
        let r = verify(&input);
        rejected(&r, "huge", |e| {
            matches!(e, CheckError::Malformed(kakunin_core::mdoc::MdocError::Cbor { source, .. })
                if matches!(source.kind, cbor::CborErrorKind::LengthBeyondInput { .. }))
        });
    }
}

#[test]
fn m42_deep_nesting() {
    let mut input = vec![0x81; 10_000];
    input.push(0x00);
    let r = verify(&input);
    rejected(&r, "deep", |e| {
        matches!(e, CheckError::Malformed(kakunin_core::mdoc::MdocError::Cbor { source, .. })
            if matches!(source.kind, cbor::CborErrorKind::TooDeep { .. }))
    });
}

#[test]
fn m43_indefinite_length_documents() {
    // documents: [ ... ] rewritten as an indefinite-length array (0x9f ... 0xff).
    let r = verify(&mutate(|v| {
        let docs = at(v, &[K::T("documents")]);
        let Value::Array(a) = docs else { panic!() };
        let mut raw = vec![0x9f];
        raw.extend(a[0].to_vec());
        raw.push(0xff);
        *docs = Value::Raw(raw);
    }));
    rejected(&r, "indefinite", |e| {
        matches!(e, CheckError::Malformed(kakunin_core::mdoc::MdocError::Cbor { source, .. })
            if source.kind == cbor::CborErrorKind::IndefiniteLength)
    });
}

#[test]
fn m44_trailing_bytes() {
    let mut input = bytes("device_response");
    input.push(0x00);
    let r = verify(&input);
    rejected(&r, "trailing", |e| {
        matches!(e, CheckError::Malformed(kakunin_core::mdoc::MdocError::Cbor { source, .. })
            if source.kind == cbor::CborErrorKind::TrailingBytes { count: 1 })
    });
}

#[test]
fn m45_duplicate_map_key() {
    let r = verify(&mutate(|v| {
        let Value::Map(m) = v else { panic!() };
        m.push((Value::text("status"), Value::Uint(0)));
    }));
    rejected(&r, "dup key", |e| {
        matches!(e, CheckError::Malformed(kakunin_core::mdoc::MdocError::Cbor { source, .. })
            if source.kind == cbor::CborErrorKind::DuplicateMapKey)
    });
}

#[test]
fn m46_duplicate_key_inside_tag24_item() {
    let r = verify(&mutate_item(0, |i| {
        let Value::Map(m) = i else { panic!() };
        m.push((Value::text("digestID"), Value::Uint(0)));
    }));
    rejected(&r, "dup key in item", |e| {
        matches!(e, CheckError::Malformed(kakunin_core::mdoc::MdocError::Cbor { source, .. })
            if source.kind == cbor::CborErrorKind::DuplicateMapKey)
    });
}

#[test]
fn m47_malformed_transcript() {
    let key = e_reader_key();
    let r = verify_at(
        &bytes("device_response"),
        &[0xa0],
        VERIFICATION_TIME,
        Some(&key),
    );
    rejected(&r, "transcript", |e| {
        matches!(
            e,
            CheckError::Malformed(kakunin_core::mdoc::MdocError::WrongType { .. })
        )
    });
}

#[test]
fn m48_bit_flip_at_every_byte_never_panics_and_never_changes_values() {
    let full = bytes("device_response");
    let key = e_reader_key();
    let transcript = bytes("session_transcript_bytes");
    let reference = verify(&full);
    let mut accepted = Vec::new();
    for i in 0..full.len() {
        let mut m = full.clone();
        m[i] ^= 0x04;
        let r = verify_at(&m, &transcript, VERIFICATION_TIME, Some(&key));
        if r.valid() {
            accepted.push(i);
            // Anything still accepted may drop elements (e.g. an unknown key where
            // "nameSpaces" was: nothing disclosed), but never alter or add one.
            for e in &r.documents[0].elements {
                assert!(
                    reference.documents[0].elements.contains(e),
                    "flip at {i} produced {e:?}"
                );
            }
        }
    }
    // Only bytes outside every hash, signature and MAC may flip unnoticed: the version text
    // ("1.0" -> "1.4", offset 12) and the key "nameSpaces" of IssuerSigned (offsets 70-79),
    // whose loss only hides the issuer-signed elements (checked above).
    let expected: Vec<usize> = std::iter::once(12).chain(70..=79).collect();
    assert_eq!(accepted, expected, "unexpected accepted flips");
}

// --- DeviceRequest / readerAuth ------------------------------------------------------------

fn verify_request(
    request: &[u8],
    transcript: &[u8],
    at: OffsetDateTime,
) -> kakunin_verifier::RequestReport {
    kakunin_verifier::verify_device_request(request, transcript, &reader_anchors(), at)
}

fn mutate_request(f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = value(&bytes("device_request"));
    f(&mut v);
    v.to_vec()
}

#[track_caller]
fn request_rejected(
    r: &kakunin_verifier::RequestReport,
    what: &str,
    pred: impl Fn(&CheckError) -> bool,
) {
    assert!(!r.all_reader_authenticated(), "{what}: accepted");
    let errs: Vec<_> = r
        .errors
        .iter()
        .chain(r.doc_requests.iter().flat_map(|d| d.errors.iter()))
        .collect();
    assert!(
        errs.iter().any(|e| pred(e)),
        "{what}: expected error not in {errs:#?}"
    );
}

const RA: [K; 3] = [K::T("docRequests"), K::I(0), K::T("readerAuth")];

#[test]
fn r01_baseline_reader_authenticated() {
    let r = verify_request(
        &bytes("device_request"),
        &bytes("session_transcript_bytes"),
        VERIFICATION_TIME,
    );
    assert!(r.all_reader_authenticated(), "{r:?}");
    assert_eq!(
        r.doc_requests[0].reader_common_name.as_deref(),
        Some("reader")
    );
}

#[test]
fn r02_reader_signature_flipped() {
    let req = mutate_request(|v| {
        if let Value::Bytes(s) = at(v, &[RA.to_vec(), vec![K::I(3)]].concat()) {
            s[5] ^= 1;
        }
    });
    let r = verify_request(&req, &bytes("session_transcript_bytes"), VERIFICATION_TIME);
    request_rejected(&r, "sig", |e| {
        matches!(
            e,
            CheckError::ReaderAuthSignature {
                source: kakunin_core::cose::CoseError::BadSignature,
                ..
            }
        )
    });
}

#[test]
fn r03_items_request_altered() {
    let req = mutate_request(|v| {
        edit_tag24(
            at(v, &[K::T("docRequests"), K::I(0), K::T("itemsRequest")]),
            |ir| {
                *at(
                    ir,
                    &[
                        K::T("nameSpaces"),
                        K::T("org.iso.18013.5.1"),
                        K::T("portrait"),
                    ],
                ) = Value::Bool(true)
            },
        )
    });
    let r = verify_request(&req, &bytes("session_transcript_bytes"), VERIFICATION_TIME);
    request_rejected(&r, "items", |e| {
        matches!(e, CheckError::ReaderAuthSignature { .. })
    });
}

#[test]
fn r04_reader_untrusted() {
    let r = kakunin_verifier::verify_device_request(
        &bytes("device_request"),
        &bytes("session_transcript_bytes"),
        &iaca_anchors(),
        VERIFICATION_TIME,
    );
    request_rejected(&r, "untrusted", |e| {
        matches!(
            e,
            CheckError::UntrustedReader {
                source: TrustError::UnknownIssuer,
                ..
            }
        )
    });
}

#[test]
fn r05_ds_certificate_as_reader() {
    let req = mutate_request(|v| {
        *at(v, &[RA.to_vec(), vec![K::I(1), K::N(33)]].concat()) =
            Value::Bytes(bytes("ds_cert.der"))
    });
    let r = kakunin_verifier::verify_device_request(
        &req,
        &bytes("session_transcript_bytes"),
        &iaca_anchors(),
        VERIFICATION_TIME,
    );
    request_rejected(&r, "eku", |e| {
        matches!(
            e,
            CheckError::UntrustedReader {
                source: TrustError::WrongExtendedKeyUsage { .. },
                ..
            }
        )
    });
}

#[test]
fn r06_reader_wrong_transcript() {
    let mut t = value(&bytes("session_transcript"));
    let Value::Array(a) = &mut t else { panic!() };
    a[2] = Value::Null;
    let r = verify_request(&bytes("device_request"), &t.to_vec(), VERIFICATION_TIME);
    request_rejected(&r, "transcript", |e| {
        matches!(e, CheckError::ReaderAuthSignature { .. })
    });
}

#[test]
fn r07_reader_certificate_expired() {
    let r = verify_request(
        &bytes("device_request"),
        &bytes("session_transcript_bytes"),
        datetime!(2030-01-01 00:00:00 UTC),
    );
    request_rejected(&r, "expired", |e| {
        matches!(
            e,
            CheckError::UntrustedReader {
                source: TrustError::Expired { .. },
                ..
            }
        )
    });
}

#[test]
fn r08_request_truncation_never_panics() {
    let full = bytes("device_request");
    for len in 0..full.len() {
        let r = verify_request(
            &full[..len],
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
        );
        assert!(!r.all_reader_authenticated(), "truncated to {len} accepted");
        assert!(!r.errors.is_empty(), "truncated to {len}: no error");
    }
}

#[test]
fn m49_device_signature_with_attached_payload() {
    // DeviceSignature must have a detached (null) payload; an attached one is refused, not
    // verified in place of DeviceAuthenticationBytes (found by the `structures` fuzz target).
    let crypto = default_provider();
    let key = random_p256();
    let sig = kakunin_core::cose::Sign1::sign(crypto, &key, b"attached", false, &[]).unwrap();
    let r = verify(&mutate(|v| {
        *at(v, &doc_path(&[K::T("deviceSigned"), K::T("deviceAuth")])) = Value::Map(vec![(
            Value::text("deviceSignature"),
            Value::Raw(sig.raw().to_vec()),
        )]);
    }));
    rejected(&r, "attached payload", |e| {
        matches!(
            e,
            CheckError::DeviceSignature {
                source: kakunin_core::cose::CoseError::UnexpectedPayload,
                ..
            }
        )
    });
}
