//! Session key derivation (9.1.1.5) and EMacKey derivation (9.1.3.5).

use crate::crypto::{CryptoError, CryptoProvider, EcPrivateKey, EcPublicKey, HashAlg};
use crate::mdoc::SessionTranscript;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// SKReader and SKDevice (clause 9.1.1.5). Zeroized on drop; never printed; not `Clone`.
/// The key bytes are reachable only through [`hazmat`](super::hazmat).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SessionKeys {
    /// SKReader: encrypts reader-to-mdoc messages.
    pub(crate) sk_reader: [u8; 32],
    /// SKDevice: encrypts mdoc-to-reader messages.
    pub(crate) sk_device: [u8; 32],
}

impl core::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

/// Derive both session keys. Either side may call this with its own ephemeral private key
/// and the other side's ephemeral public key; the result is the same.
pub fn derive_session_keys(
    crypto: &dyn CryptoProvider,
    own_private: &EcPrivateKey,
    peer_public: &EcPublicKey,
    transcript: &SessionTranscript,
) -> Result<SessionKeys, CryptoError> {
    let zab = crypto.ecdh(own_private, peer_public)?;
    let salt = crypto.hash(HashAlg::Sha256, transcript.tagged_bytes());
    let mut keys = SessionKeys {
        sk_reader: [0; 32],
        sk_device: [0; 32],
    };
    crypto.hkdf_sha256(&zab, &salt, b"SKReader", &mut keys.sk_reader)?;
    crypto.hkdf_sha256(&zab, &salt, b"SKDevice", &mut keys.sk_device)?;
    Ok(keys)
}

/// Derive EMacKey for DeviceMac. The mdoc passes SDeviceKey.priv and EReaderKey.pub; the
/// reader passes EReaderKey.priv and SDeviceKey.pub.
pub fn derive_emac_key(
    crypto: &dyn CryptoProvider,
    own_private: &EcPrivateKey,
    peer_public: &EcPublicKey,
    transcript: &SessionTranscript,
) -> Result<zeroize::Zeroizing<[u8; 32]>, CryptoError> {
    let zab = crypto.ecdh(own_private, peer_public)?;
    let salt = crypto.hash(HashAlg::Sha256, transcript.tagged_bytes());
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    crypto.hkdf_sha256(&zab, &salt, b"EMacKey", key.as_mut())?;
    Ok(key)
}
