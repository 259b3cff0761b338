//! Turning what a wallet did into the report's terms: an [`Observed`] (it disclosed, it
//! refused and how, it timed out, it broke the protocol), the first failing check in plain
//! words, and bounded summaries of what was sent and received.

use super::raw::Answer;
use crate::case::Observed;
use kakunin_core::mdoc::RequestedElement;
use kakunin_transport::link::LinkError;
use kakunin_transport::session::ProximityError;
use kakunin_verifier::flow::{FlowFailure, FlowOutcome};
use kakunin_verifier::ResponseReport;
use std::fmt::Write as _;
use std::time::Duration;

/// Most characters of a summary kept for the report.
const MAX_SUMMARY: usize = 4000;

/// One case's findings.
#[derive(Debug, Clone)]
pub(crate) struct Judged {
    /// What the wallet did.
    pub(crate) observed: Observed,
    /// The first check that failed, if one did.
    pub(crate) failing_check: Option<String>,
    /// What was sent.
    pub(crate) sent: String,
    /// What came back.
    pub(crate) received: String,
}

impl Judged {
    /// The case could not run: graded broken.
    pub(crate) fn broken(detail: String, sent: String) -> Self {
        Judged {
            observed: Observed::Broken {
                detail: detail.clone(),
            },
            failing_check: Some(detail),
            sent,
            received: String::new(),
        }
    }

    /// Bound the summaries.
    pub(crate) fn bounded(mut self) -> Self {
        self.sent = bound(self.sent);
        self.received = bound(self.received);
        self
    }
}

fn bound(mut s: String) -> String {
    if s.len() > MAX_SUMMARY {
        let mut cut = MAX_SUMMARY;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str(" …");
    }
    s
}

/// The request, in words: per DocRequest its docType and elements.
pub(crate) fn describe_request(
    requests: &[(String, Vec<RequestedElement>)],
    reader_auth: &str,
) -> String {
    let mut s = String::from("DeviceRequest");
    for (doc_type, els) in requests {
        let names: Vec<String> = els
            .iter()
            .take(12)
            .map(|e| {
                let retain = if e.intent_to_retain { " (retain)" } else { "" };
                format!("{}/{}{retain}", e.namespace, e.element)
            })
            .collect();
        let more = els.len().saturating_sub(12);
        let _ = write!(s, "; {doc_type}: {}", names.join(", "));
        if more > 0 {
            let _ = write!(s, " and {more} more");
        }
    }
    let _ = write!(s, "; readerAuth: {reader_auth}");
    s
}

/// A DeviceResponse report, in words.
pub(crate) fn describe_report(r: &ResponseReport) -> String {
    let mut s = format!(
        "DeviceResponse status {}",
        r.status.map_or("?".into(), |v| v.to_string())
    );
    for d in &r.documents {
        let els: Vec<String> = d
            .elements
            .iter()
            .map(|e| format!("{}/{}", e.namespace, e.identifier))
            .collect();
        let _ = write!(
            s,
            "; document {} ({}): {}",
            d.doc_type,
            if d.valid() {
                "verified"
            } else {
                "NOT verified"
            },
            els.join(", ")
        );
        if !d.not_returned.is_empty() {
            let nr: Vec<String> = d
                .not_returned
                .iter()
                .map(|e| format!("{}/{} ({})", e.namespace, e.element, e.code))
                .collect();
            let _ = write!(s, "; element errors: {}", nr.join(", "));
        }
    }
    if !r.document_errors.is_empty() {
        let de: Vec<String> = r
            .document_errors
            .iter()
            .map(|e| format!("{} ({})", e.doc_type, e.code))
            .collect();
        let _ = write!(s, "; documentErrors: {}", de.join(", "));
    }
    let errors: Vec<String> = r.all_errors().map(ToString::to_string).collect();
    if !errors.is_empty() {
        let _ = write!(s, "; errors: {}", errors.join("; "));
    }
    s
}

/// A reader flow's outcome, in words.
pub(crate) fn describe_outcome(out: &FlowOutcome) -> String {
    let mut s = String::new();
    if let Some(r) = &out.mdoc {
        s.push_str(&describe_report(r));
    }
    if let Some(sd) = &out.sd_jwt {
        match sd {
            Ok((_, list)) => {
                let ok = list.iter().filter(|r| r.is_ok()).count();
                let _ = write!(
                    s,
                    "SD-JWT VC response: {} presentation(s), {ok} verified",
                    list.len()
                );
            }
            Err(e) => {
                let _ = write!(s, "SD-JWT VC response does not verify: {e}");
            }
        }
    }
    if out.unrequested_elements > 0 {
        let _ = write!(
            s,
            "; {} unrequested element(s)/claim(s) dropped",
            out.unrequested_elements
        );
    }
    if let Some(f) = &out.failure {
        if !s.is_empty() {
            s.push_str("; ");
        }
        let _ = write!(s, "session: {f}");
    }
    s
}

/// Whether the report discloses any element.
pub(crate) fn discloses(r: &ResponseReport) -> bool {
    r.documents.iter().any(|d| !d.elements.is_empty())
}

/// What a flow outcome says the wallet did.
pub(crate) fn flow_observed(out: &FlowOutcome, deadline: Duration) -> Observed {
    let disclosed = out.mdoc.as_ref().is_some_and(discloses) || out.unrequested_elements > 0;
    let sd_disclosed = matches!(&out.sd_jwt, Some(Ok((_, list))) if list.iter().any(|r| r.is_ok()));
    if disclosed || sd_disclosed {
        return Observed::Accepted;
    }
    match &out.failure {
        None => {
            let reason = match &out.mdoc {
                Some(r) if !r.document_errors.is_empty() => "documentErrors, no document".into(),
                Some(r) => format!(
                    "DeviceResponse status {} with no document",
                    r.status.map_or("?".into(), |v| v.to_string())
                ),
                None => "no document".into(),
            };
            Observed::Rejected {
                reason: Some(reason),
            }
        }
        Some(f) => failure_observed(f, deadline),
    }
}

fn failure_observed(f: &FlowFailure, deadline: Duration) -> Observed {
    let rejected = |r: &str| Observed::Rejected {
        reason: Some(r.into()),
    };
    match f {
        FlowFailure::EndedByPeer => rejected("SessionData status 20"),
        FlowFailure::Session(ProximityError::PeerError { status }) => {
            rejected(&format!("SessionData status {status}"))
        }
        FlowFailure::Link(LinkError::Closed) => rejected("closed the link"),
        FlowFailure::Timeout | FlowFailure::Link(LinkError::Timeout) => {
            Observed::Timeout { after: deadline }
        }
        other => Observed::Broken {
            detail: other.to_string(),
        },
    }
}

/// What a raw answer says the wallet did, with the report of a decrypted DeviceResponse.
pub(crate) fn answer_observed(
    answer: &Answer,
    report: Option<&ResponseReport>,
    deadline: Duration,
) -> Observed {
    match answer {
        Answer::Data { .. } => match report {
            Some(r) if discloses(r) => Observed::Accepted,
            Some(r) => Observed::Rejected {
                reason: Some(format!(
                    "DeviceResponse status {} with no document",
                    r.status.map_or("?".into(), |v| v.to_string())
                )),
            },
            None => Observed::Broken {
                detail: "the response is not a DeviceResponse".into(),
            },
        },
        Answer::Status(s) => Observed::Rejected {
            reason: Some(format!("SessionData status {s}")),
        },
        Answer::Link(LinkError::Closed) => Observed::Rejected {
            reason: Some("closed the link".into()),
        },
        Answer::Link(LinkError::Timeout) => Observed::Timeout { after: deadline },
        other => Observed::Broken {
            detail: other.describe(),
        },
    }
}

/// The checks of a valid answer: it verifies, status 0, every asked docType in `held` came
/// back with every asked element, and nothing else did.
pub(crate) fn check_answer(
    out: &FlowOutcome,
    asked: &[(String, Vec<RequestedElement>)],
    held: &[&str],
) -> Option<String> {
    let Some(r) = &out.mdoc else {
        return Some("no DeviceResponse".into());
    };
    if let Some(e) = r.all_errors().next() {
        return Some(format!(
            "the response does not verify against the suite's IACA: {e}"
        ));
    }
    if out.unrequested_elements > 0 {
        return Some(format!(
            "{} element(s) returned that the request did not ask for (clause 8.3.2.1.2.2: \
             only requested data elements)",
            out.unrequested_elements
        ));
    }
    if r.status != Some(0) {
        return Some("DeviceResponse status is not 0".into());
    }
    for (doc_type, els) in asked.iter().filter(|(d, _)| held.contains(&d.as_str())) {
        let Some(doc) = r.documents.iter().find(|d| d.doc_type == *doc_type) else {
            return Some(format!("no document of docType {doc_type}"));
        };
        for e in els {
            let back = doc
                .elements
                .iter()
                .any(|x| x.namespace == e.namespace && x.identifier == e.element && x.verified);
            if !back {
                return Some(format!(
                    "{doc_type}: element {}/{} not returned",
                    e.namespace, e.element
                ));
            }
        }
    }
    if out.failure.is_some() {
        return out.failure.as_ref().map(|f| format!("session: {f}"));
    }
    None
}
