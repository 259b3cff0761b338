//! Why a JPKI card exchange failed, grouped by cause ([`kakunin_core::Cause`]) and naming the
//! step of the exchange ([`Step`]) where it happened.

use crate::apdu::Ef;
use crate::pin::PinKind;

/// Which private key signs (notes §1.2: EF 001A for the signature key, 0017 for the
/// authentication key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// The signature key (署名用), after the signature PIN.
    Signature,
    /// The authentication key (利用者証明用), after the authentication PIN.
    Authentication,
}

impl KeyKind {
    /// The key's EF.
    pub const fn ef(self) -> Ef {
        match self {
            KeyKind::Signature => Ef::SignatureKey,
            KeyKind::Authentication => Ef::AuthenticationKey,
        }
    }

    /// The PIN that unlocks it.
    pub const fn pin(self) -> PinKind {
        match self {
            KeyKind::Signature => PinKind::Signature,
            KeyKind::Authentication => PinKind::Authentication,
        }
    }
}

/// A step of the JPKI-AP exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// SELECT of the JPKI-AP.
    SelectAp,
    /// SELECT of an EF.
    SelectFile(Ef),
    /// READ BINARY of the token EF 0006.
    ReadToken,
    /// READ BINARY of a certificate EF.
    ReadCertificate(Ef),
    /// The retry-counter query of a PIN.
    PinStatus(PinKind),
    /// VERIFY of a PIN.
    VerifyPin(PinKind),
    /// COMPUTE DIGITAL SIGNATURE with a key.
    Sign(KeyKind),
}

impl core::fmt::Display for Step {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Step::SelectAp => f.write_str("SELECT JPKI-AP"),
            Step::SelectFile(ef) => write!(f, "SELECT {ef}"),
            Step::ReadToken => f.write_str("READ BINARY token"),
            Step::ReadCertificate(ef) => write!(f, "READ BINARY certificate {ef}"),
            Step::PinStatus(k) => write!(f, "{k} retry counter"),
            Step::VerifyPin(k) => write!(f, "VERIFY {k}"),
            Step::Sign(k) => write!(f, "COMPUTE DIGITAL SIGNATURE ({:?} key)", k),
        }
    }
}

/// A JPKI card exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JpkiError {
    // --- the link or the card's answer is malformed ---
    /// The link to the card failed (its error, as it prints itself).
    #[error("{step}: card link failed: {reason}")]
    Link {
        /// Where.
        step: Step,
        /// The transport's message (no card data).
        reason: String,
    },
    /// A response APDU shorter than SW1 SW2.
    #[error("{step}: response shorter than a status word")]
    ShortResponse {
        /// Where.
        step: Step,
    },
    /// The card answered a status word this step does not expect.
    #[error("{step}: card answered {sw:04X}")]
    UnexpectedStatus {
        /// Where.
        step: Step,
        /// SW1 SW2.
        sw: u16,
    },
    /// The card sent data where none was expected, or more than asked for.
    #[error("{step}: unexpected response data ({len} bytes)")]
    UnexpectedData {
        /// Where.
        step: Step,
        /// Bytes received.
        len: usize,
    },
    /// A certificate EF does not start with a DER SEQUENCE header.
    #[error("{ef}: not a DER certificate header")]
    BadCertificateHeader {
        /// The EF.
        ef: Ef,
    },
    /// A certificate EF declares more than [`crate::client::MAX_CERTIFICATE_LEN`] bytes.
    #[error("{ef}: certificate of {declared} bytes declared, over the {max}-byte cap")]
    CertificateTooLarge {
        /// The EF.
        ef: Ef,
        /// The declared DER length (header included).
        declared: usize,
        /// The cap.
        max: usize,
    },
    /// The card stopped sending before the declared certificate length.
    #[error("{ef}: certificate truncated at {read} of {declared} bytes")]
    TruncatedCertificate {
        /// The EF.
        ef: Ef,
        /// Bytes read.
        read: usize,
        /// Bytes declared.
        declared: usize,
    },
    /// A signature of the wrong length for the key.
    #[error("card signature is {len} bytes, the key needs {expected}")]
    SignatureLength {
        /// Bytes received.
        len: usize,
        /// The key's signature length.
        expected: usize,
    },
    // --- a check on the card failed ---
    /// VERIFY failed; the card still allows `tries_left` tries.
    #[error("wrong {kind}: {tries_left} tries left")]
    WrongPin {
        /// Which PIN.
        kind: PinKind,
        /// Tries left (63Cx).
        tries_left: u8,
    },
    /// The PIN is locked (no tries left): nothing was sent to VERIFY.
    #[error("{kind} is locked (no tries left)")]
    Locked {
        /// Which PIN.
        kind: PinKind,
    },
    /// The card refused for lack of a verified PIN (6982).
    #[error("{step}: the card needs the PIN verified first")]
    PinNotVerified {
        /// Where.
        step: Step,
    },
    /// The file is not on the card (6A82): e.g. no signature certificate under 15.
    #[error("{step}: file not found")]
    FileNotFound {
        /// Where.
        step: Step,
    },
    // --- the API was used in the wrong order or with wrong input ---
    /// An operation before [`crate::client::JpkiCard::select_jpki_ap`].
    #[error("{step}: the JPKI-AP is not selected")]
    ApNotSelected {
        /// The operation attempted.
        step: Step,
    },
    /// Data to sign over the card's [`crate::apdu::MAX_SIGNATURE_INPUT`], or empty.
    #[error("{len} bytes to sign (1 to {max} allowed)")]
    SignatureInput {
        /// Bytes given.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl JpkiError {
    /// The cause group of this error.
    pub fn cause(&self) -> kakunin_core::Cause {
        use kakunin_core::Cause;
        match self {
            JpkiError::WrongPin { .. }
            | JpkiError::Locked { .. }
            | JpkiError::PinNotVerified { .. }
            | JpkiError::FileNotFound { .. } => Cause::FailedCheck,
            JpkiError::ApNotSelected { .. } | JpkiError::SignatureInput { .. } => Cause::Misuse,
            _ => Cause::Malformed,
        }
    }

    /// The step where it happened, when it is one.
    pub fn step(&self) -> Option<Step> {
        match self {
            JpkiError::Link { step, .. }
            | JpkiError::ShortResponse { step }
            | JpkiError::UnexpectedStatus { step, .. }
            | JpkiError::UnexpectedData { step, .. }
            | JpkiError::PinNotVerified { step }
            | JpkiError::FileNotFound { step }
            | JpkiError::ApNotSelected { step } => Some(*step),
            JpkiError::BadCertificateHeader { ef }
            | JpkiError::CertificateTooLarge { ef, .. }
            | JpkiError::TruncatedCertificate { ef, .. } => Some(Step::ReadCertificate(*ef)),
            JpkiError::WrongPin { kind, .. } | JpkiError::Locked { kind } => {
                Some(Step::VerifyPin(*kind))
            }
            JpkiError::SignatureLength { .. } | JpkiError::SignatureInput { .. } => None,
        }
    }
}
