//! `omega`: runs any OMEGA role, or all of them in one process.

use clap::Parser;

/// Logs and traces: `OMEGA_LOG` filters, `--log-json` switches to JSON
/// lines, and spans are exported over OTLP/HTTP when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
fn init_telemetry(json: bool) -> anyhow::Result<omega_telemetry::Telemetry> {
    let config = omega_telemetry::TelemetryConfig {
        service_name: std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "omega".into()),
        log_filter: std::env::var("OMEGA_LOG").unwrap_or_else(|_| "info,rmcp=warn".into()),
        log_format: if json {
            omega_telemetry::LogFormat::Json
        } else {
            omega_telemetry::LogFormat::Text
        },
        otlp: std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
            .ok()
            .filter(|e| !e.is_empty())
            .map(|endpoint| omega_telemetry::OtlpConfig {
                endpoint,
                timeout_ms: 10_000,
            }),
    };
    Ok(omega_telemetry::Telemetry::init(&config)?)
}

fn main() -> std::process::ExitCode {
    let cli = omega::cli::Cli::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| {
            runtime.block_on(async {
                // The OTLP exporter needs the runtime, so start it inside.
                let telemetry = init_telemetry(cli.log_json)?;
                let result = omega::cli::run(cli).await;
                telemetry.shutdown().await;
                result
            })
        });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line per cause, outermost first: what failed, then why.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
