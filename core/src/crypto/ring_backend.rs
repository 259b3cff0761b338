//! A [`CryptoProvider`] that signs and verifies ECDSA and computes digests with `ring`
//! (assembly field arithmetic for P-256 and P-384, hardware SHA where the CPU has it) and
//! delegates every other operation to [`RustCrypto`].
//!
//! Verification is what a verifier does thousands of times a day, signing what the issuer
//! service does forty times per enrolment (decision 0019: `ring` signs about 20x faster than
//! p256 0.13). `ring`'s ECDSA signatures are randomized (the nonce hedged with the key and
//! message), not RFC 6979 deterministic; the pure-RustCrypto provider stays deterministic.
//! ECDH and key generation stay on RustCrypto, whose keys need no PKCS#8 round trip. P-521 is
//! not in `ring` and stays on RustCrypto too. So are the cross pairings (P-256 with SHA-384 and
//! the like), which `ring` offers only in ASN.1 form. The two backends must agree on every
//! input: `tests` cross-checks them.

use super::{
    CryptoError, CryptoProvider, Curve, EcPrivateKey, EcPublicKey, HashAlg, PreparedSigning,
    RsaPublicKey, RustCrypto, SharedSecret,
};
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

/// `ring` for ECDSA verification and digests, [`RustCrypto`] for the rest.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ring;

/// The `ring` algorithm for a curve and hash, when `ring` has one.
fn ecdsa_algorithm(curve: Curve, hash: HashAlg) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match (curve, hash) {
        (Curve::P256, HashAlg::Sha256) => &signature::ECDSA_P256_SHA256_FIXED,
        (Curve::P384, HashAlg::Sha384) => &signature::ECDSA_P384_SHA384_FIXED,
        _ => return None,
    })
}

/// The `ring` signing algorithm (fixed-length `r || s`, randomized nonce hedged with the
/// message and key) for a curve and hash, when `ring` has one.
fn ecdsa_signing_algorithm(
    curve: Curve,
    hash: HashAlg,
) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    Some(match (curve, hash) {
        (Curve::P256, HashAlg::Sha256) => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        (Curve::P384, HashAlg::Sha384) => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        _ => return None,
    })
}

/// A parsed `ring` key pair with its random source: built for one signature
/// ([`Ring::sign_ecdsa`]) or one batch ([`CryptoProvider::prepare_signing`]), then dropped.
/// `ring` does not zeroize it, so it never outlives the call that built it.
struct RingKeyPair {
    pair: signature::EcdsaKeyPair,
    rng: ring::rand::SystemRandom,
    curve: Curve,
}

/// `ring`'s key pair for `key` under `alg`.
fn key_pair(
    alg: &'static signature::EcdsaSigningAlgorithm,
    key: &EcPrivateKey,
) -> Result<RingKeyPair, CryptoError> {
    let curve = key.curve();
    // `ring` wants the public key beside the scalar (it re-derives it with its fixed-base
    // tables and compares); the key remembers it after the first signature.
    let public = key.public_with(|k| RustCrypto.public_key(k))?;
    let rng = ring::rand::SystemRandom::new();
    let pair = signature::EcdsaKeyPair::from_private_key_and_public_key(
        alg,
        key.scalar_bytes(),
        public.sec1(),
        &rng,
    )
    .map_err(|_| CryptoError::InvalidPrivateKey { curve })?;
    Ok(RingKeyPair { pair, rng, curve })
}

impl PreparedSigning for RingKeyPair {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let sig = self
            .pair
            .sign(&self.rng, msg)
            .map_err(|_| CryptoError::SigningFailed { curve: self.curve })?;
        Ok(sig.as_ref().to_vec())
    }
}

impl CryptoProvider for Ring {
    fn verify_ecdsa(
        &self,
        key: &EcPublicKey,
        hash: HashAlg,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        let curve = key.curve();
        let Some(alg) = ecdsa_algorithm(curve, hash) else {
            return RustCrypto.verify_ecdsa(key, hash, msg, sig);
        };
        if sig.len() != 2 * curve.field_len() {
            return Err(CryptoError::MalformedSignature {
                curve,
                len: sig.len(),
            });
        }
        if UnparsedPublicKey::new(alg, key.sec1())
            .verify(msg, sig)
            .is_ok()
        {
            return Ok(());
        }
        // `ring` says only "no". Off the hot path, ask RustCrypto why (a key off its curve, a
        // scalar out of range, or a signature that does not verify), so both backends report
        // the same error; never let that second opinion turn a rejection into an acceptance.
        match RustCrypto.verify_ecdsa(key, hash, msg, sig) {
            Err(e) => Err(e),
            Ok(()) => Err(CryptoError::BadSignature),
        }
    }

    fn sign_ecdsa(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let curve = key.curve();
        let Some(alg) = ecdsa_signing_algorithm(curve, hash) else {
            return RustCrypto.sign_ecdsa(key, hash, msg);
        };
        let pair = key_pair(alg, key)?;
        pair.sign(msg)
    }

    fn prepare_signing(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
    ) -> Result<Option<Box<dyn PreparedSigning + '_>>, CryptoError> {
        match ecdsa_signing_algorithm(key.curve(), hash) {
            Some(alg) => Ok(Some(Box::new(key_pair(alg, key)?))),
            None => Ok(None),
        }
    }

    fn ecdh(
        &self,
        private: &EcPrivateKey,
        public: &EcPublicKey,
    ) -> Result<SharedSecret, CryptoError> {
        RustCrypto.ecdh(private, public)
    }

    fn public_key(&self, private: &EcPrivateKey) -> Result<EcPublicKey, CryptoError> {
        private.public_with(|k| RustCrypto.public_key(k)).cloned()
    }

    fn generate_key(&self, curve: Curve) -> Result<EcPrivateKey, CryptoError> {
        RustCrypto.generate_key(curve)
    }

    fn hkdf_sha256(
        &self,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        RustCrypto.hkdf_sha256(ikm, salt, info, out)
    }

    fn hmac_sha256(&self, key: &[u8], msg: &[u8]) -> [u8; 32] {
        RustCrypto.hmac_sha256(key, msg)
    }

    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        let alg = match alg {
            HashAlg::Sha256 => &ring::digest::SHA256,
            HashAlg::Sha384 => &ring::digest::SHA384,
            HashAlg::Sha512 => &ring::digest::SHA512,
        };
        ring::digest::digest(alg, data).as_ref().to_vec()
    }

    fn aes256gcm_seal(&self, key: &[u8; 32], iv: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
        RustCrypto.aes256gcm_seal(key, iv, plaintext)
    }

    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        iv: &[u8; 12],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        RustCrypto.aes256gcm_open(key, iv, ciphertext)
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        RustCrypto.fill_random(out)
    }

    fn verify_rsa_pkcs1v15(
        &self,
        key: &RsaPublicKey,
        hash: HashAlg,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        let params = match hash {
            HashAlg::Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            HashAlg::Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            HashAlg::Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        };
        // RFC 8017 §8.2.2 step 1: the signature is exactly the modulus length. `ring` checks it
        // too; checking here first keeps "wrong length" apart from "does not verify".
        if sig.len() != key.signature_len() {
            return Err(CryptoError::BadSignature);
        }
        signature::RsaPublicKeyComponents {
            n: key.modulus(),
            e: key.exponent(),
        }
        .verify(params, msg, sig)
        .map_err(|_| CryptoError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both backends accept what the other signs and reject the same tampering, for every
    /// curve and hash pairing (the pairings `ring` lacks fall back and must agree too).
    #[test]
    fn ring_and_rustcrypto_agree() {
        let (r, rc) = (Ring, RustCrypto);
        for curve in [Curve::P256, Curve::P384, Curve::P521] {
            let sk = rc.generate_key(curve).unwrap();
            let pk = rc.public_key(&sk).unwrap();
            for hash in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
                // Every pairing signs, P-521 with SHA-256 included (its digest is padded).
                let sig = rc.sign_ecdsa(&sk, hash, b"message").unwrap();
                assert_eq!(r.verify_ecdsa(&pk, hash, b"message", &sig), Ok(()));
                let mut bad = sig.clone();
                bad[5] ^= 1;
                assert_eq!(
                    r.verify_ecdsa(&pk, hash, b"message", &bad),
                    rc.verify_ecdsa(&pk, hash, b"message", &bad)
                );
                assert_eq!(
                    r.verify_ecdsa(&pk, hash, b"messagf", &sig),
                    Err(CryptoError::BadSignature)
                );
                assert!(matches!(
                    r.verify_ecdsa(&pk, hash, b"message", &sig[1..]),
                    Err(CryptoError::MalformedSignature { .. })
                ));
                assert_eq!(r.hash(hash, b"abc"), rc.hash(hash, b"abc"));
            }
        }
    }

    /// What `ring` signs verifies on both backends, for every curve and hash (the pairings
    /// `ring` lacks fall back to RustCrypto); `ring`'s own are randomized; the remembered
    /// public key is the one RustCrypto derives.
    #[test]
    fn ring_signs_what_both_verify() {
        let (r, rc) = (Ring, RustCrypto);
        for curve in [Curve::P256, Curve::P384, Curve::P521] {
            let sk = rc.generate_key(curve).unwrap();
            let pk = rc.public_key(&sk).unwrap();
            assert_eq!(r.public_key(&sk).unwrap(), pk);
            assert_eq!(r.public_key(&sk).unwrap(), pk, "remembered, still the same");
            for hash in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
                let sig = r.sign_ecdsa(&sk, hash, b"message").unwrap();
                assert_eq!(sig.len(), 2 * curve.field_len());
                assert_eq!(rc.verify_ecdsa(&pk, hash, b"message", &sig), Ok(()));
                assert_eq!(r.verify_ecdsa(&pk, hash, b"message", &sig), Ok(()));
                assert_eq!(
                    rc.verify_ecdsa(&pk, hash, b"messagf", &sig),
                    Err(CryptoError::BadSignature)
                );
                if ecdsa_signing_algorithm(curve, hash).is_some() {
                    let again = r.sign_ecdsa(&sk, hash, b"message").unwrap();
                    assert_ne!(sig, again, "{curve} {hash}: a fresh nonce each time");
                }
            }
        }
    }

    /// A scalar out of range (zero, or the group order) is refused by `ring` signing with
    /// the error RustCrypto gives, never a panic or a signature.
    #[test]
    fn ring_refuses_bad_scalars_like_rustcrypto() {
        let order = hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
            .unwrap();
        for scalar in [vec![0u8; 32], order] {
            let sk = EcPrivateKey::from_scalar(Curve::P256, &scalar).unwrap();
            let want = Err(CryptoError::InvalidPrivateKey { curve: Curve::P256 });
            assert_eq!(Ring.sign_ecdsa(&sk, HashAlg::Sha256, b"m"), want);
            assert_eq!(RustCrypto.sign_ecdsa(&sk, HashAlg::Sha256, b"m"), want);
        }
    }

    /// Out-of-range signatures and keys off the curve fail with the same error on both
    /// backends, and never panic.
    #[test]
    fn bad_inputs_fail_alike() {
        let rc = RustCrypto;
        let pk = rc
            .public_key(&rc.generate_key(Curve::P256).unwrap())
            .unwrap();
        let sig = rc.sign_ecdsa(
            &rc.generate_key(Curve::P256).unwrap(),
            HashAlg::Sha256,
            b"m",
        );
        let zero = [0u8; 64];
        assert_eq!(
            Ring.verify_ecdsa(&pk, HashAlg::Sha256, b"m", &zero),
            rc.verify_ecdsa(&pk, HashAlg::Sha256, b"m", &zero)
        );
        let mut off_curve = pk.sec1().to_vec();
        off_curve[64] ^= 1;
        let off = EcPublicKey::from_sec1_uncompressed(Curve::P256, &off_curve).unwrap();
        let sig = sig.unwrap();
        assert_eq!(
            Ring.verify_ecdsa(&off, HashAlg::Sha256, b"m", &sig),
            Err(CryptoError::InvalidPublicKey { curve: Curve::P256 })
        );
    }
}

/// P-521 with SHA-256, a pairing X.509 allows (an IACA on P-521 may sign with
/// ecdsa-with-SHA256), checked against a signature made by another implementation.
#[cfg(test)]
mod p521_sha256 {
    use super::*;

    /// Made on 2026-11-30 with OpenSSL 3.0.19 (`openssl ecparam -name secp521r1 -genkey`,
    /// `openssl dgst -sha256 -sign`; DER signature converted to r || s, 66 bytes each) and
    /// checked with `openssl dgst -sha256 -verify`.
    const PUBLIC_KEY: &str = "040108080f57dcc2afe96eb7a0290489bfda0f3c2b6a09b486ad936a331e3becee6fd162124f3cb851d794369f370c8c6a0d252d11048bb85140d6badabe8d0a73b3f6013d307a3bef2f268ad354f43109e5c0d0833b96cdb918eb63bde5da785233aff002b0438d3135d3d0b01b185df005b762f7fc914cf4c6d8ade4a1213e51c348c359";
    const MESSAGE: &[u8] = b"Kakunin P-521 with SHA-256 cross-check";
    const SIGNATURE: &str = "001ca68455bb0eaf92363bc4f48c069efa78df25d3e66301cbe99c364de7fee4da0392c4b4cb50955cf9d6a29d18424fab7cc21e6d6fcfce92f3f272ceedc9469d5500e5d12479d2762bf40208c260b796216f8784fda2b89cadedd6254d80ca2ac85d19213c86995053d165e566f2e17d8f464ec3b92eb5d70cec379313041c48555bf0";

    #[test]
    fn openssl_signature_verifies_on_both_backends() {
        let pk =
            EcPublicKey::from_sec1_uncompressed(Curve::P521, &hex::decode(PUBLIC_KEY).unwrap())
                .unwrap();
        let sig = hex::decode(SIGNATURE).unwrap();
        for backend in [&Ring as &dyn CryptoProvider, &RustCrypto] {
            assert_eq!(
                backend.verify_ecdsa(&pk, HashAlg::Sha256, MESSAGE, &sig),
                Ok(())
            );
            assert_eq!(
                backend.verify_ecdsa(&pk, HashAlg::Sha256, b"another message", &sig),
                Err(CryptoError::BadSignature)
            );
            // The same bytes are not a signature over the SHA-512 digest.
            assert_eq!(
                backend.verify_ecdsa(&pk, HashAlg::Sha512, MESSAGE, &sig),
                Err(CryptoError::BadSignature)
            );
        }
    }
}
