//! The NFC card state machine (NfcCard) fed u16-prefixed APDU sequences.
//! The body is `kakunin_fuzz::nfc_card` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::nfc_card(data));
