//! Hazardous materials: the raw bytes of [`SessionKeys`].
//!
//! Session keys are derived with [`derive_session_keys`](super::derive_session_keys) and used
//! through a [`SessionCipher`](super::SessionCipher); nothing else needs them. These functions
//! exist for checking a derivation against published vectors (ISO 18013-5 Annex D.5.2) and for
//! tests and benchmarks that need a cipher with fixed keys. The bytes returned must not be
//! logged or kept.

use super::SessionKeys;

/// Session keys from given SKReader and SKDevice bytes (tests, benchmarks, vectors).
pub fn session_keys_from_bytes(sk_reader: [u8; 32], sk_device: [u8; 32]) -> SessionKeys {
    SessionKeys {
        sk_reader,
        sk_device,
    }
}

/// SKReader, the key of reader-to-mdoc messages.
pub fn sk_reader(keys: &SessionKeys) -> &[u8; 32] {
    &keys.sk_reader
}

/// SKDevice, the key of mdoc-to-reader messages.
pub fn sk_device(keys: &SessionKeys) -> &[u8; 32] {
    &keys.sk_device
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_bytes_out_and_debug_redacted() {
        let keys = session_keys_from_bytes([1; 32], [2; 32]);
        assert_eq!(sk_reader(&keys), &[1; 32]);
        assert_eq!(sk_device(&keys), &[2; 32]);
        let shown = format!("{keys:?}");
        assert!(!shown.contains('1') && !shown.contains('2'), "{shown}");
    }
}
