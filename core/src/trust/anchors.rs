//! Trust anchors: the IACA roots a verifier trusts for document signing, or the roots it
//! trusts for reader authentication.
//!
//! An anchor may be scoped to docTypes: an IACA imported from a VICAL (ISO 18013-5 Annex C)
//! is trusted only for the docTypes its entry lists, so a DS chain for another docType does
//! not validate to it ([`super::validate_chain_for_doc_type`]). An anchor without a scope
//! (every anchor configured by hand) is trusted for every docType.

use super::{parse_cert, CertDefect, TrustError, MAX_CERT_LEN};
use std::sync::OnceLock;

/// One trusted root certificate.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub(crate) der: Vec<u8>,
    /// The parsed certificate: filled when the anchor is made by hand, and on first use for
    /// anchors imported from a VICAL (most of which no chain ever ends in).
    cert: OnceLock<x509_cert::Certificate>,
    /// The docTypes this anchor may certify document signers for; `None` for all.
    pub(crate) doc_types: Option<Vec<String>>,
}

impl Anchor {
    /// The certificate's DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The docTypes the anchor is scoped to (from a VICAL entry), or `None` when it is
    /// trusted for every docType.
    pub fn doc_types(&self) -> Option<&[String]> {
        self.doc_types.as_deref()
    }

    /// The parsed certificate (parsed now if it was not yet); `index` names it in errors.
    pub(crate) fn cert(&self, index: usize) -> Result<&x509_cert::Certificate, TrustError> {
        if let Some(c) = self.cert.get() {
            return Ok(c);
        }
        let parsed = parse_cert(&self.der, index)?;
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
            let der = der.as_ref();
            let cert = parse_cert(der, index)?;
            check_anchor_der(der, index)?;
            anchors.push(Anchor {
                der: der.to_vec(),
                cert: OnceLock::from(cert),
                doc_types: None,
            });
        }
        Ok(TrustAnchors { anchors })
    }

    /// Add one anchor trusted only for `doc_types` (a VICAL entry's scope, ISO 18013-5
    /// Annex C); the certificate must parse and be usable as a webpki trust anchor.
    pub fn push_scoped(&mut self, der: &[u8], doc_types: Vec<String>) -> Result<(), TrustError> {
        let index = self.anchors.len();
        let cert = parse_cert(der, index)?;
        check_anchor_der(der, index)?;
        self.anchors.push(Anchor {
            der: der.to_vec(),
            cert: OnceLock::from(cert),
            doc_types: Some(doc_types),
        });
        Ok(())
    }

    /// Add an anchor webpki already accepted (the VICAL import); its full parse is deferred
    /// to the first chain that ends in it.
    pub(crate) fn push_unparsed(&mut self, der: Vec<u8>, doc_types: Option<Vec<String>>) {
        self.anchors.push(Anchor {
            der,
            cert: OnceLock::new(),
            doc_types,
        });
    }

    /// Append every anchor of `other`, keeping their scopes.
    pub fn extend(&mut self, other: TrustAnchors) {
        self.anchors.extend(other.anchors);
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
        })
    }
}

/// Check that webpki accepts `der` as a trust anchor; `index` names it in the error.
pub(crate) fn check_anchor_der(der: &[u8], index: usize) -> Result<(), TrustError> {
    let der_owned = rustls_pki_types::CertificateDer::from(der);
    webpki::anchor_from_trusted_cert(&der_owned)
        .map(|_| ())
        .map_err(|_| TrustError::MalformedCertificate {
            index,
            reason: CertDefect::NotAnAnchor,
        })
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
