//! Error conventions shared by every module of the core.
//!
//! Every error in Kakunin is grouped by its [`Cause`] so that callers can react without
//! matching on individual variants: malformed input is the sender's fault, a failed check
//! means the data is well-formed but wrong, untrusted means a signature chain does not end
//! in a configured anchor, and misuse means the caller used the API incorrectly.

/// Why an operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// The input is not well-formed (bad CBOR, wrong structure, out-of-bounds sizes).
    Malformed,
    /// The input is well-formed but a cryptographic or semantic check failed.
    FailedCheck,
    /// The input does not chain to a configured trust anchor or violates a trust profile.
    Untrusted,
    /// The API was used incorrectly (wrong key type, counter exhausted, wrong state).
    Misuse,
}

impl core::fmt::Display for Cause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Cause::Malformed => "malformed input",
            Cause::FailedCheck => "failed check",
            Cause::Untrusted => "untrusted",
            Cause::Misuse => "API misuse",
        })
    }
}
