#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! A verifier built with a crypto provider does every cryptographic check of a DeviceResponse
//! through that provider, the X.509 certificate signatures included (none goes to the default
//! provider behind its back). Run on the ISO 18013-5 Annex D vectors.

use kakunin_core::crypto::{
    default_provider, CryptoError, CryptoProvider, Curve, EcPrivateKey, EcPublicKey, HashAlg,
    SharedSecret,
};
use kakunin_spec_vectors::annex_d::{bytes, e_reader_key, iaca_anchors, VERIFICATION_TIME};
use kakunin_verifier::Verifier;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts what it is asked to do and hands it to the default provider, or refuses every
/// ECDSA verification when `refuse` is set.
#[derive(Default)]
struct Counting {
    refuse: bool,
    verifies: AtomicUsize,
    ecdh: AtomicUsize,
    hmac: AtomicUsize,
    hashes: AtomicUsize,
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
        if self.refuse {
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

/// The Annex D DeviceResponse (one mDL, DeviceMac) has two ECDSA signatures to check: the
/// DS certificate's (by the IACA, during path validation) and issuerAuth's (by the DS key).
/// Both go through the verifier's provider, as do the ECDH for EMacKey and the DeviceMac HMAC.
#[test]
fn every_signature_check_goes_through_the_verifiers_provider() {
    let anchors = iaca_anchors();
    let key = e_reader_key();
    let counting = Counting::default();
    let report = Verifier::new(&anchors)
        .with_reader_key(&key)
        .with_crypto(&counting)
        .verify_device_response(
            &bytes("device_response"),
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
        );
    assert!(report.valid(), "{report:?}");
    assert_eq!(counting.verifies.load(Ordering::SeqCst), 2);
    assert_eq!(counting.ecdh.load(Ordering::SeqCst), 1);
    assert!(counting.hmac.load(Ordering::SeqCst) >= 1);
    // The item digests (and the session salt) were computed by this provider too.
    assert!(counting.hashes.load(Ordering::SeqCst) >= 6);
}

/// A provider that refuses every signature makes the same response fail, on both the
/// certificate chain and issuerAuth: the default provider is never consulted instead.
#[test]
fn a_refusing_provider_is_obeyed_for_certificates_too() {
    let anchors = iaca_anchors();
    let key = e_reader_key();
    let refusing = Counting {
        refuse: true,
        ..Counting::default()
    };
    let report = Verifier::new(&anchors)
        .with_reader_key(&key)
        .with_crypto(&refusing)
        .verify_device_response(
            &bytes("device_response"),
            &bytes("session_transcript_bytes"),
            VERIFICATION_TIME,
        );
    assert!(!report.valid());
    let text = format!("{report:?}");
    // The DS certificate chain is refused because its signature "does not verify".
    assert!(text.contains("UntrustedIssuer"), "{text}");
    assert!(text.contains("BadSignature"), "{text}");
    // Path validation asked this provider (and nobody else) about the DS certificate.
    assert!(refusing.verifies.load(Ordering::SeqCst) >= 1);
}
