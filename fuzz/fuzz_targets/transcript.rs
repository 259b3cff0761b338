//! SessionTranscript (bare array or tag-24 SessionTranscriptBytes) and its accessors.
#![no_main]
use kakunin_core::mdoc::SessionTranscript;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = SessionTranscript::from_bytes(data) {
        let _ = t.device_engagement_bytes();
        let _ = t.e_reader_key_bytes();
        let _ = t.handover_bytes();
        // The two encodings it keeps describe the same transcript.
        let again = SessionTranscript::from_bytes(t.tagged_bytes()).expect("tagged transcript");
        assert_eq!(t.bare_bytes(), again.bare_bytes());
    }
});
