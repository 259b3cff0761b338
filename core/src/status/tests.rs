//! Tests of the Token Status List: packing at every bit width, zlib variants and bombs, the
//! draft's small examples, both token forms, and every bad input the issue lists.

use super::list::inflate_zlib;
use super::*;
use crate::crypto::{default_provider, Curve, EcPrivateKey, ProviderSigner};
use crate::sdjwt::jwk_to_key;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The draft's example key (TSL `src/util.py`), kid "12".
const EXAMPLE_JWK: &str = r#"{"kty":"EC","crv":"P-256","kid":"12","x":"I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo","y":"6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M","d":"xzUEdsyLosZF0acZGRAjTKImb0lQvAvssDK5XIZELd0"}"#;
const EXAMPLE_JWT: &str = "eyJhbGciOiJFUzI1NiIsImtpZCI6IjEyIiwidHlwIjoic3RhdHVzbGlzdCtqd3QifQ.eyJleHAiOjIyOTE3MjAxNzAsImlhdCI6MTY4NjkyMDE3MCwiaXNzIjoiaHR0cHM6Ly9leGFtcGxlLmNvbSIsInN0YXR1c19saXN0Ijp7ImJpdHMiOjEsImxzdCI6ImVOcmJ1UmdBQWhjQlhRIn0sInN1YiI6Imh0dHBzOi8vZXhhbXBsZS5jb20vc3RhdHVzbGlzdHMvMSIsInR0bCI6NDMyMDB9.2lKUUNG503R9htu4aHAYi7vjmr3sgApbfoDvPrl65N3URUO1EYqqQl45Jfzd-Av4QzlKa3oVALpLwOEUOq-U_g";
const EXAMPLE_CWT: &str = "d2845820a2012610781a6170706c69636174696f6e2f7374617475736c6973742b637774a1044231325850a502782168747470733a2f2f6578616d706c652e636f6d2f7374617475736c697374732f31061a648c5bea041a8898dfea19fffe19a8c019fffda2646269747301636c73744a78dadbb918000217015d584093fa4d01032b18c35e2fe1101b77fd6cc9440022caa4694450c4e4e9feab4e99d1fa6d9772ce2bf3a12e0323ded7c982c5e101a5e67f0cbc1e2b6f57ce99c279";
const EXAMPLE_URI: &str = "https://example.com/statuslists/1";
const ONE_BIT: [u8; 16] = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
/// Between the examples' `iat` (1686920170) and `iat + ttl`.
const EXAMPLE_AT: OffsetDateTime = datetime!(2023-06-16 13:00:00 UTC);

fn example_key() -> (crate::crypto::EcPublicKey, EcPrivateKey) {
    let jwk: serde_json::Value = serde_json::from_str(EXAMPLE_JWK).unwrap();
    let public = jwk_to_key(&jwk).unwrap();
    let d = crate::sdjwt::unb64(jwk["d"].as_str().unwrap()).unwrap();
    (public, EcPrivateKey::from_scalar(Curve::P256, &d).unwrap())
}

fn ctx<'a>(trust: SignerTrust<'a>, now: OffsetDateTime) -> CheckContext<'a> {
    CheckContext {
        trust,
        policy: FreshnessPolicy::default(),
        now,
        fetched_at: None,
    }
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// A zlib stream with the given two header bytes around a raw DEFLATE body.
fn zlib_with_header(cmf: u8, flg: u8, data: &[u8]) -> Vec<u8> {
    let mut out = vec![cmf, flg];
    out.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
    out.extend(adler32(data).to_be_bytes());
    out
}

// ---- the byte array ----

#[test]
fn draft_one_bit_example_decodes() {
    let lst = crate::sdjwt::unb64("eNrbuRgAAhcBXQ").unwrap();
    assert_eq!(hex::encode(&lst), "78dadbb918000217015d");
    let list = StatusList::from_compressed(Bits::One, &lst).unwrap();
    assert_eq!(list.as_bytes(), &[0xb9, 0xa3]);
    assert_eq!(list.len(), 16);
    for (i, want) in ONE_BIT.iter().enumerate() {
        assert_eq!(list.get(i as u64), Some(*want), "index {i}");
    }
    assert_eq!(list.get(16), None);
    let cbor = hex::decode("a2646269747301636c73744a78dadbb918000217015d").unwrap();
    let from_cbor = StatusList::from_cbor(&cbor).unwrap();
    assert_eq!(from_cbor.as_bytes(), list.as_bytes());
}

#[test]
fn draft_two_bit_example_decodes() {
    let json = serde_json::json!({"bits": 2, "lst": "eNo76fITAAPfAgc"});
    let list = StatusList::from_json(&json).unwrap();
    assert_eq!(list.as_bytes(), &[0xc9, 0x44, 0xf9]);
    let want = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];
    for (i, w) in want.iter().enumerate() {
        assert_eq!(list.get(i as u64), Some(*w), "index {i}");
    }
    let cbor = hex::decode("a2646269747302636c73744b78da3be9f2130003df0207").unwrap();
    assert_eq!(
        StatusList::from_cbor(&cbor).unwrap().as_bytes(),
        list.as_bytes()
    );
}

#[test]
fn encoding_round_trips_and_uses_the_highest_level() {
    let mut list = StatusList::new(Bits::One, 16).unwrap();
    for (i, v) in ONE_BIT.iter().enumerate() {
        list.set(i as u64, *v).unwrap();
    }
    assert_eq!(list.as_bytes(), &[0xb9, 0xa3]);
    let lst = list.compress();
    assert_eq!(lst.get(..2), Some(&[0x78, 0xda][..]), "level 9 header");
    let json = list.to_json();
    assert_eq!(StatusList::from_json(&json).unwrap(), list);
    assert_eq!(StatusList::from_cbor(&list.to_cbor()).unwrap(), list);
    let mut with_agg = list.clone();
    with_agg.set_aggregation_uri(Some("https://example.com/statuslists".into()));
    assert_eq!(
        StatusList::from_json(&with_agg.to_json()).unwrap(),
        with_agg
    );
    assert_eq!(
        StatusList::from_cbor(&with_agg.to_cbor()).unwrap(),
        with_agg
    );
}

#[test]
fn every_bit_width_round_trips_at_its_boundaries() {
    for bits in [Bits::One, Bits::Two, Bits::Four, Bits::Eight] {
        let per = u64::from(8 / bits.get());
        let entries = per * 3 + 1; // a partial last byte
        let mut list = StatusList::new(bits, entries).unwrap();
        assert_eq!(list.len(), per * 4, "{bits:?} rounds up to whole bytes");
        let max = bits.max_value();
        let val = |i: u64| if i % 2 == 0 { max } else { (max / 2).max(1) };
        let mut edges = vec![0, per - 1, per, 2 * per - 1, 3 * per, list.len() - 1];
        edges.sort_unstable();
        edges.dedup();
        for &i in &edges {
            list.set(i, val(i)).unwrap();
        }
        for &i in &edges {
            assert_eq!(list.get(i), Some(val(i)), "{bits:?} index {i}");
        }
        for i in 0..list.len() {
            if !edges.contains(&i) {
                assert_eq!(list.get(i), Some(0), "{bits:?} neighbour {i} untouched");
            }
        }
        let non_valid: Vec<(u64, u8)> = list.non_valid().collect();
        assert_eq!(
            non_valid,
            edges.iter().map(|&i| (i, val(i))).collect::<Vec<_>>()
        );
        // Clearing one entry leaves its byte-mates alone.
        if per > 1 {
            list.set(per - 1, 0).unwrap();
            assert_eq!(list.get(per - 1), Some(0));
            assert_eq!(list.get(0), Some(max));
            assert_eq!(list.get(per), Some(val(per)));
        }
        let n = list.len();
        assert_eq!(
            list.set(n, 1),
            Err(StatusListError::IndexOutOfRange { index: n, len: n })
        );
        assert_eq!(list.get(n), None);
        assert_eq!(list.get(u64::MAX), None);
        if bits != Bits::Eight {
            assert_eq!(
                list.set(0, max + 1),
                Err(StatusListError::ValueTooWide {
                    value: max + 1,
                    bits: bits.get()
                })
            );
        }
        let back = StatusList::from_compressed(bits, &list.compress()).unwrap();
        assert_eq!(back, list);
    }
}

#[test]
fn bits_outside_1_2_4_8_are_refused() {
    for n in [0i128, 3, 5, 6, 7, 9, 16, -1, 256] {
        assert_eq!(Bits::from_wire(n), Err(StatusListError::InvalidBits(n)));
    }
    let json = serde_json::json!({"bits": 3, "lst": "eNrbuRgAAhcBXQ"});
    assert_eq!(
        StatusList::from_json(&json),
        Err(StatusListError::InvalidBits(3))
    );
    // CBOR {"bits": 16, "lst": h'78dadbb918000217015d'}
    let cbor = hex::decode("a2646269747310636c73744a78dadbb918000217015d").unwrap();
    assert_eq!(
        StatusList::from_cbor(&cbor),
        Err(StatusListError::InvalidBits(16))
    );
}

#[test]
fn status_values_are_named_and_only_zero_is_valid() {
    assert_eq!(StatusValue::from(0), StatusValue::Valid);
    assert_eq!(StatusValue::from(1), StatusValue::Invalid);
    assert_eq!(StatusValue::from(2), StatusValue::Suspended);
    for v in [3u8, 0x0C, 0x0D, 0x0E, 0x0F] {
        assert!(StatusValue::from(v).is_application_specific());
        assert_eq!(
            StatusCheck::from_value(StatusValue::from(v)),
            StatusCheck::Other(v)
        );
        assert!(!StatusCheck::Other(v).is_valid());
    }
    assert!(!StatusValue::from(4).is_application_specific());
    assert_eq!(
        StatusValue::from(3).to_string(),
        "0x03 (application-specific)"
    );
    assert_eq!(StatusValue::from(0x10).to_string(), "0x10 (reserved)");
    assert!(StatusCheck::Valid.is_valid());
    assert!(!StatusCheck::Invalid.is_valid());
    assert!(!StatusCheck::Suspended.is_valid());
}

// ---- zlib ----

#[test]
fn any_valid_zlib_header_is_accepted() {
    let data: Vec<u8> = (0..500u32).map(|i| (i % 7) as u8).collect();
    // FLEVEL 0..3 with a 32 KiB window, and smaller windows (CINFO 0..6).
    let mut headers = vec![(0x78, 0x01), (0x78, 0x5e), (0x78, 0x9c), (0x78, 0xda)];
    for cinfo in 0u8..7 {
        let cmf = (cinfo << 4) | 8;
        let flg = (0u8..=255)
            .find(|f| (u16::from(cmf) * 256 + u16::from(*f)) % 31 == 0 && f & 0x20 == 0)
            .unwrap();
        headers.push((cmf, flg));
    }
    for (cmf, flg) in headers {
        let z = zlib_with_header(cmf, flg, &data);
        assert_eq!(
            inflate_zlib(&z, MAX_LIST_BYTES).unwrap(),
            data,
            "header {cmf:02x}{flg:02x}"
        );
    }
}

#[test]
fn not_zlib_is_refused() {
    let data = [0xb9u8, 0xa3];
    let good = zlib_with_header(0x78, 0x9c, &data);
    let raw_deflate = miniz_oxide::deflate::compress_to_vec(&data, 9);
    let mut gzip = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
    gzip.extend(&raw_deflate);
    let mut bad_check = good.clone();
    if let Some(last) = bad_check.last_mut() {
        *last ^= 1;
    }
    let mut trailing = good.clone();
    trailing.push(0);
    let truncated = good.get(..good.len() - 3).unwrap().to_vec();
    let mut bad_fcheck = good.clone();
    bad_fcheck[1] ^= 1;
    // FDICT set (a preset dictionary the list cannot carry): 78 bb passes FCHECK.
    let mut fdict = vec![0x78, 0xbb, 0, 0, 0, 1];
    fdict.extend(&raw_deflate);
    for (what, input) in [
        ("raw deflate", raw_deflate.clone()),
        ("gzip", gzip),
        ("bad adler", bad_check),
        ("trailing byte", trailing),
        ("truncated", truncated),
        ("bad FCHECK", bad_fcheck),
        ("FDICT", fdict),
        ("garbage", b"not zlib at all".to_vec()),
    ] {
        let r = inflate_zlib(&input, MAX_LIST_BYTES);
        assert!(
            matches!(r, Err(StatusListError::NotZlib { .. })),
            "{what}: {r:?}"
        );
    }
    assert_eq!(inflate_zlib(&[], 10), Err(StatusListError::EmptyLst));
    let json = serde_json::json!({"bits": 1, "lst": ""});
    assert_eq!(StatusList::from_json(&json), Err(StatusListError::EmptyLst));
}

#[test]
fn inflation_stops_at_the_cap() {
    let data = vec![0u8; 4096];
    let z = miniz_oxide::deflate::compress_to_vec_zlib(&data, 9);
    assert_eq!(inflate_zlib(&z, 4096).unwrap().len(), 4096);
    assert_eq!(
        inflate_zlib(&z, 4095),
        Err(StatusListError::InflatedTooLarge { max: 4095 })
    );
}

#[test]
fn inflation_growing_the_output_keeps_every_byte() {
    // A sparse list (2^23 one-bit entries, a few set) compresses far better than the first
    // buffer's 16 times: the output doubles several times while back-references point
    // into what is already there. The result is exact, trimmed, and the cap still holds.
    let mut list = vec![0u8; 1 << 20];
    for i in (0..list.len()).step_by(65_521) {
        list[i] = 1 << (i % 8);
    }
    let z = miniz_oxide::deflate::compress_to_vec_zlib(&list, 9);
    assert!(
        z.len() * 16 * 8 < list.len(),
        "{} compressed bytes",
        z.len()
    );
    let inflated = inflate_zlib(&z, list.len()).unwrap();
    assert_eq!(inflated, list);
    assert!(inflated.capacity() <= list.len() + list.len() / 4);
    assert_eq!(
        inflate_zlib(&z, list.len() - 1),
        Err(StatusListError::InflatedTooLarge {
            max: list.len() - 1
        })
    );
}

#[test]
fn inflation_with_long_back_references_keeps_every_byte() {
    // Many times DEFLATE's 32 KiB window, with back-references reaching far back: pseudo-random
    // runs and repeats, at several compression levels; the cap holds at the exact size.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut data = Vec::new();
    while data.len() < 300_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let [a, b, c, ..] = x.to_le_bytes();
        if a < 96 && data.len() > 40_000 {
            let len = usize::from(c) + 3;
            let start = data.len() - len - usize::from(b) * 128;
            let run: Vec<u8> = data[start..start + len].to_vec();
            data.extend(run);
        } else {
            data.extend(std::iter::repeat_n(b, usize::from(c % 8) + 1));
        }
    }
    for level in [1, 6, 9] {
        let z = miniz_oxide::deflate::compress_to_vec_zlib(&data, level);
        assert_eq!(inflate_zlib(&z, data.len()).unwrap(), data, "level {level}");
        assert_eq!(
            inflate_zlib(&z, data.len() - 1),
            Err(StatusListError::InflatedTooLarge {
                max: data.len() - 1
            })
        );
    }
}

#[test]
fn a_zlib_bomb_is_an_error_not_an_allocation() {
    // 64 MiB of zeros compress to about 64 KiB; the list cap is 16 MiB.
    let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; 64 << 20], 9);
    assert!(bomb.len() < 128 * 1024);
    assert_eq!(
        StatusList::from_compressed(Bits::One, &bomb),
        Err(StatusListError::InflatedTooLarge {
            max: MAX_LIST_BYTES
        })
    );
    let json = serde_json::json!({"bits": 1, "lst": crate::base64url::encode(&bomb)});
    assert_eq!(
        StatusList::from_json(&json),
        Err(StatusListError::InflatedTooLarge {
            max: MAX_LIST_BYTES
        })
    );
}

#[test]
fn the_largest_list_is_bounded() {
    assert!(StatusList::new(Bits::One, 1 << 27).is_ok());
    assert!(matches!(
        StatusList::new(Bits::One, (1 << 27) + 8),
        Err(StatusListError::ListTooLarge { .. })
    ));
    assert!(matches!(
        StatusList::new(Bits::Eight, u64::MAX),
        Err(StatusListError::ListTooLarge { .. })
    ));
}

// ---- the draft's tokens ----

#[test]
fn draft_jwt_example_verifies() {
    let (public, _) = example_key();
    let token = StatusListToken::parse(EXAMPLE_JWT.as_bytes()).unwrap();
    assert_eq!(token.format(), TokenFormat::Jwt);
    assert_eq!(token.kid(), Some(&b"12"[..]));
    let c = token.claims();
    assert_eq!(c.sub, EXAMPLE_URI);
    assert_eq!(c.iat.unix_timestamp(), 1_686_920_170);
    assert_eq!(c.exp.map(|e| e.unix_timestamp()), Some(2_291_720_170));
    assert_eq!(c.ttl, Some(43_200));
    assert_eq!(c.iss.as_deref(), Some("https://example.com"));
    token.verify_signature(default_provider(), &public).unwrap();
    for (i, want) in ONE_BIT.iter().enumerate() {
        let r = StatusReference {
            uri: EXAMPLE_URI,
            idx: i as u64,
        };
        let got = check_status(
            default_provider(),
            EXAMPLE_JWT.as_bytes(),
            &r,
            &ctx(SignerTrust::DeclaredKey(&public), EXAMPLE_AT),
        );
        let expect = if *want == 1 {
            StatusCheck::Invalid
        } else {
            StatusCheck::Valid
        };
        assert_eq!(got, expect, "index {i}");
    }
}

#[test]
fn draft_cwt_example_verifies() {
    let (public, _) = example_key();
    let bytes = hex::decode(EXAMPLE_CWT).unwrap();
    let token = StatusListToken::parse(&bytes).unwrap();
    assert_eq!(token.format(), TokenFormat::Cwt);
    assert_eq!(token.kid(), Some(&b"12"[..]));
    assert_eq!(token.claims().sub, EXAMPLE_URI);
    assert_eq!(token.claims().ttl, Some(43_200));
    token.verify_signature(default_provider(), &public).unwrap();
    let c = ctx(SignerTrust::DeclaredKey(&public), EXAMPLE_AT);
    let r = StatusReference {
        uri: EXAMPLE_URI,
        idx: 3,
    };
    assert_eq!(
        check_status(default_provider(), &bytes, &r, &c),
        StatusCheck::Invalid
    );
    let r = StatusReference {
        uri: EXAMPLE_URI,
        idx: 2,
    };
    assert_eq!(
        check_status(default_provider(), &bytes, &r, &c),
        StatusCheck::Valid
    );
}

#[test]
fn a_tampered_example_is_undetermined() {
    let (public, _) = example_key();
    let mut bytes = hex::decode(EXAMPLE_CWT).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    let r = StatusReference {
        uri: EXAMPLE_URI,
        idx: 1,
    };
    let got = check_status(
        default_provider(),
        &bytes,
        &r,
        &ctx(SignerTrust::DeclaredKey(&public), EXAMPLE_AT),
    );
    assert_eq!(
        got,
        StatusCheck::Undetermined {
            reason: StatusListError::BadSignature
        }
    );
    // Another key than the declared one.
    let other = default_provider()
        .public_key(&default_provider().generate_key(Curve::P256).unwrap())
        .unwrap();
    let got = check_status(
        default_provider(),
        EXAMPLE_JWT.as_bytes(),
        &r,
        &ctx(SignerTrust::DeclaredKey(&other), EXAMPLE_AT),
    );
    assert_eq!(got.label(), "UNDETERMINED");
}

// ---- building, and the bad inputs of a check ----

struct Fixture {
    key: EcPrivateKey,
    public: crate::crypto::EcPublicKey,
}

impl Fixture {
    fn new() -> Self {
        let key = default_provider().generate_key(Curve::P256).unwrap();
        let public = default_provider().public_key(&key).unwrap();
        Fixture { key, public }
    }

    fn token(&self, format: TokenFormat, list: &StatusList, claims: &StatusListClaims) -> Vec<u8> {
        let signer = ProviderSigner::new(default_provider(), &self.key).unwrap();
        let key = KeyReference {
            kid: Some("k1".into()),
            x5chain: Vec::new(),
        };
        match format {
            TokenFormat::Jwt => build_jwt(&signer, list, claims, &key).unwrap().into_bytes(),
            TokenFormat::Cwt => build_cwt(&signer, list, claims, &key).unwrap(),
        }
    }
}

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00:00 UTC);
const URI: &str = "https://issuer.example/status/7";

fn sample_list() -> StatusList {
    let mut list = StatusList::new(Bits::Four, 100).unwrap();
    list.set(1, 1).unwrap();
    list.set(2, 2).unwrap();
    list.set(3, 3).unwrap();
    list.set(4, 0x0C).unwrap();
    list.set(5, 0x0F).unwrap();
    list.set(6, 0x07).unwrap();
    list
}

fn sample_claims() -> StatusListClaims {
    let mut c = StatusListClaims::new(URI, NOW - Duration::hours(1));
    c.exp = Some(NOW + Duration::days(1));
    c.ttl = Some(6 * 3600);
    c
}

#[test]
fn built_tokens_check_to_what_was_set_in_both_forms() {
    let f = Fixture::new();
    let trust = SignerTrust::DeclaredKey(&f.public);
    for format in [TokenFormat::Jwt, TokenFormat::Cwt] {
        let token = f.token(format, &sample_list(), &sample_claims());
        let parsed = StatusListToken::parse(&token).unwrap();
        assert_eq!(parsed.format(), format);
        assert_eq!(parsed.claims(), &sample_claims());
        assert_eq!(parsed.kid(), Some(&b"k1"[..]));
        let expect = [
            StatusCheck::Valid,
            StatusCheck::Invalid,
            StatusCheck::Suspended,
            StatusCheck::Other(3),
            StatusCheck::Other(0x0C),
            StatusCheck::Other(0x0F),
            StatusCheck::Other(0x07),
            StatusCheck::Valid,
        ];
        for (i, want) in expect.iter().enumerate() {
            let r = StatusReference {
                uri: URI,
                idx: i as u64,
            };
            assert_eq!(
                &check_status(default_provider(), &token, &r, &ctx(trust, NOW)),
                want,
                "{format:?} index {i}"
            );
        }
        let r = StatusReference { uri: URI, idx: 100 };
        assert_eq!(
            check_status(default_provider(), &token, &r, &ctx(trust, NOW)),
            StatusCheck::Undetermined {
                reason: StatusListError::IndexOutOfRange {
                    index: 100,
                    len: 100
                }
            }
        );
    }
}

#[test]
fn cwt_is_tagged_sign1_with_typ_and_claim_keys() {
    let f = Fixture::new();
    let token = f.token(TokenFormat::Cwt, &sample_list(), &sample_claims());
    let top = crate::cbor::decode(&token).unwrap();
    let (tag, inner) = top.as_tag().unwrap();
    assert_eq!(tag, 18);
    let arr = inner.as_array().unwrap();
    let protected = crate::cbor::decode(arr[0].as_bytes().unwrap()).unwrap();
    assert_eq!(protected.get_int_key(1).unwrap().as_int(), Some(-7));
    assert_eq!(protected.get_int_key(16).unwrap().as_text(), Some(CWT_TYP));
    let claims = crate::cbor::decode(arr[2].as_bytes().unwrap()).unwrap();
    for key in [2, 6, 4, 65534, 65533] {
        assert!(claims.get_int_key(key).is_some(), "claim {key}");
    }
}

fn undetermined_kind(token: &[u8], uri: &str, c: &CheckContext<'_>) -> UndeterminedKind {
    match check_status(
        default_provider(),
        token,
        &StatusReference { uri, idx: 0 },
        c,
    ) {
        StatusCheck::Undetermined { reason } => reason.undetermined_kind(),
        other => panic!("expected undetermined, got {other:?}"),
    }
}

#[test]
fn stale_or_future_lists_are_undetermined() {
    let f = Fixture::new();
    let trust = SignerTrust::DeclaredKey(&f.public);
    for format in [TokenFormat::Jwt, TokenFormat::Cwt] {
        let token = f.token(format, &sample_list(), &sample_claims());
        // exp passed.
        let late = NOW + Duration::days(2);
        let mut c = ctx(trust, late);
        c.fetched_at = Some(late);
        assert!(matches!(
            check_status(
                default_provider(),
                &token,
                &StatusReference { uri: URI, idx: 0 },
                &c
            ),
            StatusCheck::Undetermined {
                reason: StatusListError::Expired { .. }
            }
        ));
        // ... unless the policy's grace covers it.
        c.policy.grace = Duration::days(2);
        assert_eq!(
            check_status(
                default_provider(),
                &token,
                &StatusReference { uri: URI, idx: 0 },
                &c
            ),
            StatusCheck::Valid
        );
        // ttl (6 h) since iat has passed, exp has not.
        let c = ctx(trust, NOW + Duration::hours(6));
        assert!(matches!(
            check_status(
                default_provider(),
                &token,
                &StatusReference { uri: URI, idx: 0 },
                &c
            ),
            StatusCheck::Undetermined {
                reason: StatusListError::TtlElapsed { ttl: 21600, .. }
            }
        ));
        // Fetched recently: still within ttl.
        let mut c = ctx(trust, NOW + Duration::hours(6));
        c.fetched_at = Some(NOW + Duration::hours(5));
        assert_eq!(
            check_status(
                default_provider(),
                &token,
                &StatusReference { uri: URI, idx: 0 },
                &c
            ),
            StatusCheck::Valid
        );
        // A policy clamps a long ttl.
        let mut c = ctx(trust, NOW + Duration::hours(3));
        c.policy.max_ttl = Duration::hours(1);
        assert!(matches!(
            check_status(
                default_provider(),
                &token,
                &StatusReference { uri: URI, idx: 0 },
                &c
            ),
            StatusCheck::Undetermined {
                reason: StatusListError::TtlElapsed { ttl: 3600, .. }
            }
        ));
        // Maximum age of iat.
        let mut c = ctx(trust, NOW);
        c.policy.max_age = Some(Duration::minutes(30));
        assert!(matches!(
            check_status(
                default_provider(),
                &token,
                &StatusReference { uri: URI, idx: 0 },
                &c
            ),
            StatusCheck::Undetermined {
                reason: StatusListError::TooOld { .. }
            }
        ));
        // Issued in the future.
        let c = ctx(trust, NOW - Duration::hours(2));
        assert_eq!(undetermined_kind(&token, URI, &c), UndeterminedKind::Stale);
        assert!(matches!(
            check_status(
                default_provider(),
                &token,
                &StatusReference { uri: URI, idx: 0 },
                &c
            ),
            StatusCheck::Undetermined {
                reason: StatusListError::IssuedInFuture { .. }
            }
        ));
    }
}

#[test]
fn sub_must_match_the_referenced_uri() {
    let f = Fixture::new();
    let trust = SignerTrust::DeclaredKey(&f.public);
    for format in [TokenFormat::Jwt, TokenFormat::Cwt] {
        let token = f.token(format, &sample_list(), &sample_claims());
        let got = check_status(
            default_provider(),
            &token,
            &StatusReference {
                uri: "https://issuer.example/status/8",
                idx: 0,
            },
            &ctx(trust, NOW),
        );
        assert_eq!(
            got,
            StatusCheck::Undetermined {
                reason: StatusListError::SubjectMismatch {
                    expected: "https://issuer.example/status/8".into(),
                    found: URI.into()
                }
            }
        );
    }
}

#[test]
fn iaca_trust_needs_a_certificate_that_chains() {
    let f = Fixture::new();
    let token = f.token(TokenFormat::Jwt, &sample_list(), &sample_claims());
    let iaca = TrustAnchors::from_der_certs([crate::trust::parse_certificate_input(
        include_str!("../../../spec-vectors/data/annex-d/iaca_cert.der.hex").as_bytes(),
    )
    .unwrap()])
    .unwrap();
    let got = check_status(
        default_provider(),
        &token,
        &StatusReference { uri: URI, idx: 0 },
        &ctx(SignerTrust::Iaca(&iaca), NOW),
    );
    assert_eq!(
        got,
        StatusCheck::Undetermined {
            reason: StatusListError::NoSignerCertificate
        }
    );
    // The Annex D DS certificate certifies another key than the one that signed: building
    // refuses, and a list claiming it anyway does not verify.
    let ds = crate::trust::parse_certificate_input(
        include_str!("../../../spec-vectors/data/annex-d/ds_cert.der.hex").as_bytes(),
    )
    .unwrap();
    let signer = ProviderSigner::new(default_provider(), &f.key).unwrap();
    let key = KeyReference {
        kid: None,
        x5chain: vec![ds],
    };
    assert!(matches!(
        build_jwt(&signer, &sample_list(), &sample_claims(), &key),
        Err(StatusListError::SignerMisuse(_))
    ));
}

use crate::trust::TrustAnchors;

#[test]
fn wrong_types_and_tags_are_refused() {
    let f = Fixture::new();
    let jwt =
        String::from_utf8(f.token(TokenFormat::Jwt, &sample_list(), &sample_claims())).unwrap();
    // Re-sign the same payload with another typ.
    let payload = jwt.split('.').nth(1).unwrap();
    for typ in [None, Some("JWT"), Some("dc+sd-jwt")] {
        let mut h = serde_json::json!({"alg": "ES256"});
        if let Some(t) = typ {
            h["typ"] = serde_json::Value::from(t);
        }
        let input = format!(
            "{}.{payload}",
            crate::base64url::encode(h.to_string().as_bytes())
        );
        let sig = default_provider()
            .sign_ecdsa(&f.key, crate::crypto::HashAlg::Sha256, input.as_bytes())
            .unwrap();
        let token = format!("{input}.{}", crate::base64url::encode(&sig));
        assert_eq!(
            StatusListToken::parse(token.as_bytes()).unwrap_err(),
            StatusListError::WrongType {
                found: typ.map(str::to_string),
                expected: JWT_TYP
            }
        );
    }
    // alg none.
    let h = crate::base64url::encode(br#"{"alg":"none","typ":"statuslist+jwt"}"#);
    let r = StatusListToken::parse(format!("{h}.{payload}.").as_bytes());
    assert!(matches!(r, Err(StatusListError::Jws(_))), "{r:?}");

    let cwt = f.token(TokenFormat::Cwt, &sample_list(), &sample_claims());
    // Untagged.
    let r = StatusListToken::parse(&cwt[1..]);
    assert!(
        matches!(r, Err(StatusListError::UnsupportedCose(_))),
        "{r:?}"
    );
    // Wrapped in the forbidden CWT tag 61 (d8 3d).
    let mut tagged61 = vec![0xd8, 0x3d];
    tagged61.extend(&cwt);
    let r = StatusListToken::parse(&tagged61);
    assert!(
        matches!(r, Err(StatusListError::UnsupportedCose(_))),
        "{r:?}"
    );
    // Mac0 tag.
    let mut mac0 = cwt.clone();
    mac0[0] = 0xd1;
    let r = StatusListToken::parse(&mac0);
    assert!(
        matches!(r, Err(StatusListError::UnsupportedCose(_))),
        "{r:?}"
    );
    // Trailing bytes.
    let mut trailing = cwt.clone();
    trailing.push(0);
    let r = StatusListToken::parse(&trailing);
    assert!(matches!(r, Err(StatusListError::Cbor(_))), "{r:?}");
}

#[test]
fn cwt_with_another_type_is_refused() {
    // The draft's CWT with the protected header rebuilt as {1: -7, 16: "application/cwt"}.
    use coset::TaggedCborSerializable;
    let (_, key) = example_key();
    let bytes = hex::decode(EXAMPLE_CWT).unwrap();
    let orig = coset::CoseSign1::from_tagged_slice(&bytes).unwrap();
    let signed = coset::CoseSign1Builder::new()
        .protected(
            coset::HeaderBuilder::new()
                .algorithm(coset::iana::Algorithm::ES256)
                .value(16, ciborium::Value::Text("application/cwt".into()))
                .build(),
        )
        .payload(orig.payload.clone().unwrap())
        .create_signature(b"", |tbs| {
            default_provider()
                .sign_ecdsa(&key, crate::crypto::HashAlg::Sha256, tbs)
                .unwrap()
        })
        .build()
        .to_tagged_vec()
        .unwrap();
    assert_eq!(
        StatusListToken::parse(&signed).unwrap_err(),
        StatusListError::WrongType {
            found: Some("application/cwt".into()),
            expected: CWT_TYP
        }
    );
}

#[test]
fn malformed_claims_are_typed_errors() {
    let f = Fixture::new();
    let signer = ProviderSigner::new(default_provider(), &f.key).unwrap();
    let sign = |payload: serde_json::Value| -> Vec<u8> {
        let h = crate::base64url::encode(br#"{"alg":"ES256","typ":"statuslist+jwt"}"#);
        let input = format!(
            "{h}.{}",
            crate::base64url::encode(payload.to_string().as_bytes())
        );
        let sig = crate::crypto::Signer::sign(&signer, input.as_bytes()).unwrap();
        format!("{input}.{}", crate::base64url::encode(&sig)).into_bytes()
    };
    let sl = serde_json::json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ"});
    let cases = [
        (
            serde_json::json!({"iat": 1, "status_list": sl}),
            StatusListError::MissingClaim("sub"),
        ),
        (
            serde_json::json!({"sub": URI, "status_list": sl}),
            StatusListError::MissingClaim("iat"),
        ),
        (
            serde_json::json!({"sub": URI, "iat": 1}),
            StatusListError::MissingClaim("status_list"),
        ),
        (
            serde_json::json!({"sub": URI, "iat": 1, "ttl": 0, "status_list": sl}),
            StatusListError::Malformed {
                field: "ttl",
                reason: "not a positive integer",
            },
        ),
        (
            serde_json::json!({"sub": URI, "iat": "now", "status_list": sl}),
            StatusListError::Malformed {
                field: "iat",
                reason: "not an integer NumericDate",
            },
        ),
        (
            serde_json::json!({"sub": URI, "iat": 1, "status_list": {"bits": 1}}),
            StatusListError::MissingClaim("status_list.lst"),
        ),
        (
            serde_json::json!({"sub": URI, "iat": 1, "status_list": {"bits": 1, "lst": ""}}),
            StatusListError::EmptyLst,
        ),
        (
            serde_json::json!({"sub": URI, "iat": 1, "status_list": {"bits": 2, "lst": "!!"}}),
            StatusListError::Malformed {
                field: "status_list.lst",
                reason: "not base64url",
            },
        ),
        (
            serde_json::json!({"sub": URI, "iat": 1, "status_list": {"bits": 8.5, "lst": "eNrbuRgAAhcBXQ"}}),
            StatusListError::Malformed {
                field: "status_list.bits",
                reason: "not an integer",
            },
        ),
    ];
    for (payload, want) in cases {
        assert_eq!(
            StatusListToken::parse(&sign(payload.clone())).unwrap_err(),
            want,
            "{payload}"
        );
    }
    // Garbage of every kind never panics and never parses.
    for junk in [
        &b""[..],
        b"\xd2",
        b"a.b.c",
        b"\xd2\x84\x40\xa0\xf6\x40",
        &[0xffu8; 64][..],
    ] {
        assert!(StatusListToken::parse(junk).is_err());
    }
    let huge = vec![b'a'; MAX_TOKEN_LEN + 1];
    assert!(matches!(
        StatusListToken::parse(&huge),
        Err(StatusListError::TokenTooLarge { .. })
    ));
}

#[test]
fn building_refuses_misuse() {
    let f = Fixture::new();
    let signer = ProviderSigner::new(default_provider(), &f.key).unwrap();
    let mut claims = sample_claims();
    claims.ttl = Some(0);
    assert!(build_jwt(&signer, &sample_list(), &claims, &KeyReference::default()).is_err());
    assert!(build_cwt(&signer, &sample_list(), &claims, &KeyReference::default()).is_err());

    /// A signer that returns a DER signature instead of raw r || s.
    struct Bad<'a>(ProviderSigner<'a>);
    impl crate::crypto::Signer for Bad<'_> {
        fn curve(&self) -> Curve {
            self.0.curve()
        }
        fn public_key(&self) -> &crate::crypto::EcPublicKey {
            self.0.public_key()
        }
        fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, crate::crypto::CryptoError> {
            let mut s = self.0.sign(msg)?;
            s.push(0);
            Ok(s)
        }
    }
    let bad = Bad(ProviderSigner::new(default_provider(), &f.key).unwrap());
    assert!(matches!(
        build_jwt(
            &bad,
            &sample_list(),
            &sample_claims(),
            &KeyReference::default()
        ),
        Err(StatusListError::SignerMisuse(_))
    ));
    assert!(matches!(
        build_cwt(
            &bad,
            &sample_list(),
            &sample_claims(),
            &KeyReference::default()
        ),
        Err(StatusListError::SignerMisuse(_))
    ));
}

#[test]
fn p384_and_p521_signers_work() {
    for curve in [Curve::P384, Curve::P521] {
        let key = default_provider().generate_key(curve).unwrap();
        let public = default_provider().public_key(&key).unwrap();
        let signer = ProviderSigner::new(default_provider(), &key).unwrap();
        let jwt = build_jwt(
            &signer,
            &sample_list(),
            &sample_claims(),
            &KeyReference::default(),
        )
        .unwrap();
        let cwt = build_cwt(
            &signer,
            &sample_list(),
            &sample_claims(),
            &KeyReference::default(),
        )
        .unwrap();
        for t in [jwt.into_bytes(), cwt] {
            let got = check_status(
                default_provider(),
                &t,
                &StatusReference { uri: URI, idx: 1 },
                &ctx(SignerTrust::DeclaredKey(&public), NOW),
            );
            assert_eq!(got, StatusCheck::Invalid, "{curve:?}");
        }
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn bits() -> impl Strategy<Value = Bits> {
        prop_oneof![
            Just(Bits::One),
            Just(Bits::Two),
            Just(Bits::Four),
            Just(Bits::Eight)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// build -> encode -> decode -> lookup returns what was set, in both forms.
        #[test]
        fn build_encode_decode_lookup(
            bits in bits(),
            size in 1u64..5000,
            sets in proptest::collection::vec((any::<u64>(), any::<u8>()), 0..40),
            cwt in any::<bool>(),
        ) {
            let f = Fixture::new();
            let mut list = StatusList::new(bits, size).unwrap();
            let mut expected = std::collections::BTreeMap::new();
            for (i, v) in sets {
                let i = i % size;
                let v = v & bits.max_value();
                list.set(i, v).unwrap();
                expected.insert(i, v);
            }
            let format = if cwt { TokenFormat::Cwt } else { TokenFormat::Jwt };
            let token = f.token(format, &list, &sample_claims());
            let c = ctx(SignerTrust::DeclaredKey(&f.public), NOW);
            let verified = verify_status_list(
                default_provider(),
                StatusListToken::parse(&token).unwrap(),
                URI,
                &c,
            )
            .unwrap();
            prop_assert_eq!(verified.token().list(), &list);
            for i in 0..size {
                let want = StatusCheck::from_value(StatusValue::from(
                    expected.get(&i).copied().unwrap_or(0),
                ));
                prop_assert_eq!(verified.status(i), want);
            }
        }
    }
}
