//! Certificate input parsing, trust-anchor construction, and path validation under every profile.
//! The body is `kakunin_fuzz::certificate` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::certificate(data));
