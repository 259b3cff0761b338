//! The reader flow (DESIGN.md, floor 3): one sans-IO state machine from engagement to
//! verdict — QR or NFC engagement (ISO 18013-5 clause 8.2), session establishment (9.1.1), a
//! DeviceRequest with readerAuth (8.3.2.1, 9.1.4), the DeviceResponse and its complete report
//! (9.3.1), and the till's verdict ([`crate::verdict`]) — with the SD-JWT VC request of
//! docs/profiles/sd-jwt-proximity.md in the same session when the wallet holds no mdoc.
//!
//! Every transport runs the same flow through one seam,
//! [`kakunin_transport::link::MessageLink`], and one driver, [`run_reader`]. NFC engagement
//! (reading or negotiating the handover) is done by [`engage_nfc`] before the flow starts.

mod config;
mod driver;
mod engagement;
mod machine;

pub use config::{
    Deadlines, ReaderAuthSigner, ReaderConfig, RequestSpec, SdJwtMode, SharedCrlSet,
    SharedStatusSource,
};
pub use driver::{run_reader, run_reader_with, Observer};
pub use engagement::{ble_peripheral_uuid, engage_nfc, Engaged, Engagement, NfcHandoverMode};
pub use machine::{
    keep_requested, keep_requested_claims, link_failure_reason, session_failure_reason,
    FlowFailure, FlowOutcome, Progress, ReaderFlow, Step,
};

/// The reader could not set up or send its own part of the flow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// The QR code is not an `mdoc:` URI with a base64url DeviceEngagement.
    #[error("QR engagement: {0}")]
    Qr(kakunin_transport::qr::QrError),
    /// The NFC handover message does not parse.
    #[error("NFC handover: {0}")]
    Handover(kakunin_transport::handover::HandoverError),
    /// The Handover Select carries no DeviceEngagement record.
    #[error("the Handover Select carries no DeviceEngagement")]
    NoDeviceEngagement,
    /// The DeviceEngagement does not decode.
    #[error("DeviceEngagement: {0}")]
    Engagement(kakunin_core::mdoc::MdocError),
    /// Making the ephemeral key failed.
    #[error("crypto: {0}")]
    Crypto(kakunin_core::crypto::CryptoError),
    /// The session machine refused (an unusable engagement key, a wrong state).
    #[error("session: {0}")]
    Session(kakunin_transport::session::ProximityError),
    /// Signing readerAuth failed.
    #[error("readerAuth: {0}")]
    ReaderAuth(kakunin_core::cose::CoseError),
    /// The flow was driven out of order.
    #[error("not allowed now: {0}")]
    WrongState(&'static str),
}

impl FlowError {
    /// The cause group of this failure.
    pub fn cause(&self) -> kakunin_core::Cause {
        match self {
            FlowError::Qr(_)
            | FlowError::Handover(_)
            | FlowError::NoDeviceEngagement
            | FlowError::Engagement(_) => kakunin_core::Cause::Malformed,
            FlowError::Crypto(e) => e.cause(),
            FlowError::Session(e) => e.cause(),
            FlowError::ReaderAuth(e) => e.cause(),
            FlowError::WrongState(_) => kakunin_core::Cause::Misuse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{NgReason, Verdict};
    use kakunin_core::crypto::{default_provider, Curve};
    use kakunin_core::mdoc::encode_device_engagement;
    use kakunin_core::trust::TrustAnchors;

    fn config() -> ReaderConfig {
        ReaderConfig::new(TrustAnchors::default())
    }

    fn engagement() -> Engagement {
        let c = default_provider();
        let key = c.generate_key(Curve::P256).unwrap();
        let de = encode_device_engagement(&c.public_key(&key).unwrap(), &[]);
        Engagement::Qr {
            uri: kakunin_transport::qr::engagement_uri(&de),
        }
    }

    fn at() -> time::OffsetDateTime {
        time::macros::datetime!(2026-12-01 09:00 UTC)
    }

    fn done(step: Step) -> FlowOutcome {
        match step {
            Step::Done(o) => *o,
            Step::Send(_) => panic!("expected the flow to end"),
        }
    }

    #[test]
    fn the_default_request_asks_each_accepted_doctype_for_age_and_portrait() {
        let reqs = config().doc_requests();
        assert_eq!(reqs.len(), 2);
        for (_, els) in &reqs {
            let names: Vec<&str> = els.iter().map(|e| e.element.as_str()).collect();
            assert_eq!(names, ["age_over_20", "portrait"]);
            assert!(els.iter().all(|e| !e.intent_to_retain));
        }
        let sd =
            kakunin_core::sdjwt::proximity::decode_request(&config().sd_jwt_request()).unwrap();
        assert_eq!(sd[0].claims, ["age_equal_or_over.20", "portrait"]);
    }

    #[test]
    fn session_failures_map_to_reasons_and_answer_with_the_right_status() {
        let c = default_provider();
        let cfg = config();
        let e = engagement();
        // Does not decode: malformed, and the reader answers status 11.
        let mut flow = ReaderFlow::new(c, &cfg, &e).unwrap();
        flow.start(c).unwrap();
        let out = done(flow.handle(c, b"\xff\x00", at()));
        assert_eq!(out.decision.verdict, Verdict::Ng(NgReason::Malformed));
        assert_eq!(
            out.final_message.as_deref(),
            Some(&[0xa1, 0x66, b's', b't', b'a', b't', b'u', b's', 0x0b][..])
        );
        assert_eq!(out.progress, [Progress::Connecting, Progress::Done]);
        // A ciphertext that does not decrypt: device_auth_failed, status 10.
        let mut flow = ReaderFlow::new(c, &cfg, &e).unwrap();
        flow.start(c).unwrap();
        let forged = kakunin_core::session::SessionData {
            data: Some(vec![0u8; 40]),
            status: None,
        }
        .to_bytes();
        let out = done(flow.handle(c, &forged, at()));
        assert_eq!(
            out.decision.verdict,
            Verdict::Ng(NgReason::DeviceAuthFailed)
        );
        assert_eq!(
            out.final_message.as_ref().and_then(|m| m.last()),
            Some(&0x0a)
        );
        // The peer ends with 10 or 11: malformed; with 20 before answering: cancelled.
        for (status, reason) in [
            (10u64, NgReason::Malformed),
            (11, NgReason::Malformed),
            (20, NgReason::Cancelled),
        ] {
            let mut flow = ReaderFlow::new(c, &cfg, &e).unwrap();
            flow.start(c).unwrap();
            let msg = kakunin_core::session::SessionData {
                data: None,
                status: Some(status),
            }
            .to_bytes();
            let out = done(flow.handle(c, &msg, at()));
            assert_eq!(out.decision.verdict, Verdict::Ng(reason), "status {status}");
            assert!(out.final_message.is_none());
        }
        // Timeout and cancel end the session with status 20.
        let mut flow = ReaderFlow::new(c, &cfg, &e).unwrap();
        flow.start(c).unwrap();
        let out = flow.on_timeout();
        assert_eq!(out.decision.verdict, Verdict::Ng(NgReason::Timeout));
        assert_eq!(
            out.final_message.as_ref().and_then(|m| m.last()),
            Some(&0x14)
        );
        let mut flow = ReaderFlow::new(c, &cfg, &e).unwrap();
        flow.start(c).unwrap();
        assert_eq!(
            flow.cancel().decision.verdict,
            Verdict::Ng(NgReason::Cancelled)
        );
        assert!(flow.is_done());
        assert!(matches!(flow.start(c), Err(FlowError::WrongState(_))));
        // A bad QR code never makes a flow.
        assert!(matches!(
            ReaderFlow::new(
                c,
                &cfg,
                &Engagement::Qr {
                    uri: "https://x".into()
                }
            ),
            Err(FlowError::Qr(_))
        ));
    }

    #[test]
    fn unrequested_sd_jwt_claims_are_dropped_down_to_the_asked_path() {
        let claims = serde_json::json!({
            "iss": "https://issuer.example", "vct": "urn:eudi:pid:jp:1", "exp": 1, "cnf": {},
            "family_name": "Yamada", "address": {"locality": "Tokyo"},
            "age_equal_or_over": {"18": true, "20": true, "65": false},
        });
        let verified = kakunin_core::sdjwt::VerifiedSdJwt {
            header: serde_json::Map::new(),
            claims: claims.as_object().unwrap().clone(),
            holder_key: None,
            key_bound: true,
            disclosures: 6,
        };
        let mut result: crate::SdJwtResponseResult = Ok((0, vec![Ok(verified)]));
        let asked = [kakunin_core::sdjwt::proximity::SdJwtRequest {
            vct: "urn:eudi:pid:jp:1".into(),
            claims: vec!["age_equal_or_over.20".into(), "portrait".into()],
        }];
        assert_eq!(keep_requested_claims(&mut result, &asked), 4);
        let Ok((_, list)) = &result else { panic!() };
        let kept = &list[0].as_ref().unwrap().claims;
        assert_eq!(
            serde_json::Value::Object(kept.clone()),
            serde_json::json!({
                "iss": "https://issuer.example", "vct": "urn:eudi:pid:jp:1", "exp": 1,
                "cnf": {}, "age_equal_or_over": {"20": true},
            })
        );
        // A presentation of a type that was not asked for keeps only its own claims.
        let other = [kakunin_core::sdjwt::proximity::SdJwtRequest {
            vct: "urn:other".into(),
            claims: vec!["age_equal_or_over.20".into()],
        }];
        assert_eq!(keep_requested_claims(&mut result, &other), 1);
    }

    #[test]
    fn link_failures_map_to_reasons() {
        use kakunin_transport::link::LinkError;
        assert_eq!(link_failure_reason(&LinkError::Timeout), NgReason::Timeout);
        assert_eq!(link_failure_reason(&LinkError::Closed), NgReason::Timeout);
        assert_eq!(
            link_failure_reason(&LinkError::Framing { what: "x" }),
            NgReason::Malformed
        );
    }

    #[test]
    fn docs_verdict_md_lists_every_reason_with_its_texts() {
        let doc = include_str!("../../../docs/verdict.md");
        for r in NgReason::ALL {
            let row = format!("| `{}` | {} | {} |", r.code(), r.text_en(), r.text_ja());
            assert!(doc.contains(&row), "docs/verdict.md lacks {row}");
        }
    }
}
