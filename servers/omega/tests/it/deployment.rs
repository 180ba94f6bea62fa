//! The rendered AKS deployment's container commands, started locally with
//! `omega serve ...` one by one (each with its own data directory, peers
//! from `[peers]`, the queue on the real Redis), each getting ready.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use omega_config::{OmegaConfig, QueueBackend};
use serde_json::Value;

use crate::harness::get_json;

struct Proc {
    name: String,
    child: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start order: a role comes after the peers it connects to at start.
fn rank(args: &[String]) -> usize {
    match args[1].as_str() {
        "context" | "agent-registry" | "mcp-registry" => 0,
        t if t.starts_with("titan-") => 1,
        "orchestrator" => 2,
        "federation" => 3,
        _ => 4,
    }
}

fn name_of(args: &[String]) -> String {
    match args {
        [_, team, _, which] if team == "team" => format!("team-{which}"),
        [_, role, ..] => role.clone(),
        _ => panic!("unexpected args {args:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_container_command_of_the_rendered_deployment_starts_and_gets_ready() {
    let mut config = OmegaConfig::default();
    config.teams.queue_backend = QueueBackend::RedisStreams;
    let plan = omega_deploy::plan(&config, &config.deploy, omega_deploy::Target::Aks).unwrap();
    let mut commands: Vec<Vec<String>> = plan
        .objects("Deployment")
        .map(|f| {
            let v: Value = serde_norway::from_str(&f.contents).unwrap();
            v["spec"]["template"]["spec"]["containers"][0]["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    commands.sort_by_key(|c| rank(c));
    assert!(commands.len() >= 16, "{commands:?}");

    let ports: Vec<u16> = commands.iter().map(|_| free_port()).collect();
    let url = |role: &str| -> Option<String> {
        commands
            .iter()
            .position(|c| name_of(c) == role)
            .map(|i| format!("\"http://127.0.0.1:{}\"", ports[i]))
    };
    let mut toml = format!(
        "[teams]\nqueueBackend = \"redis-streams\"\n\n[pipeline]\nredisKeyPrefix = \"omega-test-deploy-{}\"\n\n[peers]\n",
        std::process::id()
    );
    for (key, role) in [
        ("context", "context"),
        ("agentRegistry", "agent-registry"),
        ("mcpRegistry", "mcp-registry"),
        ("orchestrator", "orchestrator"),
        ("federation", "federation"),
    ] {
        toml.push_str(&format!("{key} = {}\n", url(role).expect(role)));
    }
    toml.push_str("\n[peers.titans]\n");
    for titan in ["local", "gpt", "claude", "gemini", "grok", "augment"] {
        let u = url(&format!("titan-{titan}")).expect(titan);
        toml.push_str(&format!("{titan} = {u}\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("omega.toml");
    std::fs::write(&config_path, &toml).unwrap();

    let mut procs = Vec::new();
    for (args, port) in commands.iter().zip(&ports) {
        let name = name_of(args);
        let data = dir.path().join(&name);
        let child = Command::new(env!("CARGO_BIN_EXE_omega"))
            .arg("--config")
            .arg(&config_path)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .args(["--port", &port.to_string()])
            // The hosted Titans need their keys at start (never called here).
            .env("OPENAI_API_KEY", "test-key")
            .env("ANTHROPIC_API_KEY", "test-key")
            .env("GEMINI_API_KEY", "test-key")
            .env("XAI_API_KEY", "test-key")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut proc = Proc { name, child };
        let ready = format!("http://127.0.0.1:{port}/readyz");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = proc.child.try_wait().unwrap() {
                let mut err = String::new();
                use std::io::Read;
                proc.child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("`omega {}` exited with {status}:\n{err}", args.join(" "));
            }
            if let Ok(Ok((200, body))) =
                tokio::time::timeout(Duration::from_secs(2), try_get(&ready)).await
            {
                assert_eq!(body["status"], "ready");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "`omega {}` did not get ready",
                args.join(" ")
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        procs.push(proc);
    }
    // Every Titan and team registered with the agent registry.
    let registry = omega_client::AgentRegistryClient::new(
        omega_client::McpClient::connect(&format!(
            "{}/mcp",
            url("agent-registry").unwrap().trim_matches('"')
        ))
        .await
        .unwrap(),
    );
    assert_eq!(registry.discover_skill("answer").await.unwrap().len(), 6);
    for team in ["triage", "classification", "shadow", "analytics"] {
        assert_eq!(
            registry.discover_skill(team).await.unwrap().len(),
            1,
            "{team}"
        );
    }
    // Stopped with SIGTERM, as Kubernetes does, each exits cleanly.
    for proc in procs.iter_mut().rev() {
        let _ = Command::new("kill")
            .args(["-TERM", &proc.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(s) = proc.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "{} did not stop", proc.name);
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{} exited with {status}", proc.name);
    }
}

async fn try_get(url: &str) -> Result<(u16, Value), ()> {
    let url = url.to_owned();
    tokio::spawn(async move { get_json(&url).await })
        .await
        .map_err(drop)
}
