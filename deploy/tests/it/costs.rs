//! The cost model reproduces the seed's figures and prices traces.

use omega_deploy::cli::{CostArgs, cost_command};
use omega_deploy::{DepthTrace, Load, PriceTable, Target, cost, plan};

use crate::support::{seed, trace_path};

#[test]
fn seed_configuration_reproduces_the_seed_figures() {
    let (config, deploy) = seed();
    let plan = plan(&config, &deploy, Target::Aks).unwrap();
    let report = cost(&plan, &PriceTable::default(), &Load::seed()).unwrap();
    // 3x100 + 3x100 + 2x75 + 2x75 + 2x75 + 5x100 + 75
    assert_eq!(report.always_on, 1625.0);
    // triage 5x75 + classification 2x75 + shadow 10x25 + analytics 1x75
    assert_eq!(report.dynamic, 850.0);
    // 600 + 250 + 75 + 700 + 100 + 200
    assert_eq!(report.managed, 1925.0);
    assert_eq!(report.total, 4400.0);
    let table = report.to_string();
    assert!(
        table.contains("$4,400.00") && table.contains("team triage"),
        "{table}"
    );
}

#[test]
fn redis_backend_drops_service_bus() {
    let (mut config, deploy) = seed();
    config.teams.queue_backend = omega_config::QueueBackend::RedisStreams;
    let plan = plan(&config, &deploy, Target::Aks).unwrap();
    let report = cost(&plan, &PriceTable::default(), &Load::seed()).unwrap();
    assert_eq!(report.managed, 1225.0);
}

#[test]
fn trace_load_is_priced_from_the_capacity_manager() {
    let (config, deploy) = seed();
    let plan = plan(&config, &deploy, Target::Aks).unwrap();
    let trace = DepthTrace::load(&trace_path()).unwrap();
    let report = cost(&plan, &PriceTable::default(), &Load::Trace(trace)).unwrap();
    assert_eq!(report.always_on, 1625.0);
    let max_dynamic = 10.0 * 75.0 + 5.0 * 75.0 + 100.0 * 25.0 + 3.0 * 75.0;
    assert!(
        report.dynamic > 0.0 && report.dynamic < max_dynamic,
        "{report}"
    );
    for line in report
        .lines
        .iter()
        .filter(|l| l.tier == omega_deploy::CostTier::Dynamic)
    {
        assert!(line.instances > 0.0, "{line:?}");
    }
}

#[test]
fn cost_command_prints_json_and_tables() {
    let config = omega_config::OmegaConfig::default(); // embedded backend
    let deploy = omega_deploy::DeployConfig::default();
    let json = cost_command(
        &config,
        &deploy,
        &CostArgs {
            json: true,
            ..CostArgs::default()
        },
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    // The seed's $4,400 plus the local Titan's two D4s_v5 pods (2 x $75).
    assert_eq!(v["total"], 4550.0);
    assert!(v["notes"][0].as_str().unwrap().contains("embedded"));
    let args = CostArgs {
        tickets_per_hour: Some(1200.0),
        processing_secs: Some(30.0),
        ..CostArgs::default()
    };
    let table = cost_command(&config, &deploy, &args).unwrap();
    // Twice the load: triage 10 (its max) x 75 = 750.
    assert!(
        table.contains("team triage") && table.contains("$750.00"),
        "{table}"
    );
    let args = CostArgs {
        tickets_per_hour: Some(1.0),
        ..CostArgs::default()
    };
    assert!(cost_command(&config, &deploy, &args).is_err());
    let args = CostArgs {
        trace: Some(trace_path()),
        ..CostArgs::default()
    };
    assert!(
        cost_command(&config, &deploy, &args)
            .unwrap()
            .contains("trace of 10790 s")
    );
}
