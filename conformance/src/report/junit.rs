//! JUnit XML (the de-facto schema CI systems read: `testsuites` > `testsuite` per group >
//! `testcase` per case, `<failure>` with the reason).

use super::{escape_xml, expected_text, observed_text};
use crate::case::{Grade, SuiteReport};
use std::fmt::Write;

/// The JUnit XML document of `report`.
pub fn render(report: &SuiteReport) -> String {
    let mut groups: Vec<&str> = Vec::new();
    for c in &report.cases {
        if !groups.contains(&c.group.as_str()) {
            groups.push(&c.group);
        }
    }
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{:.3}\">",
        escape_xml(&format!("kakunin conformance {}", report.suite)),
        report.cases.len(),
        report.failed(),
        report.elapsed.as_secs_f64()
    );
    for g in groups {
        let cases: Vec<_> = report.cases.iter().filter(|c| c.group == g).collect();
        let failures = cases.iter().filter(|c| c.grade == Grade::Fail).count();
        let time: f64 = cases.iter().map(|c| c.elapsed.as_secs_f64()).sum();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">",
            escape_xml(g),
            cases.len()
        );
        let _ = writeln!(
            x,
            "    <properties><property name=\"target\" value=\"{}\"/></properties>",
            escape_xml(&report.target)
        );
        for c in cases {
            let _ = write!(
                x,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
                escape_xml(&format!("{}.{}", report.suite, c.group)),
                escape_xml(&c.id),
                c.elapsed.as_secs_f64()
            );
            if c.grade == Grade::Fail {
                let message = c
                    .failing_check
                    .clone()
                    .unwrap_or_else(|| observed_text(&c.observed));
                let _ = write!(
                    x,
                    "\n      <failure message=\"{}\" type=\"{}\">{}\nexpected: {}\nobserved: {}\n\n{}</failure>\n    ",
                    escape_xml(&message),
                    if c.required { "required" } else { "optional" },
                    escape_xml(&c.description),
                    escape_xml(&expected_text(&c.expected)),
                    escape_xml(&observed_text(&c.observed)),
                    escape_xml(&c.received)
                );
            }
            x.push_str("</testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_testsuite_per_group_and_escaped_failures() {
        let x = super::render(&super::super::tests::sample());
        assert_eq!(x.matches("<testsuite ").count(), 2);
        assert_eq!(x.matches("<testcase ").count(), 3);
        assert_eq!(x.matches("<failure ").count(), 2);
        assert!(x.contains("false accept &lt;x&gt;"));
        assert!(!x.contains("<x>"));
        assert!(!x.contains('\u{1}'));
    }
}
