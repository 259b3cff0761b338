//! DeviceEngagement, plain and as DeviceEngagementBytes (tag 24).
#![no_main]
use kakunin_core::{cbor::wrap_tag24, mdoc::DeviceEngagement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(de) = DeviceEngagement::from_bytes(data) {
        let _ = de.raw();
        // What parses bare also parses wrapped in tag 24.
        assert!(DeviceEngagement::from_tagged(&wrap_tag24(data)).is_ok());
    }
    let _ = DeviceEngagement::from_tagged(data);
});
