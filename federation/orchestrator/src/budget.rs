//! Per-tenant budgets and the usage ledger.
//!
//! Every Titan call that answers is recorded with its tokens and cost. A
//! tenant's budget (tokens and/or dollars per fixed window) is checked
//! before each call: once the window's usage reaches a limit, further calls
//! are refused with [`ErrorCode::BUDGET_EXHAUSTED`] naming the budget. A call
//! in flight when the limit is crossed is not cut off, so a window can
//! overshoot by at most the calls running at that moment.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use omega_protocol::{ErrorCode, OmegaError, TenantId, Usage};
use serde::Serialize;
use serde_json::json;

use crate::config::{Budget, BudgetsConfig};

/// A source of the current time (a virtual one in tests).
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// One recorded Titan call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageRecord {
    /// When the answer arrived.
    pub at: DateTime<Utc>,
    /// Tenant billed.
    pub tenant: TenantId,
    /// Task type of the orchestrated call.
    pub task_type: String,
    /// Titan that answered.
    pub titan: String,
    /// Model that answered.
    pub model: String,
    /// Tokens and cost.
    pub usage: Usage,
}

/// Usage totals of one tenant in the current window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotals {
    /// Input plus output tokens.
    pub tokens: u64,
    /// US dollars.
    pub cost_usd: f64,
    /// Number of recorded calls.
    pub calls: u64,
}

/// A callback told about every recorded call (metrics, persistence).
pub type UsageSink = Arc<dyn Fn(&UsageRecord) + Send + Sync>;

#[derive(Default)]
struct TenantState {
    /// Window index the totals belong to (0 for a budget that never resets).
    window: i64,
    totals: UsageTotals,
}

/// The usage ledger: per-tenant totals for budget checks and the most
/// recent records.
pub struct UsageLedger {
    budgets: BudgetsConfig,
    clock: Arc<dyn Clock>,
    state: Mutex<LedgerState>,
    sinks: Vec<UsageSink>,
    keep: usize,
}

#[derive(Default)]
struct LedgerState {
    tenants: BTreeMap<TenantId, TenantState>,
    recent: VecDeque<UsageRecord>,
}

impl std::fmt::Debug for UsageLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageLedger")
            .field("budgets", &self.budgets)
            .finish_non_exhaustive()
    }
}

/// How many records the ledger keeps in memory.
pub const DEFAULT_KEEP: usize = 10_000;

impl UsageLedger {
    /// A ledger enforcing `budgets`, reading time from `clock`.
    pub fn new(budgets: BudgetsConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            budgets,
            clock,
            state: Mutex::new(LedgerState::default()),
            sinks: Vec::new(),
            keep: DEFAULT_KEEP,
        }
    }

    /// Adds a callback told about every recorded call.
    pub fn add_sink(&mut self, sink: UsageSink) {
        self.sinks.push(sink);
    }

    /// The budget that applies to `tenant`, if any.
    pub fn budget(&self, tenant: &TenantId) -> Option<Budget> {
        self.budgets
            .tenants
            .get(tenant.as_str())
            .copied()
            .or(self.budgets.default)
    }

    fn window(budget: Option<Budget>, now: DateTime<Utc>) -> i64 {
        match budget.and_then(|b| b.window_secs) {
            Some(secs) => now.timestamp().div_euclid(secs as i64),
            None => 0,
        }
    }

    /// The tenant's totals in its current budget window.
    pub fn totals(&self, tenant: &TenantId) -> UsageTotals {
        let window = Self::window(self.budget(tenant), self.clock.now());
        let state = self.state.lock().expect("ledger lock");
        match state.tenants.get(tenant) {
            Some(s) if s.window == window => s.totals,
            _ => UsageTotals::default(),
        }
    }

    /// Refuses with `BUDGET_EXHAUSTED` when the tenant's window has used up
    /// its tokens or dollars.
    pub fn check(&self, tenant: &TenantId) -> Result<(), OmegaError> {
        let Some(budget) = self.budget(tenant) else {
            return Ok(());
        };
        let used = self.totals(tenant);
        let scope = if self.budgets.tenants.contains_key(tenant.as_str()) {
            format!("tenant {tenant}")
        } else {
            format!("default budget for tenant {tenant}")
        };
        let window = match budget.window_secs {
            Some(s) => format!("per {s}s window"),
            None => "lifetime".to_owned(),
        };
        if let Some(max) = budget.max_tokens
            && used.tokens >= max
        {
            let name = format!("{tenant}/tokens");
            return Err(exhausted(
                &name,
                &scope,
                &window,
                json!(max),
                json!(used.tokens),
                "tokens",
            ));
        }
        if let Some(max) = budget.max_cost_usd
            && used.cost_usd >= max
        {
            let name = format!("{tenant}/costUsd");
            return Err(exhausted(
                &name,
                &scope,
                &window,
                json!(max),
                json!(used.cost_usd),
                "US dollars",
            ));
        }
        Ok(())
    }

    /// Records one answered call.
    pub fn record(&self, record: UsageRecord) {
        let window = Self::window(self.budget(&record.tenant), record.at);
        {
            let mut state = self.state.lock().expect("ledger lock");
            let entry = state.tenants.entry(record.tenant.clone()).or_default();
            if entry.window != window {
                *entry = TenantState {
                    window,
                    totals: UsageTotals::default(),
                };
            }
            entry.totals.tokens += record.usage.input_tokens + record.usage.output_tokens;
            entry.totals.cost_usd += record.usage.cost_usd;
            entry.totals.calls += 1;
            state.recent.push_back(record.clone());
            while state.recent.len() > self.keep {
                state.recent.pop_front();
            }
        }
        for sink in &self.sinks {
            sink(&record);
        }
    }

    /// The most recent records of `tenant`, oldest first.
    pub fn records(&self, tenant: &TenantId) -> Vec<UsageRecord> {
        let state = self.state.lock().expect("ledger lock");
        state
            .recent
            .iter()
            .filter(|r| &r.tenant == tenant)
            .cloned()
            .collect()
    }

    /// The current time on the ledger's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

fn exhausted(
    name: &str,
    scope: &str,
    window: &str,
    limit: serde_json::Value,
    used: serde_json::Value,
    unit: &str,
) -> OmegaError {
    OmegaError::new(
        ErrorCode::BUDGET_EXHAUSTED,
        format!("budget {name} is exhausted ({scope}, {window}): used {used} of {limit} {unit}"),
    )
    .with_hint("wait for the budget window to reset or raise the tenant's budget in the orchestrator configuration")
    .with_extra(json!({"budget": name, "limit": limit, "used": used}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn acme() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    fn rec(at: DateTime<Utc>, tokens: u64, cost: f64) -> UsageRecord {
        UsageRecord {
            at,
            tenant: acme(),
            task_type: "t".into(),
            titan: "gpt".into(),
            model: "m".into(),
            usage: Usage {
                input_tokens: tokens,
                output_tokens: 0,
                cost_usd: cost,
            },
        }
    }

    #[test]
    fn token_budget_resets_with_the_window() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let budgets: BudgetsConfig = serde_json::from_str(
            r#"{"tenants": {"acme": {"maxTokens": 100, "windowSecs": 3600}}}"#,
        )
        .unwrap();
        let ledger = UsageLedger::new(budgets, clock.clone());
        ledger.check(&acme()).unwrap();
        ledger.record(rec(clock.now(), 60, 0.0));
        ledger.check(&acme()).unwrap();
        ledger.record(rec(clock.now(), 40, 0.0));
        let err = ledger.check(&acme()).unwrap_err();
        assert_eq!(err.code, ErrorCode::BUDGET_EXHAUSTED);
        assert_eq!(err.data.extra.as_ref().unwrap()["budget"], "acme/tokens");
        assert!(err.message.contains("acme/tokens"), "{}", err.message);
        clock.advance(chrono::Duration::seconds(3600));
        ledger.check(&acme()).unwrap();
        assert_eq!(ledger.totals(&acme()), UsageTotals::default());
        assert_eq!(ledger.records(&acme()).len(), 2);
    }

    #[test]
    fn default_cost_budget_applies_to_unlisted_tenants() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let budgets: BudgetsConfig =
            serde_json::from_str(r#"{"default": {"maxCostUsd": 0.5}}"#).unwrap();
        let ledger = UsageLedger::new(budgets, clock.clone());
        ledger.record(rec(clock.now(), 1, 0.3));
        ledger.check(&acme()).unwrap();
        ledger.record(rec(clock.now(), 1, 0.3));
        let err = ledger.check(&acme()).unwrap_err();
        assert_eq!(err.data.extra.as_ref().unwrap()["budget"], "acme/costUsd");
        assert!(err.message.contains("default budget"));
        let other = TenantId::parse("globex").unwrap();
        ledger.check(&other).unwrap();
    }
}
