//! MobileSecurityObjectBytes (tag 24) decoding and digest look-up.
#![no_main]
use kakunin_core::mdoc::MobileSecurityObject;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mso) = MobileSecurityObject::from_tagged_bytes(data) {
        let _ = mso.raw_tagged();
        let _ = mso.digest("org.iso.18013.5.1", 0);
    }
});
