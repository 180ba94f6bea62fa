//! TLS handshake rate on loopback, mutual TLS with the deployment's
//! certificates (ECDSA P-256, ring provider).
//!
//! ```text
//! cargo run --release -p omega-security --example handshake_bench [-- TOTAL]
//! ```

use omega_security::bench::handshake_rate;
use omega_security::certs::Ca;
use omega_security::tls::{client_config, parse_certs, parse_key, server_config};
use omega_security::{ClientAuth, Identity};
use omega_stack::TenantGrant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let total: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(4000);
    let ca = Ca::generate("bench CA")?;
    let srv = ca.issue_server("context", "0", &["localhost"])?;
    let cli = ca.issue_client(&Identity::new("triage", "0", TenantGrant::All)?)?;
    let roots = [ca.cert_der().clone()];
    let p = std::path::Path::new("mem");
    let scfg = server_config(
        parse_certs(srv.cert_pem.as_bytes(), p)?,
        parse_key(srv.key_pem.as_bytes(), p)?,
        &roots,
        ClientAuth::Required,
    )?;
    let ccfg = client_config(
        &roots,
        Some((
            parse_certs(cli.cert_pem.as_bytes(), p)?,
            parse_key(cli.key_pem.as_bytes(), p)?,
        )),
    )?;
    // Warm up.
    handshake_rate(scfg.clone(), ccfg.clone(), "localhost", 200, 2, false).await?;
    println!(
        "mTLS handshakes on loopback, {total} per run, {} cores",
        std::thread::available_parallelism()?
    );
    for (resume, conc) in [(false, 1), (false, 4), (true, 1), (true, 4)] {
        let s =
            handshake_rate(scfg.clone(), ccfg.clone(), "localhost", total, conc, resume).await?;
        println!(
            "{:<8} concurrency {conc}: {:>7.0} handshakes/s  p50 {:>6.0} µs  p99 {:>6.0} µs",
            if resume { "resumed" } else { "full" },
            s.per_sec,
            s.p50.as_secs_f64() * 1e6,
            s.p99.as_secs_f64() * 1e6,
        );
    }
    // Per-request costs of the identity layer and the policy.
    let n = 100_000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(Identity::from_cert(std::hint::black_box(&cli.cert_der))?);
    }
    println!(
        "identity from certificate: {:.2} µs/request",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let key = omega_security::TokenKey::generate();
    let claims = omega_security::Claims::new(
        "emp-1",
        omega_security::TokenKind::Employee,
        &TenantGrant::All,
        "aud",
        std::time::Duration::from_secs(600),
    );
    let tok = omega_security::token::issue(&key, &claims);
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(omega_security::token::verify(
            &key,
            std::hint::black_box(&tok),
            "aud",
        )?);
    }
    println!(
        "bearer token verify: {:.2} µs/request",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let policy = omega_security::Policy::new(&omega_security::PolicyConfig::dev_default())?;
    let caller = Identity::new("triage", "0", TenantGrant::All)?.to_caller();
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(policy.may_call(&caller, std::hint::black_box("session_put")));
    }
    println!(
        "policy check: {:.3} µs/call",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    Ok(())
}
