//! The till's signed trust bundle (kakunin_core::trust::bundle) and its status lists: read
//! at start, re-checked on the trust reload interval, and swapped in without restart only
//! when the new file verifies under the configured bundle-signer anchor and carries a
//! greater version. An older, equal, unverifiable or malformed file is refused and the
//! bundle in force stays; the refusal is logged once per file change, without the file's
//! contents.
//!
//! The status lists a verification checks against (kakunin_verifier::MemoryStatusSource)
//! come from the bundle and, when configured, from a status-fetch cache directory.

use crate::error::ServerError;
use kakunin_core::crypto::default_provider;
use kakunin_core::trust::bundle::{parse_and_verify, VerifiedBundle, MAX_BUNDLE_LEN};
use kakunin_core::trust::{parse_certificate_input, TrustAnchors};
use kakunin_verifier::flow::SharedStatusSource;
use kakunin_verifier::status::MemoryStatusSource;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Most status lists read from a cache directory.
const MAX_CACHED_LISTS: usize = 1024;

/// A file's identity for change detection: length and modification time.
pub(crate) type FileStamp = Option<(u64, Option<SystemTime>)>;

/// The stamp of `path` (`None` when it cannot be read).
pub(crate) fn stamp(path: &Path) -> FileStamp {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
}

/// A verified bundle in force, and when it was read.
#[derive(Debug)]
pub struct LoadedBundle {
    /// The bundle.
    pub bundle: VerifiedBundle,
    /// When the till read it (the server's clock).
    pub loaded_at: time::OffsetDateTime,
}

/// Where the bundle comes from and what its signer must chain to.
#[derive(Debug)]
pub struct BundleSource {
    path: PathBuf,
    anchors: TrustAnchors,
    /// The stamp of the last file looked at (loaded or refused), so a refused file is
    /// reported once, not on every tick; `None` before the first look or after
    /// [`BundleSource::forget`].
    seen: Mutex<Option<FileStamp>>,
}

/// Why a file was not taken: for the log line.
fn refusal(path: &Path, why: &str) -> ServerError {
    ServerError::Invalid(format!(
        "trust bundle {} refused, the bundle in force is kept: {why}",
        path.file_name()
            .map(|n| n.to_string_lossy().escape_default().to_string())
            .unwrap_or_default()
    ))
}

impl BundleSource {
    /// Read the anchor certificate (`trust.bundle_signer`).
    pub fn new(path: &Path, signer_anchor: &Path) -> Result<Self, ServerError> {
        let bytes = std::fs::read(signer_anchor).map_err(|source| ServerError::Read {
            path: signer_anchor.into(),
            source,
        })?;
        let cert = |source| ServerError::Certificate {
            path: signer_anchor.into(),
            source,
        };
        let der = parse_certificate_input(&bytes).map_err(cert)?;
        let anchors = TrustAnchors::from_der_certs([der]).map_err(cert)?;
        Ok(BundleSource {
            path: path.to_path_buf(),
            anchors,
            seen: Mutex::new(None),
        })
    }

    /// The bundle file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn mark_seen(&self, s: Option<FileStamp>) {
        match self.seen.lock() {
            Ok(mut g) => *g = s,
            Err(p) => *p.into_inner() = s,
        }
    }

    /// Look at the file again on the next check (a bundle that verified could not be put
    /// in force because another part of the trust data failed).
    pub fn forget(&self) {
        self.mark_seen(None);
    }

    fn last_seen(&self) -> Option<FileStamp> {
        match self.seen.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }

    /// Read and verify the file at `now`.
    pub fn load(&self, now: time::OffsetDateTime) -> Result<LoadedBundle, ServerError> {
        let s = stamp(&self.path);
        self.mark_seen(Some(s));
        let len = s.map(|(l, _)| l).unwrap_or(0);
        if usize::try_from(len).map_or(true, |l| l > MAX_BUNDLE_LEN) {
            return Err(refusal(&self.path, "larger than the bundle size limit"));
        }
        let bytes = std::fs::read(&self.path).map_err(|source| ServerError::Read {
            path: self.path.clone(),
            source,
        })?;
        let bundle = parse_and_verify(default_provider(), &bytes, &self.anchors, now)
            .map_err(|e| refusal(&self.path, &format!("{}: {e}", e.cause())))?;
        Ok(LoadedBundle {
            bundle,
            loaded_at: now,
        })
    }

    /// A newer bundle than `current`, if the file changed since it was last looked at:
    /// `Ok(None)` when unchanged, `Err` (once per change) when the new file is refused.
    pub fn check(
        &self,
        current: Option<&LoadedBundle>,
        now: time::OffsetDateTime,
    ) -> Result<Option<LoadedBundle>, ServerError> {
        let s = stamp(&self.path);
        if Some(s) == self.last_seen() {
            return Ok(None);
        }
        let next = self.load(now)?;
        if let Some(cur) = current {
            next.bundle
                .check_replaces(&cur.bundle)
                .map_err(|e| refusal(&self.path, &e.to_string()))?;
        }
        Ok(Some(next))
    }
}

/// The status lists for verifications: the bundle's, then the cache directory's (a list in
/// both is taken from whichever copy was fetched later).
pub fn status_source(
    bundle: Option<&LoadedBundle>,
    cache_dir: Option<&Path>,
) -> Result<SharedStatusSource, ServerError> {
    let mut lists: std::collections::HashMap<String, (Vec<u8>, time::OffsetDateTime)> =
        std::collections::HashMap::new();
    let mut put = |uri: &str, token: &[u8], at: time::OffsetDateTime| {
        let newer = lists.get(uri).is_none_or(|(_, t)| *t < at);
        if newer {
            lists.insert(uri.to_string(), (token.to_vec(), at));
        }
    };
    if let Some(b) = bundle {
        for l in b.bundle.status_lists() {
            put(&l.uri, &l.token, l.fetched_at);
        }
    }
    if let Some(dir) = cache_dir {
        let cache = kakunin_status_fetch::StatusCache::open(dir)
            .map_err(|e| ServerError::Invalid(format!("status cache: {e}")))?;
        let entries = cache
            .entries(MAX_CACHED_LISTS)
            .map_err(|e| ServerError::Invalid(format!("status cache: {e}")))?;
        for e in entries {
            put(&e.uri, &e.token, e.fetched_at);
        }
    }
    let mut source = MemoryStatusSource::new();
    for (uri, (token, at)) in lists {
        source.insert(uri, token, at);
    }
    Ok(SharedStatusSource(Arc::new(source)))
}

/// The stamp of a cache directory: every entry's name, length and mtime.
pub(crate) fn dir_stamp(dir: &Path) -> Vec<(PathBuf, FileStamp)> {
    let mut v: Vec<(PathBuf, FileStamp)> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .map(|p| {
                    let s = stamp(&p);
                    (p, s)
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
