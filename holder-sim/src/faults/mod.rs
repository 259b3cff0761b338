//! A holder that misbehaves on purpose, for interop testing of readers and verifiers: named
//! fault profiles (docs/faults.md says, for each, what it breaks, the clause, and the
//! real-world failure it mimics).
//!
//! A profile acts at one [`FaultLayer`]: on the DeviceResponse the wallet builds, on the
//! session (SessionData status codes), or on the transport's framing (BLE, NFC). Every
//! profile but [`Fault::NonShortestHeads`] makes a presentation a correct reader must refuse.

pub mod ble;
mod cbor_edit;
pub mod nfc;
mod pki;
mod response;
pub mod session;

pub use ble::{BleFaultPipe, Drip};
pub use nfc::{double_engagement_card, NfcFaultCard};
pub use response::{respond_faulty, respond_faulty_or_plain};
pub use session::wrong_moment_status;

use kakunin_core::crypto::EcPrivateKey;
use std::fmt;
use std::str::FromStr;

/// Where a fault profile acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultLayer {
    /// The DeviceResponse (ISO 18013-5 clause 8.3.2.1.2.2, 9.1.2, 9.1.3): usable offline.
    Response,
    /// The session (clause 9.1.1.4, SessionData status, Table 20).
    Session,
    /// BLE framing (clause 8.3.3.1.1).
    Ble,
    /// NFC data transfer (clause 8.3.3.1.2, ISO 7816-4 status words).
    Nfc,
}

/// A named fault profile (`--fault NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// DeviceAuthentication over another SessionTranscript than the session's.
    WrongSessionTranscript,
    /// The DeviceSigned of another session's response, replayed.
    ReplayedDeviceAuth,
    /// An MSO whose validUntil has passed (needs the issuer's DS key to re-sign).
    StaleMso,
    /// An MSO re-signed by a Document Signer under an IACA nobody trusts.
    UntrustedDs,
    /// An IssuerSignedItemBytes re-encoded (same data, other bytes): its digest no longer matches.
    ReencodedTag24,
    /// Two disclosed elements' values swapped: each digest points at the other's item.
    DigestSwap,
    /// An element the reader did not request, disclosed anyway (and authentic).
    ExtraElement,
    /// A disclosed element moved under another namespace than the one it was signed in.
    ElementUnderOtherNamespace,
    /// The Document's docType differs from the MSO's.
    WrongDocType,
    /// DeviceSigned without deviceAuth.
    MissingDeviceAuth,
    /// DeviceMac where DeviceSignature is expected (a MAC no reader key can check).
    DeviceMacInsteadOfSignature,
    /// deviceSignature with the DeviceAuthentication payload attached instead of nil.
    AttachedPayload,
    /// A CBOR map in the DeviceResponse with a duplicated key.
    DuplicateMapKeys,
    /// Non-shortest CBOR heads outside the signed structures: valid, a reader must accept.
    NonShortestHeads,
    /// SessionData status 10 (decryption error) though the request decrypted.
    Status10WrongMoment,
    /// SessionData status 11 (CBOR decoding error) though the request decoded.
    Status11WrongMoment,
    /// SessionData status 20 (termination) instead of the response.
    Status20WrongMoment,
    /// BLE: a first write larger than the negotiated ATT MTU allows.
    BleOversizeFirstWrite,
    /// BLE: a wrong continuation byte (not 0x01 on non-final, not 0x00 on final chunks).
    BleWrongContinuationByte,
    /// BLE: one notification of the response never sent.
    BleNotificationDropped,
    /// BLE: disconnect in the middle of the response.
    BleDisconnectMidResponse,
    /// BLE: the response dripped slowly, one small chunk at a time, past any sane deadline.
    BleSlowDrip,
    /// NFC: answers 61xx (more data) forever to GET RESPONSE.
    Nfc61xxLoop,
    /// NFC: wrong ISO 7816-4 status words on ENVELOPE answers.
    NfcWrongStatusWords,
    /// NFC: the engagement (handover) offered twice, the second different from the first.
    NfcDoubleEngagement,
}

impl Fault {
    /// Every profile, in the order docs/faults.md lists them.
    pub const ALL: &'static [Fault] = &[
        Fault::WrongSessionTranscript,
        Fault::ReplayedDeviceAuth,
        Fault::StaleMso,
        Fault::UntrustedDs,
        Fault::ReencodedTag24,
        Fault::DigestSwap,
        Fault::ExtraElement,
        Fault::ElementUnderOtherNamespace,
        Fault::WrongDocType,
        Fault::MissingDeviceAuth,
        Fault::DeviceMacInsteadOfSignature,
        Fault::AttachedPayload,
        Fault::DuplicateMapKeys,
        Fault::NonShortestHeads,
        Fault::Status10WrongMoment,
        Fault::Status11WrongMoment,
        Fault::Status20WrongMoment,
        Fault::BleOversizeFirstWrite,
        Fault::BleWrongContinuationByte,
        Fault::BleNotificationDropped,
        Fault::BleDisconnectMidResponse,
        Fault::BleSlowDrip,
        Fault::Nfc61xxLoop,
        Fault::NfcWrongStatusWords,
        Fault::NfcDoubleEngagement,
    ];

    /// The profile's `--fault` name.
    pub fn name(self) -> &'static str {
        match self {
            Fault::WrongSessionTranscript => "wrong-session-transcript",
            Fault::ReplayedDeviceAuth => "replayed-device-auth",
            Fault::StaleMso => "stale-mso",
            Fault::UntrustedDs => "untrusted-ds",
            Fault::ReencodedTag24 => "reencoded-tag24",
            Fault::DigestSwap => "digest-swap",
            Fault::ExtraElement => "extra-element",
            Fault::ElementUnderOtherNamespace => "element-under-other-namespace",
            Fault::WrongDocType => "wrong-doctype",
            Fault::MissingDeviceAuth => "missing-device-auth",
            Fault::DeviceMacInsteadOfSignature => "device-mac-instead-of-signature",
            Fault::AttachedPayload => "attached-payload",
            Fault::DuplicateMapKeys => "duplicate-map-keys",
            Fault::NonShortestHeads => "non-shortest-heads",
            Fault::Status10WrongMoment => "status-10-wrong-moment",
            Fault::Status11WrongMoment => "status-11-wrong-moment",
            Fault::Status20WrongMoment => "status-20-wrong-moment",
            Fault::BleOversizeFirstWrite => "ble-oversize-first-write",
            Fault::BleWrongContinuationByte => "ble-wrong-continuation-byte",
            Fault::BleNotificationDropped => "ble-notification-dropped",
            Fault::BleDisconnectMidResponse => "ble-disconnect-mid-response",
            Fault::BleSlowDrip => "ble-slow-drip",
            Fault::Nfc61xxLoop => "nfc-61xx-loop",
            Fault::NfcWrongStatusWords => "nfc-wrong-status-words",
            Fault::NfcDoubleEngagement => "nfc-double-engagement",
        }
    }

    /// Where the profile acts.
    pub fn layer(self) -> FaultLayer {
        match self {
            Fault::Status10WrongMoment
            | Fault::Status11WrongMoment
            | Fault::Status20WrongMoment => FaultLayer::Session,
            Fault::BleOversizeFirstWrite
            | Fault::BleWrongContinuationByte
            | Fault::BleNotificationDropped
            | Fault::BleDisconnectMidResponse
            | Fault::BleSlowDrip => FaultLayer::Ble,
            Fault::Nfc61xxLoop | Fault::NfcWrongStatusWords | Fault::NfcDoubleEngagement => {
                FaultLayer::Nfc
            }
            _ => FaultLayer::Response,
        }
    }

    /// A correct reader must refuse what this profile produces (all but
    /// [`Fault::NonShortestHeads`], which stays valid). [`Fault::ExtraElement`] is refused in
    /// the sense that the unrequested element must be neither judged nor shown.
    pub fn must_be_refused(self) -> bool {
        !matches!(self, Fault::NonShortestHeads)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--fault` name that names no profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault profile {0:?} (see docs/faults.md)")]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFault(s.to_string()))
    }
}

/// What some Response-layer profiles need and a wallet does not have.
#[derive(Clone, Copy, Default)]
pub struct FaultKit<'a> {
    /// The issuer's Document Signer, for [`Fault::StaleMso`] (which re-signs the MSO).
    pub issuer: Option<IssuerSigner<'a>>,
    /// An earlier DeviceResponse of this wallet, for [`Fault::ReplayedDeviceAuth`]: its first
    /// document's DeviceSigned is replayed. Without one, the profile signs over a synthetic
    /// other session (another reader key) instead.
    pub earlier_response: Option<&'a [u8]>,
}

impl fmt::Debug for FaultKit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultKit")
            .field("issuer", &self.issuer.map(|_| "DS key (redacted)"))
            .field("earlier_response", &self.earlier_response.map(<[u8]>::len))
            .finish()
    }
}

/// A Document Signer's key and the x5chain to put in issuerAuth (clause 9.1.2.4: the DS
/// certificate, optionally followed by intermediates).
#[derive(Clone, Copy)]
pub struct IssuerSigner<'a> {
    /// The DS private key.
    pub key: &'a EcPrivateKey,
    /// The DS certificate chain (DER), leaf first.
    pub x5chain: &'a [Vec<u8>],
}

/// A fault profile could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultError {
    /// The profile acts at another layer than the caller applies (e.g. a BLE profile given to
    /// `holder respond`, which makes a DeviceResponse only).
    #[error("fault profile {fault} acts on the {layer} layer, not here (the {here} layer)")]
    WrongLayer {
        /// The profile.
        fault: Fault,
        /// Where it acts.
        layer: FaultLayer,
        /// Where it was applied.
        here: FaultLayer,
    },
    /// `stale-mso` re-signs the MSO and needs the issuer's Document Signer key.
    #[error("{fault} needs the issuer's DS key (--fault-pki DIR)")]
    NeedsIssuerKey {
        /// The profile.
        fault: Fault,
    },
    /// The presentation offers nothing this profile can break (says what is missing).
    #[error("{fault} cannot be applied: {why}")]
    NotApplicable {
        /// The profile.
        fault: Fault,
        /// What the presentation lacks.
        why: &'static str,
    },
    /// A structure the profile edits does not have the shape Kakunin built it with.
    #[error("unexpected structure while applying a fault: {0}")]
    UnexpectedShape(&'static str),
    /// Building the throwaway IACA or DS of `untrusted-ds` failed at this step.
    #[error("building the untrusted DS failed: {0}")]
    RoguePki(&'static str),
}

impl FaultError {
    /// The cause group: asking for a profile where it cannot act is misuse; a structure of
    /// the wrong shape is malformed.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            FaultError::WrongLayer { .. }
            | FaultError::NeedsIssuerKey { .. }
            | FaultError::NotApplicable { .. }
            | FaultError::RoguePki(_) => kakunin_core::Cause::Misuse,
            FaultError::UnexpectedShape(_) => kakunin_core::Cause::Malformed,
        }
    }
}

impl fmt::Display for FaultLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultLayer::Response => "response",
            FaultLayer::Session => "session",
            FaultLayer::Ble => "BLE",
            FaultLayer::Nfc => "NFC",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>(), Ok(*f));
            assert!(seen.insert(f.name()), "duplicate name {}", f.name());
        }
        assert!(Fault::ALL.len() >= 20);
        assert!("no-such-fault".parse::<Fault>().is_err());
    }
}
