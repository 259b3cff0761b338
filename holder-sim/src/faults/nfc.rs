//! The NFC fault profiles (ISO 18013-5 clauses 8.2.2.1 and 8.3.3.1.2, ISO/IEC 7816-4 status
//! words): a [`Transceive`] wrapper in front of the holder's card ([`crate::HolderCard`]),
//! so the card state machine itself stays correct, and, for `nfc-double-engagement`, a card
//! whose NDEF file offers the engagement twice.

use super::{Fault, FaultError, FaultLayer};
use kakunin_core::crypto::{CryptoProvider, Curve};
use kakunin_core::mdoc::encode_device_engagement;
use kakunin_transport::handover::{build_static_select, NfcCarrier};
use kakunin_transport::nfc::{NfcCard, Transceive};

/// ENVELOPE (clause 8.3.3.1.2).
const INS_ENVELOPE: u8 = 0xc3;
/// GET RESPONSE.
const INS_GET_RESPONSE: u8 = 0xc0;
/// `61 00`: more data, 256 or more bytes (ISO/IEC 7816-4 §5.6).
const SW_MORE_DATA: [u8; 2] = [0x61, 0x00];
/// `6A 80`: incorrect parameters in the command data field — said of a request that was in
/// fact answered.
const SW_WRONG_DATA: [u8; 2] = [0x6a, 0x80];

/// A card in front of another that breaks the answers of the data transfer in one way.
pub struct NfcFaultCard<T> {
    inner: T,
    fault: Fault,
    /// `nfc-61xx-loop`: the chunk answered to every GET RESPONSE once looping.
    looping: Option<Vec<u8>>,
    /// `nfc-wrong-status-words`: the first answer carrying data has been broken.
    broken: bool,
}

impl<T: Transceive> NfcFaultCard<T> {
    /// Put `fault` ([`Fault::Nfc61xxLoop`] or [`Fault::NfcWrongStatusWords`]) in front of
    /// `inner`; [`Fault::NfcDoubleEngagement`] is a card of its own
    /// ([`double_engagement_card`]), and any other profile a [`FaultError::WrongLayer`].
    pub fn new(inner: T, fault: Fault) -> Result<Self, FaultError> {
        match fault {
            Fault::Nfc61xxLoop | Fault::NfcWrongStatusWords => Ok(NfcFaultCard {
                inner,
                fault,
                looping: None,
                broken: false,
            }),
            Fault::NfcDoubleEngagement => Err(FaultError::NotApplicable {
                fault,
                why: "the double engagement is built into the card (double_engagement_card)",
            }),
            other => Err(FaultError::WrongLayer {
                fault: other,
                layer: other.layer(),
                here: FaultLayer::Nfc,
            }),
        }
    }

    /// The card behind.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The card behind, by value.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

/// Whether `answer` carries data and ends in `90 00` or `61 XX`.
fn data_with_success(answer: &[u8]) -> Option<(&[u8], [u8; 2])> {
    let split = answer.len().checked_sub(2).filter(|n| *n > 0)?;
    let (data, sw) = answer.split_at(split);
    match sw {
        [0x90, 0x00] | [0x61, _] => Some((data, [sw.first().copied()?, sw.get(1).copied()?])),
        _ => None,
    }
}

impl<T: Transceive> Transceive for NfcFaultCard<T> {
    type Error = T::Error;

    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        let ins = command.get(1).copied();
        let transfer = matches!(ins, Some(INS_ENVELOPE | INS_GET_RESPONSE));
        if let (Some(chunk), Some(INS_GET_RESPONSE)) = (&self.looping, ins) {
            return Ok([chunk.as_slice(), &SW_MORE_DATA].concat());
        }
        let answer = self.inner.transceive(command)?;
        if !transfer {
            return Ok(answer);
        }
        match (self.fault, data_with_success(&answer)) {
            (Fault::Nfc61xxLoop, Some((data, [0x90, 0x00]))) => {
                // The last chunk of the answer, then "more data" for ever.
                self.looping = Some(data.to_vec());
                Ok([data, &SW_MORE_DATA].concat())
            }
            (Fault::NfcWrongStatusWords, Some((data, _))) if !self.broken => {
                self.broken = true;
                Ok([data, &SW_WRONG_DATA].concat())
            }
            _ => Ok(answer),
        }
    }
}

/// A static-handover card whose NDEF file holds two Handover Select messages back to back:
/// the session's (first, returned with the card) and another with a fresh device key. An
/// NDEF file holds one message (NFC Forum Type 4 Tag; the second begins with MB set again),
/// so a correct reader refuses to engage.
pub fn double_engagement_card(
    crypto: &dyn CryptoProvider,
    device_engagement: &[u8],
    carrier: NfcCarrier,
) -> Result<(NfcCard, Vec<u8>), FaultError> {
    let fail = |_| FaultError::UnexpectedShape("Handover Select");
    let first = build_static_select(device_engagement, None, Some(&carrier)).map_err(fail)?;
    let other_key = crypto
        .generate_key(Curve::P256)
        .map_err(|_| FaultError::UnexpectedShape("second engagement key"))?;
    let other_pub = crypto
        .public_key(&other_key)
        .map_err(|_| FaultError::UnexpectedShape("second engagement key"))?;
    let second = build_static_select(
        &encode_device_engagement(&other_pub, &[]),
        None,
        Some(&carrier),
    )
    .map_err(fail)?;
    let card = NfcCard::new(&[first.as_slice(), &second].concat())
        .map_err(|_| FaultError::UnexpectedShape("NDEF file"))?;
    Ok((card, first))
}
