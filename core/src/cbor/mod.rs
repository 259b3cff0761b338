//! CBOR (RFC 8949) for ISO 18013-5: a bounded decoder that keeps the exact bytes of every
//! item, an encoder for the structures Kakunin builds, and diagnostic notation.
//!
//! ISO 18013-5 hashes, signs and MACs the *received* encodings of tag-24 items
//! (`#6.24(bstr .cbor X)`), so the decoder returns a tree in which every node remembers the
//! slice of input it came from ([`Item::raw`]). Heads are decoded with `ciborium-ll`.
//!
//! [`Reader`] reads the same inputs head by head, under the same bounds and with the same
//! errors, for callers that map a large structure straight into their own types.
//!
//! Liberal in encoding, strict in meaning: non-shortest heads decode; duplicate map keys,
//! trailing bytes, invalid UTF-8 and (by default) indefinite-length items are rejected, as
//! are inputs beyond the [`Limits`].

mod decode;
mod diag;
mod encode;
mod reader;
mod value;

pub(crate) use decode::definite_argument;
pub use decode::{
    decode, decode_counted, decode_with, CborError, CborErrorKind, CborType, Item, ItemValue,
    Limits,
};
pub use diag::diagnostic;
pub use encode::Encoder;
pub(crate) use reader::short_string;
pub use reader::{Head, Known, Reader};
pub use value::Value;

/// The CBOR tag that marks an embedded, encoded data item (`#6.24(bstr .cbor X)`).
pub const TAG_ENCODED_CBOR: u64 = 24;
/// `tdate`: RFC 3339 date-time text.
pub const TAG_TDATE: u64 = 0;
/// `full-date`: RFC 8943 `YYYY-MM-DD` text.
pub const TAG_FULL_DATE: u64 = 1004;

/// Wrap encoded CBOR in tag 24: `d8 18` + bstr head + `inner`.
pub fn wrap_tag24(inner: &[u8]) -> Vec<u8> {
    let mut e = Encoder::with_capacity(inner.len() + 12);
    e.tag(TAG_ENCODED_CBOR);
    e.bytes(inner);
    e.into_bytes()
}
