//! Test helpers: a provider that counts its calls for random bytes (the batches' randomness
//! must come from one call, docs/decisions/0018-issuer-service.md, session 18).

use kakunin_core::crypto::{default_provider, CryptoError, CryptoProvider, Forwarding};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The default provider, counting `fill_random` calls.
#[derive(Default)]
pub(crate) struct CountingRandom {
    calls: AtomicUsize,
}

impl CountingRandom {
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

impl Forwarding for CountingRandom {
    fn inner(&self) -> &dyn CryptoProvider {
        default_provider()
    }
    fn fill_random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner().fill_random(out)
    }
}
