//! The reader flow (ReaderFlow) against a wallet whose answers come from the fuzz input.
//! The body is `kakunin_fuzz::reader_flow` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::reader_flow(data));
