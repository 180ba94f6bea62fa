//! OMEGA orchestrator: answers Titan calls for a task type with the strategy
//! configured for it, enforces per-tenant budgets, and serves Titans and
//! teams as A2A 1.0 agents.
//!
//! Strategies ([`TaskStrategy`]): the single best Titan; an ordered fallback
//! chain; a fan-out to several Titans combined by majority or
//! confidence-weighted vote (for classification); cheapest-first with
//! escalation while the answer's confidence is low. Every answered call is
//! recorded in the [`UsageLedger`]; a tenant whose token or cost budget is
//! used up is refused with `BUDGET_EXHAUSTED` naming the budget, and when
//! every Titan fails the error is `UPSTREAM_FAILED` naming each cause.
//!
//! The triage team asks the federation, which asks the orchestrator:
//! [`Orchestrator::classify`] returns a label, a confidence and who decided.
//!
//! [`a2a`] serves any [`a2a::A2aAgent`] (an orchestrator-backed Titan with
//! [`a2a::TitanAgent`], or a team) over the A2A 1.0 JSON-RPC binding.

pub mod a2a;
pub mod budget;
pub mod config;
mod orchestrator;
mod strategy;
pub mod vote;

pub use budget::{
    Clock, ManualClock, SystemClock, UsageLedger, UsageRecord, UsageSink, UsageTotals,
};
pub use config::{
    Budget, BudgetsConfig, ClassificationConfig, ConfigError, OrchestratorConfig, TaskStrategy,
    Vote,
};
pub use orchestrator::{Attempt, Classification, Orchestrated, Orchestrator};
