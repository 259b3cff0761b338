//! A virtual contactless card attached to a real pcscd through vsmartcard's `vpcd` driver.
//!
//! vpcd listens on TCP (port 35963 by default, `CHANNELID 0x8C7B` in its reader.conf) for
//! the virtual card to connect. Each message in either direction is a 2-byte big-endian
//! length and that many bytes. A 1-byte message from vpcd is a control code (0 power off,
//! 1 power on, 2 reset, 4 get ATR — answered with the ATR); anything longer is a command
//! APDU, answered with the response APDU. This adapter is the only I/O; the card logic is
//! any [`Transceive`].

use crate::nfc::Transceive;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// vpcd's default port.
pub const VPCD_PORT: u16 = 0x8c7b;
/// ATR presented for the virtual card: T=1, no historical bytes.
pub const ATR: [u8; 5] = [0x3b, 0x80, 0x80, 0x01, 0x01];
const CTRL_OFF: u8 = 0;
const CTRL_ON: u8 = 1;
const CTRL_RESET: u8 = 2;
const CTRL_ATR: u8 = 4;
/// Largest APDU accepted from vpcd (an extended APDU with 64 KiB of data).
const MAX_APDU: usize = 65544;

/// Why the virtual card stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VpcdError {
    /// The TCP connection to vpcd failed.
    #[error("vpcd connection: {0}")]
    Io(#[from] std::io::Error),
    /// A message over the largest extended APDU, or a reply over the 2-byte length field.
    #[error("vpcd sent a message of {0} bytes")]
    TooLarge(usize),
    /// The served card's [`Transceive`] failed; its error, as it prints itself (local code,
    /// not text from the reader).
    #[error("card: {0}")]
    Card(String),
    /// vpcd sent nothing within the idle deadline.
    #[error("no command from the reader in time")]
    Idle,
}

/// Longest ATR (ISO/IEC 7816-3 §8.2.1: TS and at most 32 further bytes).
pub const MAX_ATR_LEN: usize = 33;

/// What vpcd told the card besides commands: the moments a real card loses its volatile
/// state (security status, selected files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PowerEvent {
    /// Control byte 0.
    Off,
    /// Control byte 1.
    On,
    /// Control byte 2 (warm reset).
    Reset,
}

/// A connection to vpcd, serving one card.
pub struct VirtualCard {
    stream: TcpStream,
    atr: Vec<u8>,
}

impl VirtualCard {
    /// Connect to vpcd at `addr` (e.g. `127.0.0.1:35963`), retrying for up to `wait`.
    pub fn connect(addr: &str, wait: Duration) -> Result<Self, VpcdError> {
        let start = std::time::Instant::now();
        loop {
            match TcpStream::connect(addr) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    return Ok(VirtualCard {
                        stream,
                        atr: ATR.to_vec(),
                    });
                }
                Err(e) if start.elapsed() >= wait => return Err(e.into()),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    fn read_message(&mut self) -> Result<Option<Vec<u8>>, VpcdError> {
        let mut len = [0u8; 2];
        match self.stream.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(VpcdError::Idle)
            }
            Err(e) => return Err(e.into()),
        }
        let n = usize::from(u16::from_be_bytes(len));
        if n > MAX_APDU {
            return Err(VpcdError::TooLarge(n));
        }
        let mut buf = vec![0u8; n];
        self.stream.read_exact(&mut buf)?;
        Ok(Some(buf))
    }

    fn write_message(&mut self, data: &[u8]) -> Result<(), VpcdError> {
        let len = u16::try_from(data.len()).map_err(|_| VpcdError::TooLarge(data.len()))?;
        let mut out = len.to_be_bytes().to_vec();
        out.extend_from_slice(data);
        self.stream.write_all(&out)?;
        Ok(())
    }

    /// Serve `card` until vpcd closes the connection or `done` says to stop (checked after
    /// each APDU and each power event). Returns the number of APDUs answered. With `idle`, gives up with
    /// [`VpcdError::Idle`] when vpcd sends nothing for that long.
    pub fn serve<T: Transceive>(
        &mut self,
        card: &mut T,
        idle: Option<Duration>,
        done: impl FnMut(&T) -> bool,
    ) -> Result<usize, VpcdError> {
        self.serve_powered(card, idle, |_, _| {}, done)
    }

    /// Present `atr` instead of [`ATR`] (e.g. a JPKI card's, so that OpenSC binds its driver
    /// by ATR). Refused when empty or longer than [`MAX_ATR_LEN`].
    pub fn with_atr(mut self, atr: &[u8]) -> Result<Self, VpcdError> {
        if atr.is_empty() || atr.len() > MAX_ATR_LEN {
            return Err(VpcdError::TooLarge(atr.len()));
        }
        self.atr = atr.to_vec();
        Ok(self)
    }

    /// [`VirtualCard::serve`], telling `power` about each power-off, power-on and reset
    /// vpcd sends (a card clears its security state there).
    pub fn serve_powered<T: Transceive>(
        &mut self,
        card: &mut T,
        idle: Option<Duration>,
        mut power: impl FnMut(&mut T, PowerEvent),
        mut done: impl FnMut(&T) -> bool,
    ) -> Result<usize, VpcdError> {
        self.stream.set_read_timeout(idle)?;
        let mut apdus = 0;
        while let Some(msg) = self.read_message()? {
            match msg.as_slice() {
                [CTRL_ATR] => {
                    let atr = self.atr.clone();
                    self.write_message(&atr)?
                }
                [CTRL_OFF] => power(card, PowerEvent::Off),
                [CTRL_ON] => power(card, PowerEvent::On),
                [CTRL_RESET] => power(card, PowerEvent::Reset),
                [_] => {}
                apdu => {
                    let reply = card
                        .transceive(apdu)
                        .map_err(|e| VpcdError::Card(e.to_string()))?;
                    self.write_message(&reply)?;
                    apdus += 1;
                }
            }
            // Also after a power event: a card that ends its session when the reader lets it
            // go (SCardDisconnect resets or powers it down) is done without another APDU.
            if done(card) {
                break;
            }
        }
        Ok(apdus)
    }

    /// Serve `card`, re-inserting it (reconnecting to vpcd) when the reader does not start
    /// talking to it within `first_command`. pcscd can leave a freshly inserted virtual card
    /// powered down (seen after a previous client disconnected with an unpower disposition);
    /// a re-insertion makes it power the card up again.
    pub fn serve_with_reinsertion<T: Transceive>(
        addr: &str,
        card: &mut T,
        first_command: Duration,
        attempts: usize,
        done: impl FnMut(&T) -> bool,
    ) -> Result<usize, VpcdError> {
        Self::serve_with_reinsertion_as(addr, &ATR, card, first_command, attempts, |_, _| {}, done)
    }

    /// [`VirtualCard::serve_with_reinsertion`] presenting `atr`, with `power` told about
    /// vpcd's power-off, power-on and reset (see [`VirtualCard::serve_powered`]).
    pub fn serve_with_reinsertion_as<T: Transceive>(
        addr: &str,
        atr: &[u8],
        card: &mut T,
        first_command: Duration,
        attempts: usize,
        mut power: impl FnMut(&mut T, PowerEvent),
        mut done: impl FnMut(&T) -> bool,
    ) -> Result<usize, VpcdError> {
        let mut last = VpcdError::Idle;
        for _ in 0..attempts.max(1) {
            let mut vicc = VirtualCard::connect(addr, Duration::from_secs(10))?.with_atr(atr)?;
            // Wait for the first APDU with a deadline; ATR polls keep arriving meanwhile.
            let deadline = std::time::Instant::now() + first_command;
            vicc.stream
                .set_read_timeout(Some(Duration::from_millis(200)))?;
            let mut started = false;
            while !started && std::time::Instant::now() < deadline {
                match vicc.read_message() {
                    Ok(Some(msg)) => match msg.as_slice() {
                        [CTRL_ATR] => vicc.write_message(atr)?,
                        [CTRL_OFF] => power(card, PowerEvent::Off),
                        [CTRL_ON] => power(card, PowerEvent::On),
                        [CTRL_RESET] => power(card, PowerEvent::Reset),
                        [_] => {}
                        apdu => {
                            let reply = card
                                .transceive(apdu)
                                .map_err(|e| VpcdError::Card(e.to_string()))?;
                            vicc.write_message(&reply)?;
                            started = true;
                        }
                    },
                    Ok(None) => break,
                    Err(VpcdError::Idle) => {}
                    Err(e) => return Err(e),
                }
            }
            if !started {
                last = VpcdError::Idle;
                continue;
            }
            if done(card) {
                return Ok(1);
            }
            return vicc.serve_powered(card, None, power, done).map(|n| n + 1);
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A card that answers every APDU with its length and 9000, and counts power events.
    #[derive(Default)]
    struct Echo {
        events: Vec<PowerEvent>,
    }

    impl Transceive for Echo {
        type Error = std::convert::Infallible;
        fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
            Ok(vec![
                u8::try_from(command.len()).unwrap_or(0xff),
                0x90,
                0x00,
            ])
        }
    }

    fn send(s: &mut TcpStream, msg: &[u8]) {
        let mut out = u16::try_from(msg.len()).unwrap().to_be_bytes().to_vec();
        out.extend_from_slice(msg);
        s.write_all(&out).unwrap();
    }

    fn recv(s: &mut TcpStream) -> Vec<u8> {
        let mut len = [0u8; 2];
        s.read_exact(&mut len).unwrap();
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut buf).unwrap();
        buf
    }

    #[test]
    fn the_chosen_atr_is_presented_and_power_events_reach_the_card() {
        let jpki_atr = [0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14];
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        // The fake vpcd: ATR, power cycle, one APDU, reset, ATR again, then close.
        let vpcd = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            send(&mut s, &[CTRL_ATR]);
            let atr = recv(&mut s);
            send(&mut s, &[CTRL_OFF]);
            send(&mut s, &[CTRL_ON]);
            send(&mut s, &[0x00, 0xa4, 0x04, 0x0c]);
            let reply = recv(&mut s);
            send(&mut s, &[CTRL_RESET]);
            send(&mut s, &[CTRL_ATR]);
            let again = recv(&mut s);
            (atr, reply, again)
        });
        let mut card = Echo::default();
        let n = VirtualCard::serve_with_reinsertion_as(
            &addr,
            &jpki_atr,
            &mut card,
            Duration::from_secs(5),
            1,
            |c, ev| c.events.push(ev),
            |_| false,
        )
        .unwrap();
        let (atr, reply, again) = vpcd.join().unwrap();
        assert_eq!(atr, jpki_atr);
        assert_eq!(again, jpki_atr);
        assert_eq!(reply, vec![4, 0x90, 0x00]);
        assert_eq!(n, 1);
        assert_eq!(
            card.events,
            vec![PowerEvent::Off, PowerEvent::On, PowerEvent::Reset]
        );
        // An empty or over-long ATR is refused.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let vc = VirtualCard::connect(&addr, Duration::from_secs(1)).unwrap();
        assert!(matches!(vc.with_atr(&[]), Err(VpcdError::TooLarge(0))));
        let vc = VirtualCard::connect(&addr, Duration::from_secs(1)).unwrap();
        assert!(vc.with_atr(&[0x3b; 34]).is_err());
    }
}
