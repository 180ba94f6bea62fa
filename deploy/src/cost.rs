//! The monthly cost of a plan: always-on replicas, team replicas under a
//! load, and managed services.

use std::collections::BTreeMap;
use std::fmt;

use omega_capacity::CapacityManager;
use omega_config::TeamsConfig;
use serde::Serialize;

use crate::render::Plan;
use crate::{DeployError, DepthTrace, PriceTable};

/// The load the teams see.
#[derive(Debug, Clone)]
pub enum Load {
    /// A recorded depth trace, replayed through the capacity manager; team
    /// cost is the time-weighted average replica count.
    Trace(DepthTrace),
    /// Steady arrivals: a team's average replicas are
    /// `ticketsPerHour / 3600 * processingSecs * workPerTicket` (Little's law:
    /// busy workers = arrival rate x time in service), clamped to min/max.
    Assumed {
        /// Tickets arriving per hour.
        tickets_per_hour: f64,
        /// Worker-seconds to process one ticket.
        processing_secs: f64,
    },
}

impl Load {
    /// The seed design's "average load": 600 tickets an hour, 30 s each.
    pub fn seed() -> Self {
        Load::Assumed {
            tickets_per_hour: 600.0,
            processing_secs: 30.0,
        }
    }

    fn describe(&self) -> String {
        match self {
            Load::Trace(t) => format!("trace of {} s", t.end_secs()),
            Load::Assumed {
                tickets_per_hour,
                processing_secs,
            } => format!("assumed {tickets_per_hour} tickets/h x {processing_secs} s"),
        }
    }
}

/// Which subtotal a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CostTier {
    /// Never scales to zero.
    AlwaysOn,
    /// KEDA-scaled teams.
    Dynamic,
    /// Managed Azure services.
    Managed,
}

/// One priced component.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostLine {
    /// Subtotal.
    pub tier: CostTier,
    /// Component.
    pub component: String,
    /// Average instances (1 for a managed service).
    pub instances: f64,
    /// Size class or service tier.
    pub size: String,
    /// Monthly cost in USD.
    pub monthly: f64,
}

/// A priced plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostReport {
    /// The target priced.
    pub target: String,
    /// The load priced.
    pub load: String,
    /// Every line.
    pub lines: Vec<CostLine>,
    /// Always-on subtotal.
    pub always_on: f64,
    /// Dynamic subtotal.
    pub dynamic: f64,
    /// Managed subtotal.
    pub managed: f64,
    /// Total.
    pub total: f64,
    /// Notes (e.g. how an embedded backend was priced).
    pub notes: Vec<String>,
}

/// Prices `plan` with `prices` under `load`.
pub fn cost(plan: &Plan, prices: &PriceTable, load: &Load) -> Result<CostReport, DeployError> {
    let price = |size: &str| {
        prices
            .replica_monthly
            .get(size)
            .copied()
            .ok_or_else(|| DeployError::Invalid {
                field: "prices.replicaMonthly".into(),
                message: format!("no price for size class `{size}`"),
            })
    };
    let mut lines = Vec::new();
    for w in &plan.always_on {
        lines.push(CostLine {
            tier: CostTier::AlwaysOn,
            component: w.name.clone(),
            instances: f64::from(w.replicas),
            size: w.size_class.clone(),
            monthly: f64::from(w.replicas) * price(&w.size_class)?,
        });
    }
    let averages = match load {
        Load::Trace(trace) => trace_averages(plan, trace)?,
        Load::Assumed {
            tickets_per_hour,
            processing_secs,
        } => {
            let ok = |v: f64| v.is_finite() && v >= 0.0;
            if !ok(*tickets_per_hour) || !ok(*processing_secs) {
                return Err(DeployError::Invalid {
                    field: "load".into(),
                    message: "tickets per hour and processing seconds must be numbers >= 0".into(),
                });
            }
            let busy = tickets_per_hour / 3600.0 * processing_secs;
            plan.teams
                .iter()
                .map(|t| {
                    let avg = (busy * t.work_per_ticket).clamp(
                        f64::from(t.team.min_replicas),
                        f64::from(t.team.max_replicas),
                    );
                    (t.team.name.clone(), avg)
                })
                .collect()
        }
    };
    for t in &plan.teams {
        let avg = averages.get(&t.team.name).copied().unwrap_or(0.0);
        lines.push(CostLine {
            tier: CostTier::Dynamic,
            component: format!("team {}", t.team.name),
            instances: avg,
            size: t.size_class.clone(),
            monthly: avg * price(&t.size_class)?,
        });
    }
    for m in &prices.managed {
        if m.only_for_backend.is_some_and(|b| b != plan.queue_backend) {
            continue;
        }
        lines.push(CostLine {
            tier: CostTier::Managed,
            component: m.name.clone(),
            instances: 1.0,
            size: m.tier.clone(),
            monthly: m.monthly,
        });
    }
    let sum = |tier| {
        lines
            .iter()
            .filter(|l| l.tier == tier)
            .map(|l| l.monthly)
            .sum::<f64>()
    };
    let (always_on, dynamic, managed) = (
        sum(CostTier::AlwaysOn),
        sum(CostTier::Dynamic),
        sum(CostTier::Managed),
    );
    Ok(CostReport {
        target: plan.target.to_string(),
        load: load.describe(),
        always_on,
        dynamic,
        managed,
        total: always_on + dynamic + managed,
        lines,
        notes: Vec::new(),
    })
}

/// Time-weighted average replicas per team when `trace` is replayed through
/// the in-process capacity manager (1 s steps, polls when due).
pub(crate) fn trace_averages(
    plan: &Plan,
    trace: &DepthTrace,
) -> Result<BTreeMap<String, f64>, DeployError> {
    let teams = TeamsConfig {
        queue_backend: plan.queue_backend,
        teams: plan.teams.iter().map(|t| t.team.clone()).collect(),
    };
    if let Some(unknown) = trace.teams().into_iter().find(|t| teams.team(t).is_none()) {
        return Err(DeployError::Trace {
            line: 0,
            message: format!("team `{unknown}` is in the trace but not in teams.teams"),
        });
    }
    let mut manager = CapacityManager::new(&teams).with_history_limit(1);
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    let end = trace.end_secs();
    for t in 0..end {
        let due: Vec<String> = manager
            .due(t * 1000)
            .into_iter()
            .map(str::to_owned)
            .collect();
        for team in due {
            manager
                .observe(&team, t * 1000, trace.depth_at(&team, t))
                .expect("team comes from the manager");
        }
        for (team, replicas) in manager.snapshot() {
            *totals.entry(team.to_owned()).or_default() += u64::from(replicas);
        }
    }
    let span = end.max(1) as f64;
    Ok(totals
        .into_iter()
        .map(|(k, v)| (k, v as f64 / span))
        .collect())
}

fn money(v: f64) -> String {
    let cents = (v * 100.0).round() as i64;
    let (whole, frac) = (cents / 100, (cents % 100).abs());
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if whole < 0 { "-" } else { "" };
    format!("{sign}${grouped}.{frac:02}")
}

impl fmt::Display for CostReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "OMEGA monthly cost ({}, load: {})",
            self.target, self.load
        )?;
        writeln!(
            f,
            "{:<10} {:<24} {:>9}  {:<20} {:>12}",
            "tier", "component", "instances", "size", "monthly"
        )?;
        for (tier, label, subtotal) in [
            (CostTier::AlwaysOn, "always-on", self.always_on),
            (CostTier::Dynamic, "dynamic", self.dynamic),
            (CostTier::Managed, "managed", self.managed),
        ] {
            for l in self.lines.iter().filter(|l| l.tier == tier) {
                writeln!(
                    f,
                    "{:<10} {:<24} {:>9.2}  {:<20} {:>12}",
                    label,
                    l.component,
                    l.instances,
                    l.size,
                    money(l.monthly)
                )?;
            }
            writeln!(
                f,
                "{:<10} {:<24} {:>9}  {:<20} {:>12}",
                "",
                format!("{label} subtotal"),
                "",
                "",
                money(subtotal)
            )?;
        }
        writeln!(
            f,
            "{:<10} {:<24} {:>9}  {:<20} {:>12}",
            "",
            "TOTAL",
            "",
            "",
            money(self.total)
        )?;
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(4400.0), "$4,400.00");
        assert_eq!(money(1234567.891), "$1,234,567.89");
        assert_eq!(money(75.5), "$75.50");
    }
}
