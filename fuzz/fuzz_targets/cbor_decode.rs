//! The bounded CBOR decoder, diagnostic notation, and the owned-value round trip.
//! The body is `kakunin_fuzz::cbor_decode` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::cbor_decode(data));
