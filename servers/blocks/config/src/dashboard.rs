//! `[dashboard]`: what a user sets for the employee dashboard and its
//! shadow and analytics teams.
//!
//! The tenants are not repeated here: the dashboard serves the top-level
//! `tenants`. The runtime [`DashboardConfig`] (re-exported as
//! `omega_dashboard::DashboardConfig`) is [`DashboardConfig::from_omega`],
//! or [`DashboardSettings::to_runtime`] with `tenants` set.
//!
//! ```toml
//! [dashboard]
//! secureCookie = true
//! analyticsEveryMinutes = 30
//!
//! [dashboard.sla]
//! p1Minutes = 120
//! ```

use omega_protocol::{Priority, TenantId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{FieldError, OmegaConfig};

/// Dashboard settings (`[dashboard]`). Every field has a default that runs
/// on one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DashboardSettings {
    /// Queues shown in the operations view (default: every pipeline and
    /// dashboard queue).
    pub queues: Vec<String>,
    /// Categories offered when changing a ticket's category (seen ones are added).
    pub categories: Vec<String>,
    /// Estimated cost of one worker for one hour, in US dollars (default
    /// 0.096, an Azure D2s v5 hour).
    pub cost_per_worker_hour: f64,
    /// Events kept for stream catch-up (default 2048).
    pub replay_buffer: usize,
    /// Mark the session cookie `Secure` (set when served over TLS).
    pub secure_cookie: bool,
    /// Resolution targets for SLA risk.
    pub sla: SlaTargets,
    /// Minutes between analytics runs (default 15).
    pub analytics_every_minutes: u64,
}

impl Default for DashboardSettings {
    fn default() -> Self {
        Self {
            queues: omega_protocol::queues::ALL.map(str::to_owned).to_vec(),
            categories: [
                "Access",
                "Administrative rights",
                "HR Support",
                "Hardware",
                "Internal Project",
                "Miscellaneous",
                "Purchase",
                "Storage",
            ]
            .map(str::to_owned)
            .to_vec(),
            cost_per_worker_hour: 0.096,
            replay_buffer: 2048,
            secure_cookie: false,
            sla: SlaTargets::default(),
            analytics_every_minutes: 15,
        }
    }
}

/// The dashboard's settings at run time: [`DashboardSettings`] plus the
/// tenants served. `omega_dashboard` re-exports it and `Dashboard::new`
/// takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// Tenants served (the analytics team reports on each).
    pub tenants: Vec<TenantId>,
    /// Queues shown in the operations view.
    pub queues: Vec<String>,
    /// Categories offered when changing a ticket's category (seen ones are added).
    pub categories: Vec<String>,
    /// Estimated cost of one worker for one hour (default 0.096, an Azure D2s v5 hour in USD).
    pub cost_per_worker_hour: f64,
    /// Events kept for stream catch-up (default 2048).
    pub replay_buffer: usize,
    /// Mark the session cookie `Secure` (set when served over TLS).
    pub secure_cookie: bool,
    /// Resolution targets for SLA risk.
    pub sla: SlaTargets,
    /// Minutes between analytics runs (default 15).
    pub analytics_every_minutes: u64,
}

impl Default for DashboardConfig {
    /// The default settings and no tenants.
    fn default() -> Self {
        DashboardSettings::default().to_runtime()
    }
}

impl DashboardConfig {
    /// The runtime configuration serving `tenants` with `settings`.
    pub fn from_settings(tenants: Vec<TenantId>, settings: &DashboardSettings) -> Self {
        let DashboardSettings {
            queues,
            categories,
            cost_per_worker_hour,
            replay_buffer,
            secure_cookie,
            sla,
            analytics_every_minutes,
        } = settings.clone();
        Self {
            tenants,
            queues,
            categories,
            cost_per_worker_hour,
            replay_buffer,
            secure_cookie,
            sla,
            analytics_every_minutes,
        }
    }

    /// The runtime configuration of `config`: `[dashboard]` serving the
    /// top-level `tenants`.
    pub fn from_omega(config: &OmegaConfig) -> Self {
        Self::from_settings(
            config.tenants.iter().map(|t| t.id.clone()).collect(),
            &config.dashboard,
        )
    }
}

impl DashboardSettings {
    /// The runtime configuration with these settings and no tenants (set
    /// `tenants`, or use [`DashboardConfig::from_omega`]).
    pub fn to_runtime(&self) -> DashboardConfig {
        DashboardConfig::from_settings(Vec::new(), self)
    }
}

/// Resolution targets per priority, in minutes (defaults: P1 4 h, P2 8 h,
/// P3 24 h, P4 72 h).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SlaTargets {
    /// P1.
    pub p1_minutes: u64,
    /// P2.
    pub p2_minutes: u64,
    /// P3.
    pub p3_minutes: u64,
    /// P4.
    pub p4_minutes: u64,
    /// Share of the target after which an unresolved ticket is at risk (default 0.75).
    pub risk_fraction: f64,
}

impl Default for SlaTargets {
    fn default() -> Self {
        Self {
            p1_minutes: 240,
            p2_minutes: 480,
            p3_minutes: 1440,
            p4_minutes: 4320,
            risk_fraction: 0.75,
        }
    }
}

impl SlaTargets {
    /// The resolution target of priority `p`, in minutes.
    pub fn minutes_for(&self, p: Priority) -> u64 {
        match p {
            Priority::P1 => self.p1_minutes,
            Priority::P2 => self.p2_minutes,
            Priority::P3 => self.p3_minutes,
            Priority::P4 => self.p4_minutes,
        }
    }
}

impl DashboardSettings {
    /// Checks ranges. Paths are relative to `[dashboard]`.
    pub fn validate(&self) -> Result<(), FieldError> {
        if !(self.cost_per_worker_hour.is_finite() && self.cost_per_worker_hour >= 0.0) {
            return Err(FieldError::new(
                "costPerWorkerHour",
                "must be finite and non-negative",
            ));
        }
        if self.replay_buffer == 0 {
            return Err(FieldError::new("replayBuffer", "must be at least 1"));
        }
        if self.analytics_every_minutes == 0 {
            return Err(FieldError::new(
                "analyticsEveryMinutes",
                "must be at least 1",
            ));
        }
        if let Some(i) = self.queues.iter().position(|q| q.trim().is_empty()) {
            return Err(FieldError::new(format!("queues[{i}]"), "empty queue name"));
        }
        if let Some(i) = self.categories.iter().position(|c| c.trim().is_empty()) {
            return Err(FieldError::new(
                format!("categories[{i}]"),
                "empty category",
            ));
        }
        let sla = &self.sla;
        for (field, v) in [
            ("sla.p1Minutes", sla.p1_minutes),
            ("sla.p2Minutes", sla.p2_minutes),
            ("sla.p3Minutes", sla.p3_minutes),
            ("sla.p4Minutes", sla.p4_minutes),
        ] {
            if v == 0 {
                return Err(FieldError::new(field, "must be at least 1"));
            }
        }
        if !(sla.risk_fraction.is_finite() && sla.risk_fraction > 0.0 && sla.risk_fraction <= 1.0) {
            return Err(FieldError::new(
                "sla.riskFraction",
                "must be above 0 and at most 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_paths_are_named() {
        let d: DashboardSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(d, DashboardSettings::default());
        d.validate().unwrap();
        assert_eq!(d.sla.minutes_for(Priority::P2), 480);
        let path = |json: &str| {
            let c: DashboardSettings = serde_json::from_str(json).unwrap();
            c.validate().unwrap_err().path
        };
        assert_eq!(
            path(r#"{"sla": {"riskFraction": 1.5}}"#),
            "sla.riskFraction"
        );
        assert_eq!(path(r#"{"queues": ["a", ""]}"#), "queues[1]");
        assert_eq!(path(r#"{"replayBuffer": 0}"#), "replayBuffer");
        assert!(serde_json::from_str::<DashboardSettings>(r#"{"tenants": []}"#).is_err());
    }

    #[test]
    fn runtime_config_has_the_settings_and_the_tenants() {
        let omega = OmegaConfig::default();
        let rt = DashboardConfig::from_omega(&omega);
        assert_eq!(rt.tenants.len(), omega.tenants.len());
        assert_eq!(
            DashboardConfig {
                tenants: Vec::new(),
                ..rt
            },
            DashboardConfig::default()
        );
        // The runtime type has exactly the settings' keys plus `tenants`.
        let mut rt_keys: Vec<String> = serde_json::to_value(DashboardConfig::default())
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        rt_keys.retain(|k| k != "tenants");
        let settings_keys: Vec<String> = serde_json::to_value(DashboardSettings::default())
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(rt_keys, settings_keys);
    }
}
