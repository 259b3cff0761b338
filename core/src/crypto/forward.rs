//! A provider built on another: [`Forwarding`] hands every operation to an inner provider
//! unless the implementer says otherwise, so a wrapper that counts, times or scopes one
//! operation states just that one.
//!
//! Every type implementing [`Forwarding`] is a [`CryptoProvider`] (a blanket impl): the
//! inner provider's behaviour is the wrapper's, method by method, except where the wrapper
//! overrides a method of [`Forwarding`].

use super::{
    CryptoError, CryptoProvider, Curve, EcPrivateKey, EcPublicKey, HashAlg, PreparedSigning,
    RsaPublicKey, SharedSecret,
};

/// A provider that is [`Forwarding::inner`] in every respect it does not override. Each
/// method mirrors the [`CryptoProvider`] method of the same name and forwards by default.
pub trait Forwarding: Send + Sync {
    /// The provider every method not overridden goes to.
    fn inner(&self) -> &dyn CryptoProvider;

    /// [`CryptoProvider::verify_ecdsa`].
    fn verify_ecdsa(
        &self,
        key: &EcPublicKey,
        hash: HashAlg,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.inner().verify_ecdsa(key, hash, msg, signature)
    }

    /// [`CryptoProvider::sign_ecdsa`].
    fn sign_ecdsa(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.inner().sign_ecdsa(key, hash, msg)
    }

    /// [`CryptoProvider::prepare_signing`].
    fn prepare_signing(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
    ) -> Result<Option<Box<dyn PreparedSigning + '_>>, CryptoError> {
        self.inner().prepare_signing(key, hash)
    }

    /// [`CryptoProvider::ecdh`].
    fn ecdh(
        &self,
        private: &EcPrivateKey,
        public: &EcPublicKey,
    ) -> Result<SharedSecret, CryptoError> {
        self.inner().ecdh(private, public)
    }

    /// [`CryptoProvider::public_key`].
    fn public_key(&self, private: &EcPrivateKey) -> Result<EcPublicKey, CryptoError> {
        self.inner().public_key(private)
    }

    /// [`CryptoProvider::generate_key`].
    fn generate_key(&self, curve: Curve) -> Result<EcPrivateKey, CryptoError> {
        self.inner().generate_key(curve)
    }

    /// [`CryptoProvider::hkdf_sha256`].
    fn hkdf_sha256(
        &self,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.inner().hkdf_sha256(ikm, salt, info, out)
    }

    /// [`CryptoProvider::hmac_sha256`].
    fn hmac_sha256(&self, key: &[u8], msg: &[u8]) -> [u8; 32] {
        self.inner().hmac_sha256(key, msg)
    }

    /// [`CryptoProvider::hash`].
    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        self.inner().hash(alg, data)
    }

    /// [`CryptoProvider::aes256gcm_seal`].
    fn aes256gcm_seal(&self, key: &[u8; 32], iv: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
        self.inner().aes256gcm_seal(key, iv, plaintext)
    }

    /// [`CryptoProvider::aes256gcm_open`].
    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        iv: &[u8; 12],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.inner().aes256gcm_open(key, iv, ciphertext)
    }

    /// [`CryptoProvider::fill_random`].
    fn fill_random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        self.inner().fill_random(out)
    }

    /// [`CryptoProvider::verify_rsa_pkcs1v15`].
    fn verify_rsa_pkcs1v15(
        &self,
        key: &RsaPublicKey,
        hash: HashAlg,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.inner().verify_rsa_pkcs1v15(key, hash, msg, signature)
    }
}

impl<T: Forwarding> CryptoProvider for T {
    fn verify_ecdsa(
        &self,
        key: &EcPublicKey,
        hash: HashAlg,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        Forwarding::verify_ecdsa(self, key, hash, msg, signature)
    }

    fn sign_ecdsa(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        Forwarding::sign_ecdsa(self, key, hash, msg)
    }

    fn prepare_signing(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
    ) -> Result<Option<Box<dyn PreparedSigning + '_>>, CryptoError> {
        Forwarding::prepare_signing(self, key, hash)
    }

    fn ecdh(
        &self,
        private: &EcPrivateKey,
        public: &EcPublicKey,
    ) -> Result<SharedSecret, CryptoError> {
        Forwarding::ecdh(self, private, public)
    }

    fn public_key(&self, private: &EcPrivateKey) -> Result<EcPublicKey, CryptoError> {
        Forwarding::public_key(self, private)
    }

    fn generate_key(&self, curve: Curve) -> Result<EcPrivateKey, CryptoError> {
        Forwarding::generate_key(self, curve)
    }

    fn hkdf_sha256(
        &self,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        Forwarding::hkdf_sha256(self, ikm, salt, info, out)
    }

    fn hmac_sha256(&self, key: &[u8], msg: &[u8]) -> [u8; 32] {
        Forwarding::hmac_sha256(self, key, msg)
    }

    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        Forwarding::hash(self, alg, data)
    }

    fn aes256gcm_seal(&self, key: &[u8; 32], iv: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
        Forwarding::aes256gcm_seal(self, key, iv, plaintext)
    }

    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        iv: &[u8; 12],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        Forwarding::aes256gcm_open(self, key, iv, ciphertext)
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        Forwarding::fill_random(self, out)
    }

    fn verify_rsa_pkcs1v15(
        &self,
        key: &RsaPublicKey,
        hash: HashAlg,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        Forwarding::verify_rsa_pkcs1v15(self, key, hash, msg, signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::default_provider;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Overrides one method; everything else must be the inner provider's.
    struct OneOverride {
        hashes: AtomicUsize,
    }

    impl Forwarding for OneOverride {
        fn inner(&self) -> &dyn CryptoProvider {
            default_provider()
        }
        fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
            self.hashes.fetch_add(1, Ordering::Relaxed);
            self.inner().hash(alg, data)
        }
    }

    #[test]
    fn the_override_runs_and_the_rest_is_the_inner_providers() {
        let p = OneOverride {
            hashes: AtomicUsize::new(0),
        };
        let c: &dyn CryptoProvider = &p;
        assert_eq!(
            c.hash(HashAlg::Sha256, b"abc"),
            default_provider().hash(HashAlg::Sha256, b"abc")
        );
        assert_eq!(p.hashes.load(Ordering::Relaxed), 1);
        assert_eq!(
            c.hmac_sha256(b"k", b"m"),
            default_provider().hmac_sha256(b"k", b"m")
        );
        let key = c.generate_key(Curve::P256).unwrap();
        let sig = c.sign_ecdsa(&key, HashAlg::Sha256, b"msg").unwrap();
        let public = c.public_key(&key).unwrap();
        default_provider()
            .verify_ecdsa(&public, HashAlg::Sha256, b"msg", &sig)
            .unwrap();
        assert!(c
            .verify_ecdsa(&public, HashAlg::Sha256, b"other", &sig)
            .is_err());
        // Nothing but `hash` was counted.
        assert_eq!(p.hashes.load(Ordering::Relaxed), 1);
    }
}
