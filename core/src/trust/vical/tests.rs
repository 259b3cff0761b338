//! VICAL tests on the two real lists (AAMVA 2024-09-24, Austroads 2024-09-19; provenance in
//! spec-vectors/data/vical/PROVENANCE.md) and on structurally altered copies of them.
//! Lists signed by a test PKI (EKU, expiry, docType scoping) are tested in the issuer crate.

use super::*;
use crate::cbor::{decode, Encoder, Value};
use crate::crypto::default_provider;
use crate::trust::{parse_certificate_input, TrustAnchors, TrustError};
use time::macros::datetime;

const AAMVA: &[u8] = include_bytes!("../../../../spec-vectors/data/vical/aamva-20240924.vical");
const AUSTROADS: &[u8] =
    include_bytes!("../../../../spec-vectors/data/vical/austroads-20240919.vical");
const AAMVA_ROOT: &str = include_str!("../../../../spec-vectors/data/vical/aamva-dts-root.pem");
const AUSTROADS_ROOT: &str = include_str!("../../../../spec-vectors/data/vical/austroads-root.pem");

const AAMVA_AT: time::OffsetDateTime = datetime!(2024-09-25 00:00:00 UTC);
const AUSTROADS_AT: time::OffsetDateTime = datetime!(2024-10-01 00:00:00 UTC);

fn anchors(pem: &str) -> TrustAnchors {
    TrustAnchors::from_der_certs([parse_certificate_input(pem.as_bytes()).unwrap()]).unwrap()
}

fn verify(bytes: &[u8], root: &str, at: time::OffsetDateTime) -> Result<VerifiedVical, VicalError> {
    VerifiedVical::from_bytes(
        bytes,
        &anchors(root),
        default_provider(),
        at,
        &VicalPolicy::default(),
    )
}

fn has(v: &VerifiedVical, index: usize, kind: WarningKind) -> bool {
    v.warnings().contains(&VicalWarning { index, kind })
}

#[test]
fn aamva_verifies_with_its_published_root() {
    let v = verify(AAMVA, AAMVA_ROOT, AAMVA_AT).unwrap();
    assert_eq!(v.provider(), "AAMVA");
    assert_eq!(v.version(), "1.0");
    assert_eq!(v.date(), datetime!(2024-09-24 17:37:31 UTC));
    assert_eq!(v.next_update(), Some(datetime!(2024-09-25 17:37:31 UTC)));
    assert_eq!(v.issue_id(), Some(616575));
    assert_eq!(v.entries().len(), 3);
    let e0 = &v.entries()[0];
    assert_eq!(
        e0.subject().common_name.as_deref(),
        Some("Fast Enterprises Root")
    );
    assert_eq!(e0.subject().state.as_deref(), Some("US-MD"));
    assert_eq!(e0.doc_types(), ["org.iso.18013.5.1.mDL"]);
    for i in 0..3 {
        assert!(has(&v, i, WarningKind::SkiDerWrapped), "{:?}", v.warnings());
        assert!(v.entries()[i].ski().is_some_and(|s| s.len() == 20));
    }
    assert_eq!(
        v.signer().leaf_subject.common_name.as_deref(),
        Some("AAMVA Prod Vical-Signer-01")
    );
    // The root shipped in the x5chain is the published one.
    let signed = SignedVical::parse(AAMVA).unwrap();
    assert!(!signed.is_tagged());
    assert_eq!(
        signed.x5chain()[2],
        parse_certificate_input(AAMVA_ROOT.as_bytes()).unwrap()
    );
}

#[test]
fn austroads_verifies_with_its_root() {
    let v = verify(AUSTROADS, AUSTROADS_ROOT, AUSTROADS_AT).unwrap();
    assert_eq!(v.provider(), "Austroads");
    assert_eq!(v.date(), datetime!(2024-09-19 23:19:59 UTC));
    assert_eq!(v.next_update(), None);
    assert_eq!(v.issue_id(), Some(15));
    assert_eq!(v.entries().len(), 35);
    let e1 = &v.entries()[1];
    assert_eq!(
        e1.subject().common_name.as_deref(),
        Some("OWF Identity Credential TEST IACA")
    );
    assert_eq!(
        e1.doc_types(),
        [
            "org.iso.18013.5.1.mDL",
            "org.iso.23220.photoid.1",
            "org.micov.1",
            "org.iso.7367.1.mVRC"
        ]
    );
    // Entry 18 (IACA_mDO_GEN_01) was reported to carry a ski without the extension; in this
    // file its certificate has a SubjectKeyIdentifier and the ski matches it. The list's hints
    // all agree with the certificates.
    assert_eq!(
        v.entries()[18].subject().common_name.as_deref(),
        Some("IACA_mDO_GEN_01")
    );
    assert_eq!(v.entries()[18].ski().map(<[u8]>::len), Some(20));
    assert!(!v.warnings().iter().any(|w| w.index == 18));
    assert!(SignedVical::parse(AUSTROADS)
        .unwrap()
        .unverified_contents()
        .warnings()
        .is_empty());
    let anchors = v.into_trust_anchors();
    assert_eq!(anchors.len(), 35);
    assert!(anchors.iter().all(|a| a.doc_types().is_some()));
}

/// The bytes as received come back byte for byte, though the list is held as its
/// Sig_structure and envelope.
#[test]
fn received_bytes_are_kept() {
    for (list, root, at) in [
        (AAMVA, AAMVA_ROOT, AAMVA_AT),
        (AUSTROADS, AUSTROADS_ROOT, AUSTROADS_AT),
    ] {
        assert_eq!(SignedVical::parse(list).unwrap().received_bytes(), list);
        assert_eq!(verify(list, root, at).unwrap().received_bytes(), list);
    }
}

#[test]
fn tagged_form_is_accepted() {
    let mut tagged = vec![0xd2];
    tagged.extend_from_slice(AUSTROADS);
    let v = verify(&tagged, AUSTROADS_ROOT, AUSTROADS_AT).unwrap();
    assert_eq!(v.received_bytes(), tagged);
    assert_eq!(v.entries().len(), 35);
}

#[test]
fn every_flipped_byte_region_is_refused() {
    // A byte in the payload, in the signature, in the signer certificate: never verified.
    for pos in [AUSTROADS.len() / 2, AUSTROADS.len() - 5, 100] {
        let mut bad = AUSTROADS.to_vec();
        bad[pos] ^= 0x01;
        let r = verify(&bad, AUSTROADS_ROOT, AUSTROADS_AT);
        assert!(r.is_err(), "flipped byte {pos} accepted");
    }
    let mut bad = AUSTROADS.to_vec();
    let last = bad.len() - 3;
    bad[last] ^= 0x80;
    assert_eq!(
        verify(&bad, AUSTROADS_ROOT, AUSTROADS_AT).unwrap_err(),
        VicalError::BadSignature
    );
}

#[test]
fn wrong_authority_and_shipped_root_are_not_anchors() {
    let e = verify(AAMVA, AUSTROADS_ROOT, AAMVA_AT).unwrap_err();
    assert_eq!(e, VicalError::UntrustedSigner(TrustError::UnknownIssuer));
    assert_eq!(e.cause(), crate::Cause::Untrusted);
    let e = verify(AUSTROADS, AAMVA_ROOT, AUSTROADS_AT).unwrap_err();
    assert_eq!(e, VicalError::UntrustedSigner(TrustError::UnknownIssuer));
    let none = VerifiedVical::from_bytes(
        AAMVA,
        &TrustAnchors::default(),
        default_provider(),
        AAMVA_AT,
        &VicalPolicy::default(),
    );
    assert_eq!(
        none.unwrap_err(),
        VicalError::UntrustedSigner(TrustError::NoAnchors)
    );
}

#[test]
fn dates_and_rollback() {
    let stale = verify(AAMVA, AAMVA_ROOT, datetime!(2024-09-26 00:00:00 UTC)).unwrap_err();
    assert!(matches!(stale, VicalError::Stale { .. }), "{stale:?}");
    assert_eq!(stale.cause(), crate::Cause::FailedCheck);
    let graced = VerifiedVical::from_bytes(
        AAMVA,
        &anchors(AAMVA_ROOT),
        default_provider(),
        datetime!(2024-09-26 00:00:00 UTC),
        &VicalPolicy {
            next_update_grace: time::Duration::days(1),
            ..VicalPolicy::default()
        },
    );
    assert!(graced.is_ok());
    let future = verify(AAMVA, AAMVA_ROOT, datetime!(2024-09-24 12:00:00 UTC)).unwrap_err();
    assert!(
        matches!(future, VicalError::FutureDate { .. }),
        "{future:?}"
    );
    let policy = |min| VicalPolicy {
        min_issue_id: Some(min),
        ..VicalPolicy::default()
    };
    let roots = anchors(AAMVA_ROOT);
    let c = default_provider();
    let rollback = VerifiedVical::from_bytes(AAMVA, &roots, c, AAMVA_AT, &policy(616_576));
    assert_eq!(
        rollback.unwrap_err(),
        VicalError::Rollback {
            found: Some(616_575),
            min: 616_576
        }
    );
    assert!(VerifiedVical::from_bytes(AAMVA, &roots, c, AAMVA_AT, &policy(616_575)).is_ok());
}

/// The Austroads list with its payload rewritten by `edit` (the signature no longer
/// matches, but every case here is refused while parsing, before any signature check).
fn altered(edit: impl FnOnce(&mut Vec<(Value, Value)>)) -> Vec<u8> {
    let top = decode(AUSTROADS).unwrap();
    let arr = top.as_array().unwrap();
    let payload = decode(arr[2].as_bytes().unwrap()).unwrap().to_value();
    let Value::Map(mut m) = payload else { panic!() };
    edit(&mut m);
    let mut e = Encoder::new();
    e.array(4)
        .raw(arr[0].raw())
        .raw(arr[1].raw())
        .bytes(&Value::Map(m).to_vec())
        .raw(arr[3].raw());
    e.into_bytes()
}

fn infos(m: &mut [(Value, Value)]) -> &mut Vec<Value> {
    let (_, v) = m
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some("certificateInfos"))
        .unwrap();
    let Value::Array(a) = v else { panic!() };
    a
}

fn entry_field(entry: &mut Value, key: &str) -> Option<usize> {
    let Value::Map(m) = entry else { panic!() };
    m.iter().position(|(k, _)| k.as_text() == Some(key))
}

#[test]
fn malformed_entries_name_index_and_field() {
    let no_doc_type = altered(|m| {
        let e = &mut infos(m)[4];
        let i = entry_field(e, "docType").unwrap();
        let Value::Map(em) = e else { panic!() };
        em.remove(i);
    });
    assert_eq!(
        SignedVical::parse(&no_doc_type).unwrap_err(),
        VicalError::Entry {
            index: 4,
            field: "docType",
            reason: FieldDefect::Missing
        }
    );
    let bad_cert = altered(|m| {
        let e = &mut infos(m)[7];
        let i = entry_field(e, "certificate").unwrap();
        let Value::Map(em) = e else { panic!() };
        em[i].1 = Value::Bytes(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
    });
    let err = SignedVical::parse(&bad_cert).unwrap_err();
    assert!(
        matches!(err, VicalError::EntryCertificate { index: 7, .. }),
        "{err:?}"
    );
    assert_eq!(err.cause(), crate::Cause::Malformed);
    let empty_doc_types = altered(|m| {
        let e = &mut infos(m)[0];
        let i = entry_field(e, "docType").unwrap();
        let Value::Map(em) = e else { panic!() };
        em[i].1 = Value::Array(vec![]);
    });
    assert_eq!(
        SignedVical::parse(&empty_doc_types).unwrap_err(),
        VicalError::Entry {
            index: 0,
            field: "docType",
            reason: FieldDefect::Empty
        }
    );
    let not_a_map = altered(|m| infos(m)[2] = Value::Uint(1));
    assert!(matches!(
        SignedVical::parse(&not_a_map).unwrap_err(),
        VicalError::Entry { index: 2, .. }
    ));
    let no_entries = altered(|m| infos(m).clear());
    assert_eq!(
        SignedVical::parse(&no_entries).unwrap_err(),
        VicalError::Field {
            field: "certificateInfos",
            reason: FieldDefect::Empty
        }
    );
    let no_provider = altered(|m| m.retain(|(k, _)| k.as_text() != Some("vicalProvider")));
    assert_eq!(
        SignedVical::parse(&no_provider).unwrap_err(),
        VicalError::Field {
            field: "vicalProvider",
            reason: FieldDefect::Missing
        }
    );
    let bad_date = altered(|m| {
        for (k, v) in m.iter_mut() {
            if k.as_text() == Some("date") {
                *v = Value::text("2024-09-19");
            }
        }
    });
    assert_eq!(
        SignedVical::parse(&bad_date).unwrap_err(),
        VicalError::Field {
            field: "date",
            reason: FieldDefect::BadDate
        }
    );
}

#[test]
fn duplicate_entries_are_refused() {
    let dup = altered(|m| {
        let a = infos(m);
        let copy = a[3].clone();
        a.push(copy);
    });
    assert_eq!(
        SignedVical::parse(&dup).unwrap_err(),
        VicalError::DuplicateEntry {
            index: 35,
            first: 3
        }
    );
}

#[test]
fn bounds() {
    let big = vec![0u8; MAX_VICAL_LEN + 1];
    assert!(matches!(
        SignedVical::parse(&big).unwrap_err(),
        VicalError::TooLarge { .. }
    ));
    // Nesting far beyond the decoder's depth bound, in the payload.
    let deep = altered(|m| {
        let mut v = Value::Uint(0);
        for _ in 0..100 {
            v = Value::Array(vec![v]);
        }
        m.push((Value::text("extensions"), v));
    });
    assert!(matches!(
        SignedVical::parse(&deep).unwrap_err(),
        VicalError::Cbor {
            part: VicalPart::Payload,
            ..
        }
    ));
    for junk in [
        &b""[..],
        &[0x80],
        &[0x84, 0x40, 0xa0, 0xf6, 0x40],
        &[0xc1, 0x00],
    ] {
        assert!(SignedVical::parse(junk).is_err());
    }
    assert!(SignedVical::parse(&AUSTROADS[..AUSTROADS.len() - 1]).is_err());
}

#[test]
fn unverified_contents_show_entries_without_certificates() {
    let s = SignedVical::parse(AUSTROADS).unwrap();
    let c = s.unverified_contents();
    assert_eq!(c.entries().len(), 35);
    assert_eq!(c.issue_id(), Some(15));
    assert_eq!(c.provider(), "Austroads");
}

fn set_entry_field(m: &mut [(Value, Value)], index: usize, key: &str, value: Option<Value>) {
    let e = &mut infos(m)[index];
    let i = entry_field(e, key).unwrap();
    let Value::Map(em) = e else { panic!() };
    match value {
        Some(v) => em[i].1 = v,
        None => {
            em.remove(i);
        }
    }
}

#[test]
fn hint_mismatches_are_warnings_not_errors() {
    let bytes = altered(|m| {
        set_entry_field(m, 18, "ski", Some(Value::Bytes(vec![1; 20])));
        set_entry_field(m, 5, "ski", None);
        set_entry_field(
            m,
            6,
            "serialNumber",
            Some(Value::Tag(2, Box::new(Value::Bytes(vec![9])))),
        );
        set_entry_field(
            m,
            7,
            "notAfter",
            Some(Value::Tag(0, Box::new(Value::text("2099-01-01T00:00:00Z")))),
        );
        set_entry_field(m, 8, "subject", Some(Value::Bytes(vec![0x30, 0x00])));
    });
    let s = SignedVical::parse(&bytes).unwrap();
    let w = s.unverified_contents().warnings();
    for (index, kind) in [
        (18, WarningKind::SkiMismatch),
        (5, WarningKind::SkiMissing),
        (6, WarningKind::SerialMismatch),
        (7, WarningKind::NotAfterMismatch),
        (8, WarningKind::SubjectMismatch),
    ] {
        assert!(
            w.contains(&VicalWarning { index, kind }),
            "{index} {kind:?}: {w:?}"
        );
    }
    assert_eq!(w.len(), 5);
    // The entry still carries the certificate's own values.
    assert_eq!(
        s.unverified_contents().entries()[18].ski().map(<[u8]>::len),
        Some(20)
    );
}

/// Error kinds of malformed lists not pinned above: a CBOR error anywhere in the payload wins
/// over a field error before it (as when the payload was decoded whole first); field errors
/// come in field order whatever the key order; version and entry-count bounds.
#[test]
fn malformed_list_error_kinds() {
    // `version` missing, and a text with invalid UTF-8 after it: the CBOR error.
    let bytes = altered(|m| {
        m.retain(|(k, _)| k.as_text() != Some("version"));
        m.push((Value::text("extensions"), Value::Raw(vec![0x61, 0xff])));
    });
    assert!(matches!(
        SignedVical::parse(&bytes).unwrap_err(),
        VicalError::Cbor {
            part: VicalPart::Payload,
            error: crate::cbor::CborError {
                kind: crate::cbor::CborErrorKind::InvalidUtf8,
                ..
            }
        }
    ));
    // A repeated key in an entry: the CBOR error, though an earlier entry is malformed.
    let bytes = altered(|m| {
        let a = infos(m);
        let Value::Map(e0) = &mut a[0] else { panic!() };
        e0.retain(|(k, _)| k.as_text() != Some("docType"));
        let Value::Map(e3) = &mut a[3] else { panic!() };
        let again = e3[0].clone();
        e3.push(again);
    });
    assert!(matches!(
        SignedVical::parse(&bytes).unwrap_err(),
        VicalError::Cbor {
            part: VicalPart::Payload,
            error: crate::cbor::CborError {
                kind: crate::cbor::CborErrorKind::DuplicateMapKey,
                ..
            }
        }
    ));
    // certificateInfos first and malformed, version after it and unsupported: the version.
    let bytes = altered(|m| {
        m.reverse();
        for (k, v) in m.iter_mut() {
            if k.as_text() == Some("version") {
                *v = Value::text("2.0");
            }
        }
        infos(m)[0] = Value::Uint(1);
    });
    assert_eq!(
        SignedVical::parse(&bytes).unwrap_err(),
        VicalError::UnsupportedVersion("2.0".into())
    );
    // Two malformed fields of one entry, in either order: the one checked first.
    for reversed in [false, true] {
        let bytes = altered(|m| {
            set_entry_field(m, 9, "notAfter", Some(Value::Uint(1)));
            set_entry_field(m, 9, "ski", Some(Value::text("x")));
            if reversed {
                let Value::Map(e) = &mut infos(m)[9] else {
                    panic!()
                };
                e.reverse();
            }
        });
        assert_eq!(
            SignedVical::parse(&bytes).unwrap_err(),
            VicalError::Entry {
                index: 9,
                field: "ski",
                reason: FieldDefect::WrongType
            }
        );
    }
    let too_many = altered(|m| {
        // Entries that are not even maps: the count is checked first.
        infos(m).resize(MAX_VICAL_ENTRIES + 1, Value::Uint(1));
    });
    assert_eq!(
        SignedVical::parse(&too_many).unwrap_err(),
        VicalError::TooManyEntries {
            count: MAX_VICAL_ENTRIES + 1,
            max: MAX_VICAL_ENTRIES
        }
    );
    let not_a_list = altered(|m| {
        for (k, v) in m.iter_mut() {
            if k.as_text() == Some("certificateInfos") {
                *v = Value::Map(vec![]);
            }
        }
    });
    assert_eq!(
        SignedVical::parse(&not_a_list).unwrap_err(),
        VicalError::Field {
            field: "certificateInfos",
            reason: FieldDefect::WrongType
        }
    );
}

/// The `YYYY-MM-DDTHH:MM:SSZ` fast path reads what `time` reads, and refuses nothing
/// `time` accepts: on edge dates and on many strings of that shape, valid or not.
#[test]
fn rfc3339_fast_path_agrees_with_time() {
    let by_time = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    };
    let mut cases: Vec<String> = [
        "2024-09-19T23:19:59Z",
        "2024-02-29T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2000-02-29T12:00:00Z",
        "1900-02-29T12:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2024-12-31T23:59:60Z",
        "2024-06-30T23:59:60Z",
        "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T23:60:00Z",
        "2024-01-01t00:00:00z",
        "2024-01-01T00:00:00+01:00",
        "2024-01-01T00:00:00.5Z",
        "2024-01-01 00:00:00Z",
        "+2024-01-01T00:00:00Z",
        "2024-1-01T00:00:00Z",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rand = crate::test_rand::xorshift(0x1234_5678_9abc_def1);
    for _ in 0..5000 {
        let state = rand();
        let d = |i: u32| char::from(b'0' + u8::try_from((state >> (i * 3)) % 10).unwrap());
        let w = |i: u32, max: u64| (state >> (i * 5)) % max;
        cases.push(format!(
            "{}{}{}{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d(0),
            d(1),
            d(2),
            d(3),
            w(4, 14),
            w(5, 33),
            w(6, 26),
            w(7, 62),
            w(8, 62),
        ));
    }
    let mut fast = 0;
    for s in &cases {
        assert_eq!(parse::rfc3339(s), by_time(s), "{s}");
        fast += usize::from(by_time(s).is_some());
    }
    assert!(fast > 1000, "{fast}");
}
