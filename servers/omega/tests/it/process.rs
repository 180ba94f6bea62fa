//! The `omega` binary as a user runs it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::get_json_tls;

fn omega() -> Command {
    Command::new(env!("CARGO_BIN_EXE_omega"))
}

fn wait_for_file(path: &Path, child: &mut Child) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(v) = serde_json::from_str(&text)
        {
            return v;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("omega exited early with {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{} did not appear", path.display());
}

fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "omega did not stop within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn up_serves_writes_endpoints_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = omega()
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "up",
            "--port-base",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let endpoints = wait_for_file(&dir.path().join("endpoints.json"), &mut child);
    let roles: Vec<_> = endpoints.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        roles,
        [
            "agent-registry",
            "capacity-manager",
            "context",
            "dashboard",
            "federation",
            "ingest",
            "mcp-registry",
            "orchestrator",
            "orchestrator/agent-card",
            "team-analytics",
            "team-analytics/agent-card",
            "team-classification",
            "team-classification/agent-card",
            "team-shadow",
            "team-shadow/agent-card",
            "team-triage",
            "team-triage/agent-card",
            "titan-local",
            "titan-local/agent-card",
        ]
    );
    // omega up serves every role over TLS with its development CA.
    let ca = std::fs::read(dir.path().join("pki/ca.pem")).unwrap();
    for (name, url) in endpoints.as_object().unwrap() {
        let url = url.as_str().unwrap();
        assert!(url.starts_with("https://"), "{name}: {url}");
        if name.ends_with("/agent-card") {
            let (status, card) = get_json_tls(url, &ca).await;
            assert_eq!(status, 200, "{name}: {card}");
            continue;
        }
        let base = &url[..url.rfind('/').unwrap()];
        let (status, health) = get_json_tls(&format!("{base}/healthz"), &ca).await;
        assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
        let (status, ready) = get_json_tls(&format!("{base}/readyz"), &ca).await;
        assert_eq!(
            (status, ready["status"].as_str()),
            (200, Some("ready")),
            "{name}"
        );
        if url.ends_with("/mcp") {
            // No certificate and no token: refused, with the metadata hint.
            let (status, body) = get_json_tls(url, &ca).await;
            assert_eq!(status, 401, "{name}: {body}");
        }
    }
    assert!(dir.path().join("token").exists());
    interrupt(&child);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status}");
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("context") && stdout.contains("endpoints written to"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped"));
    assert!(dir.path().join("dashboard-token").exists());
}

#[test]
fn demo_triages_a_ticket_from_every_platform() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = omega()
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "up",
            "--port-base",
            "0",
            "--demo",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The demo prints every ticket's triage, then keeps serving.
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut seen = Vec::new();
        let platforms = ["zendesk:", "servicenow:", "salesforce:", "kaseya-bms:"];
        for line in std::io::BufReader::new(stdout).lines() {
            seen.push(line.unwrap());
            let triaged = seen
                .iter()
                .filter(|l| l.trim_start().starts_with("category "))
                .count();
            if triaged >= 6
                && platforms
                    .iter()
                    .all(|p| seen.iter().any(|l| l.starts_with(p)))
            {
                break;
            }
        }
        seen
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    while !reader.is_finished() {
        assert!(Instant::now() < deadline, "the demo did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
    let lines = reader.join().unwrap();
    for platform in ["zendesk:", "servicenow:", "salesforce:", "kaseya-bms:"] {
        assert!(
            lines.iter().any(|l| l.starts_with(platform)),
            "{platform} missing:\n{}",
            lines.join("\n")
        );
    }
    assert!(
        lines
            .iter()
            .filter(|l| l.trim_start().starts_with("category "))
            .count()
            >= 6,
        "{}",
        lines.join("\n")
    );
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

#[test]
fn help_explains_every_flag() {
    let top = omega().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&top.stdout);
    for word in ["up", "serve", "--config", "--data-dir", "--log-json"] {
        assert!(text.contains(word), "omega --help lacks {word}:\n{text}");
    }
    let up = omega().args(["up", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&up.stdout);
    for word in ["--host", "--port-base", "endpoints.json"] {
        assert!(text.contains(word), "omega up --help lacks {word}:\n{text}");
    }
    let serve = omega().args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&serve.stdout);
    for word in ["context", "agent-registry", "mcp-registry", "--port"] {
        assert!(
            text.contains(word),
            "omega serve --help lacks {word}:\n{text}"
        );
    }
}

#[test]
fn a_broken_config_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("omega.toml");
    std::fs::write(&path, "tenants = [{ id = \"acme\" }]\nstorag = {}\n").unwrap();
    let out = omega()
        .args([
            "--config",
            path.to_str().unwrap(),
            "--data-dir",
            dir.path().to_str().unwrap(),
            "up",
            "--port-base",
            "0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown field") && stderr.contains("storag"),
        "{stderr}"
    );
}

#[test]
fn classifier_train_then_eval() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("history.csv");
    let mut text = String::from("text,category\n");
    let rows = [
        ("reset password locked out of account", "Access"),
        ("grant access to shared folder finance", "Access"),
        ("laptop screen broken keyboard not working", "Hardware"),
        ("printer jammed toner replacement needed", "Hardware"),
        ("purchase order for new monitors approval", "Purchase"),
        ("invoice for docking stations purchase", "Purchase"),
    ];
    for i in 0..20 {
        for (t, c) in rows {
            text.push_str(&format!("\"{t} {i}\",{c}\n"));
        }
    }
    std::fs::write(&csv, text).unwrap();
    let data = dir.path().to_str().unwrap();
    let out = omega()
        .args([
            "--data-dir",
            data,
            "classifier",
            "eval",
            csv.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "eval without a model must fail");
    assert!(String::from_utf8_lossy(&out.stderr).contains("omega classifier train"));

    let out = omega()
        .args([
            "--data-dir",
            data,
            "classifier",
            "train",
            csv.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = omega()
        .args([
            "--data-dir",
            data,
            "classifier",
            "eval",
            csv.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["accuracy"].as_f64().unwrap() > 0.9, "{report}");
    assert_eq!(report["labels"].as_array().unwrap().len(), 3);
}

#[test]
fn serve_refuses_an_unknown_role_or_team_and_lists_the_valid_ones() {
    let out = omega().args(["serve", "titan-bogus"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for valid in [
        "orchestrator",
        "titan-gpt",
        "titan-local",
        "capacity-manager",
        "team",
    ] {
        assert!(stderr.contains(valid), "{valid} not listed:\n{stderr}");
    }
    let out = omega()
        .args(["serve", "team", "--team", "sales"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for valid in ["triage", "classification", "shadow", "analytics"] {
        assert!(stderr.contains(valid), "{valid} not listed:\n{stderr}");
    }
    let out = omega().args(["serve", "team"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--team"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_check_prints_the_effective_configuration_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        r#"
[titans.gpt]
model = "gpt-4o-mini"

[pipeline.ingest.tenants.acme]
zendeskSecret = "zd-very-secret-signing-key"
"#,
    )
    .unwrap();
    let out = omega()
        .args(["config", "check", good.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("gpt-4o-mini"), "{stdout}");
    assert!(
        stdout.contains("[orchestrator"),
        "defaults are shown: {stdout}"
    );
    assert!(!stdout.contains("zd-very-secret-signing-key"), "{stdout}");
    assert!(stdout.contains("<redacted>"), "{stdout}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[titans.gpt]\nmodle = \"gpt-4o\"\n").unwrap();
    let out = omega()
        .args(["config", "check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("titans.gpt.modle"), "{stderr}");
}
