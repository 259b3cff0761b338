//! SD-JWT (RFC 9901) and SD-JWT VC: compact JWS with the crypto provider, Disclosures,
//! issuance with `_sd` digests (objects, array elements, nested, decoys), presentation with a
//! Key Binding JWT, and verification of every MUST of RFC 9901 §7.
//!
//! As with mdoc, the received encodings are the truth: digests are computed over each
//! Disclosure exactly as received (its base64url text), and `sd_hash` over the presentation
//! text as received.

mod checks;
mod disclosure;
mod issue;
mod json_serialization;
mod jws;
pub mod proximity;

/// The `vct` of the Japanese PID as an SD-JWT VC (docs/profiles/jp-pid-mdoc.md).
pub const JP_PID_VCT: &str = "urn:kakunin:jp-pid:1";
mod vc;
mod verify;

#[cfg(test)]
mod tests;

pub use checks::SdJwtCheck;
pub use disclosure::Disclosure;
pub use issue::{
    add_key_binding, issue, issue_with, pointer_token, random_bytes_per_sd_jwt, select,
    select_frame, select_paths, SdSpec, SALT_BYTES,
};
pub use json_serialization::{verify_json_presentation, JsonSdJwt, JsonSignature, MAX_SIGNATURES};
pub(crate) use jws::{header_alg, header_x5c};
pub use jws::{jwk_to_key, key_to_jwk, EncodedHeader, Jws, JwsError};
pub use vc::{verify_sd_jwt_vc, IssuerKey, VcClaim, VcError, NEVER_DISCLOSABLE};
pub use verify::{
    verify_presentation, JsonMember, JwtPart, KbRequirements, SdJwtError, SdJwtMalformed,
    VerifiedSdJwt,
};

/// Largest SD-JWT (with disclosures and KB-JWT) accepted, in bytes.
pub const MAX_SD_JWT: usize = 1024 * 1024;
/// Most Disclosures in one SD-JWT.
pub const MAX_DISCLOSURES: usize = 4096;
/// Deepest JSON nesting processed.
pub const MAX_DEPTH: usize = 32;

/// base64url without padding.
pub(crate) fn b64(data: &[u8]) -> String {
    crate::base64url::encode(data)
}

/// base64url without padding, decoded; `None` if not valid.
pub(crate) fn unb64(s: &str) -> Option<Vec<u8>> {
    crate::base64url::decode(s)
}

/// The `_sd_alg` names RFC 9901 uses (IANA "Named Information Hash Algorithm").
pub fn sd_alg(name: &str) -> Option<crate::crypto::HashAlg> {
    match name {
        "sha-256" => Some(crate::crypto::HashAlg::Sha256),
        "sha-384" => Some(crate::crypto::HashAlg::Sha384),
        "sha-512" => Some(crate::crypto::HashAlg::Sha512),
        _ => None,
    }
}
