//! Runs the official MCP conformance suite against the fixture (every
//! scenario of 2025-11-25 and 2026-07-28, plus a few optional extensions) and
//! the protocol-level scenarios against every production server, then judges
//! the results against `conformance/expected-failures.toml`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use omega_conformance::official::{self, Baseline, OfficialRun, Selection, Tools};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn list(names: &[&str]) -> Selection {
    Selection::Scenarios(names.iter().map(|s| (*s).to_owned()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_suite_passes_except_the_listed_expected_failures() {
    let tools = Tools::install(&workspace()).expect("conformance tools");
    let baseline = Baseline::load(&workspace().join("conformance/expected-failures.toml"))
        .expect("expected-failures.toml");
    let fixture = omega_conformance::fixture::spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let omega = omega::up::start(
        &omega_config::OmegaConfig::default(),
        data.path(),
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        omega::up::Ports::Base(0),
        &omega::up::up_roles(&omega_config::OmegaConfig::default()),
        omega::role::Scaling::InProcess,
    )
    .await
    .unwrap();

    let mut runs = Vec::new();
    for spec in ["2025-11-25", "2026-07-28"] {
        runs.push(OfficialRun {
            group: "fixture".into(),
            label: "fixture".into(),
            url: fixture.url.clone(),
            spec: spec.into(),
            selection: Selection::AllForSpec,
        });
    }
    runs.push(OfficialRun {
        group: "fixture".into(),
        label: "fixture".into(),
        url: fixture.url.clone(),
        spec: "extension".into(),
        selection: list(official::EXTENSION_SCENARIOS),
    });
    for (role, url) in &crate::mcp_endpoints(&omega) {
        for (spec, scenarios) in [
            ("2025-11-25", official::PROTOCOL_SCENARIOS_2025_11_25),
            ("2026-07-28", official::PROTOCOL_SCENARIOS_2026_07_28),
        ] {
            runs.push(OfficialRun {
                group: "production".into(),
                label: role.clone(),
                url: url.clone(),
                spec: spec.into(),
                selection: list(scenarios),
            });
        }
    }

    let out = workspace().join("target/conformance-results");
    let mut results = Vec::new();
    for run in runs {
        let outcomes = run.run(&tools, &out).await.expect("suite run");
        results.push((run, outcomes));
    }
    let judgement = official::judge(&results, &baseline);
    println!("{}", judgement.render());
    fixture.stop().await.unwrap();
    omega.stop().await.unwrap();
    assert!(judgement.is_ok(), "{}", judgement.render());
    // Both dated versions ran in full against the fixture.
    for spec in [
        "fixture@2025-11-25 server-initialize",
        "fixture@2026-07-28 server-stateless",
    ] {
        assert!(
            judgement.passed.iter().any(|p| p == spec),
            "{spec} did not pass"
        );
    }
}
