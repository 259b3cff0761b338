//! A `CertificateInfo` (Annex C) in the shape every real list sends, read in one pass over
//! its bytes: a map of at most 23 keys taken from [`IN_ORDER`] in that order (any may be
//! absent), each value of the type Annex C gives it and within Kakunin's bounds. The pull
//! reader then books the whole map as one item ([`Reader::take_read_item`]).
//!
//! Anything else (another key, a value of another type or out of bounds, a string head of
//! more than three bytes, a text that is not UTF-8, a limit of the reader reached) makes
//! this pass decline with nothing read, and the entry is read head by head as before, which
//! gives every answer for such entries (their defects and errors included). So this pass
//! never decides an error; it only makes the common case cheap: no head-by-head booking, no
//! duplicate-key bookkeeping (keys in [`IN_ORDER`] order are distinct), no per-text check of
//! a docType list already seen with the same bytes.

use super::{EntryFields, EntryKey, SerialHint, IN_ORDER};
use crate::cbor::{definite_argument, short_string, Reader};
use crate::trust::vical::parse::{Tdate, TextLists};
use crate::trust::vical::{MAX_DOC_TYPES, MAX_TEXT_LEN};

/// Where the pass is in the entry's bytes, and what it has read.
struct Cursor<'a> {
    input: &'a [u8],
    pos: usize,
    /// Data items read (each head; a tag and its content are two).
    items: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// A byte string (`major` 2) or text (3) with a head of at most three bytes, whose
    /// content is inside the input.
    #[inline(always)]
    fn string(&mut self, major: u8) -> Option<&'a [u8]> {
        let (content, end) = short_string(self.input, self.pos, major)?;
        self.pos = end;
        self.items += 1;
        Some(content)
    }

    /// A text of at most [`MAX_TEXT_LEN`] bytes, valid UTF-8.
    #[inline(always)]
    fn text(&mut self) -> Option<&'a [u8]> {
        let t = self.string(3)?;
        let valid = t.len() <= MAX_TEXT_LEN && (t.is_ascii() || std::str::from_utf8(t).is_ok());
        valid.then_some(t)
    }

    /// Tag `tag` (at most 23) in its one-byte form.
    #[inline(always)]
    fn tag(&mut self, tag: u8) -> bool {
        if self.byte() != Some(0xc0 | tag) {
            return false;
        }
        self.pos += 1;
        self.items += 1;
        true
    }

    /// An unsigned integer.
    fn uint(&mut self) -> Option<u64> {
        if self.byte()? >> 5 != 0 {
            return None;
        }
        let (n, used) = definite_argument(self.input, self.pos)?;
        self.pos += used;
        self.items += 1;
        Some(n)
    }

    /// The key of [`IN_ORDER`] at a position from `from` on that is next, and its position.
    /// Each position is compared with its own literal text, so that the comparison is
    /// inlined with a known length.
    #[inline(always)]
    fn key(&mut self, from: usize) -> Option<(EntryKey, usize)> {
        let rest = self.input.get(self.pos..)?;
        let is = |text: &str| {
            let len = text.len();
            rest.first().map(|b| usize::from(*b)) == Some(0x60 | len)
                && rest.get(1..=len) == Some(text.as_bytes())
        };
        macro_rules! find {
            ($($i:literal),*) => {
                $(if from <= $i && is(IN_ORDER[$i].1) {
                    self.pos += 1 + IN_ORDER[$i].1.len();
                    self.items += 1;
                    return Some((IN_ORDER[$i].0, $i));
                })*
            };
        }
        find!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        None
    }
}

/// Read the entry at the reader's offset in one pass into `f` (empty on entry), booking it
/// with the reader; `false` (nothing read, `f` to be cleared by the caller) where the entry
/// is not in the common shape or the reader would stop on a limit inside it.
pub(super) fn read_common_entry<'a>(
    r: &mut Reader<'a>,
    lists: &mut TextLists<'a>,
    f: &mut EntryFields<'a>,
) -> Result<bool, crate::cbor::CborError> {
    let mut c = Cursor {
        input: r.input(),
        pos: r.offset(),
        items: 0,
    };
    let start = c.pos;
    if read_fields(&mut c, lists, f).is_none() {
        return Ok(false);
    }
    // The map's values (tags, the docType array) open one level below it; their content is
    // two levels below the map's head.
    r.take_read_item(c.pos - start, c.items, 2)
}

/// The fields of the entry at `c`, each of the type Annex C gives it; `None` at the first
/// thing that is not.
#[inline(always)]
fn read_fields<'a>(
    c: &mut Cursor<'a>,
    lists: &mut TextLists<'a>,
    f: &mut EntryFields<'a>,
) -> Option<()> {
    let n = match c.byte()? {
        head @ 0xa1..=0xb7 => usize::from(head & 0x1f),
        _ => return None,
    };
    c.pos += 1;
    c.items += 1;
    let mut next = 0;
    for _ in 0..n {
        let (key, at) = c.key(next)?;
        next = at + 1;
        match key {
            EntryKey::Certificate => f.certificate = Some(Ok(c.string(2)?)),
            EntryKey::SerialNumber => {
                let hint = if c.tag(2) {
                    SerialHint::Big(c.string(2)?)
                } else {
                    SerialHint::Uint(c.uint()?.to_be_bytes())
                };
                f.serial_number = Some(Ok(hint));
            }
            EntryKey::Ski => f.ski = Some(Ok(c.string(2)?)),
            EntryKey::DocType => f.doc_type = Some(Ok(doc_types(c, lists)?)),
            EntryKey::IssuingAuthority => f.issuing_authority = Some(Ok(c.text()?)),
            EntryKey::IssuingCountry => f.issuing_country = Some(Ok(c.text()?)),
            EntryKey::StateOrProvinceName => f.state_or_province = Some(Ok(c.text()?)),
            EntryKey::Issuer => f.issuer = Some(Ok(c.string(2)?)),
            EntryKey::Subject => f.subject = Some(Ok(c.string(2)?)),
            EntryKey::NotBefore => f.not_before = Some(Ok(tdate(c)?)),
            EntryKey::NotAfter => f.not_after = Some(Ok(tdate(c)?)),
            // Not in IN_ORDER: never found by `key`.
            EntryKey::CertificateProfile => return None,
        }
    }
    Some(())
}

/// A `tdate` (tag 0 around an ASCII text), its text left for the comparison with the
/// certificate's own time.
#[inline(always)]
fn tdate<'a>(c: &mut Cursor<'a>) -> Option<Tdate<'a>> {
    if !c.tag(0) {
        return None;
    }
    let t = c.string(3)?;
    t.is_ascii().then_some(Tdate::Ascii(t))
}

/// `docType`: an array of 1 to 23 non-empty texts, shared with an equal list already read.
/// A list whose bytes equal those of one read before is that list, with no text read.
fn doc_types<'a>(
    c: &mut Cursor<'a>,
    lists: &mut TextLists<'a>,
) -> Option<std::sync::Arc<[String]>> {
    let rest = c.input.get(c.pos..)?;
    if let Some((encoded, list, items)) = lists.encoded_prefix_of(rest) {
        c.pos += encoded;
        c.items += items;
        return Some(list);
    }
    let n = match c.byte()? {
        head @ 0x81..=0x97 => usize::from(head & 0x1f),
        _ => return None,
    };
    const _: () = assert!(MAX_DOC_TYPES >= 23);
    let start = c.pos;
    c.pos += 1;
    c.items += 1;
    let mut texts = Vec::with_capacity(n);
    for _ in 0..n {
        let t = c.text()?;
        // Checked as UTF-8 by `text`.
        let t = std::str::from_utf8(t).ok().filter(|t| !t.is_empty())?;
        texts.push(t);
    }
    let encoded = c.input.get(start..c.pos)?;
    Some(lists.share(encoded, &texts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cbor::{decode, Limits};

    /// The entries of a real list, each as its own encoding.
    fn entries_of(list: &[u8]) -> Vec<Vec<u8>> {
        let top = decode(list).unwrap();
        let payload = decode(top.as_array().unwrap()[2].as_bytes().unwrap()).unwrap();
        let infos = payload.get_text_key("certificateInfos").unwrap();
        infos
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.raw().to_vec())
            .collect()
    }

    /// Every Austroads entry takes the one pass, and the reader is left at its end; AAMVA's
    /// carry a key Annex C does not name (`Extensions`), and are read head by head.
    #[test]
    fn real_entries_take_the_one_pass() {
        for (list, expected) in [
            (
                &include_bytes!("../../../../../spec-vectors/data/vical/austroads-20240919.vical")
                    [..],
                true,
            ),
            (
                &include_bytes!("../../../../../spec-vectors/data/vical/aamva-20240924.vical")[..],
                false,
            ),
        ] {
            let mut lists = TextLists::default();
            let entries = entries_of(list);
            for e in &entries {
                let mut r = Reader::new(e, &Limits::DEFAULT).unwrap();
                let mut f = EntryFields::default();
                assert_eq!(
                    read_common_entry(&mut r, &mut lists, &mut f).unwrap(),
                    expected
                );
                if expected {
                    assert_eq!(r.offset(), e.len());
                    r.finish().unwrap();
                    assert!(
                        f.certificate.is_some() && f.doc_type.is_some() && f.not_after.is_some()
                    );
                } else {
                    assert_eq!(r.offset(), 0);
                }
            }
        }
    }

    /// Where a limit of the reader would stop it inside the entry, the pass declines and
    /// leaves the error to the head-by-head read.
    #[test]
    fn declines_at_the_reader_limits() {
        let list =
            include_bytes!("../../../../../spec-vectors/data/vical/austroads-20240919.vical");
        let e = &entries_of(list)[0];
        for limits in [
            Limits {
                max_depth: 1,
                ..Limits::DEFAULT
            },
            Limits {
                max_items: 10,
                ..Limits::DEFAULT
            },
        ] {
            let mut r = Reader::new(e, &limits).unwrap();
            let mut f = EntryFields::default();
            let mut lists = TextLists::default();
            assert!(!read_common_entry(&mut r, &mut lists, &mut f).unwrap());
            assert_eq!(r.offset(), 0);
            let mut all = Reader::new(e, &limits).unwrap();
            assert!(all.skip().is_err());
        }
    }
}
