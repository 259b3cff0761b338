//! The reader against the tree decoder: on valid and hostile inputs both give the same
//! values, or the same error kind at the same offset.

use super::*;
use crate::cbor::{Encoder, Value};

const AAMVA: &[u8] = include_bytes!("../../../../spec-vectors/data/vical/aamva-20240924.vical");
const AUSTROADS: &[u8] =
    include_bytes!("../../../../spec-vectors/data/vical/austroads-20240919.vical");

/// The item the reader reads, as a [`Value`], after which the reader must be finished.
fn read_value(r: &mut Reader<'_>) -> Result<Value, CborError> {
    let head = r.read()?;
    value_of(head, r, read_value)
}

/// The value `head` starts, its items read with `next` (each of the readers below reads
/// heads its own way and builds values the same way).
fn value_of(
    head: Head<'_>,
    r: &mut Reader<'_>,
    next: fn(&mut Reader<'_>) -> Result<Value, CborError>,
) -> Result<Value, CborError> {
    Ok(match head {
        Head::Uint(n) => Value::Uint(n),
        Head::Nint(n) => Value::Nint(n),
        Head::Bytes(b) => Value::Bytes(b.to_vec()),
        Head::Text(t) => Value::Text(t.to_string()),
        Head::Array(n) => Value::Array((0..n).map(|_| next(r)).collect::<Result<_, _>>()?),
        Head::Map(n) => Value::Map(
            (0..n)
                .map(|_| Ok((next(r)?, next(r)?)))
                .collect::<Result<_, CborError>>()?,
        ),
        Head::Tag(t) => Value::Tag(t, Box::new(next(r)?)),
        Head::Bool(b) => Value::Bool(b),
        Head::Null => Value::Null,
        Head::Undefined => Value::Undefined,
        Head::Float(f) => Value::Float(f),
        Head::Simple(s) => Value::Simple(s),
    })
}

/// [`read_value`] with every head read through [`Reader::read_known`], whose `known` names
/// texts it was given (and, lying, claims some other text for invalid UTF-8 or any text
/// starting with `b`): the values and errors must not change.
fn read_value_known(r: &mut Reader<'_>) -> Result<Value, CborError> {
    let known = |b: &[u8]| match b {
        b"" => Some(((), "")),
        b"a" => Some(((), "a")),
        b"version" => Some(((), "version")),
        b"docType" => Some(((), "docType")),
        [b'b', ..] => Some(((), "b")),
        _ if std::str::from_utf8(b).is_err() => Some(((), "\u{fffd}")),
        _ => None,
    };
    let head = match r.read_known(known)? {
        Known::Known(()) => {
            // A text equal to the one `known` answered: any of those it answers truly.
            return Ok(Value::Text("(known)".into()));
        }
        Known::Other(head) => head,
    };
    if let Head::Text(t) = head {
        assert!(
            !matches!(t, "" | "a" | "version" | "docType"),
            "a known text was read as another: {t:?}"
        );
    }
    value_of(head, r, read_value_known)
}

/// [`read_value`] with every head first tried as the texts `"docType"` and `"a"` through
/// [`Reader::read_text_if`], as tags 0, 2 and 24 through [`Reader::read_tag_if`], as a byte
/// string through [`Reader::read_bytes_if`] and an ASCII text through
/// [`Reader::read_ascii_if`], then read through [`Reader::read_ascii_with`] taking ASCII
/// texts that start with `c` or `v` from their bytes: the values and errors must not change.
fn read_value_fast(r: &mut Reader<'_>) -> Result<Value, CborError> {
    for text in ["docType", "a"] {
        if r.read_text_if(text)? {
            return Ok(Value::Text(text.to_string()));
        }
    }
    for tag in [0, 2, 24] {
        if r.read_tag_if(tag)? {
            assert!(tag <= 23);
            return Ok(Value::Tag(u64::from(tag), Box::new(read_value_fast(r)?)));
        }
    }
    if let Some(b) = r.read_bytes_if()? {
        return Ok(Value::Bytes(b.to_vec()));
    }
    if let Some(b) = r.read_ascii_if()? {
        assert!(b.is_ascii());
        return Ok(Value::Text(String::from_utf8(b.to_vec()).unwrap()));
    }
    let from_bytes = |b: &[u8]| matches!(b.first(), Some(b'c' | b'v')).then(|| b.to_vec());
    let head = match r.read_ascii_with(from_bytes)? {
        Known::Known(bytes) => {
            assert!(bytes.is_ascii());
            return Ok(Value::Text(String::from_utf8(bytes).unwrap()));
        }
        Known::Other(head) => head,
    };
    if let Head::Text(t) = head {
        assert!(!(t.is_ascii() && (t.starts_with('c') || t.starts_with('v'))));
    }
    value_of(head, r, read_value_fast)
}

/// A value with the texts [`read_value_known`] knows replaced as it reports them.
fn as_known(v: Value) -> Value {
    match v {
        Value::Text(t) if matches!(t.as_str(), "" | "a" | "version" | "docType") => {
            Value::Text("(known)".into())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(as_known).collect()),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| (as_known(k), as_known(v)))
                .collect(),
        ),
        Value::Tag(t, v) => Value::Tag(t, Box::new(as_known(*v))),
        other => other,
    }
}

fn by_reader(input: &[u8], limits: &Limits) -> Result<String, CborError> {
    let mut r = Reader::new(input, limits)?;
    let v = read_value(&mut r)?;
    r.finish()?;
    let mut k = Reader::new(input, limits)?;
    let known = read_value_known(&mut k).and_then(|v| k.finish().map(|()| v));
    assert_eq!(
        known.map(|v| format!("{v:?}")),
        Ok(format!("{:?}", as_known(v.clone()))),
        "read_known"
    );
    let mut f = Reader::new(input, limits)?;
    let fast = read_value_fast(&mut f).and_then(|v| f.finish().map(|()| v));
    // Compared by their Debug text, as above (a NaN is not equal to itself).
    assert_eq!(
        fast.map(|f| format!("{f:?}")),
        Ok(format!("{v:?}")),
        "read_text_if / read_tag_if / read_bytes_if / read_ascii_if / read_ascii_with"
    );
    Ok(format!("{v:?}"))
}

fn by_tree(input: &[u8], limits: &Limits) -> Result<String, CborError> {
    decode_with(input, limits).map(|i| format!("{:?}", i.to_value()))
}

/// Both ways agree on `input` (value or error), and so do `skip` and `finish` on their own.
fn agree(input: &[u8], limits: &Limits) -> bool {
    let tree = by_tree(input, limits);
    assert_eq!(by_reader(input, limits), tree, "{input:02x?}");
    // Read through `read_known`, the same error when there is one.
    if let Err(e) = &tree {
        let known = Reader::new(input, limits)
            .and_then(|mut r| read_value_known(&mut r).and_then(|_| r.finish()));
        assert_eq!(known.as_ref().err(), Some(e), "{input:02x?}");
        let fast = Reader::new(input, limits)
            .and_then(|mut r| read_value_fast(&mut r).and_then(|_| r.finish()));
        assert_eq!(fast.as_ref().err(), Some(e), "{input:02x?}");
    }
    let skipped = Reader::new(input, limits).and_then(|mut r| {
        r.skip()?;
        r.finish()
    });
    assert_eq!(skipped.err(), tree.as_ref().err().cloned(), "{input:02x?}");
    let finished = Reader::new(input, limits).and_then(Reader::finish);
    assert_eq!(finished.err(), tree.as_ref().err().cloned(), "{input:02x?}");
    tree.is_ok()
}

fn limits() -> Limits {
    Limits::DEFAULT
}

#[test]
fn agrees_on_the_real_lists_their_payloads_and_every_truncation() {
    for list in [AAMVA, AUSTROADS] {
        assert!(agree(list, &limits()));
        let top = crate::cbor::decode(list).unwrap();
        let payload = top.as_array().unwrap()[2].as_bytes().unwrap();
        assert!(agree(payload, &limits()));
    }
    // Every prefix of the AAMVA payload: truncated (or beyond the input) somewhere.
    let top = crate::cbor::decode(AAMVA).unwrap();
    let payload = top.as_array().unwrap()[2].as_bytes().unwrap();
    for cut in (0..payload.len()).step_by(7) {
        assert!(!agree(&payload[..cut], &limits()));
    }
}

/// Deterministic byte mutations of a real payload (a small xorshift generator): whatever the
/// mutation breaks, both report it the same way.
#[test]
fn agrees_on_mutated_lists() {
    let top = crate::cbor::decode(AAMVA).unwrap();
    let payload = top.as_array().unwrap()[2].as_bytes().unwrap().to_vec();
    let mut rand = crate::test_rand::xorshift(0x2545_f491_4f6c_dd1d_u64);
    let (mut ok, mut bad) = (0, 0);
    for _ in 0..600 {
        let mut m = payload.clone();
        for _ in 0..=(rand() % 3) {
            let at = usize::try_from(rand() % m.len() as u64).unwrap();
            m[at] = rand().to_be_bytes()[0];
        }
        if agree(&m, &limits()) {
            ok += 1;
        } else {
            bad += 1;
        }
    }
    // Both outcomes were exercised.
    assert!(ok > 0 && bad > 0, "{ok} {bad}");
}

#[test]
fn agrees_on_hostile_heads_and_lengths() {
    let cases: &[&[u8]] = &[
        &[],
        &[0x18],
        &[0x19, 0x01],
        &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x7a, 0x00, 0x01, 0x00, 0x00, b'a'],
        &[0x82, 0x01],
        &[0xa1, 0x01],
        &[0xc0],
        &[0x1c],
        &[0x3f],
        &[0xdf, 0x01],
        &[0xfc],
        &[0xff],
        &[0x81, 0xff],
        &[0x5f, 0x41, 0xaa, 0xff],
        &[0x7f, 0x61, b'a', 0xff],
        &[0x9f, 0x01, 0xff],
        &[0xbf, 0x01, 0x02, 0xff],
        &[0x61, 0xff],
        &[0x62, 0xc3, 0x28],
        &[0x79, 0x00, 0x01, 0xff],
        &[0x01, 0x02],
        &[0x80, 0x80],
        &[0xa0, 0x00, 0x00],
        &[0x18, 0x01],
        &[0x1b, 0, 0, 0, 0, 0, 0, 0, 1],
        &[0x78, 0x01, b'a'],
        &[0xf8, 0x10],
        &[0xf8, 0x14],
        &[0xf9, 0x3c, 0x00],
        &[0xfa, 0x7f, 0xc0, 0x00, 0x00],
        &[0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0],
        &[0xf4, 0xf5, 0xf6],
        &[0xf7],
        &[0xd8, 0x18, 0x43, 0xa1, 0x01, 0x02],
        &[0xc1, 0xc1, 0xc1, 0x61],
        // Texts `read_value_known` knows or lies about.
        &[0x83, 0x61, b'a', 0x62, b'b', b'c', 0x60],
        &[
            0xa1, 0x67, b'v', b'e', b'r', b's', b'i', b'o', b'n', 0x61, b'a',
        ],
        &[0x82, 0x61, b'b', 0x62, 0xc3, 0x28],
        &[0xa2, 0x61, b'a', 0, 0x61, b'a', 0],
        &[0xa2, 0x61, b'a', 0, 0x78, 0x01, b'a', 0],
    ];
    for case in cases {
        agree(case, &limits());
    }
}

#[test]
fn agrees_on_duplicate_keys_in_any_encoding_and_position() {
    let cases: &[&[u8]] = &[
        &[0xa2, 0x01, 0x00, 0x18, 0x01, 0x00],
        &[0xa3, 0x61, b'a', 0, 0x61, b'b', 0, 0x61, b'a', 0],
        &[0xa2, 0x41, 1, 0, 0x41, 1, 0],
        &[0xa2, 0x20, 0, 0x38, 0x00, 0],
        &[0xa4, 0x01, 0, 0x61, b'1', 0, 0x41, 1, 0, 0x21, 0],
        &[0xa3, 0x01, 0, 0x81, 0x01, 0, 0x81, 0x18, 0x01, 0],
        &[0xa2, 0x81, 0x01, 0, 0x81, 0x02, 0],
        // Map keys that are maps, tags, floats and simple values.
        &[0xa2, 0xa1, 0x01, 0x02, 0, 0xa1, 0x01, 0x02, 0],
        &[0xa2, 0xc1, 0x01, 0, 0xc1, 0x18, 0x01, 0],
        &[
            0xa2, 0xf9, 0x3c, 0x00, 0, 0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0,
        ],
        &[0xa2, 0xf5, 0, 0xf5, 0],
        &[0xa2, 0xf5, 0, 0xf4, 0],
        // A duplicate inside a key that is a map; inside a nested value.
        &[0xa1, 0xa2, 0x01, 0x00, 0x01, 0x00, 0],
        &[0xa1, 0x01, 0xa2, 0x02, 0x00, 0x02, 0x00],
        // A duplicate and a later error in the same map: the later error is found first.
        &[0xa2, 0x01, 0x00, 0x01, 0x61, 0xff],
        &[0xa2, 0x01, 0x00, 0x01, 0x81],
        // A duplicate key, then trailing bytes: the duplicate first.
        &[0xa2, 0x01, 0x00, 0x01, 0x00, 0x00],
    ];
    for case in cases {
        agree(case, &limits());
    }
    // A large map (the hash-set path): 40 distinct keys, then the same with one repeated.
    let mut e = Encoder::new();
    e.map(40);
    for i in 0..40u64 {
        e.uint(i).uint(0);
    }
    assert!(agree(&e.into_bytes(), &limits()));
    let mut e = Encoder::new();
    e.map(40);
    for i in 0..40u64 {
        e.uint(if i == 33 { 7 } else { i }).uint(0);
    }
    assert!(!agree(&e.into_bytes(), &limits()));
}

#[test]
fn agrees_on_depth_items_and_size_limits() {
    for depth in [31usize, 32, 33, 34, 100] {
        let mut deep = vec![0x81; depth];
        deep.push(0x00);
        agree(&deep, &limits());
        let mut tags = vec![0xc1; depth];
        tags.push(0x00);
        agree(&tags, &limits());
        let mut maps = Vec::new();
        for _ in 0..depth {
            maps.extend_from_slice(&[0xa1, 0x00]);
        }
        maps.push(0x00);
        agree(&maps, &limits());
    }
    let small = Limits {
        max_input: 8,
        max_depth: 2,
        max_items: 3,
        allow_indefinite: false,
    };
    for case in [
        &[0x83, 0x01, 0x02, 0x03][..],
        &[0x82, 0x01, 0x02],
        &[0x81, 0x81, 0x81, 0x00],
        &[0x81, 0x81, 0x80],
        &[0x49, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        &[0xa1, 0x61, b'a', 0x61],
    ] {
        agree(case, &small);
    }
}

/// Indefinite lengths are refused by the reader even where the tree decoder would join them.
#[test]
fn indefinite_lengths_are_always_refused() {
    let allowing = Limits {
        allow_indefinite: true,
        ..Limits::DEFAULT
    };
    let input = [0x5f, 0x41, 0xaa, 0x41, 0xbb, 0xff];
    assert!(decode_with(&input, &allowing).is_ok());
    let err = Reader::new(&input, &allowing)
        .and_then(|mut r| r.skip())
        .unwrap_err();
    assert_eq!(err.kind, CborErrorKind::IndefiniteLength);
    assert_eq!(err.offset, 0);
}

#[test]
fn reads_past_the_end_are_refused() {
    let mut r = Reader::new(&[0x01], &limits()).unwrap();
    assert_eq!(r.read().unwrap(), Head::Uint(1));
    assert_eq!(r.read().unwrap_err().kind, CborErrorKind::Truncated);
    let mut r = Reader::new(&[0x01, 0x02], &limits()).unwrap();
    r.skip().unwrap();
    assert_eq!(
        r.read().unwrap_err().kind,
        CborErrorKind::TrailingBytes { count: 1 }
    );
    let mut r = Reader::new(&[0x82, 0x01, 0x61, b'a'], &limits()).unwrap();
    assert_eq!(r.read().unwrap(), Head::Array(2));
    assert_eq!(r.depth(), 1);
    r.skip().unwrap();
    assert_eq!(r.read().unwrap(), Head::Text("a"));
    assert_eq!((r.depth(), r.items(), r.offset()), (0, 3, 4));
    r.finish().unwrap();
}

/// Keys whose fingerprints are equal (same length, same first, middle and last bytes) but
/// which differ, and keys that are equal, in small and large maps.
#[test]
fn keys_with_equal_fingerprints() {
    let key = |i: usize| {
        let mut k = vec![b'a'; 17];
        // Neither the first, the middle (8) nor the last byte: one fingerprint for all.
        k[3] = b'A' + u8::try_from(i).unwrap();
        Value::Text(String::from_utf8(k).unwrap())
    };
    for n in [2usize, 16, 17, 40] {
        let distinct: Vec<(Value, Value)> = (0..n).map(|i| (key(i), Value::Uint(0))).collect();
        assert!(agree(&Value::Map(distinct.clone()).to_vec(), &limits()));
        let mut repeated = distinct.clone();
        repeated[n - 1].0 = key(n / 3);
        assert!(!agree(&Value::Map(repeated).to_vec(), &limits()));
        // The same with byte-string keys and with keys that are arrays of such texts.
        let bytes: Vec<(Value, Value)> = (0..n)
            .map(|i| (Value::Bytes(vec![7; 9 + i % 2]), Value::Uint(i as u64)))
            .collect();
        assert_eq!(agree(&Value::Map(bytes).to_vec(), &limits()), n < 3);
        let arrays: Vec<(Value, Value)> = (0..n)
            .map(|i| (Value::Array(vec![key(i)]), Value::Null))
            .collect();
        assert!(agree(&Value::Map(arrays).to_vec(), &limits()));
    }
}

/// The fast paths (`read_tag_if`, `read_bytes_if`, `read_ascii_if`, and a tag or array closed
/// without `close`) at their edges: every head form they take or decline, containers they
/// complete, duplicate keys they book, and the depth, item and input limits.
#[test]
fn fast_paths_agree_with_read_at_their_edges() {
    let cases: &[&[u8]] = &[
        &[0xc0, 0x00],
        &[0xc0, 0xc0, 0x00],
        &[0xc2, 0x40],
        &[0xc2, 0x42, 1, 2],
        &[0xc2, 0x43, 1, 2],
        &[0xd8, 0x02, 0x41, 0x01],
        &[0xd8, 0x18, 0x41, 0x01],
        &[0x81, 0xc0, 0x00],
        &[0x82, 0xc0, 0x00, 0xc2, 0x40],
        &[0x82, 0xc0, 0x00],
        &[0xa1, 0xc0, 0x00, 0x01],
        &[0xa2, 0xc0, 0x00, 0x01, 0xc0, 0x00, 0x02],
        &[0xa2, 0x41, 0x01, 0x00, 0x41, 0x01, 0x00],
        &[0xa2, 0x41, 0x01, 0x00, 0x41, 0x02, 0x00],
        &[0xa2, 0x61, b'a', 0x00, 0x61, b'a', 0x00],
        &[0xa2, 0x61, b'b', 0xc0, 0x00, 0x61, b'b', 0x00],
        &[0xa1, 0x41, 0x01, 0x81, 0xc0, 0x40],
        &[0x58, 0x01, 0x07],
        &[0x58, 0x02, 0x07],
        &[0x58],
        &[0x59, 0x00, 0x01, 0x07],
        &[0x59, 0x00],
        &[0x5a, 0x00, 0x00, 0x00, 0x01, 0x07],
        &[0x78, 0x01, b'z'],
        &[0x79, 0x00, 0x01, b'z'],
        &[0x62, 0xc3, 0xa9],
        &[0x62, 0xc3, 0x28],
        &[0x61, 0x7f],
        &[0x61, 0x80],
        &[0x41, 0x01, 0x00],
        &[0xc0, 0x41, 0x01, 0x00],
        &[0xc0],
        &[0xc2],
    ];
    let small = Limits {
        max_input: 8,
        max_depth: 2,
        max_items: 3,
        allow_indefinite: false,
    };
    for case in cases {
        agree(case, &limits());
        agree(case, &small);
    }
    let mut long = vec![0x59, 0x01, 0x00];
    long.extend_from_slice(&[b'x'; 256]);
    assert!(agree(&long, &limits()));
    long[0] = 0x79;
    assert!(agree(&long, &limits()));
    for depth in [1usize, 2, 3, 31, 32, 33] {
        for inner in [&[0x40][..], &[0x60], &[0x61, b'q'], &[0x62, 0xc3, 0xa9]] {
            let mut tags = vec![0xc0; depth];
            tags.extend_from_slice(inner);
            agree(&tags, &limits());
            agree(&tags, &small);
            let mut arrays = vec![0x81; depth];
            arrays.extend_from_slice(inner);
            agree(&arrays, &limits());
            agree(&arrays, &small);
        }
    }
}
