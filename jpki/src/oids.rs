//! The object identifiers of JPKI (/work/shared/jpki-notes.md §2.2, §2.3, §2.5; KJUR's
//! `jsrsasign-oid-jpki` registry): certificate policies, which tell card from smartphone
//! certificates, and the subjectAltName otherNames of the signature certificate's four facts.

use const_oid::ObjectIdentifier;

/// Card signature certificate policy (`jpki-cp-sign-class20`, notes §2.2).
pub const POLICY_CARD_SIGNATURE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.1.20");
/// Card user-authentication certificate policy (`auth class30`, notes §2.3).
pub const POLICY_CARD_AUTHENTICATION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.3.30");
/// Smartphone signature certificate policy: reported by one public guide, **unverified**
/// against the J-LIS profile (notes §2.2, §2.6).
pub const POLICY_SMARTPHONE_SIGNATURE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.1.40");
/// Smartphone user-authentication certificate policy: **Kakunin's assumption** (by analogy
/// with the signature policy), not confirmed by any artefact.
pub const POLICY_SMARTPHONE_AUTHENTICATION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.1.3.40");

/// 氏名 (`jpki-pd-commonName`).
pub const NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.1");
/// 氏名代替文字の使用位置情報: `0`/`1` flags marking substitute characters in the name.
pub const NAME_SUBSTITUTE_CHARACTERS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.2");
/// 性別 (`jpki-pd-gender`): `1` male, `2` female.
pub const SEX: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.3");
/// 生年月日 (`jpki-pd-dateOfBirth`): `GYYYYMMDD`, an era digit and the Gregorian date.
pub const DATE_OF_BIRTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.4");
/// 住所 (`jpki-pd-address`).
pub const ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.5");
/// 住所代替文字の使用位置情報: `0`/`1` flags marking substitute characters in the address.
pub const ADDRESS_SUBSTITUTE_CHARACTERS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.200149.8.5.5.6");

/// id-kp-clientAuth (RFC 5280 §4.2.1.12), the authentication certificate's EKU.
pub const EKU_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
