//! DeviceRequest decoding and readerAuth verification.
//! The body is `kakunin_fuzz::device_request` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::device_request(data));
