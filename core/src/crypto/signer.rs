//! The signer seam: whatever holds a private key (memory, a smart card, an HSM, a secure
//! element) signs through [`Signer`], so code that builds signed structures (status lists
//! today; MSOs and SD-JWTs can follow) never needs the key itself.
//!
//! Signatures are ECDSA in the raw `r || s` form COSE (RFC 9053 §2.1) and JOSE (RFC 7518
//! §3.4) both use, each half the curve's field length.

use super::{CryptoError, CryptoProvider, Curve, EcPrivateKey, EcPublicKey, HashAlg};

/// Something that signs with one EC private key it keeps to itself.
pub trait Signer: Send + Sync {
    /// The curve of the key; with [`Signer::hash`] it fixes the algorithm (ES256 for P-256
    /// with SHA-256, ES384, ES512).
    fn curve(&self) -> Curve;

    /// The digest the signature is computed over; by default the curve's conventional one
    /// ([`Curve::default_hash`]), which is what ES256/ES384/ES512 require.
    fn hash(&self) -> HashAlg {
        self.curve().default_hash()
    }

    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> &EcPublicKey;

    /// Sign `msg` (hashed with [`Signer::hash`]), returning raw `r || s`.
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// A [`Signer`] over an in-memory [`EcPrivateKey`] and a [`CryptoProvider`]. It borrows the
/// key (never copies it) and its `Debug` shows only the curve and public key.
pub struct ProviderSigner<'a> {
    crypto: &'a dyn CryptoProvider,
    key: &'a EcPrivateKey,
    public: EcPublicKey,
}

impl<'a> ProviderSigner<'a> {
    /// A signer for `key`, signing through `crypto`; the public key is derived once here.
    pub fn new(crypto: &'a dyn CryptoProvider, key: &'a EcPrivateKey) -> Result<Self, CryptoError> {
        let public = crypto.public_key(key)?;
        Ok(ProviderSigner {
            crypto,
            key,
            public,
        })
    }
}

impl core::fmt::Debug for ProviderSigner<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProviderSigner")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Signer for ProviderSigner<'_> {
    fn curve(&self) -> Curve {
        self.key.curve()
    }

    fn public_key(&self) -> &EcPublicKey {
        &self.public
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.crypto.sign_ecdsa(self.key, self.hash(), msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::default_provider;

    #[test]
    fn provider_signer_signs_what_its_public_key_verifies() {
        let crypto = default_provider();
        for curve in [Curve::P256, Curve::P384, Curve::P521] {
            let key = crypto.generate_key(curve).unwrap();
            let signer = ProviderSigner::new(crypto, &key).unwrap();
            assert_eq!(signer.curve(), curve);
            let sig = signer.sign(b"status list").unwrap();
            assert_eq!(sig.len(), 2 * curve.field_len());
            crypto
                .verify_ecdsa(signer.public_key(), signer.hash(), b"status list", &sig)
                .unwrap();
            assert_eq!(
                crypto.verify_ecdsa(signer.public_key(), signer.hash(), b"other", &sig),
                Err(CryptoError::BadSignature)
            );
        }
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let crypto = default_provider();
        let key = EcPrivateKey::from_scalar(Curve::P256, &[7u8; 32]).unwrap();
        let signer = ProviderSigner::new(crypto, &key).unwrap();
        let text = format!("{signer:?}");
        assert!(text.contains("ProviderSigner"));
        assert!(!text.contains("0707070707"));
    }
}
