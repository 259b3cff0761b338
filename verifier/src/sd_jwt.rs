//! Verifying SD-JWT VC presentations received in a proximity session
//! (docs/profiles/sd-jwt-proximity.md): each must verify with the issuer's `x5c` chain and a
//! KB-JWT whose nonce is bound to this session's transcript.

use kakunin_core::crypto::CryptoProvider;
use kakunin_core::mdoc::{MdocError, SessionTranscript};
use kakunin_core::sdjwt::proximity::{decode_response, transcript_nonce, PROXIMITY_AUDIENCE};
use kakunin_core::sdjwt::{verify_sd_jwt_vc, IssuerKey, KbRequirements, VcError, VerifiedSdJwt};
use kakunin_core::trust::TrustAnchors;

/// What [`verify_sd_jwt_response`] found: the response status and, per presentation, its
/// verification; `Err` when the response itself does not decode.
pub type SdJwtResponseResult = Result<(u64, Vec<Result<VerifiedSdJwt, VcError>>), MdocError>;

/// The status and, per presentation, its verification.
pub fn verify_sd_jwt_response(
    crypto: &dyn CryptoProvider,
    response: &[u8],
    transcript: &SessionTranscript,
    anchors: &TrustAnchors,
    now: time::OffsetDateTime,
) -> SdJwtResponseResult {
    let (presentations, status) = decode_response(response)?;
    let nonce = transcript_nonce(crypto, transcript);
    let kb = KbRequirements {
        required: true,
        aud: PROXIMITY_AUDIENCE,
        nonce: &nonce,
        max_age: time::Duration::minutes(5),
        max_skew: time::Duration::minutes(1),
    };
    let results = presentations
        .iter()
        .map(|p| verify_sd_jwt_vc(crypto, p, IssuerKey::X5c(anchors), Some(&kb), false, now))
        .collect();
    Ok((status, results))
}
