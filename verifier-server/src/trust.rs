//! The till's trust data: IACA certificates from a directory and from named files, parsed once
//! into a [`TrustSnapshot`] and swapped for a new one when the files change (checked every few
//! seconds, without restart). A verification takes the snapshot in force when it starts; each
//! snapshot carries its own bounded cache of validated DS chains.

use crate::bundle::{BundleSource, LoadedBundle};
use crate::error::ServerError;
use kakunin_core::trust::{parse_certificate_input, TrustAnchors};
use kakunin_verifier::ChainCache;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// Certificates in a trust directory at most (a VICAL of a large region is a few hundred).
const MAX_ANCHORS: usize = 4096;
/// Largest certificate file read.
const MAX_CERT_FILE: u64 = 64 * 1024;

/// What identifies one state of the trust files: each file's path, length and mtime.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// The trust anchors in force and where they came from.
#[derive(Debug)]
pub struct TrustSnapshot {
    /// The parsed anchors.
    pub anchors: TrustAnchors,
    /// The VICALs in force (crate::vicals); their IACAs are part of
    /// [`TrustSnapshot::anchors`], scoped to their docTypes.
    pub vicals: Vec<Arc<crate::vicals::HeldVical>>,
    /// When these files were read (the server's clock).
    pub loaded_at: time::OffsetDateTime,
    /// The newest modification time among the files: how fresh the trust data is.
    pub newest_file: Option<time::OffsetDateTime>,
    /// Validated DS chains under these anchors (kakunin_verifier::ChainCache): one cache per
    /// trust generation, so a reload starts with an empty one and the old entries go with
    /// the old snapshot.
    pub chain_cache: ChainCache,
    fingerprint: Fingerprint,
    /// The signed trust bundle in force, if one is configured; its unscoped IACAs are part
    /// of [`TrustSnapshot::anchors`].
    pub bundle: Option<Arc<LoadedBundle>>,
    /// The status lists verifications check against (the bundle's and the status cache's);
    /// `None` when neither is configured.
    pub status: Option<kakunin_verifier::flow::SharedStatusSource>,
    /// The verified CRLs (the bundle's and the CRL files', crate::crls); `None` when neither
    /// holds one.
    pub crls: Option<Arc<kakunin_core::trust::CrlSet>>,
    /// The anchors from the trust directory and files alone.
    file_anchors: TrustAnchors,
    status_stamp: Vec<(PathBuf, crate::bundle::FileStamp)>,
    crl_stamp: Vec<(PathBuf, crate::bundle::FileStamp)>,
}

impl TrustSnapshot {
    /// When the trust data was made: the bundle's creation time when one is loaded, else
    /// the newest trust file's modification time, else when the files were read.
    pub fn data_time(&self) -> time::OffsetDateTime {
        self.bundle
            .as_ref()
            .map(|b| b.bundle.created())
            .or(self.newest_file)
            .unwrap_or(self.loaded_at)
    }

    /// Whether the trust bundle is older than `max_age` at `now` (never without a bundle or
    /// a maximum): then every verification is NG `status_unknown`, "trust data too old".
    pub fn too_old(&self, max_age: Option<std::time::Duration>, now: time::OffsetDateTime) -> bool {
        match (&self.bundle, max_age) {
            (Some(b), Some(max)) => {
                let max = time::Duration::try_from(max).unwrap_or(time::Duration::MAX);
                b.bundle.is_older_than(max, now)
            }
            _ => false,
        }
    }

    /// This snapshot with `bundle` and the status lists attached: the anchors become the
    /// files' plus the bundle's IACAs, those the bundle scopes to docTypes with that scope
    /// (the verifier validates a DS chain only to anchors allowed for the MSO's docType).
    fn attach(
        mut self,
        bundle: Option<Arc<LoadedBundle>>,
        status_cache: Option<&Path>,
        crl_files: &[PathBuf],
    ) -> Result<Self, ServerError> {
        self.crl_stamp = crate::crls::files_stamp(crl_files);
        self.crls = crate::crls::crl_set(&self.file_anchors, bundle.as_deref(), None, crl_files)?
            .map(Arc::new);
        let mut ders: Vec<Vec<u8>> = self.file_anchors.iter().map(|a| a.der().to_vec()).collect();
        let mut scoped = Vec::new();
        if let Some(b) = &bundle {
            for i in &b.bundle.contents().iacas {
                if i.doc_types.is_empty() {
                    ders.push(i.cert_der.clone());
                } else {
                    scoped.push(i);
                }
            }
        }
        let bundle_cert = |source| ServerError::Certificate {
            path: PathBuf::from("<trust bundle>"),
            source,
        };
        self.anchors = TrustAnchors::from_der_certs(&ders).map_err(bundle_cert)?;
        for i in scoped {
            self.anchors
                .push_scoped(&i.cert_der, i.doc_types.clone())
                .map_err(bundle_cert)?;
        }
        self.status = if bundle.is_some() || status_cache.is_some() {
            Some(crate::bundle::status_source(
                bundle.as_deref(),
                status_cache,
            )?)
        } else {
            None
        };
        self.status_stamp = status_cache
            .map(crate::bundle::dir_stamp)
            .unwrap_or_default();
        self.bundle = bundle;
        Ok(self)
    }
}

impl TrustSnapshot {
    /// This snapshot with the VICALs of `source` in force for its bundle version: their
    /// IACAs join the anchors, scoped to their docTypes.
    fn with_vicals(mut self, source: Option<&crate::vicals::VicalSource>) -> Self {
        if let Some(src) = source {
            self.vicals = src.in_force(self.bundle.as_ref().map(|b| b.bundle.version()));
            crate::vicals::import_all(&self.vicals, &mut self.anchors);
        }
        self
    }
}

/// Where the trust data comes from, and the snapshot in force.
#[derive(Debug)]
pub struct TrustStore {
    dir: Option<PathBuf>,
    files: Vec<PathBuf>,
    current: RwLock<Arc<TrustSnapshot>>,
    bundle: Option<BundleSource>,
    status_cache: Option<PathBuf>,
    crl_files: Vec<PathBuf>,
    vicals: Option<crate::vicals::VicalSource>,
}

impl TrustStore {
    /// Read the directory and files now; any unreadable or unusable certificate is an error.
    pub fn load(dir: Option<&Path>, files: &[PathBuf]) -> Result<Self, ServerError> {
        Self::load_with(dir, files, None, None)
    }

    /// [`TrustStore::load`] plus a signed trust bundle (read and verified now: a till whose
    /// bundle does not verify does not start) and a status-list cache directory.
    pub fn load_with(
        dir: Option<&Path>,
        files: &[PathBuf],
        bundle: Option<BundleSource>,
        status_cache: Option<&Path>,
    ) -> Result<Self, ServerError> {
        Self::load_with_crls(dir, files, bundle, status_cache, &[])
    }

    /// [`TrustStore::load_with`] plus CRL files (`trust.crls`, `--crl`), verified now against
    /// the anchors (crate::crls): a till whose CRL does not verify does not start.
    pub fn load_with_crls(
        dir: Option<&Path>,
        files: &[PathBuf],
        bundle: Option<BundleSource>,
        status_cache: Option<&Path>,
        crl_files: &[PathBuf],
    ) -> Result<Self, ServerError> {
        let fingerprint = fingerprint(dir, files)?;
        let now = time::OffsetDateTime::now_utc();
        let loaded = bundle.as_ref().map(|b| b.load(now)).transpose()?;
        if let (Some(src), Some(l)) = (&bundle, &loaded) {
            // Checked here first so the refusal names the bundle file.
            let anchors = read_snapshot(fingerprint.clone())?.file_anchors;
            crate::crls::add_bundle_crls(
                &mut kakunin_core::trust::CrlSet::new(),
                &anchors,
                l,
                Some(src.path()),
            )?;
        }
        let snapshot =
            read_snapshot(fingerprint)?.attach(loaded.map(Arc::new), status_cache, crl_files)?;
        Ok(TrustStore {
            dir: dir.map(Path::to_path_buf),
            files: files.to_vec(),
            current: RwLock::new(Arc::new(snapshot)),
            bundle,
            status_cache: status_cache.map(Path::to_path_buf),
            crl_files: crl_files.to_vec(),
            vicals: None,
        })
    }

    /// This store with VICALs (`trust.vicals`, and the bundle's VICALs, verified against
    /// `trust.vical_authorities`): the bundle in force must have VICALs that verify, or the
    /// till does not start; a loose file that does not verify imports nothing (logged).
    pub fn with_vicals(mut self, source: crate::vicals::VicalSource) -> Result<Self, ServerError> {
        let now = time::OffsetDateTime::now_utc();
        let current = self.snapshot();
        if let (Some(b), Some(src)) = (&current.bundle, &self.bundle) {
            source.verify_bundle(b, src.path(), now)?;
        }
        source.refresh_loose(now);
        self.vicals = Some(source);
        self.build_changed(&current, None, current.bundle.clone(), now)?;
        Ok(self)
    }

    /// Anchors given directly (tests, the demo): never reloaded.
    pub fn fixed(anchors: TrustAnchors) -> Self {
        TrustStore {
            dir: None,
            files: Vec::new(),
            current: RwLock::new(Arc::new(TrustSnapshot {
                file_anchors: anchors.clone(),
                anchors,
                vicals: Vec::new(),
                loaded_at: time::OffsetDateTime::now_utc(),
                newest_file: None,
                chain_cache: ChainCache::default(),
                fingerprint: Vec::new(),
                bundle: None,
                status: None,
                crls: None,
                status_stamp: Vec::new(),
                crl_stamp: Vec::new(),
            })),
            bundle: None,
            status_cache: None,
            crl_files: Vec::new(),
            vicals: None,
        }
    }

    /// The snapshot in force.
    pub fn snapshot(&self) -> Arc<TrustSnapshot> {
        match self.current.read() {
            Ok(g) => Arc::clone(&g),
            // A writer never panics while holding the lock (it only swaps an Arc); recover
            // the value anyway rather than fail verification.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Re-read the files if they changed. `Ok(true)` when a new snapshot is in force; on an
    /// error the previous snapshot stays in force (a half-copied file must not empty the
    /// trust list of a till in service).
    pub fn reload_if_changed(&self) -> Result<bool, ServerError> {
        if self.bundle.is_some()
            || self.status_cache.is_some()
            || !self.crl_files.is_empty()
            || self.vicals.is_some()
        {
            return self.reload_with_bundle(time::OffsetDateTime::now_utc());
        }
        if self.dir.is_none() && self.files.is_empty() {
            return Ok(false);
        }
        let now = fingerprint(self.dir.as_deref(), &self.files)?;
        if now == self.snapshot().fingerprint {
            return Ok(false);
        }
        let snapshot = Arc::new(read_snapshot(now)?);
        self.swap(snapshot);
        Ok(true)
    }

    /// The reload of a till with a trust bundle or a status cache, at `now`: the files,
    /// the bundle (only a verified, greater version replaces the one in force) and the
    /// cache are each re-read if they changed. A refused bundle is reported as the error
    /// after the other changes are applied; the bundle in force stays.
    pub fn reload_with_bundle(&self, now: time::OffsetDateTime) -> Result<bool, ServerError> {
        let current = self.snapshot();
        let files = fingerprint(self.dir.as_deref(), &self.files)?;
        let files_changed = files != current.fingerprint;
        let (bundle, refused) = match &self.bundle {
            Some(src) => match src.check(current.bundle.as_deref(), now) {
                // A bundle whose CRL does not verify is refused like one whose signature
                // does not (crate::crls), once per file change.
                Ok(Some(next)) => match crate::crls::add_bundle_crls(
                    &mut kakunin_core::trust::CrlSet::new(),
                    &current.file_anchors,
                    &next,
                    Some(src.path()),
                )
                .and_then(|()| self.check_bundle_vicals(&next, src, now))
                {
                    Ok(()) => (Some(Arc::new(next)), None),
                    Err(e) => (current.bundle.clone(), Some(e)),
                },
                Ok(None) => (current.bundle.clone(), None),
                Err(e) => (current.bundle.clone(), Some(e)),
            },
            None => (None, None),
        };
        let bundle_changed = match (&bundle, &current.bundle) {
            (Some(a), Some(b)) => !Arc::ptr_eq(a, b),
            (None, None) => false,
            _ => true,
        };
        let status_stamp = self
            .status_cache
            .as_deref()
            .map(crate::bundle::dir_stamp)
            .unwrap_or_default();
        let status_changed = status_stamp != current.status_stamp;
        let crls_changed = crate::crls::files_stamp(&self.crl_files) != current.crl_stamp;
        let vicals_changed = self.vicals.as_ref().is_some_and(|v| v.refresh_loose(now));
        let changed =
            files_changed || bundle_changed || status_changed || crls_changed || vicals_changed;
        if changed {
            let applied = self.build_changed(&current, files_changed.then_some(files), bundle, now);
            if applied.is_err() && bundle_changed {
                // The new bundle verified but is not in force: look at it again next time.
                if let Some(src) = &self.bundle {
                    src.forget();
                }
            }
            applied?;
        }
        match refused {
            Some(e) => Err(e),
            None => Ok(changed),
        }
    }

    /// Build and swap in the snapshot for the changed parts.
    fn build_changed(
        &self,
        current: &TrustSnapshot,
        files: Option<Fingerprint>,
        bundle: Option<Arc<LoadedBundle>>,
        now: time::OffsetDateTime,
    ) -> Result<(), ServerError> {
        let base = if let Some(files) = files {
            read_snapshot(files)?
        } else {
            TrustSnapshot {
                file_anchors: current.file_anchors.clone(),
                anchors: TrustAnchors::default(),
                vicals: Vec::new(),
                loaded_at: now,
                newest_file: current.newest_file,
                chain_cache: ChainCache::default(),
                fingerprint: current.fingerprint.clone(),
                bundle: None,
                status: None,
                crls: None,
                status_stamp: Vec::new(),
                crl_stamp: Vec::new(),
            }
        };
        let snapshot = base
            .attach(bundle, self.status_cache.as_deref(), &self.crl_files)?
            .with_vicals(self.vicals.as_ref());
        self.swap(Arc::new(snapshot));
        Ok(())
    }

    /// A newly read bundle's VICALs must verify against the VICAL authorities, or the
    /// bundle version is refused (without configured authorities they are not used).
    fn check_bundle_vicals(
        &self,
        next: &LoadedBundle,
        src: &BundleSource,
        now: time::OffsetDateTime,
    ) -> Result<(), ServerError> {
        match &self.vicals {
            Some(v) => v.verify_bundle(next, src.path(), now),
            None => Ok(()),
        }
    }

    fn swap(&self, snapshot: Arc<TrustSnapshot>) {
        match self.current.write() {
            Ok(mut g) => *g = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
    }
}

fn is_cert_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("pem" | "der" | "crt" | "cer")
    )
}

fn fingerprint(dir: Option<&Path>, files: &[PathBuf]) -> Result<Fingerprint, ServerError> {
    let mut paths: Vec<PathBuf> = files.to_vec();
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|source| ServerError::Read {
            path: dir.into(),
            source,
        })?;
        let mut in_dir: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| is_cert_file(p))
            .collect();
        in_dir.sort();
        paths.extend(in_dir);
    }
    if paths.len() > MAX_ANCHORS {
        return Err(ServerError::Invalid(format!(
            "more than {MAX_ANCHORS} trust anchor files"
        )));
    }
    paths
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).map_err(|source| ServerError::Read {
                path: p.clone(),
                source,
            })?;
            Ok((p, meta.len(), meta.modified().ok()))
        })
        .collect()
}

fn read_snapshot(fingerprint: Fingerprint) -> Result<TrustSnapshot, ServerError> {
    let mut ders = Vec::with_capacity(fingerprint.len());
    for (path, len, _) in &fingerprint {
        if *len > MAX_CERT_FILE {
            return Err(ServerError::Invalid(format!(
                "{}: larger than {MAX_CERT_FILE} bytes",
                path.display()
            )));
        }
        let bytes = std::fs::read(path).map_err(|source| ServerError::Read {
            path: path.clone(),
            source,
        })?;
        let der = parse_certificate_input(&bytes).map_err(|source| ServerError::Certificate {
            path: path.clone(),
            source,
        })?;
        ders.push((path, der));
    }
    // Parse one by one so an error names the file.
    for (path, der) in &ders {
        TrustAnchors::from_der_certs([der]).map_err(|source| ServerError::Certificate {
            path: (*path).clone(),
            source,
        })?;
    }
    let anchors = TrustAnchors::from_der_certs(ders.iter().map(|(_, d)| d)).map_err(|source| {
        ServerError::Certificate {
            path: PathBuf::from("<trust anchors>"),
            source,
        }
    })?;
    let newest_file = fingerprint
        .iter()
        .filter_map(|(_, _, m)| *m)
        .max()
        .map(time::OffsetDateTime::from);
    Ok(TrustSnapshot {
        file_anchors: anchors.clone(),
        anchors,
        vicals: Vec::new(),
        loaded_at: time::OffsetDateTime::now_utc(),
        newest_file,
        chain_cache: ChainCache::default(),
        fingerprint,
        bundle: None,
        status: None,
        crls: None,
        status_stamp: Vec::new(),
        crl_stamp: Vec::new(),
    })
}
