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

use crate::apdu::{self, unwrap_do53, wrap_do53, ApduError, Command, Response};

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
/// Largest NDEF file (NLEN + message) the card keeps.
const MAX_NDEF_FILE: usize = 0x7fff;
/// Largest session message the card accepts.
pub const MAX_MESSAGE: usize = crate::session::MAX_MESSAGE;

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

/// Negotiated handover state (TNEP): what the card offers and what was agreed.
#[derive(Debug, Clone)]
struct Negotiation {
    device_engagement: Vec<u8>,
    nfc: crate::handover::NfcCarrier,
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
    /// A card whose NDEF file holds `handover_select` (static handover).
    pub fn new(handover_select: &[u8]) -> Self {
        let mut ndef_file = (handover_select.len() as u16).to_be_bytes().to_vec();
        ndef_file.extend_from_slice(handover_select);
        // CC: length 15, mapping 2.0, MLe 7FFF, MLc 7FFF, NDEF File Control TLV: file E104,
        // max size 7FFF, read access 00, write access FF (read-only: static handover).
        let cc = vec![
            0x00, 0x0f, 0x20, 0x7f, 0xff, 0x7f, 0xff, 0x04, 0x06, 0xe1, 0x04, 0x7f, 0xff, 0x00,
            0xff,
        ];
        NfcCard {
            cc,
            ndef_file,
            negotiation: None,
            app: App::None,
            file: File::None,
            incoming: Vec::new(),
            outgoing: Vec::new(),
            le: 256,
        }
    }

    /// A card for negotiated handover (TNEP): the NDEF file first offers the handover
    /// service; the reader selects it, writes its Handover Request, and reads the Handover
    /// Select the card builds with `device_engagement` and its NFC carrier.
    pub fn negotiated(device_engagement: &[u8], nfc: crate::handover::NfcCarrier) -> Self {
        let mut card = NfcCard::new(&crate::handover::tnep::service_parameter());
        // Writable NDEF file (CC write access 0x00).
        if let Some(w) = card.cc.last_mut() {
            *w = 0x00;
        }
        card.negotiation = Some(Negotiation {
            device_engagement: device_engagement.to_vec(),
            nfc,
            service_selected: false,
            agreed: None,
        });
        card
    }

    /// The SessionTranscript Handover `[HS, HR]` once negotiated handover has finished.
    pub fn negotiated_handover(&self) -> Option<Vec<u8>> {
        let (hs, hr) = self.negotiation.as_ref()?.agreed.as_ref()?;
        Some(crate::handover::nfc_handover(hs, Some(hr)))
    }

    fn set_ndef(&mut self, message: &[u8]) {
        let mut f = (message.len() as u16).to_be_bytes().to_vec();
        f.extend_from_slice(message);
        self.ndef_file = f;
    }

    fn update_binary(&mut self, c: &Command) -> CardStep {
        if self.file != File::Ndef || self.negotiation.is_none() {
            return Self::status(apdu::SW_CONDITIONS);
        }
        let offset = usize::from(u16::from_be_bytes([c.p1 & 0x7f, c.p2]));
        let end = offset + c.data.len();
        if end > MAX_NDEF_FILE {
            return Self::status(apdu::SW_WRONG_LENGTH);
        }
        if self.ndef_file.len() < end {
            self.ndef_file.resize(end, 0);
        }
        self.ndef_file[offset..end].copy_from_slice(&c.data);
        // The NDEF write procedure ends by writing a non-zero NLEN: then the message is whole.
        if offset == 0 && c.data.len() >= 2 {
            let nlen = usize::from(u16::from_be_bytes([self.ndef_file[0], self.ndef_file[1]]));
            if nlen > 0 && 2 + nlen <= self.ndef_file.len() {
                let message = self.ndef_file[2..2 + nlen].to_vec();
                self.written(&message);
            }
        }
        Self::status(apdu::SW_OK)
    }

    /// React to a message the reader wrote: a Service Select, then a Handover Request.
    fn written(&mut self, message: &[u8]) {
        use crate::handover::{build_static_select, tnep, Handover, HandoverKind};
        let Some(n) = self.negotiation.clone() else {
            return;
        };
        let records = crate::ndef::parse_message(message).unwrap_or_default();
        let first = records.first();
        if let Some(r) =
            first.filter(|r| r.is(crate::ndef::TNF_WELL_KNOWN, tnep::TYPE_SERVICE_SELECT))
        {
            let ok = tnep::service_name(r) == Some(tnep::SERVICE_HANDOVER);
            if let Some(neg) = self.negotiation.as_mut() {
                neg.service_selected = ok;
            }
            self.set_ndef(&tnep::status(if ok { 0x00 } else { 0x01 }));
            return;
        }
        match Handover::parse(message) {
            Ok(h) if h.kind == HandoverKind::Request && n.service_selected => {
                let hs = build_static_select(&n.device_engagement, None, Some(&n.nfc));
                self.set_ndef(&hs);
                if let Some(neg) = self.negotiation.as_mut() {
                    neg.agreed = Some((hs, message.to_vec()));
                }
            }
            _ => self.set_ndef(&tnep::status(0x01)),
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
        let offset = usize::from(u16::from_be_bytes([c.p1 & 0x7f, c.p2]));
        if offset > content.len() {
            return Self::status(apdu::SW_WRONG_P1P2);
        }
        let n = c.le.unwrap_or(256).min(content.len() - offset);
        CardStep::Reply(Response::ok(content[offset..offset + n].to_vec()).encode())
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
    pub fn reply_with(&mut self, message: &[u8]) -> Vec<u8> {
        self.outgoing = wrap_do53(message);
        self.next_response_part()
    }

    fn next_response_part(&mut self) -> Vec<u8> {
        let n = self.le.min(self.outgoing.len());
        let part: Vec<u8> = self.outgoing.drain(..n).collect();
        let left = self.outgoing.len();
        let sw = match left {
            0 => apdu::SW_OK,
            l if l <= 255 => 0x6100 | l as u16,
            _ => 0x6100,
        };
        Response { data: part, sw }.encode()
    }
}

/// One APDU exchange with a card (PC/SC, a virtual card, or memory).
pub trait Transceive {
    type Error: std::fmt::Display;
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error>;
}

/// An NFC exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum NfcError<E: std::fmt::Display> {
    #[error("card transport: {0}")]
    Transport(E),
    #[error("{step}: card answered {sw:04X}")]
    Status { step: &'static str, sw: u16 },
    #[error("APDU: {0}")]
    Apdu(#[from] ApduError),
    #[error("NDEF file length {0} is invalid")]
    BadNdefLength(usize),
    #[error("the card's answer exceeds {MAX_MESSAGE} bytes")]
    TooLarge,
    #[error("negotiated handover: {0}")]
    Negotiation(&'static str),
}

/// How the reader talks to the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderConfig {
    /// Use extended-length APDUs.
    pub extended: bool,
    /// Data bytes per ENVELOPE command.
    pub max_command_data: usize,
    /// Le on ENVELOPE / GET RESPONSE.
    pub max_response_data: usize,
}

impl ReaderConfig {
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
    pub commands: usize,
    pub command_bytes: usize,
    pub response_bytes: usize,
}

/// The reader's side of the NFC link.
pub struct NfcReader<T: Transceive> {
    card: T,
    config: ReaderConfig,
    stats: ApduStats,
}

impl<T: Transceive> NfcReader<T> {
    pub fn new(card: T, config: ReaderConfig) -> Self {
        NfcReader {
            card,
            config,
            stats: ApduStats::default(),
        }
    }

    pub fn stats(&self) -> ApduStats {
        self.stats
    }

    pub fn into_inner(self) -> T {
        self.card
    }

    fn send(&mut self, c: &Command, step: &'static str) -> Result<Response, NfcError<T::Error>> {
        let bytes = c.encode(self.config.extended)?;
        self.stats.commands += 1;
        self.stats.command_bytes += bytes.len();
        let r = self.card.transceive(&bytes).map_err(NfcError::Transport)?;
        self.stats.response_bytes += r.len();
        let r = Response::parse(&r)?;
        if r.sw != apdu::SW_OK && r.sw >> 8 != 0x61 {
            return Err(NfcError::Status { step, sw: r.sw });
        }
        Ok(r)
    }

    fn expect_ok(
        &mut self,
        c: &Command,
        step: &'static str,
    ) -> Result<Vec<u8>, NfcError<T::Error>> {
        let r = self.send(c, step)?;
        if r.sw != apdu::SW_OK {
            return Err(NfcError::Status { step, sw: r.sw });
        }
        Ok(r.data)
    }

    /// Select the NDEF application, read the CC, and select the NDEF file; returns the CC.
    fn open_ndef(&mut self) -> Result<Vec<u8>, NfcError<T::Error>> {
        self.expect_ok(
            &Command::new(0x00, INS_SELECT, 0x04, 0x00, &NDEF_AID, None),
            "SELECT NDEF application",
        )?;
        self.expect_ok(
            &Command::new(0x00, INS_SELECT, 0x00, 0x0c, &CC_FILE, None),
            "SELECT CC file",
        )?;
        let cc = self.expect_ok(
            &Command::new(0x00, INS_READ_BINARY, 0, 0, &[], Some(15)),
            "READ CC",
        )?;
        self.expect_ok(
            &Command::new(0x00, INS_SELECT, 0x00, 0x0c, &NDEF_FILE, None),
            "SELECT NDEF file",
        )?;
        Ok(cc)
    }

    /// Read the NDEF message in the selected NDEF file.
    fn read_ndef(&mut self) -> Result<Vec<u8>, NfcError<T::Error>> {
        let nlen = self.expect_ok(
            &Command::new(0x00, INS_READ_BINARY, 0, 0, &[], Some(2)),
            "READ NLEN",
        )?;
        let [hi, lo] = nlen[..] else {
            return Err(NfcError::BadNdefLength(nlen.len()));
        };
        let total = usize::from(u16::from_be_bytes([hi, lo]));
        if total == 0 || total > crate::ndef::MAX_MESSAGE {
            return Err(NfcError::BadNdefLength(total));
        }
        let mut out = Vec::with_capacity(total);
        let chunk = if self.config.extended { 0x7fff } else { 255 };
        while out.len() < total {
            let offset = 2 + out.len();
            let want = chunk.min(total - out.len());
            let [p1, p2] = (offset as u16).to_be_bytes();
            let part = self.expect_ok(
                &Command::new(0x00, INS_READ_BINARY, p1, p2, &[], Some(want)),
                "READ NDEF",
            )?;
            if part.is_empty() {
                return Err(NfcError::BadNdefLength(total));
            }
            out.extend_from_slice(&part);
        }
        out.truncate(total);
        Ok(out)
    }

    /// The NFC Forum Type 4 Tag NDEF write procedure: NLEN 0, the message, then NLEN.
    fn write_ndef(&mut self, message: &[u8]) -> Result<(), NfcError<T::Error>> {
        self.expect_ok(
            &Command::new(0x00, INS_UPDATE_BINARY, 0, 0, &[0, 0], None),
            "UPDATE NLEN 0",
        )?;
        let chunk = if self.config.extended { 0x7fff } else { 255 };
        for (i, part) in message.chunks(chunk).enumerate() {
            let [p1, p2] = ((2 + i * chunk) as u16).to_be_bytes();
            self.expect_ok(
                &Command::new(0x00, INS_UPDATE_BINARY, p1, p2, part, None),
                "UPDATE NDEF",
            )?;
        }
        let nlen = (message.len() as u16).to_be_bytes();
        self.expect_ok(
            &Command::new(0x00, INS_UPDATE_BINARY, 0, 0, &nlen, None),
            "UPDATE NLEN",
        )?;
        Ok(())
    }

    /// Read the Handover Select from the card's NDEF file (static handover).
    pub fn read_handover_select(&mut self) -> Result<Vec<u8>, NfcError<T::Error>> {
        self.open_ndef()?;
        self.read_ndef()
    }

    /// Negotiated handover (TNEP): select the card's handover service, write
    /// `handover_request`, and read the card's Handover Select. Returns the Handover Select.
    pub fn negotiate_handover(
        &mut self,
        handover_request: &[u8],
    ) -> Result<Vec<u8>, NfcError<T::Error>> {
        use crate::handover::tnep;
        self.open_ndef()?;
        let offer = self.read_ndef()?;
        let offers_handover = crate::ndef::parse_message(&offer)
            .ok()
            .and_then(|r| r.into_iter().next())
            .is_some_and(|r| {
                r.is(crate::ndef::TNF_WELL_KNOWN, tnep::TYPE_SERVICE_PARAMETER)
                    && tnep::service_name(&r) == Some(tnep::SERVICE_HANDOVER)
            });
        if !offers_handover {
            return Err(NfcError::Negotiation(
                "the card offers no TNEP handover service",
            ));
        }
        self.write_ndef(&tnep::service_select())?;
        if self.read_ndef()? != tnep::status(0x00) {
            return Err(NfcError::Negotiation(
                "the card refused the handover service",
            ));
        }
        self.write_ndef(handover_request)?;
        self.read_ndef()
    }

    /// Select the mdoc application.
    pub fn select_mdoc(&mut self) -> Result<(), NfcError<T::Error>> {
        self.expect_ok(
            &Command::new(0x00, INS_SELECT, 0x04, 0x00, &MDOC_AID, None),
            "SELECT mdoc application",
        )
        .map(|_| ())
    }

    /// Send one session message and return the mdoc's answer.
    pub fn exchange(&mut self, message: &[u8]) -> Result<Vec<u8>, NfcError<T::Error>> {
        let wrapped = wrap_do53(message);
        let parts: Vec<&[u8]> = wrapped.chunks(self.config.max_command_data).collect();
        let le = self.config.max_response_data;
        let mut reply = Response::status(apdu::SW_OK);
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let c = if last {
                Command::new(0x00, INS_ENVELOPE, 0, 0, part, Some(le))
            } else {
                Command::new(0x10, INS_ENVELOPE, 0, 0, part, None)
            };
            reply = self.send(&c, "ENVELOPE")?;
        }
        let mut data = reply.data;
        let mut sw = reply.sw;
        while sw >> 8 == 0x61 {
            let next = match sw & 0xff {
                0 => le,
                n => usize::from(n as u8),
            };
            let r = self.send(
                &Command::new(0x00, INS_GET_RESPONSE, 0, 0, &[], Some(next)),
                "GET RESPONSE",
            )?;
            data.extend_from_slice(&r.data);
            if data.len() > MAX_MESSAGE + 8 {
                return Err(NfcError::TooLarge);
            }
            sw = r.sw;
        }
        Ok(unwrap_do53(&data)?.to_vec())
    }
}

impl<T: Transceive> NfcReader<T> {
    /// Send a message that expects no answer (session termination).
    pub fn send_final(&mut self, message: &[u8]) -> Result<(), NfcError<T::Error>> {
        let wrapped = wrap_do53(message);
        let parts: Vec<&[u8]> = wrapped.chunks(self.config.max_command_data).collect();
        for (i, part) in parts.iter().enumerate() {
            let cla = if i + 1 == parts.len() { 0x00 } else { 0x10 };
            self.expect_ok(
                &Command::new(cla, INS_ENVELOPE, 0, 0, part, None),
                "ENVELOPE",
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
    pub card: NfcCard,
    pub session: crate::session::MdocSession,
    pub crypto: &'a dyn kakunin_core::crypto::CryptoProvider,
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
                    self.card.reply_with(&out)
                }
            }
        })
    }
}
