//! X.509 signature algorithms for rustls-webpki, implemented through a caller-supplied
//! [`CryptoProvider`] so certificate signatures (RFC 5280 §4.1.1.3, checked during path
//! validation, §6.1.3 (a)(1)) are verified by the same provider as everything else a verifier
//! does, never by a global one (and P-521 works without ring or aws-lc-rs).

use crate::crypto::{CryptoProvider, Curve, EcPublicKey, HashAlg};
use rustls_pki_types::{
    alg_id, AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm,
};

/// ECDSA on one curve with one hash, verified through a provider; X.509 signatures are DER
/// `ECDSA-Sig-Value` (RFC 5758 §3.2), converted to `r || s` for the provider.
pub struct EcdsaAlgorithm<'p> {
    provider: &'p dyn CryptoProvider,
    curve: Curve,
    hash: HashAlg,
    public_key_alg_id: AlgorithmIdentifier,
    signature_alg_id: AlgorithmIdentifier,
}

impl core::fmt::Debug for EcdsaAlgorithm<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EcdsaAlgorithm")
            .field("curve", &self.curve)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// A DER `ECDSA-Sig-Value` as the fixed-size `r || s` of `curve`.
pub(crate) fn der_to_raw(curve: Curve, sig: &[u8]) -> Option<Vec<u8>> {
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

impl SignatureVerificationAlgorithm for EcdsaAlgorithm<'_> {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let key =
            EcPublicKey::from_sec1_uncompressed(self.curve, public_key).ok_or(InvalidSignature)?;
        let raw = der_to_raw(self.curve, signature).ok_or(InvalidSignature)?;
        self.provider
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

impl<'p> EcdsaAlgorithm<'p> {
    /// ECDSA on `curve` with `hash` through `provider`; the X.509 algorithm identifiers
    /// follow from the two.
    pub const fn new(provider: &'p dyn CryptoProvider, curve: Curve, hash: HashAlg) -> Self {
        Self {
            provider,
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

/// Every algorithm accepted for IACA, DS and reader certificates, verified through
/// `provider`: ECDSA on P-256, P-384 and P-521 (18013-5 Annex B) with SHA-256, SHA-384 or
/// SHA-512, in every pairing, since the certificate profile names the curves and the hashes
/// but does not tie one to the other.
pub fn all(provider: &dyn CryptoProvider) -> [EcdsaAlgorithm<'_>; 9] {
    use Curve::{P256, P384, P521};
    use HashAlg::{Sha256, Sha384, Sha512};
    [
        EcdsaAlgorithm::new(provider, P256, Sha256),
        EcdsaAlgorithm::new(provider, P256, Sha384),
        EcdsaAlgorithm::new(provider, P256, Sha512),
        EcdsaAlgorithm::new(provider, P384, Sha256),
        EcdsaAlgorithm::new(provider, P384, Sha384),
        EcdsaAlgorithm::new(provider, P384, Sha512),
        EcdsaAlgorithm::new(provider, P521, Sha256),
        EcdsaAlgorithm::new(provider, P521, Sha384),
        EcdsaAlgorithm::new(provider, P521, Sha512),
    ]
}

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

    /// `all` holds exactly one algorithm for each of the nine curve/hash pairings, and each
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
        let algs = all(&rc);
        assert_eq!(algs.len(), curves.len() * hashes.len());
        for (curve, key_id) in curves {
            for (hash, sig_id) in hashes {
                let found: Vec<_> = algs
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
