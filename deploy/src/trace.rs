//! Queue-depth traces: CSV with a `t_secs,team,depth` header, one sample a line.

use std::collections::BTreeSet;
use std::path::Path;

use crate::DeployError;

/// One depth sample.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sample {
    t_secs: u64,
    team: String,
    depth: u64,
}

/// A recorded queue-depth trace. The depth of a team between samples is the
/// last sample at or before that time (0 before the first sample).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DepthTrace {
    samples: Vec<Sample>,
}

impl DepthTrace {
    /// Parses CSV text: header `t_secs,team,depth`, `#` comments and blank
    /// lines allowed, times non-decreasing.
    pub fn parse(text: &str) -> Result<Self, DeployError> {
        let mut samples = Vec::new();
        let mut header = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let err = |message: String| DeployError::Trace {
                line: i + 1,
                message,
            };
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if !header {
                if line.replace(' ', "") != "t_secs,team,depth" {
                    return Err(err(format!(
                        "expected the header `t_secs,team,depth`, found `{line}`"
                    )));
                }
                header = true;
                continue;
            }
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            let [t, team, depth] = cols[..] else {
                return Err(err(format!("expected 3 columns, found {}", cols.len())));
            };
            let t_secs = t
                .parse()
                .map_err(|_| err(format!("t_secs `{t}` is not a whole number of seconds")))?;
            let depth = depth
                .parse()
                .map_err(|_| err(format!("depth `{depth}` is not a whole number")))?;
            if team.is_empty() {
                return Err(err("team is empty".into()));
            }
            if samples.last().is_some_and(|s: &Sample| s.t_secs > t_secs) {
                return Err(err(format!("t_secs {t_secs} goes back in time")));
            }
            samples.push(Sample {
                t_secs,
                team: team.to_owned(),
                depth,
            });
        }
        if samples.is_empty() {
            return Err(DeployError::Trace {
                line: 0,
                message: "the trace has no samples".into(),
            });
        }
        Ok(Self { samples })
    }

    /// Reads and parses a CSV file.
    pub fn load(path: &Path) -> Result<Self, DeployError> {
        let text = std::fs::read_to_string(path).map_err(|source| DeployError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Team names in the trace.
    pub fn teams(&self) -> BTreeSet<&str> {
        self.samples.iter().map(|s| s.team.as_str()).collect()
    }

    /// Time of the last sample.
    pub fn end_secs(&self) -> u64 {
        self.samples.last().map_or(0, |s| s.t_secs)
    }

    /// The depth of `team` at `t_secs`.
    pub fn depth_at(&self, team: &str, t_secs: u64) -> u64 {
        let upto = self.samples.partition_point(|s| s.t_secs <= t_secs);
        self.samples[..upto]
            .iter()
            .rev()
            .find(|s| s.team == team)
            .map_or(0, |s| s.depth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_steps() {
        let t =
            DepthTrace::parse("# demo\nt_secs,team,depth\n0,triage,5\n30,triage,0\n30,shadow,2\n")
                .unwrap();
        assert_eq!(t.depth_at("triage", 29), 5);
        assert_eq!(t.depth_at("triage", 30), 0);
        assert_eq!(t.depth_at("shadow", 10), 0);
        assert_eq!(t.end_secs(), 30);
    }

    #[test]
    fn errors_name_the_line() {
        let e = DepthTrace::parse("t_secs,team,depth\n0,triage,x\n").unwrap_err();
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("depth `x`"),
            "{e}"
        );
        let e = DepthTrace::parse("time,team,depth\n").unwrap_err();
        assert!(e.to_string().contains("header"), "{e}");
        let e = DepthTrace::parse("t_secs,team,depth\n5,a,1\n4,a,1\n").unwrap_err();
        assert!(e.to_string().contains("back in time"), "{e}");
    }
}
