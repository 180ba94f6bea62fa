//! The context server on Redis: the real server at 6379, plus private
//! redis-server processes for start-up and mid-run failures.

use std::process::Command;
use std::time::Duration;

use omega::role::RoleId as Role;
use omega_client::{ContextClient, McpClient};
use omega_config::{KvBackend, OmegaConfig};
use omega_protocol::{ErrorCode, TenantId};
use serde_json::json;

use omega_testkit::{RedisProcess, free_port};

use crate::harness::{Harness, get_json};

fn redis_config(url: &str) -> OmegaConfig {
    let mut config = OmegaConfig::default();
    config.storage.kv = KvBackend::Redis {
        url: url.to_owned(),
    };
    config
}

#[tokio::test]
async fn sessions_and_cache_live_in_redis() {
    let h = Harness::start_with(redis_config("redis://127.0.0.1:6379/")).await;
    let mcp = McpClient::connect(&h.url(Role::Context)).await.unwrap();
    let ctx = ContextClient::new(mcp, TenantId::parse("acme").unwrap());
    let sid = format!("redis-{}", std::process::id());
    ctx.session_put(&sid, &json!({"via": "redis"}), Some(30))
        .await
        .unwrap();
    assert_eq!(
        ctx.session_get(&sid).await.unwrap(),
        json!({"via": "redis"})
    );
    // The value is in the real Redis, under the tenant's prefix, with a TTL.
    let out = Command::new("redis-cli")
        .args(["-p", "6379", "TTL", &format!("omega:t:acme:session:{sid}")])
        .output()
        .unwrap();
    let ttl: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!((1..=30).contains(&ttl), "ttl {ttl}");
    assert!(ctx.session_delete(&sid).await.unwrap());
}

#[test]
fn unreachable_redis_at_start_stops_omega_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("omega.toml");
    std::fs::write(
        &path,
        format!("[storage.kv]\nbackend = \"redis\"\nurl = \"redis://127.0.0.1:{port}/\"\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_omega"))
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
        stderr.contains("Redis") && stderr.contains(&format!("127.0.0.1:{port}")),
        "{stderr}"
    );
}

#[tokio::test]
async fn redis_lost_mid_run_reports_errors_and_recovers() {
    let port = free_port();
    let server = RedisProcess::start(port);
    let h = Harness::start_with(redis_config(&format!("redis://127.0.0.1:{port}/"))).await;
    let mcp = McpClient::connect(&h.url(Role::Context)).await.unwrap();
    let ctx = ContextClient::new(mcp, TenantId::parse("acme").unwrap());
    ctx.session_put("s", &json!(1), None).await.unwrap();
    let ready = format!("{}/readyz", h.base(Role::Context));
    assert_eq!(get_json(&ready).await.0, 200);

    drop(server);
    let err = ctx.session_put("s", &json!(2), None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::BACKEND_UNAVAILABLE), "{err:?}");
    let (status, body) = get_json(&ready).await;
    assert_eq!(status, 503, "{body}");

    let _server = RedisProcess::start(port);
    let mut recovered = false;
    for _ in 0..50 {
        if ctx.session_put("s", &json!(3), None).await.is_ok() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "context server did not recover when Redis came back"
    );
    assert_eq!(ctx.session_get("s").await.unwrap(), json!(3));
    assert_eq!(get_json(&ready).await.0, 200);
}
