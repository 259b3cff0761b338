//! BLE out-of-band AD structures, with a re-encoding round trip.
//! The body is `kakunin_fuzz::ble_oob` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::ble_oob(data));
