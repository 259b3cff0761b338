//! The per-session AEAD state: one counter per direction, checked so that an IV is never
//! reused and the session ends before a counter would wrap.

use super::SessionKeys;
use crate::crypto::{CryptoError, CryptoProvider};

/// Which side of the session this cipher belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The mdoc reader: sends with SKReader, receives with SKDevice.
    Reader,
    /// The mdoc (holder): sends with SKDevice, receives with SKReader.
    Mdoc,
}

/// Which of a cipher's two message counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CounterDirection {
    /// Messages this side sends.
    Send,
    /// Messages this side receives.
    Receive,
}

impl core::fmt::Display for CounterDirection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CounterDirection::Send => "send",
            CounterDirection::Receive => "receive",
        })
    }
}

/// A session encryption failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Decryption failed: tampered ciphertext, wrong key, or a counter out of order (a
    /// replayed or skipped message). Maps to SessionData status 10.
    #[error("session message {counter} failed to decrypt")]
    DecryptFailed {
        /// The counter the message was expected to carry.
        counter: u32,
    },
    /// The message counter would wrap; the session must end.
    #[error("session {direction} counter exhausted")]
    CounterExhausted {
        /// Which counter ran out.
        direction: CounterDirection,
    },
    /// The session was already terminated.
    #[error("session is terminated")]
    Terminated,
}

impl SessionError {
    /// The cause group: a failed decryption is a failed check, the rest misuse.
    pub fn cause(&self) -> crate::Cause {
        match self {
            SessionError::DecryptFailed { .. } => crate::Cause::FailedCheck,
            _ => crate::Cause::Misuse,
        }
    }
}

const READER_TO_MDOC: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 0];
const MDOC_TO_READER: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 1];

type Direction<'k> = ([u8; 8], &'k [u8; 32]);

/// Encrypts outgoing and decrypts incoming session messages for one side.
pub struct SessionCipher {
    keys: SessionKeys,
    role: Role,
    /// Counter for the next message this side sends.
    send_counter: u32,
    /// Counter expected on the next message this side receives.
    recv_counter: u32,
    terminated: bool,
}

impl core::fmt::Debug for SessionCipher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionCipher")
            .field("role", &self.role)
            .field("send_counter", &self.send_counter)
            .field("recv_counter", &self.recv_counter)
            .finish_non_exhaustive()
    }
}

/// The 12-byte IV of clause 9.1.1.5: the 8-byte direction identifier, then the counter.
fn iv(ident: [u8; 8], counter: u32) -> [u8; 12] {
    let [a, b, c, d, e, f, g, h] = ident;
    let [w, x, y, z] = counter.to_be_bytes();
    [a, b, c, d, e, f, g, h, w, x, y, z]
}

impl SessionCipher {
    /// A fresh cipher for `role`, both counters at 1 (clause 9.1.1.5).
    pub fn new(keys: SessionKeys, role: Role) -> Self {
        SessionCipher {
            keys,
            role,
            send_counter: 1,
            recv_counter: 1,
            terminated: false,
        }
    }

    /// Which side this cipher is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Counter that the next outgoing message will use.
    pub fn send_counter(&self) -> u32 {
        self.send_counter
    }

    /// Counter expected on the next incoming message.
    pub fn recv_counter(&self) -> u32 {
        self.recv_counter
    }

    /// Mark the session ended; further use is an error.
    pub fn terminate(&mut self) {
        self.terminated = true;
    }

    /// (send direction, receive direction), each as (IV identifier, key).
    fn directions(&self) -> (Direction<'_>, Direction<'_>) {
        match self.role {
            Role::Reader => (
                (READER_TO_MDOC, &self.keys.sk_reader),
                (MDOC_TO_READER, &self.keys.sk_device),
            ),
            Role::Mdoc => (
                (MDOC_TO_READER, &self.keys.sk_device),
                (READER_TO_MDOC, &self.keys.sk_reader),
            ),
        }
    }

    /// Encrypt the next outgoing message.
    pub fn encrypt(
        &mut self,
        crypto: &dyn CryptoProvider,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SessionError> {
        if self.terminated {
            return Err(SessionError::Terminated);
        }
        let counter = self.send_counter;
        let next = counter
            .checked_add(1)
            .ok_or(SessionError::CounterExhausted {
                direction: CounterDirection::Send,
            })?;
        let ((ident, key), _) = self.directions();
        let ct = crypto.aes256gcm_seal(key, &iv(ident, counter), plaintext);
        self.send_counter = next;
        Ok(ct)
    }

    /// Decrypt the next incoming message. On failure the counter does not advance, so the
    /// caller must end the session (status 10) rather than retry.
    pub fn decrypt(
        &mut self,
        crypto: &dyn CryptoProvider,
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, SessionError> {
        if self.terminated {
            return Err(SessionError::Terminated);
        }
        let counter = self.recv_counter;
        let next = counter
            .checked_add(1)
            .ok_or(SessionError::CounterExhausted {
                direction: CounterDirection::Receive,
            })?;
        let (_, (ident, key)) = self.directions();
        let pt = crypto
            .aes256gcm_open(key, &iv(ident, counter), ciphertext)
            // Any failure to open (tampering, wrong key, wrong counter) is reported alike.
            .map_err(|_: CryptoError| SessionError::DecryptFailed { counter })?;
        self.recv_counter = next;
        Ok(pt)
    }

    #[cfg(test)]
    pub(crate) fn set_counters_for_test(&mut self, send: u32, recv: u32) {
        self.send_counter = send;
        self.recv_counter = recv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::RustCrypto;

    fn pair() -> (SessionCipher, SessionCipher) {
        let k = || SessionKeys {
            sk_reader: [1; 32],
            sk_device: [2; 32],
        };
        (
            SessionCipher::new(k(), Role::Reader),
            SessionCipher::new(k(), Role::Mdoc),
        )
    }

    #[test]
    fn both_directions_and_replay() {
        let c = RustCrypto;
        let (mut reader, mut mdoc) = pair();
        let m1 = reader.encrypt(&c, b"request").unwrap();
        assert_eq!(mdoc.decrypt(&c, &m1).unwrap(), b"request");
        // A replayed message uses an old counter and fails.
        assert_eq!(
            mdoc.decrypt(&c, &m1),
            Err(SessionError::DecryptFailed { counter: 2 })
        );
        let r1 = mdoc.encrypt(&c, b"response").unwrap();
        assert_eq!(reader.decrypt(&c, &r1).unwrap(), b"response");
        let mut tampered = reader.encrypt(&c, b"x").unwrap();
        tampered[0] ^= 1;
        assert!(mdoc.decrypt(&c, &tampered).is_err());
    }

    #[test]
    fn counter_never_wraps() {
        let c = RustCrypto;
        let (mut reader, _) = pair();
        reader.set_counters_for_test(u32::MAX, 1);
        assert_eq!(
            reader.encrypt(&c, b"x"),
            Err(SessionError::CounterExhausted {
                direction: CounterDirection::Send
            })
        );
    }
}
