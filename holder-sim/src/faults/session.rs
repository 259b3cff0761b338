//! The Session-layer fault profiles (ISO 18013-5 clause 9.1.1.4, SessionData status, Table
//! 20): the holder loop ([`crate::HolderLoop::with_fault`]) answers a request that decrypted
//! and decoded with a status that says otherwise (10, 11), or ends the session (20) where
//! the DeviceResponse belongs.

use super::Fault;
use kakunin_core::session::{
    SessionData, STATUS_CBOR_ERROR, STATUS_ENCRYPTION_ERROR, STATUS_TERMINATION,
};

/// The SessionData status a Session-layer profile sends instead of the response; `None` for
/// every other profile.
pub fn wrong_moment_status(fault: Fault) -> Option<u64> {
    match fault {
        Fault::Status10WrongMoment => Some(STATUS_ENCRYPTION_ERROR),
        Fault::Status11WrongMoment => Some(STATUS_CBOR_ERROR),
        Fault::Status20WrongMoment => Some(STATUS_TERMINATION),
        _ => None,
    }
}

/// `SessionData {status}` with no data, as sent in the clear (Table 20).
pub(crate) fn status_message(status: u64) -> Vec<u8> {
    SessionData {
        data: None,
        status: Some(status),
    }
    .to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_session_profiles_send_a_status() {
        for f in Fault::ALL {
            assert_eq!(
                wrong_moment_status(*f).is_some(),
                f.layer() == super::super::FaultLayer::Session,
                "{f}"
            );
        }
        assert_eq!(
            status_message(10),
            vec![0xa1, 0x66, b's', b't', b'a', b't', b'u', b's', 0x0a]
        );
    }
}
