//! The wallet under test as the suite sees it: something that, for each case, offers a fresh
//! engagement (ISO 18013-5 clause 8.2: a QR code or an NFC handover) and a
//! [`MessageLink`] to run one session over. [`MemoryTarget`] is the in-memory one the tests
//! use: each [`WalletTarget::connect`] makes a fresh QR engagement and hands the holder's
//! end of an in-memory link pair to a closure that starts the wallet (Kakunin's holder
//! loop, with or without a fault profile) on its own thread.

use kakunin_core::crypto::CryptoProvider;
use kakunin_transport::ble_link::BleFramedLink;
use kakunin_transport::link::{memory_pair, LinkError, MemoryEnd, MessageLink};
use kakunin_transport::session::MdocSession;
use kakunin_verifier::flow::Engagement;
use std::time::Instant;

/// Why the suite could not open a session with the wallet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The link to the wallet could not be opened.
    #[error("{step}: {source}")]
    Link {
        /// What was being done (`connect`, `engagement`).
        step: &'static str,
        /// The link's reason.
        source: LinkError,
    },
    /// The wallet (or its engagement) could not be set up.
    #[error("the wallet could not be started: {step}")]
    Start {
        /// What failed.
        step: &'static str,
    },
    /// The PC/SC reader or pcscd failed (no such reader, no card in time, pcscd gone).
    #[cfg(feature = "pcsc")]
    #[error("{step}: {source}")]
    Pcsc {
        /// What was being done (`wait for a card`, `connect to the card`).
        step: &'static str,
        /// pcsc-lite's reason.
        source: kakunin_transport::adapters::pcsc::PcscError,
    },
}

impl TargetError {
    /// The cause group of this failure.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            TargetError::Link { source, .. } => source.cause(),
            TargetError::Start { .. } => kakunin_core::Cause::FailedCheck,
            #[cfg(feature = "pcsc")]
            TargetError::Pcsc { .. } => kakunin_core::Cause::FailedCheck,
        }
    }
}

/// One session with the wallet: the engagement it showed and the link to it.
pub struct WalletSession {
    /// The engagement (QR code or NFC handover) the reader starts from.
    pub engagement: Engagement,
    /// The link carrying this session's messages.
    pub link: Box<dyn MessageLink>,
}

impl core::fmt::Debug for WalletSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WalletSession")
            .field("engagement", &self.engagement)
            .finish_non_exhaustive()
    }
}

/// A wallet under test.
pub trait WalletTarget {
    /// What is tested, for the report (`in-memory holder-sim`, `simulated BLE, mdoc:…`).
    fn describe(&self) -> String;

    /// Open a fresh session (a wallet answers one session per engagement or connection),
    /// giving up at `deadline`.
    fn connect(
        &mut self,
        crypto: &dyn CryptoProvider,
        deadline: Instant,
    ) -> Result<WalletSession, TargetError>;
}

/// How the in-memory link frames messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemoryFraming {
    /// Whole session messages (no transport framing).
    Messages,
    /// BLE GATT framing (clause 8.3.3.1.1) at this ATT MTU: the wallet's end is a raw value
    /// pipe the wallet must frame itself (as a BLE fault profile does).
    Ble {
        /// The ATT MTU.
        mtu: u16,
    },
}

/// An in-memory wallet: `start` gets the holder's session (its ephemeral key, the
/// DeviceEngagementBytes of a fresh QR engagement, Handover null) and the holder's end of
/// the link, and must start the wallet without blocking (on its own thread).
pub struct MemoryTarget<F> {
    name: String,
    framing: MemoryFraming,
    start: F,
}

impl<F> core::fmt::Debug for MemoryTarget<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryTarget")
            .field("name", &self.name)
            .field("framing", &self.framing)
            .finish_non_exhaustive()
    }
}

impl<F: FnMut(MdocSession, MemoryEnd)> MemoryTarget<F> {
    /// A target called `name` whose wallet `start` launches, over whole-message links.
    pub fn new(name: impl Into<String>, start: F) -> Self {
        MemoryTarget {
            name: name.into(),
            framing: MemoryFraming::Messages,
            start,
        }
    }

    /// Frame the link as `framing` (the reader's end frames; the wallet's must too).
    pub fn with_framing(mut self, framing: MemoryFraming) -> Self {
        self.framing = framing;
        self
    }
}

impl<F: FnMut(MdocSession, MemoryEnd)> WalletTarget for MemoryTarget<F> {
    fn describe(&self) -> String {
        match self.framing {
            MemoryFraming::Messages => format!("{} (in memory)", self.name),
            MemoryFraming::Ble { mtu } => {
                format!("{} (in memory, BLE framing, ATT MTU {mtu})", self.name)
            }
        }
    }

    fn connect(
        &mut self,
        crypto: &dyn CryptoProvider,
        _deadline: Instant,
    ) -> Result<WalletSession, TargetError> {
        let (de, _uuid, session) = kakunin_holder_sim::engagement::qr_ble_engagement(crypto)
            .map_err(|_| TargetError::Start {
                step: "the engagement's key",
            })?;
        let uri = kakunin_transport::qr::engagement_uri(&de);
        let (reader_end, holder_end) = memory_pair();
        (self.start)(session, holder_end);
        let link: Box<dyn MessageLink> = match self.framing {
            MemoryFraming::Messages => Box::new(reader_end),
            MemoryFraming::Ble { mtu } => {
                Box::new(BleFramedLink::new(reader_end, mtu).map_err(|source| {
                    TargetError::Link {
                        step: "BLE framing",
                        source,
                    }
                })?)
            }
        };
        Ok(WalletSession {
            engagement: Engagement::Qr { uri },
            link,
        })
    }
}

/// A wallet reached over NFC (ISO 18013-5 clause 8.2.2.1 static handover, 8.3.3.1.2 data
/// transfer, extended-length APDUs): for each case `tap` presents a card — a fresh
/// [`kakunin_holder_sim::HolderCard`] in memory, or a PC/SC card — the suite reads its
/// Handover Select and runs the session over ENVELOPE exchanges. A card whose engagement
/// cannot be read fails the case at connecting.
pub struct NfcTarget<F> {
    name: String,
    tap: F,
}

impl<F> core::fmt::Debug for NfcTarget<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NfcTarget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<F, C> NfcTarget<F>
where
    F: FnMut(&dyn CryptoProvider) -> Result<C, TargetError>,
    C: kakunin_transport::nfc::Transceive + 'static,
{
    /// A target called `name`; `tap` presents a fresh card per session.
    pub fn new(name: impl Into<String>, tap: F) -> Self {
        NfcTarget {
            name: name.into(),
            tap,
        }
    }
}

impl<F, C> WalletTarget for NfcTarget<F>
where
    F: FnMut(&dyn CryptoProvider) -> Result<C, TargetError>,
    C: kakunin_transport::nfc::Transceive + 'static,
{
    fn describe(&self) -> String {
        format!("{} (NFC, static handover, extended APDUs)", self.name)
    }

    fn connect(
        &mut self,
        crypto: &dyn CryptoProvider,
        _deadline: Instant,
    ) -> Result<WalletSession, TargetError> {
        nfc_session((self.tap)(crypto)?)
    }
}

/// Engage with the card in the field (static handover, extended APDUs) and open the data
/// transfer over it: one NFC session.
pub(crate) fn nfc_session<C>(card: C) -> Result<WalletSession, TargetError>
where
    C: kakunin_transport::nfc::Transceive + 'static,
{
    use kakunin_transport::nfc::{NfcReader, ReaderConfig};
    let mut reader = NfcReader::new(card, ReaderConfig::EXTENDED);
    let engagement = kakunin_verifier::flow::engage_nfc(
        &mut reader,
        kakunin_verifier::flow::NfcHandoverMode::Static,
        0x4b4b,
    )
    .map_err(|source| TargetError::Link {
        step: "NFC engagement",
        source,
    })?;
    let link = kakunin_transport::nfc_link::NfcMessageLink::open(reader).map_err(|source| {
        TargetError::Link {
            step: "NFC data transfer",
            source,
        }
    })?;
    Ok(WalletSession {
        engagement,
        link: Box::new(link),
    })
}
