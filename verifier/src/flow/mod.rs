//! The reader flow (DESIGN.md, floor 3): one sans-IO state machine from engagement to
//! verdict — QR or NFC engagement (ISO 18013-5 clause 8.2), session establishment (9.1.1), a
//! DeviceRequest with readerAuth (8.3.2.1, 9.1.4), the DeviceResponse and its complete report
//! (9.3.1), and the till's verdict ([`crate::verdict`]) — with the SD-JWT VC request of
//! docs/profiles/sd-jwt-proximity.md in the same session when the wallet holds no mdoc.
//!
//! Every transport runs the same flow through one seam,
//! [`kakunin_transport::link::MessageLink`], and one driver, [`run_reader`]. NFC engagement
//! (reading or negotiating the handover) is done by [`engage_nfc`] before the flow starts.

mod config;
mod driver;
mod engagement;
mod machine;

pub use config::{Deadlines, ReaderAuthSigner, ReaderConfig, RequestSpec, SdJwtMode};
pub use driver::{run_reader, run_reader_with, Observer};
pub use engagement::{ble_peripheral_uuid, engage_nfc, Engaged, Engagement, NfcHandoverMode};
pub use machine::{
    link_failure_reason, session_failure_reason, FlowFailure, FlowOutcome, Progress, ReaderFlow,
    Step,
};

/// The reader could not set up or send its own part of the flow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// The QR code is not an `mdoc:` URI with a base64url DeviceEngagement.
    #[error("QR engagement: {0}")]
    Qr(kakunin_transport::qr::QrError),
    /// The NFC handover message does not parse.
    #[error("NFC handover: {0}")]
    Handover(kakunin_transport::handover::HandoverError),
    /// The Handover Select carries no DeviceEngagement record.
    #[error("the Handover Select carries no DeviceEngagement")]
    NoDeviceEngagement,
    /// The DeviceEngagement does not decode.
    #[error("DeviceEngagement: {0}")]
    Engagement(kakunin_core::mdoc::MdocError),
    /// Making the ephemeral key failed.
    #[error("crypto: {0}")]
    Crypto(kakunin_core::crypto::CryptoError),
    /// The session machine refused (an unusable engagement key, a wrong state).
    #[error("session: {0}")]
    Session(kakunin_transport::session::ProximityError),
    /// Signing readerAuth failed.
    #[error("readerAuth: {0}")]
    ReaderAuth(kakunin_core::cose::CoseError),
    /// The flow was driven out of order.
    #[error("not allowed now: {0}")]
    WrongState(&'static str),
}

impl FlowError {
    /// The cause group of this failure.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            FlowError::Qr(_)
            | FlowError::Handover(_)
            | FlowError::NoDeviceEngagement
            | FlowError::Engagement(_) => kakunin_core::Cause::Malformed,
            FlowError::Crypto(e) => e.cause(),
            FlowError::Session(e) => e.cause(),
            FlowError::ReaderAuth(e) => e.cause(),
            FlowError::WrongState(_) => kakunin_core::Cause::Misuse,
        }
    }
}
