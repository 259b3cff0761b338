//! The JPKI object identifiers the simulator writes: the ones the JPKI client reads
//! ([`kakunin_jpki::oids`], jpki-notes §2.2–§2.6), so the certificates the simulator makes and
//! the profile the issuer checks can never drift apart.

pub use kakunin_jpki::oids::{
    ADDRESS as PD_ADDRESS, ADDRESS_SUBSTITUTE_CHARACTERS as PD_SUBSTITUTE_ADDRESS,
    DATE_OF_BIRTH as PD_DATE_OF_BIRTH, EKU_CLIENT_AUTH as KP_CLIENT_AUTH, NAME as PD_COMMON_NAME,
    NAME_SUBSTITUTE_CHARACTERS as PD_SUBSTITUTE_COMMON_NAME,
    POLICY_CARD_AUTHENTICATION as CARD_AUTHENTICATION_POLICY,
    POLICY_CARD_SIGNATURE as CARD_SIGNATURE_POLICY,
    POLICY_SMARTPHONE_AUTHENTICATION as PHONE_AUTHENTICATION_POLICY,
    POLICY_SMARTPHONE_SIGNATURE as PHONE_SIGNATURE_POLICY, SEX as PD_GENDER,
};

/// sha256WithRSAEncryption (RFC 8017 Appendix C), the signature algorithm of every JPKI
/// certificate and CRL.
pub const SHA256_WITH_RSA: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
