//! A bounded cache of validated Document Signer chains (ISO 18013-5 clause 9.3.1 step 2, the
//! X.509 path validation of the `x5chain` to a trusted IACA), for a verifier that sees the
//! same few DS certificates over and over — a till, the verification API.
//!
//! A chain already validated at this hour is not validated again: an entry is keyed by the
//! exact certificate bytes as received (leaf first), the identity of the trust-anchor set
//! (`TrustAnchors::identity`: SHA-256 over every anchor's DER and docType scope, computed
//! once per anchor set) and the hour of the verification time (Unix seconds / 3600). Only chains that validated are stored: an
//! untrusted chain is validated again every time, so a fix on the issuer's side (or an
//! attacker's retry) is never answered from the cache. On a hit, the leaf's own validity
//! period is still compared with the verification time, so a DS certificate that expires
//! within the hour is not accepted after it expired.
//!
//! Bounded: at most `capacity` entries (default [`DEFAULT_CAPACITY`]), the oldest evicted
//! first; chains longer in total than [`MAX_CACHED_CHAIN_BYTES`] are not cached. Thread-safe
//! (one mutex; the work done under it is a hash-map lookup).

use kakunin_core::trust::ValidatedChain;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use time::OffsetDateTime;

/// Entries kept by [`ChainCache::default`].
pub const DEFAULT_CAPACITY: usize = 1024;
/// Largest chain (sum of its certificates' DER lengths) that is cached.
pub const MAX_CACHED_CHAIN_BYTES: usize = 32 * 1024;

/// What the cache keeps about a validated chain: the validation result and the facts the
/// report's [`crate::IssuerSummary`] takes from the certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CachedChain {
    /// The validated path.
    pub(crate) chain: ValidatedChain,
    /// The DS certificate's serial number, hex.
    pub(crate) ds_serial: Option<String>,
    /// The IACA's subject DN (RFC 4514 string).
    pub(crate) iaca_subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    chain: Vec<Vec<u8>>,
    anchors: Vec<u8>,
    hour: i64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Key, CachedChain>,
    order: VecDeque<Key>,
}

/// A bounded, thread-safe cache of validated DS chains; give it to
/// [`crate::Verifier::with_chain_cache`]. Keep one per trust-anchor generation (the key
/// includes the anchor set's identity, but a new set leaves the old entries to age out; a
/// fresh cache frees them at once).
pub struct ChainCache {
    capacity: usize,
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl core::fmt::Debug for ChainCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChainCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .field("hits", &self.hits())
            .field("misses", &self.misses())
            .finish()
    }
}

impl Default for ChainCache {
    fn default() -> Self {
        ChainCache::new(DEFAULT_CAPACITY)
    }
}

/// The hour of `at`, the cache's unit of time.
fn hour_of(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(3600)
}

impl ChainCache {
    /// A cache of at most `capacity` chains (at least one).
    pub fn new(capacity: usize) -> Self {
        ChainCache {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every change under the lock is one insert/remove pair on both structures; a panic
        // between them cannot happen (no user code runs under the lock), so a poisoned lock
        // still holds a usable cache.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Chains held now.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether no chain is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most chains held.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Lookups answered from the cache so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Lookups that had to validate so far.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    fn key(chain: &[&[u8]], anchors: &[u8], at: OffsetDateTime) -> Option<Key> {
        let total: usize = chain.iter().map(|c| c.len()).sum();
        (total <= MAX_CACHED_CHAIN_BYTES).then(|| Key {
            chain: chain.iter().map(|c| c.to_vec()).collect(),
            anchors: anchors.to_vec(),
            hour: hour_of(at),
        })
    }

    /// The cached validation of `chain` under `anchors` (their identity) at `at`'s hour, if
    /// any and if the leaf is within its validity at `at`.
    pub(crate) fn get(
        &self,
        chain: &[&[u8]],
        anchors: &[u8],
        at: OffsetDateTime,
    ) -> Option<CachedChain> {
        let found = Self::key(chain, anchors, at)
            .and_then(|k| self.lock().map.get(&k).cloned())
            .filter(|c| at >= c.chain.not_before && at <= c.chain.not_after);
        match found {
            Some(_) => self.hits.fetch_add(1, Ordering::Relaxed),
            None => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        found
    }

    /// Remember a chain that validated (callers never put a failed validation here).
    pub(crate) fn put(
        &self,
        chain: &[&[u8]],
        anchors: &[u8],
        at: OffsetDateTime,
        validated: CachedChain,
    ) {
        let Some(key) = Self::key(chain, anchors, at) else {
            return;
        };
        let mut inner = self.lock();
        if inner.map.contains_key(&key) {
            return;
        }
        while inner.map.len() >= self.capacity {
            match inner.order.pop_front() {
                Some(old) => {
                    inner.map.remove(&old);
                }
                None => break,
            }
        }
        inner.order.push_back(key.clone());
        inner.map.insert(key, validated);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_core::crypto::default_provider;
    use kakunin_core::trust::{validate_chain, CertProfile};
    use kakunin_spec_vectors::annex_d::{bytes, iaca_anchors, VERIFICATION_TIME};

    fn annex_d_chain() -> (Vec<Vec<u8>>, CachedChain) {
        let response =
            kakunin_core::mdoc::DeviceResponse::from_bytes(&bytes("device_response")).unwrap();
        let certs: Vec<Vec<u8>> = response.documents[0]
            .issuer_signed
            .issuer_auth
            .x5chain()
            .unwrap()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        let refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
        let chain = validate_chain(
            default_provider(),
            &refs,
            &iaca_anchors(),
            CertProfile::DocumentSigner,
            VERIFICATION_TIME,
        )
        .unwrap();
        (
            certs,
            CachedChain {
                chain,
                ds_serial: None,
                iaca_subject: None,
            },
        )
    }

    #[test]
    fn keyed_by_exact_bytes_anchors_and_hour_and_bounded() {
        let (certs, validated) = annex_d_chain();
        let refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
        let at = VERIFICATION_TIME;
        let cache = ChainCache::new(3);
        cache.put(&refs, b"anchors-1", at, validated.clone());
        assert_eq!(cache.get(&refs, b"anchors-1", at), Some(validated.clone()));
        // One byte different: a miss.
        let mut other = certs[0].clone();
        let last = other.len() - 1;
        other[last] ^= 1;
        assert!(cache.get(&[other.as_slice()], b"anchors-1", at).is_none());
        // Other anchors, another hour: misses.
        assert!(cache.get(&refs, b"anchors-2", at).is_none());
        assert!(cache
            .get(&refs, b"anchors-1", at + time::Duration::hours(1))
            .is_none());
        // Outside the leaf's validity, even in the hour it was cached for: a miss.
        let mut short = validated.clone();
        short.chain.not_after = at - time::Duration::seconds(1);
        cache.put(&refs, b"anchors-3", at, short);
        assert!(cache.get(&refs, b"anchors-3", at).is_none());
        // The bound: three entries at most, the oldest goes first.
        for i in 0..10u8 {
            cache.put(&refs, &[b'x', i], at, validated.clone());
            assert!(cache.len() <= 3);
        }
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&refs, b"anchors-1", at).is_none(), "evicted");
        assert!(cache.get(&refs, &[b'x', 9], at).is_some());
        // Oversized chains are not kept.
        let big = vec![0u8; MAX_CACHED_CHAIN_BYTES + 1];
        let fresh = ChainCache::new(3);
        fresh.put(&[big.as_slice()], b"a", at, validated);
        assert!(fresh.is_empty());
        assert_eq!(ChainCache::default().capacity(), DEFAULT_CAPACITY);
    }
}
