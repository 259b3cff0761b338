//! The payload of a JWT Status List Token (draft-ietf-oauth-status-list §5.1), read in one
//! pass straight into the claims the token uses: `sub`, `iat`, `exp`, `nbf`, `ttl`, `iss`
//! and `status_list` (`bits`, `lst`, `aggregation_uri`). Every other member is checked as
//! JSON and skipped.
//!
//! Why not a `serde_json::Value` tree: the `lst` of a large list is most of the payload
//! (about 20 KB of base64url for 2^20 one-bit entries), and a tree copies it into its own
//! `String`; here it is borrowed from the decoded payload (owned only when it holds JSON
//! escapes). The small claims are still kept as `Value`s so that their type checks, and
//! the typed errors they give, are those of the tree-based reader
//! ([`super::StatusList::from_json`]). A member given twice keeps its last value, as
//! `serde_json::Map` does.

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;

/// The claims of the payload object that a Status List Token reads.
#[derive(Debug, Default)]
pub(crate) struct JwtPayload<'a> {
    pub(crate) sub: Option<Value>,
    pub(crate) iat: Option<Value>,
    pub(crate) exp: Option<Value>,
    pub(crate) nbf: Option<Value>,
    pub(crate) ttl: Option<Value>,
    pub(crate) iss: Option<Value>,
    pub(crate) status_list: Option<JsonStatusList<'a>>,
}

/// The `status_list` claim (§4.2): an object, or (to be refused) anything else.
#[derive(Debug)]
pub(crate) enum JsonStatusList<'a> {
    /// A JSON object, with the members read.
    Object {
        /// `bits`, as given.
        bits: Option<Value>,
        /// `lst`, as given.
        lst: Option<Lst<'a>>,
        /// `aggregation_uri`, as given.
        aggregation_uri: Option<Value>,
    },
    /// Not a JSON object.
    NotObject,
}

/// The `lst` member: a string (borrowed unless it holds escapes), or anything else.
#[derive(Debug)]
pub(crate) enum Lst<'a> {
    /// A JSON string.
    Text(Cow<'a, str>),
    /// Not a JSON string.
    NotText,
}

/// Consume and drop the rest of an array (a value of the wrong type, to be refused).
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Consume and drop the rest of an object.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the scalar visits of a visitor whose every non-`$keep` value is `$other`.
macro_rules! other_scalars {
    ($other:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
}

struct LstVisitor;

impl<'de> Visitor<'de> for LstVisitor {
    type Value = Lst<'de>;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("any JSON value")
    }
    other_scalars!(Lst::NotText);
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Lst::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Lst::Text(Cow::Owned(v.to_string())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| Lst::NotText)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map).map(|()| Lst::NotText)
    }
}

impl<'de> Deserialize<'de> for Lst<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LstVisitor)
    }
}

/// A member name: borrowed unless it holds escapes.
struct Key<'a>(Cow<'a, str>);

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a member name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_string())))
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct StatusListVisitor;

impl<'de> Visitor<'de> for StatusListVisitor {
    type Value = JsonStatusList<'de>;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("any JSON value")
    }
    other_scalars!(JsonStatusList::NotObject);
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(JsonStatusList::NotObject)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| JsonStatusList::NotObject)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut bits, mut lst, mut aggregation_uri) = (None, None, None);
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            match k.as_ref() {
                "bits" => bits = Some(map.next_value::<Value>()?),
                "lst" => lst = Some(map.next_value::<Lst<'de>>()?),
                "aggregation_uri" => aggregation_uri = Some(map.next_value::<Value>()?),
                _ => drop(map.next_value::<IgnoredAny>()?),
            }
        }
        Ok(JsonStatusList::Object {
            bits,
            lst,
            aggregation_uri,
        })
    }
}

impl<'de> Deserialize<'de> for JsonStatusList<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StatusListVisitor)
    }
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = JwtPayload<'de>;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut p = JwtPayload::default();
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            let slot = match k.as_ref() {
                "sub" => &mut p.sub,
                "iat" => &mut p.iat,
                "exp" => &mut p.exp,
                "nbf" => &mut p.nbf,
                "ttl" => &mut p.ttl,
                "iss" => &mut p.iss,
                "status_list" => {
                    p.status_list = Some(map.next_value::<JsonStatusList<'de>>()?);
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value::<Value>()?);
        }
        Ok(p)
    }
}

impl<'de> Deserialize<'de> for JwtPayload<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(PayloadVisitor)
    }
}

/// Read a decoded JWT payload; `None` if it is not a JSON object (or not JSON).
pub(crate) fn read(payload: &[u8]) -> Option<JwtPayload<'_>> {
    serde_json::from_slice(payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_claims_and_borrows_lst() {
        let p = read(
            br#"{"sub":"s","iat":1,"x":[1,{"a":2}],"status_list":{"bits":1,"lst":"eNrb","y":null},"ttl":5}"#,
        )
        .unwrap();
        assert_eq!(p.sub, Some(Value::from("s")));
        assert_eq!(p.ttl, Some(Value::from(5)));
        assert!(p.exp.is_none());
        let Some(JsonStatusList::Object { bits, lst, .. }) = p.status_list else {
            panic!()
        };
        assert_eq!(bits, Some(Value::from(1)));
        assert!(matches!(lst, Some(Lst::Text(Cow::Borrowed("eNrb")))));
    }

    #[test]
    fn wrong_shapes_are_told_apart() {
        for bad in [
            &b"[1]"[..],
            b"\"s\"",
            b"1",
            b"null",
            b"{",
            b"{} x",
            b"",
            b"{\"a\":}",
        ] {
            assert!(read(bad).is_none(), "{:?}", String::from_utf8_lossy(bad));
        }
        for (json, object) in [
            (&br#"{"status_list":[1,[2]]}"#[..], false),
            (br#"{"status_list":"x"}"#, false),
            (br#"{"status_list":7}"#, false),
            (br#"{"status_list":{}}"#, true),
        ] {
            let p = read(json).unwrap();
            assert_eq!(
                matches!(p.status_list, Some(JsonStatusList::Object { .. })),
                object
            );
        }
        let p = read(br#"{"status_list":{"lst":{"a":[1]}}}"#).unwrap();
        assert!(matches!(
            p.status_list,
            Some(JsonStatusList::Object {
                lst: Some(Lst::NotText),
                ..
            })
        ));
        // Escapes: an owned copy with the escape resolved; a repeated member keeps the last.
        let p = read(br#"{"sub":"a","sub":"b","status_list":{"lst":"e\u004e"}}"#).unwrap();
        assert_eq!(p.sub, Some(Value::from("b")));
        assert!(matches!(
            p.status_list,
            Some(JsonStatusList::Object {
                lst: Some(Lst::Text(Cow::Owned(ref s))),
                ..
            }) if s == "eN"
        ));
    }
}
