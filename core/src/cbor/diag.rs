//! CBOR diagnostic notation (RFC 8949 §8) for interop debugging, with tag-24 contents
//! decoded in place so nested 18013-5 structures can be read at a glance.

use super::decode::{decode_with, Item, ItemValue, Limits};
use std::fmt::Write;

/// Render an item in diagnostic notation, indented; tag-24 byte strings holding valid CBOR
/// are shown as `24(<< ... >>)`.
pub fn diagnostic(item: &Item<'_>) -> String {
    let mut out = String::new();
    write_item(&mut out, item, 0);
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_bytes(out: &mut String, b: &[u8]) {
    out.push_str("h'");
    for x in b {
        let _ = write!(out, "{x:02x}");
    }
    out.push('\'');
}

fn write_item(out: &mut String, item: &Item<'_>, level: usize) {
    match item.value() {
        ItemValue::Uint(n) => {
            let _ = write!(out, "{n}");
        }
        ItemValue::Nint(n) => {
            let _ = write!(out, "{}", -1 - (*n as i128));
        }
        ItemValue::Bytes(b) => {
            // A byte string holding a tag-24 item (e.g. a COSE payload that is
            // MobileSecurityObjectBytes) is shown decoded too.
            if b.starts_with(&[0xd8, 0x18]) {
                if let Ok(nested) = decode_with(b, &Limits::DEFAULT) {
                    out.push_str("<< ");
                    write_item(out, &nested, level);
                    out.push_str(" >>");
                    return;
                }
            }
            write_bytes(out, b)
        }
        ItemValue::Text(t) => {
            let _ = write!(out, "{t:?}");
        }
        ItemValue::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        ItemValue::Null => out.push_str("null"),
        ItemValue::Undefined => out.push_str("undefined"),
        ItemValue::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        ItemValue::Simple(s) => {
            let _ = write!(out, "simple({s})");
        }
        ItemValue::Array(a) => {
            if a.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            for (i, x) in a.iter().enumerate() {
                indent(out, level + 1);
                write_item(out, x, level + 1);
                if i + 1 < a.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, level);
            out.push(']');
        }
        ItemValue::Map(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{\n");
            for (i, (k, v)) in m.iter().enumerate() {
                indent(out, level + 1);
                write_item(out, k, level + 1);
                out.push_str(": ");
                write_item(out, v, level + 1);
                if i + 1 < m.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, level);
            out.push('}');
        }
        ItemValue::Tag(t, inner) => {
            if *t == super::TAG_ENCODED_CBOR {
                if let Some(b) = inner.as_bytes() {
                    if let Ok(nested) = decode_with(b, &Limits::DEFAULT) {
                        out.push_str("24(<< ");
                        write_item(out, &nested, level);
                        out.push_str(" >>)");
                        return;
                    }
                }
            }
            let _ = write!(out, "{t}(");
            write_item(out, inner, level);
            out.push(')');
        }
    }
}
