//! DeviceRequest reader authentication (ISO 18013-5 clause 9.1.4): readerAuth is a
//! COSE_Sign1 over ReaderAuthenticationBytes (detached) by a certificate that chains to a
//! trusted reader root.

use crate::CheckError;
use kakunin_core::crypto::{default_provider, CryptoProvider};
use kakunin_core::mdoc::{
    verify_reader_auth, DeviceRequest, ReaderAuthError, RequestedElement, SessionTranscript,
};
use kakunin_core::trust::TrustAnchors;
use time::OffsetDateTime;

/// Verification of one DocRequest.
#[derive(Debug, Clone, PartialEq)]
pub struct DocRequestReport {
    pub doc_type: String,
    pub elements: Vec<RequestedElement>,
    /// Whether a readerAuth was present.
    pub reader_auth_present: bool,
    /// Subject common name of the authenticated reader certificate.
    pub reader_common_name: Option<String>,
    pub reader_organization: Option<String>,
    pub errors: Vec<CheckError>,
}

impl DocRequestReport {
    /// readerAuth was present and verified.
    pub fn reader_authenticated(&self) -> bool {
        self.reader_auth_present && self.errors.is_empty()
    }
}

/// Verification of a whole DeviceRequest.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestReport {
    pub version: Option<String>,
    pub doc_requests: Vec<DocRequestReport>,
    pub errors: Vec<CheckError>,
}

impl RequestReport {
    /// The request decoded and every DocRequest carries a verified readerAuth.
    pub fn all_reader_authenticated(&self) -> bool {
        self.errors.is_empty()
            && !self.doc_requests.is_empty()
            && self
                .doc_requests
                .iter()
                .all(DocRequestReport::reader_authenticated)
    }
}

/// Verify the readerAuth of every DocRequest in a DeviceRequest against reader trust anchors.
pub fn verify_device_request(
    request: &[u8],
    transcript: &[u8],
    reader_trust: &TrustAnchors,
    at: OffsetDateTime,
) -> RequestReport {
    verify_device_request_with(default_provider(), request, transcript, reader_trust, at)
}

/// [`verify_device_request`] with a chosen crypto provider.
pub fn verify_device_request_with(
    crypto: &dyn CryptoProvider,
    request: &[u8],
    transcript: &[u8],
    reader_trust: &TrustAnchors,
    at: OffsetDateTime,
) -> RequestReport {
    let mut report = RequestReport {
        version: None,
        doc_requests: Vec::new(),
        errors: Vec::new(),
    };
    let transcript = match SessionTranscript::from_bytes(transcript) {
        Ok(t) => t,
        Err(e) => {
            report.errors.push(CheckError::Malformed(e));
            return report;
        }
    };
    let parsed = match DeviceRequest::from_bytes(request) {
        Ok(r) => r,
        Err(e) => {
            report.errors.push(CheckError::Malformed(e));
            return report;
        }
    };
    report.version = Some(parsed.version.clone());
    for (idx, dr) in parsed.doc_requests.iter().enumerate() {
        let mut r = DocRequestReport {
            doc_type: dr.items_request.doc_type.clone(),
            elements: dr.items_request.elements.clone(),
            reader_auth_present: dr.reader_auth.is_some(),
            reader_common_name: None,
            reader_organization: None,
            errors: Vec::new(),
        };
        if dr.reader_auth.is_some() {
            match verify_reader_auth(crypto, dr, &transcript, reader_trust, at) {
                Ok(subject) => {
                    r.reader_common_name = subject.common_name;
                    r.reader_organization = subject.organization;
                }
                Err(ReaderAuthError::Untrusted(source)) => r
                    .errors
                    .push(CheckError::UntrustedReader { doc: idx, source }),
                Err(ReaderAuthError::Cose(source)) => r
                    .errors
                    .push(CheckError::ReaderAuthSignature { doc: idx, source }),
                Err(ReaderAuthError::Missing) => {}
                // A reader-auth failure this version does not know yet: fail closed, so the
                // request is never reported as authenticated.
                Err(_) => r.errors.push(CheckError::ReaderAuthSignature {
                    doc: idx,
                    source: kakunin_core::cose::CoseError::BadSignature,
                }),
            }
        }
        report.doc_requests.push(r);
    }
    report
}
