//! Kakunin core: ISO/IEC 18013-5 mdoc structures, COSE, session encryption and trust
//! evaluation, with no I/O. Time is always passed in; crypto goes through
//! [`crypto::CryptoProvider`].
#![forbid(unsafe_code)]

pub mod base64url;
pub mod card;
pub mod cbor;
pub mod cose;
pub mod crypto;
pub mod enrolment;
mod error;
pub mod mdoc;
pub mod sdjwt;
pub mod secret;
pub mod session;
pub mod status;
pub mod trust;

pub use error::Cause;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod test_rand;
