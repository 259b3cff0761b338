//! A wallet tapped on a real PC/SC reader (`kakunin conformance wallet --nfc`): each case is
//! one tap, i.e. one card session (ISO 18013-5 clause 8.2.2.1 static handover, 8.3.3.1.2 data
//! transfer over extended APDUs). A wallet answers one session per tap, so before each case
//! the target waits — until the case's deadline — for a card that pcscd has seen inserted
//! since the previous case (a new event count), and each case's session releases the card
//! when it ends (the PC/SC handle is dropped with SCardDisconnect(SCARD_RESET_CARD)), which a
//! phone or `holder-sim serve --nfc --sessions N` takes as the end of that tap.

use super::target::{nfc_session, TargetError, WalletSession, WalletTarget};
use kakunin_core::crypto::CryptoProvider;
use kakunin_transport::adapters::pcsc::{PcscCard, PcscError, PcscWatch, Presence};
use std::time::{Duration, Instant};

/// How long one status-change wait blocks before the deadline is checked again.
const POLL: Duration = Duration::from_millis(250);

/// A wallet on a PC/SC reader.
pub struct PcscTarget {
    watch: PcscWatch,
    reader: String,
    /// The event count of the card the previous case used: the next case needs another.
    last: Option<u32>,
}

impl core::fmt::Debug for PcscTarget {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PcscTarget")
            .field("reader", &self.reader)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl PcscTarget {
    /// The first reader whose name contains `reader_filter`, or without a filter the first
    /// reader that holds a card, waiting up to `wait` for one (a wallet may be tapped just
    /// after the run starts). Fails when pcscd is not reachable, no reader matches, or
    /// (without a filter) no reader holds a card in time.
    pub fn open(reader_filter: Option<&str>, wait: Duration) -> Result<Self, TargetError> {
        let pcsc = |step| move |source| TargetError::Pcsc { step, source };
        let reader = match reader_filter {
            Some(f) => PcscCard::readers()
                .map_err(pcsc("list the PC/SC readers"))?
                .into_iter()
                .find(|r| r.contains(f))
                .ok_or_else(|| TargetError::Pcsc {
                    step: "find the reader",
                    source: PcscError::NoReader(f.to_string()),
                })?,
            None => {
                let deadline = Instant::now() + wait;
                loop {
                    let with_card =
                        PcscCard::readers_with_card().map_err(pcsc("list the PC/SC readers"))?;
                    if let Some(first) = with_card.into_iter().next() {
                        break first;
                    }
                    if Instant::now() >= deadline {
                        return Err(TargetError::Pcsc {
                            step: "find a reader with a card (name one with --pcsc-reader)",
                            source: PcscError::NoCard("any reader".into()),
                        });
                    }
                    std::thread::sleep(POLL);
                }
            }
        };
        Ok(PcscTarget {
            watch: PcscWatch::open(&reader).map_err(pcsc("open the reader"))?,
            reader,
            last: None,
        })
    }

    /// The reader's full name.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// Wait until `deadline` for a card inserted since the previous case.
    fn wait_for_fresh_card(&mut self, deadline: Instant) -> Result<u32, TargetError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let presence = self
                .watch
                .poll(left.min(POLL))
                .map_err(|source| TargetError::Pcsc {
                    step: "wait for a card",
                    source,
                })?;
            match presence {
                Presence::Card { insertion } if self.last != Some(insertion) => {
                    return Ok(insertion)
                }
                Presence::Card { .. } | Presence::Empty => {}
            }
            if left.is_zero() {
                return Err(TargetError::Pcsc {
                    step: "wait for the next tap",
                    source: PcscError::NoCard(self.reader.clone()),
                });
            }
        }
    }
}

impl WalletTarget for PcscTarget {
    fn describe(&self) -> String {
        format!(
            "NFC wallet on PC/SC reader {:?} (static handover, extended APDUs, one tap per case)",
            self.reader
        )
    }

    fn connect(
        &mut self,
        _crypto: &dyn CryptoProvider,
        deadline: Instant,
    ) -> Result<WalletSession, TargetError> {
        let insertion = self.wait_for_fresh_card(deadline)?;
        // Whatever this case comes to, the next one needs a new tap.
        self.last = Some(insertion);
        let card = self.watch.connect().map_err(|source| TargetError::Pcsc {
            step: "connect to the card",
            source,
        })?;
        nfc_session(card)
    }
}
