//! Interop: the official Python MCP SDK drives every server in both
//! protocol versions (tests/interop/mcp_interop.py).

use std::path::PathBuf;
use std::process::Command;

use crate::harness::Harness;

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("OMEGA_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run scripts/test (it installs the Python MCP SDK) or set OMEGA_PYTHON",
        venv.display()
    );
    venv
}

#[tokio::test]
async fn python_sdk_drives_every_server_in_both_versions() {
    let h = Harness::start().await;
    let endpoints = h.dir.path().join("endpoints.json");
    std::fs::write(
        &endpoints,
        serde_json::to_vec(&h.running.endpoints).unwrap(),
    )
    .unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/mcp_interop.py");
    for mode in ["legacy", "2026-07-28"] {
        let out = tokio::process::Command::from(Command::new(python()))
            .arg(&script)
            .arg(&endpoints)
            .arg(mode)
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "python interop ({mode}) failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("passed, 0 failed"), "{stdout}");
    }
}
