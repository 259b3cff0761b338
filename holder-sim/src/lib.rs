//! Kakunin holder simulator: a wallet that stores mdoc credentials in single-use batches and
//! answers DeviceRequests with selective disclosure, like a real wallet — including a consent
//! policy and an unlock gate — and the holder loop that runs a whole proximity session over
//! any transport.
#![forbid(unsafe_code)]

pub mod engagement;
pub mod enrolment;
pub mod faults;
pub mod holder_loop;
pub mod jpki_card;
pub mod jpki_sim;
pub mod nfc_card;
pub mod respond;
pub mod sd_jwt;
pub mod store;
pub mod wallet;

pub use holder_loop::{
    run_holder, HolderDeadlines, HolderFailure, HolderLoop, HolderOutcome, HolderStep, Presented,
};
/// The wallet's unlock PIN (the simulator's stand-in for the user authentication a real
/// wallet does before it presents; ISO 18013-5 leaves that method to the mdoc): the one PIN
/// type of the project, 4 to 16 printable ASCII characters, zeroized, compared in constant time.
pub use kakunin_core::secret::{Pin, PinError};
pub use nfc_card::HolderCard;
pub use respond::{
    disclose, respond, respond_with, Consent, DeviceAuthMode, DisclosedDocument, DocOutcome,
    HolderError, HolderPolicy, Presentation, ReaderIdentity, Refusal, RespondOptions, Withheld,
};
pub use store::{CredentialStore, MemoryStore};
pub use wallet::{CredentialInfo, StoredCredential, Wallet, WalletError};
