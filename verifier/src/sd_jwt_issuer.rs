//! Who issued a verified SD-JWT VC, as a till's audit log records it beside the mdoc rows'
//! issuer: when the issuer key came from the `x5c` header (SD-JWT VC §3.5, RFC 7515 §4.1.6:
//! standard-base64 DER certificates, signer first), the signer certificate's subject
//! commonName, country and serial number, and the subject of the root the chain ends in.
//! Facts about certificates only, never a claim value.

use kakunin_core::sdjwt::VerifiedSdJwt;
use kakunin_core::trust::DistinguishedNameSummary;

/// Certificates of an `x5c` header looked at, at most (a chain is signer, intermediates,
/// root; longer headers were refused by the chain validation anyway).
const MAX_X5C: usize = 8;

/// The issuer of an SD-JWT VC whose key came from its `x5c` chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct X5cIssuer {
    /// The signer certificate's subject commonName.
    pub signer_common_name: Option<String>,
    /// The signer's countryName, or the root's when the signer has none.
    pub country: Option<String>,
    /// The signer certificate's serialNumber (RFC 5280 4.1.2.2), lowercase hex.
    pub signer_serial: Option<String>,
    /// The subject DN (RFC 4514) of the root the chain ends in: the issuer DN of the last
    /// certificate of `x5c` (path validation matched it to the trust anchor's subject).
    pub root_subject: Option<String>,
}

/// The `x5c` issuer of `verified`, or `None` when its header carries no usable `x5c`. Only
/// meaningful for a presentation verified with [`kakunin_core::sdjwt::IssuerKey::X5c`] (the
/// till's API and its proximity sessions): then the chain was validated to a trust anchor.
pub fn sd_jwt_x5c_issuer(verified: &VerifiedSdJwt) -> Option<X5cIssuer> {
    use base64::Engine;
    use der::Decode;
    let certs = verified.header.get("x5c")?.as_array()?;
    if certs.is_empty() || certs.len() > MAX_X5C {
        return None;
    }
    let parse = |v: &serde_json::Value| {
        let der = base64::engine::general_purpose::STANDARD
            .decode(v.as_str()?)
            .ok()?;
        x509_cert::Certificate::from_der(&der).ok()
    };
    let signer = parse(certs.first()?)?;
    let last = parse(certs.last()?)?;
    let signer_dn = DistinguishedNameSummary::of(&signer.tbs_certificate.subject);
    let root_dn = DistinguishedNameSummary::of(&last.tbs_certificate.issuer);
    Some(X5cIssuer {
        signer_common_name: signer_dn.common_name,
        country: signer_dn.country.or(root_dn.country),
        signer_serial: Some(crate::response::hex_lower(
            signer.tbs_certificate.serial_number.as_bytes(),
        )),
        root_subject: Some(last.tbs_certificate.issuer.to_string()),
    })
}
