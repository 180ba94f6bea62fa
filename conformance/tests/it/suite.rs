//! OMEGA's own suite: passes against every OMEGA server and a well-behaved
//! agent, and catches each deliberately broken server with the right id.

use std::net::{IpAddr, Ipv4Addr};

use omega_conformance::{Options, Profile, Report, Status};

use crate::fake::{self, Flaws};

async fn omega_up() -> (omega::up::Process, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let running = omega::up::start(
        &omega_config::OmegaConfig::default(),
        data.path(),
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        omega::up::Ports::Base(0),
        &omega::up::up_roles(&omega_config::OmegaConfig::default()),
        omega::role::Scaling::InProcess,
    )
    .await
    .unwrap();
    (running, data)
}

fn status_of(report: &Report, id: &str) -> Vec<Status> {
    report
        .checks
        .iter()
        .filter(|c| c.requirement == id)
        .map(|c| c.status)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_omega_server_passes() {
    let (omega, _data) = omega_up().await;
    for (role, url) in &crate::mcp_endpoints(&omega) {
        let report = omega_conformance::run(Options::new(url.clone())).await;
        assert!(report.passed(), "{role}:\n{}", report.render());
        assert!(
            status_of(&report, "FED-07")
                .iter()
                .all(|s| *s == Status::NotApplicable)
        );
        if role == "context" {
            // The context server is the tenant-scoped one: isolation was really probed.
            assert!(
                status_of(&report, "FED-04").contains(&Status::Pass),
                "{}",
                report.render()
            );
            assert!(
                status_of(&report, "FED-03")
                    .iter()
                    .all(|s| *s == Status::Pass)
            );
        }
        let junit = report.junit();
        assert!(junit.contains("<testcase classname=\"MCP-05\""), "{junit}");
    }
    omega.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_well_behaved_agent_passes_including_registry_round_trip() {
    let (omega, _data) = omega_up().await;
    let agent = fake::start(Flaws::default()).await;
    let mut opts = Options::new(agent.url.clone());
    opts.profile = Profile::Agent;
    opts.registry = Some(omega.endpoints["agent-registry"].clone());
    let report = omega_conformance::run(opts).await;
    assert!(report.passed(), "{}", report.render());
    for id in ["FED-01", "FED-02", "FED-04", "MCP-03", "MCP-05", "MCP-07"] {
        assert_eq!(
            status_of(&report, id).first(),
            Some(&Status::Pass),
            "{id}:\n{}",
            report.render()
        );
    }
    omega.stop().await.unwrap();
}

async fn failed_ids(flaws: Flaws) -> (Vec<&'static str>, String) {
    let agent = fake::start(flaws).await;
    let mut opts = Options::new(agent.url.clone());
    opts.profile = Profile::Agent;
    let report = omega_conformance::run(opts).await;
    let mut ids: Vec<&'static str> = report.failures().map(|c| c.requirement).collect();
    ids.dedup();
    (ids, report.render())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_server_is_caught_with_the_right_requirement() {
    let cases: [(Flaws, &[&str]); 4] = [
        (
            Flaws {
                wrong_error_code: true,
                ..Flaws::default()
            },
            &["MCP-05"],
        ),
        (
            Flaws {
                missing_schema: true,
                ..Flaws::default()
            },
            &["MCP-03"],
        ),
        (
            Flaws {
                tenant_leak: true,
                ..Flaws::default()
            },
            &["FED-04"],
        ),
        (
            Flaws {
                bad_card: true,
                ..Flaws::default()
            },
            &["FED-01"],
        ),
    ];
    for (flaws, expected) in cases {
        let (ids, report) = failed_ids(flaws).await;
        assert_eq!(ids, expected, "{flaws:?}:\n{report}");
        // The report shows what was sent and what came back for the failure.
        assert!(
            report.contains("sent:") && report.contains("received:"),
            "{report}"
        );
    }
}
