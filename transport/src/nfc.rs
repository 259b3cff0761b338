//! NFC engagement and data transfer (ISO 18013-5 clauses 8.2.2.1 and 8.3.3.1.2).
//!
//! The card side ([`NfcCard`], the holder's phone acting as a Type 4 Tag and as the mdoc
//! application) is a sans-IO state machine over command APDUs. The reader side is written
//! against [`Transceive`] — one APDU out, one response back — so it runs the same over
//! PC/SC, over a virtual card, or against an in-memory card in tests.
//!
//! Data transfer: each session message is wrapped in data object `53` and sent in ENVELOPE
//! commands (INS C3), chained with CLA 0x10 on all but the last; the answer comes back to the
//! last ENVELOPE, continued with GET RESPONSE (61XX) when longer than Le. Extended-length
//! APDUs are used when the reader supports them; short APDUs (≤ 255 data bytes, Le ≤ 256)
//! otherwise.
//!
//! READ / UPDATE BINARY address the NDEF file by an offset in P1-P2 with bit 8 of P1 clear
//! (ISO/IEC 7816-4, INS B0 / D6: with bit 8 set, P1 carries a short EF identifier instead).
//! So offsets are at most 0x7FFF, and both sides cap the NDEF file at [`MAX_NDEF_FILE`]
//! bytes (NLEN and message), as the CC file advertises; a larger message is a typed error on
//! either side ([`CardError::NdefTooLarge`], [`NfcError::NdefTooLarge`]), never a wrapped
//! offset. The card answers a READ / UPDATE BINARY with P1 bit 8 set with 6A81 (function not
//! supported). The odd-INS READ BINARY (B1, offset data object 54) is not needed at this size
//! and not implemented.

use crate::apdu::{self, unwrap_do53, wrap_do53, ApduError, Command, Response};
use crate::handover::HandoverError;
use crate::ndef::NdefError;
use std::time::Instant;

/// NFC Forum Type 4 Tag NDEF application.
pub const NDEF_AID: [u8; 7] = [0xd2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01];
/// ISO 18013-5 mdoc data-transfer application.
pub const MDOC_AID: [u8; 7] = [0xa0, 0x00, 0x00, 0x02, 0x48, 0x04, 0x00];
const CC_FILE: [u8; 2] = [0xe1, 0x03];
const NDEF_FILE: [u8; 2] = [0xe1, 0x04];
const INS_SELECT: u8 = 0xa4;
const INS_READ_BINARY: u8 = 0xb0;
const INS_ENVELOPE: u8 = 0xc3;
const INS_GET_RESPONSE: u8 = 0xc0;
const INS_UPDATE_BINARY: u8 = 0xd6;
/// Largest NDEF file (NLEN + message) either side handles: the largest READ BINARY offset
/// P1-P2 can carry (0x7FFF) is the last byte's offset plus one at most.
pub const MAX_NDEF_FILE: usize = 0x7fff;
/// Largest offset READ / UPDATE BINARY can address in P1-P2 (bit 8 of P1 clear).
pub const MAX_BINARY_OFFSET: usize = 0x7fff;
/// Largest session message the card accepts.
pub const MAX_MESSAGE: usize = crate::session::MAX_MESSAGE;
/// Most GET RESPONSE commands the reader sends for one answer. The minimum progress is one
/// byte per GET RESPONSE (a `61XX` with no data is [`NfcError::NoProgress`]) and an answer
/// is at most [`MAX_MESSAGE`] + 8 bytes (the DO53 wrapper), so no honest card needs more;
/// the deadline of [`NfcReader::exchange_until`] normally ends a dripping card long before.
pub const MAX_GET_RESPONSES: usize = MAX_MESSAGE + 8;
/// Largest response APDU the reader accepts: 65 536 data bytes (extended Le) and SW1 SW2.
pub const MAX_RESPONSE_APDU: usize = 65536 + 2;

/// A deadline and the clock it is read against, for the reader's APDU loops.
type Until<'a> = Option<(Instant, &'a dyn Fn() -> Instant)>;

/// P1-P2 for a READ / UPDATE BINARY at `offset`, or `None` above [`MAX_BINARY_OFFSET`].
pub fn binary_offset(offset: usize) -> Option<[u8; 2]> {
    u16::try_from(offset)
        .ok()
        .filter(|o| usize::from(*o) <= MAX_BINARY_OFFSET)
        .map(u16::to_be_bytes)
}

/// The offset a READ / UPDATE BINARY command addresses, or `None` when P1 bit 8 is set (a
/// short EF identifier, which this card does not support).
fn command_offset(c: &Command) -> Option<usize> {
    (c.p1 & 0x80 == 0).then(|| usize::from(u16::from_be_bytes([c.p1, c.p2])))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    None,
    Ndef,
    Mdoc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    None,
    Cc,
    Ndef,
}

/// What the card needs from its owner after an APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardStep {
    /// Send this response APDU.
    Reply(Vec<u8>),
    /// A whole session message arrived; answer it with [`NfcCard::reply_with`].
    Message(Vec<u8>),
}

/// A card could not be set up with the given engagement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    /// The NDEF message does not fit the NDEF file (NLEN + message ≤ [`MAX_NDEF_FILE`]).
    #[error("NDEF message of {len} bytes is over the card's {max}")]
    NdefTooLarge {
        /// The message length.
        len: usize,
        /// The largest message the file holds.
        max: usize,
    },
    /// A TNEP message could not be encoded.
    #[error("NDEF: {0}")]
    Ndef(#[from] NdefError),
    /// The Handover Select could not be built.
    #[error("handover: {0}")]
    Handover(#[from] HandoverError),
}

/// The NDEF file holding `message`: NLEN (2 bytes, big-endian), then the message.
fn ndef_file(message: &[u8]) -> Result<Vec<u8>, CardError> {
    let too_large = || CardError::NdefTooLarge {
        len: message.len(),
        max: MAX_NDEF_FILE - 2,
    };
    if message.len() > MAX_NDEF_FILE - 2 {
        return Err(too_large());
    }
    let nlen = u16::try_from(message.len()).map_err(|_| too_large())?;
    let mut f = nlen.to_be_bytes().to_vec();
    f.extend_from_slice(message);
    Ok(f)
}

/// Negotiated handover state (TNEP): the files the card answers with, prepared up front, and
/// what was agreed.
#[derive(Debug, Clone)]
struct Negotiation {
    /// The Handover Select the card sends once it has a Handover Request.
    select: Vec<u8>,
    select_file: Vec<u8>,
    status_ok_file: Vec<u8>,
    status_refused_file: Vec<u8>,
    service_selected: bool,
    /// (Handover Select, Handover Request) once exchanged.
    agreed: Option<(Vec<u8>, Vec<u8>)>,
}

/// The holder's NFC card: static- or negotiated-handover engagement and mdoc data transfer.
#[derive(Debug)]
pub struct NfcCard {
    cc: Vec<u8>,
    ndef_file: Vec<u8>,
    negotiation: Option<Negotiation>,
    app: App,
    file: File,
    incoming: Vec<u8>,
    outgoing: Vec<u8>,
    le: usize,
}

impl NfcCard {
    /// A card whose NDEF file holds `handover_select` (static handover). Fails if the
    /// message does not fit the NDEF file.
    pub fn new(handover_select: &[u8]) -> Result<Self, CardError> {
        let ndef_file = ndef_file(handover_select)?;
        // CC: length 15, mapping 2.0, MLe 7FFF, MLc 7FFF, NDEF File Control TLV: file E104,
        // max size 7FFF, read access 00, write access FF (read-only: static handover).
        let cc = vec![
            0x00, 0x0f, 0x20, 0x7f, 0xff, 0x7f, 0xff, 0x04, 0x06, 0xe1, 0x04, 0x7f, 0xff, 0x00,
            0xff,
        ];
        Ok(NfcCard {
            cc,
            ndef_file,
            negotiation: None,
            app: App::None,
            file: File::None,
            incoming: Vec::new(),
            outgoing: Vec::new(),
            le: 256,
        })
    }

    /// A card for negotiated handover (TNEP): the NDEF file first offers the handover
    /// service; the reader selects it, writes its Handover Request, and reads the Handover
    /// Select the card builds with `device_engagement` and its NFC carrier.
    pub fn negotiated(
        device_engagement: &[u8],
        nfc: crate::handover::NfcCarrier,
    ) -> Result<Self, CardError> {
        use crate::handover::{build_static_select, tnep};
        let mut card = NfcCard::new(&tnep::service_parameter()?)?;
        // Writable NDEF file (CC write access 0x00).
        if let Some(w) = card.cc.last_mut() {
            *w = 0x00;
        }
        let select = build_static_select(device_engagement, None, Some(&nfc))?;
        card.negotiation = Some(Negotiation {
            select_file: ndef_file(&select)?,
            select,
            status_ok_file: ndef_file(&tnep::status(0x00)?)?,
            status_refused_file: ndef_file(&tnep::status(0x01)?)?,
            service_selected: false,
            agreed: None,
        });
        Ok(card)
    }

    /// The SessionTranscript Handover `[HS, HR]` once negotiated handover has finished.
    pub fn negotiated_handover(&self) -> Option<Vec<u8>> {
        let (hs, hr) = self.negotiation.as_ref()?.agreed.as_ref()?;
        Some(crate::handover::nfc_handover(hs, Some(hr)))
    }

    fn update_binary(&mut self, c: &Command) -> CardStep {
        if self.file != File::Ndef || self.negotiation.is_none() {
            return Self::status(apdu::SW_CONDITIONS);
        }
        let Some(offset) = command_offset(c) else {
            return Self::status(apdu::SW_FUNCTION_NOT_SUPPORTED);
        };
        let end = offset + c.data.len();
        if end > MAX_NDEF_FILE {
            return Self::status(apdu::SW_WRONG_LENGTH);
        }
        if self.ndef_file.len() < end {
            self.ndef_file.resize(end, 0);
        }
        if let Some(dst) = self.ndef_file.get_mut(offset..end) {
            dst.copy_from_slice(&c.data);
        }
        // The NDEF write procedure ends by writing a non-zero NLEN: then the message is whole.
        if offset == 0 && c.data.len() >= 2 {
            if let Some((nlen, body)) = self.ndef_file.split_first_chunk::<2>() {
                let nlen = usize::from(u16::from_be_bytes(*nlen));
                if let Some(message) = body.get(..nlen).filter(|_| nlen > 0) {
                    let message = message.to_vec();
                    self.written(&message);
                }
            }
        }
        Self::status(apdu::SW_OK)
    }

    /// React to a message the reader wrote: a Service Select, then a Handover Request.
    fn written(&mut self, message: &[u8]) {
        use crate::handover::{tnep, Handover, HandoverKind};
        let Some(n) = self.negotiation.as_mut() else {
            return;
        };
        let records = crate::ndef::parse_message(message).unwrap_or_default();
        if let Some(r) = records
            .first()
            .filter(|r| r.is(crate::ndef::TNF_WELL_KNOWN, tnep::TYPE_SERVICE_SELECT))
        {
            n.service_selected = tnep::service_name(r) == Some(tnep::SERVICE_HANDOVER);
            self.ndef_file = if n.service_selected {
                n.status_ok_file.clone()
            } else {
                n.status_refused_file.clone()
            };
            return;
        }
        match Handover::parse(message) {
            Ok(h) if h.kind == HandoverKind::Request && n.service_selected => {
                self.ndef_file = n.select_file.clone();
                n.agreed = Some((n.select.clone(), message.to_vec()));
            }
            _ => self.ndef_file = n.status_refused_file.clone(),
        }
    }

    fn status(sw: u16) -> CardStep {
        CardStep::Reply(Response::status(sw).encode())
    }

    /// Process one command APDU.
    pub fn process(&mut self, apdu_bytes: &[u8]) -> CardStep {
        let Ok(c) = Command::parse(apdu_bytes) else {
            return Self::status(apdu::SW_WRONG_LENGTH);
        };
        match (c.cla & !0x10, c.ins) {
            (0x00, INS_SELECT) => self.select(&c),
            (0x00, INS_READ_BINARY) if self.app == App::Ndef => self.read_binary(&c),
            (0x00, INS_UPDATE_BINARY) if self.app == App::Ndef => self.update_binary(&c),
            (0x00, INS_ENVELOPE) if self.app == App::Mdoc => self.envelope(&c),
            (0x00, INS_GET_RESPONSE) if self.app == App::Mdoc => {
                self.le = c.le.unwrap_or(256);
                CardStep::Reply(self.next_response_part())
            }
            (0x00, _) => Self::status(apdu::SW_INS_NOT_SUPPORTED),
            _ => Self::status(apdu::SW_CLA_NOT_SUPPORTED),
        }
    }

    fn select(&mut self, c: &Command) -> CardStep {
        match (c.p1, c.data.as_slice()) {
            (0x04, aid) if aid == NDEF_AID => {
                self.app = App::Ndef;
                self.file = File::None;
                Self::status(apdu::SW_OK)
            }
            (0x04, aid) if aid == MDOC_AID => {
                self.app = App::Mdoc;
                self.incoming.clear();
                self.outgoing.clear();
                Self::status(apdu::SW_OK)
            }
            (0x00, f) if self.app == App::Ndef && f == CC_FILE => {
                self.file = File::Cc;
                Self::status(apdu::SW_OK)
            }
            (0x00, f) if self.app == App::Ndef && f == NDEF_FILE => {
                self.file = File::Ndef;
                Self::status(apdu::SW_OK)
            }
            _ => Self::status(apdu::SW_FILE_NOT_FOUND),
        }
    }

    fn read_binary(&mut self, c: &Command) -> CardStep {
        let content = match self.file {
            File::Cc => &self.cc,
            File::Ndef => &self.ndef_file,
            File::None => return Self::status(apdu::SW_CONDITIONS),
        };
        let Some(offset) = command_offset(c) else {
            return Self::status(apdu::SW_FUNCTION_NOT_SUPPORTED);
        };
        let Some(rest) = content.get(offset..) else {
            return Self::status(apdu::SW_WRONG_P1P2);
        };
        let part = rest.iter().take(c.le.unwrap_or(256)).copied().collect();
        CardStep::Reply(Response::ok(part).encode())
    }

    fn envelope(&mut self, c: &Command) -> CardStep {
        if self.incoming.len() + c.data.len() > MAX_MESSAGE + 8 {
            self.incoming.clear();
            return Self::status(apdu::SW_WRONG_LENGTH);
        }
        self.incoming.extend_from_slice(&c.data);
        if c.cla & 0x10 != 0 {
            return Self::status(apdu::SW_OK);
        }
        self.le = c.le.unwrap_or(256);
        let wrapped = std::mem::take(&mut self.incoming);
        match unwrap_do53(&wrapped) {
            Ok(m) => CardStep::Message(m.to_vec()),
            Err(_) => Self::status(apdu::SW_NO_DIAGNOSIS),
        }
    }

    /// The response APDU carrying (the first part of) `message` for the last ENVELOPE.
    pub fn reply_with(&mut self, message: &[u8]) -> Result<Vec<u8>, ApduError> {
        self.outgoing = wrap_do53(message)?;
        Ok(self.next_response_part())
    }

    fn next_response_part(&mut self) -> Vec<u8> {
        let n = self.le.min(self.outgoing.len());
        let part: Vec<u8> = self.outgoing.drain(..n).collect();
        let left = self.outgoing.len();
        // 61XX: XX more bytes, 00 for 256 or more.
        let sw = match left {
            0 => apdu::SW_OK,
            l => 0x6100 | u16::from(u8::try_from(l).unwrap_or(0)),
        };
        Response { data: part, sw }.encode()
    }
}

/// One APDU exchange with a card: defined in core ([`kakunin_core::card::Transceive`]), shared
/// with the JPKI client; re-exported here so callers keep `kakunin_transport::nfc::Transceive`.
pub use kakunin_core::card::Transceive;

/// The reader's command that failed, as named in [`NfcError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// SELECT of the NDEF application.
    SelectNdefApplication,
    /// SELECT of the capability container file E103.
    SelectCcFile,
    /// READ BINARY of the capability container.
    ReadCc,
    /// SELECT of the NDEF file E104.
    SelectNdefFile,
    /// READ BINARY of NLEN.
    ReadNlen,
    /// READ BINARY of the NDEF message.
    ReadNdef,
    /// UPDATE BINARY of NLEN to 0 (start of the write procedure).
    ClearNlen,
    /// UPDATE BINARY of the NDEF message.
    UpdateNdef,
    /// UPDATE BINARY of NLEN (end of the write procedure).
    UpdateNlen,
    /// SELECT of the mdoc application.
    SelectMdocApplication,
    /// ENVELOPE with (part of) a session message.
    Envelope,
    /// GET RESPONSE for the rest of the mdoc's answer.
    GetResponse,
}

impl Step {
    /// The command's name, as an APDU trace would show it.
    pub const fn name(self) -> &'static str {
        match self {
            Step::SelectNdefApplication => "SELECT NDEF application",
            Step::SelectCcFile => "SELECT CC file",
            Step::ReadCc => "READ CC",
            Step::SelectNdefFile => "SELECT NDEF file",
            Step::ReadNlen => "READ NLEN",
            Step::ReadNdef => "READ NDEF",
            Step::ClearNlen => "UPDATE NLEN 0",
            Step::UpdateNdef => "UPDATE NDEF",
            Step::UpdateNlen => "UPDATE NLEN",
            Step::SelectMdocApplication => "SELECT mdoc application",
            Step::Envelope => "ENVELOPE",
            Step::GetResponse => "GET RESPONSE",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An NFC exchange failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NfcError<E: std::fmt::Display> {
    /// The link to the card failed.
    #[error("card transport: {0}")]
    Transport(E),
    /// The card answered a command with an error status word.
    #[error("{step}: card answered {sw:04X}")]
    Status {
        /// The command.
        step: Step,
        /// SW1 SW2.
        sw: u16,
    },
    /// A command could not be encoded or the card's response APDU is malformed.
    #[error("APDU: {0}")]
    Apdu(#[from] ApduError),
    /// NLEN is zero, or not two bytes, or the card sent no bytes of the message.
    #[error("NDEF file length {0} is invalid")]
    BadNdefLength(usize),
    /// The NDEF message (read or to write) does not fit an NDEF file of [`MAX_NDEF_FILE`].
    #[error("NDEF message of {len} bytes is over {max}")]
    NdefTooLarge {
        /// The message length (NLEN).
        len: usize,
        /// The largest message an NDEF file of [`MAX_NDEF_FILE`] holds.
        max: usize,
    },
    /// A READ / UPDATE BINARY offset above [`MAX_BINARY_OFFSET`].
    #[error("offset {offset:#x} is beyond what READ / UPDATE BINARY can address")]
    OffsetTooLarge {
        /// The offset.
        offset: usize,
    },
    /// The mdoc's answer is over [`MAX_MESSAGE`].
    #[error("the card's answer exceeds {MAX_MESSAGE} bytes")]
    TooLarge,
    /// The card keeps saying more data is available (61XX) without sending any.
    #[error("{step}: the card announces more data but sends none")]
    NoProgress {
        /// The command.
        step: Step,
    },
    /// The deadline passed before this command could be sent.
    #[error("{step}: the deadline passed")]
    DeadlineExceeded {
        /// The command that was not sent.
        step: Step,
    },
    /// More commands for one answer than [`MAX_GET_RESPONSES`].
    #[error("{step}: more than {max} commands for one answer")]
    TooManyApdus {
        /// The command repeated.
        step: Step,
        /// The bound.
        max: usize,
    },
    /// A response APDU over [`MAX_RESPONSE_APDU`] bytes.
    #[error("{step}: response APDU of {len} bytes is over {MAX_RESPONSE_APDU}")]
    ResponseTooLong {
        /// The command answered.
        step: Step,
        /// The response's length.
        len: usize,
    },
    /// Negotiated handover: the card's NDEF file offers no TNEP handover service.
    #[error("negotiated handover: the card offers no TNEP handover service")]
    NoHandoverService,
    /// Negotiated handover: the card answered the Service Select with a failure status.
    #[error("negotiated handover: the card refused the handover service")]
    HandoverServiceRefused,
    /// A TNEP message could not be encoded.
    #[error("NDEF: {0}")]
    Ndef(#[from] NdefError),
}

/// How the reader talks to the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderConfig {
    /// Use extended-length APDUs.
    pub extended: bool,
    /// Data bytes per ENVELOPE command (0 is taken as 1).
    pub max_command_data: usize,
    /// Le on ENVELOPE / GET RESPONSE.
    pub max_response_data: usize,
}

impl ReaderConfig {
    /// For readers with extended-length APDUs: one ENVELOPE of up to 65 535 data bytes,
    /// Le 65 536.
    pub const EXTENDED: ReaderConfig = ReaderConfig {
        extended: true,
        max_command_data: 65535,
        max_response_data: 65536,
    };
    /// For readers limited to short APDUs.
    pub const SHORT: ReaderConfig = ReaderConfig {
        extended: false,
        max_command_data: 255,
        max_response_data: 256,
    };
}

/// Counts APDUs, for the benchmark and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApduStats {
    /// Command APDUs sent.
    pub commands: usize,
    /// Bytes of command APDUs sent.
    pub command_bytes: usize,
    /// Bytes of response APDUs received.
    pub response_bytes: usize,
}

/// The reader's side of the NFC link.
pub struct NfcReader<T: Transceive> {
    card: T,
    config: ReaderConfig,
    stats: ApduStats,
}

impl<T: Transceive> NfcReader<T> {
    /// A reader for `card`.
    pub fn new(card: T, config: ReaderConfig) -> Self {
        NfcReader {
            card,
            config,
            stats: ApduStats::default(),
        }
    }

    /// What has been exchanged so far.
    pub fn stats(&self) -> ApduStats {
        self.stats
    }

    /// The card back.
    pub fn into_inner(self) -> T {
        self.card
    }

    fn send(
        &mut self,
        c: &Command,
        step: Step,
        until: Until<'_>,
    ) -> Result<Response, NfcError<T::Error>> {
        if let Some((deadline, clock)) = until {
            if clock() >= deadline {
                return Err(NfcError::DeadlineExceeded { step });
            }
        }
        let bytes = c.encode(self.config.extended)?;
        self.stats.commands += 1;
        self.stats.command_bytes += bytes.len();
        let r = self.card.transceive(&bytes).map_err(NfcError::Transport)?;
        self.stats.response_bytes += r.len();
        if r.len() > MAX_RESPONSE_APDU {
            return Err(NfcError::ResponseTooLong { step, len: r.len() });
        }
        let r = Response::parse(&r)?;
        if r.sw != apdu::SW_OK && r.sw >> 8 != 0x61 {
            return Err(NfcError::Status { step, sw: r.sw });
        }
        Ok(r)
    }

    fn expect_ok(
        &mut self,
        c: &Command,
        step: Step,
        until: Until<'_>,
    ) -> Result<Vec<u8>, NfcError<T::Error>> {
        let r = self.send(c, step, until)?;
        if r.sw != apdu::SW_OK {
            return Err(NfcError::Status { step, sw: r.sw });
        }
        Ok(r.data)
    }

    /// Select the NDEF application, read the CC, and select the NDEF file; returns the CC.
    fn open_ndef(&mut self, until: Until<'_>) -> Result<Vec<u8>, NfcError<T::Error>> {
        self.expect_ok(
            &Command::new(0x00, INS_SELECT, 0x04, 0x00, &NDEF_AID, None),
            Step::SelectNdefApplication,
            until,
        )?;
        self.expect_ok(
            &Command::new(0x00, INS_SELECT, 0x00, 0x0c, &CC_FILE, None),
            Step::SelectCcFile,
            until,
        )?;
        let cc = self.expect_ok(
            &Command::new(0x00, INS_READ_BINARY, 0, 0, &[], Some(15)),
            Step::ReadCc,
            until,
        )?;
        self.expect_ok(
            &Command::new(0x00, INS_SELECT, 0x00, 0x0c, &NDEF_FILE, None),
            Step::SelectNdefFile,
            until,
        )?;
        Ok(cc)
    }

    fn chunk(&self) -> usize {
        if self.config.extended {
            MAX_BINARY_OFFSET
        } else {
            255
        }
    }

    /// Read the NDEF message in the selected NDEF file.
    fn read_ndef(&mut self, until: Until<'_>) -> Result<Vec<u8>, NfcError<T::Error>> {
        let nlen = self.expect_ok(
            &Command::new(0x00, INS_READ_BINARY, 0, 0, &[], Some(2)),
            Step::ReadNlen,
            until,
        )?;
        let [hi, lo] = *nlen.as_slice() else {
            return Err(NfcError::BadNdefLength(nlen.len()));
        };
        let total = usize::from(u16::from_be_bytes([hi, lo]));
        if total == 0 {
            return Err(NfcError::BadNdefLength(total));
        }
        if total > MAX_NDEF_FILE - 2 {
            return Err(NfcError::NdefTooLarge {
                len: total,
                max: MAX_NDEF_FILE - 2,
            });
        }
        let mut out = Vec::with_capacity(total);
        while out.len() < total {
            let offset = 2 + out.len();
            let want = self.chunk().min(total - out.len());
            let [p1, p2] = binary_offset(offset).ok_or(NfcError::OffsetTooLarge { offset })?;
            let part = self.expect_ok(
                &Command::new(0x00, INS_READ_BINARY, p1, p2, &[], Some(want)),
                Step::ReadNdef,
                until,
            )?;
            if part.is_empty() {
                return Err(NfcError::BadNdefLength(total));
            }
            // A card sending more than asked for gets the excess ignored.
            out.extend(part.iter().take(want));
        }
        Ok(out)
    }

    /// The NFC Forum Type 4 Tag NDEF write procedure: NLEN 0, the message, then NLEN.
    fn write_ndef(&mut self, message: &[u8], until: Until<'_>) -> Result<(), NfcError<T::Error>> {
        let too_large = || NfcError::NdefTooLarge {
            len: message.len(),
            max: MAX_NDEF_FILE - 2,
        };
        if message.len() > MAX_NDEF_FILE - 2 {
            return Err(too_large());
        }
        let nlen = u16::try_from(message.len())
            .map_err(|_| too_large())?
            .to_be_bytes();
        self.expect_ok(
            &Command::new(0x00, INS_UPDATE_BINARY, 0, 0, &[0, 0], None),
            Step::ClearNlen,
            until,
        )?;
        let mut offset = 2;
        for part in message.chunks(self.chunk()) {
            let [p1, p2] = binary_offset(offset).ok_or(NfcError::OffsetTooLarge { offset })?;
            self.expect_ok(
                &Command::new(0x00, INS_UPDATE_BINARY, p1, p2, part, None),
                Step::UpdateNdef,
                until,
            )?;
            offset += part.len();
        }
        self.expect_ok(
            &Command::new(0x00, INS_UPDATE_BINARY, 0, 0, &nlen, None),
            Step::UpdateNlen,
            until,
        )?;
        Ok(())
    }

    /// Read the Handover Select from the card's NDEF file (static handover). Bounded by the
    /// NDEF file size (each READ BINARY must bring at least one byte), but with no deadline:
    /// see [`NfcReader::read_handover_select_until`].
    pub fn read_handover_select(&mut self) -> Result<Vec<u8>, NfcError<T::Error>> {
        self.open_ndef(None)?;
        self.read_ndef(None)
    }

    /// [`NfcReader::read_handover_select`], giving up with [`NfcError::DeadlineExceeded`]
    /// when `clock()` reaches `deadline` before an APDU.
    pub fn read_handover_select_until(
        &mut self,
        deadline: Instant,
        clock: &dyn Fn() -> Instant,
    ) -> Result<Vec<u8>, NfcError<T::Error>> {
        let until = Some((deadline, clock));
        self.open_ndef(until)?;
        self.read_ndef(until)
    }

    /// Negotiated handover (TNEP): select the card's handover service, write
    /// `handover_request`, and read the card's Handover Select. Returns the Handover Select.
    pub fn negotiate_handover(
        &mut self,
        handover_request: &[u8],
    ) -> Result<Vec<u8>, NfcError<T::Error>> {
        self.negotiate(handover_request, None)
    }

    /// [`NfcReader::negotiate_handover`], giving up with [`NfcError::DeadlineExceeded`] when
    /// `clock()` reaches `deadline` before an APDU.
    pub fn negotiate_handover_until(
        &mut self,
        handover_request: &[u8],
        deadline: Instant,
        clock: &dyn Fn() -> Instant,
    ) -> Result<Vec<u8>, NfcError<T::Error>> {
        self.negotiate(handover_request, Some((deadline, clock)))
    }

    fn negotiate(
        &mut self,
        handover_request: &[u8],
        until: Until<'_>,
    ) -> Result<Vec<u8>, NfcError<T::Error>> {
        use crate::handover::tnep;
        self.open_ndef(until)?;
        let offer = self.read_ndef(until)?;
        let offers_handover = crate::ndef::parse_message(&offer)
            .ok()
            .and_then(|r| r.into_iter().next())
            .is_some_and(|r| {
                r.is(crate::ndef::TNF_WELL_KNOWN, tnep::TYPE_SERVICE_PARAMETER)
                    && tnep::service_name(&r) == Some(tnep::SERVICE_HANDOVER)
            });
        if !offers_handover {
            return Err(NfcError::NoHandoverService);
        }
        self.write_ndef(&tnep::service_select()?, until)?;
        if self.read_ndef(until)? != tnep::status(0x00)? {
            return Err(NfcError::HandoverServiceRefused);
        }
        self.write_ndef(handover_request, until)?;
        self.read_ndef(until)
    }

    /// Select the mdoc application.
    pub fn select_mdoc(&mut self) -> Result<(), NfcError<T::Error>> {
        self.expect_ok(
            &Command::new(0x00, INS_SELECT, 0x04, 0x00, &MDOC_AID, None),
            Step::SelectMdocApplication,
            None,
        )
        .map(|_| ())
    }

    /// Send one session message and return the mdoc's answer, with no deadline: the APDU
    /// count is still bounded ([`MAX_GET_RESPONSES`]). A reader that serves customers uses
    /// [`NfcReader::exchange_until`].
    pub fn exchange(&mut self, message: &[u8]) -> Result<Vec<u8>, NfcError<T::Error>> {
        self.exchange_inner(message, None)
    }

    /// Send one session message and return the mdoc's answer, giving up with
    /// [`NfcError::DeadlineExceeded`] once `clock()` reaches `deadline`: the clock is read
    /// before every APDU (ENVELOPE and GET RESPONSE), so a card that drips its answer one byte
    /// per `61 01` ends at the deadline. A single APDU that never returns is the card stack's
    /// to time out (PC/SC's own timeouts); an in-memory card answers at once.
    pub fn exchange_until(
        &mut self,
        message: &[u8],
        deadline: Instant,
        clock: &dyn Fn() -> Instant,
    ) -> Result<Vec<u8>, NfcError<T::Error>> {
        self.exchange_inner(message, Some((deadline, clock)))
    }

    fn exchange_inner(
        &mut self,
        message: &[u8],
        until: Until<'_>,
    ) -> Result<Vec<u8>, NfcError<T::Error>> {
        let wrapped = wrap_do53(message)?;
        let size = self.config.max_command_data.max(1);
        let count = wrapped.len().div_ceil(size);
        let le = self.config.max_response_data;
        let mut reply = Response::status(apdu::SW_OK);
        for (i, part) in wrapped.chunks(size).enumerate() {
            let c = if i + 1 == count {
                Command::new(0x00, INS_ENVELOPE, 0, 0, part, Some(le))
            } else {
                Command::new(0x10, INS_ENVELOPE, 0, 0, part, None)
            };
            reply = self.send(&c, Step::Envelope, until)?;
        }
        let mut data = reply.data;
        let mut sw = reply.sw;
        // Every GET RESPONSE must bring at least one byte (else NoProgress), and the answer
        // is at most MAX_MESSAGE + 8 bytes (else TooLarge): so MAX_GET_RESPONSES bounds the
        // loop even with a clock that never reaches the deadline.
        for _ in 0..=MAX_GET_RESPONSES {
            if data.len() > MAX_MESSAGE + 8 {
                return Err(NfcError::TooLarge);
            }
            let [0x61, sw2] = sw.to_be_bytes() else {
                return Ok(unwrap_do53(&data)?.to_vec());
            };
            let next = match sw2 {
                0 => le,
                n => usize::from(n),
            };
            let r = self.send(
                &Command::new(0x00, INS_GET_RESPONSE, 0, 0, &[], Some(next)),
                Step::GetResponse,
                until,
            )?;
            if r.data.is_empty() && r.sw >> 8 == 0x61 {
                return Err(NfcError::NoProgress {
                    step: Step::GetResponse,
                });
            }
            data.extend_from_slice(&r.data);
            sw = r.sw;
        }
        Err(NfcError::TooManyApdus {
            step: Step::GetResponse,
            max: MAX_GET_RESPONSES,
        })
    }

    /// Send a message that expects no answer (session termination).
    pub fn send_final(&mut self, message: &[u8]) -> Result<(), NfcError<T::Error>> {
        let wrapped = wrap_do53(message)?;
        let size = self.config.max_command_data.max(1);
        let count = wrapped.len().div_ceil(size);
        for (i, part) in wrapped.chunks(size).enumerate() {
            let cla = if i + 1 == count { 0x00 } else { 0x10 };
            self.expect_ok(
                &Command::new(cla, INS_ENVELOPE, 0, 0, part, None),
                Step::Envelope,
                None,
            )?;
        }
        Ok(())
    }
}

/// Turns a DeviceRequest into a DeviceResponse (the holder's part), given the session's
/// transcript.
pub type Responder<'a> =
    Box<dyn FnMut(&[u8], &kakunin_core::mdoc::SessionTranscript) -> Vec<u8> + 'a>;

/// An in-memory card: the NFC card state machine driving an mdoc session, with `responder`
/// turning each DeviceRequest into a DeviceResponse.
pub struct MemoryCard<'a> {
    /// The card's APDU state machine.
    pub card: NfcCard,
    /// The holder's session.
    pub session: crate::session::MdocSession,
    /// The crypto provider the session uses.
    pub crypto: &'a dyn kakunin_core::crypto::CryptoProvider,
    /// Answers each DeviceRequest.
    pub responder: Responder<'a>,
    /// The last session error on the card side, if any.
    pub last_error: Option<crate::session::ProximityError>,
}

impl Transceive for MemoryCard<'_> {
    type Error = std::convert::Infallible;

    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        Ok(match self.card.process(command) {
            CardStep::Reply(r) => r,
            CardStep::Message(m) => {
                if let Some(h) = self.card.negotiated_handover() {
                    // Negotiated handover finished before the first message: [HS, HR].
                    let _ = self.session.set_handover(h);
                }
                let out = match self.session.handle(self.crypto, &m) {
                    Ok(crate::session::Event::Request(req)) => {
                        let resp = match self.session.transcript() {
                            Some(t) => (self.responder)(&req, t),
                            None => Vec::new(),
                        };
                        self.session
                            .respond(self.crypto, &resp, false)
                            .unwrap_or_else(|e| {
                                let msg =
                                    e.message_to_send().map(<[u8]>::to_vec).unwrap_or_default();
                                self.last_error = Some(e);
                                msg
                            })
                    }
                    Ok(_) => Vec::new(),
                    Err(e) => {
                        let msg = e.message_to_send().map(<[u8]>::to_vec).unwrap_or_default();
                        self.last_error = Some(e);
                        msg
                    }
                };
                if out.is_empty() {
                    Response::status(apdu::SW_OK).encode()
                } else {
                    self.card
                        .reply_with(&out)
                        .unwrap_or_else(|_| Response::status(apdu::SW_WRONG_LENGTH).encode())
                }
            }
        })
    }
}
