//! Randomness for a whole issuance batch from few OS calls.
//!
//! Issuing one credential draws dozens of small random values (an mdoc's salts and digestIDs,
//! ISO/IEC 18013-5 clause 9.1.2.5; an SD-JWT's Disclosure salts and decoy digests, RFC 9901
//! §4.2.1 and §4.2.5). Asking the operating system for each one costs a system call apiece
//! (the kernel's per-call `crng_make_state` showed in issue 17's enrolment profile). A
//! [`RandomPool`] asks its [`CryptoProvider`] for one buffer's worth at a time and hands every
//! byte out exactly once, so the values stay as unpredictable and as independent of each other
//! as the provider's own output: nothing is stretched, reused or derived.

use super::{CryptoError, CryptoProvider};
use zeroize::Zeroizing;

/// Bytes fetched per refill unless the caller sizes the pool for its batch.
pub const DEFAULT_POOL_BYTES: usize = 4096;

/// Largest buffer a pool keeps (a bigger request is passed straight to the provider).
pub const MAX_POOL_BYTES: usize = 64 * 1024;

/// A buffer of the provider's random bytes, each handed out once (see the module doc).
pub struct RandomPool<'a> {
    crypto: &'a dyn CryptoProvider,
    /// Zeroized on drop: bytes not yet handed out could otherwise be read from freed memory
    /// and predict the next salts.
    buf: Zeroizing<Vec<u8>>,
    /// Bytes of `buf` before `next` are spent; `next <= buf.len()` always.
    next: usize,
}

impl core::fmt::Debug for RandomPool<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RandomPool")
            .field("capacity", &self.buf.len())
            .finish_non_exhaustive()
    }
}

impl<'a> RandomPool<'a> {
    /// A pool that refills [`DEFAULT_POOL_BYTES`] at a time.
    pub fn new(crypto: &'a dyn CryptoProvider) -> Self {
        Self::with_capacity(crypto, DEFAULT_POOL_BYTES)
    }

    /// A pool that refills `bytes` at a time (at least 1, at most [`MAX_POOL_BYTES`]): a batch
    /// that knows how much it needs is served by a single call. Nothing is fetched until the
    /// first [`Self::fill`].
    pub fn with_capacity(crypto: &'a dyn CryptoProvider, bytes: usize) -> Self {
        let cap = bytes.clamp(1, MAX_POOL_BYTES);
        RandomPool {
            crypto,
            buf: Zeroizing::new(vec![0; cap]),
            // Everything counts as spent: the first use fetches.
            next: cap,
        }
    }

    /// Fill `out` with fresh random bytes, never handed out before.
    pub fn fill(&mut self, out: &mut [u8]) -> Result<(), CryptoError> {
        let cap = self.buf.len();
        if out.len() > cap {
            return self.crypto.fill_random(out);
        }
        if cap.saturating_sub(self.next) < out.len() {
            self.crypto.fill_random(&mut self.buf)?;
            self.next = 0;
        }
        let end = self.next.saturating_add(out.len());
        let src = self.buf.get_mut(self.next..end).ok_or(CryptoError::Rng)?;
        out.copy_from_slice(src);
        // Spent bytes leave the pool at once, not only when it is dropped.
        src.fill(0);
        self.next = end;
        Ok(())
    }

    /// `N` fresh random bytes.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], CryptoError> {
        let mut a = [0u8; N];
        self.fill(&mut a)?;
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Forwarding, RustCrypto};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the provider's calls; bytes are a running counter, so repeats would show.
    struct Counting {
        calls: AtomicUsize,
        counter: AtomicUsize,
    }

    impl Counting {
        fn new() -> Self {
            Counting {
                calls: AtomicUsize::new(0),
                counter: AtomicUsize::new(1),
            }
        }
    }

    impl Forwarding for Counting {
        fn inner(&self) -> &dyn CryptoProvider {
            &RustCrypto
        }
        fn fill_random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            for b in out {
                *b = u8::try_from(self.counter.fetch_add(1, Ordering::Relaxed) % 251).unwrap();
            }
            Ok(())
        }
    }

    #[test]
    fn one_call_serves_the_pool_and_bytes_are_never_repeated() {
        let c = Counting::new();
        let mut pool = RandomPool::with_capacity(&c, 100);
        let mut seen = Vec::new();
        for _ in 0..10 {
            seen.extend_from_slice(&pool.array::<10>().unwrap());
        }
        assert_eq!(c.calls.load(Ordering::Relaxed), 1);
        // The counter's bytes 1..=100 in order: each handed out once.
        assert_eq!(seen, (1u8..=100).collect::<Vec<_>>());
        // The 101st byte needs a refill, and continues the provider's stream.
        assert_eq!(pool.array::<1>().unwrap(), [101]);
        assert_eq!(c.calls.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_request_that_does_not_fit_the_rest_refills_and_an_oversize_one_bypasses() {
        let c = Counting::new();
        let mut pool = RandomPool::with_capacity(&c, 16);
        pool.array::<10>().unwrap();
        // 6 left, 8 wanted: a fresh buffer, the 6 are dropped unused.
        assert_eq!(pool.array::<8>().unwrap(), [17, 18, 19, 20, 21, 22, 23, 24]);
        assert_eq!(c.calls.load(Ordering::Relaxed), 2);
        // Bigger than the pool: straight from the provider, the pool untouched.
        assert_eq!(pool.array::<32>().unwrap()[0], 33);
        assert_eq!(pool.array::<8>().unwrap(), [25, 26, 27, 28, 29, 30, 31, 32]);
        assert_eq!(c.calls.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn default_provider_bytes_differ() {
        let mut pool = RandomPool::new(crate::crypto::default_provider());
        let a = pool.array::<16>().unwrap();
        let b = pool.array::<16>().unwrap();
        assert_ne!(a, b);
        assert!(format!("{pool:?}").contains("capacity"));
    }
}
