//! Handover Select / Request messages, rebuilt from what they carry.
//! The body is `kakunin_fuzz::handover` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::handover(data));
