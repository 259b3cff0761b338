//! QR device engagement (clause 8.2.2.3): `mdoc:` followed by the DeviceEngagement in
//! base64url without padding.

use base64::Engine;

/// URI scheme prefix.
pub const MDOC_URI_PREFIX: &str = "mdoc:";
/// Largest engagement accepted from a QR code.
pub const MAX_ENGAGEMENT: usize = 4096;

/// A QR engagement URI could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The text does not start with `mdoc:`.
    #[error("not an mdoc: URI")]
    NotMdocUri,
    /// The rest is not unpadded base64url.
    #[error("the engagement is not base64url (unpadded)")]
    BadBase64,
    /// The engagement would be over [`MAX_ENGAGEMENT`] bytes (an estimate from the text).
    #[error("engagement of {0} bytes exceeds {MAX_ENGAGEMENT}")]
    TooLarge(usize),
}

/// The URI for a DeviceEngagement.
pub fn engagement_uri(device_engagement: &[u8]) -> String {
    format!(
        "{MDOC_URI_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(device_engagement)
    )
}

/// The DeviceEngagement bytes, exactly as encoded in the QR code.
pub fn parse_engagement_uri(uri: &str) -> Result<Vec<u8>, QrError> {
    let b64 = uri
        .trim()
        .strip_prefix(MDOC_URI_PREFIX)
        .ok_or(QrError::NotMdocUri)?;
    if b64.len() > MAX_ENGAGEMENT * 4 / 3 + 4 {
        return Err(QrError::TooLarge(b64.len() * 3 / 4));
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|_| QrError::BadBase64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_spec_vectors::annex_d::{bytes, DERIVED_QR_URI};

    #[test]
    fn annex_d_qr_round_trip() {
        let de = bytes("device_engagement_qr");
        assert_eq!(engagement_uri(&de), DERIVED_QR_URI.trim());
        assert_eq!(parse_engagement_uri(DERIVED_QR_URI).unwrap(), de);
        assert_eq!(parse_engagement_uri("https://x"), Err(QrError::NotMdocUri));
        assert_eq!(parse_engagement_uri("mdoc:%%%"), Err(QrError::BadBase64));
    }
}
