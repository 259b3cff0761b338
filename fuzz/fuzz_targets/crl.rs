//! CRL parsing (DER, PEM), verification against the Annex D anchors, and set lookups.
//! The body is `kakunin_fuzz::crl` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::crl(data));
