//! The Annex D exchange over the simulated BLE link, and each injected fault.

use crate::ble::BleError;
use crate::ble_sim::*;
use crate::session::{MdocSession, ProximityError, ReaderSession};
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_spec_vectors::annex_d::{bytes, e_reader_key};

fn run(mtu: u16, faults: Faults) -> Transaction {
    let c = default_provider();
    let mut reader = ReaderSession::new(
        c,
        &bytes("device_engagement_bytes_nfc"),
        &bytes("nfc_handover"),
        &e_reader_key(),
    )
    .unwrap();
    let key = kakunin_core::crypto::hazmat::private_key_from_scalar(
        Curve::P256,
        &bytes("e_device_key_priv_d"),
    )
    .unwrap();
    let mut mdoc = MdocSession::new(
        key,
        bytes("device_engagement_bytes_nfc"),
        bytes("nfc_handover"),
    );
    let mut link = SimLink::new(LinkConfig::typical(mtu), faults);
    let response = bytes("device_response");
    transaction(
        c,
        &mut link,
        &mut reader,
        &mut mdoc,
        &bytes("device_request"),
        &mut |req| {
            assert_eq!(req, bytes("device_request").as_slice());
            response.clone()
        },
    )
}

#[test]
fn annex_d_over_ble_at_each_mtu() {
    for mtu in [23u16, 185, 517] {
        let t = run(mtu, Faults::default());
        assert_eq!(
            t.result.as_deref().unwrap(),
            bytes("device_response").as_slice(),
            "mtu {mtu}"
        );
        assert!(t.reader_closed && t.mdoc_closed);
        assert!(t.stats.bytes_on_air > t.stats.payload_bytes);
    }
}

#[test]
fn disconnect_mid_message() {
    let t = run(
        185,
        Faults {
            disconnect_after: Some(8),
            ..Faults::default()
        },
    );
    assert_eq!(
        t.result,
        Err(TransactionError::Link(BleError::Disconnected { chunks: 8 }))
    );
    assert!(t.reader_closed && t.mdoc_closed);
}

#[test]
fn dropped_notification_in_the_middle_closes_both() {
    // The SessionData is now shorter than its declared length: a CBOR error (status 11).
    let t = run(
        185,
        Faults {
            drop_notification: Some(3),
            ..Faults::default()
        },
    );
    match &t.result {
        Err(TransactionError::Reader(e @ ProximityError::Malformed { .. })) => {
            let sd = kakunin_core::session::SessionData::from_bytes(e.message_to_send().unwrap())
                .unwrap();
            assert_eq!(sd.status, Some(11));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        t.reader_closed && t.mdoc_closed,
        "the mdoc learns of it through status 11"
    );
}

#[test]
fn dropped_last_notification_leaves_the_message_incomplete() {
    let chunks = bytes("session_data").len().div_ceil(185 - 4);
    let t = run(
        185,
        Faults {
            drop_notification: Some(chunks - 1),
            ..Faults::default()
        },
    );
    assert_eq!(t.result, Err(TransactionError::Link(BleError::Incomplete)));
    assert!(t.reader_closed && t.mdoc_closed);
}

#[test]
fn duplicated_write_is_caught_by_the_mdoc() {
    let t = run(
        23,
        Faults {
            duplicate_write: Some(2),
            ..Faults::default()
        },
    );
    assert!(
        matches!(t.result, Err(TransactionError::Mdoc(_))),
        "{:?}",
        t.result
    );
    assert!(
        t.reader_closed && t.mdoc_closed,
        "the reader learns of it through the status message"
    );
}

fn run_central(served_ident: [u8; 16]) -> Transaction {
    let c = default_provider();
    let mut reader = ReaderSession::new(
        c,
        &bytes("device_engagement_bytes_nfc"),
        &bytes("nfc_handover"),
        &e_reader_key(),
    )
    .unwrap();
    let key = kakunin_core::crypto::hazmat::private_key_from_scalar(
        Curve::P256,
        &bytes("e_device_key_priv_d"),
    )
    .unwrap();
    let mut mdoc = MdocSession::new(
        key,
        bytes("device_engagement_bytes_nfc"),
        bytes("nfc_handover"),
    );
    let mut link = SimLink::new(LinkConfig::typical(185), Faults::default());
    transaction_in_mode(
        c,
        &mut link,
        Mode::CentralClient { served_ident },
        &mut reader,
        &mut mdoc,
        &bytes("device_request"),
        &mut |_| bytes("device_response"),
    )
}

#[test]
fn central_client_mode_checks_ident() {
    let ident: [u8; 16] = bytes("derived_ble_ident").try_into().unwrap();
    let t = run_central(ident);
    assert_eq!(
        t.result.as_deref().unwrap(),
        bytes("device_response").as_slice()
    );
    let mut wrong = ident;
    wrong[0] ^= 1;
    let t = run_central(wrong);
    assert_eq!(
        t.result,
        Err(TransactionError::Link(BleError::IdentMismatch))
    );
    assert!(t.reader_closed && t.mdoc_closed);
}
