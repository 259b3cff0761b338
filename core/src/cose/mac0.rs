//! COSE_Mac0 with HMAC 256/256, as used by ISO 18013-5 DeviceMac (clause 9.1.3.5).

use super::{alg_of, map_coset, untag, CoseError, ALG_HMAC_256_256};
use crate::crypto::CryptoProvider;
use coset::{CborSerializable, TaggedCborSerializable};

/// A received (or built) COSE_Mac0, with its encoding kept.
#[derive(Debug, Clone)]
pub struct Mac0 {
    raw: Vec<u8>,
    inner: coset::CoseMac0,
}

impl Mac0 {
    /// Parse a COSE_Mac0, tagged (17) or untagged.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CoseError> {
        let (_, tagged) = untag(bytes, 0xd1)?;
        let inner = if tagged {
            coset::CoseMac0::from_tagged_slice(bytes)
        } else {
            coset::CoseMac0::from_slice(bytes)
        }
        .map_err(map_coset)?;
        Ok(Mac0 {
            raw: bytes.to_vec(),
            inner,
        })
    }

    /// The bytes as received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The MAC tag.
    pub fn tag(&self) -> &[u8] {
        &self.inner.tag
    }

    /// Check the algorithm is HMAC 256/256, the only one ISO 18013-5 defines for DeviceMac.
    pub fn check_algorithm(&self) -> Result<(), CoseError> {
        let alg = alg_of(&self.inner.protected.header).ok_or(CoseError::MissingAlgorithm)?;
        if alg != ALG_HMAC_256_256 {
            return Err(CoseError::UnsupportedAlgorithm(alg));
        }
        Ok(())
    }

    /// The MAC_structure bytes (payload attached or supplied).
    pub fn to_be_maced(&self, detached_payload: Option<&[u8]>) -> Result<Vec<u8>, CoseError> {
        let payload = match (&self.inner.payload, detached_payload) {
            (None, Some(p)) => p,
            (Some(p), None) => p.as_slice(),
            (Some(_), Some(_)) => return Err(CoseError::UnexpectedPayload),
            (None, None) => return Err(CoseError::MissingPayload),
        };
        Ok(coset::mac_structure_data(
            coset::MacContext::CoseMac0,
            self.inner.protected.clone(),
            b"",
            payload,
        ))
    }

    /// Verify the tag with `key` in constant time.
    pub fn verify(
        &self,
        crypto: &dyn CryptoProvider,
        key: &[u8],
        detached_payload: Option<&[u8]>,
    ) -> Result<(), CoseError> {
        use subtle::ConstantTimeEq;
        self.check_algorithm()?;
        let data = self.to_be_maced(detached_payload)?;
        let expected = crypto.hmac_sha256(key, &data);
        if self.inner.tag.len() == expected.len() && bool::from(expected.ct_eq(&self.inner.tag)) {
            Ok(())
        } else {
            Err(CoseError::BadTag)
        }
    }

    /// Build a COSE_Mac0 with HMAC 256/256 over a detached payload.
    pub fn create_detached(
        crypto: &dyn CryptoProvider,
        key: &[u8],
        payload: &[u8],
    ) -> Result<Self, CoseError> {
        let protected = coset::HeaderBuilder::new()
            .algorithm(coset::iana::Algorithm::HMAC_256_256)
            .build();
        let mac = coset::CoseMac0Builder::new().protected(protected).build();
        let data = coset::mac_structure_data(
            coset::MacContext::CoseMac0,
            mac.protected.clone(),
            b"",
            payload,
        );
        let mut mac = mac;
        mac.tag = crypto.hmac_sha256(key, &data).to_vec();
        let raw = mac.to_vec().map_err(map_coset)?;
        Self::from_slice(&raw)
    }
}
