//! The simulator's RSA-2048 private keys: the JPKI-SIM CAs' keys and the virtual card's and
//! phone's signature and authentication keys (jpki-notes §2.1–§2.3: every JPKI key is RSA-2048,
//! e = 65537, signatures RSASSA-PKCS1-v1_5 with SHA-256).
//!
//! Backed by the `rsa` crate, only here (docs/decisions/0017-simulator-rsa.md explains why
//! RUSTSEC-2023-0071 does not apply: these are test keys, never a real person's). The key is
//! held inside `rsa::pkcs1v15::SigningKey<Sha256>`, which zeroizes the private key on drop; it
//! is never cloned, printed or serialized except as the 0600 PKCS#8 PEM file of its profile.

use kakunin_core::crypto::{RsaPublicKey, RsaSigner, SHA256_DIGEST_INFO_PREFIX};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The modulus size of every simulated JPKI key (jpki-notes §2.1, §2.3).
pub const SIM_RSA_BITS: usize = 2048;

/// Largest input the card signs: a 2048-bit modulus less the 11 bytes of PKCS#1 v1.5 type-1
/// padding (jpki-notes §1.3, "max input is 256-11 = 245 bytes").
pub const MAX_SIGN_INPUT: usize = SIM_RSA_BITS / 8 - 11;

/// Why a simulator key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimKeyError {
    /// Key generation or the system random generator failed.
    #[error("RSA key generation failed")]
    Generate,
    /// The PEM is not a PKCS#8 RSA private key.
    #[error("not a PKCS#8 RSA private key")]
    Malformed,
    /// The key is not RSA-2048 with a valid public key.
    #[error("not an RSA-2048 key")]
    WrongSize,
    /// The private-key operation failed (input too long for the modulus, ...).
    #[error("RSA signature failed")]
    Sign,
    /// The input to sign is longer than [`MAX_SIGN_INPUT`].
    #[error("signature input of {0} bytes is over {MAX_SIGN_INPUT}")]
    InputTooLong(usize),
}

impl SimKeyError {
    /// The error's [`kakunin_core::Cause`].
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            SimKeyError::Malformed | SimKeyError::WrongSize => kakunin_core::Cause::Malformed,
            SimKeyError::InputTooLong(_) => kakunin_core::Cause::Misuse,
            SimKeyError::Generate | SimKeyError::Sign => kakunin_core::Cause::FailedCheck,
        }
    }
}

/// An RSA-2048 private key of the simulator, with its public half in Kakunin's form.
pub struct SimRsaKey {
    signing: rsa::pkcs1v15::SigningKey<Sha256>,
    public: RsaPublicKey,
}

impl core::fmt::Debug for SimRsaKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the private parts.
        write!(f, "SimRsaKey({} bits)", self.public.bits())
    }
}

impl SimRsaKey {
    /// A fresh RSA-2048 key (e = 65537) from the operating system's random generator.
    pub fn generate() -> Result<Self, SimKeyError> {
        let key = RsaPrivateKey::new(&mut rand_core::OsRng, SIM_RSA_BITS)
            .map_err(|_| SimKeyError::Generate)?;
        Self::from_private(key)
    }

    fn from_private(key: RsaPrivateKey) -> Result<Self, SimKeyError> {
        let public = RsaPublicKey::from_components(&key.n().to_bytes_be(), &key.e().to_bytes_be())
            .map_err(|_| SimKeyError::WrongSize)?;
        if public.bits() != SIM_RSA_BITS {
            return Err(SimKeyError::WrongSize);
        }
        Ok(SimRsaKey {
            signing: rsa::pkcs1v15::SigningKey::new(key),
            public,
        })
    }

    /// A key from a PKCS#8 PEM (`PRIVATE KEY`), as [`SimRsaKey::to_pkcs8_pem`] writes it.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, SimKeyError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem).map_err(|_| SimKeyError::Malformed)?;
        key.validate().map_err(|_| SimKeyError::Malformed)?;
        Self::from_private(key)
    }

    /// The key as a PKCS#8 PEM, zeroized when dropped.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, SimKeyError> {
        self.signing
            .as_ref()
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| SimKeyError::Malformed)
    }

    /// The public key.
    pub fn public(&self) -> &RsaPublicKey {
        &self.public
    }

    /// The public key as a DER SubjectPublicKeyInfo (rsaEncryption, NULL parameters).
    pub fn spki_der(&self) -> Result<Vec<u8>, SimKeyError> {
        Ok(self
            .signing
            .as_ref()
            .to_public_key()
            .to_public_key_der()
            .map_err(|_| SimKeyError::Malformed)?
            .into_vec())
    }

    /// What the card's COMPUTE DIGITAL SIGNATURE does (jpki-notes §1.3): PKCS#1 v1.5 type-1
    /// padding over `input` as given (the host sends a DigestInfo; the card does not check
    /// that it is one), then the private-key operation, blinded with fresh randomness.
    pub fn sign_padded_raw(&self, input: &[u8]) -> Result<Vec<u8>, SimKeyError> {
        if input.len() > MAX_SIGN_INPUT {
            return Err(SimKeyError::InputTooLong(input.len()));
        }
        self.signing
            .as_ref()
            .sign_with_rng(&mut rand_core::OsRng, Pkcs1v15Sign::new_unprefixed(), input)
            .map_err(|_| SimKeyError::Sign)
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `msg` (RFC 8017 §8.2.1): the SHA-256 DigestInfo of
    /// `msg`, padded and signed as the card does it.
    pub fn sign_sha256(&self, msg: &[u8]) -> Result<Vec<u8>, SimKeyError> {
        let mut info = Vec::with_capacity(SHA256_DIGEST_INFO_PREFIX.len() + 32);
        info.extend_from_slice(&SHA256_DIGEST_INFO_PREFIX);
        info.extend_from_slice(&Sha256::digest(msg));
        self.sign_padded_raw(&info)
    }

    /// The key as x509-cert's certificate and CRL builders want a signer.
    pub(crate) fn x509_signer(&self) -> &rsa::pkcs1v15::SigningKey<Sha256> {
        &self.signing
    }
}

impl RsaSigner for SimRsaKey {
    type Error = SimKeyError;

    fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    fn sign_pkcs1v15(&mut self, msg: &[u8]) -> Result<Vec<u8>, SimKeyError> {
        self.sign_sha256(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::crypto::{default_provider, HashAlg};

    #[test]
    fn generated_keys_sign_what_ring_verifies_and_round_trip_through_pem() {
        let mut key = SimRsaKey::generate().unwrap();
        assert_eq!(key.public().bits(), 2048);
        assert_eq!(format!("{key:?}"), "SimRsaKey(2048 bits)");
        let sig = key.sign_pkcs1v15(b"challenge").unwrap();
        assert_eq!(sig.len(), 256);
        let crypto = default_provider();
        crypto
            .verify_rsa_pkcs1v15(key.public(), HashAlg::Sha256, b"challenge", &sig)
            .unwrap();
        assert!(crypto
            .verify_rsa_pkcs1v15(key.public(), HashAlg::Sha256, b"other", &sig)
            .is_err());
        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = SimRsaKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back.public(), key.public());
        let spki = RsaPublicKey::from_spki_der(&back.spki_der().unwrap()).unwrap();
        assert_eq!(&spki, key.public());
        assert!(matches!(
            SimRsaKey::from_pkcs8_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            ),
            Err(SimKeyError::Malformed)
        ));
        assert!(matches!(
            key.sign_padded_raw(&[0u8; 246]),
            Err(SimKeyError::InputTooLong(246))
        ));
        // The raw card operation over a DigestInfo is the same signature (PKCS#1 v1.5 is
        // deterministic).
        let digest: [u8; 32] = Sha256::digest(b"challenge").into();
        let raw = key
            .sign_padded_raw(&kakunin_core::crypto::sha256_digest_info(&digest))
            .unwrap();
        assert_eq!(raw, sig);
    }
}
