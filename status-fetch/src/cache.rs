//! The on-disk cache of Status List Tokens: what a till verifies from when it is offline.
//!
//! One file per list, `<sha256(uri) in hex>.status`, holding a magic line, one line of JSON
//! metadata (`uri`, `etag`, `contentType`, `fetchedAt`, `len`, `sha256`) and the token bytes
//! as received. A write goes to a temporary file in the same directory that is then renamed
//! over the old one, so a reader sees the old entry or the new one, never half of either. A
//! read is capped ([`StatusCache::with_max_len`]); an entry whose length or digest does not
//! match its metadata, or whose `uri` is not the one asked for, is refused as corrupt.

use kakunin_core::status::MAX_TOKEN_LEN;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// First line of every cache file (format version 1).
const MAGIC: &[u8] = b"kakunin-status-cache 1\n";
/// Longest metadata line accepted (an `ETag` and a content type are short).
const MAX_META: usize = 16 * 1024;
/// File name suffix of an entry.
const SUFFIX: &str = "status";

/// Why the cache could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// A file or directory operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// An entry is larger than the cap.
    #[error("{}: {len} bytes exceed the {max}-byte cap", path.display())]
    TooLarge {
        /// The entry.
        path: PathBuf,
        /// Its size.
        len: u64,
        /// The cap.
        max: usize,
    },
    /// An entry does not decode, or does not match its metadata or its URI.
    #[error("{}: corrupt cache entry: {reason}", path.display())]
    Corrupt {
        /// The entry.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl CacheError {
    /// The cause group: I/O failures are misuse of the environment, the rest malformed.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            CacheError::Io { .. } => kakunin_core::Cause::Misuse,
            _ => kakunin_core::Cause::Malformed,
        }
    }
}

/// One cached Status List Token and what is known of its retrieval.
#[derive(Clone, PartialEq, Eq)]
pub struct CachedList {
    /// The URI it was fetched from (the credentials' `status.status_list.uri`).
    pub uri: String,
    /// The token as received (JWT text or CWT bytes).
    pub token: Vec<u8>,
    /// The response's `ETag`, for the next `If-None-Match`.
    pub etag: Option<String>,
    /// The response's `Content-Type`.
    pub content_type: Option<String>,
    /// When it was fetched, or last confirmed unchanged (304): the `ttl` runs from here.
    pub fetched_at: OffsetDateTime,
}

impl core::fmt::Debug for CachedList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CachedList")
            .field("uri", &self.uri)
            .field("token", &format_args!("<{} bytes>", self.token.len()))
            .field("etag", &self.etag)
            .field("content_type", &self.content_type)
            .field("fetched_at", &self.fetched_at)
            .finish()
    }
}

/// A directory of cached Status List Tokens.
#[derive(Debug, Clone)]
pub struct StatusCache {
    dir: PathBuf,
    max_len: usize,
}

impl StatusCache {
    /// The cache in `dir`, created if missing; tokens are capped at
    /// [`kakunin_core::status::MAX_TOKEN_LEN`].
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, CacheError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| CacheError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(StatusCache {
            dir,
            max_len: MAX_TOKEN_LEN,
        })
    }

    /// Cap tokens at `max_len` bytes instead (reading and writing).
    pub fn with_max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }

    /// The largest token accepted.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds the entry for `uri`.
    pub fn path_for(&self, uri: &str) -> PathBuf {
        let digest = Sha256::digest(uri.as_bytes());
        self.dir.join(format!("{}.{SUFFIX}", hex::encode(digest)))
    }

    /// The entry for `uri`, `None` when there is none.
    pub fn get(&self, uri: &str) -> Result<Option<CachedList>, CacheError> {
        let path = self.path_for(uri);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CacheError::Io { path, source }),
        };
        let cap = self.max_len.saturating_add(MAX_META + MAGIC.len() + 1);
        let mut bytes = Vec::new();
        // One byte more than the cap tells "at the cap" from "beyond it".
        let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
        file.take(limit)
            .read_to_end(&mut bytes)
            .map_err(|source| CacheError::Io {
                path: path.clone(),
                source,
            })?;
        if bytes.len() > cap {
            return Err(CacheError::TooLarge {
                path,
                len: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                max: self.max_len,
            });
        }
        decode_entry(&bytes, uri, self.max_len)
            .map(Some)
            .map_err(|reason| match reason {
                EntryDefect::TooLarge(len) => CacheError::TooLarge {
                    path: path.clone(),
                    len,
                    max: self.max_len,
                },
                EntryDefect::Corrupt(reason) => CacheError::Corrupt {
                    path: path.clone(),
                    reason,
                },
            })
    }

    /// Store `entry`, replacing any entry for its URI, atomically.
    pub fn put(&self, entry: &CachedList) -> Result<(), CacheError> {
        let path = self.path_for(&entry.uri);
        if entry.token.len() > self.max_len {
            return Err(CacheError::TooLarge {
                path,
                len: u64::try_from(entry.token.len()).unwrap_or(u64::MAX),
                max: self.max_len,
            });
        }
        let meta = serde_json::json!({
            "uri": entry.uri,
            "etag": entry.etag,
            "contentType": entry.content_type,
            "fetchedAt": entry.fetched_at.unix_timestamp(),
            "len": entry.token.len(),
            "sha256": hex::encode(Sha256::digest(&entry.token)),
        });
        let io = |source| CacheError::Io {
            path: path.clone(),
            source,
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".incoming-")
            .tempfile_in(&self.dir)
            .map_err(io)?;
        tmp.write_all(MAGIC).map_err(io)?;
        tmp.write_all(meta.to_string().as_bytes()).map_err(io)?;
        tmp.write_all(b"\n").map_err(io)?;
        tmp.write_all(&entry.token).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

impl StatusCache {
    /// Every entry in the directory (at most `max`; more is an error, so a huge directory
    /// cannot exhaust memory), each read and checked as [`StatusCache::get`] does. A file
    /// whose name is not the digest of the URI it holds is corrupt. Used to fill a till's
    /// in-memory status source, and to copy a cache into a trust bundle.
    pub fn entries(&self, max: usize) -> Result<Vec<CachedList>, CacheError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CacheError::Io { path, source }
        };
        let mut out = Vec::new();
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let entry = entry.map_err(io(&self.dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') || !name.ends_with(&format!(".{SUFFIX}")) {
                continue;
            }
            if names.len() >= max {
                return Err(CacheError::Corrupt {
                    path: self.dir.clone(),
                    reason: "more cache entries than allowed",
                });
            }
            names.push(entry.path());
        }
        names.sort();
        for path in names {
            let mut head = Vec::new();
            let file = std::fs::File::open(&path).map_err(io(&path))?;
            let cap = u64::try_from(MAGIC.len() + MAX_META + 1).unwrap_or(u64::MAX);
            file.take(cap).read_to_end(&mut head).map_err(io(&path))?;
            let corrupt = |reason| CacheError::Corrupt {
                path: path.clone(),
                reason,
            };
            let rest = head
                .strip_prefix(MAGIC)
                .ok_or_else(|| corrupt("no magic line"))?;
            let meta = rest
                .split(|b| *b == b'\n')
                .next()
                .ok_or_else(|| corrupt("no metadata line"))?;
            let meta: serde_json::Value =
                serde_json::from_slice(meta).map_err(|_| corrupt("metadata is not JSON"))?;
            let uri = meta
                .get("uri")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| corrupt("no uri"))?;
            if self.path_for(uri) != path {
                return Err(corrupt("the file name is not the digest of its URI"));
            }
            let entry = self.get(uri)?.ok_or_else(|| corrupt("vanished"))?;
            out.push(entry);
        }
        Ok(out)
    }
}

enum EntryDefect {
    TooLarge(u64),
    Corrupt(&'static str),
}

fn decode_entry(bytes: &[u8], uri: &str, max_len: usize) -> Result<CachedList, EntryDefect> {
    use EntryDefect::Corrupt;
    let rest = bytes.strip_prefix(MAGIC).ok_or(Corrupt("no magic line"))?;
    let newline = rest
        .iter()
        .take(MAX_META + 1)
        .position(|b| *b == b'\n')
        .ok_or(Corrupt("no metadata line"))?;
    let (meta, token) = rest.split_at(newline);
    let token = token.get(1..).ok_or(Corrupt("no metadata line"))?;
    let meta: serde_json::Value =
        serde_json::from_slice(meta).map_err(|_| Corrupt("metadata is not JSON"))?;
    let text = |k: &str| meta.get(k).and_then(serde_json::Value::as_str);
    if text("uri") != Some(uri) {
        return Err(Corrupt("the entry is for another URI"));
    }
    let len = meta
        .get("len")
        .and_then(serde_json::Value::as_u64)
        .ok_or(Corrupt("no len"))?;
    if usize::try_from(len).map_or(true, |l| l > max_len) {
        return Err(EntryDefect::TooLarge(len));
    }
    if u64::try_from(token.len()).ok() != Some(len) {
        return Err(Corrupt("token length differs from the metadata"));
    }
    if text("sha256") != Some(hex::encode(Sha256::digest(token)).as_str()) {
        return Err(Corrupt("token digest differs from the metadata"));
    }
    let fetched_at = meta
        .get("fetchedAt")
        .and_then(serde_json::Value::as_i64)
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .ok_or(Corrupt("no fetchedAt"))?;
    Ok(CachedList {
        uri: uri.to_string(),
        token: token.to_vec(),
        etag: text("etag").map(str::to_string),
        content_type: text("contentType").map(str::to_string),
        fetched_at,
    })
}

impl kakunin_verifier::StatusSource for StatusCache {
    /// The cached token; a missing, oversize or corrupt entry is no copy (the status is then
    /// undetermined, `unreachable`).
    fn get(&self, uri: &str) -> Option<(Vec<u8>, OffsetDateTime)> {
        StatusCache::get(self, uri)
            .ok()
            .flatten()
            .map(|c| (c.token, c.fetched_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(uri: &str, token: &[u8]) -> CachedList {
        CachedList {
            uri: uri.into(),
            token: token.to_vec(),
            etag: Some("\"v1\"".into()),
            content_type: Some("application/statuslist+jwt".into()),
            fetched_at: time::macros::datetime!(2026-12-01 09:00 UTC),
        }
    }

    #[test]
    fn entries_lists_every_entry_and_bounds_the_count() {
        let dir = tempfile::tempdir().unwrap();
        let cache = StatusCache::open(dir.path()).unwrap();
        assert!(cache.entries(8).unwrap().is_empty());
        cache.put(&entry("http://x/1", b"one")).unwrap();
        cache.put(&entry("http://x/2", b"two")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"ignored").unwrap();
        let mut uris: Vec<String> = cache
            .entries(8)
            .unwrap()
            .into_iter()
            .map(|e| e.uri)
            .collect();
        uris.sort();
        assert_eq!(uris, ["http://x/1", "http://x/2"]);
        assert!(matches!(cache.entries(1), Err(CacheError::Corrupt { .. })));
        // A renamed entry does not pass for its URI.
        std::fs::rename(cache.path_for("http://x/1"), dir.path().join("0.status")).unwrap();
        assert!(matches!(cache.entries(8), Err(CacheError::Corrupt { .. })));
    }

    #[test]
    fn round_trip_replace_and_refuse_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let cache = StatusCache::open(dir.path().join("c")).unwrap();
        assert!(cache.get("http://x/1").unwrap().is_none());
        let e = entry("http://x/1", b"eyJ.token");
        cache.put(&e).unwrap();
        assert_eq!(cache.get("http://x/1").unwrap(), Some(e.clone()));
        assert!(cache.get("http://x/2").unwrap().is_none());
        let e2 = CachedList {
            etag: None,
            ..entry("http://x/1", b"\xd2\x84binary\n\x00")
        };
        cache.put(&e2).unwrap();
        assert_eq!(cache.get("http://x/1").unwrap(), Some(e2));
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(cache.dir()).unwrap().count(), 1);

        let path = cache.path_for("http://x/1");
        let mut bytes = std::fs::read(&path).unwrap();
        if let Some(last) = bytes.last_mut() {
            *last ^= 1;
        }
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            cache.get("http://x/1"),
            Err(CacheError::Corrupt { .. })
        ));
        std::fs::write(&path, b"garbage").unwrap();
        assert!(matches!(
            cache.get("http://x/1"),
            Err(CacheError::Corrupt { .. })
        ));
        // Another URI's entry under this name (a copied file) is refused.
        let other = StatusCache::open(dir.path().join("o")).unwrap();
        other.put(&entry("http://x/9", b"t")).unwrap();
        std::fs::copy(other.path_for("http://x/9"), &path).unwrap();
        assert!(matches!(
            cache.get("http://x/1"),
            Err(CacheError::Corrupt { .. })
        ));
        use kakunin_verifier::StatusSource;
        assert!(StatusSource::get(&cache, "http://x/1").is_none());
    }

    #[test]
    fn caps() {
        let dir = tempfile::tempdir().unwrap();
        let cache = StatusCache::open(dir.path()).unwrap().with_max_len(8);
        assert!(matches!(
            cache.put(&entry("http://x/1", &[0; 9])),
            Err(CacheError::TooLarge { len: 9, max: 8, .. })
        ));
        cache.put(&entry("http://x/1", &[0; 8])).unwrap();
        let small = StatusCache::open(dir.path()).unwrap().with_max_len(4);
        assert!(matches!(
            small.get("http://x/1"),
            Err(CacheError::TooLarge { .. })
        ));
    }
}
