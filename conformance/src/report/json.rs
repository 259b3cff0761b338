//! The JSON report: the whole run, one object per case (machine-readable; the field names are
//! those of [`crate::CaseResult`]).

use super::{expected_text, observed_text};
use crate::case::{Expected, Grade, Observed, SuiteReport};
use serde_json::{json, Value};

fn observed(o: &Observed) -> Value {
    match o {
        Observed::Accepted => json!({"outcome": "accepted"}),
        Observed::Rejected { reason } => json!({"outcome": "rejected", "reason": reason}),
        Observed::Timeout { after } => json!({"outcome": "timeout", "after_ms": after.as_millis()}),
        Observed::Broken { detail } => json!({"outcome": "broken", "detail": detail}),
    }
}

fn expected(e: &Expected) -> Value {
    match e {
        Expected::Accept => json!({"outcome": "accept"}),
        Expected::Reject { reason } => json!({"outcome": "reject", "reason": reason}),
    }
}

/// The JSON text of `report`.
pub fn render(report: &SuiteReport) -> String {
    let cases: Vec<Value> = report
        .cases
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "group": c.group,
                "description": c.description,
                "required": c.required,
                "expected": expected(&c.expected),
                "expected_text": expected_text(&c.expected),
                "observed": observed(&c.observed),
                "observed_text": observed_text(&c.observed),
                "grade": if c.grade == Grade::Pass { "pass" } else { "fail" },
                "failing_check": c.failing_check,
                "sent": c.sent,
                "received": c.received,
                "elapsed_ms": c.elapsed.as_millis(),
            })
        })
        .collect();
    let v = json!({
        "suite": report.suite,
        "target": report.target,
        "total": report.cases.len(),
        "passed": report.passed(),
        "failed": report.failed(),
        "all_required_passed": report.all_required_passed(),
        "elapsed_ms": report.elapsed.as_millis(),
        "cases": cases,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_back() {
        let v: serde_json::Value =
            serde_json::from_str(&super::render(&super::super::tests::sample())).unwrap();
        assert_eq!(v["total"], 3);
        assert_eq!(v["passed"], 1);
        assert_eq!(v["all_required_passed"], false);
        assert_eq!(v["cases"][1]["grade"], "fail");
        assert_eq!(v["cases"][2]["observed"]["outcome"], "timeout");
    }
}
