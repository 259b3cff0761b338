//! COSE_Sign1 and COSE_Mac0 (tagged or not) and COSE_Key.
//! The body is `kakunin_fuzz::cose` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::cose(data));
