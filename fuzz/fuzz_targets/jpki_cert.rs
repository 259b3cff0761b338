//! JPKI signature and authentication certificates: the profile parsers and the chain/CRL checks.
//! The body is `kakunin_fuzz::jpki_cert` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::jpki_cert(data));
