//! DeviceResponse decoding and full verification against the Annex D trust setup.
//! The body is `kakunin_fuzz::device_response` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::device_response(data));
