//! The suite's report: one entry per check, rendered as text and JUnit XML.

use crate::requirements;

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The requirement holds.
    Pass,
    /// The requirement is violated.
    Fail,
    /// The requirement does not apply to this target (yet).
    NotApplicable,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::NotApplicable => "N/A ",
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone)]
pub struct Check {
    /// The requirement id it verifies.
    pub requirement: &'static str,
    /// What was checked, in a few words.
    pub name: String,
    /// The outcome.
    pub status: Status,
    /// Why it passed, failed or does not apply.
    pub detail: String,
    /// What was sent (may be empty).
    pub sent: String,
    /// What came back (may be empty).
    pub received: String,
}

impl Check {
    /// A check with no exchange attached.
    pub fn new(
        requirement: &'static str,
        name: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            requirement,
            name: name.into(),
            status,
            detail: detail.into(),
            sent: String::new(),
            received: String::new(),
        }
    }

    /// Attaches an exchange.
    pub fn with_exchange(mut self, ex: &crate::probe::Exchange) -> Self {
        self.sent = ex.sent.clone();
        self.received = ex.received.clone();
        self
    }
}

/// Everything one run found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The URL that was checked.
    pub target: String,
    /// The profile (`server` or `agent`).
    pub profile: String,
    /// Every check, in run order.
    pub checks: Vec<Check>,
}

fn indent(text: &str) -> String {
    crate::probe::abridge(text, 1500)
        .lines()
        .map(|l| format!("        {l}\n"))
        .collect()
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Report {
    /// Checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }

    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// Whether a check citing `requirement` failed.
    pub fn failed(&self, requirement: &str) -> bool {
        self.failures().any(|c| c.requirement == requirement)
    }

    /// The readable report.
    pub fn render(&self) -> String {
        let count = |s: Status| self.checks.iter().filter(|c| c.status == s).count();
        let mut out = format!(
            "OMEGA conformance report for {} (profile: {})\n\n",
            self.target, self.profile
        );
        for c in &self.checks {
            out.push_str(&format!(
                "{} {:<7} {}\n",
                c.status.label(),
                c.requirement,
                c.name
            ));
            out.push_str(&format!("        {}\n", c.detail));
            if c.status == Status::Fail {
                out.push_str(&format!(
                    "        requirement: {}\n",
                    requirements::get(c.requirement).text
                ));
                if !c.sent.is_empty() {
                    out.push_str("      sent:\n");
                    out.push_str(&indent(&c.sent));
                }
                if !c.received.is_empty() {
                    out.push_str("      received:\n");
                    out.push_str(&indent(&c.received));
                }
            }
        }
        out.push_str(&format!(
            "\n{} passed, {} failed, {} not applicable\n",
            count(Status::Pass),
            count(Status::Fail),
            count(Status::NotApplicable)
        ));
        out
    }

    /// JUnit XML: one test case per check, named by requirement id.
    pub fn junit(&self) -> String {
        let fails = self.failures().count();
        let skipped = self
            .checks
            .iter()
            .filter(|c| c.status == Status::NotApplicable)
            .count();
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"omega-conformance {}\" tests=\"{}\" failures=\"{fails}\" skipped=\"{skipped}\">\n",
            xml(&self.target),
            self.checks.len()
        );
        for c in &self.checks {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}: {}\">\n",
                c.requirement,
                c.requirement,
                xml(&c.name)
            ));
            match c.status {
                Status::Pass => {}
                Status::NotApplicable => {
                    out.push_str(&format!(
                        "      <skipped message=\"{}\"/>\n",
                        xml(&c.detail)
                    ));
                }
                Status::Fail => {
                    out.push_str(&format!(
                        "      <failure message=\"{}\">{}\n\nsent:\n{}\n\nreceived:\n{}</failure>\n",
                        xml(&c.detail),
                        xml(requirements::get(c.requirement).text),
                        xml(&c.sent),
                        xml(&c.received)
                    ));
                }
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_escapes_and_counts() {
        let report = Report {
            target: "http://x/mcp".into(),
            profile: "server".into(),
            checks: vec![
                Check::new(
                    "MCP-05",
                    "unknown tool",
                    Status::Fail,
                    "got <-32601> & \"more\"",
                ),
                Check::new("FED-07", "mTLS", Status::NotApplicable, "not yet"),
                Check::new("MCP-03", "schemas", Status::Pass, "ok"),
            ],
        };
        let xml = report.junit();
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" skipped=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains("got &lt;-32601&gt; &amp; &quot;more&quot;"),
            "{xml}"
        );
        assert!(!report.passed());
        assert!(report.failed("MCP-05"));
        let text = report.render();
        assert!(text.contains("FAIL MCP-05"), "{text}");
        assert!(
            text.contains("1 passed, 1 failed, 1 not applicable"),
            "{text}"
        );
    }
}
