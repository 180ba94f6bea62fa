//! Every target renders for the seed and a non-default config; core kinds
//! pass `kubernetes-validate --strict`, KEDA kinds pass their CRD schemas.

use std::collections::BTreeSet;
use std::process::Command;

use omega_deploy::{FileKind, Target, render};
use serde_json::Value;

use crate::support::{crd_dir, deploy_dir, non_default, seed};

/// Makes a CRD's structural schema strict: objects that list their
/// properties refuse others (what the API server's pruning amounts to).
fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let is_closed_object = map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && !map.contains_key("x-kubernetes-preserve-unknown-fields");
            if is_closed_object {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for v in map.values_mut() {
                strict(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

fn crd_validator(file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(crd_dir().join(file)).expect("CRD file in deploy/crds");
    let crd: Value = serde_norway::from_str(&text).unwrap();
    let version = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1alpha1")
        .unwrap();
    let mut schema = version["schema"]["openAPIV3Schema"].clone();
    strict(&mut schema);
    jsonschema::draft4::new(&schema).expect("CRD schema compiles")
}

fn check_target(
    target: Target,
    config: &omega_config::OmegaConfig,
    deploy: &omega_deploy::DeployConfig,
) {
    let out = tempfile::tempdir().unwrap();
    let report = render(config, deploy, target, out.path()).unwrap();
    assert_eq!(report.written.len(), report.plan.files.len());
    let scaled = crd_validator("keda.sh_scaledobjects.yaml");
    let auth = crd_validator("keda.sh_triggerauthentications.yaml");
    let mut core = Vec::new();
    let mut kinds = BTreeSet::new();
    for (file, path) in report.plan.files.iter().zip(&report.written) {
        let on_disk = std::fs::read_to_string(path).unwrap();
        assert_eq!(on_disk, file.contents);
        let value: Value = serde_norway::from_str(&on_disk).unwrap();
        if let FileKind::Kubernetes { kind, .. } = &file.kind {
            kinds.insert(kind.clone());
            let validator = match kind.as_str() {
                "ScaledObject" => Some(&scaled),
                "TriggerAuthentication" => Some(&auth),
                _ => None,
            };
            if let Some(v) = validator {
                let errors: Vec<String> = v
                    .iter_errors(&value)
                    .map(|e| format!("{e} at {}", e.instance_path()))
                    .collect();
                assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            }
        }
        if file.kind.is_core_kubernetes() {
            core.push(path.clone());
        }
    }
    if target == Target::Aks {
        for k in [
            "Namespace",
            "ServiceAccount",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "ScaledObject",
            "SecretProviderClass",
        ] {
            assert!(kinds.contains(k), "{k} missing from {kinds:?}");
        }
        let status = Command::new("bash")
            .arg(deploy_dir().join("validate.sh"))
            .args(&core)
            .status()
            .expect("bash runs deploy/validate.sh");
        assert!(
            status.success(),
            "kubernetes-validate rejected the core manifests"
        );
    }
}

#[test]
fn crd_validation_catches_mistakes() {
    let (config, deploy) = seed();
    let plan = omega_deploy::plan(&config, &deploy, Target::Aks).unwrap();
    let mut so: Value =
        serde_norway::from_str(&plan.objects("ScaledObject").next().unwrap().contents).unwrap();
    let scaled = crd_validator("keda.sh_scaledobjects.yaml");
    assert!(scaled.is_valid(&so));
    so["spec"]["minReplicas"] = 1.into(); // misspelt minReplicaCount
    assert!(!scaled.is_valid(&so));
    so["spec"].as_object_mut().unwrap().remove("minReplicas");
    so["spec"]["triggers"][0]["metadata"]["messageCount"] = 5.into(); // must be a string
    assert!(!scaled.is_valid(&so));
}

#[test]
fn seed_renders_and_validates_on_both_targets() {
    let (config, deploy) = seed();
    check_target(Target::Aks, &config, &deploy);
    check_target(Target::ContainerApps, &config, &deploy);
}

#[test]
fn non_default_renders_and_validates_on_both_targets() {
    let (config, deploy) = non_default();
    check_target(Target::Aks, &config, &deploy);
    check_target(Target::ContainerApps, &config, &deploy);
}

#[test]
fn nats_renders_the_jetstream_trigger() {
    let (mut config, deploy) = seed();
    config.teams.queue_backend = omega_config::QueueBackend::NatsJetstream;
    check_target(Target::Aks, &config, &deploy);
    let plan = omega_deploy::plan(&config, &deploy, Target::Aks).unwrap();
    let so: Value =
        serde_norway::from_str(&plan.objects("ScaledObject").next().unwrap().contents).unwrap();
    let t = &so["spec"]["triggers"][0];
    assert_eq!(t["type"], "nats-jetstream");
    for key in [
        "natsServerMonitoringEndpoint",
        "account",
        "stream",
        "consumer",
        "lagThreshold",
        "activationLagThreshold",
    ] {
        assert!(t["metadata"][key].is_string(), "{key} missing");
    }
    assert_eq!(plan.objects("TriggerAuthentication").count(), 0);
}

#[test]
fn seed_aks_has_the_design_shape() {
    let (config, deploy) = seed();
    let plan = omega_deploy::plan(&config, &deploy, Target::Aks).unwrap();
    let parse =
        |f: &omega_deploy::RenderedFile| -> Value { serde_norway::from_str(&f.contents).unwrap() };
    let deployments: Vec<Value> = plan.objects("Deployment").map(parse).collect();
    let replicas = |name: &str| {
        deployments
            .iter()
            .find(|d| d["metadata"]["name"] == name)
            .unwrap()["spec"]["replicas"]
            .clone()
    };
    for (name, n) in [
        ("federation", 3),
        ("context", 3),
        ("agent-registry", 2),
        ("mcp-registry", 2),
        ("orchestrator", 2),
        ("capacity-manager", 1),
        ("titan-gpt", 1),
        ("titan-augment", 1),
    ] {
        assert_eq!(replicas(name), n, "{name}");
    }
    let fed = deployments
        .iter()
        .find(|d| d["metadata"]["name"] == "federation")
        .unwrap();
    let pod = &fed["spec"]["template"]["spec"];
    assert_eq!(
        pod["containers"][0]["args"],
        serde_json::json!(["serve", "federation"])
    );
    assert_eq!(
        pod["containers"][0]["readinessProbe"]["httpGet"]["scheme"],
        "HTTP"
    );
    assert_eq!(pod["nodeSelector"]["tier"], "always-on");
    assert!(pod["topologySpreadConstraints"].is_array());
    assert_eq!(
        fed["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"],
        "true"
    );
    let triage = deployments
        .iter()
        .find(|d| d["metadata"]["name"] == "team-triage")
        .unwrap();
    assert!(
        triage["spec"]["replicas"].is_null(),
        "KEDA owns team replicas"
    );
    assert_eq!(triage["metadata"]["namespace"], "omega-dynamic");
    assert_eq!(
        triage["spec"]["template"]["spec"]["containers"][0]["args"],
        serde_json::json!(["serve", "team", "--team", "triage"])
    );
    let so: Value = parse(
        plan.objects("ScaledObject")
            .find(|f| f.contents.contains("team-triage"))
            .unwrap(),
    );
    assert_eq!(so["spec"]["minReplicaCount"], 0);
    assert_eq!(so["spec"]["maxReplicaCount"], 10);
    assert_eq!(so["spec"]["cooldownPeriod"], 300);
    assert_eq!(so["spec"]["pollingInterval"], 30);
    assert_eq!(so["spec"]["triggers"][0]["metadata"]["messageCount"], "5");
    assert_eq!(
        so["spec"]["triggers"][0]["metadata"]["queueName"],
        "ticket-triage"
    );
    let ta: Value = parse(plan.objects("TriggerAuthentication").next().unwrap());
    assert_eq!(ta["spec"]["podIdentity"]["provider"], "azure-workload");
    let pdbs: Vec<Value> = plan.objects("PodDisruptionBudget").map(parse).collect();
    assert_eq!(pdbs.len(), deploy.roles.len());
    assert!(pdbs.iter().all(|p| p["spec"]["maxUnavailable"] == 1));
    let policies: BTreeSet<String> = plan
        .objects("NetworkPolicy")
        .map(|f| parse(f)["metadata"]["name"].as_str().unwrap().to_owned())
        .collect();
    for p in [
        "default-deny",
        "allow-dns",
        "allow-otel-collector",
        "allow-federation-from-teams",
        "allow-teams-to-federation",
        "allow-context-from-federation",
        "allow-orchestrator-to-titan-gpt",
        "allow-capacity-manager-from-orchestrator",
        "allow-teams-queue",
    ] {
        assert!(policies.contains(p), "{p} missing from {policies:?}");
    }
    // No flow the diagram lacks: teams never reach the orchestrator directly.
    assert!(
        !policies
            .iter()
            .any(|p| p.contains("orchestrator-from-teams"))
    );
    let script = plan
        .files
        .iter()
        .find(|f| f.kind == FileKind::Script)
        .unwrap();
    assert!(
        script.contents.contains("--node-vm-size Standard_D8s_v5")
            && script.contents.contains("--max-count 50")
    );
}

#[test]
fn container_apps_team_scale_rule() {
    let (config, deploy) = non_default();
    let plan = omega_deploy::plan(&config, &deploy, Target::ContainerApps).unwrap();
    let triage = plan
        .files
        .iter()
        .find(|f| f.path.to_string_lossy().contains("team-triage"))
        .unwrap();
    let app: Value = serde_norway::from_str(&triage.contents).unwrap();
    let scale = &app["properties"]["template"]["scale"];
    assert_eq!(
        (scale["minReplicas"].as_u64(), scale["maxReplicas"].as_u64()),
        (Some(1), Some(7))
    );
    let rule = &scale["rules"][0]["custom"];
    assert_eq!(rule["type"], "redis-streams");
    assert_eq!(rule["metadata"]["lagCount"], "5");
    assert_eq!(rule["metadata"]["activationLagCount"], "2");
    assert_eq!(rule["auth"][0]["triggerParameter"], "password");
}
