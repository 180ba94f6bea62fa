//! The functions behind `omega deploy render` and `omega deploy cost`.
//! The binary parses its arguments (clap) into these structs and loads the
//! configuration; these functions do the rest and return text to print.

use std::path::PathBuf;

use omega_config::{OmegaConfig, QueueBackend};

use crate::{
    DeployConfig, DeployError, DepthTrace, Load, RenderReport, Target, cost, plan, render,
};

/// `omega deploy render --target aks|container-apps --out DIR [--config FILE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderArgs {
    /// The target.
    pub target: Target,
    /// Output folder; files go to `<out>/<target>/`.
    pub out: PathBuf,
}

/// `omega deploy cost [--target T] [--trace CSV | --tickets-per-hour N --processing-secs S] [--json]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CostArgs {
    /// The target (default AKS).
    pub target: Option<Target>,
    /// A depth trace CSV (`t_secs,team,depth`).
    pub trace: Option<PathBuf>,
    /// Assumed tickets per hour (with `processing_secs`).
    pub tickets_per_hour: Option<f64>,
    /// Assumed worker-seconds per ticket (with `tickets_per_hour`).
    pub processing_secs: Option<f64>,
    /// Print JSON instead of a table.
    pub json: bool,
}

/// Renders and writes; returns the report (print `summary(&report)`).
pub fn render_command(
    config: &OmegaConfig,
    deploy: &DeployConfig,
    args: &RenderArgs,
) -> Result<RenderReport, DeployError> {
    render(config, deploy, args.target, &args.out)
}

/// A short human summary of a render.
pub fn summary(report: &RenderReport) -> String {
    format!(
        "wrote {} files for {} to {} ({} always-on roles, {} teams)",
        report.written.len(),
        report.plan.target,
        report.dir.display(),
        report.plan.always_on.len(),
        report.plan.teams.len()
    )
}

/// Prices the configuration and returns the table or JSON text.
///
/// The embedded queue cannot be deployed; a configuration that uses it is
/// priced as the seed design's `azure-servicebus`, and the report says so.
/// Without `--trace` or `--tickets-per-hour`, the seed's average load
/// (600 tickets/h, 30 s each) is used.
pub fn cost_command(
    config: &OmegaConfig,
    deploy: &DeployConfig,
    args: &CostArgs,
) -> Result<String, DeployError> {
    let load = match (&args.trace, args.tickets_per_hour, args.processing_secs) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(DeployError::Invalid {
                field: "--trace".into(),
                message: "give either --trace or --tickets-per-hour/--processing-secs, not both"
                    .into(),
            });
        }
        (Some(path), None, None) => Load::Trace(DepthTrace::load(path)?),
        (None, Some(n), Some(s)) => Load::Assumed {
            tickets_per_hour: n,
            processing_secs: s,
        },
        (None, None, None) => Load::seed(),
        (None, _, _) => {
            return Err(DeployError::Invalid {
                field: "--tickets-per-hour".into(),
                message: "--tickets-per-hour and --processing-secs go together".into(),
            });
        }
    };
    let mut config = config.clone();
    let mut notes = Vec::new();
    if config.teams.queue_backend == QueueBackend::Embedded {
        config.teams.queue_backend = QueueBackend::AzureServicebus;
        notes.push(
            "teams.queueBackend is `embedded`; priced as `azure-servicebus` (the seed design)"
                .to_owned(),
        );
    }
    let target = args.target.unwrap_or(Target::Aks);
    let plan = plan(&config, deploy, target)?;
    let mut report = cost(&plan, &deploy.prices, &load)?;
    report.notes.extend(notes);
    if args.json {
        serde_json::to_string_pretty(&report).map_err(|e| DeployError::Manifest {
            what: "cost report".into(),
            message: e.to_string(),
        })
    } else {
        Ok(report.to_string())
    }
}
