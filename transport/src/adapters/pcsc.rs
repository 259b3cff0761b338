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
