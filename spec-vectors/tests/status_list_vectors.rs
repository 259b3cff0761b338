//! The Token Status List examples (the same checks `kakunin vectors` prints): every check is
//! present and passes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kakunin_spec_vectors::status_list;

#[test]
fn every_status_list_example_passes() {
    let checks = status_list::run_all();
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed())
        .map(|c| format!("{}: {}", c.id, c.failure.as_deref().unwrap_or_default()))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
    for id in [
        "status-list/key",
        "status-list/status_list_encoding_json",
        "status-list/status_list_encoding_cbor",
        "status-list/status_list_encoding_cbor_diag",
        "status-list/status_list_encoding2_json",
        "status-list/status_list_encoding2_cbor",
        "status-list/status_list_encoding2_cbor_diag",
        "status-list/status_list_encoding1_long_json",
        "status-list/status_list_encoding1_long_cbor",
        "status-list/status_list_encoding2_long_json",
        "status-list/status_list_encoding2_long_cbor",
        "status-list/status_list_encoding4_json",
        "status-list/status_list_encoding4_cbor",
        "status-list/status_list_encoding8_json",
        "status-list/status_list_encoding8_cbor",
        "status-list/jwt/signature",
        "status-list/jwt/statuses",
        "status-list/jwt/decoded-view",
        "status-list/cwt/signature",
        "status-list/cwt/statuses",
        "status-list/cwt/diag",
        "status-list/referenced-cwt/signature",
        "status-list/referenced-cwt/resolve-cwt",
        "status-list/referenced-cwt/resolve-jwt",
        "status-list/reject/signature",
        "status-list/reject/other-key",
        "status-list/reject/subject",
        "status-list/reject/index",
        "status-list/reject/expired",
        "status-list/reject/ttl",
    ] {
        assert!(ids.contains(&id), "missing check {id}");
    }
    assert_eq!(checks.len(), 30);
}

#[test]
fn the_documented_statuses_are_read_as_published() {
    let eight = status_list::expected_statuses("expected-8bit-long.txt").unwrap();
    assert_eq!(eight.len(), 256);
    assert_eq!(eight.values().filter(|v| **v != 0).count(), 255);
    assert_eq!(eight.get(&1199), Some(&121));
    assert_eq!(eight.get(&4520), Some(&213));
    assert_eq!(eight.get(&19535), Some(&255));
    assert_eq!(eight.get(&52451), Some(&1));
    let two = status_list::expected_statuses("expected-2bit-long.txt").unwrap();
    assert_eq!(
        two.get(&25460),
        Some(&1),
        "the line without a space before ="
    );
    assert_eq!(two.len(), 11);
}
