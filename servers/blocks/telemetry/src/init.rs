//! Installing the tracing subscriber: log lines plus an OpenTelemetry layer
//! whose spans are exported over OTLP/HTTP when an endpoint is configured.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::Layered;
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;

use crate::config::{LogFormat, TelemetryConfig};
use crate::export::RuntimeHttpClient;

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// The log filter does not parse.
    #[error("telemetry.logFilter: {0}; use directives like `info,omega=debug`")]
    Filter(String),
    /// The OTLP endpoint is not a plain `http://` URL.
    #[error("telemetry.otlp.endpoint: {0}")]
    Endpoint(String),
    /// OTLP export was configured outside a tokio runtime.
    #[error("OTLP export needs a tokio runtime; call init from inside one")]
    NoRuntime,
    /// The exporter could not be built.
    #[error("OTLP exporter: {0}")]
    Exporter(String),
    /// A global subscriber was already installed.
    #[error("a global tracing subscriber is already installed")]
    AlreadyInstalled,
}

/// The tracer provider behind the subscriber; flush or shut it down before
/// the process exits so the last spans are exported.
#[derive(Debug, Clone)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

type Base = Layered<EnvFilter, Registry>;

impl Telemetry {
    /// Builds the subscriber without installing it (tests use
    /// `tracing::subscriber::set_default`).
    pub fn subscriber(
        config: &TelemetryConfig,
    ) -> Result<(Self, Box<dyn Subscriber + Send + Sync>), TelemetryError> {
        let filter = match EnvFilter::try_from_default_env() {
            Ok(f) => f,
            Err(_) => EnvFilter::try_new(&config.log_filter)
                .map_err(|e| TelemetryError::Filter(e.to_string()))?,
        };
        let resource = Resource::builder()
            .with_service_name(config.service_name.clone())
            .build();
        let mut builder = SdkTracerProvider::builder().with_resource(resource);
        if let Some(otlp) = &config.otlp {
            let url = otlp.traces_url();
            if !url.starts_with("http://") {
                return Err(TelemetryError::Endpoint(format!(
                    "{url:?} is not an http:// URL; point it at a local collector"
                )));
            }
            let handle =
                tokio::runtime::Handle::try_current().map_err(|_| TelemetryError::NoRuntime)?;
            let timeout = Duration::from_millis(otlp.timeout_ms);
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_http_client(RuntimeHttpClient::new(handle, timeout))
                .with_protocol(Protocol::HttpBinary)
                .with_endpoint(url)
                .with_timeout(timeout)
                .build()
                .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
            builder = builder.with_batch_exporter(exporter);
        }
        let provider = builder.build();
        let tracer = provider.tracer(config.service_name.clone());
        let mut layers: Vec<Box<dyn Layer<Base> + Send + Sync>> =
            vec![tracing_opentelemetry::layer().with_tracer(tracer).boxed()];
        match config.log_format {
            LogFormat::Text => layers.push(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .boxed(),
            ),
            LogFormat::Json => layers.push(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .boxed(),
            ),
            LogFormat::Off => {}
        }
        let subscriber = Registry::default().with(filter).with(layers);
        Ok((Self { provider }, Box::new(subscriber)))
    }

    /// Builds the subscriber and installs it as the global default.
    pub fn init(config: &TelemetryConfig) -> Result<Self, TelemetryError> {
        let (telemetry, subscriber) = Self::subscriber(config)?;
        tracing::subscriber::set_global_default(subscriber)
            .map_err(|_| TelemetryError::AlreadyInstalled)?;
        Ok(telemetry)
    }

    /// Exports every finished span now. Runs on the blocking pool, so the
    /// runtime keeps driving the export's HTTP request meanwhile.
    pub async fn flush(&self) {
        let provider = self.provider.clone();
        let _ = tokio::task::spawn_blocking(move || provider.force_flush()).await;
    }

    /// Flushes and stops the exporter.
    pub async fn shutdown(self) {
        let provider = self.provider;
        let _ = tokio::task::spawn_blocking(move || provider.shutdown()).await;
    }
}
