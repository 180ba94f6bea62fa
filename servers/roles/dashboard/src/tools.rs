//! The dashboard role's MCP tools: `analytics_report`.

use std::sync::Arc;

use omega_protocol::OmegaError;
use omega_stack::{TenantPolicy, ToolSet};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::{AnalyticsReport, Dashboard};

/// Arguments of `analytics_report` (besides `tenant`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReportArgs {
    /// Bucket size of the agreement series in minutes (default 60).
    #[serde(default)]
    bucket_minutes: Option<u32>,
}

/// The tools: `analytics_report {tenant, bucketMinutes?}` → [`AnalyticsReport`].
pub fn analytics_tools(dashboard: &Dashboard) -> ToolSet<Dashboard> {
    let policy = TenantPolicy::new(dashboard.config().tenants.clone());
    ToolSet::new(Arc::new(dashboard.clone()), policy).scoped_tool(
        "analytics_report",
        "Per-tenant report of the employee loop: volumes by category, priority and status; time to triage, review and resolve; SLA risk; auto-action rate; agreement between OMEGA and employees over time.",
        true,
        |d: Arc<Dashboard>, tenant, args: ReportArgs| async move {
            let r: AnalyticsReport = d
                .analytics()
                .report(&tenant, args.bucket_minutes.unwrap_or(60))
                .await
                .map_err(|e| OmegaError::backend_unavailable(e.to_string()))?;
            Ok(r)
        },
    )
}
