//! NDEF messages, with a re-encoding round trip.
//! The body is `kakunin_fuzz::ndef` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::ndef(data));
