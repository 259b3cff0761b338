//! The default [`CryptoProvider`] on the RustCrypto crates.

use super::{CryptoError, CryptoProvider, Curve, EcPrivateKey, EcPublicKey, HashAlg, SharedSecret};
use aes_gcm::aead::{Aead, KeyInit};
use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use hmac::Mac;
use rand_core::{OsRng, RngCore};
use sha2::Digest;
use zeroize::Zeroizing;

/// RustCrypto backend (p256, p384, p521, sha2, hkdf, hmac, aes-gcm).
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCrypto;

fn digest(alg: HashAlg, data: &[u8]) -> Vec<u8> {
    match alg {
        HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
        HashAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
        HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
    }
}

/// The digest ECDSA signs or verifies: `hash(msg)`, left-padded with zero bytes to the curve's
/// field length when shorter. FIPS 186-5 (6.4.1, 6.4.2) takes a digest shorter than the order
/// as the integer it spells, and zero bytes in front spell the same integer; the `ecdsa` crate
/// refuses digests under half the field length (32-byte SHA-256 against P-521's 66 bytes),
/// so without the padding P-521 with SHA-256, which X.509 allows, could be neither signed nor
/// verified.
fn ecdsa_prehash(curve: Curve, hash: HashAlg, msg: &[u8]) -> Vec<u8> {
    let digest = digest(hash, msg);
    let field_len = curve.field_len();
    if digest.len() >= field_len {
        return digest;
    }
    let mut padded = vec![0u8; field_len - digest.len()];
    padded.extend_from_slice(&digest);
    padded
}

fn check_sig_len(curve: Curve, signature: &[u8]) -> Result<(), CryptoError> {
    if signature.len() != 2 * curve.field_len() {
        return Err(CryptoError::MalformedSignature {
            curve,
            len: signature.len(),
        });
    }
    Ok(())
}

impl CryptoProvider for RustCrypto {
    fn verify_ecdsa(
        &self,
        key: &EcPublicKey,
        hash: HashAlg,
        msg: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let curve = key.curve();
        check_sig_len(curve, signature)?;
        let prehash = ecdsa_prehash(curve, hash, msg);
        let bad_key = CryptoError::InvalidPublicKey { curve };
        let bad_sig = CryptoError::MalformedSignature {
            curve,
            len: signature.len(),
        };
        match curve {
            Curve::P256 => {
                let vk =
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(key.sec1()).map_err(|_| bad_key)?;
                let sig = p256::ecdsa::Signature::from_slice(signature).map_err(|_| bad_sig)?;
                vk.verify_prehash(&prehash, &sig)
            }
            Curve::P384 => {
                let vk =
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(key.sec1()).map_err(|_| bad_key)?;
                let sig = p384::ecdsa::Signature::from_slice(signature).map_err(|_| bad_sig)?;
                vk.verify_prehash(&prehash, &sig)
            }
            Curve::P521 => {
                let vk =
                    p521::ecdsa::VerifyingKey::from_sec1_bytes(key.sec1()).map_err(|_| bad_key)?;
                let sig = p521::ecdsa::Signature::from_slice(signature).map_err(|_| bad_sig)?;
                vk.verify_prehash(&prehash, &sig)
            }
        }
        .map_err(|_| CryptoError::BadSignature)
    }

    fn sign_ecdsa(
        &self,
        key: &EcPrivateKey,
        hash: HashAlg,
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let curve = key.curve();
        let prehash = ecdsa_prehash(curve, hash, msg);
        let bad_key = CryptoError::InvalidPrivateKey { curve };
        let failed = CryptoError::SigningFailed { curve };
        let sig: Vec<u8> = match curve {
            Curve::P256 => {
                let sk =
                    p256::ecdsa::SigningKey::from_slice(key.scalar_bytes()).map_err(|_| bad_key)?;
                let sig: p256::ecdsa::Signature = sk.sign_prehash(&prehash).map_err(|_| failed)?;
                sig.to_bytes().to_vec()
            }
            Curve::P384 => {
                let sk =
                    p384::ecdsa::SigningKey::from_slice(key.scalar_bytes()).map_err(|_| bad_key)?;
                let sig: p384::ecdsa::Signature = sk.sign_prehash(&prehash).map_err(|_| failed)?;
                sig.to_bytes().to_vec()
            }
            Curve::P521 => {
                let sk =
                    p521::ecdsa::SigningKey::from_slice(key.scalar_bytes()).map_err(|_| bad_key)?;
                let sig: p521::ecdsa::Signature = sk.sign_prehash(&prehash).map_err(|_| failed)?;
                sig.to_bytes().to_vec()
            }
        };
        Ok(sig)
    }

    fn ecdh(
        &self,
        private: &EcPrivateKey,
        public: &EcPublicKey,
    ) -> Result<SharedSecret, CryptoError> {
        if private.curve() != public.curve() {
            return Err(CryptoError::CurveMismatch {
                private: private.curve(),
                public: public.curve(),
            });
        }
        let curve = private.curve();
        let bad_priv = CryptoError::InvalidPrivateKey { curve };
        let bad_pub = CryptoError::InvalidPublicKey { curve };
        let out = match curve {
            Curve::P256 => {
                let sk =
                    p256::SecretKey::from_slice(private.scalar_bytes()).map_err(|_| bad_priv)?;
                let pk = p256::PublicKey::from_sec1_bytes(public.sec1()).map_err(|_| bad_pub)?;
                let shared = p256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                shared.raw_secret_bytes().to_vec()
            }
            Curve::P384 => {
                let sk =
                    p384::SecretKey::from_slice(private.scalar_bytes()).map_err(|_| bad_priv)?;
                let pk = p384::PublicKey::from_sec1_bytes(public.sec1()).map_err(|_| bad_pub)?;
                let shared = p384::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                shared.raw_secret_bytes().to_vec()
            }
            Curve::P521 => {
                let sk =
                    p521::SecretKey::from_slice(private.scalar_bytes()).map_err(|_| bad_priv)?;
                let pk = p521::PublicKey::from_sec1_bytes(public.sec1()).map_err(|_| bad_pub)?;
                let shared = p521::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                shared.raw_secret_bytes().to_vec()
            }
        };
        Ok(Zeroizing::new(out))
    }

    fn public_key(&self, private: &EcPrivateKey) -> Result<EcPublicKey, CryptoError> {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let curve = private.curve();
        let bad_priv = CryptoError::InvalidPrivateKey { curve };
        let point = match curve {
            Curve::P256 => p256::SecretKey::from_slice(private.scalar_bytes())
                .map_err(|_| bad_priv)?
                .public_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
            Curve::P384 => p384::SecretKey::from_slice(private.scalar_bytes())
                .map_err(|_| bad_priv)?
                .public_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
            Curve::P521 => p521::SecretKey::from_slice(private.scalar_bytes())
                .map_err(|_| bad_priv)?
                .public_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
        };
        EcPublicKey::from_sec1_uncompressed(curve, &point)
            .ok_or(CryptoError::InvalidPublicKey { curve })
    }

    fn generate_key(&self, curve: Curve) -> Result<EcPrivateKey, CryptoError> {
        let scalar = match curve {
            Curve::P256 => Zeroizing::new(p256::SecretKey::random(&mut OsRng).to_bytes().to_vec()),
            Curve::P384 => Zeroizing::new(p384::SecretKey::random(&mut OsRng).to_bytes().to_vec()),
            Curve::P521 => Zeroizing::new(p521::SecretKey::random(&mut OsRng).to_bytes().to_vec()),
        };
        EcPrivateKey::from_scalar(curve, &scalar).ok_or(CryptoError::InvalidPrivateKey { curve })
    }

    fn hkdf_sha256(
        &self,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), ikm)
            .expand(info, out)
            .map_err(|_| CryptoError::HkdfLength(out.len()))
    }

    fn hmac_sha256(&self, key: &[u8], msg: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(msg);
        mac.finalize().into_bytes().into()
    }

    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        digest(alg, data)
    }

    fn aes256gcm_seal(&self, key: &[u8; 32], iv: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
        let cipher = aes_gcm::Aes256Gcm::new(key.into());
        cipher
            .encrypt(iv.into(), plaintext)
            .unwrap_or_else(|_| unreachable!("AES-GCM encryption fails only beyond 64 GiB"))
    }

    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        iv: &[u8; 12],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let cipher = aes_gcm::Aes256Gcm::new(key.into());
        cipher
            .decrypt(iv.into(), ciphertext)
            .map_err(|_| CryptoError::AeadFailure)
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        OsRng.try_fill_bytes(out).map_err(|_| CryptoError::Rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_roundtrip_all_curves() {
        let p = RustCrypto;
        for curve in [Curve::P256, Curve::P384, Curve::P521] {
            let sk = p.generate_key(curve).unwrap();
            let pk = p.public_key(&sk).unwrap();
            let sig = p.sign_ecdsa(&sk, curve.default_hash(), b"msg").unwrap();
            assert_eq!(sig.len(), 2 * curve.field_len());
            p.verify_ecdsa(&pk, curve.default_hash(), b"msg", &sig)
                .unwrap();
            assert_eq!(
                p.verify_ecdsa(&pk, curve.default_hash(), b"msh", &sig),
                Err(CryptoError::BadSignature)
            );
            let other = p.public_key(&p.generate_key(curve).unwrap()).unwrap();
            let a = p.ecdh(&sk, &other).unwrap();
            assert_eq!(a.len(), curve.field_len());
        }
    }
}
