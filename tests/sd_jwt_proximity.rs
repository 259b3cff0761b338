//! SD-JWT VC over the ISO 18013-5 proximity session (docs/profiles/sd-jwt-proximity.md):
//! over the simulated BLE link and over NFC (in-memory card), the till learns age_over_20 only,
//! and a presentation replayed into another session is refused (its KB-JWT nonce is bound to
//! the first session's transcript).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kakunin_core::cbor::wrap_tag24;
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::mdoc::encode_device_engagement;
use kakunin_core::sdjwt::proximity::{encode_request, SdJwtRequest};
use kakunin_core::sdjwt::VcError;
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::sd_jwt::respond_sd_jwt;
use kakunin_holder_sim::{Consent, Wallet};
use kakunin_issuer::sd_jwt_vc::{issue_sd_jwt_vcs, SdJwtVcSettings, JP_PID_VCT};
use kakunin_issuer::{elements_from_json, DocProfile, TestPki};
use kakunin_transport::ble_sim::{transaction, Faults, LinkConfig, SimLink};
use kakunin_transport::handover::{build_static_select, nfc_handover, Handover, NfcCarrier};
use kakunin_transport::nfc::{MemoryCard, NfcCard, NfcReader, ReaderConfig};
use kakunin_transport::session::{Event, MdocSession, ReaderSession};
use kakunin_verifier::verify_sd_jwt_response;

struct World {
    pki: TestPki,
    _dir: tempfile::TempDir,
    wallet: Wallet,
}

fn world() -> World {
    let c = default_provider();
    let now = time::OffsetDateTime::now_utc();
    let pki = TestPki::generate(c, "JP", 1, now).unwrap();
    let claims: serde_json::Value =
        serde_json::from_str(include_str!("../docs/examples/jp-pid-claims.json")).unwrap();
    let elements = elements_from_json(DocProfile::JpPid, &claims, now.date()).unwrap();
    let keys: Vec<EcPrivateKey> = (0..3)
        .map(|_| c.generate_key(Curve::P256).unwrap())
        .collect();
    let publics: Vec<_> = keys.iter().map(|k| c.public_key(k).unwrap()).collect();
    let creds = issue_sd_jwt_vcs(
        c,
        &pki.jws_signer.key,
        std::slice::from_ref(&pki.jws_signer.cert_der),
        &elements,
        &publics,
        &SdJwtVcSettings {
            issuer_id: "https://issuer.example",
            valid_from: now.unix_timestamp(),
            valid_until: now.unix_timestamp() + 86400,
            ..SdJwtVcSettings::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(dir.path()).unwrap();
    for (i, (cred, key)) in creds.iter().zip(&keys).enumerate() {
        wallet
            .store_sd_jwt(&format!("sd-{i}"), JP_PID_VCT, cred, key)
            .unwrap();
    }
    World {
        pki,
        _dir: dir,
        wallet,
    }
}

fn request() -> Vec<u8> {
    encode_request(&[SdJwtRequest {
        vct: JP_PID_VCT.into(),
        claims: vec!["age_equal_or_over.20".into()],
    }])
}

fn check(w: &World, response: &[u8], transcript: &kakunin_core::mdoc::SessionTranscript) {
    let anchors = TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap();
    let (status, results) = verify_sd_jwt_response(
        default_provider(),
        response,
        transcript,
        &anchors,
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_eq!(status, 0);
    assert_eq!(results.len(), 1);
    let v = results[0].as_ref().unwrap();
    assert_eq!(
        v.claims["age_equal_or_over"],
        serde_json::json!({"20": true})
    );
    assert!(v.claims.get("name").is_none() && v.claims.get("birth_date").is_none());
}

#[test]
fn over_simulated_ble_and_replay_refused() {
    let c = default_provider();
    let w = world();
    let session = || {
        let e_device = c.generate_key(Curve::P256).unwrap();
        let de = wrap_tag24(&encode_device_engagement(
            &c.public_key(&e_device).unwrap(),
            &[],
        ));
        let reader =
            ReaderSession::new(c, &de, &[0xf6], &c.generate_key(Curve::P256).unwrap()).unwrap();
        (reader, MdocSession::new(e_device, de, vec![0xf6]))
    };
    let (mut reader, mut mdoc) = session();
    let wallet = w.wallet.clone();
    let mut link = SimLink::new(LinkConfig::typical(185), Faults::default());
    let transcript = reader.transcript().clone();
    let t = transaction(
        c,
        &mut link,
        &mut reader,
        &mut mdoc,
        &request(),
        &mut |req| {
            respond_sd_jwt(
                c,
                &wallet,
                req,
                &transcript,
                &Consent::ApproveAll,
                time::OffsetDateTime::now_utc(),
            )
            .unwrap()
            .0
        },
    );
    let response = t.result.unwrap();
    check(&w, &response, &transcript);
    // The same response replayed into another session: the KB-JWT nonce does not match.
    let (other, _) = session();
    let anchors = TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap();
    let (_, results) = verify_sd_jwt_response(
        c,
        &response,
        other.transcript(),
        &anchors,
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert!(matches!(
        results[0],
        Err(VcError::SdJwt(kakunin_core::sdjwt::SdJwtError::KbNonce))
    ));
}

#[test]
fn over_nfc_in_memory_card() {
    let c = default_provider();
    let w = world();
    let e_device = c.generate_key(Curve::P256).unwrap();
    let de = encode_device_engagement(&c.public_key(&e_device).unwrap(), &[]);
    let nfc = NfcCarrier {
        version: 1,
        max_command_data: Some(255),
        max_response_data: Some(256),
    };
    let hs = build_static_select(&de, None, Some(&nfc)).unwrap();
    let wallet = w.wallet.clone();
    let card = MemoryCard {
        card: NfcCard::new(&hs).unwrap(),
        session: MdocSession::new(e_device, wrap_tag24(&de), nfc_handover(&hs, None)),
        crypto: c,
        responder: Box::new(move |req, transcript| {
            respond_sd_jwt(
                c,
                &wallet,
                req,
                transcript,
                &Consent::ApproveAll,
                time::OffsetDateTime::now_utc(),
            )
            .unwrap()
            .0
        }),
        last_error: None,
    };
    let mut nfc_reader = NfcReader::new(card, ReaderConfig::SHORT);
    let hs_read = nfc_reader.read_handover_select().unwrap();
    let parsed = Handover::parse(&hs_read).unwrap();
    let mut session = ReaderSession::new(
        c,
        &parsed.device_engagement_bytes().unwrap(),
        &nfc_handover(&hs_read, None),
        &c.generate_key(Curve::P256).unwrap(),
    )
    .unwrap();
    nfc_reader.select_mdoc().unwrap();
    let answer = nfc_reader
        .exchange(&session.request(c, &request()).unwrap())
        .unwrap();
    let Event::Response { response, .. } = session.handle(c, &answer).unwrap() else {
        panic!()
    };
    check(&w, &response, session.transcript());
    // Consent denied: nothing presented.
    let denied = respond_sd_jwt(
        c,
        &w.wallet,
        &request(),
        session.transcript(),
        &Consent::Deny,
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    let (presentations, _) = kakunin_core::sdjwt::proximity::decode_response(&denied.0).unwrap();
    assert!(presentations.is_empty());
}
