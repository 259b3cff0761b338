//! A simulated BLE GATT link, in memory, for tests and benchmarks: a configurable MTU,
//! per-write latency and bandwidth (a modelled clock, never a real one), and injected faults
//! (disconnect mid-message, a dropped notification, a duplicated write). [`transaction`]
//! runs a whole mdoc peripheral-server-mode exchange through it with the real session state
//! machines.

use crate::ble::{fragment, BleError, Reassembler, STATE_END, STATE_START};
use crate::session::{Event, MdocSession, ProximityError, ReaderSession, MAX_MESSAGE};
use kakunin_core::crypto::CryptoProvider;
use std::time::Duration;

/// Link parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkConfig {
    /// ATT MTU both sides chunk for.
    pub mtu: u16,
    /// Time per characteristic write or notification, before its bytes.
    pub latency_per_value: Duration,
    /// Throughput of the link, in bytes of ATT PDU per second.
    pub bytes_per_second: u64,
}

impl LinkConfig {
    /// A typical phone link: the given MTU, 7.5 ms connection events, 30 KB/s.
    pub fn typical(mtu: u16) -> Self {
        LinkConfig {
            mtu,
            latency_per_value: Duration::ZERO,
            bytes_per_second: 30_000,
        }
    }
}

/// Faults to inject; counts are 0-based over all values on the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Lose the connection after this many values.
    pub disconnect_after: Option<usize>,
    /// Drop this Server2Client notification (index among notifications).
    pub drop_notification: Option<usize>,
    /// Deliver this Client2Server write twice (index among writes).
    pub duplicate_write: Option<usize>,
}

/// What crossed the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Characteristic values carried (writes, notifications, State, Ident).
    pub values: usize,
    /// Message bytes carried (each value less its flag byte).
    pub payload_bytes: usize,
    /// ATT PDUs: each value plus its 3-byte ATT header.
    pub bytes_on_air: usize,
    /// Modelled transfer time.
    pub elapsed: Duration,
}

/// The simulated link between a GATT client (reader) and server (mdoc).
#[derive(Debug)]
pub struct SimLink {
    cfg: LinkConfig,
    faults: Faults,
    stats: LinkStats,
    writes: usize,
    notifications: usize,
}

impl SimLink {
    /// A link with these parameters and faults.
    pub fn new(cfg: LinkConfig, faults: Faults) -> Self {
        SimLink {
            cfg,
            faults,
            stats: LinkStats::default(),
            writes: 0,
            notifications: 0,
        }
    }

    /// What has crossed the link so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    fn carry(&mut self, value: &[u8]) -> Result<(), BleError> {
        if self.faults.disconnect_after == Some(self.stats.values) {
            return Err(BleError::Disconnected {
                chunks: self.stats.values,
            });
        }
        self.stats.values += 1;
        self.stats.payload_bytes += value.len().saturating_sub(1);
        self.stats.bytes_on_air += value.len() + 3;
        let bytes =
            Duration::from_secs_f64((value.len() + 3) as f64 / self.cfg.bytes_per_second as f64);
        self.stats.elapsed += self.cfg.latency_per_value + bytes;
        Ok(())
    }

    /// Client2Server: the values the server receives for `message`.
    pub fn write(&mut self, message: &[u8]) -> Result<Vec<Vec<u8>>, BleError> {
        let mut delivered = Vec::new();
        for v in fragment(message, self.cfg.mtu)? {
            self.carry(&v)?;
            if self.faults.duplicate_write == Some(self.writes) {
                delivered.push(v.clone());
            }
            self.writes += 1;
            delivered.push(v);
        }
        Ok(delivered)
    }

    /// Server2Client notifications: the values the client receives for `message`.
    pub fn notify(&mut self, message: &[u8]) -> Result<Vec<Vec<u8>>, BleError> {
        let mut delivered = Vec::new();
        for v in fragment(message, self.cfg.mtu)? {
            self.carry(&v)?;
            let dropped = self.faults.drop_notification == Some(self.notifications);
            self.notifications += 1;
            if !dropped {
                delivered.push(v);
            }
        }
        Ok(delivered)
    }
}

/// Why a simulated transaction failed, on the side that saw it first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// The link failed or a message did not reassemble.
    #[error("BLE: {0}")]
    Link(BleError),
    /// The mdoc's session failed.
    #[error("mdoc: {0}")]
    Mdoc(ProximityError),
    /// The reader's session failed.
    #[error("reader: {0}")]
    Reader(ProximityError),
}

/// The end state of a transaction.
#[derive(Debug)]
pub struct Transaction {
    /// The DeviceResponse the reader received, or the first failure.
    pub result: Result<Vec<u8>, TransactionError>,
    /// Whether the reader's session ended.
    pub reader_closed: bool,
    /// Whether the mdoc's session ended.
    pub mdoc_closed: bool,
    /// What crossed the link.
    pub stats: LinkStats,
}

fn reassemble(values: &[Vec<u8>], mtu: u16) -> Result<Vec<u8>, BleError> {
    let mut r = Reassembler::new(mtu, MAX_MESSAGE)?;
    for v in values {
        if let Some(m) = r.push(v)? {
            return Ok(m);
        }
    }
    Err(BleError::Incomplete)
}

/// Which side is the GATT server (clause 8.3.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The mdoc is the GATT server; the reader writes requests and gets notified responses.
    PeripheralServer,
    /// The reader is the GATT server and serves `served_ident` in its Ident characteristic;
    /// the mdoc reads and checks it first, then gets notified requests and writes responses.
    CentralClient {
        /// The Ident value the reader's GATT server presents.
        served_ident: [u8; 16],
    },
}

/// One request/response over the simulated link: the client writes State 0x01, the reader's
/// SessionEstablishment goes to the mdoc, the mdoc answers through `responder` (DeviceRequest
/// in, DeviceResponse out), the reader ends the session. In central client mode the mdoc
/// first reads Ident and refuses a reader whose Ident is not HKDF(EDeviceKeyBytes, "BLEIdent").
/// Any failure ends both sides cleanly: the failing side sends its status message if the link
/// still works, and the transaction reports which side failed and why.
pub fn transaction(
    crypto: &dyn CryptoProvider,
    link: &mut SimLink,
    reader: &mut ReaderSession,
    mdoc: &mut MdocSession,
    device_request: &[u8],
    responder: &mut dyn FnMut(&[u8]) -> Vec<u8>,
) -> Transaction {
    transaction_in_mode(
        crypto,
        link,
        Mode::PeripheralServer,
        reader,
        mdoc,
        device_request,
        responder,
    )
}

/// [`transaction`] in either mode.
pub fn transaction_in_mode(
    crypto: &dyn CryptoProvider,
    link: &mut SimLink,
    mode: Mode,
    reader: &mut ReaderSession,
    mdoc: &mut MdocSession,
    device_request: &[u8],
    responder: &mut dyn FnMut(&[u8]) -> Vec<u8>,
) -> Transaction {
    // Reader-to-mdoc goes by write in peripheral server mode, by notification in central
    // client mode; mdoc-to-reader the other way.
    let central = matches!(mode, Mode::CentralClient { .. });
    let to_mdoc = |link: &mut SimLink, m: &[u8]| {
        if central {
            link.notify(m)
        } else {
            link.write(m)
        }
    };
    let to_reader = |link: &mut SimLink, m: &[u8]| {
        if central {
            link.write(m)
        } else {
            link.notify(m)
        }
    };
    let mtu = link.cfg.mtu;
    let result = (|| {
        if let Mode::CentralClient { served_ident } = mode {
            // The mdoc reads Ident before anything else.
            link.carry(&served_ident).map_err(TransactionError::Link)?;
            let expected =
                kakunin_core::mdoc::DeviceEngagement::from_tagged(mdoc.device_engagement_bytes())
                    .map_err(|e| TransactionError::Mdoc(ProximityError::Engagement(e)))
                    .and_then(|de| {
                        crate::ble::ident(crypto, &de.security.e_device_key_bytes)
                            .map_err(|e| TransactionError::Mdoc(ProximityError::Crypto(e)))
                    })?;
            if served_ident != expected {
                return Err(TransactionError::Link(BleError::IdentMismatch));
            }
        }
        // Start: the client writes 0x01 to State.
        link.carry(&[STATE_START]).map_err(TransactionError::Link)?;
        let establishment = reader
            .request(crypto, device_request)
            .map_err(TransactionError::Reader)?;
        let values = to_mdoc(link, &establishment).map_err(TransactionError::Link)?;
        let received = reassemble(&values, mtu).map_err(TransactionError::Link)?;
        let request = match mdoc.handle(crypto, &received) {
            Ok(Event::Request(r)) => r,
            Ok(_) => {
                return Err(TransactionError::Mdoc(ProximityError::WrongState {
                    state: "mdoc",
                    action: "no request",
                }))
            }
            Err(e) => {
                // Tell the reader why, then stop.
                if let Some(msg) = e.message_to_send() {
                    if let Ok(values) = to_reader(link, msg) {
                        if let Ok(m) = reassemble(&values, mtu) {
                            let _ = reader.handle(crypto, &m);
                        }
                    }
                }
                return Err(TransactionError::Mdoc(e));
            }
        };
        let response = responder(&request);
        let data = mdoc
            .respond(crypto, &response, false)
            .map_err(TransactionError::Mdoc)?;
        let values = to_reader(link, &data).map_err(TransactionError::Link)?;
        let received = reassemble(&values, mtu).map_err(TransactionError::Link)?;
        match reader.handle(crypto, &received) {
            Ok(Event::Response { response, .. }) => {
                let end = reader.terminate();
                if to_mdoc(link, &end).is_ok() {
                    let _ = mdoc.handle(crypto, &end);
                }
                let _ = link.carry(&[STATE_END]);
                Ok(response)
            }
            Ok(_) => Err(TransactionError::Reader(ProximityError::WrongState {
                state: "reader",
                action: "no response",
            })),
            Err(e) => {
                if let Some(msg) = e.message_to_send() {
                    if let Ok(values) = to_mdoc(link, msg) {
                        if let Ok(m) = reassemble(&values, mtu) {
                            let _ = mdoc.handle(crypto, &m);
                        }
                    }
                }
                Err(TransactionError::Reader(e))
            }
        }
    })();
    // A lost link or an incomplete message ends both sessions at the transport level (State
    // 0x02 / disconnect), without further session messages.
    if matches!(result, Err(TransactionError::Link(_))) {
        reader.terminate();
        mdoc.terminate();
    }
    Transaction {
        result,
        reader_closed: reader.is_closed(),
        mdoc_closed: mdoc.is_closed(),
        stats: link.stats(),
    }
}
