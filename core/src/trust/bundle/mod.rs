//! The signed trust bundle: one versioned file carrying everything a till needs to verify
//! offline (IACAs, VICALs, reader roots, CRLs and cached Status List Tokens), with its
//! creation time. Kakunin's own format (no standard exists); docs/decisions/0013-trust-bundle.md
//! records the design.
//!
//! Wire form: a COSE_Sign1_Tagged (RFC 9052 §4.2, tag 18). The protected header holds `alg`
//! (ES256/ES384/ES512) and `typ` (label 16, RFC 9596) = [`BUNDLE_TYP`], so no other COSE
//! message Kakunin's keys sign (a CWT status list, an MSO) can pass for a bundle. The
//! unprotected header holds `x5chain` (label 33, RFC 9360), leaf first. The payload is a CBOR
//! map with text keys:
//!
//! ```text
//! { "format": 1, "version": uint, "created": int (Unix seconds),
//!   "iacas": [ { "cert": bstr, ? "docTypes": [ tstr ] } ],
//!   "vicals": [ bstr ], "readerRoots": [ bstr ], "crls": [ bstr ],
//!   "statusLists": [ { "uri": tstr, "token": bstr, "fetchedAt": int } ] }
//! ```
//!
//! Trust: the `x5chain` must validate (RFC 5280 §6.1) to an anchor the *till* holds (its
//! configured bundle-signer anchor), never to a root inside the bundle. The leaf must carry
//! KeyUsage digitalSignature, must not be a CA, and must carry no EKU extension: there is
//! no registered EKU for this purpose, so the dedicated anchor is what pins the signer's
//! role, and a certificate issued for another purpose (a Document Signer, a reader, a TLS
//! server: all have EKUs) is refused even if it happens to chain to that anchor.
//!
//! Parsing is [`UnverifiedBundle::parse`]; only [`UnverifiedBundle::verify`] yields a
//! [`VerifiedBundle`], the only type whose contents a till can use. VICALs and CRLs are kept
//! as opaque bytes here; their own verification lives elsewhere.

use super::{validity, TrustAnchors, TrustError, MAX_CERT_LEN, MAX_CHAIN_LEN};
use crate::cbor::{decode_with, CborError, Encoder, Item, Limits};
use crate::cose::SignatureAlg;
use crate::crypto::{CryptoError, CryptoProvider, Signer};
use time::{Duration, OffsetDateTime};

/// The COSE `typ` (label 16) of a trust bundle.
pub const BUNDLE_TYP: &str = "application/kakunin-trust-bundle+cbor";
/// The payload format version this code reads and writes.
pub const BUNDLE_FORMAT: u64 = 1;
/// Largest bundle file accepted, in bytes.
pub const MAX_BUNDLE_LEN: usize = 32 * 1024 * 1024;
/// Most IACAs in one bundle.
pub const MAX_IACAS: usize = 1024;
/// Most docTypes one IACA may be scoped to.
pub const MAX_DOC_TYPES: usize = 64;
/// Longest docType, in bytes.
pub const MAX_DOC_TYPE_LEN: usize = 256;
/// Most VICALs in one bundle.
pub const MAX_VICALS: usize = 64;
/// Largest VICAL, in bytes.
pub const MAX_VICAL_LEN: usize = 4 * 1024 * 1024;
/// Most reader roots in one bundle.
pub const MAX_READER_ROOTS: usize = 256;
/// Most CRLs in one bundle.
pub const MAX_CRLS: usize = 1024;
/// Largest CRL, in bytes.
pub const MAX_CRL_LEN: usize = 4 * 1024 * 1024;
/// Most cached status lists in one bundle.
pub const MAX_STATUS_LISTS: usize = 1024;
/// Largest cached Status List Token, in bytes.
pub const MAX_STATUS_TOKEN_LEN: usize = 8 * 1024 * 1024;
/// Longest status list URI, in bytes.
pub const MAX_URI_LEN: usize = 2048;
/// How far in the future a bundle's creation time may lie (clock skew between the machine
/// that built it and the till).
pub const MAX_CREATED_SKEW: Duration = Duration::minutes(5);

const HEADER_ALG: i64 = 1;
const HEADER_TYP: i64 = 16;
const HEADER_X5CHAIN: i64 = crate::cose::HEADER_X5CHAIN;
const TAG_SIGN1: u64 = 18;

/// Why a trust bundle was refused, or could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The file is larger than [`MAX_BUNDLE_LEN`]; it was not parsed.
    #[error("trust bundle of {len} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not CBOR within the decoder's limits.
    #[error("trust bundle: {0}")]
    Cbor(CborError),
    /// The structure is not what the format requires (`part` names where).
    #[error("trust bundle {part} is malformed: {reason}")]
    Malformed {
        /// Which part: "COSE_Sign1", "protected header", "iacas[3].cert", ...
        part: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The protected `typ` is absent or is not [`BUNDLE_TYP`]: another kind of COSE message.
    #[error("not a trust bundle (COSE typ is not {BUNDLE_TYP})")]
    WrongType,
    /// A payload format version this code does not read.
    #[error("trust bundle format {0} is not supported (this reader knows {BUNDLE_FORMAT})")]
    UnsupportedFormat(u64),
    /// An `alg` other than ES256/ES384/ES512, or none.
    #[error("trust bundle signature algorithm {0:?} is not supported")]
    UnsupportedAlgorithm(Option<i64>),
    /// More entries of one kind than its bound.
    #[error("trust bundle has {count} {field}, over the limit of {max}")]
    TooMany {
        /// The list: "iacas", "vicals", ...
        field: &'static str,
        /// How many there are.
        count: usize,
        /// The bound.
        max: usize,
    },
    /// One entry larger than its bound.
    #[error("trust bundle {field}[{index}] is {len} bytes, over the {max}-byte limit")]
    EntryTooLarge {
        /// The list.
        field: &'static str,
        /// Position in it.
        index: usize,
        /// Its size.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A certificate in the bundle (an IACA or reader root) does not parse.
    #[error("trust bundle {field}[{index}]: {source}")]
    BadCertificate {
        /// The list.
        field: &'static str,
        /// Position in it.
        index: usize,
        /// Why.
        source: TrustError,
    },
    /// The till has no bundle-signer anchor configured.
    #[error("no trust-bundle signer anchor is configured")]
    NoAnchor,
    /// The `x5chain` does not validate to the configured bundle-signer anchor.
    #[error("trust bundle signer is not trusted: {0}")]
    UntrustedSigner(TrustError),
    /// The signer certificate does not fit the bundle-signer profile.
    #[error("trust bundle signer certificate {0}")]
    SignerProfile(SignerDefect),
    /// The signature does not verify under the signer certificate's key.
    #[error("trust bundle signature does not verify")]
    BadSignature,
    /// The bundle claims to be created after the verification time (beyond
    /// [`MAX_CREATED_SKEW`]).
    #[error("trust bundle is created at {created}, after the verification time {at}")]
    CreatedInFuture {
        /// Its creation time.
        created: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// Offered as a replacement, but its version is not greater than the loaded one's.
    #[error("trust bundle version {offered} is not newer than the loaded version {current}")]
    NotNewer {
        /// The loaded bundle's version.
        current: u64,
        /// The offered bundle's version.
        offered: u64,
    },
    /// Building: the arguments cannot make a valid bundle (`what` says why).
    #[error("cannot build a trust bundle: {0}")]
    BuildMisuse(&'static str),
    /// The crypto provider or signer failed.
    #[error("crypto: {0}")]
    Crypto(CryptoError),
}

impl BundleError {
    /// The cause group: bounds and structure are malformed input, an unknown signer is
    /// untrusted, a bad signature, a future creation time and an older version are failed
    /// checks, and a missing anchor or bad build arguments are misuse.
    pub fn cause(&self) -> crate::Cause {
        use crate::Cause;
        match self {
            BundleError::TooLarge { .. }
            | BundleError::Cbor(_)
            | BundleError::Malformed { .. }
            | BundleError::WrongType
            | BundleError::UnsupportedFormat(_)
            | BundleError::UnsupportedAlgorithm(_)
            | BundleError::TooMany { .. }
            | BundleError::EntryTooLarge { .. }
            | BundleError::BadCertificate { .. } => Cause::Malformed,
            BundleError::UntrustedSigner(e) => match e.cause() {
                Cause::Malformed => Cause::Malformed,
                Cause::Misuse => Cause::Misuse,
                _ => Cause::Untrusted,
            },
            BundleError::SignerProfile(_) => Cause::Untrusted,
            BundleError::BadSignature
            | BundleError::CreatedInFuture { .. }
            | BundleError::NotNewer { .. } => Cause::FailedCheck,
            BundleError::NoAnchor | BundleError::BuildMisuse(_) => Cause::Misuse,
            BundleError::Crypto(e) => e.cause(),
        }
    }
}

/// What the bundle signer's certificate lacks (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignerDefect {
    /// KeyUsage absent, undecodable, or without digitalSignature.
    NoDigitalSignature,
    /// BasicConstraints cA is true.
    IsCa,
    /// It carries an EKU extension, so it was issued for another purpose.
    HasExtendedKeyUsage,
}

impl core::fmt::Display for SignerDefect {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SignerDefect::NoDigitalSignature => "lacks the digitalSignature key usage",
            SignerDefect::IsCa => "is a CA certificate",
            SignerDefect::HasExtendedKeyUsage => {
                "carries an extended key usage (it was issued for another purpose)"
            }
        })
    }
}

/// An IACA in the bundle, optionally scoped to docTypes (as a VICAL scopes its entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleIaca {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The docTypes it may sign for; empty means any.
    pub doc_types: Vec<String>,
}

impl BundleIaca {
    /// Whether this IACA may be used for `doc_type`.
    pub fn covers(&self, doc_type: &str) -> bool {
        self.doc_types.is_empty() || self.doc_types.iter().any(|d| d == doc_type)
    }
}

/// A cached Status List Token (the same data the status-fetch cache holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleStatusList {
    /// The URI credentials reference (`status.status_list.uri`).
    pub uri: String,
    /// The token as fetched (JWT text or CWT bytes).
    pub token: Vec<u8>,
    /// When it was fetched: the list's `ttl` runs from here.
    pub fetched_at: OffsetDateTime,
}

/// Everything a bundle carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleContents {
    /// Monotonically increasing: a till replaces its bundle only by a greater version.
    pub version: u64,
    /// When the bundle was made: the age of the trust data.
    pub created: OffsetDateTime,
    /// IACA roots for mdoc and SD-JWT VC issuers.
    pub iacas: Vec<BundleIaca>,
    /// Signed VICALs (ISO 18013-5 Annex C), as received; verified elsewhere.
    pub vicals: Vec<Vec<u8>>,
    /// Reader-authentication roots, DER.
    pub reader_roots: Vec<Vec<u8>>,
    /// CRLs (RFC 5280), DER, as received; verified elsewhere.
    pub crls: Vec<Vec<u8>>,
    /// Cached Status List Tokens.
    pub status_lists: Vec<BundleStatusList>,
}

impl BundleContents {
    /// An empty bundle of `version`, created at `created`.
    pub fn new(version: u64, created: OffsetDateTime) -> Self {
        BundleContents {
            version,
            created,
            iacas: Vec::new(),
            vicals: Vec::new(),
            reader_roots: Vec::new(),
            crls: Vec::new(),
            status_lists: Vec::new(),
        }
    }

    /// Check every bound, and that the certificates parse.
    fn check(&self) -> Result<(), BundleError> {
        count("iacas", self.iacas.len(), MAX_IACAS)?;
        count("vicals", self.vicals.len(), MAX_VICALS)?;
        count("readerRoots", self.reader_roots.len(), MAX_READER_ROOTS)?;
        count("crls", self.crls.len(), MAX_CRLS)?;
        count("statusLists", self.status_lists.len(), MAX_STATUS_LISTS)?;
        for (i, iaca) in self.iacas.iter().enumerate() {
            check_cert("iacas", i, &iaca.cert_der)?;
            count("docTypes", iaca.doc_types.len(), MAX_DOC_TYPES)?;
            for (j, d) in iaca.doc_types.iter().enumerate() {
                size("docTypes", j, d.len(), MAX_DOC_TYPE_LEN)?;
            }
        }
        for (i, c) in self.reader_roots.iter().enumerate() {
            check_cert("readerRoots", i, c)?;
        }
        for (i, v) in self.vicals.iter().enumerate() {
            size("vicals", i, v.len(), MAX_VICAL_LEN)?;
        }
        for (i, c) in self.crls.iter().enumerate() {
            size("crls", i, c.len(), MAX_CRL_LEN)?;
        }
        for (i, s) in self.status_lists.iter().enumerate() {
            size("statusLists.uri", i, s.uri.len(), MAX_URI_LEN)?;
            size("statusLists.token", i, s.token.len(), MAX_STATUS_TOKEN_LEN)?;
        }
        Ok(())
    }

    fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        e.map(8);
        e.text("format").uint(BUNDLE_FORMAT);
        e.text("version").uint(self.version);
        e.text("created").int(self.created.unix_timestamp());
        e.text("iacas").array(self.iacas.len());
        for iaca in &self.iacas {
            let n = if iaca.doc_types.is_empty() { 1 } else { 2 };
            e.map(n).text("cert").bytes(&iaca.cert_der);
            if !iaca.doc_types.is_empty() {
                e.text("docTypes").array(iaca.doc_types.len());
                for d in &iaca.doc_types {
                    e.text(d);
                }
            }
        }
        for (key, list) in [
            ("vicals", &self.vicals),
            ("readerRoots", &self.reader_roots),
            ("crls", &self.crls),
        ] {
            e.text(key).array(list.len());
            for b in list {
                e.bytes(b);
            }
        }
        e.text("statusLists").array(self.status_lists.len());
        for s in &self.status_lists {
            e.map(3)
                .text("uri")
                .text(&s.uri)
                .text("token")
                .bytes(&s.token)
                .text("fetchedAt")
                .int(s.fetched_at.unix_timestamp());
        }
        e.into_bytes()
    }
}

fn count(field: &'static str, count: usize, max: usize) -> Result<(), BundleError> {
    if count > max {
        return Err(BundleError::TooMany { field, count, max });
    }
    Ok(())
}

fn size(field: &'static str, index: usize, len: usize, max: usize) -> Result<(), BundleError> {
    if len > max {
        return Err(BundleError::EntryTooLarge {
            field,
            index,
            len,
            max,
        });
    }
    Ok(())
}

fn check_cert(field: &'static str, index: usize, der: &[u8]) -> Result<(), BundleError> {
    size(field, index, der.len(), MAX_CERT_LEN)?;
    super::parse_cert(der, index)
        .map(|_| ())
        .map_err(|source| BundleError::BadCertificate {
            field,
            index,
            source,
        })
}

fn malformed(part: impl Into<String>, reason: &'static str) -> BundleError {
    BundleError::Malformed {
        part: part.into(),
        reason,
    }
}

/// The Sig_structure of RFC 9052 §4.4 for a COSE_Sign1 with empty external AAD.
fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut e = Encoder::with_capacity(payload.len() + protected.len() + 32);
    e.array(4)
        .text("Signature1")
        .bytes(protected)
        .bytes(b"")
        .bytes(payload);
    e.into_bytes()
}

/// Build and sign a bundle with `signer`, whose certificate chain (leaf first, without the
/// anchor) is `x5chain`. Every bound a reader applies is applied here too, so what is built
/// can be read.
pub fn build(
    contents: &BundleContents,
    signer: &dyn Signer,
    x5chain: &[Vec<u8>],
) -> Result<Vec<u8>, BundleError> {
    contents.check()?;
    let curve = signer.curve();
    if signer.hash() != curve.default_hash() {
        return Err(BundleError::BuildMisuse(
            "ES256/ES384/ES512 need the curve's own hash",
        ));
    }
    let Some(leaf) = x5chain.first() else {
        return Err(BundleError::BuildMisuse(
            "the signer's certificate is missing",
        ));
    };
    if x5chain.len() > MAX_CHAIN_LEN {
        return Err(BundleError::BuildMisuse("x5chain is too long"));
    }
    let cert = super::parse_cert(leaf, 0).map_err(BundleError::UntrustedSigner)?;
    let key = super::certificate_public_key(&cert, 0).map_err(BundleError::UntrustedSigner)?;
    if &key != signer.public_key() {
        return Err(BundleError::BuildMisuse(
            "the certificate certifies another key than the signer's",
        ));
    }
    let alg = SignatureAlg::for_curve(curve);
    let mut p = Encoder::new();
    p.map(2)
        .int(HEADER_ALG)
        .int(alg.cose_id())
        .int(HEADER_TYP)
        .text(BUNDLE_TYP);
    let protected = p.into_bytes();
    let payload = contents.encode();
    let signature = signer
        .sign(&sig_structure(&protected, &payload))
        .map_err(BundleError::Crypto)?;
    if signature.len() != 2 * curve.field_len() {
        return Err(BundleError::BuildMisuse(
            "the signature is not raw r || s of the curve's size",
        ));
    }
    let mut e = Encoder::with_capacity(payload.len() + 4096);
    e.tag(TAG_SIGN1).array(4).bytes(&protected).map(1);
    e.int(HEADER_X5CHAIN);
    if let [one] = x5chain {
        e.bytes(one);
    } else {
        e.array(x5chain.len());
        for c in x5chain {
            e.bytes(c);
        }
    }
    e.bytes(&payload).bytes(&signature);
    let out = e.into_bytes();
    if out.len() > MAX_BUNDLE_LEN {
        return Err(BundleError::TooLarge {
            len: out.len(),
            max: MAX_BUNDLE_LEN,
        });
    }
    Ok(out)
}

/// A parsed bundle whose signature and signer have not been checked. Its contents are
/// reachable only through [`UnverifiedBundle::unverified_contents`], for display.
#[derive(Debug, Clone)]
pub struct UnverifiedBundle {
    alg: SignatureAlg,
    protected: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
    x5chain: Vec<Vec<u8>>,
    contents: BundleContents,
}

/// Decode limits: the file bound, and enough items for every bounded list.
fn limits() -> Limits {
    Limits {
        max_input: MAX_BUNDLE_LEN,
        max_depth: 8,
        max_items: 64 * 1024,
        allow_indefinite: false,
    }
}

impl UnverifiedBundle {
    /// Parse a bundle file: the COSE_Sign1 structure, the headers and the payload, with
    /// every bound applied. Nothing is trusted yet.
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleError> {
        if bytes.len() > MAX_BUNDLE_LEN {
            return Err(BundleError::TooLarge {
                len: bytes.len(),
                max: MAX_BUNDLE_LEN,
            });
        }
        let top = decode_with(bytes, &limits()).map_err(BundleError::Cbor)?;
        let Some((TAG_SIGN1, inner)) = top.as_tag() else {
            return Err(malformed("COSE_Sign1", "not a COSE_Sign1_Tagged (tag 18)"));
        };
        let [protected, unprotected, payload, signature] = inner
            .as_array()
            .ok_or(malformed("COSE_Sign1", "not an array"))?
        else {
            return Err(malformed("COSE_Sign1", "not an array of four items"));
        };
        let protected = protected
            .as_bytes()
            .ok_or(malformed("protected header", "not a byte string"))?;
        let payload = payload
            .as_bytes()
            .ok_or(malformed("payload", "not an attached byte string"))?;
        let signature = signature
            .as_bytes()
            .ok_or(malformed("signature", "not a byte string"))?;
        let (alg, typ) = parse_protected(protected)?;
        if typ.as_deref() != Some(BUNDLE_TYP) {
            return Err(BundleError::WrongType);
        }
        let x5chain = parse_x5chain(unprotected)?;
        let contents = parse_payload(payload)?;
        Ok(UnverifiedBundle {
            alg,
            protected: protected.to_vec(),
            payload: payload.to_vec(),
            signature: signature.to_vec(),
            x5chain,
            contents,
        })
    }

    /// The decoded contents, UNVERIFIED: for showing a file to a person, never for trust.
    pub fn unverified_contents(&self) -> &BundleContents {
        &self.contents
    }

    /// The signer's certificate chain as carried (leaf first), unverified.
    pub fn x5chain(&self) -> &[Vec<u8>] {
        &self.x5chain
    }

    /// The signature algorithm.
    pub fn algorithm(&self) -> SignatureAlg {
        self.alg
    }

    /// Verify the bundle at time `at`: the `x5chain` validates to one of `anchors` (the
    /// till's configured bundle-signer anchors), the leaf fits the bundle-signer profile,
    /// the signature verifies under it, and the creation time is not in the future.
    pub fn verify(
        self,
        crypto: &dyn CryptoProvider,
        anchors: &TrustAnchors,
        at: OffsetDateTime,
    ) -> Result<VerifiedBundle, BundleError> {
        if anchors.is_empty() {
            return Err(BundleError::NoAnchor);
        }
        let chain: Vec<&[u8]> = self.x5chain.iter().map(Vec::as_slice).collect();
        let signer = validate_signer(crypto, &chain, anchors, at)?;
        if signer.curve() != self.alg.curve() {
            return Err(BundleError::BadSignature);
        }
        let tbs = sig_structure(&self.protected, &self.payload);
        crypto
            .verify_ecdsa(&signer, self.alg.hash(), &tbs, &self.signature)
            .map_err(|e| match e {
                CryptoError::BadSignature | CryptoError::MalformedSignature { .. } => {
                    BundleError::BadSignature
                }
                other => BundleError::Crypto(other),
            })?;
        if self.contents.created > at + MAX_CREATED_SKEW {
            return Err(BundleError::CreatedInFuture {
                created: self.contents.created,
                at,
            });
        }
        Ok(VerifiedBundle {
            contents: self.contents,
            signer_chain: self.x5chain,
        })
    }
}

/// Parse and verify in one step (see [`UnverifiedBundle::verify`]).
pub fn parse_and_verify(
    crypto: &dyn CryptoProvider,
    bytes: &[u8],
    anchors: &TrustAnchors,
    at: OffsetDateTime,
) -> Result<VerifiedBundle, BundleError> {
    UnverifiedBundle::parse(bytes)?.verify(crypto, anchors, at)
}

/// A bundle whose signer chains to the configured anchor and whose signature verified.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    contents: BundleContents,
    signer_chain: Vec<Vec<u8>>,
}

impl VerifiedBundle {
    /// Everything the bundle carries.
    pub fn contents(&self) -> &BundleContents {
        &self.contents
    }

    /// The bundle version.
    pub fn version(&self) -> u64 {
        self.contents.version
    }

    /// When it was created.
    pub fn created(&self) -> OffsetDateTime {
        self.contents.created
    }

    /// How old the trust data is at `at` (zero if `at` is before the creation time).
    pub fn age(&self, at: OffsetDateTime) -> Duration {
        (at - self.contents.created).max(Duration::ZERO)
    }

    /// Whether the bundle is older than `max_age` at `at`.
    pub fn is_older_than(&self, max_age: Duration, at: OffsetDateTime) -> bool {
        self.age(at) > max_age
    }

    /// The signer's chain (leaf first) that verified.
    pub fn signer_chain(&self) -> &[Vec<u8>] {
        &self.signer_chain
    }

    /// Accept `self` as a replacement for `current` only if its version is greater
    /// (a till never goes back to older trust data, nor swaps in a different file of the
    /// same version).
    pub fn check_replaces(&self, current: &VerifiedBundle) -> Result<(), BundleError> {
        if self.version() <= current.version() {
            return Err(BundleError::NotNewer {
                current: current.version(),
                offered: self.version(),
            });
        }
        Ok(())
    }

    /// The IACAs usable for `doc_type` (unscoped ones and those listing it), as anchors.
    pub fn iaca_anchors_for(&self, doc_type: &str) -> Result<TrustAnchors, TrustError> {
        TrustAnchors::from_der_certs(
            self.contents
                .iacas
                .iter()
                .filter(|i| i.covers(doc_type))
                .map(|i| i.cert_der.as_slice()),
        )
    }

    /// Every IACA, regardless of scope, as anchors.
    pub fn iaca_anchors(&self) -> Result<TrustAnchors, TrustError> {
        TrustAnchors::from_der_certs(self.contents.iacas.iter().map(|i| i.cert_der.as_slice()))
    }

    /// The reader roots as anchors.
    pub fn reader_anchors(&self) -> Result<TrustAnchors, TrustError> {
        TrustAnchors::from_der_certs(self.contents.reader_roots.iter())
    }

    /// The signed VICALs as carried, for the VICAL verifier.
    pub fn vicals(&self) -> &[Vec<u8>] {
        &self.contents.vicals
    }

    /// The CRLs as carried, for the CRL verifier.
    pub fn crls(&self) -> &[Vec<u8>] {
        &self.contents.crls
    }

    /// The cached status lists.
    pub fn status_lists(&self) -> &[BundleStatusList] {
        &self.contents.status_lists
    }
}

/// The subject of a DER certificate, for showing what a bundle carries.
pub fn certificate_subject(der: &[u8]) -> Result<super::DistinguishedNameSummary, TrustError> {
    let cert = super::parse_cert(der, 0)?;
    Ok(super::DistinguishedNameSummary::of(
        &cert.tbs_certificate.subject,
    ))
}

fn parse_protected(bytes: &[u8]) -> Result<(SignatureAlg, Option<String>), BundleError> {
    let item = decode_with(bytes, &limits()).map_err(BundleError::Cbor)?;
    let map = item
        .as_map()
        .ok_or(malformed("protected header", "not a map"))?;
    let mut alg = None;
    let mut typ = None;
    for (k, v) in map {
        match k.as_int() {
            Some(HEADER_ALG) => {
                alg = Some(v.as_int().ok_or(malformed("alg", "not an integer"))?);
            }
            Some(HEADER_TYP) => {
                typ = Some(
                    v.as_text()
                        .ok_or(malformed("typ", "not a text string"))?
                        .to_string(),
                );
            }
            _ => {}
        }
    }
    let alg = alg
        .and_then(SignatureAlg::from_cose)
        .ok_or(BundleError::UnsupportedAlgorithm(alg))?;
    Ok((alg, typ))
}

fn parse_x5chain(unprotected: &Item<'_>) -> Result<Vec<Vec<u8>>, BundleError> {
    let map = unprotected
        .as_map()
        .ok_or(malformed("unprotected header", "not a map"))?;
    let value = map
        .iter()
        .find(|(k, _)| k.as_int() == Some(HEADER_X5CHAIN))
        .map(|(_, v)| v)
        .ok_or(malformed("x5chain", "missing"))?;
    let certs: Vec<Vec<u8>> = if let Some(one) = value.as_bytes() {
        vec![one.to_vec()]
    } else {
        let arr = value
            .as_array()
            .ok_or(malformed("x5chain", "not a bstr or array"))?;
        count("x5chain", arr.len(), MAX_CHAIN_LEN)?;
        arr.iter()
            .map(|c| {
                c.as_bytes()
                    .map(<[u8]>::to_vec)
                    .ok_or(malformed("x5chain", "an element is not a byte string"))
            })
            .collect::<Result<_, _>>()?
    };
    if certs.is_empty() || certs.iter().any(Vec::is_empty) {
        return Err(malformed("x5chain", "empty"));
    }
    for (i, c) in certs.iter().enumerate() {
        size("x5chain", i, c.len(), MAX_CERT_LEN)?;
    }
    Ok(certs)
}

fn time_of(item: &Item<'_>, part: &str) -> Result<OffsetDateTime, BundleError> {
    let secs = item
        .as_int()
        .ok_or_else(|| malformed(part, "not an integer"))?;
    OffsetDateTime::from_unix_timestamp(secs).map_err(|_| malformed(part, "time out of range"))
}

fn byte_list(
    item: &Item<'_>,
    field: &'static str,
    max_count: usize,
    max_len: usize,
) -> Result<Vec<Vec<u8>>, BundleError> {
    let arr = item
        .as_array()
        .ok_or_else(|| malformed(field, "not an array"))?;
    count(field, arr.len(), max_count)?;
    arr.iter()
        .enumerate()
        .map(|(i, b)| {
            let b = b
                .as_bytes()
                .ok_or_else(|| malformed(format!("{field}[{i}]"), "not a byte string"))?;
            size(field, i, b.len(), max_len)?;
            Ok(b.to_vec())
        })
        .collect()
}

fn parse_iaca(i: usize, item: &Item<'_>) -> Result<BundleIaca, BundleError> {
    let part = format!("iacas[{i}]");
    let map = item
        .as_map()
        .ok_or_else(|| malformed(part.clone(), "not a map"))?;
    let mut cert = None;
    let mut doc_types = Vec::new();
    for (k, v) in map {
        match k.as_text() {
            Some("cert") => {
                cert = Some(
                    v.as_bytes()
                        .ok_or_else(|| malformed(format!("{part}.cert"), "not a byte string"))?
                        .to_vec(),
                );
            }
            Some("docTypes") => {
                let arr = v
                    .as_array()
                    .ok_or_else(|| malformed(format!("{part}.docTypes"), "not an array"))?;
                count("docTypes", arr.len(), MAX_DOC_TYPES)?;
                for d in arr {
                    let d = d.as_text().ok_or_else(|| {
                        malformed(format!("{part}.docTypes"), "an element is not text")
                    })?;
                    doc_types.push(d.to_string());
                }
            }
            _ => return Err(malformed(part, "unknown key")),
        }
    }
    let cert_der = cert.ok_or_else(|| malformed(format!("{part}.cert"), "missing"))?;
    Ok(BundleIaca {
        cert_der,
        doc_types,
    })
}

fn parse_status_list(i: usize, item: &Item<'_>) -> Result<BundleStatusList, BundleError> {
    let part = format!("statusLists[{i}]");
    let map = item
        .as_map()
        .ok_or_else(|| malformed(part.clone(), "not a map"))?;
    let (mut uri, mut token, mut fetched_at) = (None, None, None);
    for (k, v) in map {
        match k.as_text() {
            Some("uri") => {
                uri = Some(
                    v.as_text()
                        .ok_or_else(|| malformed(format!("{part}.uri"), "not text"))?
                        .to_string(),
                );
            }
            Some("token") => {
                token = Some(
                    v.as_bytes()
                        .ok_or_else(|| malformed(format!("{part}.token"), "not a byte string"))?
                        .to_vec(),
                );
            }
            Some("fetchedAt") => fetched_at = Some(time_of(v, "statusLists.fetchedAt")?),
            _ => return Err(malformed(part, "unknown key")),
        }
    }
    Ok(BundleStatusList {
        uri: uri.ok_or_else(|| malformed(format!("{part}.uri"), "missing"))?,
        token: token.ok_or_else(|| malformed(format!("{part}.token"), "missing"))?,
        fetched_at: fetched_at.ok_or_else(|| malformed(format!("{part}.fetchedAt"), "missing"))?,
    })
}

fn parse_payload(bytes: &[u8]) -> Result<BundleContents, BundleError> {
    let item = decode_with(bytes, &limits()).map_err(BundleError::Cbor)?;
    let map = item.as_map().ok_or(malformed("payload", "not a map"))?;
    let get = |key: &str| item.get_text_key(key);
    if map.iter().any(|(k, _)| {
        !matches!(
            k.as_text(),
            Some(
                "format"
                    | "version"
                    | "created"
                    | "iacas"
                    | "vicals"
                    | "readerRoots"
                    | "crls"
                    | "statusLists"
            )
        )
    }) {
        return Err(malformed("payload", "unknown key"));
    }
    let format = get("format")
        .ok_or(malformed("format", "missing"))?
        .as_uint()
        .ok_or(malformed("format", "not an unsigned integer"))?;
    if format != BUNDLE_FORMAT {
        return Err(BundleError::UnsupportedFormat(format));
    }
    let version = get("version")
        .ok_or(malformed("version", "missing"))?
        .as_uint()
        .ok_or(malformed("version", "not an unsigned integer"))?;
    let created = time_of(
        get("created").ok_or(malformed("created", "missing"))?,
        "created",
    )?;
    let mut contents = BundleContents::new(version, created);
    if let Some(iacas) = get("iacas") {
        let arr = iacas.as_array().ok_or(malformed("iacas", "not an array"))?;
        count("iacas", arr.len(), MAX_IACAS)?;
        contents.iacas = arr
            .iter()
            .enumerate()
            .map(|(i, v)| parse_iaca(i, v))
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = get("vicals") {
        contents.vicals = byte_list(v, "vicals", MAX_VICALS, MAX_VICAL_LEN)?;
    }
    if let Some(v) = get("readerRoots") {
        contents.reader_roots = byte_list(v, "readerRoots", MAX_READER_ROOTS, MAX_CERT_LEN)?;
    }
    if let Some(v) = get("crls") {
        contents.crls = byte_list(v, "crls", MAX_CRLS, MAX_CRL_LEN)?;
    }
    if let Some(lists) = get("statusLists") {
        let arr = lists
            .as_array()
            .ok_or(malformed("statusLists", "not an array"))?;
        count("statusLists", arr.len(), MAX_STATUS_LISTS)?;
        contents.status_lists = arr
            .iter()
            .enumerate()
            .map(|(i, v)| parse_status_list(i, v))
            .collect::<Result<_, _>>()?;
    }
    contents.check()?;
    Ok(contents)
}

/// webpki's EKU hook, accepting any: the bundle-signer rule (no EKU on the leaf) is checked
/// on the leaf by [`check_signer_profile`], where the refusal can say what is wrong.
struct AnyEku;

impl webpki::ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, _iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

/// Path validation of the bundle signer to the configured anchors (RFC 5280 §6.1, through
/// rustls-webpki with our signature algorithms), then the bundle-signer profile; the
/// leaf's public key.
fn validate_signer(
    crypto: &dyn CryptoProvider,
    chain_der: &[&[u8]],
    anchors: &TrustAnchors,
    at: OffsetDateTime,
) -> Result<crate::crypto::EcPublicKey, BundleError> {
    let untrusted = BundleError::UntrustedSigner;
    let Some((leaf_der, intermediate_ders)) = chain_der.split_first() else {
        return Err(untrusted(TrustError::EmptyChain));
    };
    if chain_der.len() > MAX_CHAIN_LEN {
        return Err(untrusted(TrustError::ChainTooLong {
            len: chain_der.len(),
        }));
    }
    let parsed = chain_der
        .iter()
        .enumerate()
        .map(|(i, d)| super::parse_cert(d, i))
        .collect::<Result<Vec<_>, _>>()
        .map_err(untrusted)?;
    let leaf_cert = parsed.first().ok_or(untrusted(TrustError::EmptyChain))?;
    let leaf_key = super::certificate_public_key(leaf_cert, 0).map_err(untrusted)?;
    let leaf = rustls_pki_types::CertificateDer::from(*leaf_der);
    // Every certificate parsed above, so each is walked too (the walk is the laxer reading).
    let walked: Vec<_> = chain_der
        .iter()
        .map_while(|d| super::cert_fields::cert_fields(d))
        .collect();
    let webpki_err = |e: webpki::Error| {
        untrusted(super::map_webpki(
            e,
            &walked,
            at,
            super::CertProfile::DocumentSigner,
        ))
    };
    let ee = webpki::EndEntityCert::try_from(&leaf).map_err(webpki_err)?;
    let trust_anchors = anchors
        .anchors
        .iter()
        .enumerate()
        .map(|(i, a)| a.webpki_anchor(i).map_err(|_| BundleError::NoAnchor))
        .collect::<Result<Vec<_>, _>>()?;
    let intermediates: Vec<rustls_pki_types::CertificateDer<'_>> = intermediate_ders
        .iter()
        .map(|d| rustls_pki_types::CertificateDer::from(*d))
        .collect();
    let unix = rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(at.unix_timestamp()).unwrap_or(0),
    ));
    let algorithms = super::sigalgs::all(crypto);
    let algorithm_refs: Vec<&dyn rustls_pki_types::SignatureVerificationAlgorithm> = algorithms
        .iter()
        .map(|a| a as &dyn rustls_pki_types::SignatureVerificationAlgorithm)
        .collect();
    ee.verify_for_usage(
        &algorithm_refs,
        &trust_anchors,
        &intermediates,
        unix,
        AnyEku,
        None,
        None,
    )
    .map_err(webpki_err)?;
    check_signer_profile(leaf_cert)?;
    // webpki checked validity already; keep the leaf's own window as a second guard.
    let (nb, na) = validity(leaf_cert);
    if at < nb || at > na {
        return Err(untrusted(TrustError::Expired {
            index: 0,
            not_after: na,
        }));
    }
    Ok(leaf_key)
}

/// The bundle-signer profile on the leaf: digitalSignature, not a CA, no EKU.
fn check_signer_profile(leaf: &x509_cert::Certificate) -> Result<(), BundleError> {
    use der::Decode;
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
    const OID_KEY_USAGE: der::asn1::ObjectIdentifier =
        der::asn1::ObjectIdentifier::new_unwrap("2.5.29.15");
    const OID_BASIC_CONSTRAINTS: der::asn1::ObjectIdentifier =
        der::asn1::ObjectIdentifier::new_unwrap("2.5.29.19");
    const OID_EKU: der::asn1::ObjectIdentifier =
        der::asn1::ObjectIdentifier::new_unwrap("2.5.29.37");
    let exts = leaf.tbs_certificate.extensions.as_deref().unwrap_or(&[]);
    let find = |oid| {
        exts.iter()
            .find(|e| e.extn_id == oid)
            .map(|e| e.extn_value.as_bytes())
    };
    let ku = find(OID_KEY_USAGE)
        .and_then(|v| KeyUsage::from_der(v).ok())
        .ok_or(BundleError::SignerProfile(SignerDefect::NoDigitalSignature))?;
    if !ku.0.contains(KeyUsages::DigitalSignature) {
        return Err(BundleError::SignerProfile(SignerDefect::NoDigitalSignature));
    }
    if find(OID_BASIC_CONSTRAINTS)
        .and_then(|v| BasicConstraints::from_der(v).ok())
        .is_some_and(|bc| bc.ca)
    {
        return Err(BundleError::SignerProfile(SignerDefect::IsCa));
    }
    if find(OID_EKU).is_some() {
        return Err(BundleError::SignerProfile(
            SignerDefect::HasExtendedKeyUsage,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
