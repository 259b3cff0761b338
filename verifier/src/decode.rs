//! The prologue both verification paths share: decode the SessionTranscript (ISO 18013-5
//! clause 9.1.5.1, bare or tag-24-wrapped), then the message it authenticates — a
//! DeviceRequest (8.3.2.1.2.1) for reader authentication, a DeviceResponse (8.3.2.1.2.2) for
//! 9.3.1. Either failing to decode is a response- or request-level
//! [`CheckError::Malformed`]; nothing further can be checked.

use crate::CheckError;
use kakunin_core::mdoc::{MdocError, SessionTranscript};

/// The transcript, then the message decoded by `decode`; the first failure as
/// [`CheckError::Malformed`].
pub(crate) fn transcript_and_message<M>(
    transcript: &[u8],
    message: &[u8],
    decode: impl FnOnce(&[u8]) -> Result<M, MdocError>,
) -> Result<(SessionTranscript, M), CheckError> {
    let transcript = SessionTranscript::from_bytes(transcript)?;
    let message = decode(message)?;
    Ok((transcript, message))
}
