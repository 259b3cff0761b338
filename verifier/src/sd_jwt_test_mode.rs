//! The SD-JWT VC test mode without key binding (`kakunin verify-sd-jwt --no-key-binding`,
//! issue 18): an issuer-signed SD-JWT VC (RFC 9901 §4, no KB-JWT) checked for everything but
//! the holder's possession of the key (RFC 9901 §7.3 is not required). This is an explicit
//! interop-testing policy, never a till's: nothing that calls the till's verdict uses it, and a
//! presentation verified this way proves nothing about who presented it.
//!
//! A presentation that does carry a KB-JWT is verified as usual when the expected `aud` and
//! `nonce` are given (a bad KB-JWT then fails); without them the KB-JWT is reported
//! [`KeyBindingOutcome::Unchecked`], never as verified.

use kakunin_core::crypto::CryptoProvider;
use kakunin_core::sdjwt::{
    verify_sd_jwt_vc, IssuerKey, JsonSdJwt, KbRequirements, VcError, VerifiedSdJwt,
};
use time::OffsetDateTime;

/// What became of the Key Binding JWT in the no-key-binding test mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyBindingOutcome {
    /// A KB-JWT was present and verified against the given `aud` and `nonce`.
    Verified,
    /// No KB-JWT: accepted only because the test mode does not require one.
    Absent,
    /// A KB-JWT was present but not checked (no `aud`/`nonce` to check it against).
    Unchecked,
}

impl KeyBindingOutcome {
    /// The stable snake_case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            KeyBindingOutcome::Verified => "verified",
            KeyBindingOutcome::Absent => "absent",
            KeyBindingOutcome::Unchecked => "unchecked",
        }
    }

    /// The line a report prints: always says the test mode.
    pub fn describe(self) -> &'static str {
        match self {
            KeyBindingOutcome::Verified => {
                "no key binding required (test mode); the KB-JWT present verified"
            }
            KeyBindingOutcome::Absent => {
                "no key binding (test mode): no KB-JWT, the holder is not authenticated"
            }
            KeyBindingOutcome::Unchecked => {
                "no key binding (test mode): a KB-JWT is present but unchecked (no --aud/--nonce)"
            }
        }
    }
}

/// The expected KB-JWT `aud` and `nonce` when a present KB-JWT is to be verified anyway.
#[derive(Debug, Clone, Copy)]
pub struct KbExpectation<'a> {
    /// The expected `aud`.
    pub aud: &'a str,
    /// The expected `nonce`.
    pub nonce: &'a str,
}

/// Whether the presentation (compact, or JWS JSON Serialization of RFC 9901 §8) carries a
/// KB-JWT; `None` when it does not parse (the verification then says why).
fn carries_kb_jwt(presentation: &str) -> Option<bool> {
    let text = presentation.trim();
    if text.starts_with('{') {
        JsonSdJwt::parse(text).ok().map(|j| j.kb_jwt.is_some())
    } else {
        // Compact: `<JWT>~<D>~...~<KB-JWT>`; an issuer-signed SD-JWT ends with `~`.
        text.rsplit('~').next().map(|last| !last.is_empty())
    }
}

/// Verify an SD-JWT VC without requiring key binding (the module's test mode): the issuer
/// signature, `x5c` chain or configured key, Disclosures, validity and SD-JWT VC claims, with
/// what became of the KB-JWT.
pub fn verify_sd_jwt_vc_without_key_binding(
    crypto: &dyn CryptoProvider,
    presentation: &str,
    issuer: IssuerKey<'_>,
    expect: Option<KbExpectation<'_>>,
    accept_vc_sd_jwt: bool,
    now: OffsetDateTime,
) -> Result<(VerifiedSdJwt, KeyBindingOutcome), VcError> {
    let kb = expect.map(|e| KbRequirements {
        required: false,
        aud: e.aud,
        nonce: e.nonce,
        max_age: time::Duration::minutes(5),
        max_skew: time::Duration::minutes(1),
    });
    let verified = verify_sd_jwt_vc(
        crypto,
        presentation,
        issuer,
        kb.as_ref(),
        accept_vc_sd_jwt,
        now,
    )?;
    let outcome = match (verified.key_bound, carries_kb_jwt(presentation)) {
        (true, _) => KeyBindingOutcome::Verified,
        (false, Some(true)) => KeyBindingOutcome::Unchecked,
        (false, _) => KeyBindingOutcome::Absent,
    };
    Ok((verified, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::crypto::{default_provider, Curve};
    use kakunin_core::sdjwt::{add_key_binding, issue, key_to_jwk, SdJwtError, SdSpec};
    use serde_json::{json, Map, Value};

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn without_key_binding_each_case() {
        let c = default_provider();
        let issuer = c.generate_key(Curve::P256).unwrap();
        let holder = c.generate_key(Curve::P256).unwrap();
        let pubkey = c.public_key(&issuer).unwrap();
        let Value::Object(claims) = json!({
            "iss": "https://issuer.example", "vct": "urn:kakunin:jp-pid:1",
            "exp": NOW + 3600, "cnf": {"jwk": key_to_jwk(&c.public_key(&holder).unwrap())},
            "age_equal_or_over": {"20": true},
        }) else {
            unreachable!()
        };
        let mut header = Map::new();
        header.insert("typ".into(), Value::from("dc+sd-jwt"));
        let sd = SdSpec {
            pointers: &["/age_equal_or_over/20"],
            decoys_per_object: 1,
            decoys_per_array: 0,
            sd_alg: kakunin_core::crypto::HashAlg::Sha256,
        };
        let issued = issue(c, &issuer, header, &claims, &sd).unwrap();
        let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
        let key = IssuerKey::Key(&pubkey);
        let expect = KbExpectation {
            aud: "a",
            nonce: "n",
        };
        // No KB-JWT: accepted, reported absent (whether or not aud/nonce are given).
        for e in [None, Some(expect)] {
            let (v, o) =
                verify_sd_jwt_vc_without_key_binding(c, &issued, key, e, false, now).unwrap();
            assert_eq!(o, KeyBindingOutcome::Absent);
            assert!(!v.key_bound);
            assert_eq!(v.claims["age_equal_or_over"]["20"], true);
        }
        // The default (KB required) still refuses it.
        let kb = KbRequirements {
            required: true,
            aud: "a",
            nonce: "n",
            max_age: time::Duration::minutes(5),
            max_skew: time::Duration::minutes(1),
        };
        assert_eq!(
            verify_sd_jwt_vc(c, &issued, key, Some(&kb), false, now).unwrap_err(),
            VcError::SdJwt(SdJwtError::MissingKeyBinding)
        );
        // With a KB-JWT: verified when aud/nonce are given, unchecked otherwise, and a wrong
        // nonce fails when it is checked.
        let bound = add_key_binding(c, &issued, &holder, "a", "n", NOW).unwrap();
        let (v, o) =
            verify_sd_jwt_vc_without_key_binding(c, &bound, key, Some(expect), false, now).unwrap();
        assert_eq!(o, KeyBindingOutcome::Verified);
        assert!(v.key_bound);
        let (_, o) =
            verify_sd_jwt_vc_without_key_binding(c, &bound, key, None, false, now).unwrap();
        assert_eq!(o, KeyBindingOutcome::Unchecked);
        let wrong = KbExpectation {
            aud: "a",
            nonce: "other",
        };
        assert_eq!(
            verify_sd_jwt_vc_without_key_binding(c, &bound, key, Some(wrong), false, now)
                .unwrap_err(),
            VcError::SdJwt(SdJwtError::KbNonce)
        );
        assert!(KeyBindingOutcome::Unchecked
            .describe()
            .contains("test mode"));
    }
}
