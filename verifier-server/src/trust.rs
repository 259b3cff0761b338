//! The till's trust data: IACA certificates from a directory and from named files, parsed once
//! into a [`TrustSnapshot`] and swapped for a new one when the files change (checked every few
//! seconds, without restart). A verification takes the snapshot in force when it starts; each
//! snapshot carries its own bounded cache of validated DS chains.

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
    /// When these files were read (the server's clock).
    pub loaded_at: time::OffsetDateTime,
    /// The newest modification time among the files: how fresh the trust data is.
    pub newest_file: Option<time::OffsetDateTime>,
    /// Validated DS chains under these anchors (kakunin_verifier::ChainCache): one cache per
    /// trust generation, so a reload starts with an empty one and the old entries go with
    /// the old snapshot.
    pub chain_cache: ChainCache,
    fingerprint: Fingerprint,
}

/// Where the trust data comes from, and the snapshot in force.
#[derive(Debug)]
pub struct TrustStore {
    dir: Option<PathBuf>,
    files: Vec<PathBuf>,
    current: RwLock<Arc<TrustSnapshot>>,
}

impl TrustStore {
    /// Read the directory and files now; any unreadable or unusable certificate is an error.
    pub fn load(dir: Option<&Path>, files: &[PathBuf]) -> Result<Self, ServerError> {
        let fingerprint = fingerprint(dir, files)?;
        let snapshot = read_snapshot(fingerprint)?;
        Ok(TrustStore {
            dir: dir.map(Path::to_path_buf),
            files: files.to_vec(),
            current: RwLock::new(Arc::new(snapshot)),
        })
    }

    /// Anchors given directly (tests, the demo): never reloaded.
    pub fn fixed(anchors: TrustAnchors) -> Self {
        TrustStore {
            dir: None,
            files: Vec::new(),
            current: RwLock::new(Arc::new(TrustSnapshot {
                anchors,
                loaded_at: time::OffsetDateTime::now_utc(),
                newest_file: None,
                chain_cache: ChainCache::default(),
                fingerprint: Vec::new(),
            })),
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
        if self.dir.is_none() && self.files.is_empty() {
            return Ok(false);
        }
        let now = fingerprint(self.dir.as_deref(), &self.files)?;
        if now == self.snapshot().fingerprint {
            return Ok(false);
        }
        let snapshot = Arc::new(read_snapshot(now)?);
        match self.current.write() {
            Ok(mut g) => *g = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
        Ok(true)
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
        anchors,
        loaded_at: time::OffsetDateTime::now_utc(),
        newest_file,
        chain_cache: ChainCache::default(),
        fingerprint,
    })
}
