//! Typed access to decoded CBOR with path-carrying errors, shared by the structure decoders.
//!
//! A path is anything `Display` (a `&str`, or `format_args!` for an indexed path), and is only
//! turned into a `String` when an error is built: parsing valid input formats no paths.

use super::{Expected, InvalidReason, MdocError};
use crate::cbor::{decode_with, CborType, Item, Limits};
use std::fmt::Display;

/// `item` at `path` is not of the `expected` type.
pub(crate) fn wrong(path: impl Display + Copy, expected: Expected, item: &Item<'_>) -> MdocError {
    MdocError::WrongType {
        path: path.to_string(),
        expected,
        found: item.cbor_type(),
    }
}

/// The item at `path` breaks the rule `reason`.
pub(crate) fn invalid(path: impl Display + Copy, reason: InvalidReason) -> MdocError {
    MdocError::Invalid {
        path: path.to_string(),
        reason,
    }
}

/// The required field at `path` is absent.
pub(crate) fn missing(path: impl Display) -> MdocError {
    MdocError::Missing {
        path: path.to_string(),
    }
}

/// The decoder bounds for received structures: the defaults, with at most
/// [`super::MAX_ITEMS`] data items.
pub(crate) const STRUCTURE_LIMITS: Limits = Limits {
    max_items: super::MAX_ITEMS,
    ..Limits::DEFAULT
};

/// Decode one whole structure (trailing bytes rejected) with [`STRUCTURE_LIMITS`].
pub(crate) fn decode_top<'a>(
    bytes: &'a [u8],
    path: impl Display + Copy,
) -> Result<Item<'a>, MdocError> {
    decode_with(bytes, &STRUCTURE_LIMITS).map_err(|source| MdocError::Cbor {
        path: path.to_string(),
        source,
    })
}

/// [`decode_top`] with at most `budget` data items, taking what it decoded off `budget`: one
/// budget shared by a structure and the tag-24 items embedded in it.
pub(crate) fn decode_budgeted<'a>(
    bytes: &'a [u8],
    path: impl Display + Copy,
    budget: &mut usize,
) -> Result<Item<'a>, MdocError> {
    let limits = Limits {
        max_items: (*budget).min(STRUCTURE_LIMITS.max_items),
        ..STRUCTURE_LIMITS
    };
    let (item, used) =
        crate::cbor::decode_counted(bytes, &limits).map_err(|source| MdocError::Cbor {
            path: path.to_string(),
            source,
        })?;
    *budget = budget.saturating_sub(used);
    Ok(item)
}

/// A map.
pub(crate) fn map<'i, 'a>(
    item: &'i Item<'a>,
    path: impl Display + Copy,
) -> Result<&'i [(Item<'a>, Item<'a>)], MdocError> {
    item.as_map()
        .ok_or_else(|| wrong(path, Expected::Type(CborType::Map), item))
}

/// An array.
pub(crate) fn array<'i, 'a>(
    item: &'i Item<'a>,
    path: impl Display + Copy,
) -> Result<&'i [Item<'a>], MdocError> {
    item.as_array()
        .ok_or_else(|| wrong(path, Expected::Type(CborType::Array), item))
}

/// A text string.
pub(crate) fn text<'i>(
    item: &'i Item<'_>,
    path: impl Display + Copy,
) -> Result<&'i str, MdocError> {
    item.as_text()
        .ok_or_else(|| wrong(path, Expected::Type(CborType::Text), item))
}

/// A byte string.
pub(crate) fn bytes<'i>(
    item: &'i Item<'_>,
    path: impl Display + Copy,
) -> Result<&'i [u8], MdocError> {
    item.as_bytes()
        .ok_or_else(|| wrong(path, Expected::Type(CborType::Bytes), item))
}

/// An unsigned integer.
pub(crate) fn uint(item: &Item<'_>, path: impl Display + Copy) -> Result<u64, MdocError> {
    item.as_uint()
        .ok_or_else(|| wrong(path, Expected::Type(CborType::Uint), item))
}

/// An integer of either sign that fits in `i64`.
pub(crate) fn int(item: &Item<'_>, path: impl Display + Copy) -> Result<i64, MdocError> {
    item.as_int()
        .ok_or_else(|| wrong(path, Expected::Int, item))
}

/// `true` or `false`.
pub(crate) fn boolean(item: &Item<'_>, path: impl Display + Copy) -> Result<bool, MdocError> {
    item.as_bool()
        .ok_or_else(|| wrong(path, Expected::Type(CborType::Bool), item))
}

/// A required text-keyed field of a map.
pub(crate) fn field<'i, 'a>(
    item: &'i Item<'a>,
    key: &str,
    path: impl Display + Copy,
) -> Result<&'i Item<'a>, MdocError> {
    map(item, path)?;
    item.get_text_key(key)
        .ok_or_else(|| missing(format_args!("{path}.{key}")))
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

/// The byte string of a `#6.24(bstr .cbor X)` item, not yet decoded. Indefinite-length
/// content is refused: its bytes as received could not be the encoding that is hashed.
pub(crate) fn tag24_bytes<'i>(
    item: &'i Item<'_>,
    path: impl Display + Copy,
) -> Result<&'i [u8], MdocError> {
    let (tag, inner) = item
        .as_tag()
        .ok_or_else(|| wrong(path, Expected::Tag24, item))?;
    if tag != crate::cbor::TAG_ENCODED_CBOR {
        return Err(invalid(
            path,
            InvalidReason::WrongTag {
                expected: crate::cbor::TAG_ENCODED_CBOR,
                found: tag,
            },
        ));
    }
    match inner.value() {
        crate::cbor::ItemValue::Bytes(std::borrow::Cow::Borrowed(b)) => Ok(b),
        crate::cbor::ItemValue::Bytes(_) => Err(invalid(path, InvalidReason::Tag24Indefinite)),
        _ => Err(invalid(
            path,
            InvalidReason::Tag24NotBstr {
                found: inner.cbor_type(),
            },
        )),
    }
}

/// A `#6.24(bstr .cbor X)` item: returns the decoded X. The full tagged bytes are `item.raw()`.
pub(crate) fn tag24<'a>(item: &Item<'a>, path: impl Display + Copy) -> Result<Item<'a>, MdocError> {
    let mut budget = STRUCTURE_LIMITS.max_items;
    tag24_budgeted(item, path, &mut budget)
}

/// [`tag24`], decoding the embedded item against `budget` (see [`decode_budgeted`]).
pub(crate) fn tag24_budgeted<'a>(
    item: &Item<'a>,
    path: impl Display + Copy,
    budget: &mut usize,
) -> Result<Item<'a>, MdocError> {
    let (_, inner) = item
        .as_tag()
        .ok_or_else(|| wrong(path, Expected::Tag24, item))?;
    tag24_bytes(item, path)?;
    // `tag24_bytes` accepted it, so the content is a byte string borrowed from the input,
    // which the decoded item may borrow too.
    match inner.value() {
        crate::cbor::ItemValue::Bytes(std::borrow::Cow::Borrowed(b)) => {
            decode_budgeted(b, path, budget)
        }
        _ => Err(invalid(path, InvalidReason::Tag24Indefinite)),
    }
}

/// A `tdate` (tag 0, RFC 3339) or, leniently, an epoch time (tag 1).
pub(crate) fn tdate(
    item: &Item<'_>,
    path: impl Display + Copy,
) -> Result<time::OffsetDateTime, MdocError> {
    let (tag, inner) = item
        .as_tag()
        .ok_or_else(|| wrong(path, Expected::Tdate, item))?;
    match tag {
        0 => {
            let s = text(inner, path)?;
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| invalid(path, InvalidReason::BadTdate))
        }
        1 => {
            let secs = int(inner, path)?;
            time::OffsetDateTime::from_unix_timestamp(secs)
                .map_err(|_| invalid(path, InvalidReason::EpochOutOfRange))
        }
        found => Err(invalid(
            path,
            InvalidReason::WrongTag {
                expected: crate::cbor::TAG_TDATE,
                found,
            },
        )),
    }
}
