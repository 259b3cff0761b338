//! The HTML report: one self-contained page (inline CSS, no scripts, every value escaped):
//! the totals, then per case what was sent, what was expected, what came back and the
//! failing check. Failed cases come first and are open.

use super::{escape_xml as esc, expected_text, observed_text};
use crate::case::{Grade, SuiteReport};
use std::fmt::Write;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
h1{font-size:1.4em}table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:left}\
details{border:1px solid #ccc;border-radius:4px;margin:.3em 0;padding:.3em .6em}\
details.fail{border-color:#c33;background:#fff5f5}details.pass{background:#f6fff6}\
summary{cursor:pointer}.g{font-weight:bold;display:inline-block;width:3.5em}\
.fail .g{color:#c33}.pass .g{color:#282}pre{white-space:pre-wrap;word-break:break-all;\
background:#f4f4f4;padding:.4em;max-height:20em;overflow:auto}code{font-size:.95em}";

/// The HTML page of `report`.
pub fn render(report: &SuiteReport) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&format!("Kakunin conformance: {} suite", report.suite))
    );
    let _ = write!(
        h,
        "<h1>{}</h1>\n<table><tr><th>target</th><td><code>{}</code></td></tr><tr><th>cases</th><td>{}</td></tr><tr><th>passed</th><td>{}</td></tr><tr><th>failed</th><td>{}</td></tr><tr><th>every required case passed</th><td>{}</td></tr><tr><th>wall time</th><td>{:.1} s</td></tr></table>\n",
        esc(&format!("Kakunin conformance: {} suite", report.suite)),
        esc(&report.target),
        report.cases.len(),
        report.passed(),
        report.failed(),
        if report.all_required_passed() { "yes" } else { "no" },
        report.elapsed.as_secs_f64()
    );
    let mut ordered: Vec<_> = report.cases.iter().collect();
    ordered.sort_by_key(|c| c.grade == Grade::Pass);
    for c in ordered {
        let pass = c.grade == Grade::Pass;
        let _ = writeln!(
            h,
            "<details class=\"{}\"{}><summary><span class=\"g\">{}</span> <code>{}</code> — {}</summary>",
            if pass { "pass" } else { "fail" },
            if pass { "" } else { " open" },
            if pass { "PASS" } else { "FAIL" },
            esc(&c.id),
            esc(&c.description)
        );
        let _ = writeln!(
            h,
            "<table><tr><th>expected</th><td>{}</td></tr><tr><th>came back</th><td>{}</td></tr>{}<tr><th>required</th><td>{}</td></tr><tr><th>time</th><td>{} ms</td></tr></table>",
            esc(&expected_text(&c.expected)),
            esc(&observed_text(&c.observed)),
            match &c.failing_check {
                Some(f) => format!("<tr><th>failing check</th><td>{}</td></tr>", esc(f)),
                None => String::new(),
            },
            if c.required { "yes" } else { "no" },
            c.elapsed.as_millis()
        );
        let _ = writeln!(
            h,
            "<p>sent</p><pre>{}</pre><p>received</p><pre>{}</pre></details>",
            esc(&c.sent),
            esc(&c.received)
        );
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaped_and_self_contained() {
        let h = super::render(&super::super::tests::sample());
        assert!(!h.contains("<script>"));
        assert!(h.contains("&lt;script&gt;"));
        assert!(!h.contains("src="));
        assert_eq!(h.matches("<details").count(), 3);
        // Failures first.
        let first_fail = h.find("FAIL").unwrap();
        let first_pass = h.find("PASS").unwrap();
        assert!(first_fail < first_pass);
    }
}
