//! `omega up --demo`: posts bundled, real-shaped sample tickets from all four
//! platforms to the ingest endpoint, signed like the platforms sign them,
//! and prints each ticket's triage.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use omega_ingest::{
    IngestConfig, KASEYA_SIGNATURE_HEADER, OMEGA_SIGNATURE_HEADER, TenantSecrets,
    ZENDESK_SIGNATURE_HEADER, ZENDESK_TIMESTAMP_HEADER, parse, sign_base64,
};
use omega_protocol::{SourcePlatform, TenantId, Ticket, TriageResult};

use crate::Pipeline;
use crate::error::PipelineError;

/// The tenant the demo posts for.
pub const DEMO_TENANT: &str = "demo";

/// One bundled sample delivery (the omega-ingest test fixtures).
#[derive(Debug, Clone, Copy)]
pub struct DemoSample {
    /// The platform.
    pub platform: SourcePlatform,
    /// A short name.
    pub name: &'static str,
    /// The content type the platform sends.
    pub content_type: &'static str,
    /// The body.
    pub body: &'static str,
}

/// The bundled samples: Zendesk event, ServiceNow incident, Salesforce
/// outbound message (two cases) and CDC event, Kaseya BMS ticket.
pub fn demo_samples() -> Vec<DemoSample> {
    use SourcePlatform::*;
    vec![
        DemoSample {
            platform: Zendesk,
            name: "zendesk ticket.created event",
            content_type: "application/json",
            body: include_str!("../../ingest/tests/fixtures/zendesk/ticket_created_event.json"),
        },
        DemoSample {
            platform: Servicenow,
            name: "servicenow incident (business rule)",
            content_type: "application/json",
            body: include_str!("../../ingest/tests/fixtures/servicenow/incident_push.json"),
        },
        DemoSample {
            platform: Salesforce,
            name: "salesforce outbound message",
            content_type: "text/xml; charset=utf-8",
            body: include_str!("../../ingest/tests/fixtures/salesforce/outbound_case.xml"),
        },
        DemoSample {
            platform: Salesforce,
            name: "salesforce CaseChangeEvent",
            content_type: "application/json",
            body: include_str!("../../ingest/tests/fixtures/salesforce/cdc_case_create.json"),
        },
        DemoSample {
            platform: KaseyaBms,
            name: "kaseya bms ticket",
            content_type: "application/json",
            body: include_str!("../../ingest/tests/fixtures/kaseya/ticket_created.json"),
        },
    ]
}

/// Ingest secrets for the `demo` tenant matching the samples (the Salesforce
/// org id is the one in the sample outbound message). Merge into
/// `pipeline.ingest` when running `omega up --demo`.
pub fn demo_ingest_config() -> IngestConfig {
    let mut cfg = IngestConfig::default();
    cfg.tenants.insert(
        TenantId::parse(DEMO_TENANT).expect("static tenant id"),
        TenantSecrets {
            zendesk_secret: Some("demo-zendesk-signing-secret".into()),
            servicenow_secret: Some("demo-servicenow-secret".into()),
            salesforce_org_id: Some("00D5e000000KQ2eEAG".into()),
            salesforce_cdc_secret: Some("demo-salesforce-cdc-secret".into()),
            kaseya_secret: Some("demo-kaseya-secret".into()),
            zendesk_field_map: Default::default(),
        },
    );
    cfg
}

/// The headers a platform would send with `body`, signed with `secrets`
/// (Zendesk's timestamp is `now`). Salesforce outbound messages are not signed.
pub fn signed_headers(
    platform: SourcePlatform,
    secrets: &TenantSecrets,
    body: &[u8],
    now: DateTime<Utc>,
) -> Vec<(&'static str, String)> {
    let xml = body.trim_ascii_start().starts_with(b"<");
    match platform {
        SourcePlatform::Zendesk => {
            let ts = now.to_rfc3339_opts(SecondsFormat::Secs, true);
            let secret = secrets.zendesk_secret.as_deref().unwrap_or_default();
            let sig = sign_base64(secret, &[ts.as_bytes(), body]);
            vec![
                (ZENDESK_SIGNATURE_HEADER, sig),
                (ZENDESK_TIMESTAMP_HEADER, ts),
            ]
        }
        SourcePlatform::Servicenow => {
            let s = secrets.servicenow_secret.as_deref().unwrap_or_default();
            vec![(OMEGA_SIGNATURE_HEADER, sign_base64(s, &[body]))]
        }
        SourcePlatform::Salesforce if xml => Vec::new(),
        SourcePlatform::Salesforce => {
            let s = secrets.salesforce_cdc_secret.as_deref().unwrap_or_default();
            vec![(OMEGA_SIGNATURE_HEADER, sign_base64(s, &[body]))]
        }
        SourcePlatform::KaseyaBms => {
            let s = secrets.kaseya_secret.as_deref().unwrap_or_default();
            vec![(KASEYA_SIGNATURE_HEADER, sign_base64(s, &[body]))]
        }
        SourcePlatform::Omega => Vec::new(),
    }
}

/// A small HTTP/1.1 client for posting webhooks (the demo, tests, benchmarks).
#[derive(Clone, Debug)]
pub struct WebhookClient {
    http: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Default for WebhookClient {
    /// Plain HTTP, or HTTPS to servers the public web PKI vouches for.
    fn default() -> Self {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        Self::with_roots(roots)
    }
}

impl WebhookClient {
    /// HTTPS to servers whose certificates the CA in `ca_pem` signed (the
    /// development CA of `omega up`), as well as plain HTTP.
    pub fn with_ca(ca_pem: &[u8]) -> Result<Self, PipelineError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut &ca_pem[..]) {
            let cert = cert.map_err(|e| PipelineError::Demo(format!("invalid CA PEM: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| PipelineError::Demo(format!("invalid CA: {e}")))?;
        }
        Ok(Self::with_roots(roots))
    }

    fn with_roots(roots: rustls::RootCertStore) -> Self {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut c = HttpConnector::new();
        c.set_nodelay(true);
        c.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(c);
        Self {
            http: Client::builder(TokioExecutor::new()).build(https),
        }
    }

    /// Posts `body` to `url`; returns the status and the response body.
    pub async fn post(
        &self,
        url: &str,
        content_type: Option<&str>,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<(u16, Bytes), PipelineError> {
        let mut req = http::Request::post(url);
        if let Some(ct) = content_type {
            req = req.header(http::header::CONTENT_TYPE, ct);
        }
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| PipelineError::Demo(format!("bad request for {url}: {e}")))?;
        let resp = self
            .http
            .request(req)
            .await
            .map_err(|e| PipelineError::Demo(format!("POST {url}: {e}")))?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| PipelineError::Demo(format!("POST {url}: {e}")))?
            .to_bytes();
        Ok((status, body))
    }
}

/// One demo ticket and its triage.
#[derive(Debug, Clone)]
pub struct DemoTicket {
    /// The sample it came from.
    pub sample: &'static str,
    /// OMEGA's ticket id.
    pub ticket_id: String,
    /// The endpoint's HTTP status.
    pub status: u16,
    /// The stored triage result (`None` if it did not arrive within the timeout).
    pub result: Option<TriageResult>,
}

/// Posts every bundled sample to `{ingest_base}/ingest/{platform}/{tenant}`
/// signed with `secrets`, waits up to `timeout` for each ticket's triage
/// result and prints one block per ticket to `out`.
pub async fn run_demo(
    ingest_base: &str,
    pipeline: &Pipeline,
    tenant: &TenantId,
    timeout: Duration,
    out: &mut dyn Write,
) -> Result<Vec<DemoTicket>, PipelineError> {
    run_demo_with(
        &WebhookClient::default(),
        ingest_base,
        pipeline,
        tenant,
        timeout,
        out,
    )
    .await
}

/// [`run_demo`] posting with `client` (e.g. one trusting `omega up`'s CA).
pub async fn run_demo_with(
    client: &WebhookClient,
    ingest_base: &str,
    pipeline: &Pipeline,
    tenant: &TenantId,
    timeout: Duration,
    out: &mut dyn Write,
) -> Result<Vec<DemoTicket>, PipelineError> {
    let cfg = pipeline.config();
    let secrets = cfg
        .ingest
        .tenant(tenant)
        .map_err(|e| PipelineError::Demo(e.message))?
        .clone();
    let mut posted = Vec::new();
    for s in demo_samples() {
        let body = Bytes::from_static(s.body.as_bytes());
        let headers = signed_headers(s.platform, &secrets, &body, Utc::now());
        let url = format!(
            "{}/ingest/{}/{tenant}",
            ingest_base.trim_end_matches('/'),
            s.platform.as_str()
        );
        let (status, resp) = client
            .post(&url, Some(s.content_type), &headers, body.clone())
            .await?;
        if !(200..300).contains(&status) {
            return Err(PipelineError::Demo(format!(
                "{}: HTTP {status}: {}",
                s.name,
                String::from_utf8_lossy(&resp)
            )));
        }
        let ids = parse(s.platform, tenant, Some(s.content_type), &body, &cfg.ingest)
            .map_err(|e| PipelineError::Demo(e.message))?;
        for d in ids {
            posted.push((s.name, Ticket::make_id(s.platform, &d.external_id), status));
        }
    }
    let deadline = Instant::now() + timeout;
    let mut results: HashMap<String, TriageResult> = HashMap::new();
    while results.len() < posted.len() && Instant::now() < deadline {
        for (_, id, _) in &posted {
            // A triage abstention is not final: the classification team takes it next.
            if !results.contains_key(id)
                && let Some(r) = pipeline.triage_result(tenant, id).await?
                && !(r.category.abstained && r.decided_by.name == crate::TRIAGE_DECIDER)
            {
                results.insert(id.clone(), r);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut tickets = Vec::new();
    for (sample, id, status) in posted {
        let result = results.remove(&id);
        print_ticket(out, sample, &id, status, result.as_ref());
        tickets.push(DemoTicket {
            sample,
            ticket_id: id,
            status,
            result,
        });
    }
    Ok(tickets)
}

fn print_ticket(
    out: &mut dyn Write,
    sample: &str,
    id: &str,
    status: u16,
    r: Option<&TriageResult>,
) {
    let _ = writeln!(out, "{id}  ({sample}, HTTP {status})");
    let Some(r) = r else {
        let _ = writeln!(out, "  no triage result yet");
        return;
    };
    let cat = r.category.value.as_deref().unwrap_or("-");
    let state = if r.category.abstained {
        " [abstained]"
    } else {
        ""
    };
    let prio = r.priority.value.map_or("-", |p| p.as_str());
    let _ = writeln!(
        out,
        "  category {cat} ({:.2}){state}, priority {prio}, decided by {}",
        r.category.confidence, r.decided_by.name
    );
    for a in &r.suggested_actions {
        let auto = if a.automatic { "auto" } else { "human" };
        let _ = writeln!(out, "  - [{auto}] {}", a.description);
    }
    if !r.similar_tickets.is_empty() {
        let ids: Vec<&str> = r
            .similar_tickets
            .iter()
            .map(|s| s.ticket_id.as_str())
            .collect();
        let _ = writeln!(out, "  similar: {}", ids.join(", "));
    }
}
