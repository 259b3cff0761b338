//! A seeded xorshift64 generator for tests that alter inputs at random: the same seed gives
//! the same cases on every run, so a failure can be replayed.

/// The generator (Marsaglia's 13/7/17 xorshift64) from `seed` (not zero).
pub(crate) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
