#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! SD-JWT VC over the ISO 18013-5 proximity session (docs/profiles/sd-jwt-proximity.md),
//! driven by the reader flow (kakunin_verifier::flow) against the holder loop
//! (kakunin_holder_sim), in memory with a fixed clock: over BLE GATT framing on an in-memory
//! link and over NFC against the holder's in-memory card, the till learns age_over_20 only;
//! consent denied shares nothing; and a presentation made for another session, replayed
//! under this session's encryption, is refused (its KB-JWT nonce is bound to the first
//! session's transcript).

use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::mdoc::SessionTranscript;
use kakunin_core::sdjwt::{SdJwtError, VcError};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::sd_jwt::respond_sd_jwt;
use kakunin_holder_sim::{
    Consent, CredentialStore, HolderCard, HolderLoop, HolderOutcome, HolderPolicy, MemoryStore,
    Presented,
};
use kakunin_issuer::sd_jwt_vc::{issue_sd_jwt_vcs, SdJwtVcSettings, JP_PID_VCT};
use kakunin_issuer::{elements_from_json, DocProfile, TestPki};
use kakunin_transport::ble_link::BleFramedLink;
use kakunin_transport::handover::{build_static_select, nfc_handover, NfcCarrier};
use kakunin_transport::link::{memory_pair, MessageLink};
use kakunin_transport::nfc::{NfcCard, NfcReader, ReaderConfig as ApduConfig};
use kakunin_transport::nfc_link::NfcMessageLink;
use kakunin_transport::session::{Event, MdocSession};
use kakunin_verifier::flow::{
    engage_nfc, run_reader, Engagement, FlowOutcome, NfcHandoverMode, ReaderConfig, ReaderFlow,
    SdJwtMode,
};
use kakunin_verifier::{NgReason, Verdict};
use std::time::{Duration, Instant};
use time::macros::datetime;
use time::OffsetDateTime;

mod common;
use common::MTU;

fn now() -> OffsetDateTime {
    datetime!(2026-12-01 09:00 UTC)
}

struct World {
    pki: TestPki,
    store: MemoryStore,
}

/// A JP PID issuer and a wallet holding three of its SD-JWT VCs (and no mdoc).
fn world() -> World {
    let c = default_provider();
    let pki = TestPki::generate(c, "JP", 1, now() - time::Duration::days(90)).unwrap();
    let claims: serde_json::Value =
        serde_json::from_str(include_str!("../docs/examples/jp-pid-claims.json")).unwrap();
    let elements = elements_from_json(DocProfile::JpPid, &claims, now().date()).unwrap();
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
            valid_from: (now() - time::Duration::days(1)).unix_timestamp(),
            valid_until: (now() + time::Duration::days(1)).unix_timestamp(),
            ..SdJwtVcSettings::default()
        },
    )
    .unwrap();
    let store = MemoryStore::new();
    for (i, (cred, key)) in creds.iter().zip(&keys).enumerate() {
        store
            .store_sd_jwt(&format!("sd-{i}"), JP_PID_VCT, cred, key)
            .unwrap();
    }
    World { pki, store }
}

/// A till that asks for the SD-JWT VC only, and for the age claim only (no portrait).
fn config(w: &World) -> ReaderConfig {
    let mut config =
        ReaderConfig::new(TrustAnchors::from_der_certs([w.pki.iaca.cert_der.clone()]).unwrap());
    config.sd_jwt = SdJwtMode::Only;
    config.policy.portrait = false;
    config
}

fn policy(consent: Consent) -> HolderPolicy {
    HolderPolicy {
        consent,
        ..HolderPolicy::default()
    }
}

/// The till's verdict is OK on age_equal_or_over.20 alone: no name, no birth date; the
/// holder presented exactly that one claim.
fn assert_age_only(out: &FlowOutcome, holder: &HolderOutcome) {
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.failure);
    assert!(out.mdoc.is_none());
    let (status, results) = out.sd_jwt.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(*status, 0);
    assert_eq!(results.len(), 1);
    let v = results[0].as_ref().unwrap();
    assert_eq!(
        v.claims["age_equal_or_over"],
        serde_json::json!({"20": true})
    );
    assert!(v.claims.get("name").is_none() && v.claims.get("birth_date").is_none());
    assert!(v.claims.get("family_name").is_none());
    assert!(holder.failure.is_none(), "{:?}", holder.failure);
    match holder.presented.as_slice() {
        [Presented::SdJwt { disclosed }] => {
            assert_eq!(disclosed, &[vec!["age_equal_or_over.20".to_string()]])
        }
        other => panic!("{other:?}"),
    }
}

/// The reader flow against the holder loop over BLE framing on an in-memory link.
fn run_ble(config: &ReaderConfig, w: &World, policy: HolderPolicy) -> (FlowOutcome, HolderOutcome) {
    common::run_qr(config, &w.store, policy, now())
}

#[test]
fn over_ble_the_till_learns_the_age_only() {
    let w = world();
    let (out, holder) = run_ble(&config(&w), &w, policy(Consent::ApproveAll));
    assert_age_only(&out, &holder);
    // Consent denied: the holder presents nothing and the till says so.
    let (out, holder) = run_ble(&config(&w), &w, policy(Consent::Deny));
    assert_eq!(out.decision.verdict, Verdict::Ng(NgReason::NotDisclosed));
    assert!(matches!(
        holder.presented.as_slice(),
        [Presented::SdJwt { disclosed }] if disclosed.is_empty()
    ));
}

/// A wallet that discloses every claim it holds (holder-sim's `Consent::OverDisclose`
/// fault): the till judges the age claim it asked for and keeps nothing else.
#[test]
fn over_disclosed_claims_are_dropped_before_the_verdict_and_never_shown() {
    let w = world();
    let claims: serde_json::Value =
        serde_json::from_str(include_str!("../docs/examples/jp-pid-claims.json")).unwrap();
    let family_name = claims["family_name"].as_str().unwrap().to_string();
    let (out, holder) = run_ble(&config(&w), &w, policy(Consent::OverDisclose));
    assert!(holder.failure.is_none(), "{:?}", holder.failure);
    assert_eq!(out.decision.verdict, Verdict::Ok, "{:?}", out.failure);
    let (_, results) = out.sd_jwt.as_ref().unwrap().as_ref().unwrap();
    let v = results[0].as_ref().unwrap();
    // The wallet really sent more: every Disclosure of the credential was presented.
    assert!(v.disclosures > 1, "{} disclosures", v.disclosures);
    assert!(
        out.unrequested_elements >= 5,
        "{}",
        out.unrequested_elements
    );
    // What is left: the age claim asked for and the credential's own claims.
    assert_eq!(
        v.claims["age_equal_or_over"],
        serde_json::json!({"20": true})
    );
    let mut kept: Vec<&str> = v.claims.keys().map(String::as_str).collect();
    kept.sort_unstable();
    for k in &kept {
        assert!(
            [
                "age_equal_or_over",
                "cnf",
                "exp",
                "iat",
                "iss",
                "nbf",
                "status",
                "vct"
            ]
            .contains(k),
            "unrequested claim {k} kept: {kept:?}"
        );
    }
    // No value of an unrequested claim anywhere in the outcome (its report neither).
    assert!(!format!("{out:?}").contains(&family_name));
    let report = kakunin_verifier::sd_jwt_report_json(&results[0], false).to_string();
    assert!(!report.contains(&family_name), "{report}");
    // The honest wallet, for comparison: nothing unrequested.
    let (out, _) = run_ble(&config(&w), &w, policy(Consent::ApproveAll));
    assert_eq!(out.unrequested_elements, 0);
}

#[test]
fn a_presentation_made_for_another_session_is_refused() {
    let w = world();
    let c = default_provider();
    let config = config(&w);
    // Session A, as it should go: its transcript is what the KB-JWT nonce is bound to.
    let (first, _) = run_ble(&config, &w, policy(Consent::ApproveAll));
    assert_eq!(first.decision.verdict, Verdict::Ok);
    let transcript_a = SessionTranscript::from_bytes(&first.transcript).unwrap();
    // Session B: a phone that encrypts correctly for B but answers with a presentation
    // made for A (as a relay or a replaying wallet would).
    let (de, _uuid, mut session) = qr_ble_engagement(c).unwrap();
    let uri = kakunin_transport::qr::engagement_uri(&de);
    let (reader_end, phone_end) = memory_pair();
    let mut reader_link = BleFramedLink::new(reader_end, MTU).unwrap();
    let mut phone = BleFramedLink::new(phone_end, MTU).unwrap();
    let out = std::thread::scope(|s| {
        let store = &w.store;
        let transcript_a = &transcript_a;
        let p = s.spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(5);
            let Event::Request(request) = session
                .handle(c, &phone.receive(deadline).unwrap())
                .unwrap()
            else {
                panic!("expected a request");
            };
            let (stale, _) = respond_sd_jwt(
                c,
                store,
                &request,
                transcript_a,
                &Consent::ApproveAll,
                now(),
            )
            .unwrap();
            phone
                .send(&session.respond(c, &stale, true).unwrap())
                .unwrap();
        });
        let mut flow = ReaderFlow::new(c, &config, &Engagement::Qr { uri }).unwrap();
        let out = run_reader(&mut flow, &mut reader_link, c, &Instant::now, now());
        p.join().unwrap();
        out
    });
    assert_eq!(
        out.decision.verdict,
        Verdict::Ng(NgReason::DeviceAuthFailed)
    );
    assert!(out.transcript != first.transcript);
    let (_, results) = out.sd_jwt.as_ref().unwrap().as_ref().unwrap();
    assert!(
        matches!(results[..], [Err(VcError::SdJwt(SdJwtError::KbNonce))]),
        "{results:?}"
    );
}

#[test]
fn over_nfc_the_till_learns_the_age_only() {
    let w = world();
    let c = default_provider();
    let key = c.generate_key(Curve::P256).unwrap();
    let de = kakunin_core::mdoc::encode_device_engagement(&c.public_key(&key).unwrap(), &[]);
    let carrier = NfcCarrier {
        version: 1,
        max_command_data: Some(255),
        max_response_data: Some(256),
    };
    let hs = build_static_select(&de, None, Some(&carrier)).unwrap();
    let session = MdocSession::new(
        key,
        kakunin_core::cbor::wrap_tag24(&de),
        nfc_handover(&hs, None),
    );
    let card = HolderCard::new(
        NfcCard::new(&hs).unwrap(),
        HolderLoop::new(&w.store, policy(Consent::ApproveAll), session),
        c,
        now(),
    );
    let mut reader = NfcReader::new(card, ApduConfig::SHORT);
    let engagement = engage_nfc(&mut reader, NfcHandoverMode::Static, 0x4b4b).unwrap();
    let config = config(&w);
    let mut flow = ReaderFlow::new(c, &config, &engagement).unwrap();
    let mut link = NfcMessageLink::open(reader).unwrap();
    let out = run_reader(&mut flow, &mut link, c, &Instant::now, now());
    let card = link.into_reader().into_inner();
    assert!(card.is_done());
    assert_age_only(&out, &card.into_outcome());
}
