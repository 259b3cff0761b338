//! Answering an SD-JWT VC request in a proximity session (docs/profiles/sd-jwt-proximity.md):
//! for each requested `vct`, an unused credential of the batch, only the requested and
//! approved claims, and a KB-JWT bound to the session transcript.

use crate::respond::{Consent, HolderError};
use crate::store::CredentialStore;
use kakunin_core::crypto::CryptoProvider;
use kakunin_core::mdoc::SessionTranscript;
use kakunin_core::sdjwt::proximity::{
    decode_request, encode_response, transcript_nonce, PROXIMITY_AUDIENCE,
};
use kakunin_core::sdjwt::{add_key_binding, select_paths};

/// Status when a request cannot be decoded (as DeviceResponse status 11/12).
pub const STATUS_UNDECODABLE: u64 = 12;

/// Build the response to an SD-JWT request; returns it and the claims disclosed per
/// presentation.
pub fn respond_sd_jwt(
    crypto: &dyn CryptoProvider,
    wallet: &dyn CredentialStore,
    request: &[u8],
    transcript: &SessionTranscript,
    consent: &Consent,
    now: time::OffsetDateTime,
) -> Result<(Vec<u8>, Vec<Vec<String>>), HolderError> {
    let Ok(requests) = decode_request(request) else {
        return Ok((encode_response(&[], STATUS_UNDECODABLE), Vec::new()));
    };
    let nonce = transcript_nonce(crypto, transcript);
    let mut presentations = Vec::new();
    let mut disclosed = Vec::new();
    let mut spent = Vec::new();
    for r in &requests {
        let approved: Vec<&str> = r
            .claims
            .iter()
            .filter(|c| match consent {
                Consent::ApproveAll | Consent::OverDisclose => true,
                Consent::Deny => false,
                Consent::ApproveListed(l) => l.iter().any(|a| a == *c),
            })
            .map(String::as_str)
            .collect();
        if approved.is_empty() {
            // Nothing the holder agreed to share: no presentation, no credential spent.
            continue;
        }
        let Some(info) = wallet
            .list()?
            .into_iter()
            .find(|i| i.doc_type == r.vct && !i.used && !spent.contains(&i.id))
        else {
            continue;
        };
        let (sd_jwt, key) = wallet.load_sd_jwt(&info.id)?;
        let Ok((mut selected, missing)) = select_paths(crypto, &sd_jwt, &approved) else {
            continue;
        };
        if *consent == Consent::OverDisclose {
            // The fault: the credential as issued, every Disclosure in it.
            selected = sd_jwt.clone();
        }
        let p = add_key_binding(
            crypto,
            &selected,
            &key,
            PROXIMITY_AUDIENCE,
            &nonce,
            now.unix_timestamp(),
        )
        .map_err(|_| HolderError::MacKey("holder key cannot sign"))?;
        presentations.push(p);
        disclosed.push(
            approved
                .iter()
                .filter(|a| !missing.iter().any(|m| m == *a))
                .map(|s| s.to_string())
                .collect(),
        );
        spent.push(info.id);
    }
    for id in &spent {
        wallet.mark_used(id)?;
    }
    Ok((encode_response(&presentations, 0), disclosed))
}
