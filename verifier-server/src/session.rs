//! A till session as kakunin_verifier's reader flow runs it: from the customer's engagement
//! (the scanned `mdoc:` URI, ISO 18013-5 clause 8.2.2.3) over BLE in mdoc peripheral server
//! mode (8.3.3.1.1) — session encryption, a DeviceRequest signed with the till's reader
//! certificate (9.1.4), the complete report (9.3.1) and the till's verdict — with the phases
//! pushed to the page from the flow's progress and "next customer" as the flow's cancel flag.
//!
//! [`run_flow`] is the one place a till drives the flow over a link; [`FlowRunner`] (scanned
//! codes) and [`crate::demo::DemoRunner`] (the demo's simulated phones) only open the link.
//! The BLE link is the one `transports.ble` names: a real radio (btleplug, builds with the
//! `ble` feature) or the simulated radio of `kakunin holder-sim serve --ble-sim` (a Unix
//! socket, kakunin_transport::adapters::ble_socket).

use crate::config::BleMode;
use crate::till::{Engagement, Phase, SessionOutcome, SessionRunner};
use crate::trust::TrustStore;
use crate::verify::{self, AuditFacts};
use kakunin_core::crypto::default_provider;
use kakunin_transport::link::{LinkError, MessageLink};
use kakunin_verifier::flow::{
    ble_peripheral_uuid, run_reader_with, Deadlines, Engagement as FlowEngagement, FlowOutcome,
    Observer, Progress, ReaderAuthSigner, ReaderConfig, ReaderFlow,
};
use kakunin_verifier::verdict::CredentialKind;
use kakunin_verifier::{AgePolicy, Decision, NgReason};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The ATT MTU the till chunks for on a real radio (safe for current phones).
pub const RADIO_MTU: u16 = 185;

/// The flow's deadlines for a per-message timeout: the session gets three answers' worth,
/// and the flow's default message bound.
pub fn deadlines(per_message: Duration) -> Deadlines {
    Deadlines {
        per_message,
        session: per_message.saturating_mul(3),
        ..Deadlines::default()
    }
}

/// The till's reader configuration: its policy, readerAuth with its reader certificate (when
/// it has one), the trust anchors in force, and its deadlines. SD-JWT VC in the same session
/// when the phone holds no mdoc (docs/profiles/sd-jwt-proximity.md).
pub fn reader_config(
    trust: kakunin_core::trust::TrustAnchors,
    policy: &AgePolicy,
    signer: Option<&ReaderAuthSigner>,
    per_message: Duration,
) -> ReaderConfig {
    let mut config = ReaderConfig::new(trust);
    config.policy = policy.clone();
    config.reader_auth = signer.cloned();
    config.deadlines = deadlines(per_message);
    config
}

/// The audit facts of a finished flow: the judged credential's checks and issuer; nothing
/// when no response was verified.
pub fn flow_facts(outcome: &FlowOutcome) -> AuditFacts {
    let mut facts = judged_facts(outcome);
    if outcome.unrequested_elements > 0 {
        // A wallet that disclosed more than asked: how much it sent unasked (dropped before
        // the verdict; never a name's value).
        if let serde_json::Value::Object(checks) = &mut facts.checks {
            checks.insert("unrequested".into(), outcome.unrequested_elements.into());
        }
    }
    facts
}

fn judged_facts(outcome: &FlowOutcome) -> AuditFacts {
    if let (Some(CredentialKind::SdJwtVc { .. }), Some(Ok((_, results)))) =
        (&outcome.decision.credential, &outcome.sd_jwt)
    {
        if let Some(first) = results.first() {
            // The status and CRL outcomes of that presentation, as mdoc rows record them.
            return verify::sd_jwt_result_facts_with_checks(
                first,
                outcome.sd_jwt_status.first(),
                outcome.sd_jwt_revocation.first(),
            );
        }
    }
    match &outcome.mdoc {
        Some(report) => {
            let judged = match &outcome.decision.credential {
                Some(CredentialKind::Mdoc { doc_type }) => {
                    report.documents.iter().find(|d| &d.doc_type == doc_type)
                }
                _ => report.documents.first(),
            };
            verify::mdoc_facts(report, judged)
        }
        None => AuditFacts::default(),
    }
}

/// Run `flow` over `link` to its decision: the phases go to `progress` (Verifying when a
/// response arrived), `cancel` ends it NG `cancelled`, the flow's deadlines end a silent
/// phone NG `timeout`.
pub fn run_flow(
    flow: &mut ReaderFlow<'_>,
    link: &mut dyn MessageLink,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Phase),
) -> SessionOutcome {
    let mut on_progress = |p: Progress| match p {
        Progress::Connecting => progress(Phase::Connecting),
        Progress::Verifying => progress(Phase::Verifying),
        _ => {}
    };
    let outcome = run_reader_with(
        flow,
        link,
        default_provider(),
        &Instant::now,
        time::OffsetDateTime::now_utc(),
        Observer {
            cancel: Some(cancel),
            on_progress: Some(&mut on_progress),
        },
    );
    if let Some(f) = &outcome.failure {
        // Why a session ended without a verdict of the policy (no attribute values in it).
        eprintln!("kakunin till: session ended: {f}");
    }
    SessionOutcome {
        facts: flow_facts(&outcome),
        decision: outcome.decision,
    }
}

/// The session runner for scanned engagements (`POST /api/v1/till/engage`): the reader
/// flow over the BLE link `transports.ble` names, to the phone advertising the engagement's
/// service UUID.
pub struct FlowRunner {
    trust: Arc<TrustStore>,
    policy: AgePolicy,
    signer: Option<ReaderAuthSigner>,
    ble: BleMode,
    per_message: Duration,
}

impl core::fmt::Debug for FlowRunner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FlowRunner")
            .field("ble", &self.ble)
            .field("per_message", &self.per_message)
            .finish_non_exhaustive()
    }
}

impl FlowRunner {
    /// A runner judging by `policy` under the trust anchors in force, signing readerAuth
    /// with `signer` (if any), reaching phones over `ble`, waiting `per_message` for each
    /// answer.
    pub fn new(
        trust: Arc<TrustStore>,
        policy: AgePolicy,
        signer: Option<ReaderAuthSigner>,
        ble: BleMode,
        per_message: Duration,
    ) -> Self {
        FlowRunner {
            trust,
            policy,
            signer,
            ble,
            per_message,
        }
    }

    /// Open the BLE link to the phone advertising `uuid`.
    fn open(&self, uuid: [u8; 16]) -> Result<Box<dyn MessageLink>, LinkError> {
        match self.ble {
            BleMode::Sim => {
                let pipe = kakunin_transport::adapters::ble_socket::SocketPipe::connect(&uuid)?;
                Ok(Box::new(pipe.framed()?))
            }
            BleMode::Radio => radio(uuid, self.per_message),
            BleMode::Off => {
                eprintln!("kakunin till: BLE is off (transports.ble = false)");
                Err(LinkError::Io(std::io::ErrorKind::Unsupported))
            }
        }
    }
}

#[cfg(feature = "ble")]
fn radio(uuid: [u8; 16], wait: Duration) -> Result<Box<dyn MessageLink>, LinkError> {
    let link =
        kakunin_transport::adapters::radio_link::CentralLink::connect(uuid, RADIO_MTU, wait)?;
    Ok(Box::new(link))
}

#[cfg(not(feature = "ble"))]
fn radio(_uuid: [u8; 16], _wait: Duration) -> Result<Box<dyn MessageLink>, LinkError> {
    eprintln!(
        "kakunin till: this build has no BLE radio: build with --features ble, or set transports.ble = \"sim\""
    );
    Err(LinkError::Io(std::io::ErrorKind::Unsupported))
}

impl SessionRunner for FlowRunner {
    fn run_session(
        &self,
        engagement: &Engagement,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(Phase),
    ) -> SessionOutcome {
        progress(Phase::Connecting);
        // The snapshot in force for the whole session: its anchors and its one bounded cache
        // of validated DS chains (shared with the API and every other session).
        let trust = self.trust.snapshot();
        let mut config = reader_config(
            trust.anchors.clone(),
            &self.policy,
            self.signer.as_ref(),
            self.per_message,
        );
        // The trust bundle's and the status cache's lists: the session checks status too.
        config.status = trust.status.clone();
        // The trust bundle's and the CRL files' CRLs: revoked DS certificates are NG.
        config.crls = trust.crls.clone().map(kakunin_verifier::flow::SharedCrlSet);
        let engagement = FlowEngagement::Qr {
            uri: engagement.uri.clone(),
        };
        let uuid = engagement
            .resolve()
            .ok()
            .and_then(|e| ble_peripheral_uuid(&e.device_engagement));
        let mut flow = match ReaderFlow::new(default_provider(), &config, &engagement) {
            Ok(f) => f.with_chain_cache(&trust.chain_cache),
            Err(e) => {
                eprintln!("kakunin till: session not started: {e}");
                return SessionOutcome::from(Decision::ng(NgReason::Malformed));
            }
        };
        let Some(uuid) = uuid else {
            eprintln!("kakunin till: the engagement offers no BLE peripheral server mode");
            return SessionOutcome::from(Decision::ng(NgReason::Malformed));
        };
        match self.open(uuid) {
            Ok(mut link) => run_flow(&mut flow, link.as_mut(), cancel, progress),
            Err(e) => {
                eprintln!("kakunin till: BLE link: {e}");
                let out = flow.on_link_error(e);
                SessionOutcome {
                    facts: flow_facts(&out),
                    decision: out.decision,
                }
            }
        }
    }
}
