//! The bounded, byte-preserving decoder.

use ciborium_ll::{Decoder, Header};
use std::collections::HashSet;

/// Bounds applied while decoding untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_input: usize,
    /// Deepest accepted nesting of arrays, maps and tags.
    pub max_depth: usize,
    /// Most data items in one input (guards against many tiny items).
    pub max_items: usize,
    /// Accept indefinite-length strings, arrays and maps.
    pub allow_indefinite: bool,
}

impl Limits {
    /// Defaults sized for 18013-5 messages: 16 MiB, depth 32, 1 M items, definite lengths.
    pub const DEFAULT: Limits = Limits {
        max_input: 16 * 1024 * 1024,
        max_depth: 32,
        max_items: 1 << 20,
        allow_indefinite: false,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What is wrong with a CBOR input (RFC 8949 §3 well-formedness, plus the validity and
/// size rules Kakunin applies to untrusted input).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CborErrorKind {
    /// The input ends inside an item.
    Truncated,
    /// A head uses a reserved additional-information value (28–30, RFC 8949 §3) or is
    /// otherwise invalid.
    InvalidHead,
    /// A string, array or map declares more content than the input holds.
    LengthBeyondInput {
        /// The length (bytes for a string, items for an array or map) the head declares.
        declared: u64,
    },
    /// Input larger than [`Limits::max_input`].
    InputTooLarge {
        /// Size of the input, in bytes.
        len: usize,
        /// The limit it exceeds.
        max: usize,
    },
    /// Nesting deeper than [`Limits::max_depth`].
    TooDeep {
        /// The depth limit.
        max: usize,
    },
    /// More items than [`Limits::max_items`].
    TooManyItems {
        /// The item limit.
        max: usize,
    },
    /// An indefinite-length item where only definite lengths are accepted.
    IndefiniteLength,
    /// A text string that is not valid UTF-8 (RFC 8949 §3.1, major type 3).
    InvalidUtf8,
    /// A map with the same key twice (RFC 8949 §5.6: such a map is not valid).
    DuplicateMapKey,
    /// A break (0xff) outside an indefinite-length item.
    UnexpectedBreak,
    /// A chunk of an indefinite-length string has the wrong major type (RFC 8949 §3.2.3).
    InvalidChunk,
    /// Bytes left after the top-level item.
    TrailingBytes {
        /// How many bytes follow the item.
        count: usize,
    },
}

impl core::fmt::Display for CborErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CborErrorKind::Truncated => f.write_str("input ends inside an item"),
            CborErrorKind::InvalidHead => f.write_str("invalid item head"),
            CborErrorKind::LengthBeyondInput { declared } => {
                write!(f, "declared length {declared} exceeds the remaining input")
            }
            CborErrorKind::InputTooLarge { len, max } => {
                write!(f, "input of {len} bytes exceeds the {max}-byte limit")
            }
            CborErrorKind::TooDeep { max } => write!(f, "nesting deeper than {max}"),
            CborErrorKind::TooManyItems { max } => write!(f, "more than {max} data items"),
            CborErrorKind::IndefiniteLength => f.write_str("indefinite-length item not accepted"),
            CborErrorKind::InvalidUtf8 => f.write_str("text string is not valid UTF-8"),
            CborErrorKind::DuplicateMapKey => f.write_str("map key appears twice"),
            CborErrorKind::UnexpectedBreak => {
                f.write_str("break outside an indefinite-length item")
            }
            CborErrorKind::InvalidChunk => {
                f.write_str("indefinite-length string chunk of the wrong type")
            }
            CborErrorKind::TrailingBytes { count } => {
                write!(f, "{count} trailing byte(s) after the item")
            }
        }
    }
}

/// A CBOR decoding failure and the byte offset where it was detected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CBOR: {kind} at byte {offset}")]
pub struct CborError {
    /// What is wrong.
    pub kind: CborErrorKind,
    /// Offset from the start of the decoded buffer.
    pub offset: usize,
}

impl CborError {
    /// Always [`crate::Cause::Malformed`]: undecodable input is the sender's fault.
    pub fn cause(&self) -> crate::Cause {
        crate::Cause::Malformed
    }
}

/// The type of a decoded CBOR item (RFC 8949 §3.1 major types, with the simple values of
/// major type 7 told apart), named in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CborType {
    /// Major type 0, an unsigned integer.
    Uint,
    /// Major type 1, a negative integer.
    Nint,
    /// Major type 2, a byte string.
    Bytes,
    /// Major type 3, a text string.
    Text,
    /// Major type 4, an array.
    Array,
    /// Major type 5, a map.
    Map,
    /// Major type 6, a tagged item.
    Tag,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
    /// `undefined`.
    Undefined,
    /// A half, single or double precision float.
    Float,
    /// Any other simple value.
    Simple,
}

impl CborType {
    /// The CDDL name (RFC 8610 prelude): `uint`, `bstr`, `tstr`, `map`, ...
    pub const fn name(self) -> &'static str {
        match self {
            CborType::Uint => "uint",
            CborType::Nint => "nint",
            CborType::Bytes => "bstr",
            CborType::Text => "tstr",
            CborType::Array => "array",
            CborType::Map => "map",
            CborType::Tag => "tag",
            CborType::Bool => "bool",
            CborType::Null => "null",
            CborType::Undefined => "undefined",
            CborType::Float => "float",
            CborType::Simple => "simple",
        }
    }
}

impl core::fmt::Display for CborType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// One decoded data item and the exact bytes it was decoded from.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<'a> {
    raw: &'a [u8],
    offset: usize,
    value: ItemValue<'a>,
}

/// The decoded content of an [`Item`].
#[derive(Debug, Clone, PartialEq)]
pub enum ItemValue<'a> {
    /// An unsigned integer.
    Uint(u64),
    /// A negative integer `-1 - n`, holding `n`.
    Nint(u64),
    /// A byte string; indefinite-length strings are joined (hence owned).
    Bytes(std::borrow::Cow<'a, [u8]>),
    /// A text string; indefinite-length strings are joined (hence owned).
    Text(std::borrow::Cow<'a, str>),
    /// An array, each element with its own bytes.
    Array(Vec<Item<'a>>),
    /// A map's entries in received order (keys are unique: duplicates are rejected).
    Map(Vec<(Item<'a>, Item<'a>)>),
    /// A tag number and the tagged item.
    Tag(u64, Box<Item<'a>>),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `undefined`.
    Undefined,
    /// A float, widened to `f64`.
    Float(f64),
    /// Another simple value (major type 7), by number.
    Simple(u8),
}

impl<'a> Item<'a> {
    /// The exact encoded bytes of this item, as received.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Offset of this item from the start of the decoded buffer.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The decoded content.
    pub fn value(&self) -> &ItemValue<'a> {
        &self.value
    }

    /// The value of an unsigned integer.
    pub fn as_uint(&self) -> Option<u64> {
        match self.value {
            ItemValue::Uint(n) => Some(n),
            _ => None,
        }
    }

    /// An integer of either sign that fits in `i64`.
    pub fn as_int(&self) -> Option<i64> {
        match self.value {
            ItemValue::Uint(n) => i64::try_from(n).ok(),
            ItemValue::Nint(n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// The content of a text string.
    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            ItemValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The content of a byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.value {
            ItemValue::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The value of `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            ItemValue::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this item is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.value, ItemValue::Null)
    }

    /// The elements of an array.
    pub fn as_array(&self) -> Option<&[Item<'a>]> {
        match &self.value {
            ItemValue::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The entries of a map, in received order.
    pub fn as_map(&self) -> Option<&[(Item<'a>, Item<'a>)]> {
        match &self.value {
            ItemValue::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The tag number and tagged item.
    pub fn as_tag(&self) -> Option<(u64, &Item<'a>)> {
        match &self.value {
            ItemValue::Tag(t, inner) => Some((*t, inner)),
            _ => None,
        }
    }

    /// Look up a text key in a map.
    pub fn get_text_key(&self, key: &str) -> Option<&Item<'a>> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v)
    }

    /// Look up an integer key in a map.
    pub fn get_int_key(&self, key: i64) -> Option<&Item<'a>> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_int() == Some(key))
            .map(|(_, v)| v)
    }

    /// This item's CBOR type, for error messages.
    pub fn cbor_type(&self) -> CborType {
        match self.value {
            ItemValue::Uint(_) => CborType::Uint,
            ItemValue::Nint(_) => CborType::Nint,
            ItemValue::Bytes(_) => CborType::Bytes,
            ItemValue::Text(_) => CborType::Text,
            ItemValue::Array(_) => CborType::Array,
            ItemValue::Map(_) => CborType::Map,
            ItemValue::Tag(..) => CborType::Tag,
            ItemValue::Bool(_) => CborType::Bool,
            ItemValue::Null => CborType::Null,
            ItemValue::Undefined => CborType::Undefined,
            ItemValue::Float(_) => CborType::Float,
            ItemValue::Simple(_) => CborType::Simple,
        }
    }

    /// Convert to an owned [`crate::cbor::Value`].
    pub fn to_value(&self) -> super::Value {
        use super::Value as V;
        match &self.value {
            ItemValue::Uint(n) => V::Uint(*n),
            ItemValue::Nint(n) => V::Nint(*n),
            ItemValue::Bytes(b) => V::Bytes(b.to_vec()),
            ItemValue::Text(t) => V::Text(t.to_string()),
            ItemValue::Array(a) => V::Array(a.iter().map(Item::to_value).collect()),
            ItemValue::Map(m) => V::Map(
                m.iter()
                    .map(|(k, v)| (k.to_value(), v.to_value()))
                    .collect(),
            ),
            ItemValue::Tag(t, inner) => V::Tag(*t, Box::new(inner.to_value())),
            ItemValue::Bool(b) => V::Bool(*b),
            ItemValue::Null => V::Null,
            ItemValue::Undefined => V::Undefined,
            ItemValue::Float(f) => V::Float(*f),
            ItemValue::Simple(s) => V::Simple(*s),
        }
    }
}

/// Decode exactly one item filling `input`, with [`Limits::DEFAULT`].
pub fn decode(input: &[u8]) -> Result<Item<'_>, CborError> {
    decode_with(input, &Limits::DEFAULT)
}

/// Decode exactly one item filling `input`.
pub fn decode_with<'a>(input: &'a [u8], limits: &Limits) -> Result<Item<'a>, CborError> {
    decode_counted(input, limits).map(|(item, _)| item)
}

/// [`decode_with`], also returning how many data items were decoded (what counted against
/// [`Limits::max_items`]), so a caller decoding embedded items can share one budget.
pub fn decode_counted<'a>(
    input: &'a [u8],
    limits: &Limits,
) -> Result<(Item<'a>, usize), CborError> {
    if input.len() > limits.max_input {
        return Err(CborError {
            kind: CborErrorKind::InputTooLarge {
                len: input.len(),
                max: limits.max_input,
            },
            offset: 0,
        });
    }
    let mut p = Parser {
        input,
        pos: 0,
        items: 0,
        limits,
    };
    let item = p.item(0)?;
    if p.pos != input.len() {
        return Err(CborError {
            kind: CborErrorKind::TrailingBytes {
                count: input.len() - p.pos,
            },
            offset: p.pos,
        });
    }
    Ok((item, p.items))
}

struct Parser<'a, 'l> {
    input: &'a [u8],
    pos: usize,
    items: usize,
    limits: &'l Limits,
}

/// A hashable identity for map keys, so duplicates are found whatever their encoding.
#[derive(Hash, PartialEq, Eq)]
pub(super) enum KeyId<'k> {
    Uint(u64),
    Nint(u64),
    /// A text key, by its (UTF-8) bytes.
    Text(&'k [u8]),
    Bytes(&'k [u8]),
    /// Other key types compare by their canonical re-encoding.
    Other(Vec<u8>),
}

pub(super) fn key_id<'k>(item: &'k Item<'_>) -> KeyId<'k> {
    match &item.value {
        ItemValue::Uint(n) => KeyId::Uint(*n),
        ItemValue::Nint(n) => KeyId::Nint(*n),
        ItemValue::Text(t) => KeyId::Text(t.as_bytes()),
        ItemValue::Bytes(b) => KeyId::Bytes(b),
        _ => KeyId::Other(item.to_value().to_vec()),
    }
}

/// Whether a key's identity is its value as decoded (what [`KeyId`] holds without
/// re-encoding).
fn plain_key(v: &ItemValue<'_>) -> bool {
    matches!(
        v,
        ItemValue::Uint(_) | ItemValue::Nint(_) | ItemValue::Text(_) | ItemValue::Bytes(_)
    )
}

/// [`KeyId`] equality for two plain keys ([`plain_key`]): same type and value.
fn same_plain_key(a: &ItemValue<'_>, b: &ItemValue<'_>) -> bool {
    match (a, b) {
        (ItemValue::Uint(x), ItemValue::Uint(y)) | (ItemValue::Nint(x), ItemValue::Nint(y)) => {
            x == y
        }
        (ItemValue::Text(x), ItemValue::Text(y)) => x == y,
        (ItemValue::Bytes(x), ItemValue::Bytes(y)) => x == y,
        _ => false,
    }
}

/// The offset of the first map key equal (by meaning) to an earlier one. Small maps, which
/// are nearly all of them in 18013-5, are compared pairwise without allocating; larger ones
/// through a hash set, so a hostile map with many keys stays linear.
fn duplicate_key(entries: &[(Item<'_>, Item<'_>)]) -> Option<usize> {
    const PAIRWISE_UP_TO: usize = 16;
    if entries.len() <= PAIRWISE_UP_TO {
        if entries.iter().all(|(k, _)| plain_key(&k.value)) {
            // Integer, text and byte-string keys (nearly every map) compare in place.
            return entries
                .iter()
                .enumerate()
                .skip(1)
                .find_map(|(i, (key, _))| {
                    let earlier = entries.get(..i).unwrap_or_default();
                    earlier
                        .iter()
                        .any(|(e, _)| same_plain_key(&e.value, &key.value))
                        .then_some(key.offset)
                });
        }
        // Each key's identity once (on the stack), then compared with the earlier ones.
        let mut ids: [Option<KeyId<'_>>; PAIRWISE_UP_TO] = Default::default();
        for (slot, (k, _)) in ids.iter_mut().zip(entries) {
            *slot = Some(key_id(k));
        }
        return ids
            .iter()
            .zip(entries)
            .enumerate()
            .skip(1)
            .find_map(|(i, (id, (key, _)))| {
                let earlier = ids.get(..i).unwrap_or_default();
                earlier.contains(id).then_some(key.offset)
            });
    }
    let mut seen = HashSet::with_capacity(entries.len());
    entries
        .iter()
        .find(|(k, _)| !seen.insert(key_id(k)))
        .map(|(k, _)| k.offset)
}

/// The argument of the head at `start` of `input` whose additional information is 0–27
/// (RFC 8949 §3.1), and the bytes the head takes, its initial byte included; `None` if the
/// input ends first or the additional information is 28–31. The major type is the caller's
/// to check. The one reader of a head's argument: the tree decoder's fast path, the pull
/// reader's and the VICAL entry pass's heads all go through it.
#[inline(always)]
pub(crate) fn definite_argument(input: &[u8], start: usize) -> Option<(u64, usize)> {
    fn be<const N: usize>(input: &[u8], start: usize) -> Option<[u8; N]> {
        input.get(start + 1..start + 1 + N)?.try_into().ok()
    }
    Some(match *input.get(start)? & 0x1f {
        info @ 0..=23 => (u64::from(info), 1),
        24 => (u64::from(*input.get(start + 1)?), 2),
        25 => (u64::from(u16::from_be_bytes(be(input, start)?)), 3),
        26 => (u64::from(u32::from_be_bytes(be(input, start)?)), 5),
        27 => (u64::from_be_bytes(be(input, start)?), 9),
        _ => return None,
    })
}

/// The head of a major type 0–6 item with a definite argument (additional information
/// 0–27, RFC 8949 §3), read inline: nearly every head of an 18013-5 message, and the
/// decoder's hot path. `None` for everything else (major type 7, indefinite lengths, the
/// reserved values 28–30), which goes through `ciborium_ll` so that floats, simple values
/// and invalid heads keep one implementation. `Some(None)` when the argument's bytes are
/// truncated; otherwise the header and the bytes it took, the initial byte included.
fn fast_head(input: &[u8], start: usize) -> Option<Option<(Header, usize)>> {
    let initial = *input.get(start)?;
    let major = initial >> 5;
    if major == 7 || initial & 0x1f > 27 {
        return None;
    }
    let Some((arg, used)) = definite_argument(input, start) else {
        return Some(None);
    };
    // Lengths that do not fit in `usize` cannot be in the input: the caller's bounds reject
    // them as beyond the input, as `ciborium_ll` does by refusing the head.
    let len = || usize::try_from(arg).ok();
    let header = match major {
        0 => Header::Positive(arg),
        1 => Header::Negative(arg),
        2 => Header::Bytes(Some(len()?)),
        3 => Header::Text(Some(len()?)),
        4 => Header::Array(Some(len()?)),
        5 => Header::Map(Some(len()?)),
        _ => Header::Tag(arg),
    };
    Some(Some((header, used)))
}

/// The head at `start` of `input` and how many bytes it takes; `Truncated` or `InvalidHead`
/// (at `start`) when there is none. The one head reader of the tree decoder and of
/// [`super::Reader`], so that both accept and refuse the same heads.
pub(super) fn head_at(input: &[u8], start: usize) -> Result<(Header, usize), CborError> {
    let err = |kind| CborError {
        kind,
        offset: start,
    };
    let rest = input.get(start..).unwrap_or_default();
    if rest.is_empty() {
        return Err(err(CborErrorKind::Truncated));
    }
    if let Some(header) = fast_head(input, start) {
        return header.ok_or_else(|| err(CborErrorKind::Truncated));
    }
    let mut dec = Decoder::from(rest);
    let header = dec.pull().map_err(|e| match e {
        ciborium_ll::Error::Io(_) => err(CborErrorKind::Truncated),
        ciborium_ll::Error::Syntax(_) => err(CborErrorKind::InvalidHead),
    })?;
    Ok((header, dec.offset()))
}

impl<'a> Parser<'a, '_> {
    fn err(&self, kind: CborErrorKind, offset: usize) -> CborError {
        CborError { kind, offset }
    }

    fn head(&mut self) -> Result<(Header, usize), CborError> {
        let start = self.pos;
        let (header, used) = head_at(self.input, start)?;
        self.pos += used;
        Ok((header, start))
    }

    fn take(&mut self, len: u64, start: usize) -> Result<&'a [u8], CborError> {
        let beyond = || self.err(CborErrorKind::LengthBeyondInput { declared: len }, start);
        let end = usize::try_from(len)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .ok_or_else(beyond)?;
        let s = self.input.get(self.pos..end).ok_or_else(beyond)?;
        self.pos = end;
        Ok(s)
    }

    fn count_item(&mut self, start: usize) -> Result<(), CborError> {
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(self.err(
                CborErrorKind::TooManyItems {
                    max: self.limits.max_items,
                },
                start,
            ));
        }
        Ok(())
    }

    fn item(&mut self, depth: usize) -> Result<Item<'a>, CborError> {
        if depth > self.limits.max_depth {
            return Err(self.err(
                CborErrorKind::TooDeep {
                    max: self.limits.max_depth,
                },
                self.pos,
            ));
        }
        // Fast path for the most common items of 18013-5 messages: a text or byte string
        // whose length is in its initial byte (under 24 bytes: map keys, element names,
        // short values). The same checks and errors as the general path below.
        let start = self.pos;
        if let Some(&initial) = self.input.get(start) {
            let (major, info) = (initial >> 5, initial & 0x1f);
            if (major == 2 || major == 3) && info < 24 {
                self.pos = start + 1;
                self.count_item(start)?;
                let bytes = self.take(u64::from(info), start)?;
                let value = if major == 2 {
                    ItemValue::Bytes(std::borrow::Cow::Borrowed(bytes))
                } else {
                    let text = std::str::from_utf8(bytes)
                        .map_err(|_| self.err(CborErrorKind::InvalidUtf8, start))?;
                    ItemValue::Text(std::borrow::Cow::Borrowed(text))
                };
                return Ok(Item {
                    raw: self.input.get(start..self.pos).unwrap_or_default(),
                    offset: start,
                    value,
                });
            }
        }
        let (header, start) = self.head()?;
        self.count_item(start)?;
        let value = match header {
            Header::Positive(n) => ItemValue::Uint(n),
            Header::Negative(n) => ItemValue::Nint(n),
            Header::Float(f) => ItemValue::Float(f),
            Header::Simple(20) => ItemValue::Bool(false),
            Header::Simple(21) => ItemValue::Bool(true),
            Header::Simple(22) => ItemValue::Null,
            Header::Simple(23) => ItemValue::Undefined,
            Header::Simple(s) => ItemValue::Simple(s),
            Header::Break => return Err(self.err(CborErrorKind::UnexpectedBreak, start)),
            Header::Tag(t) => ItemValue::Tag(t, Box::new(self.item(depth + 1)?)),
            Header::Bytes(Some(len)) => {
                ItemValue::Bytes(std::borrow::Cow::Borrowed(self.take(len as u64, start)?))
            }
            Header::Bytes(None) => {
                self.check_indefinite(start)?;
                ItemValue::Bytes(std::borrow::Cow::Owned(self.chunks(start, true)?))
            }
            Header::Text(Some(len)) => {
                let bytes = self.take(len as u64, start)?;
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| self.err(CborErrorKind::InvalidUtf8, start))?;
                ItemValue::Text(std::borrow::Cow::Borrowed(text))
            }
            Header::Text(None) => {
                self.check_indefinite(start)?;
                let joined = self.chunks(start, false)?;
                let text = String::from_utf8(joined)
                    .map_err(|_| self.err(CborErrorKind::InvalidUtf8, start))?;
                ItemValue::Text(std::borrow::Cow::Owned(text))
            }
            Header::Array(len) => {
                let mut items = Vec::new();
                match len {
                    Some(n) => {
                        // Each element takes at least one byte: a cheap bound before allocating.
                        self.check_count(n as u64, start)?;
                        items.reserve(n);
                        for _ in 0..n {
                            items.push(self.item(depth + 1)?);
                        }
                    }
                    None => {
                        self.check_indefinite(start)?;
                        while !self.at_break()? {
                            items.push(self.item(depth + 1)?);
                        }
                    }
                }
                ItemValue::Array(items)
            }
            Header::Map(len) => {
                let mut entries = Vec::new();
                match len {
                    Some(n) => {
                        self.check_count((n as u64).saturating_mul(2), start)?;
                        entries.reserve(n);
                        for _ in 0..n {
                            let k = self.item(depth + 1)?;
                            let v = self.item(depth + 1)?;
                            entries.push((k, v));
                        }
                    }
                    None => {
                        self.check_indefinite(start)?;
                        while !self.at_break()? {
                            let k = self.item(depth + 1)?;
                            let v = self.item(depth + 1)?;
                            entries.push((k, v));
                        }
                    }
                }
                if let Some(offset) = duplicate_key(&entries) {
                    return Err(self.err(CborErrorKind::DuplicateMapKey, offset));
                }
                ItemValue::Map(entries)
            }
        };
        Ok(Item {
            raw: self.input.get(start..self.pos).unwrap_or_default(),
            offset: start,
            value,
        })
    }

    fn check_count(&self, n: u64, start: usize) -> Result<(), CborError> {
        let remaining = (self.input.len() - self.pos) as u64;
        if n > remaining {
            return Err(self.err(CborErrorKind::LengthBeyondInput { declared: n }, start));
        }
        Ok(())
    }

    fn check_indefinite(&self, start: usize) -> Result<(), CborError> {
        if self.limits.allow_indefinite {
            Ok(())
        } else {
            Err(self.err(CborErrorKind::IndefiniteLength, start))
        }
    }

    /// Consume a break if one is next.
    fn at_break(&mut self) -> Result<bool, CborError> {
        match self.input.get(self.pos) {
            Some(0xff) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Err(self.err(CborErrorKind::Truncated, self.pos)),
        }
    }

    fn chunks(&mut self, start: usize, bytes: bool) -> Result<Vec<u8>, CborError> {
        let mut out = Vec::new();
        while !self.at_break()? {
            let (h, at) = self.head()?;
            self.count_item(at)?;
            let len = match (h, bytes) {
                (Header::Bytes(Some(n)), true) | (Header::Text(Some(n)), false) => n,
                _ => return Err(self.err(CborErrorKind::InvalidChunk, at)),
            };
            out.extend_from_slice(self.take(len as u64, at)?);
        }
        let _ = start;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inline head reader agrees with `ciborium_ll` on every initial byte it handles,
    /// with full and truncated arguments.
    #[test]
    fn fast_head_agrees_with_ciborium_ll() {
        let tail = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11];
        let mut handled = 0;
        for initial in 0..=u8::MAX {
            for cut in 0..=tail.len() {
                let mut input = vec![initial];
                input.extend_from_slice(&tail[..cut]);
                let Some(fast) = fast_head(&input, 0) else {
                    continue;
                };
                handled += 1;
                let mut dec = Decoder::from(&input[..]);
                match (fast, dec.pull()) {
                    (Some((h, used)), Ok(expected)) => {
                        assert_eq!(h, expected, "{initial:#04x}");
                        assert_eq!(used, dec.offset(), "{initial:#04x}");
                    }
                    (None, Err(ciborium_ll::Error::Io(_))) => {}
                    (f, c) => panic!("{initial:#04x} cut {cut}: {f:?} vs {c:?}"),
                }
            }
        }
        assert_eq!(handled, 7 * 28 * (tail.len() + 1));
    }

    /// A short string (length in the initial byte, the fast path) decodes to the same value,
    /// or fails with the same error at the same offset, as the same string with a one-byte
    /// length head (the general path), whole, truncated, and with invalid UTF-8.
    #[test]
    fn short_strings_agree_with_the_general_path() {
        for major in [0x40u8, 0x60] {
            for len in 0..24u8 {
                let content: Vec<u8> = (0..len).map(|i| b'a' + i).collect();
                let mut bad_utf8 = content.clone();
                if let Some(first) = bad_utf8.first_mut() {
                    *first = 0xff;
                }
                for body in [&content, &bad_utf8] {
                    for cut in 0..=body.len() {
                        let body = &body[..cut];
                        let mut fast = vec![0x81, major | len];
                        fast.extend_from_slice(body);
                        let mut general = vec![0x81, (major | 0x18), len];
                        general.extend_from_slice(body);
                        let (f, g) = (decode(&fast), decode(&general));
                        match (&f, &g) {
                            (Ok(f), Ok(g)) => {
                                let (f, g) = (&f.as_array().unwrap()[0], &g.as_array().unwrap()[0]);
                                assert_eq!(f.value(), g.value());
                                assert_eq!(f.offset(), 1);
                                assert_eq!(&f.raw()[1..], &g.raw()[2..]);
                            }
                            (Err(f), Err(g)) => {
                                assert_eq!(f.kind, g.kind, "{fast:02x?}");
                                assert_eq!(f.offset, g.offset, "{fast:02x?}");
                            }
                            _ => panic!("{fast:02x?}: {f:?} vs {g:?}"),
                        }
                    }
                }
            }
        }
        let one_item = Limits {
            max_items: 1,
            ..Limits::DEFAULT
        };
        assert_eq!(
            decode_with(&[0x81, 0x61, b'a'], &one_item)
                .unwrap_err()
                .kind,
            CborErrorKind::TooManyItems { max: 1 }
        );
    }

    #[test]
    fn keeps_non_shortest_bytes() {
        // 0x18 0x01 is a non-shortest encoding of 1.
        let input = [0x82, 0x18, 0x01, 0x01];
        let item = decode(&input).unwrap();
        let a = item.as_array().unwrap();
        assert_eq!(a[0].raw(), &[0x18, 0x01]);
        assert_eq!(a[0].as_uint(), Some(1));
        assert_eq!(a[1].raw(), &[0x01]);
    }

    #[test]
    fn rejects_duplicate_keys_in_any_encoding() {
        let input = [0xa2, 0x01, 0x00, 0x18, 0x01, 0x00];
        assert_eq!(
            decode(&input).unwrap_err().kind,
            CborErrorKind::DuplicateMapKey
        );
    }

    /// Every key type of a small map: equal keys are found at the later key's offset, keys
    /// of different types or values are not equal, and non-plain keys (arrays, tags) still
    /// compare by meaning.
    #[test]
    fn duplicate_keys_of_every_type_in_small_maps() {
        let dup = |input: &[u8]| match decode(input) {
            Err(e) if e.kind == CborErrorKind::DuplicateMapKey => Some(e.offset),
            Err(e) => panic!("{e:?}"),
            Ok(_) => None,
        };
        // {"a": 0, "b": 0, "a": 0}: the third key, at offset 7.
        assert_eq!(
            dup(&[0xa3, 0x61, b'a', 0, 0x61, b'b', 0, 0x61, b'a', 0]),
            Some(7)
        );
        // h'01' twice; -1 twice (one of them with a 1-byte argument).
        assert_eq!(dup(&[0xa2, 0x41, 1, 0, 0x41, 1, 0]), Some(4));
        assert_eq!(dup(&[0xa2, 0x20, 0, 0x38, 0x00, 0]), Some(3));
        // 1, "1", h'01', -2: all different.
        assert_eq!(
            dup(&[0xa4, 0x01, 0, 0x61, b'1', 0, 0x41, 1, 0, 0x21, 0]),
            None
        );
        // [1] twice, beside a plain key: the re-encoding path.
        assert_eq!(
            dup(&[0xa3, 0x01, 0, 0x81, 0x01, 0, 0x81, 0x18, 0x01, 0]),
            Some(6)
        );
        assert_eq!(dup(&[0xa2, 0x81, 0x01, 0, 0x81, 0x02, 0]), None);
    }

    #[test]
    fn rejects_trailing_bytes() {
        assert_eq!(
            decode(&[0x01, 0x02]).unwrap_err().kind,
            CborErrorKind::TrailingBytes { count: 1 }
        );
    }

    #[test]
    fn rejects_huge_length() {
        let input = [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            decode(&input).unwrap_err().kind,
            CborErrorKind::LengthBeyondInput { .. }
        ));
        let input = [0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            decode(&input).unwrap_err().kind,
            CborErrorKind::LengthBeyondInput { .. }
        ));
    }

    #[test]
    fn rejects_deep_nesting() {
        let input = vec![0x81; 100];
        assert!(matches!(
            decode(&input).unwrap_err().kind,
            CborErrorKind::TooDeep { .. }
        ));
    }

    #[test]
    fn indefinite_only_when_allowed() {
        let input = [0x5f, 0x41, 0xaa, 0x41, 0xbb, 0xff];
        assert_eq!(
            decode(&input).unwrap_err().kind,
            CborErrorKind::IndefiniteLength
        );
        let limits = Limits {
            allow_indefinite: true,
            ..Limits::DEFAULT
        };
        let item = decode_with(&input, &limits).unwrap();
        assert_eq!(item.as_bytes(), Some(&[0xaa, 0xbb][..]));
    }

    #[test]
    fn rejects_bad_utf8_and_stray_break() {
        assert_eq!(
            decode(&[0x61, 0xff]).unwrap_err().kind,
            CborErrorKind::InvalidUtf8
        );
        assert_eq!(
            decode(&[0xff]).unwrap_err().kind,
            CborErrorKind::UnexpectedBreak
        );
    }
}
