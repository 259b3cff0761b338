//! COSE_Sign1 with ECDSA (ES256/ES384/ES512) and x5chain.

use super::{alg_of, map_coset, untag, CoseError, HEADER_X5CHAIN};
use crate::crypto::{CryptoProvider, Curve, EcPrivateKey, EcPublicKey, HashAlg};
use coset::{CborSerializable, TaggedCborSerializable};

/// The ECDSA algorithms ISO 18013-5 allows for issuer, reader and device signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlg {
    /// ECDSA P-256 with SHA-256 (COSE -7).
    Es256,
    /// ECDSA P-384 with SHA-384 (COSE -35).
    Es384,
    /// ECDSA P-521 with SHA-512 (COSE -36).
    Es512,
}

impl SignatureAlg {
    /// The algorithm for a COSE `alg` value (RFC 9053 §2.1), if 18013-5 allows it.
    pub fn from_cose(alg: i64) -> Option<Self> {
        match alg {
            -7 => Some(SignatureAlg::Es256),
            -35 => Some(SignatureAlg::Es384),
            -36 => Some(SignatureAlg::Es512),
            _ => None,
        }
    }

    /// The COSE `alg` value: -7, -35 or -36.
    pub fn cose_id(self) -> i64 {
        match self {
            SignatureAlg::Es256 => -7,
            SignatureAlg::Es384 => -35,
            SignatureAlg::Es512 => -36,
        }
    }

    /// The curve the algorithm signs on.
    pub fn curve(self) -> Curve {
        match self {
            SignatureAlg::Es256 => Curve::P256,
            SignatureAlg::Es384 => Curve::P384,
            SignatureAlg::Es512 => Curve::P521,
        }
    }

    /// The hash the algorithm signs with.
    pub fn hash(self) -> HashAlg {
        self.curve().default_hash()
    }

    /// The algorithm that goes with a key's curve.
    pub fn for_curve(curve: Curve) -> Self {
        match curve {
            Curve::P256 => SignatureAlg::Es256,
            Curve::P384 => SignatureAlg::Es384,
            Curve::P521 => SignatureAlg::Es512,
        }
    }
}

impl SignatureAlg {
    /// The JOSE/COSE name: "ES256", "ES384" or "ES512".
    pub const fn name(self) -> &'static str {
        match self {
            SignatureAlg::Es256 => "ES256",
            SignatureAlg::Es384 => "ES384",
            SignatureAlg::Es512 => "ES512",
        }
    }
}

impl core::fmt::Display for SignatureAlg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A received (or built) COSE_Sign1, with its encoding kept.
#[derive(Debug, Clone)]
pub struct Sign1 {
    raw: Vec<u8>,
    tagged: bool,
    inner: coset::CoseSign1,
    ignored_unprotected: Vec<i64>,
}

impl Sign1 {
    /// Parse a COSE_Sign1, tagged (18) or untagged.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CoseError> {
        let (_, tagged) = untag(bytes, 0xd2)?;
        let parse = |b: &[u8]| {
            if tagged {
                coset::CoseSign1::from_tagged_slice(b)
            } else {
                coset::CoseSign1::from_slice(b)
            }
        };
        let (inner, ignored_unprotected) = match parse(bytes) {
            Ok(inner) => (inner, Vec::new()),
            Err(e) => match super::drop_empty_unprotected(bytes, tagged) {
                Some((cleaned, dropped)) => (parse(&cleaned).map_err(map_coset)?, dropped),
                None => return Err(map_coset(e)),
            },
        };
        Ok(Sign1 {
            raw: bytes.to_vec(),
            tagged,
            inner,
            ignored_unprotected,
        })
    }

    /// Unprotected header labels that carried `undefined`/`null` and were ignored (they are
    /// outside the signature); empty for a well-formed message.
    pub fn ignored_unprotected_labels(&self) -> &[i64] {
        &self.ignored_unprotected
    }

    /// The bytes as received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Whether the message carried the COSE_Sign1 tag (18); 18013-5 sends it untagged.
    pub fn is_tagged(&self) -> bool {
        self.tagged
    }

    /// The attached payload, if any.
    pub fn payload(&self) -> Option<&[u8]> {
        self.inner.payload.as_deref()
    }

    /// The protected header bytes as received.
    pub fn protected_bytes(&self) -> Option<&[u8]> {
        self.inner.protected.original_data.as_deref()
    }

    /// The signature algorithm, which ISO 18013-5 requires in the protected header.
    pub fn algorithm(&self) -> Result<SignatureAlg, CoseError> {
        let alg = alg_of(&self.inner.protected.header).ok_or(CoseError::MissingAlgorithm)?;
        SignatureAlg::from_cose(alg).ok_or(CoseError::UnsupportedAlgorithm(alg))
    }

    /// The DER certificates of `x5chain` (leaf first), from either header bucket.
    pub fn x5chain(&self) -> Result<Vec<&[u8]>, CoseError> {
        let label = coset::Label::Int(HEADER_X5CHAIN);
        let found = self
            .inner
            .unprotected
            .rest
            .iter()
            .chain(self.inner.protected.header.rest.iter())
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v)
            .ok_or(CoseError::MissingX5Chain)?;
        match found {
            ciborium::Value::Bytes(b) if !b.is_empty() => Ok(vec![b.as_slice()]),
            ciborium::Value::Array(a) if !a.is_empty() => a
                .iter()
                .map(|v| match v {
                    ciborium::Value::Bytes(b) if !b.is_empty() => Ok(b.as_slice()),
                    _ => Err(CoseError::MalformedX5Chain),
                })
                .collect(),
            _ => Err(CoseError::MalformedX5Chain),
        }
    }

    /// The Sig_structure bytes that were signed. `detached_payload` is for messages whose
    /// payload is `null` on the wire (readerAuth, DeviceSignature); supplying one for a
    /// message that carries its own payload is an error, not a silent substitution.
    pub fn to_be_signed(&self, detached_payload: Option<&[u8]>) -> Result<Vec<u8>, CoseError> {
        let payload = match (&self.inner.payload, detached_payload) {
            (None, Some(p)) => p,
            (Some(p), None) => p.as_slice(),
            (Some(_), Some(_)) => return Err(CoseError::UnexpectedPayload),
            (None, None) => return Err(CoseError::MissingPayload),
        };
        Ok(coset::sig_structure_data(
            coset::SignatureContext::CoseSign1,
            self.inner.protected.clone(),
            None,
            b"",
            payload,
        ))
    }

    /// Verify the signature with `key`; `detached_payload` replaces a `null` payload.
    pub fn verify(
        &self,
        crypto: &dyn CryptoProvider,
        key: &EcPublicKey,
        detached_payload: Option<&[u8]>,
    ) -> Result<(), CoseError> {
        let alg = self.algorithm()?;
        if alg.curve() != key.curve() {
            return Err(CoseError::AlgorithmKeyMismatch {
                alg,
                curve: key.curve(),
            });
        }
        let tbs = self.to_be_signed(detached_payload)?;
        crypto
            .verify_ecdsa(key, alg.hash(), &tbs, &self.inner.signature)
            .map_err(|e| match e {
                crate::crypto::CryptoError::BadSignature => CoseError::BadSignature,
                crate::crypto::CryptoError::MalformedSignature { .. } => CoseError::BadSignature,
                other => CoseError::Crypto(other),
            })
    }

    /// Build and sign a COSE_Sign1 (untagged, as in ISO 18013-5).
    ///
    /// `payload` is embedded unless `detached`, in which case the payload is `null` on the wire.
    pub fn sign(
        crypto: &dyn CryptoProvider,
        key: &EcPrivateKey,
        payload: &[u8],
        detached: bool,
        x5chain: &[Vec<u8>],
    ) -> Result<Self, CoseError> {
        let alg = SignatureAlg::for_curve(key.curve());
        let protected = coset::HeaderBuilder::new()
            .algorithm(match alg {
                SignatureAlg::Es256 => coset::iana::Algorithm::ES256,
                SignatureAlg::Es384 => coset::iana::Algorithm::ES384,
                SignatureAlg::Es512 => coset::iana::Algorithm::ES512,
            })
            .build();
        let mut unprotected = coset::HeaderBuilder::new();
        match x5chain {
            [] => {}
            [one] => {
                unprotected =
                    unprotected.value(HEADER_X5CHAIN, ciborium::Value::Bytes(one.clone()));
            }
            many => {
                unprotected = unprotected.value(
                    HEADER_X5CHAIN,
                    ciborium::Value::Array(
                        many.iter()
                            .map(|c| ciborium::Value::Bytes(c.clone()))
                            .collect(),
                    ),
                );
            }
        }
        let builder = coset::CoseSign1Builder::new()
            .protected(protected)
            .unprotected(unprotected.build());
        let signed = if detached {
            builder.try_create_detached_signature(payload, b"", |tbs| {
                crypto.sign_ecdsa(key, alg.hash(), tbs)
            })?
        } else {
            builder
                .payload(payload.to_vec())
                .try_create_signature(b"", |tbs| crypto.sign_ecdsa(key, alg.hash(), tbs))?
        }
        .build();
        let raw = signed.to_vec().map_err(map_coset)?;
        // Re-parse so that the protected header's original bytes are recorded.
        Self::from_slice(&raw)
    }

    /// [`Self::sign`] with the payload embedded, returning only the encoded COSE_Sign1
    /// (RFC 9052 §4.2, untagged as in ISO 18013-5 clause 9.1.2.4): written straight to bytes,
    /// without the coset structure and the re-parse that [`Self::sign`] builds for callers that
    /// go on reading the result. An issuer that only stores `issuerAuth` needs no more. The
    /// bytes are those [`Self::sign`] writes: protected `{1: alg}`, unprotected `{33: x5chain}`
    /// (one certificate as a bstr, several as an array, none as an empty map).
    pub fn sign_to_bytes(
        crypto: &dyn CryptoProvider,
        key: &EcPrivateKey,
        payload: &[u8],
        x5chain: &[Vec<u8>],
    ) -> Result<Vec<u8>, CoseError> {
        use crate::cbor::Encoder;
        let alg = SignatureAlg::for_curve(key.curve());
        let mut protected = Encoder::with_capacity(4);
        protected.map(1).uint(1).int(alg.cose_id());
        let protected = protected.into_bytes();
        // Sig_structure (RFC 9052 §4.4): ["Signature1", protected, external_aad, payload].
        let mut tbs = Encoder::with_capacity(payload.len() + 32);
        tbs.array(4)
            .text("Signature1")
            .bytes(&protected)
            .bytes(b"")
            .bytes(payload);
        let signature = crypto.sign_ecdsa(key, alg.hash(), &tbs.into_bytes())?;
        let chain_len: usize = x5chain.iter().map(|c| c.len() + 8).sum();
        let mut e = Encoder::with_capacity(payload.len() + chain_len + signature.len() + 32);
        e.array(4).bytes(&protected);
        match x5chain {
            [] => {
                e.map(0);
            }
            [one] => {
                e.map(1).int(HEADER_X5CHAIN).bytes(one);
            }
            many => {
                e.map(1).int(HEADER_X5CHAIN).array(many.len());
                for c in many {
                    e.bytes(c);
                }
            }
        }
        e.bytes(payload).bytes(&signature);
        Ok(e.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::RustCrypto;

    /// RustCrypto signs deterministically (RFC 6979), so the direct encoding can be compared
    /// byte for byte with the coset-built one, for every shape of x5chain.
    #[test]
    fn sign_to_bytes_writes_what_sign_writes() {
        let c = &RustCrypto;
        for curve in [Curve::P256, Curve::P384] {
            let key = c.generate_key(curve).unwrap();
            let payload = b"\xd8\x18\x43\xa1\x01\x02".as_slice();
            let certs = [vec![0x30, 0x03, 0x02, 0x01, 0x01], vec![0x30, 0x00]];
            for n in 0..=2 {
                let chain = certs.get(..n).unwrap();
                let coset = Sign1::sign(c, &key, payload, false, chain).unwrap();
                let direct = Sign1::sign_to_bytes(c, &key, payload, chain).unwrap();
                assert_eq!(
                    coset.raw(),
                    direct.as_slice(),
                    "{curve:?}, {n} certificates"
                );
                let parsed = Sign1::from_slice(&direct).unwrap();
                assert_eq!(parsed.payload(), Some(payload));
                parsed
                    .verify(c, &c.public_key(&key).unwrap(), None)
                    .unwrap();
            }
        }
    }
}
