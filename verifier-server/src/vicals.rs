//! VICALs in the till (ISO/IEC 18013-5 Annex C; docs/till.md, docs/decisions/0013): loose
//! signed VICAL files (`trust.vicals`) and the VICALs carried by the trust bundle, each
//! verified against the configured VICAL authorities (`trust.vical_authorities`) — never the
//! bundle signer, never a root inside the list. Their IACAs join the till's anchors scoped to
//! the docTypes of their entries (kakunin_core::trust::vical::VerifiedVical::import_into).
//!
//! - A loose file that does not verify (bad signature, unknown authority, stale past
//!   `nextUpdate` plus the grace, a rollback) imports nothing; the file's previous list, if
//!   one verified, stays in force. One log line per file change names the file and the
//!   reason, never the contents.
//! - A VICAL inside a signed bundle that does not verify makes the till refuse that bundle
//!   version: the caller keeps the bundle in force.
//! - Rollback: the highest `vicalIssueID` verified per provider in this running till is the
//!   floor (`VicalPolicy::min_issue_id`) for every later list of that provider, and a held
//!   list below a newer one of its provider is no longer imported.

use crate::bundle::{stamp, FileStamp, LoadedBundle};
use crate::error::ServerError;
use kakunin_core::crypto::default_provider;
use kakunin_core::trust::parse_certificate_input;
use kakunin_core::trust::vical::{SignedVical, VerifiedVical, VicalPolicy, MAX_VICAL_LEN};
use kakunin_core::trust::TrustAnchors;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// How far a list's `date` may be ahead of the till's clock.
const MAX_CLOCK_SKEW: time::Duration = time::Duration::minutes(5);
/// Bundle versions whose verified VICALs are remembered (the one in force and a newer one
/// that verified but is not in force yet).
const BUNDLE_VERSIONS_KEPT: usize = 2;

/// A verified VICAL held by the till, and where it came from.
#[derive(Debug)]
pub struct HeldVical {
    /// The file name (loose lists) or `trust bundle vN, VICAL #i`.
    pub origin: String,
    /// The verified list.
    pub vical: VerifiedVical,
}

impl HeldVical {
    /// What the page and `GET /api/v1/till/trust` show: trust information only (provider,
    /// issue id, dates, entry count), no personal data.
    pub fn view(&self, now: time::OffsetDateTime) -> serde_json::Value {
        let v = &self.vical;
        serde_json::json!({
            "origin": self.origin,
            "provider": v.provider(),
            "issue_id": v.issue_id(),
            "date": rfc3339(v.date()),
            "next_update": v.next_update().map(rfc3339),
            "entries": v.entries().len(),
            "past_next_update": v.next_update().is_some_and(|t| now > t),
        })
    }
}

fn rfc3339(t: time::OffsetDateTime) -> serde_json::Value {
    t.format(&time::format_description::well_known::Rfc3339)
        .map(serde_json::Value::String)
        .unwrap_or(serde_json::Value::Null)
}

/// One loose VICAL file: the stamp last looked at and the list that verified last.
#[derive(Debug, Default)]
struct LooseFile {
    seen: Option<FileStamp>,
    held: Option<Arc<HeldVical>>,
}

/// What the source remembers between reloads.
#[derive(Debug, Default)]
struct State {
    /// The highest verified `vicalIssueID` per provider (the rollback floor).
    floors: HashMap<String, u64>,
    /// Per loose file, in configuration order.
    loose: Vec<LooseFile>,
    /// The verified VICALs of recent bundle versions, oldest first.
    bundles: Vec<(u64, Vec<Arc<HeldVical>>)>,
}

/// The configured VICAL authorities and loose VICAL files, and the lists verified so far.
#[derive(Debug)]
pub struct VicalSource {
    authorities: TrustAnchors,
    files: Vec<PathBuf>,
    grace: time::Duration,
    state: Mutex<State>,
}

/// A file's name for a log line (escaped; never its contents).
fn shown(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().escape_default().to_string())
        .unwrap_or_default()
}

impl VicalSource {
    /// Read the VICAL-authority certificates; the loose files are read by
    /// [`VicalSource::refresh_loose`]. `grace` is how long past `nextUpdate` a list is still
    /// taken.
    pub fn new(
        authority_files: &[PathBuf],
        files: &[PathBuf],
        grace: std::time::Duration,
    ) -> Result<Self, ServerError> {
        let mut ders = Vec::with_capacity(authority_files.len());
        for path in authority_files {
            let bytes = std::fs::read(path).map_err(|source| ServerError::Read {
                path: path.clone(),
                source,
            })?;
            let cert = |source| ServerError::Certificate {
                path: path.clone(),
                source,
            };
            let der = parse_certificate_input(&bytes).map_err(cert)?;
            TrustAnchors::from_der_certs([&der]).map_err(cert)?;
            ders.push(der);
        }
        let authorities =
            TrustAnchors::from_der_certs(&ders).map_err(|source| ServerError::Certificate {
                path: PathBuf::from("<vical authorities>"),
                source,
            })?;
        let grace = time::Duration::try_from(grace)
            .map_err(|_| ServerError::Invalid("trust.vical_grace_seconds is too large".into()))?;
        Ok(VicalSource {
            authorities,
            files: files.to_vec(),
            grace,
            state: Mutex::new(State {
                loose: files.iter().map(|_| LooseFile::default()).collect(),
                ..State::default()
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            // Nothing panics while holding the lock; take the state as it is.
            Err(p) => p.into_inner(),
        }
    }

    /// Verify one list at `now` with its provider's rollback floor; on success the floor
    /// rises to its issue id.
    fn verify(
        &self,
        state: &mut State,
        bytes: &[u8],
        origin: String,
        now: time::OffsetDateTime,
    ) -> Result<Arc<HeldVical>, String> {
        let signed = SignedVical::parse(bytes).map_err(|e| format!("{}: {e}", e.cause()))?;
        let floor = state
            .floors
            .get(signed.unverified_contents().provider())
            .copied();
        let policy = VicalPolicy {
            next_update_grace: self.grace,
            max_clock_skew: MAX_CLOCK_SKEW,
            min_issue_id: floor,
        };
        let vical = signed
            .verify(&self.authorities, default_provider(), now, &policy)
            .map_err(|e| format!("{}: {e}", e.cause()))?;
        if let Some(id) = vical.issue_id() {
            let f = state
                .floors
                .entry(vical.provider().to_string())
                .or_insert(id);
            *f = (*f).max(id);
        }
        Ok(Arc::new(HeldVical { origin, vical }))
    }

    /// Verify every VICAL of a newly read bundle at `now`. Any that does not verify refuses
    /// the bundle version (the error is the log line); nothing of it is remembered then.
    pub fn verify_bundle(
        &self,
        bundle: &LoadedBundle,
        bundle_path: &Path,
        now: time::OffsetDateTime,
    ) -> Result<(), ServerError> {
        let version = bundle.bundle.version();
        let mut state = self.lock();
        if state.bundles.iter().any(|(v, _)| *v == version) {
            return Ok(());
        }
        let floors = state.floors.clone();
        let mut held = Vec::with_capacity(bundle.bundle.vicals().len());
        for (i, bytes) in bundle.bundle.vicals().iter().enumerate() {
            let origin = format!("trust bundle v{version}, VICAL #{i}");
            match self.verify(&mut state, bytes, origin, now) {
                Ok(h) => held.push(h),
                Err(why) => {
                    state.floors = floors;
                    return Err(ServerError::Invalid(format!(
                        "trust bundle {} refused, the bundle in force is kept: VICAL #{i}: {}",
                        shown(bundle_path),
                        why.escape_default()
                    )));
                }
            }
        }
        state.bundles.push((version, held));
        let extra = state.bundles.len().saturating_sub(BUNDLE_VERSIONS_KEPT);
        state.bundles.drain(..extra);
        Ok(())
    }

    /// Re-read the loose files that changed since they were last looked at, at `now`;
    /// `true` when a list in force changed. A refused file keeps its previous list and is
    /// logged once per change.
    pub fn refresh_loose(&self, now: time::OffsetDateTime) -> bool {
        let mut state = self.lock();
        let mut changed = false;
        for (i, path) in self.files.iter().enumerate() {
            let s = stamp(path);
            if state.loose.get(i).and_then(|l| l.seen) == Some(s) {
                continue;
            }
            if let Some(l) = state.loose.get_mut(i) {
                l.seen = Some(s);
            }
            let result = match read_bounded(path) {
                Ok(bytes) => self.verify(&mut state, &bytes, shown(path), now),
                Err(why) => Err(why),
            };
            match result {
                Ok(h) => {
                    if let Some(l) = state.loose.get_mut(i) {
                        l.held = Some(h);
                        changed = true;
                    }
                }
                Err(why) => {
                    let kept = state.loose.get(i).is_some_and(|l| l.held.is_some());
                    eprintln!(
                        "kakunin till: VICAL {} refused, nothing imported from it{}: {}",
                        shown(path),
                        if kept {
                            "; its previous list stays in force"
                        } else {
                            ""
                        },
                        why.escape_default()
                    );
                }
            }
        }
        changed
    }

    /// The lists in force with bundle `version` (if any): the bundle's and the loose files',
    /// without those below a newer list of their provider.
    pub fn in_force(&self, bundle_version: Option<u64>) -> Vec<Arc<HeldVical>> {
        let state = self.lock();
        let from_bundle = bundle_version
            .and_then(|v| state.bundles.iter().find(|(b, _)| *b == v))
            .map(|(_, h)| h.as_slice())
            .unwrap_or_default();
        from_bundle
            .iter()
            .chain(state.loose.iter().filter_map(|l| l.held.as_ref()))
            .filter(|h| {
                match (
                    h.vical.issue_id(),
                    state.floors.get(h.vical.provider()).copied(),
                ) {
                    (Some(id), Some(floor)) => id >= floor,
                    (None, Some(_)) => false,
                    _ => true,
                }
            })
            .cloned()
            .collect()
    }
}

/// The IACAs of `held`, each scoped to its entry's docTypes, added to `anchors`.
pub fn import_all(held: &[Arc<HeldVical>], anchors: &mut TrustAnchors) -> usize {
    held.iter().map(|h| h.vical.import_into(anchors)).sum()
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("cannot read: {}", e.kind()))?
        .len();
    if usize::try_from(len).map_or(true, |l| l > MAX_VICAL_LEN) {
        return Err("larger than the VICAL size limit".into());
    }
    std::fs::read(path).map_err(|e| format!("cannot read: {}", e.kind()))
}
