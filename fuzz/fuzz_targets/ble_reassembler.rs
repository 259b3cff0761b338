//! The BLE Reassembler fed u16-prefixed characteristic values at a fuzzed MTU.
//! The body is `kakunin_fuzz::ble_reassembler` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::ble_reassembler(data));
