//! Every parser must return Ok or Err on any input, never panic.

use omega_ingest::{ServiceNowPoller, normalize, parse, strip_html, verify};
use omega_protocol::SourcePlatform;
use proptest::prelude::*;

use crate::{acme, config, fixture, pseudonymizer};

const PLATFORMS: [SourcePlatform; 5] = [
    SourcePlatform::Zendesk,
    SourcePlatform::Servicenow,
    SourcePlatform::Salesforce,
    SourcePlatform::KaseyaBms,
    SourcePlatform::Omega,
];
const CONTENT_TYPES: [Option<&str>; 5] = [
    None,
    Some("application/json"),
    Some("text/xml"),
    Some("application/x-www-form-urlencoded"),
    Some("x/y"),
];

fn run_all(body: &[u8]) {
    let cfg = config();
    let now = chrono::Utc::now();
    for p in PLATFORMS {
        for ct in CONTENT_TYPES {
            if let Ok(ds) = parse(p, &acme(), ct, body, &cfg) {
                for d in &ds {
                    let _ = normalize(d, &pseudonymizer());
                }
            }
        }
        let _ = verify(p, &acme(), &http::HeaderMap::new(), body, now, &cfg);
    }
    let mut poller = ServiceNowPoller::new("https://x.service-now.com", now, 10).unwrap();
    let _ = poller.ingest_page(&acme(), body);
    let _ = strip_html(&String::from_utf8_lossy(body));
}

/// Mutates a real fixture: truncation and byte flips reach deeper parser states than noise.
fn mutated(seed: &[u8], cut: usize, flips: &[(usize, u8)]) -> Vec<u8> {
    let mut b = seed[..cut.min(seed.len())].to_vec();
    for (i, x) in flips {
        if !b.is_empty() {
            let n = b.len();
            b[i % n] ^= x;
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        run_all(&body);
    }

    #[test]
    fn random_text_never_panics(body in "\\PC{0,300}") {
        run_all(body.as_bytes());
    }

    #[test]
    fn markup_soup_never_panics(body in "[<>/&;#a-zA-Z:=\"' \\]\\[!-]{0,200}") {
        run_all(body.as_bytes());
        let wrapped = format!(r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">{body}</notifications></soapenv:Body></soapenv:Envelope>"#);
        run_all(wrapped.as_bytes());
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..8,
        cut in 0usize..4096,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
    ) {
        let names = [
            "zendesk/ticket_created_event.json", "zendesk/trigger_body.json", "zendesk/user_event.json",
            "servicenow/incident_push.json", "servicenow/incident_page.json",
            "salesforce/outbound_case.xml", "salesforce/cdc_case_create.json", "kaseya/ticket_created.json",
        ];
        let seed = fixture(names[which]);
        run_all(&mutated(&seed, cut, &flips));
    }
}
