//! RSA public keys and the RSA signer seam, for JPKI (the My Number card's certificates and
//! signatures are RSA-2048 with RSASSA-PKCS1-v1_5 and SHA-256, RFC 8017 §8.2).
//!
//! Kakunin never holds an RSA private key outside the simulator: the card, a phone's secure
//! element or an HSM signs through [`RsaSigner`], and verification goes through
//! [`super::CryptoProvider::verify_rsa_pkcs1v15`]. Keys shorter than 2048 bits or longer than
//! 8192 bits are refused when parsed, so a hostile certificate cannot make a verifier work on a
//! toy key or a huge one.

use der::asn1::{BitStringRef, UintRef};
use der::{Decode, Sequence};

use super::{CryptoError, HashAlg};

/// rsaEncryption (RFC 8017 Appendix C), the SubjectPublicKeyInfo algorithm of an RSA key.
pub const RSA_ENCRYPTION_OID: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Smallest modulus accepted, in bits (JPKI uses 2048).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest modulus accepted, in bits (the limit `ring` verifies).
pub const MAX_RSA_BITS: usize = 8192;

/// An RSA public key: big-endian modulus and public exponent, without leading zeros.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017 A.1.1).
#[derive(Sequence)]
struct Pkcs1PublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// The parts of a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) an RSA key needs.
#[derive(Sequence)]
struct Spki<'a> {
    algorithm: spki::AlgorithmIdentifierRef<'a>,
    subject_public_key: BitStringRef<'a>,
}

impl RsaPublicKey {
    /// A key from its modulus and exponent (big-endian, leading zeros allowed and dropped).
    ///
    /// Refused with [`CryptoError::InvalidRsaKey`]: a modulus outside 2048–8192 bits, an even
    /// modulus, or an exponent that is even, below 3 or longer than 32 bits.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, CryptoError> {
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        let bits = bit_len(n);
        let odd = |v: &[u8]| v.last().is_some_and(|b| b & 1 == 1);
        let e_small = e.len() == 1 && e.first().is_some_and(|b| *b < 3);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits)
            || !odd(n)
            || !odd(e)
            || e_small
            || e.len() > 4
        {
            return Err(CryptoError::InvalidRsaKey { bits });
        }
        Ok(RsaPublicKey {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// A key from a DER `RSAPublicKey` (PKCS#1, RFC 8017 A.1.1).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        let key = Pkcs1PublicKey::from_der(der).map_err(|_| CryptoError::MalformedRsaKey)?;
        Self::from_components(key.modulus.as_bytes(), key.public_exponent.as_bytes())
    }

    /// A key from a DER SubjectPublicKeyInfo whose algorithm is rsaEncryption, as found in an
    /// X.509 certificate.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        let spki = Spki::from_der(der).map_err(|_| CryptoError::MalformedRsaKey)?;
        if spki.algorithm.oid != RSA_ENCRYPTION_OID {
            return Err(CryptoError::MalformedRsaKey);
        }
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or(CryptoError::MalformedRsaKey)?;
        Self::from_pkcs1_der(bits)
    }

    /// The modulus, big-endian, without leading zeros.
    pub fn modulus(&self) -> &[u8] {
        &self.n
    }

    /// The public exponent, big-endian, without leading zeros.
    pub fn exponent(&self) -> &[u8] {
        &self.e
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        bit_len(&self.n)
    }

    /// The length of a signature under this key, in bytes.
    pub fn signature_len(&self) -> usize {
        self.bits().div_ceil(8)
    }
}

impl core::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RsaPublicKey({} bits)", self.bits())
    }
}

fn strip_zeros(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|b| *b != 0).unwrap_or(v.len());
    v.get(start..).unwrap_or_default()
}

fn bit_len(v: &[u8]) -> usize {
    match v.first() {
        None => 0,
        Some(first) => (v.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// Something that signs with one RSA private key it keeps to itself, with RSASSA-PKCS1-v1_5
/// (RFC 8017 §8.2): a My Number card (which pads the DigestInfo it is sent), a phone's secure
/// element, an HSM, or the simulator's in-memory key.
///
/// Signing may need a PIN already presented and may talk to hardware, so it takes `&mut self`
/// and reports failures as the implementation's own error type.
pub trait RsaSigner {
    /// Why a signature could not be made (a card error, a locked PIN, a lost reader...).
    type Error;

    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> &RsaPublicKey;

    /// The digest the signature is computed over (JPKI: SHA-256).
    fn hash(&self) -> HashAlg {
        HashAlg::Sha256
    }

    /// Sign `msg`: hash it with [`RsaSigner::hash`], wrap the digest in a DigestInfo and
    /// apply PKCS#1 v1.5 type-1 padding. Returns the signature, [`RsaPublicKey::signature_len`]
    /// bytes long.
    fn sign_pkcs1v15(&mut self, msg: &[u8]) -> Result<Vec<u8>, Self::Error>;
}

/// The DER `DigestInfo` prefix for SHA-256 (RFC 8017 §9.2 note 1); the 32-byte digest follows.
pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The DER `DigestInfo` of a SHA-256 digest: what a JPKI card is sent to sign (the card pads
/// it, and signs whatever it is given).
pub fn sha256_digest_info(digest: &[u8; 32]) -> [u8; 51] {
    let mut out = [0u8; 51];
    let (prefix, tail) = out.split_at_mut(SHA256_DIGEST_INFO_PREFIX.len());
    prefix.copy_from_slice(&SHA256_DIGEST_INFO_PREFIX);
    tail.copy_from_slice(digest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_short_even_and_tiny_exponent_keys() {
        let mut n = vec![0xffu8; 256];
        assert!(RsaPublicKey::from_components(&n, &[1, 0, 1]).is_ok());
        assert_eq!(
            RsaPublicKey::from_components(&n[..128], &[1, 0, 1]),
            Err(CryptoError::InvalidRsaKey { bits: 1024 })
        );
        assert!(RsaPublicKey::from_components(&n, &[1]).is_err());
        assert!(RsaPublicKey::from_components(&n, &[2]).is_err());
        assert!(RsaPublicKey::from_components(&n, &[1, 0, 0, 0, 1]).is_err());
        *n.last_mut().unwrap() = 0xfe;
        assert!(RsaPublicKey::from_components(&n, &[1, 0, 1]).is_err());
    }

    #[test]
    fn leading_zeros_do_not_count() {
        let mut n = vec![0u8; 3];
        n.extend(vec![0x80u8; 255]);
        n.push(0x01);
        let key = RsaPublicKey::from_components(&n, &[0, 1, 0, 1]).unwrap();
        assert_eq!(key.bits(), 2048);
        assert_eq!(key.signature_len(), 256);
        assert_eq!(key.exponent(), &[1, 0, 1]);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        assert_eq!(
            RsaPublicKey::from_spki_der(&[0x30, 0x03, 0x02, 0x01]),
            Err(CryptoError::MalformedRsaKey)
        );
        assert_eq!(
            RsaPublicKey::from_pkcs1_der(&[]),
            Err(CryptoError::MalformedRsaKey)
        );
    }

    #[test]
    fn digest_info_has_the_rfc_8017_prefix() {
        let d = sha256_digest_info(&[7u8; 32]);
        assert_eq!(&d[..19], &SHA256_DIGEST_INFO_PREFIX);
        assert_eq!(&d[19..], &[7u8; 32]);
    }
}
