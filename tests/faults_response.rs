#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Every Response-layer fault profile (kakunin_holder_sim::faults, docs/faults.md) against
//! Kakunin's own verifier: each fails exactly the check it targets and nothing else, the
//! till's AgePolicy names the expected NG reason, and `non-shortest-heads` stays valid.

use kakunin_core::cbor::wrap_tag24;
use kakunin_core::cose::encode_cose_key;
use kakunin_core::crypto::{default_provider, Curve, EcPrivateKey};
use kakunin_core::mdoc::{
    encode_device_request, encode_items_request, RequestedElement, SessionTranscript, ValidityInfo,
    MDL_DOCTYPE, MDL_NAMESPACE,
};
use kakunin_core::trust::TrustAnchors;
use kakunin_holder_sim::engagement::qr_ble_engagement;
use kakunin_holder_sim::faults::{
    respond_faulty, Fault, FaultError, FaultKit, FaultLayer, IssuerSigner,
};
use kakunin_holder_sim::{
    respond_with, CredentialStore, DeviceAuthMode, HolderError, HolderPolicy, MemoryStore,
    RespondOptions,
};
use kakunin_issuer::{elements_from_json, DocProfile, MdocIssuer, TestPki};
use kakunin_verifier::flow::keep_requested;
use kakunin_verifier::{AgePolicy, Check, NgReason, Outcome, ResponseReport, Verdict, Verifier};
use time::macros::datetime;
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    datetime!(2026-12-01 09:00 UTC)
}

struct Fixture {
    pki: TestPki,
    store: MemoryStore,
    reader_key: EcPrivateKey,
    transcript: Vec<u8>,
}

fn fixture() -> Fixture {
    let c = default_provider();
    let pki = TestPki::generate(c, "JP", 1, now() - time::Duration::days(90)).unwrap();
    let store = MemoryStore::new();
    let mut claims: serde_json::Value =
        serde_json::from_str(include_str!("../docs/examples/mdl-claims.json")).unwrap();
    claims["birth_date"] = "2000-05-05".into();
    let elements = elements_from_json(DocProfile::Mdl, &claims, now().date()).unwrap();
    let ds = &pki.document_signers[0];
    let issuer = MdocIssuer::new(c, &ds.key, vec![ds.cert_der.clone()]);
    let signed = now() - time::Duration::days(30);
    let validity = ValidityInfo {
        signed,
        valid_from: signed,
        valid_until: now() + time::Duration::days(30),
        expected_update: None,
    };
    for i in 0..8 {
        let key = c.generate_key(Curve::P256).unwrap();
        let cred = issuer
            .issue(
                MDL_DOCTYPE,
                &elements,
                &c.public_key(&key).unwrap(),
                validity,
                None,
            )
            .unwrap();
        store
            .store(
                &format!("mdl-{i}"),
                &cred.doc_type,
                &cred.issuer_signed,
                &key,
            )
            .unwrap();
    }
    let (_, _, session) = qr_ble_engagement(c).unwrap();
    let reader_key = c.generate_key(Curve::P256).unwrap();
    let t = SessionTranscript::build(
        session.device_engagement_bytes(),
        &wrap_tag24(&encode_cose_key(&c.public_key(&reader_key).unwrap())),
        &[0xf6],
    );
    Fixture {
        pki,
        store,
        reader_key,
        transcript: t.tagged_bytes().to_vec(),
    }
}

fn asked() -> Vec<RequestedElement> {
    ["age_over_20", "family_name", "given_name"]
        .iter()
        .map(|e| RequestedElement {
            namespace: MDL_NAMESPACE.into(),
            element: (*e).into(),
            intent_to_retain: false,
        })
        .collect()
}

fn request() -> Vec<u8> {
    encode_device_request(&[(encode_items_request(MDL_DOCTYPE, &asked()), None)])
}

impl Fixture {
    fn present(&self, fault: Fault, mode: DeviceAuthMode) -> Result<Vec<u8>, HolderError> {
        let chain = vec![self.pki.document_signers[0].cert_der.clone()];
        let kit = FaultKit {
            issuer: Some(IssuerSigner {
                key: &self.pki.document_signers[0].key,
                x5chain: &chain,
            }),
            earlier_response: None,
        };
        self.present_with(fault, mode, &kit)
    }

    fn present_with(
        &self,
        fault: Fault,
        mode: DeviceAuthMode,
        kit: &FaultKit<'_>,
    ) -> Result<Vec<u8>, HolderError> {
        let policy = HolderPolicy {
            device_auth: mode,
            ..HolderPolicy::default()
        };
        respond_faulty(
            default_provider(),
            &self.store,
            &request(),
            &self.transcript,
            &policy,
            RespondOptions::default(),
            now(),
            fault,
            kit,
        )
        .map(|p| p.response)
    }

    fn verify(&self, response: &[u8]) -> ResponseReport {
        let trust = TrustAnchors::from_der_certs([self.pki.iaca.cert_der.clone()]).unwrap();
        Verifier::new(&trust)
            .with_reader_key(&self.reader_key)
            .verify_device_response(response, &self.transcript, now())
    }
}

fn failed(report: &ResponseReport) -> Vec<Check> {
    report
        .documents
        .iter()
        .flat_map(|d| d.checks.iter())
        .filter(|c| c.outcome == Outcome::Failed)
        .map(|c| c.check)
        .collect()
}

fn verdict(report: &ResponseReport) -> Verdict {
    AgePolicy::default().decide_mdoc(report).verdict
}

/// The profile makes a response failing exactly `check`, judged NG with `reason`.
fn assert_caught(f: &Fixture, fault: Fault, mode: DeviceAuthMode, check: Check, reason: NgReason) {
    let response = f.present(fault, mode).unwrap();
    let report = f.verify(&response);
    assert!(report.errors.is_empty(), "{fault}: {:?}", report.errors);
    assert_eq!(
        failed(&report),
        vec![check],
        "{fault}: {:?}",
        report.documents[0].errors
    );
    assert_eq!(verdict(&report), Verdict::Ng(reason), "{fault}");
}

#[test]
fn the_unfaulted_answer_is_ok_in_both_device_auth_modes() {
    let f = fixture();
    for mode in [DeviceAuthMode::Signature, DeviceAuthMode::Mac] {
        let p = respond_with(
            default_provider(),
            &f.store,
            &request(),
            &f.transcript,
            &HolderPolicy {
                device_auth: mode,
                ..HolderPolicy::default()
            },
            RespondOptions::default(),
            now(),
        )
        .unwrap();
        let report = f.verify(&p.response);
        assert!(failed(&report).is_empty());
        assert_eq!(verdict(&report), Verdict::Ok);
    }
}

#[test]
fn device_authentication_profiles_fail_device_authentication_only() {
    let f = fixture();
    for mode in [DeviceAuthMode::Signature, DeviceAuthMode::Mac] {
        for fault in [Fault::WrongSessionTranscript, Fault::ReplayedDeviceAuth] {
            assert_caught(
                &f,
                fault,
                mode,
                Check::DeviceAuthentication,
                NgReason::DeviceAuthFailed,
            );
        }
    }
    for fault in [Fault::DeviceMacInsteadOfSignature, Fault::AttachedPayload] {
        assert_caught(
            &f,
            fault,
            DeviceAuthMode::Signature,
            Check::DeviceAuthentication,
            NgReason::DeviceAuthFailed,
        );
    }
}

#[test]
fn a_replayed_earlier_response_is_caught() {
    let f = fixture();
    let earlier = f
        .present(Fault::NonShortestHeads, DeviceAuthMode::Signature)
        .unwrap();
    // The earlier response is valid in its own session.
    assert_eq!(verdict(&f.verify(&earlier)), Verdict::Ok);
    let kit = FaultKit {
        issuer: None,
        earlier_response: Some(&earlier),
    };
    // In the same session the replay would be a valid answer; a new session is what a
    // replay meets, so the reader checks it against another transcript.
    let mut g = f;
    let (_, _, session) = qr_ble_engagement(default_provider()).unwrap();
    let t = SessionTranscript::build(
        session.device_engagement_bytes(),
        &wrap_tag24(&encode_cose_key(
            &default_provider().public_key(&g.reader_key).unwrap(),
        )),
        &[0xf6],
    );
    g.transcript = t.tagged_bytes().to_vec();
    let response = g
        .present_with(Fault::ReplayedDeviceAuth, DeviceAuthMode::Signature, &kit)
        .unwrap();
    let report = g.verify(&response);
    assert_eq!(failed(&report), vec![Check::DeviceAuthentication]);
    assert_eq!(verdict(&report), Verdict::Ng(NgReason::DeviceAuthFailed));
}

#[test]
fn issuer_profiles_fail_their_one_check() {
    let f = fixture();
    let s = DeviceAuthMode::Signature;
    assert_caught(&f, Fault::StaleMso, s, Check::Validity, NgReason::Expired);
    assert_caught(
        &f,
        Fault::UntrustedDs,
        s,
        Check::IssuerCertificateChain,
        NgReason::UntrustedIssuer,
    );
    assert_caught(
        &f,
        Fault::WrongDocType,
        s,
        Check::DocType,
        NgReason::Tampered,
    );
}

#[test]
fn item_profiles_fail_the_value_digests() {
    let f = fixture();
    for fault in [
        Fault::ReencodedTag24,
        Fault::DigestSwap,
        Fault::ElementUnderOtherNamespace,
    ] {
        assert_caught(
            &f,
            fault,
            DeviceAuthMode::Signature,
            Check::ValueDigests,
            NgReason::Tampered,
        );
    }
}

#[test]
fn structural_profiles_do_not_decode() {
    let f = fixture();
    for fault in [Fault::MissingDeviceAuth, Fault::DuplicateMapKeys] {
        let response = f.present(fault, DeviceAuthMode::Signature).unwrap();
        let report = f.verify(&response);
        assert!(report.documents.is_empty(), "{fault}");
        assert_eq!(report.errors.len(), 1, "{fault}: {:?}", report.errors);
        assert_eq!(
            verdict(&report),
            Verdict::Ng(NgReason::Malformed),
            "{fault}"
        );
    }
}

#[test]
fn an_extra_element_is_authentic_and_dropped_by_a_reader_that_keeps_what_it_asked() {
    let f = fixture();
    let response = f
        .present(Fault::ExtraElement, DeviceAuthMode::Signature)
        .unwrap();
    let mut report = f.verify(&response);
    assert!(failed(&report).is_empty());
    assert_eq!(report.documents[0].elements.len(), asked().len() + 1);
    let dropped = keep_requested(&mut report, &[(MDL_DOCTYPE.to_string(), asked())]);
    assert_eq!(dropped, 1);
    assert_eq!(verdict(&report), Verdict::Ok);
}

#[test]
fn non_shortest_heads_are_valid_and_other_bytes() {
    let f = fixture();
    for mode in [DeviceAuthMode::Signature, DeviceAuthMode::Mac] {
        let response = f.present(Fault::NonShortestHeads, mode).unwrap();
        // The top-level map head is no longer the one-byte form.
        assert_eq!(response.first(), Some(&0xb8));
        let report = f.verify(&response);
        assert!(report.errors.is_empty() && failed(&report).is_empty());
        assert_eq!(verdict(&report), Verdict::Ok);
    }
}

#[test]
fn misuse_is_a_typed_error() {
    let f = fixture();
    let none = FaultKit::default();
    match f.present_with(Fault::StaleMso, DeviceAuthMode::Signature, &none) {
        Err(HolderError::Fault(FaultError::NeedsIssuerKey { fault })) => {
            assert_eq!(fault, Fault::StaleMso)
        }
        other => panic!("{other:?}"),
    }
    match f.present_with(Fault::BleSlowDrip, DeviceAuthMode::Signature, &none) {
        Err(HolderError::Fault(FaultError::WrongLayer { layer, .. })) => {
            assert_eq!(layer, FaultLayer::Ble)
        }
        other => panic!("{other:?}"),
    }
    // Nothing was spent by either refusal.
    assert!(f.store.list().unwrap().iter().all(|c| !c.used));
    // A request answered with no document leaves nothing to break.
    let other_doc =
        encode_device_request(&[(encode_items_request("org.example.none", &asked()), None)]);
    let r = respond_faulty(
        default_provider(),
        &f.store,
        &other_doc,
        &f.transcript,
        &HolderPolicy::default(),
        RespondOptions::default(),
        now(),
        Fault::DigestSwap,
        &none,
    );
    assert!(matches!(
        r,
        Err(HolderError::Fault(FaultError::NotApplicable { .. }))
    ));
}

#[test]
fn every_response_profile_is_covered_here() {
    let covered = [
        Fault::WrongSessionTranscript,
        Fault::ReplayedDeviceAuth,
        Fault::StaleMso,
        Fault::UntrustedDs,
        Fault::ReencodedTag24,
        Fault::DigestSwap,
        Fault::ExtraElement,
        Fault::ElementUnderOtherNamespace,
        Fault::WrongDocType,
        Fault::MissingDeviceAuth,
        Fault::DeviceMacInsteadOfSignature,
        Fault::AttachedPayload,
        Fault::DuplicateMapKeys,
        Fault::NonShortestHeads,
    ];
    let response: Vec<Fault> = Fault::ALL
        .iter()
        .copied()
        .filter(|f| f.layer() == FaultLayer::Response)
        .collect();
    assert_eq!(response, covered);
}
