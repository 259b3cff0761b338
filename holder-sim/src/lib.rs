//! Kakunin holder simulator: a wallet that stores mdoc credentials in single-use batches and
//! answers DeviceRequests with selective disclosure, like a real wallet — including a consent
//! policy and an unlock gate.
#![forbid(unsafe_code)]

pub mod pin;
pub mod respond;
pub mod sd_jwt;
pub mod wallet;

pub use pin::{Pin, PinError, MAX_PIN_LEN};
pub use respond::{
    disclose, respond, Consent, DeviceAuthMode, DisclosedDocument, DocOutcome, HolderError,
    HolderPolicy, Presentation, ReaderIdentity, Refusal, Withheld,
};
pub use wallet::{CredentialInfo, StoredCredential, Wallet, WalletError};
