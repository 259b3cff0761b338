//! A crypto provider for tests that counts what it is asked to do and hands it to the
//! default provider, or refuses every ECDSA verification while `refuse` is set.
#![allow(dead_code)]

use kakunin_core::crypto::{
    default_provider, CryptoError, CryptoProvider, EcPrivateKey, EcPublicKey, Forwarding, HashAlg,
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

impl Forwarding for Counting {
    fn inner(&self) -> &dyn CryptoProvider {
        default_provider()
    }
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
        self.inner().verify_ecdsa(key, hash, msg, signature)
    }
    fn ecdh(
        &self,
        private: &EcPrivateKey,
        public: &EcPublicKey,
    ) -> Result<SharedSecret, CryptoError> {
        self.ecdh.fetch_add(1, Ordering::SeqCst);
        self.inner().ecdh(private, public)
    }
    fn hmac_sha256(&self, key: &[u8], msg: &[u8]) -> [u8; 32] {
        self.hmac.fetch_add(1, Ordering::SeqCst);
        self.inner().hmac_sha256(key, msg)
    }
    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        self.hashes.fetch_add(1, Ordering::SeqCst);
        self.inner().hash(alg, data)
    }
}
