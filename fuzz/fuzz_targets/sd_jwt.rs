//! SD-JWT presentation parsing and verification (RFC 9901), with and without Key Binding.
//! The body is `kakunin_fuzz::sd_jwt` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::sd_jwt(data));
