//! The registry's keys: HMAC-SHA-256 under the issuer's secret, never the data itself
//! (docs/jpki-registry.md).
//!
//! - The *certificate link* of a JPKI certificate is the HMAC of its issuer Name (DER) and
//!   serial number. The authentication certificate's link recognises a returning person
//!   after a move or a name change (that certificate survives both, jpki-notes §3.4); the
//!   signature certificate's link is what a CRL entry is matched against.
//! - The *facts link* is the HMAC of the four facts (name, date of birth, sex, address),
//!   which survive a card renewal (new certificates, same facts).
//!
//! Every input is length-prefixed and domain-separated, so no two inputs share an encoding
//! and a certificate link can never equal a facts link. The secret never leaves this module
//! but as the HMAC key; the result is pairwise to this issuer (another issuer's secret gives
//! unrelated values), unlike a raw serial, which every relying party sees alike.

use kakunin_core::crypto::CryptoProvider;
use kakunin_issuer::proofing::{CertificateRef, ProofedApplicant, Sex};
use zeroize::Zeroizing;

/// Length of the issuer's registry secret.
pub const SECRET_LEN: usize = 32;

const CERT_CONTEXT: &[u8] = b"kakunin-issuer-cert-link-v1";
const FACTS_CONTEXT: &[u8] = b"kakunin-issuer-facts-link-v1";

/// The issuer's registry secret (zeroized on drop, never printed).
pub struct LinkKey {
    secret: Zeroizing<[u8; SECRET_LEN]>,
}

impl core::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

fn push_field(out: &mut Vec<u8>, field: &[u8]) {
    // u64 length: a field of any size gets its own length, none is truncated.
    let len = u64::try_from(field.len()).unwrap_or(u64::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(field);
}

impl LinkKey {
    /// The key from its 32 secret bytes.
    pub fn new(secret: Zeroizing<[u8; SECRET_LEN]>) -> Self {
        LinkKey { secret }
    }

    fn mac(&self, crypto: &dyn CryptoProvider, context: &[u8], fields: &[&[u8]]) -> String {
        let mut msg = Zeroizing::new(Vec::new());
        push_field(&mut msg, context);
        for f in fields {
            push_field(&mut msg, f);
        }
        hex::encode(crypto.hmac_sha256(self.secret.as_slice(), &msg))
    }

    /// The link of a certificate by issuer Name (DER) and serial (content octets).
    pub fn certificate(&self, crypto: &dyn CryptoProvider, issuer: &[u8], serial: &[u8]) -> String {
        self.mac(crypto, CERT_CONTEXT, &[issuer, serial])
    }

    /// The link of a [`CertificateRef`].
    pub fn certificate_ref(&self, crypto: &dyn CryptoProvider, c: &CertificateRef) -> String {
        self.certificate(crypto, &c.issuer, &c.serial)
    }

    /// The link of the four facts: name ‖ date of birth (`YYYY-MM-DD`, empty when the
    /// certificate's date is incomplete) ‖ sex code ‖ address, each length-prefixed.
    pub fn facts(&self, crypto: &dyn CryptoProvider, a: &ProofedApplicant) -> String {
        let dob = a
            .date_of_birth
            .map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
            .unwrap_or_default();
        let sex: &[u8] = match a.sex {
            Sex::Male => b"1",
            Sex::Female => b"2",
            _ => b"9",
        };
        self.mac(
            crypto,
            FACTS_CONTEXT,
            &[a.name.as_bytes(), dob.as_bytes(), sex, a.address.as_bytes()],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::crypto::default_provider;
    use kakunin_issuer::proofing::ProofingMethod;

    fn applicant(address: &str) -> ProofedApplicant {
        ProofedApplicant {
            method: ProofingMethod::JpkiCard,
            level: "IAL3",
            name: "山田 花子".into(),
            date_of_birth: Some(time::macros::date!(2000 - 05 - 05)),
            sex: Sex::Female,
            address: address.into(),
            signature_certificate: CertificateRef {
                issuer: vec![1],
                serial: vec![2],
            },
            authentication_certificate: CertificateRef {
                issuer: vec![1],
                serial: vec![3],
            },
            not_after: 0,
        }
    }

    #[test]
    fn links_are_keyed_separated_and_unambiguous() {
        let c = default_provider();
        let k1 = LinkKey::new(Zeroizing::new([1; 32]));
        let k2 = LinkKey::new(Zeroizing::new([2; 32]));
        assert_eq!(
            k1.certificate(c, b"ab", b"c"),
            k1.certificate(c, b"ab", b"c")
        );
        // Length prefixes: moving a byte between issuer and serial changes the link.
        assert_ne!(
            k1.certificate(c, b"ab", b"c"),
            k1.certificate(c, b"a", b"bc")
        );
        // Pairwise: another issuer's secret gives another value.
        assert_ne!(
            k1.certificate(c, b"ab", b"c"),
            k2.certificate(c, b"ab", b"c")
        );
        let a = applicant("東京都千代田区霞が関1-1");
        assert_eq!(
            k1.facts(c, &a),
            k1.facts(c, &applicant("東京都千代田区霞が関1-1"))
        );
        // A move changes the facts link.
        assert_ne!(
            k1.facts(c, &a),
            k1.facts(c, &applicant("大阪府大阪市北区1-1"))
        );
        assert_eq!(k1.facts(c, &a).len(), 64);
        assert!(!format!("{k1:?}").contains('1'));
    }
}
