//! SessionEstablishment and SessionData, with a re-encoding round trip.
#![no_main]
use kakunin_core::session::{SessionData, SessionEstablishment};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(se) = SessionEstablishment::from_bytes(data) {
        let again = SessionEstablishment::from_bytes(&se.to_bytes())
            .expect("re-encoded SessionEstablishment");
        assert_eq!(se, again);
    }
    if let Ok(sd) = SessionData::from_bytes(data) {
        let again = SessionData::from_bytes(&sd.to_bytes()).expect("re-encoded SessionData");
        assert_eq!(sd, again);
    }
});
