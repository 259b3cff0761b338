//! The checks an SD-JWT VC verification runs, in order, and a stable code for every rejection,
//! so reports (`kakunin verify-sd-jwt --json`, the till) can say which check failed and why in
//! the same shape as the mdoc verification report.

use super::{JwsError, JwtPart, SdJwtError, VcError};

/// One check of SD-JWT VC verification, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SdJwtCheck {
    /// The serialization: sizes, `~` separators, base64url, JSON objects.
    Structure,
    /// The issuer-signed JWT's `typ` (dc+sd-jwt, or vc+sd-jwt when accepted).
    Typ,
    /// The `x5c` chain to a configured trust anchor (skipped with a configured issuer key).
    IssuerCertificateChain,
    /// The issuer's signature (`alg` none and unsupported algorithms refused).
    IssuerSignature,
    /// `_sd_alg`, the Disclosures and the digests that reference them (RFC 9901 §7.1).
    Disclosures,
    /// `exp` and `nbf` against the verification time.
    Validity,
    /// The holder key in `cnf` and the Key Binding JWT (RFC 9901 §7.3).
    KeyBinding,
    /// The SD-JWT VC claims `vct` and `iss`, and the registered claims that must not be
    /// selectively disclosed (draft-ietf-oauth-sd-jwt-vc §3.2.2.2).
    VcClaims,
}

impl SdJwtCheck {
    /// Every check, in order.
    pub const ALL: [SdJwtCheck; 8] = [
        SdJwtCheck::Structure,
        SdJwtCheck::Typ,
        SdJwtCheck::IssuerCertificateChain,
        SdJwtCheck::IssuerSignature,
        SdJwtCheck::Disclosures,
        SdJwtCheck::Validity,
        SdJwtCheck::KeyBinding,
        SdJwtCheck::VcClaims,
    ];

    /// The snake_case name used in reports.
    pub const fn name(self) -> &'static str {
        match self {
            SdJwtCheck::Structure => "structure",
            SdJwtCheck::Typ => "typ",
            SdJwtCheck::IssuerCertificateChain => "issuer_certificate_chain",
            SdJwtCheck::IssuerSignature => "issuer_signature",
            SdJwtCheck::Disclosures => "disclosures",
            SdJwtCheck::Validity => "validity",
            SdJwtCheck::KeyBinding => "key_binding",
            SdJwtCheck::VcClaims => "vc_claims",
        }
    }
}

/// The code of a JWS failure, told apart by the part it is in.
fn jws_code(part: JwtPart, source: &JwsError) -> &'static str {
    let kb = part == JwtPart::KbJwt;
    match source {
        JwsError::BadSignature if kb => "kb_signature",
        JwsError::BadSignature => "issuer_signature",
        JwsError::AlgNone => "alg_none",
        JwsError::UnsupportedAlg(_) => "unsupported_alg",
        JwsError::AlgKeyMismatch { .. } => "alg_key_mismatch",
        JwsError::BadJwk => "bad_holder_key",
        JwsError::BadX5c => "bad_x5c",
        JwsError::Crypto(_) => "crypto",
        JwsError::Malformed | JwsError::NotJsonObject if kb => "malformed_kb_jwt",
        JwsError::Malformed | JwsError::NotJsonObject => "malformed_jwt",
    }
}

impl SdJwtError {
    /// A stable snake_case code for this rejection.
    pub fn code(&self) -> &'static str {
        match self {
            SdJwtError::TooLarge(_) => "too_large",
            SdJwtError::Malformed(_) => "malformed",
            SdJwtError::Jws { part, source } => jws_code(*part, source),
            SdJwtError::UnsupportedSdAlg(_) => "unsupported_sd_alg",
            SdJwtError::BadDisclosure { .. } => "malformed_disclosure",
            SdJwtError::DuplicateDigest(_) => "duplicate_digest",
            SdJwtError::UnreferencedDisclosure { .. } => "unreferenced_disclosure",
            SdJwtError::ForbiddenClaimName(_) => "forbidden_claim_name",
            SdJwtError::ClaimOverwrite(_) => "claim_overwrite",
            SdJwtError::WrongDisclosureKind(_) => "wrong_disclosure_kind",
            SdJwtError::BadSdArray(_) => "malformed_sd",
            SdJwtError::TooDeep => "too_deep",
            SdJwtError::MissingKeyBinding => "kb_missing",
            SdJwtError::NoHolderKey => "no_holder_key",
            SdJwtError::KbTyp => "kb_typ",
            SdJwtError::KbAudience => "kb_audience",
            SdJwtError::KbNonce => "kb_nonce",
            SdJwtError::KbIat => "kb_iat",
            SdJwtError::KbSdHash => "kb_sd_hash",
            SdJwtError::Expired => "expired",
            SdJwtError::NotYetValid => "not_yet_valid",
        }
    }

    /// The check that rejected.
    pub fn check(&self) -> SdJwtCheck {
        match self {
            SdJwtError::TooLarge(_) | SdJwtError::Malformed(_) => SdJwtCheck::Structure,
            SdJwtError::Jws { part, source } => match (*part, source) {
                (JwtPart::X5c, _) => SdJwtCheck::IssuerCertificateChain,
                (JwtPart::KbJwt | JwtPart::CnfJwk, _) => SdJwtCheck::KeyBinding,
                (_, JwsError::Malformed | JwsError::NotJsonObject) => SdJwtCheck::Structure,
                _ => SdJwtCheck::IssuerSignature,
            },
            SdJwtError::UnsupportedSdAlg(_)
            | SdJwtError::BadDisclosure { .. }
            | SdJwtError::DuplicateDigest(_)
            | SdJwtError::UnreferencedDisclosure { .. }
            | SdJwtError::ForbiddenClaimName(_)
            | SdJwtError::ClaimOverwrite(_)
            | SdJwtError::WrongDisclosureKind(_)
            | SdJwtError::BadSdArray(_)
            | SdJwtError::TooDeep => SdJwtCheck::Disclosures,
            SdJwtError::Expired | SdJwtError::NotYetValid => SdJwtCheck::Validity,
            SdJwtError::MissingKeyBinding
            | SdJwtError::NoHolderKey
            | SdJwtError::KbTyp
            | SdJwtError::KbAudience
            | SdJwtError::KbNonce
            | SdJwtError::KbIat
            | SdJwtError::KbSdHash => SdJwtCheck::KeyBinding,
        }
    }
}

impl VcError {
    /// A stable snake_case code for this rejection.
    pub fn code(&self) -> &'static str {
        match self {
            VcError::SdJwt(e) => e.code(),
            VcError::Typ(_) => "typ",
            VcError::MissingClaim(_) => "missing_claim",
            VcError::Untrusted(_) => "untrusted_issuer",
            VcError::SelectivelyDisclosed(_) => "selectively_disclosed_claim",
        }
    }

    /// The check that rejected.
    pub fn check(&self) -> SdJwtCheck {
        match self {
            VcError::SdJwt(e) => e.check(),
            VcError::Typ(_) => SdJwtCheck::Typ,
            VcError::MissingClaim(_) => SdJwtCheck::VcClaims,
            VcError::Untrusted(_) => SdJwtCheck::IssuerCertificateChain,
            VcError::SelectivelyDisclosed(_) => SdJwtCheck::VcClaims,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_checks_ordered() {
        let errors = [
            SdJwtError::TooLarge(1),
            SdJwtError::Malformed(crate::sdjwt::SdJwtMalformed::Empty),
            SdJwtError::UnsupportedSdAlg("md5".into()),
            SdJwtError::BadDisclosure { index: 0 },
            SdJwtError::DuplicateDigest("d".into()),
            SdJwtError::UnreferencedDisclosure { index: 0 },
            SdJwtError::ForbiddenClaimName("_sd".into()),
            SdJwtError::ClaimOverwrite("a".into()),
            SdJwtError::WrongDisclosureKind(String::new()),
            SdJwtError::BadSdArray(String::new()),
            SdJwtError::TooDeep,
            SdJwtError::MissingKeyBinding,
            SdJwtError::NoHolderKey,
            SdJwtError::KbTyp,
            SdJwtError::KbAudience,
            SdJwtError::KbNonce,
            SdJwtError::KbIat,
            SdJwtError::KbSdHash,
            SdJwtError::Expired,
            SdJwtError::NotYetValid,
            SdJwtError::Jws {
                part: JwtPart::IssuerJwt,
                source: JwsError::BadSignature,
            },
            SdJwtError::Jws {
                part: JwtPart::KbJwt,
                source: JwsError::BadSignature,
            },
        ];
        let mut codes: Vec<&str> = errors.iter().map(SdJwtError::code).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "duplicate codes");
        assert_eq!(errors[20].check(), SdJwtCheck::IssuerSignature);
        assert_eq!(errors[21].check(), SdJwtCheck::KeyBinding);
        assert!(SdJwtCheck::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(VcError::Typ(None).check(), SdJwtCheck::Typ);
    }
}
