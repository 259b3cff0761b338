//! Test helpers: a provider that counts its calls for random bytes (the batches' randomness
//! must come from one call, docs/decisions/0018-issuer-service.md, session 18).

use kakunin_core::crypto::{
    default_provider, CryptoError, CryptoProvider, Curve, EcPrivateKey, EcPublicKey, HashAlg,
    SharedSecret,
};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The default provider, counting `fill_random` calls.
#[derive(Default)]
pub(crate) struct CountingRandom {
    calls: AtomicUsize,
}

impl CountingRandom {
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

impl CryptoProvider for CountingRandom {
    fn fill_random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        default_provider().fill_random(out)
    }
    fn verify_ecdsa(
        &self,
        key: &EcPublicKey,
        hash: HashAlg,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        default_provider().verify_ecdsa(key, hash, msg, sig)
    }
    fn sign_ecdsa(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        default_provider().sign_ecdsa(key, hash, msg)
    }
    fn ecdh(&self, k: &EcPrivateKey, p: &EcPublicKey) -> Result<SharedSecret, CryptoError> {
        default_provider().ecdh(k, p)
    }
    fn public_key(&self, k: &EcPrivateKey) -> Result<EcPublicKey, CryptoError> {
        default_provider().public_key(k)
    }
    fn generate_key(&self, curve: Curve) -> Result<EcPrivateKey, CryptoError> {
        default_provider().generate_key(curve)
    }
    fn hkdf_sha256(
        &self,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        default_provider().hkdf_sha256(ikm, salt, info, out)
    }
    fn hmac_sha256(&self, key: &[u8], msg: &[u8]) -> [u8; 32] {
        default_provider().hmac_sha256(key, msg)
    }
    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        default_provider().hash(alg, data)
    }
    fn aes256gcm_seal(&self, key: &[u8; 32], iv: &[u8; 12], pt: &[u8]) -> Vec<u8> {
        default_provider().aes256gcm_seal(key, iv, pt)
    }
    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        iv: &[u8; 12],
        ct: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        default_provider().aes256gcm_open(key, iv, ct)
    }
}
