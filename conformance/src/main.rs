//! `omega-conformance`: OMEGA's conformance suite and the official suite's fixture server.

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let code = omega_conformance::cli::run_cli(std::env::args().collect()).await;
    std::process::exit(code);
}
