//! An owned CBOR value, for building structures and reporting decoded element values.

use super::Encoder;

/// An owned CBOR data item.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Uint(u64),
    /// A negative integer `-1 - n`, holding `n`.
    Nint(u64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Tag(u64, Box<Value>),
    Bool(bool),
    Null,
    Undefined,
    Float(f64),
    Simple(u8),
    /// Already-encoded CBOR, written verbatim (keeps received bytes when re-embedding).
    Raw(Vec<u8>),
}

impl Value {
    /// An integer of either sign.
    pub fn int(n: i64) -> Value {
        if n >= 0 {
            Value::Uint(n as u64)
        } else {
            Value::Nint((-1 - n) as u64)
        }
    }

    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    /// Encode (shortest heads, definite lengths, map order as given).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        e.value(self);
        e.into_bytes()
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i128> {
        match self {
            Value::Uint(n) => Some(*n as i128),
            Value::Nint(n) => Some(-1 - *n as i128),
            _ => None,
        }
    }
}
