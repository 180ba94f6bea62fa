//! Federation configuration: where the registries are, how the gateway
//! refreshes, and the resilience settings.
//!
//! The types live in `omega-config` and are re-exported here: the
//! `[federation]` section of `omega.toml` is
//! [`omega_config::federation::FederationSettings`], and the runtime
//! [`FederationConfig`] adds the registries' MCP endpoints
//! (`config.federation.to_runtime()`, or [`FederationConfig::from_settings`]
//! with the URLs from `[peers]`).

pub use omega_config::federation::{FederationConfig, FederationSettings};
