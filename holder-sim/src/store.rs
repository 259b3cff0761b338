//! The wallet as a seam: [`CredentialStore`] is what the protocol code (answering a
//! DeviceRequest or an SD-JWT request, the holder loop) needs from storage, so it does no file
//! I/O itself. [`crate::Wallet`] (a directory) is one implementation; [`MemoryStore`] keeps
//! everything in memory, for tests and the demo.
//!
//! Credentials are single-use: a presentation takes an unused credential of the batch and
//! marks it used, so no two presentations share an MSO, device key or salts.

use crate::wallet::{CredentialInfo, StoredCredential, WalletError};
use kakunin_core::crypto::EcPrivateKey;
use std::sync::{Mutex, MutexGuard};

/// Where the holder's credentials live (shareable between threads: a holder loop may run on
/// its own).
pub trait CredentialStore: Send + Sync {
    /// Every credential (mdoc and SD-JWT VC), sorted by id.
    fn list(&self) -> Result<Vec<CredentialInfo>, WalletError>;
    /// One mdoc credential with its device key.
    fn load(&self, id: &str) -> Result<StoredCredential, WalletError>;
    /// One SD-JWT VC (as issued, with every Disclosure) with its holder key.
    fn load_sd_jwt(&self, id: &str) -> Result<(String, EcPrivateKey), WalletError>;
    /// Mark a credential presented; it is not used again.
    fn mark_used(&self, id: &str) -> Result<(), WalletError>;
    /// Store an mdoc credential (IssuerSigned as issued) under a fresh `id`.
    fn store(
        &self,
        id: &str,
        doc_type: &str,
        issuer_signed: &[u8],
        device_key: &EcPrivateKey,
    ) -> Result<(), WalletError>;
    /// Store an SD-JWT VC and its holder key under a fresh `id`.
    fn store_sd_jwt(
        &self,
        id: &str,
        vct: &str,
        sd_jwt: &str,
        holder_key: &EcPrivateKey,
    ) -> Result<(), WalletError>;
}

/// What a stored credential is.
enum Content {
    Mdoc(Vec<u8>),
    SdJwt(String),
}

struct Entry {
    id: String,
    doc_type: String,
    content: Content,
    key: EcPrivateKey,
    used: bool,
}

/// A credential store in memory (keys are zeroized when the store is dropped).
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<Vec<Entry>>,
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "MemoryStore(<{} credentials>)", self.lock().len())
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        // A panic while holding the lock cannot leave an entry half-written (every change is
        // one push or one flag), so a poisoned lock is still consistent.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(
        &self,
        id: &str,
        doc_type: &str,
        content: Content,
        key: &EcPrivateKey,
    ) -> Result<(), WalletError> {
        let mut entries = self.lock();
        if entries.iter().any(|e| e.id == id) {
            return Err(WalletError::Exists(id.into()));
        }
        entries.push(Entry {
            id: id.to_string(),
            doc_type: doc_type.to_string(),
            content,
            key: copy_key(key)?,
            used: false,
        });
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(())
    }
}

/// A second copy of a device key. Keys are not `Clone`; the in-memory store hands out a fresh
/// copy per load (as the directory wallet reads a fresh one from its file), through the
/// explicitly named hazmat door, and both copies are zeroized when dropped.
fn copy_key(key: &EcPrivateKey) -> Result<EcPrivateKey, WalletError> {
    use kakunin_core::crypto::hazmat;
    hazmat::private_key_from_scalar(key.curve(), hazmat::scalar_bytes(key)).ok_or_else(|| {
        WalletError::Corrupt {
            path: std::path::PathBuf::from("<memory store>"),
            reason: "device key does not load",
        }
    })
}

fn not_found(id: &str) -> WalletError {
    WalletError::NotFound { id: id.to_string() }
}

impl CredentialStore for MemoryStore {
    fn list(&self) -> Result<Vec<CredentialInfo>, WalletError> {
        Ok(self
            .lock()
            .iter()
            .map(|e| CredentialInfo {
                id: e.id.clone(),
                doc_type: e.doc_type.clone(),
                used: e.used,
            })
            .collect())
    }

    fn load(&self, id: &str) -> Result<StoredCredential, WalletError> {
        let entries = self.lock();
        let e = entries
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| not_found(id))?;
        match &e.content {
            Content::Mdoc(issuer_signed) => Ok(StoredCredential {
                id: e.id.clone(),
                doc_type: e.doc_type.clone(),
                issuer_signed: issuer_signed.clone(),
                device_key: copy_key(&e.key)?,
                used: e.used,
            }),
            Content::SdJwt(_) => Err(not_found(id)),
        }
    }

    fn load_sd_jwt(&self, id: &str) -> Result<(String, EcPrivateKey), WalletError> {
        let entries = self.lock();
        let e = entries
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| not_found(id))?;
        match &e.content {
            Content::SdJwt(s) => Ok((s.clone(), copy_key(&e.key)?)),
            Content::Mdoc(_) => Err(not_found(id)),
        }
    }

    fn mark_used(&self, id: &str) -> Result<(), WalletError> {
        let mut entries = self.lock();
        let e = entries
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or_else(|| not_found(id))?;
        e.used = true;
        Ok(())
    }

    fn store(
        &self,
        id: &str,
        doc_type: &str,
        issuer_signed: &[u8],
        device_key: &EcPrivateKey,
    ) -> Result<(), WalletError> {
        self.add(
            id,
            doc_type,
            Content::Mdoc(issuer_signed.to_vec()),
            device_key,
        )
    }

    fn store_sd_jwt(
        &self,
        id: &str,
        vct: &str,
        sd_jwt: &str,
        holder_key: &EcPrivateKey,
    ) -> Result<(), WalletError> {
        self.add(id, vct, Content::SdJwt(sd_jwt.to_string()), holder_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_lists_loads_and_spends() {
        let c = kakunin_core::crypto::default_provider();
        let key = c.generate_key(kakunin_core::crypto::Curve::P256).unwrap();
        let s = MemoryStore::new();
        s.store("b", "org.example.doc", &[0xa0], &key).unwrap();
        s.store_sd_jwt("a", "urn:example:vct", "x~", &key).unwrap();
        assert!(matches!(
            s.store("a", "t", &[], &key),
            Err(WalletError::Exists(_))
        ));
        let ids: Vec<String> = s.list().unwrap().into_iter().map(|i| i.id).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(s.load("b").unwrap().issuer_signed, vec![0xa0]);
        assert_eq!(s.load_sd_jwt("a").unwrap().0, "x~");
        assert!(matches!(s.load("a"), Err(WalletError::NotFound { .. })));
        s.mark_used("b").unwrap();
        assert!(s.load("b").unwrap().used);
        assert!(matches!(
            s.mark_used("zz"),
            Err(WalletError::NotFound { .. })
        ));
        assert!(!format!("{s:?}").contains("x~"));
    }
}
