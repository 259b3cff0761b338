//! Elliptic-curve key material independent of any crypto backend.

use zeroize::{Zeroize, ZeroizeOnDrop};

/// The NIST curves used by ISO 18013-5 (clause 9.1.5.2, Table 22) and JOSE
/// (ES256/ES384/ES512, RFC 7518 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256 (secp256r1), COSE crv 1.
    P256,
    /// NIST P-384 (secp384r1), COSE crv 2.
    P384,
    /// NIST P-521 (secp521r1), COSE crv 3.
    P521,
}

impl core::fmt::Display for Curve {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl Curve {
    /// Size in bytes of a field element (and of each half of a raw signature).
    pub const fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The COSE curve identifier (RFC 9053 table 18).
    pub const fn cose_crv(self) -> i64 {
        match self {
            Curve::P256 => 1,
            Curve::P384 => 2,
            Curve::P521 => 3,
        }
    }

    /// The curve for a COSE curve identifier.
    pub fn from_cose_crv(crv: i64) -> Option<Curve> {
        match crv {
            1 => Some(Curve::P256),
            2 => Some(Curve::P384),
            3 => Some(Curve::P521),
            _ => None,
        }
    }

    /// The hash ECDSA conventionally pairs with this curve (ES256/ES384/ES512).
    pub const fn default_hash(self) -> HashAlg {
        match self {
            Curve::P256 => HashAlg::Sha256,
            Curve::P384 => HashAlg::Sha384,
            Curve::P521 => HashAlg::Sha512,
        }
    }

    /// The JOSE/COSE curve name.
    pub const fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }
}

/// SHA-2 digests, as named by ISO 18013-5 `digestAlgorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA-384 (FIPS 180-4).
    Sha384,
    /// SHA-512 (FIPS 180-4).
    Sha512,
}

impl core::fmt::Display for HashAlg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.mso_name())
    }
}

impl HashAlg {
    /// The name used in the MSO `digestAlgorithm` field.
    pub const fn mso_name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }

    /// Parse an MSO `digestAlgorithm` name.
    pub fn from_mso_name(name: &str) -> Option<HashAlg> {
        match name {
            "SHA-256" => Some(HashAlg::Sha256),
            "SHA-384" => Some(HashAlg::Sha384),
            "SHA-512" => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    /// Digest length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }
}

/// An EC public key as an uncompressed SEC1 point (`04 || x || y`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EcPublicKey {
    curve: Curve,
    sec1: Vec<u8>,
}

impl core::fmt::Debug for EcPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "EcPublicKey({}, ", self.curve)?;
        for b in &self.sec1 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

impl EcPublicKey {
    /// Build from affine coordinates, each exactly the curve's field length.
    ///
    /// This checks lengths only; the point is validated when a backend uses it.
    pub fn from_coordinates(curve: Curve, x: &[u8], y: &[u8]) -> Option<Self> {
        let n = curve.field_len();
        if x.len() != n || y.len() != n {
            return None;
        }
        let mut sec1 = Vec::with_capacity(1 + 2 * n);
        sec1.push(0x04);
        sec1.extend_from_slice(x);
        sec1.extend_from_slice(y);
        Some(EcPublicKey { curve, sec1 })
    }

    /// Build from an uncompressed SEC1 encoding.
    pub fn from_sec1_uncompressed(curve: Curve, sec1: &[u8]) -> Option<Self> {
        let n = curve.field_len();
        if sec1.len() != 1 + 2 * n || sec1.first() != Some(&0x04) {
            return None;
        }
        Some(EcPublicKey {
            curve,
            sec1: sec1.to_vec(),
        })
    }

    /// The key's curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The uncompressed SEC1 bytes.
    pub fn sec1(&self) -> &[u8] {
        &self.sec1
    }

    /// The affine x coordinate, big-endian, the curve's field length.
    pub fn x(&self) -> &[u8] {
        // Both constructors make `sec1` exactly `04 || x || y`, so the ranges are in bounds.
        self.sec1
            .get(1..1 + self.curve.field_len())
            .unwrap_or_default()
    }

    /// The affine y coordinate, big-endian, the curve's field length.
    pub fn y(&self) -> &[u8] {
        self.sec1
            .get(1 + self.curve.field_len()..)
            .unwrap_or_default()
    }
}

/// An EC private scalar. Zeroized on drop; `Debug` never shows it; not `Clone`, so the
/// secret exists once. The raw scalar is reachable only through
/// [`hazmat`](super::hazmat), for the few places that must handle it (writing a key file,
/// loading a test vector).
///
/// The matching public key is remembered after its first computation: `ring` signs only with
/// the public key at hand (decision 0019), and deriving it costs a scalar multiplication, so
/// a long-lived issuer key pays that once, not once per signature.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct EcPrivateKey {
    #[zeroize(skip)]
    curve: Curve,
    scalar: Vec<u8>,
    /// The public key, once a backend has derived it (not secret: no zeroization needed).
    #[zeroize(skip)]
    public: std::sync::OnceLock<EcPublicKey>,
}

impl core::fmt::Debug for EcPrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "EcPrivateKey({}, <redacted>)", self.curve)
    }
}

impl EcPrivateKey {
    /// Build from a big-endian scalar of exactly the curve's field length (the scalar is
    /// validated when a backend uses it).
    pub(crate) fn from_scalar(curve: Curve, scalar: &[u8]) -> Option<Self> {
        if scalar.len() != curve.field_len() {
            return None;
        }
        Some(EcPrivateKey {
            curve,
            scalar: scalar.to_vec(),
            public: std::sync::OnceLock::new(),
        })
    }

    /// The public key, derived by `derive` on first use and remembered (the `ring` backend
    /// wants it beside the scalar; without that backend nothing asks).
    #[cfg(feature = "ring")]
    pub(crate) fn public_with<E>(
        &self,
        derive: impl FnOnce(&Self) -> Result<EcPublicKey, E>,
    ) -> Result<&EcPublicKey, E> {
        if let Some(p) = self.public.get() {
            return Ok(p);
        }
        let p = derive(self)?;
        Ok(self.public.get_or_init(|| p))
    }

    /// The key's curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The big-endian scalar, for the crypto backends of this crate.
    pub(crate) fn scalar_bytes(&self) -> &[u8] {
        &self.scalar
    }
}
