//! The NFC reader (NfcReader) against a card that answers from the fuzz input.
//! The body is `kakunin_fuzz::nfc_reader` (src/lib.rs), which the workspace's replay test also runs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kakunin_fuzz::nfc_reader(data));
