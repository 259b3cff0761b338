//! Typed access to decoded CBOR with path-carrying errors, shared by the structure decoders.
//!
//! A path is anything `Display` (a `&str`, or `format_args!` for an indexed path), and is only
//! turned into a `String` when an error is built: parsing valid input formats no paths.

use super::MdocError;
use crate::cbor::{decode_with, Item, Limits};
use std::fmt::Display;

pub(crate) fn wrong(
    path: impl Display + Copy,
    expected: &'static str,
    item: &Item<'_>,
) -> MdocError {
    MdocError::WrongType {
        path: path.to_string(),
        expected,
        found: item.type_name(),
    }
}

pub(crate) fn invalid(path: impl Display + Copy, reason: &'static str) -> MdocError {
    MdocError::Invalid {
        path: path.to_string(),
        reason,
    }
}

pub(crate) fn decode_top<'a>(
    bytes: &'a [u8],
    path: impl Display + Copy,
) -> Result<Item<'a>, MdocError> {
    decode_with(bytes, &Limits::DEFAULT).map_err(|source| MdocError::Cbor {
        path: path.to_string(),
        source,
    })
}

pub(crate) fn map<'i, 'a>(
    item: &'i Item<'a>,
    path: impl Display + Copy,
) -> Result<&'i [(Item<'a>, Item<'a>)], MdocError> {
    item.as_map().ok_or_else(|| wrong(path, "map", item))
}

pub(crate) fn array<'i, 'a>(
    item: &'i Item<'a>,
    path: impl Display + Copy,
) -> Result<&'i [Item<'a>], MdocError> {
    item.as_array().ok_or_else(|| wrong(path, "array", item))
}

pub(crate) fn text<'i>(
    item: &'i Item<'_>,
    path: impl Display + Copy,
) -> Result<&'i str, MdocError> {
    item.as_text().ok_or_else(|| wrong(path, "tstr", item))
}

pub(crate) fn bytes<'i>(
    item: &'i Item<'_>,
    path: impl Display + Copy,
) -> Result<&'i [u8], MdocError> {
    item.as_bytes().ok_or_else(|| wrong(path, "bstr", item))
}

pub(crate) fn uint(item: &Item<'_>, path: impl Display + Copy) -> Result<u64, MdocError> {
    item.as_uint().ok_or_else(|| wrong(path, "uint", item))
}

pub(crate) fn int(item: &Item<'_>, path: impl Display + Copy) -> Result<i64, MdocError> {
    item.as_int().ok_or_else(|| wrong(path, "int", item))
}

pub(crate) fn boolean(item: &Item<'_>, path: impl Display + Copy) -> Result<bool, MdocError> {
    item.as_bool().ok_or_else(|| wrong(path, "bool", item))
}

/// A required text-keyed field of a map.
pub(crate) fn field<'i, 'a>(
    item: &'i Item<'a>,
    key: &str,
    path: impl Display + Copy,
) -> Result<&'i Item<'a>, MdocError> {
    map(item, path)?;
    item.get_text_key(key).ok_or_else(|| MdocError::Missing {
        path: format!("{path}.{key}"),
    })
}

/// An optional text-keyed field of a map.
pub(crate) fn opt_field<'i, 'a>(
    item: &'i Item<'a>,
    key: &str,
    path: impl Display + Copy,
) -> Result<Option<&'i Item<'a>>, MdocError> {
    map(item, path)?;
    Ok(item.get_text_key(key))
}

/// A `#6.24(bstr .cbor X)` item: returns the decoded X. The full tagged bytes are `item.raw()`.
pub(crate) fn tag24<'a>(item: &Item<'a>, path: impl Display + Copy) -> Result<Item<'a>, MdocError> {
    let (tag, inner) = item.as_tag().ok_or_else(|| wrong(path, "tag 24", item))?;
    if tag != crate::cbor::TAG_ENCODED_CBOR {
        return Err(invalid(path, "expected tag 24 (encoded CBOR)"));
    }
    match inner.value() {
        crate::cbor::ItemValue::Bytes(std::borrow::Cow::Borrowed(b)) => decode_top(b, path),
        crate::cbor::ItemValue::Bytes(_) => Err(invalid(
            path,
            "tag 24 content must be a definite-length byte string",
        )),
        _ => Err(wrong(path, "bstr inside tag 24", inner)),
    }
}

/// A `tdate` (tag 0, RFC 3339) or, leniently, an epoch time (tag 1).
pub(crate) fn tdate(
    item: &Item<'_>,
    path: impl Display + Copy,
) -> Result<time::OffsetDateTime, MdocError> {
    let (tag, inner) = item
        .as_tag()
        .ok_or_else(|| wrong(path, "tdate (tag 0)", item))?;
    match tag {
        0 => {
            let s = text(inner, path)?;
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| invalid(path, "tdate is not RFC 3339 date-time text"))
        }
        1 => {
            let secs = int(inner, path)?;
            time::OffsetDateTime::from_unix_timestamp(secs)
                .map_err(|_| invalid(path, "epoch time out of range"))
        }
        _ => Err(invalid(path, "expected tdate (tag 0)")),
    }
}
