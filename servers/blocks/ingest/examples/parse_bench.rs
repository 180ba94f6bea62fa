//! Measures parse + normalize throughput per platform on the test fixtures.
//!
//! `cargo run --release -p omega-ingest --example parse_bench [seconds-per-platform]`

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use omega_ingest::{HmacPseudonymizer, IngestConfig, TenantSecrets, normalize, parse};
use omega_protocol::{SourcePlatform, TenantId};

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let tenant = TenantId::parse("acme").expect("valid tenant");
    let mut tenants = HashMap::new();
    tenants.insert(tenant.clone(), TenantSecrets::default());
    let cfg = IngestConfig {
        tenants,
        ..IngestConfig::default()
    };
    let pseudo = HmacPseudonymizer::new(b"benchmark key benchmark key 32b!");
    let cases = [
        (
            "zendesk event",
            SourcePlatform::Zendesk,
            "zendesk/ticket_created_event.json",
            "application/json",
        ),
        (
            "zendesk trigger",
            SourcePlatform::Zendesk,
            "zendesk/trigger_body.json",
            "application/json",
        ),
        (
            "servicenow push",
            SourcePlatform::Servicenow,
            "servicenow/incident_push.json",
            "application/json",
        ),
        (
            "salesforce outbound (2/msg)",
            SourcePlatform::Salesforce,
            "salesforce/outbound_case.xml",
            "text/xml",
        ),
        (
            "salesforce cdc",
            SourcePlatform::Salesforce,
            "salesforce/cdc_case_create.json",
            "application/json",
        ),
        (
            "kaseya bms (HTML body)",
            SourcePlatform::KaseyaBms,
            "kaseya/ticket_created.json",
            "application/json",
        ),
    ];
    println!(
        "{:<30} {:>10} {:>14} {:>12}",
        "platform", "bytes", "tickets/s", "us/ticket"
    );
    for (name, platform, path, ct) in cases {
        let body = fixture(path);
        let budget = Duration::from_secs_f64(secs);
        let start = Instant::now();
        let mut tickets = 0u64;
        while start.elapsed() < budget {
            for _ in 0..64 {
                let deliveries =
                    parse(platform, &tenant, Some(ct), &body, &cfg).expect("fixture parses");
                for d in &deliveries {
                    black_box(normalize(d, &pseudo).expect("fixture normalizes"));
                    tickets += 1;
                }
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        let rate = tickets as f64 / elapsed;
        println!(
            "{name:<30} {:>10} {:>14.0} {:>12.2}",
            body.len(),
            rate,
            1e6 / rate
        );
    }
}
