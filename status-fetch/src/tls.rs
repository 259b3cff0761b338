//! Which servers an `https://` status-list fetch trusts, and the TLS client configuration
//! built from that (rustls on the `ring` provider, RFC 8446 / RFC 5246, server certificates
//! checked per RFC 5280 and the host name per RFC 6125 by rustls' WebPKI verifier).
//!
//! The roots are never a copy compiled into the binary (no `webpki-roots`, whose licence is
//! not on the project's list; docs/decisions/0010): they are the CA certificates the caller
//! gives ([`TlsRoots::with_ca_pem`], `status fetch --ca FILE`), the platform's store
//! ([`TlsRoots::platform`], read through `rustls-native-certs`), or both. An `https://` fetch
//! with no root at all is refused before any connection is made.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;

/// Why a set of TLS roots could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RootsError {
    /// The PEM text holds no `CERTIFICATE` block.
    #[error("{0}: no PEM CERTIFICATE block")]
    NoCertificate(String),
    /// A PEM block could not be decoded.
    #[error("{source_name}: bad PEM: {reason}")]
    Pem {
        /// Where the text came from (a file name).
        source_name: String,
        /// The decoder's reason.
        reason: String,
    },
    /// A certificate is not usable as a trust anchor (not a parsable X.509 certificate).
    #[error("{source_name}: certificate {index} is not a usable trust anchor: {reason}")]
    BadAnchor {
        /// Where the certificate came from.
        source_name: String,
        /// Its position there, from 0.
        index: usize,
        /// The parser's reason.
        reason: String,
    },
}

impl RootsError {
    /// The cause group: a bad CA file is malformed input.
    pub fn cause(&self) -> kakunin_core::Cause {
        kakunin_core::Cause::Malformed
    }
}

/// The trust anchors for `https://` fetches: caller-given CA certificates and, if chosen,
/// the platform's root store.
#[derive(Debug, Clone, Default)]
pub struct TlsRoots {
    ca: Vec<CertificateDer<'static>>,
    platform: bool,
}

impl TlsRoots {
    /// No roots: every `https://` fetch is refused ([`crate::FetchError::NoRoots`]).
    pub fn none() -> Self {
        TlsRoots::default()
    }

    /// The platform's root store only (what a fetcher uses unless told otherwise).
    pub fn platform() -> Self {
        TlsRoots {
            ca: Vec::new(),
            platform: true,
        }
    }

    /// Also (or no longer) trust the platform's root store.
    pub fn with_platform(mut self, platform: bool) -> Self {
        self.platform = platform;
        self
    }

    /// Add every `CERTIFICATE` block of `pem` as a root; `source_name` names the text in
    /// errors. Each certificate is checked to be a usable trust anchor now, so that a bad
    /// file is an error here rather than a silently smaller root set.
    pub fn with_ca_pem(mut self, pem: &[u8], source_name: &str) -> Result<Self, RootsError> {
        let mut found = Vec::new();
        for item in CertificateDer::pem_slice_iter(pem) {
            let der = item.map_err(|e| RootsError::Pem {
                source_name: source_name.to_string(),
                reason: e.to_string(),
            })?;
            found.push(der.into_owned());
        }
        if found.is_empty() {
            return Err(RootsError::NoCertificate(source_name.to_string()));
        }
        for (index, der) in found.iter().enumerate() {
            anchor_check(der).map_err(|reason| RootsError::BadAnchor {
                source_name: source_name.to_string(),
                index,
                reason,
            })?;
        }
        self.ca.extend(found);
        Ok(self)
    }

    /// Add one DER certificate as a root.
    pub fn with_ca_der(mut self, der: &[u8], source_name: &str) -> Result<Self, RootsError> {
        let der = CertificateDer::from(der.to_vec());
        anchor_check(&der).map_err(|reason| RootsError::BadAnchor {
            source_name: source_name.to_string(),
            index: 0,
            reason,
        })?;
        self.ca.push(der);
        Ok(self)
    }

    /// How many caller-given CA certificates there are.
    pub fn ca_count(&self) -> usize {
        self.ca.len()
    }

    /// Whether the platform's store is used.
    pub fn uses_platform(&self) -> bool {
        self.platform
    }

    /// The anchors as ureq takes them: the caller's, then the platform's (read now; a store
    /// that cannot be read contributes what it could). Empty means nothing is trusted.
    pub(crate) fn anchors(&self) -> Vec<ureq::tls::Certificate<'static>> {
        let mut out: Vec<ureq::tls::Certificate<'static>> = self
            .ca
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        if self.platform {
            // `errors` lists the store files that could not be read; what was read is used.
            let native = rustls_native_certs::load_native_certs();
            out.extend(
                native
                    .certs
                    .iter()
                    .filter(|c| anchor_check(c).is_ok())
                    .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned()),
            );
        }
        out
    }
}

/// Whether `der` can be a rustls trust anchor; the reason if not.
fn anchor_check(der: &CertificateDer<'_>) -> Result<(), String> {
    rustls::RootCertStore::empty()
        .add(der.clone().into_owned())
        .map_err(|e| e.to_string())
}

/// ureq's TLS configuration: rustls on `ring`, verification on, the given anchors.
pub(crate) fn tls_config(anchors: Vec<ureq::tls::Certificate<'static>>) -> ureq::tls::TlsConfig {
    ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(anchors)))
        .build()
}
