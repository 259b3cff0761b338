//! The reader side over PC/SC (pcsc-lite through the `pcsc` crate): a [`Transceive`] for a
//! card in a named reader. Enabled with the `pcsc` feature (needs libpcsclite).

use crate::nfc::Transceive;
use std::time::Duration;

/// A PC/SC failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PcscError {
    /// pcsc-lite reported an error.
    #[error("PC/SC: {0}")]
    Pcsc(#[from] pcsc::Error),
    /// No reader name contains the filter given (the filter, as the caller gave it).
    #[error("no reader whose name contains {0:?}")]
    NoReader(String),
    /// The reader (the filter) had no card before the wait ran out.
    #[error("no card in {0:?} after waiting")]
    NoCard(String),
}

/// A connected card.
pub struct PcscCard {
    card: pcsc::Card,
    buf: Vec<u8>,
}

impl PcscCard {
    /// Connect to the card in the first reader whose name contains `reader_filter`, waiting up
    /// to `wait` for a card to be present.
    pub fn connect(reader_filter: &str, wait: Duration) -> Result<Self, PcscError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)?;
        let start = std::time::Instant::now();
        loop {
            let readers = ctx.list_readers_owned()?;
            let reader = readers
                .iter()
                .find(|r| r.to_string_lossy().contains(reader_filter))
                .ok_or_else(|| PcscError::NoReader(reader_filter.to_string()))?;
            match ctx.connect(reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY) {
                Ok(card) => {
                    return Ok(PcscCard {
                        card,
                        buf: vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED],
                    })
                }
                Err(pcsc::Error::NoSmartcard) | Err(pcsc::Error::RemovedCard)
                    if start.elapsed() < wait =>
                {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(pcsc::Error::NoSmartcard) => {
                    return Err(PcscError::NoCard(reader_filter.to_string()))
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Names of the readers pcscd knows that hold a card now, in pcscd's order.
    pub fn readers_with_card() -> Result<Vec<String>, PcscError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)?;
        let names = match ctx.list_readers_owned() {
            Ok(r) => r,
            Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut states: Vec<pcsc::ReaderState> = names
            .into_iter()
            .map(|n| pcsc::ReaderState::new(n, pcsc::State::UNAWARE))
            .collect();
        if states.is_empty() {
            return Ok(Vec::new());
        }
        match ctx.get_status_change(Duration::ZERO, &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(states
            .iter()
            .filter(|s| {
                let now = s.event_state();
                now.contains(pcsc::State::PRESENT) && !now.contains(pcsc::State::MUTE)
            })
            .map(|s| s.name().to_string_lossy().into_owned())
            .collect())
    }

    /// Names of the readers pcscd knows.
    pub fn readers() -> Result<Vec<String>, PcscError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)?;
        Ok(ctx
            .list_readers_owned()?
            .iter()
            .map(|r| r.to_string_lossy().into_owned())
            .collect())
    }
}

impl Transceive for PcscCard {
    type Error = pcsc::Error;

    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        let r = self.card.transmit(command, &mut self.buf)?;
        Ok(r.to_vec())
    }
}

/// What a [`PcscWatch`] saw in its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// No card in the field.
    Empty,
    /// A card is in the field; `insertion` is pcsc-lite's event count for the reader (it
    /// changes with every insertion or removal, so a card swapped between two polls is a new
    /// card).
    Card {
        /// The reader's event count when the card was seen.
        insertion: u32,
    },
}

/// Watches one named PC/SC reader for cards, for a service that serves whoever taps (a
/// till): [`PcscWatch::poll`] blocks in `SCardGetStatusChange` until the reader's state
/// changes or the wait runs out, so polling costs nothing while nothing happens.
pub struct PcscWatch {
    ctx: pcsc::Context,
    filter: String,
    reader: Option<std::ffi::CString>,
    // Kept between polls with its raw event state (the event count in its upper bits): a
    // fresh state would look like a change to pcsc-lite and make every poll return at once.
    state: Option<pcsc::ReaderState>,
}

impl PcscWatch {
    /// A watch over the first reader whose name contains `reader_filter`. Fails when pcscd
    /// is not reachable ([`pcsc::Error::NoService`]).
    pub fn open(reader_filter: &str) -> Result<Self, PcscError> {
        Ok(PcscWatch {
            ctx: pcsc::Context::establish(pcsc::Scope::User)?,
            filter: reader_filter.to_string(),
            reader: None,
            state: None,
        })
    }

    /// The reader's full name, once found.
    pub fn reader_name(&self) -> Option<String> {
        self.reader
            .as_ref()
            .map(|r| r.to_string_lossy().into_owned())
    }

    fn find_reader(&mut self) -> Result<std::ffi::CString, PcscError> {
        if let Some(r) = &self.reader {
            return Ok(r.clone());
        }
        let readers = match self.ctx.list_readers_owned() {
            Ok(r) => r,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let found = readers
            .into_iter()
            .find(|r| r.to_string_lossy().contains(&self.filter))
            .ok_or_else(|| PcscError::NoReader(self.filter.clone()))?;
        self.reader = Some(found.clone());
        self.state = None;
        Ok(found)
    }

    /// Wait up to `wait` for the reader's state to change, and say what is in it now.
    /// Errors: the reader is gone or was never there ([`PcscError::NoReader`], or pcsc-lite's
    /// `UnknownReader`/`ReaderUnavailable`), pcscd stopped (`NoService`/`ServiceStopped`);
    /// the reader is looked up again on the next call.
    pub fn poll(&mut self, wait: Duration) -> Result<Presence, PcscError> {
        let name = self.find_reader()?;
        let mut states = [self
            .state
            .take()
            .unwrap_or_else(|| pcsc::ReaderState::new(name, pcsc::State::UNAWARE))];
        match self.ctx.get_status_change(wait, &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => {
                self.reader = None;
                return Err(e.into());
            }
        }
        let [mut state] = states;
        let now = state.event_state();
        if now.intersects(pcsc::State::UNKNOWN | pcsc::State::UNAVAILABLE) {
            self.reader = None;
            return Err(PcscError::NoReader(self.filter.clone()));
        }
        state.sync_current_state();
        let present = now.contains(pcsc::State::PRESENT) && !now.contains(pcsc::State::MUTE);
        let insertion = state.event_count();
        self.state = Some(state);
        Ok(if present {
            Presence::Card { insertion }
        } else {
            Presence::Empty
        })
    }

    /// Connect to the card in the watched reader (shared mode, T=0 or T=1).
    pub fn connect(&mut self) -> Result<PcscCard, PcscError> {
        let name = self.find_reader()?;
        let card = self
            .ctx
            .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)?;
        Ok(PcscCard {
            card,
            buf: vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        })
    }
}
