//! Trust anchors: the IACA roots a verifier trusts for document signing, or the roots it
//! trusts for reader authentication.
//!
//! An anchor may be scoped to docTypes: an IACA imported from a VICAL (ISO 18013-5 Annex C)
//! is trusted only for the docTypes its entry lists, so a DS chain for another docType does
//! not validate to it ([`super::validate_chain_for_doc_type`]). An anchor without a scope
//! (every anchor configured by hand) is trusted for every docType.
//!
//! An anchor configured by hand is checked (x509-cert parse, webpki's trust-anchor reading)
//! when it is added. An anchor imported from a VICAL shares the list's buffer and is checked
//! by webpki the first time a chain is validated against it; the result is kept, so each
//! anchor is read by webpki once, not on every validation. One that webpki refuses is never
//! used, and a validation that finds no path while such an anchor was in scope answers with
//! that anchor's [`TrustError::MalformedCertificate`] (`NotAnAnchor`).

use super::{parse_cert, CertDefect, TrustError, MAX_CERT_LEN};
use core::ops::Range;
use rustls_pki_types::TrustAnchor;
use std::sync::{Arc, OnceLock};

/// A buffer shared by the anchors whose certificates are in it: a VICAL's Sig_structure (its
/// payload holds the entries' certificates), or one certificate's own bytes. A `Vec` behind
/// the `Arc` rather than an `Arc<[u8]>`, so that a buffer built as a `Vec` is shared without
/// a copy.
pub(crate) type SharedBytes = Arc<Vec<u8>>;

/// One trusted root certificate.
#[derive(Debug, Clone)]
pub struct Anchor {
    /// The buffer holding the certificate: its own bytes, or a whole VICAL's shared by all
    /// of the list's anchors.
    bytes: SharedBytes,
    /// Where the certificate's DER is in `bytes`.
    range: Range<usize>,
    /// webpki's reading of the certificate as a trust anchor (subject, SPKI, name
    /// constraints), or `None` if webpki refuses it: made once, on first use.
    webpki: OnceLock<Option<TrustAnchor<'static>>>,
    /// The parsed certificate: filled when the anchor is made by hand, and on first use for
    /// anchors imported from a VICAL (most of which no chain ever ends in). Boxed, so that
    /// an anchor not yet used stays small (a VICAL's entries are built and moved by the
    /// dozen on every trust reload; the certificate structure is over 500 bytes).
    cert: OnceLock<Box<x509_cert::Certificate>>,
    /// The docTypes this anchor may certify document signers for; `None` for all. VICAL
    /// entries listing the same docTypes share one list.
    pub(crate) doc_types: Option<Arc<[String]>>,
}

/// webpki's trust-anchor reading of `der`, owned so that it can be kept with the anchor.
fn webpki_reading(der: &[u8]) -> Option<TrustAnchor<'static>> {
    let der = rustls_pki_types::CertificateDer::from(der);
    webpki::anchor_from_trusted_cert(&der)
        .ok()
        .map(|a| a.to_owned())
}

fn not_an_anchor(index: usize) -> TrustError {
    TrustError::MalformedCertificate {
        index,
        reason: CertDefect::NotAnAnchor,
    }
}

impl Anchor {
    /// An anchor checked now: the certificate parses (x509-cert) and webpki accepts it as a
    /// trust anchor; `index` names it in errors.
    fn checked(
        der: &[u8],
        doc_types: Option<Arc<[String]>>,
        index: usize,
    ) -> Result<Self, TrustError> {
        let cert = parse_cert(der, index)?;
        let reading = webpki_reading(der).ok_or(not_an_anchor(index))?;
        Ok(Anchor {
            bytes: Arc::new(der.to_vec()),
            range: 0..der.len(),
            webpki: OnceLock::from(Some(reading)),
            cert: OnceLock::from(Box::new(cert)),
            doc_types,
        })
    }

    /// An anchor for the certificate at `range` of `bytes` (a VICAL entry), checked on first
    /// use ([`Anchor::webpki_anchor`], [`Anchor::cert`]).
    pub(crate) fn deferred(
        bytes: SharedBytes,
        range: Range<usize>,
        doc_types: Option<Arc<[String]>>,
    ) -> Self {
        Anchor {
            bytes,
            range,
            webpki: OnceLock::new(),
            cert: OnceLock::new(),
            doc_types,
        }
    }

    /// The whole buffer the certificate is in (a VICAL's bytes for an imported anchor).
    pub(crate) fn buffer(&self) -> &[u8] {
        &self.bytes
    }

    /// The certificate's DER encoding.
    pub fn der(&self) -> &[u8] {
        self.bytes.get(self.range.clone()).unwrap_or_default()
    }

    /// The docTypes the anchor is scoped to (from a VICAL entry), or `None` when it is
    /// trusted for every docType.
    pub fn doc_types(&self) -> Option<&[String]> {
        self.doc_types.as_deref()
    }

    /// The certificate as a webpki trust anchor, read by webpki on the first call and kept;
    /// `index` names it in the error when webpki refuses it
    /// ([`TrustError::MalformedCertificate`], [`CertDefect::NotAnAnchor`]).
    pub(crate) fn webpki_anchor(&self, index: usize) -> Result<TrustAnchor<'_>, TrustError> {
        match self.webpki.get_or_init(|| webpki_reading(self.der())) {
            Some(a) => Ok(TrustAnchor {
                subject: rustls_pki_types::Der::from(a.subject.as_ref()),
                subject_public_key_info: rustls_pki_types::Der::from(
                    a.subject_public_key_info.as_ref(),
                ),
                name_constraints: a
                    .name_constraints
                    .as_ref()
                    .map(|n| rustls_pki_types::Der::from(n.as_ref())),
            }),
            None => Err(not_an_anchor(index)),
        }
    }

    /// The parsed certificate (parsed now if it was not yet); `index` names it in errors.
    pub(crate) fn cert(&self, index: usize) -> Result<&x509_cert::Certificate, TrustError> {
        if let Some(c) = self.cert.get() {
            return Ok(c);
        }
        let parsed = Box::new(parse_cert(self.der(), index)?);
        Ok(self.cert.get_or_init(|| parsed))
    }

    /// Whether the anchor may certify a document signer for `doc_type`: unscoped anchors
    /// for every docType, scoped ones for the docTypes listed (exact match).
    pub fn allows_doc_type(&self, doc_type: &str) -> bool {
        match &self.doc_types {
            None => true,
            Some(list) => list.iter().any(|d| d == doc_type),
        }
    }
}

/// A set of trusted root certificates.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    pub(crate) anchors: Vec<Anchor>,
    /// [`TrustAnchors::identity`], computed on first use and forgotten on every change.
    identity: OnceLock<Vec<u8>>,
}

impl TrustAnchors {
    /// Build from DER certificates; each must parse and be usable as a webpki trust anchor.
    pub fn from_der_certs<I, B>(certs: I) -> Result<Self, TrustError>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut anchors = Vec::new();
        for (index, der) in certs.into_iter().enumerate() {
            anchors.push(Anchor::checked(der.as_ref(), None, index)?);
        }
        Ok(TrustAnchors {
            anchors,
            identity: OnceLock::new(),
        })
    }

    /// Add one anchor trusted only for `doc_types` (a VICAL entry's scope, ISO 18013-5
    /// Annex C); the certificate must parse and be usable as a webpki trust anchor.
    pub fn push_scoped(&mut self, der: &[u8], doc_types: Vec<String>) -> Result<(), TrustError> {
        let index = self.anchors.len();
        self.anchors
            .push(Anchor::checked(der, Some(Arc::from(doc_types)), index)?);
        self.identity = OnceLock::new();
        Ok(())
    }

    /// Add an anchor checked on first use (a VICAL entry of a verified list).
    /// Room for `n` more anchors (an import of a whole list at once).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.anchors.reserve(n);
    }

    /// A set of exactly `anchors` (a VICAL's, checked on first use).
    pub(crate) fn from_deferred(anchors: Vec<Anchor>) -> Self {
        TrustAnchors {
            anchors,
            identity: OnceLock::new(),
        }
    }

    pub(crate) fn push_deferred(&mut self, anchor: Anchor) {
        self.anchors.push(anchor);
        self.identity = OnceLock::new();
    }

    /// Append every anchor of `other`, keeping their scopes.
    pub fn extend(&mut self, other: TrustAnchors) {
        self.anchors.extend(other.anchors);
        self.identity = OnceLock::new();
    }

    /// What the set trusts, as a SHA-256 digest: over each anchor in order, its DER and its
    /// scope (none, or its docTypes). Two sets with the same identity validate every chain
    /// alike, so a cache of validated chains can be keyed by it. Computed once per set (a
    /// VICAL's 35 anchors are about 40 KB to hash) and recomputed after a change.
    pub fn identity(&self, crypto: &dyn crate::crypto::CryptoProvider) -> &[u8] {
        self.identity.get_or_init(|| {
            let mut all = Vec::new();
            let length = |all: &mut Vec<u8>, n: usize| {
                all.extend_from_slice(&u64::try_from(n).unwrap_or(u64::MAX).to_be_bytes());
            };
            for a in &self.anchors {
                length(&mut all, a.der().len());
                all.extend_from_slice(a.der());
                match &a.doc_types {
                    None => all.push(0),
                    Some(list) => {
                        all.push(1);
                        length(&mut all, list.len());
                        for d in list.iter() {
                            length(&mut all, d.len());
                            all.extend_from_slice(d.as_bytes());
                        }
                    }
                }
            }
            crypto.hash(crate::crypto::HashAlg::Sha256, &all)
        })
    }

    /// Whether any anchor is scoped to docTypes.
    pub fn has_scoped(&self) -> bool {
        self.anchors.iter().any(|a| a.doc_types.is_some())
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether there is no anchor (every validation then fails with [`TrustError::NoAnchors`]).
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The anchors, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = &Anchor> {
        self.anchors.iter()
    }

    /// The set holding only the anchor at `index` (a [`super::ValidatedChain`]'s
    /// `anchor_index`): to accept a credential's status list only from under the IACA the
    /// credential itself chained to. `None` for an index out of range.
    pub fn only(&self, index: usize) -> Option<TrustAnchors> {
        self.anchors.get(index).map(|a| TrustAnchors {
            anchors: vec![a.clone()],
            identity: OnceLock::new(),
        })
    }
}

/// Accept a certificate as DER, PEM (`-----BEGIN CERTIFICATE-----`) or hex text.
pub fn parse_certificate_input(input: &[u8]) -> Result<Vec<u8>, TrustError> {
    let der = certificate_input_der(input)?;
    parse_cert(&der, 0)?;
    Ok(der)
}

/// The DER bytes of a certificate given as DER, PEM or hex text, not yet parsed.
pub(crate) fn certificate_input_der(input: &[u8]) -> Result<Vec<u8>, TrustError> {
    if input.len() > 4 * MAX_CERT_LEN {
        return Err(TrustError::CertificateTooLarge {
            index: 0,
            len: input.len(),
        });
    }
    let bad = TrustError::MalformedCertificate {
        index: 0,
        reason: CertDefect::NotCertificateInput,
    };
    let der = if let Ok(text) = std::str::from_utf8(input) {
        let t = text.trim();
        if t.starts_with("-----BEGIN CERTIFICATE-----") {
            let (label, der) = der::pem::decode_vec(t.as_bytes()).map_err(|_| bad.clone())?;
            if label != "CERTIFICATE" {
                return Err(bad);
            }
            der
        } else {
            let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
            if !compact.is_empty()
                && compact.len() % 2 == 0
                && compact.bytes().all(|b| b.is_ascii_hexdigit())
            {
                compact
                    .as_bytes()
                    .chunks_exact(2)
                    .map(|pair| {
                        std::str::from_utf8(pair)
                            .ok()
                            .and_then(|h| u8::from_str_radix(h, 16).ok())
                    })
                    .collect::<Option<Vec<u8>>>()
                    .ok_or_else(|| bad.clone())?
            } else {
                input.to_vec()
            }
        }
    } else {
        input.to_vec()
    };
    Ok(der)
}
