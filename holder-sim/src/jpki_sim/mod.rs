//! JPKI-SIM: a test stand-in for J-LIS's JPKI (公的個人認証) — its two CAs, their CRLs, and the
//! certificates and keys of simulated My Number cards and smartphone JPKI — built to the
//! profiles in /work/shared/jpki-notes.md (§2: CAs §2.1, signature certificate §2.2,
//! authentication certificate §2.3, validity §2.4, smartphone §2.6; revocation §3.4).
//!
//! Nothing here can be mistaken for the real JPKI: the CAs are `O=JPKI-SIM` (never `O=JPKI`
//! or `O=JPKI-TEST`), and every key is a simulator key (docs/decisions/0017-simulator-rsa.md).
//! The virtual card that serves a profile is [`crate::jpki_card`].

pub mod ca;
pub mod card_state;
pub mod certs;
pub mod error;
pub mod facts;
mod files;
pub mod init;
pub mod oids;
pub mod pins;
pub mod profile;
pub mod revoke;
pub mod rsa_key;
pub mod validity;
mod x509;

#[cfg(test)]
mod tests;

pub use ca::{Purpose, SimCa, CRL_VALIDITY};
pub use card_state::{CardState, AUTHENTICATION_PIN_TRIES, SIGNATURE_PIN_TRIES};
pub use certs::Device;
pub use error::SimError;
pub use facts::{PersonFacts, SimSex};
pub use init::{generate, init, CardSpec, SimJpki, SimPerson};
pub use pins::SimPins;
pub use profile::SimProfile;
pub use revoke::{revoke, Revoked, DEFAULT_REASON};
pub use rsa_key::{SimKeyError, SimRsaKey, MAX_SIGN_INPUT, SIM_RSA_BITS};
