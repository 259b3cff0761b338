//! Every ISO 18013-5 Annex D cross-check as its own test (the same checks `kakunin vectors` prints).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kakunin_spec_vectors::annex_d::run_all;

#[track_caller]
fn check(id: &str) {
    let all = run_all();
    let c = all
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"));
    assert!(c.passed(), "{id}: {:?}", c.failure);
}

#[test]
fn every_check_is_listed_here() {
    let all = run_all();
    let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "annex-d/keys/e-device-key",
            "annex-d/keys/e-reader-key",
            "annex-d/keys/sdevice-key",
            "annex-d/engagement/qr-e-device-key",
            "annex-d/engagement/qr-uri",
            "annex-d/engagement/nfc-e-device-key",
            "annex-d/engagement/ble-ident",
            "annex-d/session/transcript",
            "annex-d/session/salt",
            "annex-d/session/zab",
            "annex-d/session/sk-reader",
            "annex-d/session/sk-device",
            "annex-d/session/establishment",
            "annex-d/session/data",
            "annex-d/session/termination",
            "annex-d/request/items",
            "annex-d/reader-auth/payload",
            "annex-d/reader-auth/certificate",
            "annex-d/reader-auth/verify",
            "annex-d/issuer-auth/sig-structure",
            "annex-d/issuer-auth/certificate",
            "annex-d/issuer-auth/certificate-expired",
            "annex-d/issuer-auth/signature",
            "annex-d/mso/contents",
            "annex-d/digest/00-family-name",
            "annex-d/digest/03-issue-date",
            "annex-d/digest/04-expiry-date",
            "annex-d/digest/07-document-number",
            "annex-d/digest/08-portrait",
            "annex-d/digest/09-driving-privileges",
            "annex-d/issuer-signed/items",
            "annex-d/issuer-signed/portrait",
            "annex-d/device-auth/payload",
            "annex-d/device-auth/emac-key",
            "annex-d/device-auth/mac",
            "annex-d/response/verify",
            "annex-d/response/tampered-element",
        ]
    );
}

#[test]
fn keys_e_device_key() {
    check("annex-d/keys/e-device-key");
}

#[test]
fn keys_e_reader_key() {
    check("annex-d/keys/e-reader-key");
}

#[test]
fn keys_sdevice_key() {
    check("annex-d/keys/sdevice-key");
}

#[test]
fn engagement_qr_e_device_key() {
    check("annex-d/engagement/qr-e-device-key");
}

#[test]
fn engagement_qr_uri() {
    check("annex-d/engagement/qr-uri");
}

#[test]
fn engagement_nfc_e_device_key() {
    check("annex-d/engagement/nfc-e-device-key");
}

#[test]
fn engagement_ble_ident() {
    check("annex-d/engagement/ble-ident");
}

#[test]
fn session_transcript() {
    check("annex-d/session/transcript");
}

#[test]
fn session_salt() {
    check("annex-d/session/salt");
}

#[test]
fn session_zab() {
    check("annex-d/session/zab");
}

#[test]
fn session_sk_reader() {
    check("annex-d/session/sk-reader");
}

#[test]
fn session_sk_device() {
    check("annex-d/session/sk-device");
}

#[test]
fn session_establishment() {
    check("annex-d/session/establishment");
}

#[test]
fn session_data() {
    check("annex-d/session/data");
}

#[test]
fn session_termination() {
    check("annex-d/session/termination");
}

#[test]
fn request_items() {
    check("annex-d/request/items");
}

#[test]
fn reader_auth_payload() {
    check("annex-d/reader-auth/payload");
}

#[test]
fn reader_auth_certificate() {
    check("annex-d/reader-auth/certificate");
}

#[test]
fn reader_auth_verify() {
    check("annex-d/reader-auth/verify");
}

#[test]
fn issuer_auth_sig_structure() {
    check("annex-d/issuer-auth/sig-structure");
}

#[test]
fn issuer_auth_certificate() {
    check("annex-d/issuer-auth/certificate");
}

#[test]
fn issuer_auth_certificate_expired() {
    check("annex-d/issuer-auth/certificate-expired");
}

#[test]
fn issuer_auth_signature() {
    check("annex-d/issuer-auth/signature");
}

#[test]
fn mso_contents() {
    check("annex-d/mso/contents");
}

#[test]
fn digest_00_family_name() {
    check("annex-d/digest/00-family-name");
}

#[test]
fn digest_03_issue_date() {
    check("annex-d/digest/03-issue-date");
}

#[test]
fn digest_04_expiry_date() {
    check("annex-d/digest/04-expiry-date");
}

#[test]
fn digest_07_document_number() {
    check("annex-d/digest/07-document-number");
}

#[test]
fn digest_08_portrait() {
    check("annex-d/digest/08-portrait");
}

#[test]
fn digest_09_driving_privileges() {
    check("annex-d/digest/09-driving-privileges");
}

#[test]
fn issuer_signed_items() {
    check("annex-d/issuer-signed/items");
}

#[test]
fn issuer_signed_portrait() {
    check("annex-d/issuer-signed/portrait");
}

#[test]
fn device_auth_payload() {
    check("annex-d/device-auth/payload");
}

#[test]
fn device_auth_emac_key() {
    check("annex-d/device-auth/emac-key");
}

#[test]
fn device_auth_mac() {
    check("annex-d/device-auth/mac");
}

#[test]
fn response_verify() {
    check("annex-d/response/verify");
}

#[test]
fn response_tampered_element() {
    check("annex-d/response/tampered-element");
}
