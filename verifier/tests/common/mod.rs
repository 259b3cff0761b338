//! A crypto provider for tests that counts what it is asked to do and hands it to the
//! default provider, or refuses every ECDSA verification while `refuse` is set.
#![allow(dead_code)]

use kakunin_core::crypto::{
    default_provider, CryptoError, CryptoProvider, Curve, EcPrivateKey, EcPublicKey, HashAlg,
    SharedSecret,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Counts ECDSA verifications (the DS certificate's during path validation, issuerAuth's)
/// and hands everything to the default provider, or refuses every ECDSA verification while
/// `refuse` is set.
#[derive(Default)]
pub(crate) struct Counting {
    pub(crate) refuse: AtomicBool,
    pub(crate) verifies: AtomicUsize,
    pub(crate) ecdh: AtomicUsize,
    pub(crate) hmac: AtomicUsize,
    pub(crate) hashes: AtomicUsize,
}

fn inner() -> &'static dyn CryptoProvider {
    default_provider()
}

impl CryptoProvider for Counting {
    fn verify_ecdsa(
        &self,
        key: &EcPublicKey,
        hash: HashAlg,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        if self.refuse.load(Ordering::SeqCst) {
            return Err(CryptoError::BadSignature);
        }
        inner().verify_ecdsa(key, hash, msg, signature)
    }
    fn sign_ecdsa(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        inner().sign_ecdsa(key, hash, msg)
    }
    fn ecdh(
        &self,
        private: &EcPrivateKey,
        public: &EcPublicKey,
    ) -> Result<SharedSecret, CryptoError> {
        self.ecdh.fetch_add(1, Ordering::SeqCst);
        inner().ecdh(private, public)
    }
    fn public_key(&self, private: &EcPrivateKey) -> Result<EcPublicKey, CryptoError> {
        inner().public_key(private)
    }
    fn generate_key(&self, curve: Curve) -> Result<EcPrivateKey, CryptoError> {
        inner().generate_key(curve)
    }
    fn hkdf_sha256(
        &self,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        inner().hkdf_sha256(ikm, salt, info, out)
    }
    fn hmac_sha256(&self, key: &[u8], msg: &[u8]) -> [u8; 32] {
        self.hmac.fetch_add(1, Ordering::SeqCst);
        inner().hmac_sha256(key, msg)
    }
    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        self.hashes.fetch_add(1, Ordering::SeqCst);
        inner().hash(alg, data)
    }
    fn aes256gcm_seal(&self, key: &[u8; 32], iv: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
        inner().aes256gcm_seal(key, iv, plaintext)
    }
    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        iv: &[u8; 12],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        inner().aes256gcm_open(key, iv, ciphertext)
    }
    fn fill_random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        inner().fill_random(out)
    }
}
