//! An owned CBOR value, for building structures and reporting decoded element values.

use super::Encoder;

/// An owned CBOR data item.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An unsigned integer (major type 0).
    Uint(u64),
    /// A negative integer `-1 - n`, holding `n`.
    Nint(u64),
    /// A byte string (major type 2).
    Bytes(Vec<u8>),
    /// A text string (major type 3).
    Text(String),
    /// An array (major type 4).
    Array(Vec<Value>),
    /// A map, entries in the order they are encoded (major type 5).
    Map(Vec<(Value, Value)>),
    /// A tag number and the tagged value (major type 6).
    Tag(u64, Box<Value>),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `undefined`.
    Undefined,
    /// A float, encoded as a double.
    Float(f64),
    /// Another simple value, by number.
    Simple(u8),
    /// Already-encoded CBOR, written verbatim (keeps received bytes when re-embedding).
    Raw(Vec<u8>),
}

impl Value {
    /// An integer of either sign.
    pub fn int(n: i64) -> Value {
        match u64::try_from(n) {
            Ok(u) => Value::Uint(u),
            // n < 0, so |n| >= 1 and -1 - n = |n| - 1 does not underflow.
            Err(_) => Value::Nint(n.unsigned_abs() - 1),
        }
    }

    /// A text string.
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    /// Encode (shortest heads, definite lengths, map order as given).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        e.value(self);
        e.into_bytes()
    }

    /// The content of a text string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The value of an integer of either sign (every CBOR integer fits in `i128`).
    pub fn as_int(&self) -> Option<i128> {
        match self {
            Value::Uint(n) => Some(i128::from(*n)),
            Value::Nint(n) => Some(-1 - i128::from(*n)),
            _ => None,
        }
    }
}
