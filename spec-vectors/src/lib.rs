//! Specification test vectors and the checks that run on them.
//!
//! [`annex_d`] holds the ISO/IEC 18013-5:2021 Annex D vectors (embedded at build time from
//! `data/annex-d/`, provenance in `data/annex-d/PROVENANCE.md`) and one check per
//! cross-verification listed in that folder's README. `kakunin vectors` prints them.
#![forbid(unsafe_code)]

pub mod annex_d;

/// The result of one vector check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorCheck {
    /// Stable identifier, e.g. `annex-d/session/sk-reader`.
    pub id: &'static str,
    /// The Annex D clause the check belongs to.
    pub clause: &'static str,
    /// What is checked.
    pub description: &'static str,
    /// `None` if the check passed, otherwise what differed.
    pub failure: Option<String>,
}

impl VectorCheck {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}
