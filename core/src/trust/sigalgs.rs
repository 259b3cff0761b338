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

pub static ECDSA_P256_SHA256: EcdsaAlgorithm = EcdsaAlgorithm {
    curve: Curve::P256,
    hash: HashAlg::Sha256,
    public_key_alg_id: alg_id::ECDSA_P256,
    signature_alg_id: alg_id::ECDSA_SHA256,
};
pub static ECDSA_P256_SHA384: EcdsaAlgorithm = EcdsaAlgorithm {
    curve: Curve::P256,
    hash: HashAlg::Sha384,
    public_key_alg_id: alg_id::ECDSA_P256,
    signature_alg_id: alg_id::ECDSA_SHA384,
};
pub static ECDSA_P384_SHA384: EcdsaAlgorithm = EcdsaAlgorithm {
    curve: Curve::P384,
    hash: HashAlg::Sha384,
    public_key_alg_id: alg_id::ECDSA_P384,
    signature_alg_id: alg_id::ECDSA_SHA384,
};
pub static ECDSA_P384_SHA256: EcdsaAlgorithm = EcdsaAlgorithm {
    curve: Curve::P384,
    hash: HashAlg::Sha256,
    public_key_alg_id: alg_id::ECDSA_P384,
    signature_alg_id: alg_id::ECDSA_SHA256,
};
pub static ECDSA_P256_SHA512: EcdsaAlgorithm = EcdsaAlgorithm {
    curve: Curve::P256,
    hash: HashAlg::Sha512,
    public_key_alg_id: alg_id::ECDSA_P256,
    signature_alg_id: alg_id::ECDSA_SHA512,
};
pub static ECDSA_P384_SHA512: EcdsaAlgorithm = EcdsaAlgorithm {
    curve: Curve::P384,
    hash: HashAlg::Sha512,
    public_key_alg_id: alg_id::ECDSA_P384,
    signature_alg_id: alg_id::ECDSA_SHA512,
};
pub static ECDSA_P521_SHA256: EcdsaAlgorithm = EcdsaAlgorithm {
    curve: Curve::P521,
    hash: HashAlg::Sha256,
    public_key_alg_id: alg_id::ECDSA_P521,
    signature_alg_id: alg_id::ECDSA_SHA256,
};
pub static ECDSA_P521_SHA384: EcdsaAlgorithm = EcdsaAlgorithm {
    curve: Curve::P521,
    hash: HashAlg::Sha384,
    public_key_alg_id: alg_id::ECDSA_P521,
    signature_alg_id: alg_id::ECDSA_SHA384,
};
pub static ECDSA_P521_SHA512: EcdsaAlgorithm = EcdsaAlgorithm {
    curve: Curve::P521,
    hash: HashAlg::Sha512,
    public_key_alg_id: alg_id::ECDSA_P521,
    signature_alg_id: alg_id::ECDSA_SHA512,
};

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

    /// Each of the nine algorithms verifies a DER signature made with its curve and hash, and
    /// rejects it over another message or under another hash.
    #[test]
    fn every_pairing_verifies_its_own_signatures_only() {
        let all = [
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
        assert_eq!(all.len(), ALL.len());
        let rc = RustCrypto;
        for alg in all {
            let sk = rc.generate_key(alg.curve).unwrap();
            let pk = rc.public_key(&sk).unwrap();
            let tbs = b"tbsCertificate";
            let der = raw_to_der(alg.curve, &rc.sign_ecdsa(&sk, alg.hash, tbs).unwrap());
            assert!(
                alg.verify_signature(pk.sec1(), tbs, &der).is_ok(),
                "{alg:?}"
            );
            assert!(alg
                .verify_signature(pk.sec1(), b"tbsCertificatf", &der)
                .is_err());
            let other_hash = if alg.hash == HashAlg::Sha256 {
                HashAlg::Sha384
            } else {
                HashAlg::Sha256
            };
            let other = raw_to_der(alg.curve, &rc.sign_ecdsa(&sk, other_hash, tbs).unwrap());
            assert!(
                alg.verify_signature(pk.sec1(), tbs, &other).is_err(),
                "{alg:?}"
            );
        }
    }
}
