//! SessionEstablishment and SessionData, with a re-encoding round trip.
//! The body is `kakunin_fuzz::session_messages` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::session_messages(data));
