//! COSE_Sign1 and COSE_Mac0 (tagged or not) and COSE_Key.
#![no_main]
use kakunin_core::{cbor, cose, crypto};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = cose::Sign1::from_slice(data) {
        let _ = s.algorithm();
        let _ = s.x5chain();
        let _ = s.ignored_unprotected_labels();
        let _ = s.to_be_signed(None);
        let _ = s.to_be_signed(Some(b"x"));
    }
    if let Ok(m) = cose::Mac0::from_slice(data) {
        let _ = m.check_algorithm();
        let _ = m.to_be_maced(None);
        let _ = m.verify(crypto::default_provider(), &[0u8; 32], Some(b"x"));
    }
    if let Ok(item) = cbor::decode(data) {
        let _ = cose::decode_cose_key(&item);
    }
});
