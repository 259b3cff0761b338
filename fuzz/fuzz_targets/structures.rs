//! Every other 18013-5 parser entry point: engagement, transcript, session messages, MSO,
//! COSE_Sign1/COSE_Mac0 and COSE_Key.
#![no_main]
use kakunin_core::{cose, mdoc, session};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdoc::DeviceEngagement::from_bytes(data);
    let _ = mdoc::DeviceEngagement::from_tagged(data);
    if let Ok(t) = mdoc::SessionTranscript::from_bytes(data) {
        let _ = t.device_engagement_bytes();
        let _ = t.e_reader_key_bytes();
        let _ = t.handover_bytes();
    }
    let _ = session::SessionEstablishment::from_bytes(data);
    let _ = session::SessionData::from_bytes(data);
    let _ = mdoc::MobileSecurityObject::from_tagged_bytes(data);
    if let Ok(s) = cose::Sign1::from_slice(data) {
        let _ = s.algorithm();
        let _ = s.x5chain();
        let _ = s.to_be_signed(Some(b"payload"));
    }
    if let Ok(m) = cose::Mac0::from_slice(data) {
        let _ = m.verify(kakunin_core::crypto::default_provider(), &[0u8; 32], Some(b"payload"));
    }
    if let Ok(item) = kakunin_core::cbor::decode(data) {
        let _ = cose::decode_cose_key(&item);
    }
});
