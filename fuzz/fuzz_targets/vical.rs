//! VICAL parsing (ISO 18013-5 Annex C) under its bounds, and verification against the
//! Austroads root. The body is `kakunin_fuzz::vical` (src/lib.rs), which the workspace's
//! replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::vical(data));
