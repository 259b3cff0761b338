//! DeviceEngagement, plain and as DeviceEngagementBytes (tag 24).
//! The body is `kakunin_fuzz::device_engagement` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::device_engagement(data));
