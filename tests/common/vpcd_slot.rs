//! A lock on vpcd's second slot (port 35964, reader "Virtual PCD 00 01"), shared by the test
//! binaries that serve a virtual My Number card there (tests/jpki_opensc.rs,
//! tests/jpki_pcsc.rs). One `cargo test` runs test binaries one after another, but two
//! `cargo test`s (two worktrees on one machine, or a parallel runner) would put two cards in
//! the one slot; the lock is a listening TCP socket on a fixed loopback port, which the kernel
//! gives to one process at a time and takes back when that process ends however it ends.

use std::net::TcpListener;
use std::process::Child;
use std::time::{Duration, Instant};

/// vpcd's second slot as pcscd names it.
pub(crate) const READER: &str = "Virtual PCD 00 01";
/// Where `jpki-sim serve --vpcd` connects to put a card in that slot.
pub(crate) const VPCD: &str = "127.0.0.1:35964";

/// A child process (the card being served, a server), killed when the test ends however it
/// ends.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The loopback port whose listener is the lock (vpcd's slot port + 10000).
const LOCK_PORT: u16 = 45964;

/// Held while a test serves a card in the slot; released on drop.
pub(crate) struct SlotLock {
    _held: TcpListener,
}

/// Take the slot, waiting up to 10 minutes for another test process to release it.
pub(crate) fn take() -> SlotLock {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        match TcpListener::bind(("127.0.0.1", LOCK_PORT)) {
            Ok(l) => return SlotLock { _held: l },
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e) => panic!("vpcd slot lock (127.0.0.1:{LOCK_PORT}): {e}"),
        }
    }
}
