//! The per-session AEAD state: one counter per direction, checked so that an IV is never
//! reused and the session ends before a counter would wrap.

use super::SessionKeys;
use crate::crypto::{CryptoError, CryptoProvider};

/// Which side of the session this cipher belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Reader,
    Mdoc,
}

/// A session encryption failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Decryption failed: tampered ciphertext, wrong key, or a counter out of order (a
    /// replayed or skipped message). Maps to SessionData status 10.
    #[error("session message {counter} failed to decrypt")]
    DecryptFailed { counter: u32 },
    /// The message counter would wrap; the session must end.
    #[error("session {direction} counter exhausted")]
    CounterExhausted { direction: &'static str },
    /// The session was already terminated.
    #[error("session is terminated")]
    Terminated,
}

impl SessionError {
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

fn iv(ident: [u8; 8], counter: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[..8].copy_from_slice(&ident);
    iv[8..].copy_from_slice(&counter.to_be_bytes());
    iv
}

impl SessionCipher {
    pub fn new(keys: SessionKeys, role: Role) -> Self {
        SessionCipher {
            keys,
            role,
            send_counter: 1,
            recv_counter: 1,
            terminated: false,
        }
    }

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
            .ok_or(SessionError::CounterExhausted { direction: "send" })?;
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
                direction: "receive",
            })?;
        let (_, (ident, key)) = self.directions();
        let pt = crypto
            .aes256gcm_open(key, &iv(ident, counter), ciphertext)
            .map_err(|e| match e {
                CryptoError::AeadFailure => SessionError::DecryptFailed { counter },
                _ => SessionError::DecryptFailed { counter },
            })?;
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
            Err(SessionError::CounterExhausted { direction: "send" })
        );
    }
}
