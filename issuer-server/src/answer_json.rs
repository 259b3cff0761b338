//! The enrolment answer's two credential arrays as JSON text, written by hand.
//!
//! The arrays are most of an answer (about 177 KiB for 20 + 20 credentials), and nearly all
//! of that is base64url and JWS compact text, which never needs escaping. `serde_json`
//! scans every byte of every string for escapes one at a time; here a string is first
//! checked in 64-byte chunks (a loop the compiler vectorises) and, when no byte needs
//! escaping, copied as is. Any other string goes through `serde_json`, so the text is the
//! same as `serde_json::to_vec` of the same values, byte for byte (the tests compare them).

use crate::issue::{Jwk, MdocAnswer, SdJwtVcAnswer, StatusRef};

/// `items` as a JSON array, into a buffer of `size_hint` bytes.
pub fn array_text<T: WriteJson>(
    items: &[T],
    size_hint: usize,
) -> Result<String, std::string::FromUtf8Error> {
    let mut out = Vec::with_capacity(size_hint);
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item.write_json(&mut out);
    }
    out.push(b']');
    // Only UTF-8 goes in (`str`s copied whole, ASCII punctuation, serde_json's own text),
    // so this does not fail; checked all the same rather than assumed.
    String::from_utf8(out)
}

/// A value of the answer that writes itself as JSON text.
pub trait WriteJson {
    /// Append this value's JSON text to `out`.
    fn write_json(&self, out: &mut Vec<u8>);
}

/// Whether `s` can be written between quotes as is: JSON (RFC 8259 §7) escapes only the
/// quotation mark, the reverse solidus and the control characters U+0000 to U+001F, and
/// `serde_json` escapes exactly those (other characters, non-ASCII too, go out as they are).
fn needs_no_escape(s: &str) -> bool {
    s.as_bytes().chunks(64).all(|chunk| {
        // No early exit inside a chunk, so the loop is vectorised.
        !chunk.iter().fold(false, |bad, &b| {
            bad | (b < 0x20) | (b == b'"') | (b == b'\\')
        })
    })
}

/// `s` as a JSON string.
fn push_str(out: &mut Vec<u8>, s: &str) {
    if needs_no_escape(s) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing a `str` into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// `"name":` (names are this file's own ASCII literals).
fn push_name(out: &mut Vec<u8>, name: &str, first: bool) {
    out.push(if first { b'{' } else { b',' });
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

impl WriteJson for Jwk {
    fn write_json(&self, out: &mut Vec<u8>) {
        push_name(out, "crv", true);
        push_str(out, self.crv);
        push_name(out, "kty", false);
        push_str(out, self.kty);
        push_name(out, "x", false);
        push_str(out, &self.x);
        push_name(out, "y", false);
        push_str(out, &self.y);
        out.push(b'}');
    }
}

impl WriteJson for StatusRef {
    fn write_json(&self, out: &mut Vec<u8>) {
        push_name(out, "status_list", true);
        push_name(out, "idx", true);
        out.extend_from_slice(self.status_list.idx.to_string().as_bytes());
        push_name(out, "uri", false);
        push_str(out, &self.status_list.uri);
        out.extend_from_slice(b"}}");
    }
}

impl WriteJson for MdocAnswer {
    fn write_json(&self, out: &mut Vec<u8>) {
        push_name(out, "device_key", true);
        self.device_key.write_json(out);
        push_name(out, "doc_type", false);
        push_str(out, &self.doc_type);
        push_name(out, "issuer_signed", false);
        push_str(out, &self.issuer_signed);
        push_name(out, "status", false);
        self.status.write_json(out);
        out.push(b'}');
    }
}

impl WriteJson for SdJwtVcAnswer {
    fn write_json(&self, out: &mut Vec<u8>) {
        push_name(out, "holder_key", true);
        self.holder_key.write_json(out);
        push_name(out, "sd_jwt", false);
        push_str(out, &self.sd_jwt);
        push_name(out, "status", false);
        self.status.write_json(out);
        push_name(out, "vct", false);
        push_str(out, self.vct);
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issue::StatusListRef;

    fn jwk(x: &str) -> Jwk {
        Jwk {
            crv: "P-256",
            kty: "EC",
            x: x.into(),
            y: "eHk_-".into(),
        }
    }

    fn status(idx: u64, uri: &str) -> StatusRef {
        StatusRef {
            status_list: StatusListRef {
                idx,
                uri: uri.into(),
            },
        }
    }

    /// Strings that take the copy path and strings that take serde_json's: every character
    /// class JSON treats apart, at chunk edges too.
    fn samples() -> Vec<String> {
        let mut v: Vec<String> = [
            "",
            "plain-base64url_ABC09",
            "a.b.c~d~",
            "quote\"inside",
            "back\\slash",
            "tab\there",
            "nul\u{0}",
            "\u{1f}unit",
            "del\u{7f}",
            "日本語 テキスト",
            "emoji 🎌",
            "https://issuer.example/status/1?x=\"y\"",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        for at in [0, 1, 63, 64, 65, 127, 128, 4095] {
            let mut s = "A".repeat(4096);
            s.replace_range(at..=at, "\"");
            v.push(s);
            v.push("B".repeat(at));
        }
        v
    }

    #[test]
    fn the_text_is_serde_jsons_byte_for_byte() {
        let strings = samples();
        let mdocs: Vec<MdocAnswer> = strings
            .iter()
            .enumerate()
            .map(|(i, s)| MdocAnswer {
                device_key: jwk(s),
                doc_type: s.clone(),
                issuer_signed: s.clone(),
                status: status(u64::try_from(i).unwrap() * 1_000_003, s),
            })
            .collect();
        let sd: Vec<SdJwtVcAnswer> = strings
            .iter()
            .map(|s| SdJwtVcAnswer {
                holder_key: jwk(s),
                sd_jwt: s.clone(),
                status: status(u64::MAX, s),
                vct: "urn:eudi:pid:jp:1",
            })
            .collect();
        assert_eq!(
            array_text(&mdocs, 0).unwrap(),
            serde_json::to_string(&mdocs).unwrap()
        );
        assert_eq!(
            array_text(&sd, 0).unwrap(),
            serde_json::to_string(&sd).unwrap()
        );
        assert_eq!(array_text::<MdocAnswer>(&[], 0).unwrap(), "[]");
        for s in &strings {
            let mut out = Vec::new();
            push_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn only_quote_reverse_solidus_and_controls_need_escaping() {
        for b in 0u8..=0x7f {
            let s = char::from(b).to_string();
            let escaped = serde_json::to_string(&s).unwrap() != format!("\"{s}\"");
            assert_eq!(!needs_no_escape(&s), escaped, "byte {b:#04x}");
        }
    }
}
