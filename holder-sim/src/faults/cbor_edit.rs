//! Editing a decoded CBOR tree in place (RFC 8949), for the Response-layer fault profiles:
//! find a map member, replace it, and encode again — with the preferred (shortest) heads
//! Kakunin's encoder writes, or on purpose with longer-than-needed heads (RFC 8949 §3 allows
//! them; §4.2.1 only prefers the shortest).

use super::FaultError;
use kakunin_core::cbor::Value;

/// The entries of a map, or a typed error naming `what` was expected to be one.
pub(crate) fn entries_mut<'v>(
    v: &'v mut Value,
    what: &'static str,
) -> Result<&'v mut Vec<(Value, Value)>, FaultError> {
    match v {
        Value::Map(m) => Ok(m),
        _ => Err(FaultError::UnexpectedShape(what)),
    }
}

/// The value under text key `key` of map `v`.
pub(crate) fn member_mut<'v>(
    v: &'v mut Value,
    key: &str,
    what: &'static str,
) -> Result<&'v mut Value, FaultError> {
    entries_mut(v, what)?
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
        .ok_or(FaultError::UnexpectedShape(what))
}

/// The value under text key `key` of map `v`, read-only.
pub(crate) fn member<'v>(
    v: &'v Value,
    key: &str,
    what: &'static str,
) -> Result<&'v Value, FaultError> {
    match v {
        Value::Map(m) => m
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v)
            .ok_or(FaultError::UnexpectedShape(what)),
        _ => Err(FaultError::UnexpectedShape(what)),
    }
}

/// The items of an array.
pub(crate) fn items_mut<'v>(
    v: &'v mut Value,
    what: &'static str,
) -> Result<&'v mut Vec<Value>, FaultError> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(FaultError::UnexpectedShape(what)),
    }
}

/// The content of `#6.24(bstr)`: the embedded encoding.
pub(crate) fn tag24_content<'v>(v: &'v Value, what: &'static str) -> Result<&'v [u8], FaultError> {
    match v {
        Value::Tag(24, inner) => match inner.as_ref() {
            Value::Bytes(b) => Ok(b),
            _ => Err(FaultError::UnexpectedShape(what)),
        },
        _ => Err(FaultError::UnexpectedShape(what)),
    }
}

/// Decode `bytes` into an owned tree.
pub(crate) fn decode_value(bytes: &[u8], what: &'static str) -> Result<Value, FaultError> {
    kakunin_core::cbor::decode(bytes)
        .map(|item| item.to_value())
        .map_err(|_| FaultError::UnexpectedShape(what))
}

/// Write a head of major type `major` with argument `n`, one size longer than the shortest
/// form (RFC 8949 §3: 0..23 inline, then 1, 2, 4, 8 argument bytes). An argument that
/// already needs 8 bytes stays at 8.
fn long_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if let Ok(b) = u8::try_from(n) {
        if b < 24 {
            out.push(m | 24);
            out.push(b);
        } else {
            out.push(m | 25);
            out.extend_from_slice(&u16::from(b).to_be_bytes());
        }
    } else if let Ok(s) = u16::try_from(n) {
        out.push(m | 26);
        out.extend_from_slice(&u32::from(s).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// A length as a CBOR argument (usize always fits u64 on supported targets).
fn len_arg(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Encode `v` with every head (integers, lengths, tags) one size longer than needed. The
/// data model is unchanged, so a decoder that follows RFC 8949 reads the same value; bytes
/// kept as [`Value::Raw`] are written verbatim (that is how signed structures stay intact).
pub(crate) fn encode_long_heads(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Uint(n) => long_head(out, 0, *n),
        Value::Nint(n) => long_head(out, 1, *n),
        Value::Bytes(b) => {
            long_head(out, 2, len_arg(b.len()));
            out.extend_from_slice(b);
        }
        Value::Text(t) => {
            long_head(out, 3, len_arg(t.len()));
            out.extend_from_slice(t.as_bytes());
        }
        Value::Array(a) => {
            long_head(out, 4, len_arg(a.len()));
            for item in a {
                encode_long_heads(item, out);
            }
        }
        Value::Map(m) => {
            long_head(out, 5, len_arg(m.len()));
            for (k, val) in m {
                encode_long_heads(k, out);
                encode_long_heads(val, out);
            }
        }
        Value::Tag(t, inner) => {
            long_head(out, 6, *t);
            encode_long_heads(inner, out);
        }
        Value::Raw(r) => out.extend_from_slice(r),
        // Simple values and floats have no length argument to lengthen.
        other => out.extend_from_slice(&other.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_heads_decode_to_the_same_value_with_other_bytes() {
        let v = Value::Map(vec![
            (Value::text("a"), Value::Uint(1)),
            (
                Value::text("b"),
                Value::Array(vec![Value::Uint(300), Value::int(-5)]),
            ),
            (
                Value::text("c"),
                Value::Tag(24, Box::new(Value::Bytes(vec![0xf6]))),
            ),
            (Value::text("d"), Value::Raw(vec![0x01])),
        ]);
        let mut long = Vec::new();
        encode_long_heads(&v, &mut long);
        assert_ne!(long, v.to_vec());
        assert_eq!(long.first(), Some(&0xb8));
        let back = kakunin_core::cbor::decode(&long).unwrap().to_value();
        let mut expected = v.clone();
        if let Value::Map(m) = &mut expected {
            m[3].1 = Value::Uint(1);
        }
        assert_eq!(back, expected);
    }
}
