//! The JPKI object identifiers the simulator writes (jpki-notes §2.2, §2.3, §2.5, §2.6, KJUR's
//! registry). Kept in this one file so that, once `kakunin_jpki::oids` is on main, these
//! constants can be swapped for re-exports of it in one place.

use const_oid::ObjectIdentifier;

/// Card signature certificate policy, "jpki-cp-sign-class20" (notes §2.2, §2.5).
pub const CARD_SIGNATURE_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.1.20");
/// Card authentication certificate policy, "jpki-cp-auth-class30" (notes §2.3, §2.5).
pub const CARD_AUTHENTICATION_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.3.30");
/// Smartphone signature certificate policy: reported, **unverified** (notes §2.2, §2.6).
pub const PHONE_SIGNATURE_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.1.40");
/// Smartphone authentication certificate policy: **our assumption, unverified** (by analogy
/// with the signature one; session 15 convention).
pub const PHONE_AUTHENTICATION_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.3.40");

/// subjectAltName otherName: 氏名, the name as registered (notes §2.2, 5.5.1).
pub const PD_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.1");
/// otherName: substitute-character flags of the name (5.5.2).
pub const PD_SUBSTITUTE_COMMON_NAME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.2");
/// otherName: 性別, sex code (5.5.3).
pub const PD_GENDER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.3");
/// otherName: 生年月日, `GYYYYMMDD` (5.5.4).
pub const PD_DATE_OF_BIRTH: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.4");
/// otherName: 住所, the address (5.5.5).
pub const PD_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.5");
/// otherName: substitute-character flags of the address (5.5.6).
pub const PD_SUBSTITUTE_ADDRESS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.6");

/// id-kp-clientAuth (RFC 5280 §4.2.1.12), the authentication certificate's EKU (notes §2.3).
pub const KP_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
/// sha256WithRSAEncryption (RFC 8017 Appendix C), the signature of every JPKI certificate and CRL.
pub const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
