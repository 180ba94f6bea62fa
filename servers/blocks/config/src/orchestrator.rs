//! `[orchestrator]`: one strategy per task type, Titan cost estimates for
//! cheapest-first ordering, per-tenant budgets and the classification
//! prompt's label set.
//!
//! These are the plain data types and their checks; `omega-orchestrator`
//! re-exports them and builds the runtime object with
//! `Orchestrator::from_titans(config.orchestrator.clone(), &titans)`.
//! In `omega.toml`:
//!
//! ```toml
//! [orchestrator.tasks.classify]
//! strategy = "fallback"
//! titans = ["gpt", "local"]
//! timeoutMs = 20000
//!
//! [orchestrator.titanCosts]
//! gpt = 0.0006
//!
//! [orchestrator.budgets.tenants.acme]
//! maxCostUsd = 25.0
//! windowSecs = 2592000
//! ```
//!
//! The same as JSON:
//!
//! ```json
//! {
//!   "tasks": {
//!     "classify": {"strategy": "fanOut", "titans": ["local", "gpt", "claude"],
//!                  "vote": "confidenceWeighted", "minResponses": 2},
//!     "summarize": {"strategy": "fallback", "titans": ["claude", "gpt"]},
//!     "triage": {"strategy": "cheapestFirst", "titans": ["local", "gpt"], "minConfidence": 0.8}
//!   },
//!   "defaultStrategy": {"strategy": "single", "titan": "local"},
//!   "titanCosts": {"gpt": 0.0006, "claude": 0.003},
//!   "budgets": {"default": {"maxTokens": 1000000, "windowSecs": 86400},
//!               "tenants": {"acme": {"maxCostUsd": 25.0, "windowSecs": 2592000}}}
//! }
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The whole orchestrator configuration (`[orchestrator]`). `{}` is valid:
/// every task type goes to the local Titan and there are no budgets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct OrchestratorConfig {
    /// Strategy per task type (`classify`, `summarize`, ...).
    #[serde(default)]
    pub tasks: BTreeMap<String, TaskStrategy>,
    /// Strategy for a task type not listed in `tasks`.
    #[serde(default = "default_strategy")]
    pub default_strategy: TaskStrategy,
    /// Estimated cost in US dollars per 1 000 tokens, by Titan name; orders
    /// `cheapestFirst`. A local Titan costs 0; an unlisted hosted Titan
    /// sorts after every listed one, in configured order.
    #[serde(default)]
    pub titan_costs: BTreeMap<String, f64>,
    /// Per-tenant token and cost budgets.
    #[serde(default)]
    pub budgets: BudgetsConfig,
    /// How the orchestrator's `classify` asks Titans.
    #[serde(default)]
    pub classification: ClassificationConfig,
}

fn default_strategy() -> TaskStrategy {
    TaskStrategy::Single {
        titan: "local".into(),
        timeout_ms: None,
    }
}

impl Default for OrchestratorConfig {
    fn default() -> Self {
        Self {
            tasks: BTreeMap::new(),
            default_strategy: default_strategy(),
            titan_costs: BTreeMap::new(),
            budgets: BudgetsConfig::default(),
            classification: ClassificationConfig::default(),
        }
    }
}

/// How one task type is answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(
    tag = "strategy",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum TaskStrategy {
    /// Always the one best Titan.
    Single {
        /// Titan name.
        titan: String,
        /// Deadline of the call in milliseconds (default 60 000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// Titans tried in order until one answers.
    Fallback {
        /// Titan names, first choice first.
        titans: Vec<String>,
        /// Deadline of each attempt in milliseconds (default 60 000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// All Titans at once; their classification answers are combined by a vote.
    FanOut {
        /// Titan names.
        titans: Vec<String>,
        /// How answers are combined.
        #[serde(default)]
        vote: Vote,
        /// Answers needed for a decision (default 1).
        #[serde(default = "one")]
        min_responses: usize,
        /// Deadline of the whole fan-out in milliseconds (default 60 000);
        /// Titans that have not answered by then count as failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// Cheapest Titan first; escalate to the next dearer one while the
    /// answer's confidence is below `minConfidence` (or the call fails).
    CheapestFirst {
        /// Titan names (ordered by `titanCosts`, not by this list).
        titans: Vec<String>,
        /// Confidence at which an answer is accepted, in `[0, 1]`.
        min_confidence: f64,
        /// Deadline of each attempt in milliseconds (default 60 000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
}

fn one() -> usize {
    1
}

/// How fan-out answers are combined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Vote {
    /// The label most Titans chose (ties: higher summed confidence).
    #[default]
    Majority,
    /// The label with the highest summed confidence.
    ConfidenceWeighted,
}

/// Default deadline of one Titan call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

impl TaskStrategy {
    /// Stable name of the strategy (`single`, `fallback`, `fanOut`, `cheapestFirst`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Single { .. } => "single",
            Self::Fallback { .. } => "fallback",
            Self::FanOut { .. } => "fanOut",
            Self::CheapestFirst { .. } => "cheapestFirst",
        }
    }

    /// Titan names the strategy uses.
    pub fn titans(&self) -> Vec<&str> {
        match self {
            Self::Single { titan, .. } => vec![titan.as_str()],
            Self::Fallback { titans, .. }
            | Self::FanOut { titans, .. }
            | Self::CheapestFirst { titans, .. } => titans.iter().map(String::as_str).collect(),
        }
    }

    /// The configured deadline.
    pub fn timeout(&self) -> Duration {
        let ms = match self {
            Self::Single { timeout_ms, .. }
            | Self::Fallback { timeout_ms, .. }
            | Self::FanOut { timeout_ms, .. }
            | Self::CheapestFirst { timeout_ms, .. } => *timeout_ms,
        };
        ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis)
    }
}

/// Budgets: a default applied to every tenant without its own, and
/// per-tenant overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct BudgetsConfig {
    /// Budget of a tenant not listed in `tenants` (none: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Budget>,
    /// Budgets by tenant id.
    #[serde(default)]
    pub tenants: BTreeMap<String, Budget>,
}

/// One tenant's limits over a fixed window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Budget {
    /// Input plus output tokens allowed per window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// US dollars allowed per window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cost_usd: Option<f64>,
    /// Window length in seconds, aligned to the Unix epoch (86 400: per UTC
    /// day). Absent: the budget never resets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_secs: Option<u64>,
}

/// How classification requests are phrased.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ClassificationConfig {
    /// Task type whose strategy `classify` uses (default `classify`).
    #[serde(default = "classify_task")]
    pub task_type: String,
    /// Allowed labels, listed in the prompt to hosted Titans (empty: any).
    #[serde(default)]
    pub labels: Vec<String>,
}

fn classify_task() -> String {
    "classify".into()
}

impl Default for ClassificationConfig {
    fn default() -> Self {
        Self {
            task_type: classify_task(),
            labels: Vec::new(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A field has a bad value.
    #[error("orchestrator.{field}: {message}")]
    Invalid {
        /// Dotted path of the field.
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

impl OrchestratorConfig {
    /// Checks every strategy (and `titanCosts`) against the Titans that
    /// exist, and every limit. Paths are relative to `[orchestrator]`
    /// (`tasks.classify.titans[1]`).
    pub fn validate(&self, known_titans: &[&str]) -> Result<(), ConfigError> {
        let strategies = self
            .tasks
            .iter()
            .map(|(k, s)| (format!("tasks.{k}"), s))
            .chain(std::iter::once((
                "defaultStrategy".to_owned(),
                &self.default_strategy,
            )));
        for (field, s) in strategies {
            validate_strategy(&field, s, known_titans)?;
        }
        for (name, cost) in &self.titan_costs {
            if !known_titans.contains(&name.as_str()) {
                return Err(invalid(
                    format!("titanCosts.{name}"),
                    format!(
                        "titan `{name}` is not configured; configured titans: {}",
                        known_titans.join(", ")
                    ),
                ));
            }
            if !(cost.is_finite() && *cost >= 0.0) {
                return Err(invalid(
                    format!("titanCosts.{name}"),
                    "costs must be finite and non-negative",
                ));
            }
        }
        let budgets = self
            .budgets
            .tenants
            .iter()
            .map(|(t, b)| (format!("budgets.tenants.{t}"), b))
            .chain(
                self.budgets
                    .default
                    .iter()
                    .map(|b| ("budgets.default".into(), b)),
            );
        for (field, b) in budgets {
            if let Some(c) = b.max_cost_usd
                && !(c.is_finite() && c >= 0.0)
            {
                return Err(invalid(
                    format!("{field}.maxCostUsd"),
                    "must be finite and non-negative",
                ));
            }
            if b.window_secs == Some(0) {
                return Err(invalid(
                    format!("{field}.windowSecs"),
                    "must be positive; omit it for a budget that never resets",
                ));
            }
        }
        for t in self.budgets.tenants.keys() {
            omega_protocol::TenantId::parse(t)
                .map_err(|e| invalid(format!("budgets.tenants.{t}"), e.message))?;
        }
        Ok(())
    }
}

fn validate_strategy(field: &str, s: &TaskStrategy, known: &[&str]) -> Result<(), ConfigError> {
    let titans = s.titans();
    // `single` names one Titan in `titan`; the others list them in `titans`.
    let at = |i: usize| match s {
        TaskStrategy::Single { .. } => format!("{field}.titan"),
        _ => format!("{field}.titans[{i}]"),
    };
    if titans.is_empty() {
        return Err(invalid(
            format!("{field}.titans"),
            "list at least one Titan",
        ));
    }
    for (i, t) in titans.iter().enumerate() {
        if !known.contains(t) {
            return Err(invalid(
                at(i),
                format!(
                    "titan `{t}` is not configured; configured titans: {}",
                    known.join(", ")
                ),
            ));
        }
        if titans[..i].contains(t) {
            return Err(invalid(at(i), format!("titan `{t}` is listed twice")));
        }
    }
    match s {
        TaskStrategy::FanOut { min_responses, .. }
            if *min_responses == 0 || *min_responses > titans.len() =>
        {
            return Err(invalid(
                format!("{field}.minResponses"),
                format!(
                    "must be between 1 and the number of Titans ({})",
                    titans.len()
                ),
            ));
        }
        TaskStrategy::CheapestFirst { min_confidence, .. }
            if !(min_confidence.is_finite() && (0.0..=1.0).contains(min_confidence)) =>
        {
            return Err(invalid(
                format!("{field}.minConfidence"),
                "must be between 0 and 1",
            ));
        }
        _ => {}
    }
    if s.timeout().is_zero() {
        return Err(invalid(format!("{field}.timeoutMs"), "must be positive"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_routes_everything_to_local() {
        let c: OrchestratorConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, OrchestratorConfig::default());
        c.validate(&["local"]).unwrap();
        assert_eq!(c.default_strategy.titans(), ["local"]);
    }

    #[test]
    fn doc_example_parses() {
        let text = include_str!("orchestrator.rs")
            .split("```json")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap()
            .lines()
            .map(|l| l.trim_start().trim_start_matches("//!"))
            .collect::<String>();
        let c: OrchestratorConfig = serde_json::from_str(&text).unwrap();
        c.validate(&["local", "gpt", "claude"]).unwrap();
        assert_eq!(c.tasks["classify"].name(), "fanOut");
        assert!(matches!(
            c.tasks["classify"],
            TaskStrategy::FanOut {
                vote: Vote::ConfidenceWeighted,
                min_responses: 2,
                ..
            }
        ));
    }

    #[test]
    fn unknown_fields_and_strategies_are_refused() {
        for bad in [
            r#"{"task": {}}"#,
            r#"{"tasks": {"x": {"strategy": "single", "titan": "local", "titans": []}}}"#,
            r#"{"tasks": {"x": {"strategy": "roundRobin", "titans": ["local"]}}}"#,
            r#"{"budgets": {"default": {"maxToken": 5}}}"#,
        ] {
            assert!(
                serde_json::from_str::<OrchestratorConfig>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn validation_names_the_field() {
        let field = |json: &str| {
            let c: OrchestratorConfig = serde_json::from_str(json).unwrap();
            match c.validate(&["local", "gpt"]).unwrap_err() {
                ConfigError::Invalid { field, .. } => field,
            }
        };
        assert_eq!(
            field(r#"{"tasks": {"a": {"strategy": "fallback", "titans": ["local", "nope"]}}}"#),
            "tasks.a.titans[1]"
        );
        assert_eq!(
            field(r#"{"tasks": {"a": {"strategy": "single", "titan": "nope"}}}"#),
            "tasks.a.titan"
        );
        assert_eq!(
            field(r#"{"tasks": {"a": {"strategy": "fanOut", "titans": []}}}"#),
            "tasks.a.titans"
        );
        assert_eq!(
            field(
                r#"{"tasks": {"a": {"strategy": "fanOut", "titans": ["local"], "minResponses": 2}}}"#
            ),
            "tasks.a.minResponses"
        );
        assert_eq!(
            field(
                r#"{"tasks": {"a": {"strategy": "cheapestFirst", "titans": ["local"], "minConfidence": 1.5}}}"#
            ),
            "tasks.a.minConfidence"
        );
        assert_eq!(
            field(r#"{"tasks": {"a": {"strategy": "fallback", "titans": ["gpt", "gpt"]}}}"#),
            "tasks.a.titans[1]"
        );
        assert_eq!(
            field(r#"{"budgets": {"tenants": {"acme": {"windowSecs": 0}}}}"#),
            "budgets.tenants.acme.windowSecs"
        );
        assert_eq!(
            field(r#"{"budgets": {"tenants": {"Bad Tenant": {}}}}"#),
            "budgets.tenants.Bad Tenant"
        );
    }
}
