//! X.509 signature algorithms for rustls-webpki, implemented through the crate's
//! [`CryptoProvider`](crate::crypto::CryptoProvider) so certificate checks use the same crypto
//! seam as everything else (and P-521 works without ring or aws-lc-rs).

use crate::crypto::{default_provider, Curve, EcPublicKey, HashAlg};
use rustls_pki_types::{
    alg_id, AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm,
};

/// ECDSA on one curve with one hash; X.509 signatures are DER `ECDSA-Sig-Value`.
#[derive(Debug)]
pub struct EcdsaAlgorithm {
    curve: Curve,
    hash: HashAlg,
    public_key_alg_id: AlgorithmIdentifier,
    signature_alg_id: AlgorithmIdentifier,
}

fn der_to_raw(curve: Curve, sig: &[u8]) -> Option<Vec<u8>> {
    Some(match curve {
        Curve::P256 => p256::ecdsa::Signature::from_der(sig)
            .ok()?
            .to_bytes()
            .to_vec(),
        Curve::P384 => p384::ecdsa::Signature::from_der(sig)
            .ok()?
            .to_bytes()
            .to_vec(),
        Curve::P521 => p521::ecdsa::Signature::from_der(sig)
            .ok()?
            .to_bytes()
            .to_vec(),
    })
}

impl SignatureVerificationAlgorithm for EcdsaAlgorithm {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let key =
            EcPublicKey::from_sec1_uncompressed(self.curve, public_key).ok_or(InvalidSignature)?;
        let raw = der_to_raw(self.curve, signature).ok_or(InvalidSignature)?;
        default_provider()
            .verify_ecdsa(&key, self.hash, message, &raw)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.public_key_alg_id
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg_id
    }
}

impl EcdsaAlgorithm {
    /// ECDSA on `curve` with `hash`; the X.509 algorithm identifiers follow from the two.
    const fn new(curve: Curve, hash: HashAlg) -> Self {
        Self {
            curve,
            hash,
            public_key_alg_id: match curve {
                Curve::P256 => alg_id::ECDSA_P256,
                Curve::P384 => alg_id::ECDSA_P384,
                Curve::P521 => alg_id::ECDSA_P521,
            },
            signature_alg_id: match hash {
                HashAlg::Sha256 => alg_id::ECDSA_SHA256,
                HashAlg::Sha384 => alg_id::ECDSA_SHA384,
                HashAlg::Sha512 => alg_id::ECDSA_SHA512,
            },
        }
    }
}

pub static ECDSA_P256_SHA256: EcdsaAlgorithm = EcdsaAlgorithm::new(Curve::P256, HashAlg::Sha256);
pub static ECDSA_P256_SHA384: EcdsaAlgorithm = EcdsaAlgorithm::new(Curve::P256, HashAlg::Sha384);
pub static ECDSA_P256_SHA512: EcdsaAlgorithm = EcdsaAlgorithm::new(Curve::P256, HashAlg::Sha512);
pub static ECDSA_P384_SHA256: EcdsaAlgorithm = EcdsaAlgorithm::new(Curve::P384, HashAlg::Sha256);
pub static ECDSA_P384_SHA384: EcdsaAlgorithm = EcdsaAlgorithm::new(Curve::P384, HashAlg::Sha384);
pub static ECDSA_P384_SHA512: EcdsaAlgorithm = EcdsaAlgorithm::new(Curve::P384, HashAlg::Sha512);
pub static ECDSA_P521_SHA256: EcdsaAlgorithm = EcdsaAlgorithm::new(Curve::P521, HashAlg::Sha256);
pub static ECDSA_P521_SHA384: EcdsaAlgorithm = EcdsaAlgorithm::new(Curve::P521, HashAlg::Sha384);
pub static ECDSA_P521_SHA512: EcdsaAlgorithm = EcdsaAlgorithm::new(Curve::P521, HashAlg::Sha512);

/// Every algorithm accepted for IACA, DS and reader certificates: ECDSA on P-256, P-384 and
/// P-521 (18013-5 Annex B) with SHA-256, SHA-384 or SHA-512, in every pairing, since the
/// certificate profile names the curves and the hashes but does not tie one to the other.
pub static ALL: &[&dyn SignatureVerificationAlgorithm] = &[
    &ECDSA_P256_SHA256,
    &ECDSA_P256_SHA384,
    &ECDSA_P256_SHA512,
    &ECDSA_P384_SHA256,
    &ECDSA_P384_SHA384,
    &ECDSA_P384_SHA512,
    &ECDSA_P521_SHA256,
    &ECDSA_P521_SHA384,
    &ECDSA_P521_SHA512,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{CryptoProvider, RustCrypto};

    fn raw_to_der(curve: Curve, raw: &[u8]) -> Vec<u8> {
        match curve {
            Curve::P256 => p256::ecdsa::Signature::from_slice(raw)
                .unwrap()
                .to_der()
                .as_bytes()
                .to_vec(),
            Curve::P384 => p384::ecdsa::Signature::from_slice(raw)
                .unwrap()
                .to_der()
                .as_bytes()
                .to_vec(),
            Curve::P521 => p521::ecdsa::Signature::from_slice(raw)
                .unwrap()
                .to_der()
                .as_bytes()
                .to_vec(),
        }
    }

    /// `ALL` holds exactly one algorithm for each of the nine curve/hash pairings, and each
    /// verifies a DER signature made with its curve and hash, and rejects it over another
    /// message or under another hash.
    #[test]
    fn every_pairing_verifies_its_own_signatures_only() {
        let rc = RustCrypto;
        let curves = [
            (Curve::P256, alg_id::ECDSA_P256),
            (Curve::P384, alg_id::ECDSA_P384),
            (Curve::P521, alg_id::ECDSA_P521),
        ];
        let hashes = [
            (HashAlg::Sha256, alg_id::ECDSA_SHA256),
            (HashAlg::Sha384, alg_id::ECDSA_SHA384),
            (HashAlg::Sha512, alg_id::ECDSA_SHA512),
        ];
        assert_eq!(ALL.len(), curves.len() * hashes.len());
        for (curve, key_id) in curves {
            for (hash, sig_id) in hashes {
                let found: Vec<_> = ALL
                    .iter()
                    .filter(|a| a.public_key_alg_id() == key_id && a.signature_alg_id() == sig_id)
                    .collect();
                assert_eq!(found.len(), 1, "{curve:?} {hash:?}");
                let alg = found[0];
                let sk = rc.generate_key(curve).unwrap();
                let pk = rc.public_key(&sk).unwrap();
                let tbs = b"tbsCertificate";
                let der = raw_to_der(curve, &rc.sign_ecdsa(&sk, hash, tbs).unwrap());
                assert!(
                    alg.verify_signature(pk.sec1(), tbs, &der).is_ok(),
                    "{curve:?} {hash:?}"
                );
                assert!(alg
                    .verify_signature(pk.sec1(), b"tbsCertificatf", &der)
                    .is_err());
                let other_hash = if hash == HashAlg::Sha256 {
                    HashAlg::Sha384
                } else {
                    HashAlg::Sha256
                };
                let other = raw_to_der(curve, &rc.sign_ecdsa(&sk, other_hash, tbs).unwrap());
                assert!(
                    alg.verify_signature(pk.sec1(), tbs, &other).is_err(),
                    "{curve:?} {hash:?}"
                );
            }
        }
    }
}
