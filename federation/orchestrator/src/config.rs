//! Orchestrator configuration: one strategy per task type, Titan cost
//! estimates for cheapest-first ordering, per-tenant budgets and the
//! classification prompt's label set.
//!
//! The types and their checks live in `omega-config` (`[orchestrator]` of
//! `omega.toml`, see `omega_config::orchestrator`) and are re-exported here,
//! so `OmegaConfig.orchestrator` is the configuration
//! [`crate::Orchestrator::from_titans`] takes.

pub use omega_config::orchestrator::{
    Budget, BudgetsConfig, ClassificationConfig, ConfigError, DEFAULT_TIMEOUT, OrchestratorConfig,
    TaskStrategy, Vote,
};
