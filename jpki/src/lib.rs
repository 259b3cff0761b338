//! Kakunin JPKI (公的個人認証): the My Number card's JPKI application and smartphone JPKI, on
//! floor 2 (sans-IO over [`kakunin_core::card::Transceive`]; no transport, no async runtime).
//!
//! - [`apdu`]: the JPKI-AP command set as pure functions (notes §1.3).
//! - [`pin`]: the two PINs, format-checked and zeroized.
//! - [`client`]: [`client::JpkiCard`], the host side of the exchange, and
//!   [`client::CardSigner`], the card as a [`kakunin_core::crypto::RsaSigner`].
//! - [`profile`]: the signature certificate's four facts and the authentication certificate,
//!   card vs smartphone by policy OID ([`oids`]).
//! - [`trust`]: [`trust::JpkiTrust`], chain to a configured JPKI CA of the right purpose,
//!   validity, key usage and revocation by the CRLs of [`kakunin_core::trust::crl`].
//!
//! Facts about the card, its certificates and how relying parties verify them come from
//! /work/shared/jpki-notes.md §1–3 (gathered from OpenSC's `jpki` driver, jpki/myna, jpki-rs,
//! public certificates and public pages; each fact is cited there, and unverified ones are
//! marked so). The J-LIS primary specifications were not available.

pub mod apdu;
pub mod client;
mod error;
pub mod oids;
pub mod pin;
pub mod profile;
pub mod trust;

pub use client::{CardSigner, JpkiCard, Token, MAX_CERTIFICATE_LEN};
pub use error::{JpkiError, KeyKind, Step};
pub use pin::{AuthenticationPin, Pin, PinFormatError, PinKind, SignaturePin};
pub use profile::{AuthenticationCertificate, CertificateKind, ProfileError, SignatureCertificate};
pub use trust::{JpkiTrust, Revocation, TrustCheckError};
