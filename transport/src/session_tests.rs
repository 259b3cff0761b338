//! The session state machines on the Annex D transaction, byte for byte, and every failure.

use super::session::*;
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::session::SessionData;
use kakunin_spec_vectors::annex_d::{bytes, e_reader_key};

fn mdoc() -> MdocSession {
    let key = kakunin_core::crypto::hazmat::private_key_from_scalar(
        Curve::P256,
        &bytes("e_device_key_priv_d"),
    )
    .unwrap();
    MdocSession::new(
        key,
        bytes("device_engagement_bytes_nfc"),
        bytes("nfc_handover"),
    )
}

fn reader() -> ReaderSession {
    ReaderSession::new(
        default_provider(),
        &bytes("device_engagement_bytes_nfc"),
        &bytes("nfc_handover"),
        &e_reader_key(),
    )
    .unwrap()
}

#[test]
fn annex_d_both_sides_byte_exact() {
    let c = default_provider();
    let mut r = reader();
    let establishment = r.request(c, &bytes("device_request")).unwrap();
    assert_eq!(establishment, bytes("session_establishment"));
    assert_eq!(
        r.transcript().tagged_bytes(),
        bytes("session_transcript_bytes").as_slice()
    );
    let mut m = mdoc();
    assert_eq!(
        m.handle(c, &establishment).unwrap(),
        Event::Request(bytes("device_request"))
    );
    let data = m.respond(c, &bytes("device_response"), false).unwrap();
    assert_eq!(data, bytes("session_data"));
    assert_eq!(
        r.handle(c, &data).unwrap(),
        Event::Response {
            response: bytes("device_response"),
            terminated: false
        }
    );
    let end = r.terminate();
    assert_eq!(end, bytes("session_termination"));
    assert_eq!(m.handle(c, &end).unwrap(), Event::Terminated);
    assert!(m.is_closed() && r.is_closed());
}

#[test]
fn second_request_in_the_same_session() {
    let c = default_provider();
    let (mut r, mut m) = (reader(), mdoc());
    let e = r.request(c, b"first").unwrap();
    assert_eq!(m.handle(c, &e).unwrap(), Event::Request(b"first".to_vec()));
    let d = m.respond(c, b"one", false).unwrap();
    r.handle(c, &d).unwrap();
    let again = r.request(c, b"second").unwrap();
    assert_eq!(
        m.handle(c, &again).unwrap(),
        Event::Request(b"second".to_vec())
    );
    let d2 = m.respond(c, b"two", true).unwrap();
    assert_eq!(
        r.handle(c, &d2).unwrap(),
        Event::Response {
            response: b"two".to_vec(),
            terminated: true
        }
    );
}

fn status_of(msg: &[u8]) -> Option<u64> {
    SessionData::from_bytes(msg).unwrap().status
}

#[test]
fn tampered_ciphertext_ends_with_status_10() {
    let c = default_provider();
    let mut e = bytes("session_establishment");
    let n = e.len();
    e[n - 3] ^= 1;
    let mut m = mdoc();
    let err = m.handle(c, &e).unwrap_err();
    assert!(matches!(err, ProximityError::Decrypt { .. }), "{err:?}");
    assert_eq!(status_of(err.message_to_send().unwrap()), Some(10));
    assert!(m.is_closed());
    // The reader, told so, ends too.
    let mut r = reader();
    r.request(c, &bytes("device_request")).unwrap();
    assert_eq!(
        r.handle(c, err.message_to_send().unwrap()),
        Err(ProximityError::PeerError { status: 10 })
    );
    assert!(r.is_closed());
}

#[test]
fn replayed_and_reordered_messages_fail() {
    let c = default_provider();
    let (mut r, mut m) = (reader(), mdoc());
    m.handle(c, &r.request(c, b"q1").unwrap()).unwrap();
    let d1 = m.respond(c, b"a1", false).unwrap();
    r.handle(c, &d1).unwrap();
    // The same response again: its counter is spent.
    r.request(c, b"q2").unwrap();
    let err = r.handle(c, &d1).unwrap_err();
    assert!(matches!(err, ProximityError::Decrypt { .. }));
    assert_eq!(status_of(err.message_to_send().unwrap()), Some(10));
    // A SessionEstablishment replayed into an established session: its data was encrypted
    // under counter 1, which is spent, so it fails to decrypt (status 10).
    let mut m2 = mdoc();
    let e = bytes("session_establishment");
    m2.handle(c, &e).unwrap();
    m2.respond(c, b"x", false).unwrap();
    let err = m2.handle(c, &e).unwrap_err();
    assert!(matches!(err, ProximityError::Decrypt { .. }), "{err:?}");
    assert_eq!(status_of(err.message_to_send().unwrap()), Some(10));
}

#[test]
fn undecodable_unknown_status_oversize_and_wrong_state() {
    let c = default_provider();
    let mut m = mdoc();
    let err = m.handle(c, &[0xff, 0x00]).unwrap_err();
    assert_eq!(status_of(err.message_to_send().unwrap()), Some(11));
    let mut r = reader();
    r.request(c, b"q").unwrap();
    let unknown = SessionData {
        data: None,
        status: Some(99),
    }
    .to_bytes();
    let err = r.handle(c, &unknown).unwrap_err();
    assert!(matches!(
        err,
        ProximityError::UnknownStatus { status: 99, .. }
    ));
    assert_eq!(status_of(err.message_to_send().unwrap()), Some(20));
    let mut r = reader();
    r.request(c, b"q").unwrap();
    let huge = vec![0u8; MAX_MESSAGE + 1];
    assert!(matches!(
        r.handle(c, &huge),
        Err(ProximityError::TooLarge { .. })
    ));
    assert!(r.is_closed());
    assert!(matches!(
        r.handle(c, b"x"),
        Err(ProximityError::WrongState { .. })
    ));
    let mut m = mdoc();
    assert!(matches!(
        m.respond(c, b"x", false),
        Err(ProximityError::WrongState { .. })
    ));
    // Truncation of the establishment at every offset: an error, never a panic.
    let e = bytes("session_establishment");
    for len in 0..e.len() {
        let mut m = mdoc();
        assert!(
            m.handle(c, &e[..len]).is_err(),
            "truncated to {len} accepted"
        );
    }
}

#[test]
fn skipped_or_reordered_counter_fails() {
    use kakunin_core::session::{Role, SessionCipher};
    let c = default_provider();
    let keys = || kakunin_core::session::hazmat::session_keys_from_bytes([3; 32], [4; 32]);
    let mut sender = SessionCipher::new(keys(), Role::Reader);
    let mut mdoc = SessionCipher::new(keys(), Role::Mdoc);
    let first = sender.encrypt(c, b"first").unwrap();
    let second = sender.encrypt(c, b"second").unwrap();
    // The second arrives first: counter 2 where 1 is due.
    assert!(mdoc.decrypt(c, &second).is_err());
    assert_eq!(mdoc.decrypt(c, &first).unwrap(), b"first");
    // And the reader's state machine never sends twice without an answer.
    let mut r = reader();
    r.request(c, b"q").unwrap();
    assert!(matches!(
        r.request(c, b"q2"),
        Err(ProximityError::WrongState { .. })
    ));
}
