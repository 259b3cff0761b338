//! MobileSecurityObjectBytes (tag 24) decoding and digest look-up.
//! The body is `kakunin_fuzz::mso` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::mso(data));
