//! Command and response APDUs and data object 53, with re-encoding round trips.
//! The body is `kakunin_fuzz::apdu` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::apdu(data));
