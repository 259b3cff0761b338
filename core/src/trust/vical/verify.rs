//! Verifying a VICAL (Annex C) and importing its IACAs: the COSE signature with the
//! `x5chain` leaf, the leaf chained to a configured VICAL authority under the VICAL-signer
//! profile (EKU 1.0.18013.5.1.8) at the verification time, then `date`, `nextUpdate` and the
//! caller's rollback floor. Only a [`VerifiedVical`] exposes certificates.

use super::entry::{VicalEntry, VicalWarning, WarningKind};
use super::parse::SignedVical;
use super::VicalError;
use crate::crypto::{CryptoError, CryptoProvider};
use crate::trust::{validate_chain, CertProfile, TrustAnchors, ValidatedChain};
use time::{Duration, OffsetDateTime};

/// The caller's freshness and rollback rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VicalPolicy {
    /// How long after `nextUpdate` the list is still accepted (offline grace); zero by default.
    pub next_update_grace: Duration,
    /// How far `date` may be ahead of the verification time (clock skew); zero by default.
    pub max_clock_skew: Duration,
    /// The lowest `vicalIssueID` accepted, typically the one of the list already held; a
    /// list with a lower (or no) issue id is refused as a rollback.
    pub min_issue_id: Option<u64>,
}

/// A VICAL whose signature, signer chain and dates verified. Its entries can be imported.
#[derive(Debug, Clone)]
pub struct VerifiedVical {
    signed: SignedVical,
    signer: ValidatedChain,
    warnings: Vec<VicalWarning>,
}

impl SignedVical {
    /// Verify the list at `at` against the VICAL-authority anchors `authorities`, with
    /// signatures checked through `crypto` (Annex C). Any failure refuses the whole list.
    pub fn verify(
        self,
        authorities: &TrustAnchors,
        crypto: &dyn CryptoProvider,
        at: OffsetDateTime,
        policy: &VicalPolicy,
    ) -> Result<VerifiedVical, VicalError> {
        let chain: Vec<&[u8]> = self.x5chain.iter().map(Vec::as_slice).collect();
        // The x5chain serves only as the signer and its intermediates: path building ends at
        // one of `authorities`, so a root shipped in the list is never an anchor.
        let signer = validate_chain(crypto, &chain, authorities, CertProfile::VicalSigner, at)
            .map_err(VicalError::UntrustedSigner)?;
        let key = &signer.leaf_public_key;
        if self.alg.curve() != key.curve() {
            return Err(VicalError::AlgorithmKeyMismatch {
                alg: self.alg,
                curve: key.curve(),
            });
        }
        // Built while parsing, from the protected header and payload as received.
        let tbs = &self.sig_structure;
        crypto
            .verify_ecdsa(key, self.alg.hash(), tbs, &self.signature)
            .map_err(|e| match e {
                CryptoError::BadSignature | CryptoError::MalformedSignature { .. } => {
                    VicalError::BadSignature
                }
                other => VicalError::Crypto(other),
            })?;

        let c = &self.contents;
        if c.date > at + policy.max_clock_skew {
            return Err(VicalError::FutureDate { date: c.date, at });
        }
        if let Some(next_update) = c.next_update {
            if at > next_update + policy.next_update_grace {
                return Err(VicalError::Stale { next_update, at });
            }
        }
        if let Some(min) = policy.min_issue_id {
            if c.issue_id.is_none_or(|id| id < min) {
                return Err(VicalError::Rollback {
                    found: c.issue_id,
                    min,
                });
            }
        }
        let mut warnings = c.warnings.clone();
        for entry in &c.entries {
            let kind = if at > entry.not_after() {
                WarningKind::Expired
            } else if at < entry.not_before() {
                WarningKind::NotYetValid
            } else {
                continue;
            };
            warnings.push(VicalWarning {
                index: entry.index(),
                kind,
            });
        }
        warnings.sort_by_key(|w| w.index);
        Ok(VerifiedVical {
            signed: self,
            signer,
            warnings,
        })
    }
}

impl VerifiedVical {
    /// Parse and verify in one step: the call to make with received bytes.
    pub fn from_bytes(
        bytes: &[u8],
        authorities: &TrustAnchors,
        crypto: &dyn CryptoProvider,
        at: OffsetDateTime,
        policy: &VicalPolicy,
    ) -> Result<Self, VicalError> {
        SignedVical::parse(bytes)?.verify(authorities, crypto, at, policy)
    }

    /// The bytes as received, byte for byte (to store or pass on unchanged).
    pub fn received_bytes(&self) -> Vec<u8> {
        self.signed.received_bytes()
    }
    /// `version`.
    pub fn version(&self) -> &str {
        &self.signed.contents.version
    }
    /// `vicalProvider` (peer text: escape before printing).
    pub fn provider(&self) -> &str {
        &self.signed.contents.provider
    }
    /// `date`.
    pub fn date(&self) -> OffsetDateTime {
        self.signed.contents.date
    }
    /// `vicalIssueID`, if given: keep it as the next call's [`VicalPolicy::min_issue_id`].
    pub fn issue_id(&self) -> Option<u64> {
        self.signed.contents.issue_id
    }
    /// `nextUpdate`, if given.
    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.signed.contents.next_update
    }
    /// `vicalURL`, if given.
    pub fn url(&self) -> Option<&str> {
        self.signed.contents.url()
    }
    /// The entries, in list order.
    pub fn entries(&self) -> &[VicalEntry] {
        &self.signed.contents.entries
    }
    /// Every warning: hint mismatches and entries outside their validity at the
    /// verification time, in entry order.
    pub fn warnings(&self) -> &[VicalWarning] {
        &self.warnings
    }
    /// The validated signer chain (the signer's subject, the authority it chained to).
    pub fn signer(&self) -> &ValidatedChain {
        &self.signer
    }
    /// The DER certificate of entry `index`, once webpki has accepted it as a trust anchor
    /// (checked on the first call for the entry, or its first use as an anchor, and kept):
    /// `None` if there is no such entry, `Some(Err(VicalError::EntryCertificate { .. }))`
    /// if webpki refuses it.
    pub fn certificate_der(&self, index: usize) -> Option<Result<&[u8], VicalError>> {
        let e = self.entries().get(index)?;
        Some(match e.anchor.webpki_anchor(index) {
            Ok(_) => Ok(e.der()),
            Err(error) => Err(VicalError::EntryCertificate { index, error }),
        })
    }

    /// Add every entry to `anchors`, each scoped to its docTypes; returns how many were added.
    /// The certificates are not copied (they share the list's bytes); webpki's anchor check
    /// of each runs when a chain is first validated against it, and an entry it refuses is
    /// never used (`crate::trust::anchors`).
    pub fn import_into(&self, anchors: &mut TrustAnchors) -> usize {
        anchors.reserve(self.entries().len());
        for e in self.entries() {
            anchors.push_deferred(e.anchor.clone());
        }
        self.entries().len()
    }

    /// The entries as trust anchors scoped to their docTypes, as [`VerifiedVical::import_into`]
    /// makes them.
    pub fn into_trust_anchors(self) -> TrustAnchors {
        // Collected in place: the anchors take over the entries' allocation.
        let anchors = self.signed.contents.entries.into_iter().map(|e| e.anchor);
        TrustAnchors::from_deferred(anchors.collect())
    }
}
