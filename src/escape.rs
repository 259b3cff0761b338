//! Escaping attacker-chosen text before it reaches a terminal.
//!
//! Namespaces, element identifiers, docTypes, claim names, certificate names and error texts
//! that quote them all come from a response, a request or a credential, that is from whoever
//! built it. Printed raw, an ESC byte could clear a till's screen or rewrite an earlier "NG"
//! line, a newline could forge a whole report line, and a bidi override (Trojan Source,
//! CVE-2021-42574) could make `age_over_20` read as something else. Every such string goes
//! through [`escape`] (or [`quote`]) at the print site.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as is: C0 controls (including tab and newline),
/// DEL, C1 controls, and the Unicode bidi embedding/override/isolate controls
/// U+202A–U+202E and U+2066–U+2069.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character (C0, DEL, C1) and bidi control written as `\u{..}`.
/// Everything else, including non-ASCII letters, is kept as is; borrowed when nothing needs
/// escaping.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_char(&mut out, c);
    }
    Cow::Owned(out)
}

/// `s` in double quotes, escaped as by [`escape`], with `"` and `\` backslash-escaped so the
/// quoted form is unambiguous.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => push_char(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// JSON text (as serde_json writes it) made safe for a terminal: serde_json already escapes
/// C0 controls, but writes DEL, C1 controls and bidi controls raw. Those can only occur inside
/// JSON strings, where `\uXXXX` is the standard escape, so the result is the same JSON value.
pub(crate) fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(needs_escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        // serde_json's pretty printer emits structural newlines (and no other control).
        if needs_escape(c) && c != '\n' {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Multi-line text whose lines are ours (a report, CBOR diagnostic notation) but whose
/// content may not be: each line escaped, the line structure kept.
pub(crate) fn escape_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape(line));
    }
    out
}

fn push_char(out: &mut String, c: char) {
    if needs_escape(c) {
        let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in ["age_over_20", "org.iso.18013.5.1", "氏名", "café", ""] {
            assert!(matches!(escape(s), Cow::Borrowed(b) if b == s));
        }
    }

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(escape("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\ny\rz\t"), "x\\u{a}y\\u{d}z\\u{9}");
        assert_eq!(
            escape("\0\x7f\u{80}\u{9b}\u{9f}"),
            "\\u{0}\\u{7f}\\u{80}\\u{9b}\\u{9f}"
        );
        assert_eq!(
            escape("\u{202a}\u{202e}\u{2066}\u{2069}"),
            "\\u{202a}\\u{202e}\\u{2066}\\u{2069}"
        );
        // Neighbours of the bidi ranges are ordinary text.
        assert_eq!(escape("\u{2029}\u{202f}\u{2065}\u{206a}").len(), 12);
    }

    #[test]
    fn escaped_text_has_no_control_left() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let e = escape(&all);
        assert!(!e.chars().any(needs_escape));
        assert!(!escape_lines(&all)
            .chars()
            .any(|c| needs_escape(c) && c != '\n'));
    }

    #[test]
    fn quote_is_unambiguous() {
        assert_eq!(quote("a\"b\\c\x1b"), "\"a\\\"b\\\\c\\u{1b}\"");
    }

    #[test]
    fn json_stays_json() {
        let v = serde_json::json!({"k\u{202e}": "\u{7f}\u{9b}[2J\x1b", "n": 1});
        let text = serde_json::to_string_pretty(&v).unwrap();
        let safe = escape_json(&text);
        assert!(!safe.chars().any(|c| needs_escape(c) && c != '\n'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn lines_keep_structure() {
        assert_eq!(escape_lines("a\x1b\nb\u{202e}"), "a\\u{1b}\nb\\u{202e}");
    }
}
