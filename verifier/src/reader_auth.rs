//! DeviceRequest reader authentication (ISO 18013-5 clause 9.1.4): readerAuth is a
//! COSE_Sign1 over ReaderAuthenticationBytes (detached) by a certificate that chains to a
//! trusted reader root.

use crate::decode::transcript_and_message;
use crate::CheckError;
use kakunin_core::crypto::{default_provider, CryptoProvider};
use kakunin_core::mdoc::{verify_reader_auth, DeviceRequest, ReaderAuthError, RequestedElement};
use kakunin_core::trust::TrustAnchors;
use time::OffsetDateTime;

/// Verification of one DocRequest.
#[derive(Debug, Clone, PartialEq)]
pub struct DocRequestReport {
    /// The requested docType.
    pub doc_type: String,
    /// The requested elements, with intentToRetain.
    pub elements: Vec<RequestedElement>,
    /// Whether a readerAuth was present.
    pub reader_auth_present: bool,
    /// Subject common name of the authenticated reader certificate.
    pub reader_common_name: Option<String>,
    /// Subject organizationName of the authenticated reader certificate.
    pub reader_organization: Option<String>,
    /// Why readerAuth failed; empty when it verified or was absent.
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
    /// The DeviceRequest version, when it decoded.
    pub version: Option<String>,
    /// One report per DocRequest, in order.
    pub doc_requests: Vec<DocRequestReport>,
    /// Request-level errors (the request or the transcript does not decode).
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

/// The report entry for DocRequest `doc` whose readerAuth was present and failed: an
/// untrusted certificate and a bad COSE_Sign1 by name, any other failure (one this version
/// does not know, or "missing" although it was present) carried as it came in
/// [`CheckError::ReaderAuth`]. Every case is an error, so the request is never reported as
/// authenticated (fail closed).
fn reader_auth_failure(doc: usize, e: ReaderAuthError) -> CheckError {
    match e {
        ReaderAuthError::Untrusted(source) => CheckError::UntrustedReader { doc, source },
        ReaderAuthError::Cose(source) => CheckError::ReaderAuthSignature { doc, source },
        source => CheckError::ReaderAuth { doc, source },
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
    let (transcript, parsed) =
        match transcript_and_message(transcript, request, DeviceRequest::from_bytes) {
            Ok(decoded) => decoded,
            Err(e) => {
                report.errors.push(e);
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
                Err(e) => r.errors.push(reader_auth_failure(idx, e)),
            }
        }
        report.doc_requests.push(r);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::cose::CoseError;

    #[test]
    fn an_unlisted_reader_auth_failure_is_carried_as_it_came_and_fails_closed() {
        // `Missing` for a present readerAuth stands in for any failure not mapped by name.
        let e = reader_auth_failure(2, ReaderAuthError::Missing);
        assert_eq!(
            e,
            CheckError::ReaderAuth {
                doc: 2,
                source: ReaderAuthError::Missing
            }
        );
        assert_eq!(e.code(), "reader_auth");
        assert_eq!(e.cause(), kakunin_core::Cause::FailedCheck);
        assert_eq!(e.check(), None);
        assert!(e
            .to_string()
            .starts_with("docRequest 2: reader authentication"));
        let report = DocRequestReport {
            doc_type: "org.iso.18013.5.1.mDL".into(),
            elements: vec![],
            reader_auth_present: true,
            reader_common_name: None,
            reader_organization: None,
            errors: vec![e],
        };
        assert!(!report.reader_authenticated());
        // The named failures keep their own variants.
        assert!(matches!(
            reader_auth_failure(0, ReaderAuthError::Cose(CoseError::BadSignature)),
            CheckError::ReaderAuthSignature { doc: 0, .. }
        ));
    }

    #[test]
    fn an_undecodable_transcript_or_request_is_malformed() {
        let anchors = TrustAnchors::default();
        let at = time::macros::datetime!(2026-01-01 00:00 UTC);
        for (request, transcript) in [
            (&[0xa0][..], &[0xff][..]),
            (&[0xff][..], &[0x83, 0xf6, 0xf6, 0xf6][..]),
        ] {
            let report = verify_device_request(request, transcript, &anchors, at);
            assert!(
                matches!(report.errors[..], [CheckError::Malformed(_)]),
                "{report:?}"
            );
            assert!(report.version.is_none());
            assert!(!report.all_reader_authenticated());
        }
    }
}
