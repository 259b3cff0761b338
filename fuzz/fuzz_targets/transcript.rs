//! SessionTranscript (bare array or tag-24 SessionTranscriptBytes) and its accessors.
//! The body is `kakunin_fuzz::transcript` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::transcript(data));
