//! One source of truth: the in-process capacity manager and a KEDA+HPA model
//! read back from the rendered ScaledObjects agree, second by second, on a
//! recorded queue-depth trace.

use omega_capacity::CapacityManager;
use omega_config::OmegaConfig;
use omega_deploy::keda_model::{KedaHpaModel, KedaParams};
use omega_deploy::{DeployConfig, DepthTrace, Target, plan};
use serde_json::Value;

use crate::support::{non_default, seed, trace_path};

struct Outcome {
    mismatches: Vec<String>,
    scale_to_zero: usize,
    hit_max: usize,
}

fn replay(config: &OmegaConfig, deploy: &DeployConfig, tamper: impl Fn(&mut Value)) -> Outcome {
    let trace = DepthTrace::load(&trace_path()).unwrap();
    let plan = plan(config, deploy, Target::Aks).unwrap();
    let mut models = Vec::new();
    for file in plan.objects("ScaledObject") {
        let mut so: Value = serde_norway::from_str(&file.contents).unwrap();
        tamper(&mut so);
        let team = so["metadata"]["name"]
            .as_str()
            .unwrap()
            .strip_prefix("team-")
            .unwrap()
            .to_owned();
        models.push((
            team,
            KedaHpaModel::new(KedaParams::from_value(&so).unwrap()),
        ));
    }
    assert_eq!(models.len(), config.teams.teams.len());
    let mut manager = CapacityManager::new(&config.teams);
    let mut out = Outcome {
        mismatches: Vec::new(),
        scale_to_zero: 0,
        hit_max: 0,
    };
    let mut last = vec![0u32; models.len()];
    for t in 0..=trace.end_secs() {
        let now = t * 1000;
        let due: Vec<String> = manager.due(now).into_iter().map(str::to_owned).collect();
        for team in due {
            manager
                .observe(&team, now, trace.depth_at(&team, t))
                .unwrap();
        }
        for (i, (team, model)) in models.iter_mut().enumerate() {
            let keda = model.tick(now, trace.depth_at(team, t));
            let ours = manager.replicas(team).unwrap();
            if keda != ours && out.mismatches.len() < 10 {
                out.mismatches
                    .push(format!("t={t}s {team}: in-process {ours}, KEDA+HPA {keda}"));
            }
            if keda == 0 && last[i] > 0 {
                out.scale_to_zero += 1;
            }
            if keda == model.params().max && last[i] < keda {
                out.hit_max += 1;
            }
            last[i] = keda;
        }
    }
    out
}

#[test]
fn seed_config_agrees_step_by_step() {
    let (config, deploy) = seed();
    let out = replay(&config, &deploy, |_| {});
    assert!(out.mismatches.is_empty(), "{:#?}", out.mismatches);
    // The trace exercises the interesting rules, so agreement means something.
    assert!(
        out.scale_to_zero >= 2,
        "trace never scaled to zero: {}",
        out.scale_to_zero
    );
    assert!(out.hit_max >= 1, "trace never reached a max");
}

#[test]
fn non_default_config_agrees_step_by_step() {
    let (config, deploy) = non_default();
    let out = replay(&config, &deploy, |_| {});
    assert!(out.mismatches.is_empty(), "{:#?}", out.mismatches);
}

#[test]
fn the_model_reads_the_rendered_yaml() {
    // Change the rendered cooldown (not the config): the two must now disagree.
    let (config, deploy) = seed();
    let out = replay(&config, &deploy, |so| {
        so["spec"]["cooldownPeriod"] = 30.into()
    });
    assert!(
        !out.mismatches.is_empty(),
        "a different cooldown went unnoticed"
    );
    let out = replay(&config, &deploy, |so| {
        so["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] =
            0.into()
    });
    assert!(
        !out.mismatches.is_empty(),
        "a different stabilization window went unnoticed"
    );
}
