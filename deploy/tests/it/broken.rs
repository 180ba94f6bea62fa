//! A broken configuration gives a clear error and writes nothing.

use omega_deploy::{DeployError, Target, render};

use crate::support::seed;

fn assert_nothing_written(dir: &std::path::Path) {
    let entries: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert!(entries.is_empty(), "files were written: {entries:?}");
}

#[test]
fn zero_replicas_is_refused_before_writing() {
    let (config, mut deploy) = seed();
    deploy.roles[0].replicas = 0;
    let out = tempfile::tempdir().unwrap();
    let err = render(&config, &deploy, Target::Aks, out.path()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("deploy.roles[name = \"federation\"]")
            && msg.contains("replicas must be at least 1"),
        "{msg}"
    );
    assert_nothing_written(out.path());
}

#[test]
fn embedded_backend_cannot_be_deployed() {
    let (mut config, deploy) = seed();
    config.teams.queue_backend = omega_config::QueueBackend::Embedded;
    for target in [Target::Aks, Target::ContainerApps] {
        let out = tempfile::tempdir().unwrap();
        let err = render(&config, &deploy, target, out.path()).unwrap_err();
        assert!(matches!(err, DeployError::EmbeddedBackend { .. }), "{err}");
        assert!(err.to_string().contains("set teams.queueBackend"), "{err}");
        assert_nothing_written(out.path());
    }
}

type Breaker = Box<dyn Fn(&mut omega_config::OmegaConfig, &mut omega_deploy::DeployConfig)>;

#[test]
fn other_mistakes_name_the_setting() {
    let cases: Vec<(&str, Breaker)> = vec![
        (
            "teams.teams[name = \"triage\"]",
            Box::new(|c, _| c.teams.teams[0].min_replicas = 50),
        ),
        (
            "deploy.teams",
            Box::new(|_, d| {
                d.teams.pop();
            }),
        ),
        (
            "sizeClass `E64`",
            Box::new(|_, d| d.roles[1].size_class = "E64".into()),
        ),
        (
            "resources.memoryLimit",
            Box::new(|_, d| d.default_resources.memory_limit = "lots".into()),
        ),
        (
            "deploy.namespaces",
            Box::new(|_, d| d.namespaces.dynamic = "omega-core".into()),
        ),
        (
            "not an IPv4 CIDR",
            Box::new(|_, d| d.network.private_endpoint_cidrs = vec!["10.0.0.0".into()]),
        ),
        (
            "role is listed twice",
            Box::new(|_, d| {
                let r = d.roles[0].clone();
                d.roles.push(r);
            }),
        ),
    ];
    for (want, break_it) in cases {
        let (mut config, mut deploy) = seed();
        break_it(&mut config, &mut deploy);
        let out = tempfile::tempdir().unwrap();
        let err = render(&config, &deploy, Target::Aks, out.path()).unwrap_err();
        assert!(err.to_string().contains(want), "wanted `{want}` in: {err}");
        assert_nothing_written(out.path());
    }
}

#[test]
fn deploy_config_refuses_unknown_keys_and_round_trips() {
    let err = serde_json::from_str::<omega_deploy::DeployConfig>(r#"{"replicaz": 3}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field"), "{err}");
    let d = omega_deploy::DeployConfig::default();
    let text = serde_json::to_string(&d).unwrap();
    assert_eq!(
        serde_json::from_str::<omega_deploy::DeployConfig>(&text).unwrap(),
        d
    );
}
