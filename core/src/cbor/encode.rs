//! A CBOR encoder writing shortest-form heads and definite lengths (RFC 8949 §4.2.1
//! preferred serialization), so what Kakunin issues is deterministic.

use super::Value;
use ciborium_ll::Header;

/// Appends CBOR items to a byte buffer.
#[derive(Debug, Default, Clone)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// An empty encoder.
    pub fn new() -> Self {
        Encoder { buf: Vec::new() }
    }

    /// An empty encoder with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Encoder {
            buf: Vec::with_capacity(n),
        }
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn head(&mut self, h: Header) -> &mut Self {
        let mut enc = ciborium_ll::Encoder::from(&mut self.buf);
        // Writing into a Vec cannot fail.
        let _ = enc.push(h);
        self
    }

    /// An unsigned integer.
    pub fn uint(&mut self, n: u64) -> &mut Self {
        self.head(Header::Positive(n))
    }

    /// An integer of either sign.
    pub fn int(&mut self, n: i64) -> &mut Self {
        match u64::try_from(n) {
            Ok(u) => self.head(Header::Positive(u)),
            // n < 0, so |n| >= 1 and -1 - n = |n| - 1 does not underflow.
            Err(_) => self.head(Header::Negative(n.unsigned_abs() - 1)),
        }
    }

    /// A definite-length byte string.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.head(Header::Bytes(Some(b.len())));
        self.buf.extend_from_slice(b);
        self
    }

    /// A definite-length text string.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.head(Header::Text(Some(s.len())));
        self.buf.extend_from_slice(s.as_bytes());
        self
    }

    /// The head of an array of `len` items (the items follow).
    pub fn array(&mut self, len: usize) -> &mut Self {
        self.head(Header::Array(Some(len)))
    }

    /// The head of a map of `len` entries (each key and value follow).
    pub fn map(&mut self, len: usize) -> &mut Self {
        self.head(Header::Map(Some(len)))
    }

    /// A tag head (the tagged item follows).
    pub fn tag(&mut self, t: u64) -> &mut Self {
        self.head(Header::Tag(t))
    }

    /// `true` or `false`.
    pub fn bool(&mut self, b: bool) -> &mut Self {
        self.head(Header::Simple(if b { 21 } else { 20 }))
    }

    /// `null`.
    pub fn null(&mut self) -> &mut Self {
        self.head(Header::Simple(22))
    }

    /// Append already-encoded CBOR verbatim.
    pub fn raw(&mut self, encoded: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(encoded);
        self
    }

    /// A whole value, recursively ([`Value::Raw`] verbatim).
    pub fn value(&mut self, v: &Value) -> &mut Self {
        match v {
            Value::Uint(n) => self.uint(*n),
            Value::Nint(n) => self.head(Header::Negative(*n)),
            Value::Bytes(b) => self.bytes(b),
            Value::Text(t) => self.text(t),
            Value::Array(a) => {
                self.array(a.len());
                for x in a {
                    self.value(x);
                }
                self
            }
            Value::Map(m) => {
                self.map(m.len());
                for (k, x) in m {
                    self.value(k);
                    self.value(x);
                }
                self
            }
            Value::Tag(t, inner) => {
                self.tag(*t);
                self.value(inner)
            }
            Value::Bool(b) => self.bool(*b),
            Value::Null => self.null(),
            Value::Undefined => self.head(Header::Simple(23)),
            Value::Float(f) => self.head(Header::Float(*f)),
            Value::Simple(s) => self.head(Header::Simple(*s)),
            Value::Raw(r) => self.raw(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{decode, wrap_tag24};
    use super::*;
    use proptest::prelude::*;

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<u64>().prop_map(Value::Uint),
            any::<u64>().prop_map(Value::Nint),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
            ".{0,20}".prop_map(Value::Text),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(any::<u32>(), inner.clone(), 0..6).prop_map(|m| {
                    Value::Map(
                        m.into_iter()
                            .map(|(k, v)| (Value::Uint(k as u64), v))
                            .collect(),
                    )
                }),
                (0u64..1000, inner).prop_map(|(t, v)| Value::Tag(t, Box::new(v))),
            ]
        })
    }

    proptest! {
        #[test]
        fn encode_decode_roundtrip(v in arb_value()) {
            let bytes = v.to_vec();
            let item = decode(&bytes).unwrap();
            prop_assert_eq!(item.raw(), &bytes[..]);
            prop_assert_eq!(item.to_value(), v.clone());
            // Re-encoding a decoded shortest-form item gives the same bytes.
            prop_assert_eq!(item.to_value().to_vec(), bytes.clone());
            // Tag-24 wrapping keeps the inner bytes exactly.
            let wrapped = wrap_tag24(&bytes);
            let w = decode(&wrapped).unwrap();
            let (t, inner) = w.as_tag().unwrap();
            prop_assert_eq!(t, 24);
            prop_assert_eq!(inner.as_bytes().unwrap(), &bytes[..]);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode(&bytes);
        }
    }
}
