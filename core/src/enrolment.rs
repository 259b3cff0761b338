//! The bytes a JPKI enrolment signs: Kakunin's own wire format between a holder (wallet) and
//! the issuer service (docs/profiles/jpki-enrolment.md describes the HTTP exchange around it).
//!
//! The issuer hands out a single-use nonce. The applicant's card signs the *enrolment
//! challenge* — the nonce bound to the issuer and to every device key of the batch — with its
//! signature key (after the signature PIN) and with its authentication key (after the
//! authentication PIN), both RSASSA-PKCS1-v1_5 with SHA-256. Each device key signs its own
//! *proof of possession* (ES256 over the nonce and its thumbprint). Binding the device keys into
//! the card's signature means nobody between the wallet and the issuer can swap in keys of
//! their own; binding the issuer stops a challenge signed for one issuer being replayed to
//! another. Both messages are length-prefixed concatenations, so no two inputs share an encoding.

use crate::crypto::{CryptoProvider, EcPublicKey, HashAlg};

/// Domain separator of the card's enrolment challenge.
pub const CHALLENGE_CONTEXT: &[u8] = b"kakunin-jpki-enrolment-v1";
/// Domain separator of a device key's proof of possession.
pub const POP_CONTEXT: &[u8] = b"kakunin-device-pop-v1";
/// Most device keys one enrolment may bind (a batch of mdocs plus a batch of SD-JWT VCs and
/// the device key itself).
pub const MAX_DEVICE_KEYS: usize = 256;
/// Length of an issuer nonce, in bytes.
pub const NONCE_LEN: usize = 32;

/// Why enrolment bytes could not be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnrolmentFormatError {
    /// The nonce is not [`NONCE_LEN`] bytes.
    #[error("enrolment nonce is {0} bytes, expected 32")]
    NonceLength(usize),
    /// More device keys than [`MAX_DEVICE_KEYS`], or none.
    #[error("{0} device keys (1 to 256 allowed)")]
    DeviceKeyCount(usize),
    /// The issuer identifier is empty or longer than 1024 bytes.
    #[error("issuer identifier is {0} bytes (1 to 1024 allowed)")]
    IssuerLength(usize),
}

impl EnrolmentFormatError {
    /// The cause group of this error.
    pub fn cause(&self) -> crate::Cause {
        crate::Cause::Malformed
    }
}

/// The RFC 7638 JWK thumbprint (SHA-256) of an EC public key: the digest of
/// `{"crv":..,"kty":"EC","x":..,"y":..}` with members in that order and no whitespace.
pub fn jwk_thumbprint(crypto: &dyn CryptoProvider, key: &EcPublicKey) -> [u8; 32] {
    use base64::Engine as _;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let canonical = format!(
        r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
        key.curve().name(),
        b64(key.x()),
        b64(key.y())
    );
    let digest = crypto.hash(HashAlg::Sha256, canonical.as_bytes());
    let mut out = [0u8; 32];
    // SHA-256 always yields 32 bytes; `zip` keeps this total without indexing.
    for (o, d) in out.iter_mut().zip(digest) {
        *o = d;
    }
    out
}

/// The message both card keys sign: `CHALLENGE_CONTEXT || 0x00 || u16 len(issuer) || issuer ||
/// nonce || u16 count || thumbprint_1 .. thumbprint_count`, all big-endian. `issuer` is the
/// issuer's identifier as the client was told it (its base URL).
pub fn enrolment_challenge(
    issuer: &str,
    nonce: &[u8],
    device_key_thumbprints: &[[u8; 32]],
) -> Result<Vec<u8>, EnrolmentFormatError> {
    if nonce.len() != NONCE_LEN {
        return Err(EnrolmentFormatError::NonceLength(nonce.len()));
    }
    let issuer_len = u16::try_from(issuer.len())
        .ok()
        .filter(|l| (1..=1024).contains(l))
        .ok_or(EnrolmentFormatError::IssuerLength(issuer.len()))?;
    let count = u16::try_from(device_key_thumbprints.len())
        .ok()
        .filter(|c| (1..=MAX_DEVICE_KEYS).contains(&usize::from(*c)))
        .ok_or(EnrolmentFormatError::DeviceKeyCount(
            device_key_thumbprints.len(),
        ))?;
    let mut out = Vec::with_capacity(
        CHALLENGE_CONTEXT.len() + 5 + issuer.len() + NONCE_LEN + 32 * device_key_thumbprints.len(),
    );
    out.extend_from_slice(CHALLENGE_CONTEXT);
    out.push(0);
    out.extend_from_slice(&issuer_len.to_be_bytes());
    out.extend_from_slice(issuer.as_bytes());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&count.to_be_bytes());
    for t in device_key_thumbprints {
        out.extend_from_slice(t);
    }
    Ok(out)
}

/// The message a device key signs (ES256) to prove possession:
/// `POP_CONTEXT || 0x00 || nonce || thumbprint-of-this-key`.
pub fn device_pop_message(
    nonce: &[u8],
    thumbprint: &[u8; 32],
) -> Result<Vec<u8>, EnrolmentFormatError> {
    if nonce.len() != NONCE_LEN {
        return Err(EnrolmentFormatError::NonceLength(nonce.len()));
    }
    let mut out = Vec::with_capacity(POP_CONTEXT.len() + 1 + NONCE_LEN + 32);
    out.extend_from_slice(POP_CONTEXT);
    out.push(0);
    out.extend_from_slice(nonce);
    out.extend_from_slice(thumbprint);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{default_provider, Curve};

    #[test]
    fn thumbprint_is_sha256_of_the_sorted_compact_jwk() {
        // serde_json's default map sorts keys, which is exactly RFC 7638's member order for EC
        // keys; an independent way to build the canonical form.
        let crypto = default_provider();
        let key = crypto
            .public_key(&crypto.generate_key(Curve::P256).unwrap())
            .unwrap();
        let jwk = crate::sdjwt::key_to_jwk(&key);
        let canonical = serde_json::to_string(&jwk).unwrap();
        assert!(canonical.starts_with(r#"{"crv":"P-256","kty":"EC","x":""#));
        let expected = crypto.hash(HashAlg::Sha256, canonical.as_bytes());
        assert_eq!(jwk_thumbprint(crypto, &key).to_vec(), expected);
    }

    #[test]
    fn challenge_binds_issuer_nonce_and_keys() {
        let nonce = [9u8; 32];
        let a = enrolment_challenge("https://issuer.example", &nonce, &[[1; 32]]).unwrap();
        let b = enrolment_challenge("https://issuer.example", &nonce, &[[2; 32]]).unwrap();
        let c = enrolment_challenge("https://other.example", &nonce, &[[1; 32]]).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with(CHALLENGE_CONTEXT));
        assert_eq!(
            enrolment_challenge("x", &[0; 31], &[[1; 32]]),
            Err(EnrolmentFormatError::NonceLength(31))
        );
        assert_eq!(
            enrolment_challenge("x", &nonce, &[]),
            Err(EnrolmentFormatError::DeviceKeyCount(0))
        );
        assert_eq!(
            enrolment_challenge("", &nonce, &[[1; 32]]),
            Err(EnrolmentFormatError::IssuerLength(0))
        );
        assert!(device_pop_message(&nonce, &[3; 32])
            .unwrap()
            .starts_with(POP_CONTEXT));
    }
}
