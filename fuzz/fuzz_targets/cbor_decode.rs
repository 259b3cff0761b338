//! The bounded CBOR decoder, diagnostic notation, and the owned-value round trip.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(item) = kakunin_core::cbor::decode(data) {
        let _ = kakunin_core::cbor::diagnostic(&item);
        let again = item.to_value().to_vec();
        // What decoded once re-encodes to something that decodes again.
        assert!(kakunin_core::cbor::decode(&again).is_ok());
    }
});
