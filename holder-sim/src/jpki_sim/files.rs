//! File conventions of the JPKI-SIM directories (session 15's shared layout): public files
//! 0644, private keys and PINs 0600 in 0700 directories, nothing overwritten by `init`, and
//! state files replaced atomically (write a temporary file beside, then rename).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::SimError;

/// Mode of public files (certificates, CRLs).
pub(crate) const PUBLIC: u32 = 0o644;
/// Mode of secret files (keys, PINs) and state that reveals them.
pub(crate) const SECRET: u32 = 0o600;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Create `path` as a new directory with `mode` (its parent must exist).
pub(crate) fn create_dir(path: &Path, mode: u32) -> Result<(), SimError> {
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(mode);
    }
    let _ = mode;
    b.create(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            SimError::Exists(path.to_path_buf())
        } else {
            io(path)(e)
        }
    })
}

fn open_new(path: &Path, mode: u32) -> Result<std::fs::File, SimError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    let _ = mode;
    opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            SimError::Exists(path.to_path_buf())
        } else {
            io(path)(e)
        }
    })
}

/// Write a file that must not exist yet.
pub(crate) fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), SimError> {
    let mut f = open_new(path, mode)?;
    f.write_all(contents).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Replace `path` with `contents` atomically: a reader (or a crash) sees the old file or the
/// new one, never half of it.
pub(crate) fn write_replace(path: &Path, contents: &[u8], mode: u32) -> Result<(), SimError> {
    let mut tmp: PathBuf = path.to_path_buf();
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    tmp.set_file_name(name);
    // A temporary left by a crash is stale: remove it before creating a fresh one.
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&tmp)(e)),
    }
    write_new(&tmp, contents, mode)?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Read a file, bounded by `max` bytes (these are small files: certificates, keys, JSON).
pub(crate) fn read_small(path: &Path, max: u64) -> Result<Vec<u8>, SimError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(io(path))?;
    let mut out = Vec::new();
    f.take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(io(path))?;
    if u64::try_from(out.len()).map_or(true, |n| n > max) {
        return Err(SimError::BadFile {
            path: path.to_path_buf(),
            what: "small file (too large)",
        });
    }
    Ok(out)
}
