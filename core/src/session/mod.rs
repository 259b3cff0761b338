//! Session establishment and encryption (ISO 18013-5 clause 9.1.1), sans-IO.
//!
//! Keys: `Zab = ECDH(own ephemeral, peer ephemeral)`, salt `SHA-256(SessionTranscriptBytes)`,
//! `SKReader`/`SKDevice = HKDF-SHA-256(Zab, salt, "SKReader"/"SKDevice", 32)`.
//! Messages: AES-256-GCM, no AAD, IV = 8-byte direction identifier (0 reader→mdoc,
//! 1 mdoc→reader) ‖ 4-byte big-endian counter starting at 1, one counter per direction.
//! DeviceMac uses `EMacKey = HKDF(ECDH(SDeviceKey, EReaderKey), salt, "EMacKey", 32)` (9.1.3.5).

mod cipher;
pub mod hazmat;
mod keys;
mod messages;

pub use cipher::{CounterDirection, Role, SessionCipher, SessionError};
pub use keys::{derive_emac_key, derive_session_keys, SessionKeys};
pub use messages::{
    SessionData, SessionEstablishment, STATUS_CBOR_ERROR, STATUS_ENCRYPTION_ERROR,
    STATUS_TERMINATION,
};
