//! The crypto seam: every cryptographic operation the protocol and verification code needs,
//! behind one small trait, like rustls' `CryptoProvider`.
//!
//! Protocol code never names a crypto crate; it calls a [`CryptoProvider`]. The default backend,
//! [`RustCrypto`], is built on the RustCrypto crates (p256/p384/p521, sha2, hkdf, hmac, aes-gcm).
//! With the `ring` feature (on by default) the default provider is [`Ring`], which verifies
//! ECDSA and hashes with `ring` (about four times faster on P-256, see docs/decisions/0005) and
//! delegates the rest to RustCrypto. Either slots in without touching protocol code.

mod forward;
pub mod hazmat;
mod import;
mod keys;
mod pool;
mod prepared;
#[cfg(feature = "ring")]
mod ring_backend;
mod rsa;
mod rustcrypto;
mod signer;

pub use forward::Forwarding;
pub use import::{export_private_key_pem, import_private_key, import_public_key, KeyImportError};
pub use keys::{Curve, EcPrivateKey, EcPublicKey, HashAlg};
pub use pool::{RandomPool, DEFAULT_POOL_BYTES, MAX_POOL_BYTES};
pub use prepared::{sign_ecdsa_batch, with_signing_key, PreparedSigning};
#[cfg(feature = "ring")]
pub use ring_backend::Ring;
pub use rsa::{
    sha256_digest_info, RsaPublicKey, RsaSigner, MAX_RSA_BITS, MIN_RSA_BITS, RSA_ENCRYPTION_OID,
    SHA256_DIGEST_INFO_PREFIX,
};
pub use rustcrypto::RustCrypto;
pub use signer::{ProviderSigner, Signer};

use zeroize::Zeroizing;

/// A cryptographic operation failed, or its inputs were unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A public key is not a valid point on its curve (SEC 1 §3.2.2 validation failed).
    #[error("invalid {curve} public key")]
    InvalidPublicKey {
        /// The curve the key claims.
        curve: Curve,
    },
    /// A private key is not a valid scalar for its curve (zero, or not below the order).
    #[error("invalid {curve} private key")]
    InvalidPrivateKey {
        /// The curve of the key.
        curve: Curve,
    },
    /// The signature has the wrong length or encoding for its curve.
    #[error("malformed {curve} signature ({len} bytes)")]
    MalformedSignature {
        /// The curve of the verifying key.
        curve: Curve,
        /// Length of the signature received, in bytes.
        len: usize,
    },
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The two keys of an ECDH agreement are on different curves.
    #[error("ECDH key curves differ ({private} vs {public})")]
    CurveMismatch {
        /// The private key's curve.
        private: Curve,
        /// The public key's curve.
        public: Curve,
    },
    /// AEAD decryption failed: wrong key, wrong IV or tampered ciphertext.
    #[error("AES-GCM authentication failed")]
    AeadFailure,
    /// HKDF was asked for more output than it can produce (RFC 5869: 255 hash lengths).
    #[error("HKDF output length {0} is invalid")]
    HkdfLength(usize),
    /// The random number generator failed.
    #[error("random number generator failed")]
    Rng,
    /// The signer produced no signature for this key and digest (a zero `r` or `s`, which
    /// deterministic ECDSA reaches with negligible probability).
    #[error("{curve} ECDSA signing failed")]
    SigningFailed {
        /// The curve of the signing key.
        curve: Curve,
    },
    /// An RSA public key is not DER `RSAPublicKey` / rsaEncryption SubjectPublicKeyInfo.
    #[error("malformed RSA public key")]
    MalformedRsaKey,
    /// An RSA public key is outside what Kakunin accepts (2048–8192-bit odd modulus, odd
    /// exponent of at least 3 and at most 32 bits).
    #[error("unacceptable RSA public key ({bits}-bit modulus)")]
    InvalidRsaKey {
        /// The modulus length, in bits.
        bits: usize,
    },
    /// This provider does not implement the algorithm asked for.
    #[error("{0} is not supported by this crypto provider")]
    Unsupported(&'static str),
}

impl CryptoError {
    /// The cause group of this error.
    pub fn cause(&self) -> crate::Cause {
        match self {
            CryptoError::BadSignature | CryptoError::AeadFailure => crate::Cause::FailedCheck,
            CryptoError::CurveMismatch { .. }
            | CryptoError::HkdfLength(_)
            | CryptoError::Rng
            | CryptoError::SigningFailed { .. }
            | CryptoError::Unsupported(_) => crate::Cause::Misuse,
            _ => crate::Cause::Malformed,
        }
    }
}

/// A shared secret from ECDH (the x-coordinate), zeroized on drop.
pub type SharedSecret = Zeroizing<Vec<u8>>;

/// The operations Kakunin needs from a crypto library.
///
/// Signatures are raw `r || s` (the COSE and JOSE form), each half the curve's field size.
pub trait CryptoProvider: Send + Sync {
    /// Verify an ECDSA signature over `msg`, hashed with `hash`.
    fn verify_ecdsa(
        &self,
        key: &EcPublicKey,
        hash: HashAlg,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError>;

    /// Sign `msg`, hashed with `hash`, returning raw `r || s`.
    fn sign_ecdsa(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Signing state for many signatures under `key` with `hash`, built once, for the
    /// duration of one batch ([`with_signing_key`], [`sign_ecdsa_batch`]); the caller drops
    /// it when the batch is done, never keeps it. `None` (the default): this provider has no
    /// such state, and signs one by one with [`Self::sign_ecdsa`].
    fn prepare_signing(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
    ) -> Result<Option<Box<dyn PreparedSigning + '_>>, CryptoError> {
        let _ = (key, hash);
        Ok(None)
    }

    /// ECDH: the x-coordinate of `private * public`.
    fn ecdh(
        &self,
        private: &EcPrivateKey,
        public: &EcPublicKey,
    ) -> Result<SharedSecret, CryptoError>;

    /// The public key of a private key.
    fn public_key(&self, private: &EcPrivateKey) -> Result<EcPublicKey, CryptoError>;

    /// A fresh random private key on `curve`.
    fn generate_key(&self, curve: Curve) -> Result<EcPrivateKey, CryptoError>;

    /// HKDF-SHA-256 (RFC 5869) extract-and-expand into `out`.
    fn hkdf_sha256(
        &self,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError>;

    /// HMAC-SHA-256 of `msg` under `key`.
    fn hmac_sha256(&self, key: &[u8], msg: &[u8]) -> [u8; 32];

    /// A message digest.
    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8>;

    /// AES-256-GCM encryption with a 12-byte IV and no AAD; the 16-byte tag is appended.
    fn aes256gcm_seal(&self, key: &[u8; 32], iv: &[u8; 12], plaintext: &[u8]) -> Vec<u8>;

    /// AES-256-GCM decryption of `ciphertext || tag` with no AAD.
    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        iv: &[u8; 12],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Fill `out` with cryptographically secure random bytes.
    fn fill_random(&self, out: &mut [u8]) -> Result<(), CryptoError>;

    /// Verify an RSASSA-PKCS1-v1_5 signature (RFC 8017 §8.2.2) over `msg`, hashed with
    /// `hash` (JPKI: SHA-256). A provider without RSA returns [`CryptoError::Unsupported`].
    fn verify_rsa_pkcs1v15(
        &self,
        key: &RsaPublicKey,
        hash: HashAlg,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let _ = (key, hash, msg, signature);
        Err(CryptoError::Unsupported("RSASSA-PKCS1-v1_5"))
    }
}

/// The default provider: [`Ring`] with the `ring` feature, else [`RustCrypto`].
pub fn default_provider() -> &'static dyn CryptoProvider {
    #[cfg(feature = "ring")]
    static PROVIDER: Ring = Ring;
    #[cfg(not(feature = "ring"))]
    static PROVIDER: RustCrypto = RustCrypto;
    &PROVIDER
}
