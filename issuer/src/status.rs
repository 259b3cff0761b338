//! Status entries written into issued credentials (draft-ietf-oauth-status-list-20 §6
//! "Referenced Token"): where the credential's status is published and at which index.
//!
//! - SD-JWT VC: the `status` claim `{"status_list": {"idx": N, "uri": URI}}` in the
//!   issuer-signed payload (§6), never selectively disclosable.
//! - mdoc: the MSO `status` field of ISO/IEC 18013-5 second edition, the same
//!   `{"status_list": {"idx": uint, "uri": tstr}}` map in CBOR with text keys
//!   (docs/decisions/0009-mso-status.md says what of that is certain).
//!
//! Credential `i` of a batch gets index `first_index + i`, so a batch for one holder occupies
//! consecutive entries of one list.

use kakunin_core::cbor::Value;

/// A batch's place in a Token Status List: credential `i` of the batch gets index
/// `first_index + i` in the list at `uri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    /// The status list's URI (`status.status_list.uri`); the list's `sub` must equal it.
    pub uri: String,
    /// The first credential's index (`status.status_list.idx`).
    pub first_index: u64,
}

impl StatusList {
    /// The index of credential `i` of the batch, `None` past `u64::MAX`.
    pub fn index_of(&self, i: usize) -> Option<u64> {
        u64::try_from(i)
            .ok()
            .and_then(|i| self.first_index.checked_add(i))
    }
}

/// The MSO `status` map for index `idx` in the list at `uri`:
/// `{"status_list": {"idx": idx, "uri": uri}}`.
pub fn mso_status(idx: u64, uri: &str) -> Value {
    Value::Map(vec![(
        Value::Text("status_list".into()),
        Value::Map(vec![
            (Value::Text("idx".into()), Value::Uint(idx)),
            (Value::Text("uri".into()), Value::Text(uri.into())),
        ]),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_indices_and_overflow() {
        let l = StatusList {
            uri: "https://x/1".into(),
            first_index: 7,
        };
        assert_eq!(l.index_of(0), Some(7));
        assert_eq!(l.index_of(3), Some(10));
        let top = StatusList {
            first_index: u64::MAX,
            ..l
        };
        assert_eq!(top.index_of(0), Some(u64::MAX));
        assert_eq!(top.index_of(1), None);
    }
}
