//! Every published example of the IETF Token Status List (draft-ietf-oauth-status-list-20),
//! checked as published.
//!
//! The data in `data/status-list/` is the draft's own `examples/` directory, byte for byte, with
//! the statuses the draft documents for each list (provenance in its `PROVENANCE.md`). For each
//! Status List (JSON and CBOR, 1, 2, 4 and 8 bits) the suite decodes `lst` and requires exactly
//! the documented non-VALID entries at the documented indices, and VALID everywhere else. The
//! signed examples (the JWT and CWT Status List Tokens, and the Referenced Token in CWT form)
//! must verify under the draft's example key. The Referenced Token's `status` is then resolved
//! against the CWT and JWT lists. Last, a few checks change one thing in a published token and
//! expect the one undetermined reason that change must cause.

use crate::{err, jwk_private_key, CheckResult, Runner, VectorCheck};
use kakunin_core::cbor::{decode, Item};
use kakunin_core::cose::Sign1;
use kakunin_core::crypto::{default_provider, EcPublicKey};
use kakunin_core::sdjwt::jwk_to_key;
use kakunin_core::status::{
    check_status, Bits, CheckContext, FreshnessPolicy, SignerTrust, StatusCheck, StatusList,
    StatusListError, StatusListToken, StatusReference, UndeterminedKind,
};
use serde_json::Value;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Where the vectors come from.
pub const SOURCE: &str =
    "draft-ietf-oauth-status-list-20 examples (oauth-wg/draft-ietf-oauth-status-list \
                          @ 2fb61cd535a82ec77fe43d604e31b7012cab4adc)";

/// The examples' `iat` (2023-06-16T12:56:10Z); `ttl` is 12 hours.
pub const EXAMPLE_IAT: i64 = 1_686_920_170;
/// The examples are checked one hour after `iat`, inside their `ttl`.
pub const VERIFICATION_TIME: i64 = EXAMPLE_IAT + 3600;
/// The examples' `sub`, and the Referenced Token's `uri`.
pub const EXAMPLE_URI: &str = "https://example.com/statuslists/1";

macro_rules! data {
    ($name:literal) => {
        ($name, include_str!(concat!("../data/status-list/", $name)))
    };
}

/// The files, by name.
pub const FILES: &[(&str, &str)] = &[
    data!("example-key.json"),
    data!("status_list_encoding_json.md"),
    data!("status_list_encoding_cbor.md"),
    data!("status_list_encoding_cbor_diag.md"),
    data!("status_list_encoding2_json.md"),
    data!("status_list_encoding2_cbor.md"),
    data!("status_list_encoding2_cbor_diag.md"),
    data!("status_list_encoding1_long_json.md"),
    data!("status_list_encoding1_long_cbor.md"),
    data!("status_list_encoding2_long_json.md"),
    data!("status_list_encoding2_long_cbor.md"),
    data!("status_list_encoding4_json.md"),
    data!("status_list_encoding4_cbor.md"),
    data!("status_list_encoding8_json.md"),
    data!("status_list_encoding8_cbor.md"),
    data!("status_list_jwt_raw.md"),
    data!("status_list_jwt.md"),
    data!("status_list_cwt.md"),
    data!("status_list_cwt_diag.md"),
    data!("referenced_token_cwt.md"),
    data!("referenced_token_cwt_diag.md"),
    data!("expected-1bit-16.txt"),
    data!("expected-2bit-12.txt"),
    data!("expected-1bit-long.txt"),
    data!("expected-2bit-long.txt"),
    data!("expected-4bit-long.txt"),
    data!("expected-8bit-long.txt"),
];

/// The text of one file; empty if there is no such file.
pub fn text(name: &str) -> &'static str {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap_or_default()
}

/// One published list: its files, `bits`, the documented statuses, and the number of entries.
struct ListExample {
    json: &'static str,
    cbor: &'static str,
    diag: Option<&'static str>,
    bits: Bits,
    expected: &'static str,
    entries: u64,
    clause: &'static str,
}

const LISTS: &[ListExample] = &[
    ListExample {
        json: "status_list_encoding_json.md",
        cbor: "status_list_encoding_cbor.md",
        diag: Some("status_list_encoding_cbor_diag.md"),
        bits: Bits::One,
        expected: "expected-1bit-16.txt",
        entries: 16,
        clause: "4.1, 4.2, 4.3",
    },
    ListExample {
        json: "status_list_encoding2_json.md",
        cbor: "status_list_encoding2_cbor.md",
        diag: Some("status_list_encoding2_cbor_diag.md"),
        bits: Bits::Two,
        expected: "expected-2bit-12.txt",
        entries: 12,
        clause: "4.1, 4.2",
    },
    ListExample {
        json: "status_list_encoding1_long_json.md",
        cbor: "status_list_encoding1_long_cbor.md",
        diag: None,
        bits: Bits::One,
        expected: "expected-1bit-long.txt",
        entries: 1 << 20,
        clause: "Appendix: 1-bit Status List",
    },
    ListExample {
        json: "status_list_encoding2_long_json.md",
        cbor: "status_list_encoding2_long_cbor.md",
        diag: None,
        bits: Bits::Two,
        expected: "expected-2bit-long.txt",
        entries: 1 << 20,
        clause: "Appendix: 2-bit Status List",
    },
    ListExample {
        json: "status_list_encoding4_json.md",
        cbor: "status_list_encoding4_cbor.md",
        diag: None,
        bits: Bits::Four,
        expected: "expected-4bit-long.txt",
        entries: 1 << 20,
        clause: "Appendix: 4-bit Status List",
    },
    ListExample {
        json: "status_list_encoding8_json.md",
        cbor: "status_list_encoding8_cbor.md",
        diag: None,
        bits: Bits::Eight,
        expected: "expected-8bit-long.txt",
        entries: 1 << 20,
        clause: "Appendix: 8-bit Status List",
    },
];

/// The documented statuses, `status[N] = 0bB` one a line (the draft's text), as index →
/// value; zeros are kept (the 8-bit example documents one).
pub fn expected_statuses(name: &str) -> Result<BTreeMap<u64, u8>, String> {
    let mut out = BTreeMap::new();
    for line in text(name).lines().filter(|l| !l.trim().is_empty()) {
        let parse = || -> Option<(u64, u8)> {
            let rest = line.trim().strip_prefix("status[")?;
            let (idx, rest) = rest.split_once(']')?;
            let bin = rest.trim().strip_prefix('=')?.trim().strip_prefix("0b")?;
            Some((idx.parse().ok()?, u8::from_str_radix(bin, 2).ok()?))
        };
        let (i, v) = parse().ok_or_else(|| format!("{name}: cannot read {line:?}"))?;
        if out.insert(i, v).is_some() {
            return Err(format!("{name}: index {i} twice"));
        }
    }
    Ok(out)
}

/// The JSON object of a `.md` JSON example: everything from the first `{`, with the draft's
/// line wrapping (whitespace inside `lst`) removed.
fn json_of(name: &str) -> Result<Value, String> {
    let t = text(name);
    let start = t
        .find('{')
        .ok_or_else(|| format!("{name}: no JSON object"))?;
    let compact: String = t
        .get(start..)
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    serde_json::from_str(&compact).map_err(err("JSON example"))
}

/// The bytes of a `.md` hex example: the hex lines after an `encoded:` line if there is one,
/// else every line.
fn hex_of(name: &str) -> Result<Vec<u8>, String> {
    let t = text(name);
    let body = t.split_once("encoded:").map_or(t, |(_, b)| b);
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(compact).map_err(err("hex example"))
}

/// The bytes a CBOR diagnostic annotation (`cbor.me` style) describes: the first column.
fn diag_bytes(name: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for line in text(name).lines() {
        if let Some(first) = line.split('#').next() {
            let compact: String = first.chars().filter(|c| !c.is_whitespace()).collect();
            out.extend(hex::decode(compact).map_err(err("diagnostic hex"))?);
        }
    }
    Ok(out)
}

/// The `byte_array = [0x.., ...]` prefix of the small examples.
fn byte_array_of(name: &str) -> Option<Vec<u8>> {
    let line = text(name).lines().find(|l| l.starts_with("byte_array"))?;
    let (_, list) = line.split_once('[')?;
    let (list, _) = list.split_once(']')?;
    list.split(',')
        .map(|b| u8::from_str_radix(b.trim().trim_start_matches("0x"), 16).ok())
        .collect()
}

fn example_public_key() -> Result<EcPublicKey, String> {
    let jwk: Value = serde_json::from_str(text("example-key.json")).map_err(err("example key"))?;
    jwk_to_key(&jwk).map_err(err("example key"))
}

fn at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(VERIFICATION_TIME).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The raw JWT of `status_list_jwt_raw.md` (line-wrapped in the file).
pub fn example_jwt() -> String {
    text("status_list_jwt_raw.md")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The CWT Status List Token of `status_list_cwt.md`.
pub fn example_cwt() -> Result<Vec<u8>, String> {
    hex_of("status_list_cwt.md")
}

fn check_list(list: &StatusList, ex: &ListExample) -> CheckResult {
    if list.bits() != ex.bits {
        return Err(format!("bits {:?}, expected {:?}", list.bits(), ex.bits));
    }
    if list.len() != ex.entries {
        return Err(format!("{} entries, expected {}", list.len(), ex.entries));
    }
    let expected = expected_statuses(ex.expected)?;
    for (i, v) in &expected {
        if list.get(*i) != Some(*v) {
            return Err(format!("status[{i}] = {:?}, expected {v}", list.get(*i)));
        }
    }
    let non_valid: BTreeMap<u64, u8> = list.non_valid().collect();
    let documented: BTreeMap<u64, u8> = expected.into_iter().filter(|(_, v)| *v != 0).collect();
    if non_valid != documented {
        let extra: Vec<_> = non_valid
            .iter()
            .filter(|(i, _)| !documented.contains_key(i))
            .take(5)
            .collect();
        return Err(format!(
            "{} non-VALID entries, {} documented; undocumented: {extra:?}",
            non_valid.len(),
            documented.len()
        ));
    }
    Ok(())
}

fn ctx(key: &EcPublicKey) -> CheckContext<'_> {
    CheckContext {
        trust: SignerTrust::DeclaredKey(key),
        policy: FreshnessPolicy::default(),
        now: at(),
        fetched_at: None,
    }
}

/// Every documented status of the 16-entry list, through the whole check of `token`.
fn check_token_statuses(token: &[u8]) -> CheckResult {
    let key = example_public_key()?;
    for (idx, v) in expected_statuses("expected-1bit-16.txt")? {
        let got = check_status(
            default_provider(),
            token,
            &StatusReference {
                uri: EXAMPLE_URI,
                idx,
            },
            &ctx(&key),
        );
        let want = if v == 1 {
            StatusCheck::Invalid
        } else {
            StatusCheck::Valid
        };
        if got != want {
            return Err(format!("index {idx}: {got}, expected {}", want.label()));
        }
    }
    Ok(())
}

fn check_token_claims(token: &StatusListToken) -> CheckResult {
    let c = token.claims();
    let problems = [
        (c.sub == EXAMPLE_URI, "sub"),
        (c.iat.unix_timestamp() == EXAMPLE_IAT, "iat"),
        (
            c.exp.map(|e| e.unix_timestamp()) == Some(2_291_720_170),
            "exp",
        ),
        (c.ttl == Some(43_200), "ttl"),
        (token.kid() == Some(&b"12"[..]), "kid"),
    ];
    match problems.iter().find(|(ok, _)| !ok) {
        Some((_, what)) => Err(format!("{what} differs from the draft")),
        None => Ok(()),
    }
}

/// The `status.status_list` of the Referenced Token in CWT form (claim 65535).
fn referenced_cwt_reference() -> Result<(u64, String), String> {
    let bytes = hex_of("referenced_token_cwt.md")?;
    let sign1 = Sign1::from_slice(&bytes).map_err(err("COSE_Sign1"))?;
    let payload = sign1.payload().ok_or("no payload")?;
    let claims = decode(payload).map_err(err("claims"))?;
    let status: &Item<'_> = claims.get_int_key(65535).ok_or("no status claim (65535)")?;
    let sl = status
        .get_text_key("status_list")
        .ok_or("no status_list in status")?;
    let idx = sl
        .get_text_key("idx")
        .and_then(Item::as_uint)
        .ok_or("idx")?;
    let uri = sl
        .get_text_key("uri")
        .and_then(Item::as_text)
        .ok_or("uri")?;
    Ok((idx, uri.to_string()))
}

fn expect_undetermined(got: StatusCheck, kind: UndeterminedKind) -> CheckResult {
    match got {
        StatusCheck::Undetermined { reason } if reason.undetermined_kind() == kind => Ok(()),
        other => Err(format!("{other}, expected undetermined ({})", kind.name())),
    }
}

/// Run the suite.
pub fn run_all() -> Vec<VectorCheck> {
    let crypto = default_provider();
    let mut r = Runner { checks: Vec::new() };

    r.run(
        "status-list/key",
        "src/util.py",
        "the example key's d times G is its published x, y",
        || {
            let jwk: Value =
                serde_json::from_str(text("example-key.json")).map_err(err("example key"))?;
            let d = jwk_private_key(&jwk).ok_or("no d")?;
            let public = crypto.public_key(&d).map_err(err("public key"))?;
            if public == example_public_key()? {
                Ok(())
            } else {
                Err("public key differs".into())
            }
        },
    );

    for ex in LISTS {
        r.run(
            format!("status-list/{}", ex.json.trim_end_matches(".md")),
            ex.clause,
            "JSON StatusList: bits, size, the documented statuses, VALID elsewhere",
            || {
                let json = json_of(ex.json)?;
                let list = StatusList::from_json(&json).map_err(err("StatusList"))?;
                if let Some(raw) = byte_array_of(ex.json) {
                    if list.as_bytes() != raw.as_slice() {
                        return Err("decompressed bytes differ from byte_array".into());
                    }
                }
                check_list(&list, ex)
            },
        );
        r.run(
            format!("status-list/{}", ex.cbor.trim_end_matches(".md")),
            ex.clause,
            "CBOR StatusList: bits, size, the documented statuses, VALID elsewhere; same array as the JSON form; Kakunin's encoding decodes to it again (and, for the small examples, is the draft's bytes exactly)",
            || {
                let bytes = hex_of(ex.cbor)?;
                let list = StatusList::from_cbor(&bytes).map_err(err("StatusList"))?;
                let json = StatusList::from_json(&json_of(ex.json)?).map_err(err("JSON"))?;
                if list.as_bytes() != json.as_bytes() {
                    return Err("CBOR and JSON forms decode to different arrays".into());
                }
                let ours = list.to_cbor();
                if StatusList::from_cbor(&ours).map_err(err("re-encoded"))? != list {
                    return Err("the re-encoded list decodes differently".into());
                }
                // zlib level 9 output depends on the DEFLATE implementation; for the two
                // small lists miniz_oxide and the draft's Python zlib agree.
                if ex.diag.is_some() && ours != bytes {
                    return Err(format!("re-encoded as {}", hex::encode(&ours)));
                }
                check_list(&list, ex)
            },
        );
        if let Some(diag) = ex.diag {
            r.run(
                format!("status-list/{}", diag.trim_end_matches(".md")),
                ex.clause,
                "the annotated CBOR is the same bytes as the hex example",
                || {
                    if diag_bytes(diag)? == hex_of(ex.cbor)? {
                        Ok(())
                    } else {
                        Err("bytes differ".into())
                    }
                },
            );
        }
    }

    r.run(
        "status-list/jwt/signature",
        "5.1",
        "the JWT Status List Token parses (typ statuslist+jwt) and its ES256 signature verifies",
        || {
            let t = StatusListToken::parse(example_jwt().as_bytes()).map_err(err("JWT"))?;
            t.verify_signature(crypto, &example_public_key()?)
                .map_err(err("signature"))?;
            check_token_claims(&t)
        },
    );
    r.run(
        "status-list/jwt/statuses",
        "5.1, 8.3",
        "the whole check of every documented index of the JWT list",
        || check_token_statuses(example_jwt().as_bytes()),
    );
    r.run(
        "status-list/jwt/decoded-view",
        "5.1",
        "the decoded header and payload the draft prints are those of the raw token (iss aside)",
        || {
            let t = text("status_list_jwt.md");
            let (h, p) = t.split_once("\n.\n").ok_or("no header/payload separator")?;
            let header: Value = serde_json::from_str(h).map_err(err("header"))?;
            let payload: Value = serde_json::from_str(p).map_err(err("payload"))?;
            let raw = example_jwt();
            let mut parts = raw.split('.');
            let decode_part = |s: Option<&str>| -> Result<Value, String> {
                let b = crate::unb64(s.unwrap_or_default()).ok_or("base64url")?;
                serde_json::from_slice(&b).map_err(err("raw part"))
            };
            let raw_header = decode_part(parts.next())?;
            let mut raw_payload = decode_part(parts.next())?;
            if raw_header != header {
                return Err("header differs".into());
            }
            if let Some(m) = raw_payload.as_object_mut() {
                m.remove("iss");
            }
            if raw_payload != payload {
                return Err("payload differs".into());
            }
            Ok(())
        },
    );
    r.run(
        "status-list/cwt/signature",
        "5.2",
        "the CWT Status List Token parses (tag 18, type application/statuslist+cwt) and its ES256 signature verifies",
        || {
            let t = StatusListToken::parse(&example_cwt()?).map_err(err("CWT"))?;
            t.verify_signature(crypto, &example_public_key()?)
                .map_err(err("signature"))?;
            check_token_claims(&t)
        },
    );
    r.run(
        "status-list/cwt/statuses",
        "5.2, 8.3",
        "the whole check of every documented index of the CWT list",
        || check_token_statuses(&example_cwt()?),
    );
    r.run(
        "status-list/cwt/diag",
        "5.2",
        "the annotated CWT is the same bytes as the hex example",
        || {
            if diag_bytes("status_list_cwt_diag.md")? == example_cwt()? {
                Ok(())
            } else {
                Err("bytes differ".into())
            }
        },
    );
    r.run(
        "status-list/referenced-cwt/signature",
        "6.3",
        "the Referenced Token (CWT) verifies under the example key and refers to idx 0 of the list",
        || {
            let bytes = hex_of("referenced_token_cwt.md")?;
            if diag_bytes("referenced_token_cwt_diag.md")? != bytes {
                return Err("annotated bytes differ".into());
            }
            let sign1 = Sign1::from_slice(&bytes).map_err(err("COSE_Sign1"))?;
            if !sign1.is_tagged() {
                return Err("not tagged".into());
            }
            sign1
                .verify(crypto, &example_public_key()?, None)
                .map_err(err("signature"))?;
            match referenced_cwt_reference()? {
                (0, uri) if uri == EXAMPLE_URI => Ok(()),
                other => Err(format!("status_list {other:?}")),
            }
        },
    );
    for (form, token) in [
        ("cwt", example_cwt().unwrap_or_default()),
        ("jwt", example_jwt().into_bytes()),
    ] {
        r.run(
            format!("status-list/referenced-cwt/resolve-{form}"),
            "8.3",
            "the Referenced Token's status resolves to INVALID (status[0] = 1) in the list",
            || {
                let (idx, uri) = referenced_cwt_reference()?;
                let key = example_public_key()?;
                let got = check_status(
                    crypto,
                    &token,
                    &StatusReference { uri: &uri, idx },
                    &ctx(&key),
                );
                if got == StatusCheck::Invalid {
                    Ok(())
                } else {
                    Err(format!("{got}"))
                }
            },
        );
    }

    // One change to a published token, one reason.
    r.run(
        "status-list/reject/signature",
        "5.1 rule 2",
        "a JWT whose signature is altered is undetermined (signature)",
        || {
            // One character in the middle of the signature: still valid base64url.
            let raw = example_jwt();
            let at = raw.len() - 10;
            let old = raw.get(at..=at).unwrap_or_default();
            let jwt = format!(
                "{}{}{}",
                raw.get(..at).unwrap_or_default(),
                if old == "A" { "B" } else { "A" },
                raw.get(at + 1..).unwrap_or_default()
            );
            let key = example_public_key()?;
            let got = check_status(
                crypto,
                jwt.as_bytes(),
                &StatusReference {
                    uri: EXAMPLE_URI,
                    idx: 1,
                },
                &ctx(&key),
            );
            expect_undetermined(got, UndeterminedKind::Signature)
        },
    );
    r.run(
        "status-list/reject/other-key",
        "11.3",
        "the CWT checked against another declared key is undetermined (signature)",
        || {
            let other = crypto
                .public_key(
                    &crypto
                        .generate_key(kakunin_core::crypto::Curve::P256)
                        .map_err(err("key"))?,
                )
                .map_err(err("key"))?;
            let got = check_status(
                crypto,
                &example_cwt()?,
                &StatusReference {
                    uri: EXAMPLE_URI,
                    idx: 1,
                },
                &ctx(&other),
            );
            expect_undetermined(got, UndeterminedKind::Signature)
        },
    );
    r.run(
        "status-list/reject/subject",
        "8.3 step 4a",
        "a reference to another uri is undetermined (subject)",
        || {
            let key = example_public_key()?;
            let got = check_status(
                crypto,
                &example_cwt()?,
                &StatusReference {
                    uri: "https://example.com/statuslists/2",
                    idx: 1,
                },
                &ctx(&key),
            );
            expect_undetermined(got, UndeterminedKind::Subject)
        },
    );
    r.run(
        "status-list/reject/index",
        "8.3 step 6",
        "index 16 of the 16-entry list is undetermined (index out of range)",
        || {
            let key = example_public_key()?;
            let got = check_status(
                crypto,
                example_jwt().as_bytes(),
                &StatusReference {
                    uri: EXAMPLE_URI,
                    idx: 16,
                },
                &ctx(&key),
            );
            match got {
                StatusCheck::Undetermined {
                    reason: StatusListError::IndexOutOfRange { index: 16, len: 16 },
                } => Ok(()),
                other => Err(format!("{other}")),
            }
        },
    );
    r.run(
        "status-list/reject/expired",
        "8.3 step 4c",
        "the JWT checked after its exp (2042-08-15) is undetermined (stale)",
        || {
            let key = example_public_key()?;
            let mut c = ctx(&key);
            c.now = OffsetDateTime::from_unix_timestamp(2_291_720_171).map_err(err("time"))?;
            c.fetched_at = Some(c.now);
            let got = check_status(
                crypto,
                example_jwt().as_bytes(),
                &StatusReference {
                    uri: EXAMPLE_URI,
                    idx: 0,
                },
                &c,
            );
            match got {
                StatusCheck::Undetermined {
                    reason: StatusListError::Expired { .. },
                } => Ok(()),
                other => Err(format!("{other}")),
            }
        },
    );
    r.run(
        "status-list/reject/ttl",
        "8.3 step 4d",
        "the CWT checked 12 hours and a second after iat (its ttl) is undetermined (stale)",
        || {
            let key = example_public_key()?;
            let mut c = ctx(&key);
            c.now =
                OffsetDateTime::from_unix_timestamp(EXAMPLE_IAT + 43_201).map_err(err("time"))?;
            let got = check_status(
                crypto,
                &example_cwt()?,
                &StatusReference {
                    uri: EXAMPLE_URI,
                    idx: 0,
                },
                &c,
            );
            expect_undetermined(got, UndeterminedKind::Stale)
        },
    );
    r.checks
}
