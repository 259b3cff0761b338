//! A pull reader: one CBOR item read head by head from a byte slice, with no item tree.
//!
//! For large structures read once into the caller's own types (a VICAL's payload, Annex C of
//! ISO 18013-5), building and dropping a [`super::Item`] tree costs more than the reading
//! itself. The reader gives the same answers as [`super::decode_with`] on the same input: the
//! same [`Limits`] (input size, depth, item count; lengths are checked against the bytes left
//! before anything is sized from them), the same well-formedness and validity rules (UTF-8
//! texts, duplicate map keys, trailing bytes) and the same [`CborError`] kinds at the same
//! offsets, in the same order. It keeps one small stack of the open arrays, maps and tags (at
//! most [`Limits::max_depth`] + 1 entries) and the keys of the open maps, to find duplicates
//! when a map ends: each key is booked by a fingerprint and offset, and compared in full only
//! where fingerprints are equal (maps over 16 keys go through a hash set, so a hostile map
//! stays linear). [`Reader::read_known`] lets a caller name the texts it expects by their
//! bytes (map keys, repeated values): a text equal to one the caller gives back needs no UTF-8
//! check of its own.
//!
//! One difference: indefinite-length items are always refused
//! ([`CborErrorKind::IndefiniteLength`]), whatever [`Limits::allow_indefinite`] says, since
//! their strings cannot be handed out as borrowed slices.

use super::decode::{definite_argument, head_at, key_id, KeyId};
use super::{decode_with, CborError, CborErrorKind, CborType, Limits};
use ciborium_ll::Header;
use std::collections::HashSet;

/// One head read by [`Reader::read`]: a whole scalar (strings borrowed from the input, texts
/// already checked as UTF-8), or the head of an array, map or tag whose content follows.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Head<'a> {
    /// An unsigned integer (major type 0).
    Uint(u64),
    /// A negative integer `-1 - n`, holding `n` (major type 1).
    Nint(u64),
    /// A definite-length byte string (major type 2).
    Bytes(&'a [u8]),
    /// A definite-length text string (major type 3).
    Text(&'a str),
    /// An array of this many items, which the next reads return (major type 4).
    Array(usize),
    /// A map of this many key/value pairs, which the next reads return key first (major
    /// type 5).
    Map(usize),
    /// A tag number; the next read returns the tagged item (major type 6).
    Tag(u64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `undefined`.
    Undefined,
    /// A half, single or double precision float, widened to `f64`.
    Float(f64),
    /// Another simple value (major type 7), by number.
    Simple(u8),
}

impl Head<'_> {
    /// This head's CBOR type, for error messages.
    pub fn cbor_type(&self) -> CborType {
        match self {
            Head::Uint(_) => CborType::Uint,
            Head::Nint(_) => CborType::Nint,
            Head::Bytes(_) => CborType::Bytes,
            Head::Text(_) => CborType::Text,
            Head::Array(_) => CborType::Array,
            Head::Map(_) => CborType::Map,
            Head::Tag(_) => CborType::Tag,
            Head::Bool(_) => CborType::Bool,
            Head::Null => CborType::Null,
            Head::Undefined => CborType::Undefined,
            Head::Float(_) => CborType::Float,
            Head::Simple(_) => CborType::Simple,
        }
    }
}

/// What [`Reader::read_known`] read: a text the caller knows, or any other head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Known<'a, K> {
    /// A text the caller's `known` named.
    Known(K),
    /// Any other head (a text the caller does not know, UTF-8 checked, or another type).
    Other(Head<'a>),
}

/// A head as read, before a text's UTF-8 is checked.
enum Raw<'a> {
    Head(Head<'a>),
    Text(&'a [u8]),
}

/// The identity of a plain map key (an integer or string), borrowed.
#[derive(Clone, Copy)]
enum KeyRef<'a> {
    Uint(u64),
    Nint(u64),
    Text(&'a [u8]),
    Bytes(&'a [u8]),
}

/// What a head means to the open containers.
#[derive(Clone, Copy)]
enum Shape<'a> {
    /// A scalar that is a plain map key (integer or string), with its identity.
    Key(KeyRef<'a>),
    /// Another scalar (float, simple value).
    Scalar,
    /// An array, map (`true`) or tag with this many items to follow.
    Opens(usize, bool),
}

fn shape<'a>(head: &Head<'a>) -> Shape<'a> {
    match *head {
        Head::Uint(n) => Shape::Key(KeyRef::Uint(n)),
        Head::Nint(n) => Shape::Key(KeyRef::Nint(n)),
        Head::Text(t) => Shape::Key(KeyRef::Text(t.as_bytes())),
        Head::Bytes(b) => Shape::Key(KeyRef::Bytes(b)),
        Head::Array(n) if n > 0 => Shape::Opens(n, false),
        Head::Map(n) if n > 0 => Shape::Opens(n.saturating_mul(2), true),
        Head::Tag(_) => Shape::Opens(1, false),
        _ => Shape::Scalar,
    }
}

/// A text's content, checked as UTF-8 (RFC 8949 §3.1).
fn utf8(bytes: &[u8], start: usize) -> Result<&str, CborError> {
    std::str::from_utf8(bytes).map_err(|_| CborError {
        kind: CborErrorKind::InvalidUtf8,
        offset: start,
    })
}

/// The identity of a map key that is not an integer or string: its re-encoding, as the
/// tree decoder compares such keys.
#[cold]
fn other_key_id<'a>(raw: &[u8], limits: &Limits) -> KeyId<'a> {
    match decode_with(raw, limits) {
        Ok(item) => match key_id(&item) {
            KeyId::Other(v) => KeyId::Other(v),
            _ => KeyId::Other(raw.to_vec()),
        },
        // Not reached: the reader has already read these bytes as one item.
        Err(_) => KeyId::Other(raw.to_vec()),
    }
}

/// "None" in a [`Frame`]'s positions (no input or key list is that long).
const NONE: usize = usize::MAX;

/// An open array, map or tag: how many of its items are still to be read.
struct Frame {
    /// Items still to come (a map's keys and values both count).
    remaining: usize,
    /// For a map: where its keys start in [`Reader::keys`]; [`NONE`] otherwise.
    map_keys_from: usize,
    /// For a map whose current key is not an integer or string: where that key starts (its
    /// identity is its re-encoding, taken once the key is complete); [`NONE`] otherwise.
    pending_key: usize,
}

/// A pull reader over exactly one encoded item (see the module documentation).
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    items: usize,
    limits: Limits,
    frames: Vec<Frame>,
    /// The keys (fingerprint, offset) of every open map, innermost last.
    keys: Vec<(u64, usize)>,
    /// Whether the top-level item is complete.
    done: bool,
}

impl<'a> Reader<'a> {
    /// A reader of the one item that must fill `input`; refuses an input larger than
    /// [`Limits::max_input`] as [`super::decode_with`] does.
    pub fn new(input: &'a [u8], limits: &Limits) -> Result<Self, CborError> {
        if input.len() > limits.max_input {
            return Err(CborError {
                kind: CborErrorKind::InputTooLarge {
                    len: input.len(),
                    max: limits.max_input,
                },
                offset: 0,
            });
        }
        Ok(Reader {
            input,
            pos: 0,
            items: 0,
            limits: *limits,
            frames: Vec::new(),
            keys: Vec::new(),
            done: false,
        })
    }

    /// The offset of the next head.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// How many data items were read so far (what counts against [`Limits::max_items`]).
    pub fn items(&self) -> usize {
        self.items
    }

    /// How many arrays, maps and tags are open around the next item.
    pub fn depth(&self) -> usize {
        self.frames.len()
    }

    /// The input this reader reads.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    #[cold]
    #[inline(never)]
    fn err(kind: CborErrorKind, offset: usize) -> CborError {
        CborError { kind, offset }
    }

    /// The checks made before any head: the top-level item is not complete yet, and the
    /// nesting is within bounds.
    #[inline(always)]
    fn before_head(&self, start: usize) -> Result<(), CborError> {
        if self.done {
            let left = self.input.len().saturating_sub(start);
            return Err(Self::err(
                if left > 0 {
                    CborErrorKind::TrailingBytes { count: left }
                } else {
                    CborErrorKind::Truncated
                },
                start,
            ));
        }
        if self.frames.len() > self.limits.max_depth {
            return Err(Self::err(
                CborErrorKind::TooDeep {
                    max: self.limits.max_depth,
                },
                start,
            ));
        }
        Ok(())
    }

    /// Read the next head (a whole item for scalars). Once the top-level item is complete,
    /// another read is refused: as `TrailingBytes` if bytes are left, else `Truncated`.
    #[inline(always)]
    pub fn read(&mut self) -> Result<Head<'a>, CborError> {
        let start = self.pos;
        self.before_head(start)?;
        let head = match self.read_head(start)? {
            Raw::Head(head) => head,
            Raw::Text(bytes) => Head::Text(utf8(bytes, start)?),
        };
        self.account(shape(&head), start)?;
        Ok(head)
    }

    /// Read the next head, a map key the caller may know: `known` is given a text's bytes
    /// and answers the caller's name for it with the same text (compared here, so a text
    /// the caller knows needs no UTF-8 check of its own). Every other item is read as by
    /// [`Reader::read`] and handed back.
    pub fn read_known<'k, K>(
        &mut self,
        known: impl FnOnce(&[u8]) -> Option<(K, &'k str)>,
    ) -> Result<Known<'a, K>, CborError> {
        let start = self.pos;
        self.before_head(start)?;
        let head = match self.read_head(start)? {
            Raw::Head(head) => head,
            Raw::Text(bytes) => match known(bytes) {
                Some((k, text)) if text.as_bytes() == bytes => {
                    self.account(Shape::Key(KeyRef::Text(bytes)), start)?;
                    return Ok(Known::Known(k));
                }
                _ => Head::Text(utf8(bytes, start)?),
            },
        };
        self.account(shape(&head), start)?;
        Ok(Known::Other(head))
    }

    /// Read the next head; a text whose bytes are all ASCII (so valid UTF-8, with no further
    /// check) is handed to `f` as bytes, and what `f` answers is given back as
    /// [`Known::Known`]. A text `f` declines (`None`) or that is not ASCII, and every other
    /// head, is read as by [`Reader::read`] and handed back. For values read from their
    /// bytes (dates, texts kept as ranges), where a `&str` is not needed.
    #[inline(always)]
    pub fn read_ascii_with<T>(
        &mut self,
        f: impl FnOnce(&'a [u8]) -> Option<T>,
    ) -> Result<Known<'a, T>, CborError> {
        let start = self.pos;
        self.before_head(start)?;
        let head = match self.read_head(start)? {
            Raw::Head(head) => head,
            Raw::Text(bytes) => {
                if bytes.is_ascii() {
                    if let Some(v) = f(bytes) {
                        self.account(Shape::Key(KeyRef::Text(bytes)), start)?;
                        return Ok(Known::Known(v));
                    }
                }
                Head::Text(utf8(bytes, start)?)
            }
        };
        self.account(shape(&head), start)?;
        Ok(Known::Other(head))
    }

    /// Read the next item if it is exactly the text `text` in its shortest encoding (a map
    /// key the caller expects at this place, compared by its encoded bytes); otherwise read
    /// nothing and answer `false`, leaving the item to [`Reader::read`] or
    /// [`Reader::read_known`]. Only texts of at most 23 bytes (a one-byte head) are looked
    /// for; a longer one always answers `false`. A match is booked as `read` books the same
    /// text (item count, nesting, the map's keys for the duplicate check), with the same
    /// errors at the same offset; its UTF-8 is `text`'s own.
    #[inline(always)]
    pub fn read_text_if(&mut self, text: &str) -> Result<bool, CborError> {
        let start = self.pos;
        let bytes = text.as_bytes();
        let Ok(len) = u8::try_from(bytes.len()) else {
            return Ok(false);
        };
        if len > 23 {
            return Ok(false);
        }
        let end = start + 1 + bytes.len();
        match self.input.get(start..end) {
            Some([head, rest @ ..]) if *head == 0x60 | len && rest == bytes => {}
            _ => return Ok(false),
        }
        // The checks `read` makes for this head, in its order: before the head, the item
        // count; the text is inside the input, as just compared.
        self.before_head(start)?;
        self.pos = start + 1;
        self.count_item(start)?;
        self.pos = end;
        self.account(Shape::Key(KeyRef::Text(bytes)), start)?;
        Ok(true)
    }

    /// The next item's string content and end, if it is a byte string (`major` 2) or text
    /// (3) of definite length with a head of at most three bytes, and `read` would read it
    /// without an error (before the head, the item count, the length); nothing is booked.
    /// `None` leaves the item, or the error `read` finds in it, to `read`.
    #[inline(always)]
    fn short_string_at(&self, major: u8, start: usize) -> Option<(&'a [u8], usize)> {
        if self.done || self.frames.len() > self.limits.max_depth {
            return None;
        }
        if self.items >= self.limits.max_items {
            return None;
        }
        short_string(self.input, start, major)
    }

    /// Read the next item if it is a byte string of definite length with a head of at most
    /// three bytes, and `read` would read it without an error: booked as `read` books it,
    /// its bytes handed back. Otherwise nothing is read (`None`), and the item, or the error
    /// `read` finds in it, is left to [`Reader::read`]. For the byte strings real lists are
    /// made of, with no [`Head`] to build and take apart.
    #[inline(always)]
    pub fn read_bytes_if(&mut self) -> Result<Option<&'a [u8]>, CborError> {
        let start = self.pos;
        let Some((bytes, end)) = self.short_string_at(2, start) else {
            return Ok(None);
        };
        self.items += 1;
        self.pos = end;
        self.account(Shape::Key(KeyRef::Bytes(bytes)), start)?;
        Ok(Some(bytes))
    }

    /// [`Reader::read_bytes_if`] for a text whose bytes are all ASCII (so valid UTF-8, with
    /// no further check): its bytes, or `None` with nothing read.
    #[inline(always)]
    pub fn read_ascii_if(&mut self) -> Result<Option<&'a [u8]>, CborError> {
        let start = self.pos;
        let Some((bytes, end)) = self.short_string_at(3, start) else {
            return Ok(None);
        };
        if !bytes.is_ascii() {
            return Ok(None);
        }
        self.items += 1;
        self.pos = end;
        self.account(Shape::Key(KeyRef::Text(bytes)), start)?;
        Ok(Some(bytes))
    }

    /// Read the next head if it is tag `tag` (at most 23) in its one-byte form and `read`
    /// would read it without an error: booked as `read` books it, answering `true`.
    /// Otherwise nothing is read (`false`), and the head is left to [`Reader::read`].
    #[inline(always)]
    pub fn read_tag_if(&mut self, tag: u8) -> Result<bool, CborError> {
        let start = self.pos;
        if tag > 23
            || self.input.get(start) != Some(&(0xc0 | tag))
            || self.done
            || self.frames.len() > self.limits.max_depth
            || self.items >= self.limits.max_items
        {
            return Ok(false);
        }
        self.items += 1;
        self.pos = start + 1;
        self.account(Shape::Opens(1, false), start)?;
        Ok(true)
    }

    /// Book the array or map at the current offset, `len` bytes, that the caller has read
    /// itself from [`Reader::input`] with every check `read` makes of each of its heads
    /// (definite lengths within the input, UTF-8 texts, distinct map keys): `items` data
    /// items in all, its deepest head `nesting` containers below its first. What `read`
    /// would check against the reader's own state (the top-level item not yet complete, the
    /// depth and item limits) is checked here; where any would stop `read`, nothing is read
    /// (`false`), and the item is left to be read head by head, which finds the same error.
    /// For a VICAL's entries in the shape real lists use, read in one pass.
    pub(crate) fn take_read_item(
        &mut self,
        len: usize,
        items: usize,
        nesting: usize,
    ) -> Result<bool, CborError> {
        let start = self.pos;
        let container = matches!(self.input.get(start), Some(b) if matches!(b >> 5, 4 | 5));
        if !container
            || self.done
            || self.frames.len().saturating_add(nesting) > self.limits.max_depth
            || self.items.saturating_add(items) > self.limits.max_items
            || start.saturating_add(len) > self.input.len()
        {
            return Ok(false);
        }
        self.items += items;
        self.pos = start + len;
        // To the containers around it, a whole array or map is booked as one item that
        // opens nothing (as a map key, its identity is its encoding, as when read).
        self.account(Shape::Scalar, start)?;
        Ok(true)
    }

    /// Read one head and its string content, checking it as the tree decoder does (the same
    /// checks in the same order, so the same error wins); a text's UTF-8 is the caller's to
    /// check, next.
    #[inline(always)]
    fn read_head(&mut self, start: usize) -> Result<Raw<'a>, CborError> {
        let truncated = || Self::err(CborErrorKind::Truncated, start);
        let initial = *self.input.get(start).ok_or_else(truncated)?;
        let (major, info) = (initial >> 5, initial & 0x1f);
        if major == 7 || info > 27 {
            return self.read_other_head(start);
        }
        // Major types 0-6 with a definite argument, read inline: nearly every head.
        let (arg, used) = definite_argument(self.input, start).ok_or_else(truncated)?;
        self.pos = start + used;
        self.count_item(start)?;
        Ok(Raw::Head(match major {
            0 => Head::Uint(arg),
            1 => Head::Nint(arg),
            2 => Head::Bytes(self.take(arg, start)?),
            3 => return Ok(Raw::Text(self.take(arg, start)?)),
            4 => Head::Array(self.count(arg, arg, start)?),
            5 => Head::Map(self.count(arg, arg.saturating_mul(2), start)?),
            _ => Head::Tag(arg),
        }))
    }

    /// Floats, simple values, breaks, indefinite lengths and reserved heads, through the
    /// tree decoder's own head reader.
    #[cold]
    fn read_other_head(&mut self, start: usize) -> Result<Raw<'a>, CborError> {
        let (header, used) = head_at(self.input, start)?;
        self.pos = start + used;
        self.count_item(start)?;
        Ok(Raw::Head(match header {
            Header::Positive(n) => Head::Uint(n),
            Header::Negative(n) => Head::Nint(n),
            Header::Float(f) => Head::Float(f),
            Header::Simple(20) => Head::Bool(false),
            Header::Simple(21) => Head::Bool(true),
            Header::Simple(22) => Head::Null,
            Header::Simple(23) => Head::Undefined,
            Header::Simple(s) => Head::Simple(s),
            Header::Tag(t) => Head::Tag(t),
            Header::Break => return Err(Self::err(CborErrorKind::UnexpectedBreak, start)),
            Header::Bytes(Some(len)) => Head::Bytes(self.take(len as u64, start)?),
            Header::Text(Some(len)) => return Ok(Raw::Text(self.take(len as u64, start)?)),
            Header::Array(Some(n)) => Head::Array(self.count(n as u64, n as u64, start)?),
            Header::Map(Some(n)) => {
                let n = n as u64;
                Head::Map(self.count(n, n.saturating_mul(2), start)?)
            }
            Header::Bytes(None) | Header::Text(None) | Header::Array(None) | Header::Map(None) => {
                return Err(Self::err(CborErrorKind::IndefiniteLength, start))
            }
        }))
    }

    /// An array's or map's count `n`, whose `items` (each at least one byte) must fit in
    /// the bytes left: checked before anything is sized from it.
    fn count(&self, n: u64, items: u64, start: usize) -> Result<usize, CborError> {
        let remaining = self.input.len().saturating_sub(self.pos) as u64;
        let beyond = || Self::err(CborErrorKind::LengthBeyondInput { declared: items }, start);
        if items > remaining {
            return Err(beyond());
        }
        usize::try_from(n).map_err(|_| beyond())
    }

    #[inline(always)]
    fn count_item(&mut self, start: usize) -> Result<(), CborError> {
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(Self::err(
                CborErrorKind::TooManyItems {
                    max: self.limits.max_items,
                },
                start,
            ));
        }
        Ok(())
    }

    #[inline(always)]
    fn take(&mut self, len: u64, start: usize) -> Result<&'a [u8], CborError> {
        let beyond = || Self::err(CborErrorKind::LengthBeyondInput { declared: len }, start);
        let end = usize::try_from(len)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .ok_or_else(beyond)?;
        let s = self.input.get(self.pos..end).ok_or_else(beyond)?;
        self.pos = end;
        Ok(s)
    }

    /// Book the head just read at `start` into the open containers: a map key's identity,
    /// the container it opens, the containers it completes (checking their keys). The
    /// common case (an item inside a container that is not complete yet) stays inline;
    /// completing containers is [`Reader::close`]'s.
    #[inline(always)]
    fn account(&mut self, shape: Shape<'_>, start: usize) -> Result<(), CborError> {
        let opens = match shape {
            Shape::Opens(remaining, map) => Some((remaining, map)),
            Shape::Key(_) | Shape::Scalar => None,
        };
        if let Some(frame) = self.frames.last_mut() {
            if frame.map_keys_from != NONE {
                // Keys and values alternate; `remaining` is even before each key.
                if frame.remaining % 2 == 0 {
                    match shape {
                        Shape::Key(key) => self.keys.push((fingerprint(key), start)),
                        _ => frame.pending_key = start,
                    }
                } else if frame.pending_key != NONE {
                    // The key ended where its value starts.
                    let key_start = core::mem::replace(&mut frame.pending_key, NONE);
                    book_other_key(self.input, &self.limits, &mut self.keys, key_start, start);
                }
            }
            frame.remaining = frame.remaining.saturating_sub(1);
            if opens.is_none() {
                if frame.remaining > 0 {
                    return Ok(());
                }
                // A tag or array this item completes, inside a container it does not
                // complete (a tag around a scalar, in real lists): popped here, without a
                // call to `close`. A map has its keys to check, in `close`.
                if frame.map_keys_from == NONE {
                    self.frames.pop();
                    if self.frames.last().is_some_and(|f| f.remaining > 0) {
                        return Ok(());
                    }
                }
            }
        }
        if let Some((remaining, map)) = opens {
            self.frames.push(Frame {
                remaining,
                map_keys_from: if map { self.keys.len() } else { NONE },
                pending_key: NONE,
            });
            return Ok(());
        }
        self.close()
    }

    /// Pop the containers the last item completed, checking each map's keys for
    /// duplicates; once none is left open, the top-level item is complete.
    #[inline(never)]
    fn close(&mut self) -> Result<(), CborError> {
        while let Some(frame) = self.frames.last() {
            if frame.remaining > 0 {
                return Ok(());
            }
            let from = frame.map_keys_from;
            self.frames.pop();
            if from != NONE {
                let keys = self.keys.get(from..).unwrap_or_default();
                if let Some(offset) = duplicate_key(self.input, keys, &self.limits) {
                    return Err(Self::err(CborErrorKind::DuplicateMapKey, offset));
                }
                self.keys.truncate(from);
            }
        }
        self.done = true;
        Ok(())
    }

    /// Skip one whole item (every check still made).
    pub fn skip(&mut self) -> Result<(), CborError> {
        let level = self.frames.len();
        self.read()?;
        while self.frames.len() > level {
            self.read()?;
        }
        Ok(())
    }

    /// Skip the content of the array, map or tag whose head `head` was just read (nothing
    /// for a scalar), every check still made.
    pub fn skip_content(&mut self, head: Head<'_>) -> Result<(), CborError> {
        let opened = match head {
            Head::Array(n) | Head::Map(n) => n > 0,
            Head::Tag(_) => true,
            _ => false,
        };
        if opened {
            let level = self.frames.len().saturating_sub(1);
            while self.frames.len() > level {
                self.read()?;
            }
        }
        Ok(())
    }

    /// Read what is left of the top-level item and refuse bytes after it (`TrailingBytes`).
    pub fn finish(mut self) -> Result<(), CborError> {
        while !self.done {
            self.read()?;
        }
        let left = self.input.len().saturating_sub(self.pos);
        if left > 0 {
            return Err(Self::err(
                CborErrorKind::TrailingBytes { count: left },
                self.pos,
            ));
        }
        Ok(())
    }
}

/// The content and end of the byte string (`major` 2) or text (3) at `start` of `input`, if
/// its head is definite with at most two length bytes and its content is inside the input;
/// a text's UTF-8 is not checked. Its own two-byte length read rather than
/// [`definite_argument`]: on the VICAL entry pass, which reads every string through here,
/// the general reader cost about 4.7 K more instructions a list (callgrind, Austroads).
#[inline(always)]
pub(crate) fn short_string(input: &[u8], start: usize, major: u8) -> Option<(&[u8], usize)> {
    let initial = *input.get(start)?;
    if initial >> 5 != major {
        return None;
    }
    let (len, used) = match initial & 0x1f {
        info @ 0..=23 => (usize::from(info), 1),
        24 => (usize::from(*input.get(start + 1)?), 2),
        25 => {
            let b = input.get(start + 1..start + 3)?;
            (usize::from(u16::from_be_bytes(b.try_into().ok()?)), 3)
        }
        _ => return None,
    };
    let from = start + used;
    let end = from.checked_add(len)?;
    Some((input.get(from..end)?, end))
}

/// A fingerprint of a map key's identity: equal keys have equal fingerprints, so keys are
/// compared in full only where their fingerprints are equal. Integers by value, strings by
/// length and their first, middle and last bytes (cheap; a map of many keys that share them
/// costs full comparisons, pairwise only up to 16 keys), other keys by their re-encoding.
#[inline(always)]
fn fingerprint(key: KeyRef<'_>) -> u64 {
    const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
    let of_bytes = |b: &[u8]| {
        let at = |i: usize| u64::from(b.get(i).copied().unwrap_or(0));
        let len = b.len();
        (len as u64) ^ (at(0) << 32) ^ (at(len / 2) << 40) ^ (at(len.wrapping_sub(1)) << 48)
    };
    let (kind, value) = match key {
        KeyRef::Uint(n) => (1u64, n.wrapping_mul(MIX)),
        KeyRef::Nint(n) => (2, n.wrapping_mul(MIX)),
        KeyRef::Text(t) => (3, of_bytes(t)),
        KeyRef::Bytes(b) => (4, of_bytes(b)),
    };
    value ^ (kind << 60)
}

/// Book a map key that is not an integer or string, which started at `key_start` of
/// `input` and ended where its value starts (`value_start`): by its re-encoding.
#[cold]
#[inline(never)]
fn book_other_key(
    input: &[u8],
    limits: &Limits,
    keys: &mut Vec<(u64, usize)>,
    key_start: usize,
    value_start: usize,
) {
    let raw = input.get(key_start..value_start).unwrap_or_default();
    let fp = other_fingerprint(&other_key_id(raw, limits));
    keys.push((fp, key_start));
}

/// [`fingerprint`] of a key that is not an integer or string, by its re-encoding.
#[cold]
fn other_fingerprint(id: &KeyId<'_>) -> u64 {
    match id {
        KeyId::Other(v) => fingerprint(KeyRef::Bytes(v)) ^ 7,
        // Not reached: `other_key_id` answers only `Other`.
        _ => 0,
    }
}

/// The identity of the map key at `at` of `input` (a key the reader has read whole).
#[cold]
fn key_id_at<'a>(input: &'a [u8], at: usize, limits: &Limits) -> Option<KeyId<'a>> {
    let rest = input.get(at..)?;
    let mut r = Reader::new(rest, limits).ok()?;
    // The key's UTF-8 was checked when it was read: a text is compared by its bytes.
    let head = match r.read_head(0).ok()? {
        Raw::Text(t) => return Some(KeyId::Text(t)),
        Raw::Head(head) => head,
    };
    match head {
        Head::Uint(n) => Some(KeyId::Uint(n)),
        Head::Nint(n) => Some(KeyId::Nint(n)),
        Head::Bytes(b) => Some(KeyId::Bytes(b)),
        head => {
            r.account(shape(&head), 0).ok()?;
            r.skip_content(head).ok()?;
            let raw = rest.get(..r.offset())?;
            Some(other_key_id(raw, limits))
        }
    }
}

/// Whether the keys at `a` and `b` are equal (by meaning, as the tree decoder compares).
#[cold]
fn same_key(input: &[u8], a: usize, b: usize, limits: &Limits) -> bool {
    match (key_id_at(input, a, limits), key_id_at(input, b, limits)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The offset of the first key equal to an earlier one of the same map, as the tree decoder
/// finds it. Small maps compare fingerprints pairwise (in full only where they are equal);
/// large ones go through a hash set of the keys' identities, so a hostile map of many keys
/// (or of many equal fingerprints) stays linear.
fn duplicate_key(input: &[u8], keys: &[(u64, usize)], limits: &Limits) -> Option<usize> {
    const PAIRWISE_UP_TO: usize = 16;
    if keys.len() <= PAIRWISE_UP_TO {
        // A 64-bit set of the fingerprints seen (six bits of each): a key whose bit is not
        // set yet has no equal fingerprint before it, so only the others are compared with
        // the earlier keys. The answer is the same first repeated key as a full pairwise
        // comparison finds.
        let mut seen = 0u64;
        return keys.iter().enumerate().find_map(|(i, (fp, at))| {
            let bit = 1u64 << (fp.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58);
            let maybe = seen & bit != 0;
            seen |= bit;
            if !maybe {
                return None;
            }
            let earlier = keys.get(..i).unwrap_or_default();
            earlier
                .iter()
                .any(|(e, e_at)| e == fp && same_key(input, *e_at, *at, limits))
                .then_some(*at)
        });
    }
    large_map_duplicate(input, keys, limits)
}

#[cold]
fn large_map_duplicate(input: &[u8], keys: &[(u64, usize)], limits: &Limits) -> Option<usize> {
    let mut seen = HashSet::with_capacity(keys.len());
    keys.iter()
        .find(|(_, at)| key_id_at(input, *at, limits).is_some_and(|id| !seen.insert(id)))
        .map(|(_, at)| *at)
}

#[cfg(test)]
mod tests;
