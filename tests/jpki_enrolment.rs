#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The JPKI proofing step end to end in memory, with every part real: a JPKI-SIM made by
//! `kakunin jpki-sim`'s generator, the virtual My Number card answering the JPKI client
//! (`kakunin-jpki`) APDU by APDU, the holder's enrolment request signed by both card keys,
//! and the issuer's `JpkiProofing` checking chains, CRLs and both signatures. The same with
//! the simulated phone's smartphone JPKI, and the refusals a person can cause: a wrong PIN
//! (counter shown, nothing signed), a revoked card, a challenge bound to other keys.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use kakunin_core::crypto::default_provider;
use kakunin_core::enrolment::jwk_thumbprint;
use kakunin_core::sdjwt::jwk_to_key;
use kakunin_holder_sim::enrolment::{
    prepare, sign_with_card, sign_with_phone, EnrolmentError, EnrolmentKeys, NonceOffer,
};
use kakunin_holder_sim::jpki_card::{JpkiCard as VirtualCard, SimulatedPhone};
use kakunin_holder_sim::jpki_sim::{generate, CardSpec, SimJpki, SimProfile};
use kakunin_issuer::proofing::{
    ApplicantProofing, EnrolmentEvidence, JpkiProofing, ProofingError, ProofingMethod, Sex,
};
use kakunin_jpki::trust::Purpose;
use kakunin_jpki::{AuthenticationPin, JpkiCard, JpkiError, JpkiTrust, SignaturePin};
use serde_json::Value;
use time::macros::datetime;

const ISSUER: &str = "https://issuer.test";

fn sim() -> SimJpki {
    generate(&[CardSpec::default_taro()], datetime!(2026-06-01 00:00 UTC)).unwrap()
}

fn proofing(sim: &SimJpki, sign_crl: &[u8]) -> JpkiProofing {
    let c = default_provider();
    let mut trust = JpkiTrust::new(
        c,
        vec![sim.sign_ca.cert_der().to_vec()],
        vec![sim.auth_ca.cert_der().to_vec()],
    )
    .unwrap();
    trust.add_crl(c, Purpose::Signature, sign_crl).unwrap();
    trust
        .add_crl(c, Purpose::Authentication, &sim.auth_crl)
        .unwrap();
    JpkiProofing::new(trust, c)
}

fn offer(nonce: [u8; 32]) -> NonceOffer {
    let body = serde_json::json!({"nonce": URL_SAFE_NO_PAD.encode(nonce), "issuer": ISSUER, "expires_at": 0});
    NonceOffer::parse(body.to_string().as_bytes()).unwrap()
}

/// What the issuer would check, from the request body: every key's thumbprint in order and
/// the certificates and signatures.
fn prove(
    p: &JpkiProofing,
    body: &[u8],
    nonce: &[u8; 32],
) -> Result<kakunin_issuer::proofing::ProofedApplicant, ProofingError> {
    let v: Value = serde_json::from_slice(body).unwrap();
    let c = default_provider();
    let mut keys = vec![v["device"]["key"].clone()];
    keys.extend(
        v["mdoc_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].clone()),
    );
    keys.extend(
        v["sd_jwt_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].clone()),
    );
    let thumbprints: Vec<[u8; 32]> = keys
        .iter()
        .map(|k| jwk_thumbprint(c, &jwk_to_key(k).unwrap()))
        .collect();
    let b = |k: &str| STANDARD.decode(v[k].as_str().unwrap()).unwrap();
    let u = |k: &str| URL_SAFE_NO_PAD.decode(v[k].as_str().unwrap()).unwrap();
    let (sc, s, ac, a) = (
        b("signature_certificate"),
        u("signature"),
        b("authentication_certificate"),
        u("authentication_signature"),
    );
    p.prove(
        &EnrolmentEvidence {
            issuer: ISSUER,
            nonce,
            device_key_thumbprints: &thumbprints,
            signature_certificate: &sc,
            signature: &s,
            authentication_certificate: &ac,
            authentication_signature: &a,
        },
        datetime!(2026-07-01 00:00 UTC).unix_timestamp(),
    )
}

/// The card profile of the first person of a generated JPKI-SIM.
fn first_card(sim: SimJpki) -> SimProfile {
    sim.people.into_iter().next().unwrap().card
}

fn text(secret: &[u8]) -> String {
    String::from_utf8(secret.to_vec()).unwrap()
}

fn card_request(
    profile: SimProfile,
    sign_pin: Option<&str>,
) -> (Result<Vec<u8>, EnrolmentError>, [u8; 32]) {
    let c = default_provider();
    let pins = (
        text(profile.pins.signature.expose_secret()),
        text(profile.pins.authentication.expose_secret()),
    );
    let mut card = JpkiCard::new(VirtualCard::in_memory(profile));
    let nonce = [7u8; 32];
    let keys = EnrolmentKeys::generate(c, 2, 2).unwrap();
    let prepared = prepare(c, &offer(nonce), &keys).unwrap();
    let body = sign_with_card(
        c,
        &mut card,
        SignaturePin::new(sign_pin.unwrap_or(&pins.0)).unwrap(),
        AuthenticationPin::new(&pins.1).unwrap(),
        prepared,
        Some("test"),
    );
    (body, nonce)
}

#[test]
fn a_card_through_the_jpki_client_is_proven_ial3_with_its_four_facts() {
    let s = sim();
    let p = proofing(&s, &s.sign_crl);
    let (body, nonce) = card_request(first_card(s), None);
    let who = prove(&p, &body.unwrap(), &nonce).unwrap();
    assert_eq!(who.method, ProofingMethod::JpkiCard);
    assert_eq!(who.level, "IAL3");
    let taro = kakunin_holder_sim::jpki_sim::PersonFacts::default_taro();
    assert_eq!(who.name, taro.name);
    assert_eq!(who.address, taro.address);
    assert_eq!(who.date_of_birth, Some(taro.birth_date));
    assert_ne!(who.sex, Sex::NotKnown);
}

#[test]
fn the_smartphone_jpki_is_proven_as_a_smartphone() {
    let s = sim();
    let p = proofing(&s, &s.sign_crl);
    let c = default_provider();
    let person = s.people.into_iter().next().unwrap();
    let sign_pin: kakunin_core::secret::Pin = text(person.phone.pins.signature.expose_secret())
        .parse()
        .unwrap();
    let auth_pin: kakunin_core::secret::Pin =
        text(person.phone.pins.authentication.expose_secret())
            .parse()
            .unwrap();
    let mut phone = SimulatedPhone::from_ap(VirtualCard::in_memory(person.phone));
    let nonce = [8u8; 32];
    let keys = EnrolmentKeys::generate(c, 1, 1).unwrap();
    let prepared = prepare(c, &offer(nonce), &keys).unwrap();
    let body = sign_with_phone(&mut phone, &sign_pin, &auth_pin, prepared, None).unwrap();
    let who = prove(&p, &body, &nonce).unwrap();
    assert_eq!(who.method, ProofingMethod::JpkiSmartphone);
    // A request proven for one nonce does not prove another.
    assert!(matches!(
        prove(&p, &body, &[9u8; 32]),
        Err(ProofingError::BadSignature { .. })
    ));
}

#[test]
fn a_wrong_pin_signs_nothing_and_shows_the_tries_left() {
    let (body, _) = card_request(first_card(sim()), Some("WRONG1"));
    match body {
        Err(EnrolmentError::Card {
            key: "signature",
            error: JpkiError::WrongPin { tries_left, .. },
        }) => assert_eq!(tries_left, 4),
        other => panic!("expected a wrong signature PIN, got {other:?}"),
    }
}

#[test]
fn a_card_revoked_with_jpki_sim_revoke_is_refused() {
    // The on-disk flow of `jpki-sim init` + `jpki-sim revoke` + `issuer serve --jpki-ca DIR`.
    let dir = tempfile::tempdir().unwrap();
    let made = datetime!(2026-06-01 00:00 UTC);
    kakunin_holder_sim::jpki_sim::init(dir.path(), &[CardSpec::default_taro()], made).unwrap();
    kakunin_holder_sim::jpki_sim::revoke(
        dir.path(),
        "taro",
        kakunin_core::trust::crl::CrlReason::AffiliationChanged,
        datetime!(2026-06-15 00:00 UTC),
    )
    .unwrap();
    let p = JpkiProofing::from_dir(dir.path(), default_provider()).unwrap();
    let profile =
        kakunin_holder_sim::jpki_sim::SimProfile::load_card(&dir.path().join("taro")).unwrap();
    let (body, nonce) = card_request(profile, None);
    assert!(matches!(
        prove(&p, &body.unwrap(), &nonce),
        Err(ProofingError::Revoked { which: "signature" })
    ));
}
