//! One RSA issuance link — a leaf certificate and the CA certificate that signed it — for the
//! JPKI profiles only (the My Number card's certificates and the J-LIS CAs are RSA-2048 with
//! sha256WithRSAEncryption, jpki-notes §2.1; RFC 5280 §6.1.3 (a)(1)–(a)(4) for one step).
//!
//! mdoc chains never come here: [`super::validate_chain`] keeps its ECDSA-only algorithm list
//! (and [`super::certificate_public_key`] refuses RSA keys), so an RSA IACA or Document Signer is
//! still refused. `kakunin-jpki` calls [`verify_rsa_issued`] for each configured CA of the
//! right purpose and keeps the one that verifies; validity, key usage, policies and
//! revocation are its profile's checks.

use super::{parse_cert, CertDefect, RejectReason, TrustError};
use crate::crypto::{CryptoError, CryptoProvider, HashAlg, RsaPublicKey};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;

/// sha256WithRSAEncryption (RFC 4055 §5).
pub const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");

/// The one extension with `oid`, decoded; `Ok(None)` when absent, an error when it repeats or
/// does not decode.
fn extension<'a, T: Decode<'a>>(
    exts: &'a [Extension],
    oid: ObjectIdentifier,
    index: usize,
) -> Result<Option<T>, TrustError> {
    let malformed = TrustError::MalformedCertificate {
        index,
        reason: CertDefect::Unparsable,
    };
    let mut found = exts.iter().filter(|e| e.extn_id == oid);
    let first = found.next();
    if found.next().is_some() {
        return Err(malformed);
    }
    first
        .map(|e| T::from_der(e.extn_value.as_bytes()).map_err(|_| malformed.clone()))
        .transpose()
}

/// Check that `cert_der` (index 0 in errors) was issued by the CA certificate `ca_der`
/// (index 1): the leaf's signature algorithm is sha256WithRSAEncryption in both places
/// (§4.1.1.2), its issuer Name equals the CA's subject (binary comparison of the DER), its
/// authority key identifier, when present with the CA's subject key identifier, equals it,
/// the CA certificate is a CA (basicConstraints cA) allowed to sign certificates (keyUsage
/// keyCertSign when present), and the signature over the `tbsCertificate` as received
/// verifies under the CA's RSA key through `crypto`.
///
/// A CA that is not this leaf's issuer answers [`TrustError::UnknownIssuer`] (wrong Name or
/// key identifier) or [`TrustError::BadSignature`] (same Name, other key: the J-LIS CA
/// generations share one DN).
pub fn verify_rsa_issued(
    crypto: &dyn CryptoProvider,
    cert_der: &[u8],
    ca_der: &[u8],
) -> Result<(), TrustError> {
    let cert = parse_cert(cert_der, 0)?;
    let ca = parse_cert(ca_der, 1)?;
    if cert.signature_algorithm.oid != SHA256_WITH_RSA
        || cert.tbs_certificate.signature != cert.signature_algorithm
    {
        return Err(TrustError::Rejected {
            index: 0,
            reason: RejectReason::UnsupportedSignatureAlgorithm,
        });
    }
    if cert.tbs_certificate.issuer != ca.tbs_certificate.subject {
        return Err(TrustError::UnknownIssuer);
    }
    let leaf_exts: &[Extension] = cert.tbs_certificate.extensions.as_deref().unwrap_or(&[]);
    let ca_exts: &[Extension] = ca.tbs_certificate.extensions.as_deref().unwrap_or(&[]);
    let aki: Option<AuthorityKeyIdentifier> = extension(leaf_exts, OID_AKI, 0)?;
    let ski: Option<SubjectKeyIdentifier> = extension(ca_exts, OID_SKI, 1)?;
    if let (Some(keyid), Some(ski)) = (aki.and_then(|a| a.key_identifier), ski) {
        if keyid.as_bytes() != ski.0.as_bytes() {
            return Err(TrustError::UnknownIssuer);
        }
    }
    let bc: Option<BasicConstraints> = extension(ca_exts, OID_BASIC_CONSTRAINTS, 1)?;
    if !bc.is_some_and(|b| b.ca) {
        return Err(TrustError::Rejected {
            index: 1,
            reason: RejectReason::IssuerNotCa,
        });
    }
    let ku: Option<KeyUsage> = extension(ca_exts, OID_KEY_USAGE, 1)?;
    if ku.is_some_and(|k| !k.0.contains(KeyUsages::KeyCertSign)) {
        return Err(TrustError::Rejected {
            index: 1,
            reason: RejectReason::IssuerNotCa,
        });
    }
    let ca_spki = ca
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| TrustError::UnsupportedKey { index: 1 })?;
    let key = RsaPublicKey::from_spki_der(&ca_spki)
        .map_err(|_| TrustError::UnsupportedKey { index: 1 })?;
    let tbs = super::crl::tbs_range(cert_der)
        .and_then(|r| cert_der.get(r))
        .ok_or(TrustError::MalformedCertificate {
            index: 0,
            reason: CertDefect::NotDer,
        })?;
    let signature = cert
        .signature
        .as_bytes()
        .ok_or(TrustError::BadSignature { index: 0 })?;
    crypto
        .verify_rsa_pkcs1v15(&key, HashAlg::Sha256, tbs, signature)
        .map_err(|e| match e {
            CryptoError::Unsupported(_) => TrustError::Rejected {
                index: 0,
                reason: RejectReason::UnsupportedSignatureAlgorithm,
            },
            _ => TrustError::BadSignature { index: 0 },
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::default_provider as dp;
    use crate::trust::{validate_chain, CertProfile, TrustAnchors};

    // JPKI-SIM fixtures of kakunin-jpki (openssl CLI, jpki/tests/data/gen.sh).
    const SIGN_CA: &[u8] = include_bytes!("../../../jpki/tests/data/sign-ca.der");
    const AUTH_CA: &[u8] = include_bytes!("../../../jpki/tests/data/auth-ca.der");
    const FOREIGN_CA: &[u8] = include_bytes!("../../../jpki/tests/data/foreign-ca.der");
    const SIGN: &[u8] = include_bytes!("../../../jpki/tests/data/sign.der");

    #[test]
    fn the_issuing_ca_verifies_others_do_not() {
        verify_rsa_issued(dp(), SIGN, SIGN_CA).unwrap();
        // Another purpose's CA: another Name.
        assert_eq!(
            verify_rsa_issued(dp(), SIGN, AUTH_CA),
            Err(TrustError::UnknownIssuer)
        );
        // Same DN, other key (and so another key identifier).
        assert_eq!(
            verify_rsa_issued(dp(), SIGN, FOREIGN_CA),
            Err(TrustError::UnknownIssuer)
        );
        // A leaf is not a CA.
        assert!(verify_rsa_issued(dp(), SIGN, SIGN).is_err());
    }

    #[test]
    fn a_flipped_signature_bit_fails() {
        let mut bad = SIGN.to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            verify_rsa_issued(dp(), &bad, SIGN_CA),
            Err(TrustError::BadSignature { index: 0 })
        );
    }

    #[test]
    fn mdoc_chains_stay_ecdsa_only() {
        let anchors = TrustAnchors::from_der_certs([SIGN_CA]);
        // Either the RSA root is refused as an anchor, or the chain is refused: never valid.
        if let Ok(anchors) = anchors {
            for profile in [CertProfile::DocumentSigner, CertProfile::ReaderAuth] {
                let r = validate_chain(
                    dp(),
                    &[SIGN],
                    &anchors,
                    profile,
                    time::macros::datetime!(2026-07-01 00:00 UTC),
                );
                assert!(r.is_err(), "{profile:?} accepted an RSA chain");
            }
        }
    }
}
