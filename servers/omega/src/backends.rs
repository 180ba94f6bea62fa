//! The backends of one process, opened once and shared by its roles: the
//! embedded store, the key-value backend, the queue, the embedded
//! classifier, the ticket pipeline and the dashboard state. In `omega up`
//! every role shares them; under `omega serve` one role uses what it needs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use omega_config::{KvBackend, OmegaConfig};
use omega_pipeline::{Pipeline, SharedClassifier};
use omega_store::{EmbeddedStore, KvStore, RedisKv, RedisKvConfig};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use crate::role::{Peers, RoleId};

/// Backends shared by the roles of one process.
pub struct Backends {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The embedded store (documents, vectors, and KV unless Redis is configured).
    pub embedded: EmbeddedStore,
    /// The key-value backend for sessions and cache.
    pub kv: Arc<dyn KvStore>,
    /// The process's metrics, served at every role's `/metrics`.
    pub metrics: omega_telemetry::Metrics,
    /// The audit trail every state-changing tool call is appended to
    /// (`<data-dir>/audit`, its signed head and key beside it).
    pub audit: omega_audit::AuditLog,
    classifier: OnceCell<SharedClassifier>,
    queue: OnceCell<Arc<dyn omega_queue::Queue>>,
    pipeline: OnceCell<Pipeline>,
    dashboard: OnceCell<crate::roles::dashboard::DashboardParts>,
}

impl Backends {
    /// Opens the embedded store and, when configured, connects to Redis.
    /// Fails with a clear message when a configured backend is unreachable.
    ///
    /// The data directory holds keys, the dashboard token and the databases,
    /// so it is private: created with mode `0700`, and an existing one that
    /// grants group or others any access is tightened to `0700` (logged);
    /// when it cannot be (another user owns it) the start fails naming the
    /// directory. Every file in it is created `0600`
    /// ([`omega_store::files`]).
    pub async fn open(config: &OmegaConfig, data_dir: &Path) -> anyhow::Result<Self> {
        omega_store::files::ensure_private_dir(data_dir)
            .with_context(|| format!("preparing the data directory {}", data_dir.display()))?;
        let embedded = EmbeddedStore::open(data_dir)
            .with_context(|| format!("opening embedded storage in {}", data_dir.display()))?;
        let kv: Arc<dyn KvStore> = match &config.storage.kv {
            KvBackend::Embedded => Arc::new(embedded.clone()),
            KvBackend::Redis { url } => Arc::new(
                RedisKv::connect(RedisKvConfig::new(url.clone()))
                    .await
                    .context("storage.kv is Redis, and Redis must be reachable at start")?,
            ),
        };
        let audit =
            omega_audit::AuditLog::open_local(&data_dir.join("audit"), audit_head(data_dir))
                .await
                .with_context(|| {
                    format!(
                        "opening the audit trail in {}",
                        data_dir.join("audit").display()
                    )
                })?;
        Ok(Self {
            audit,
            data_dir: data_dir.to_owned(),
            embedded,
            kv,
            metrics: omega_telemetry::Metrics::default(),
            classifier: OnceCell::new(),
            queue: OnceCell::new(),
            pipeline: OnceCell::new(),
            dashboard: OnceCell::new(),
        })
    }

    /// The embedded classifier of this process (loaded, or bootstrapped
    /// from the bundled seed, on first use), shared by the pipeline and
    /// the local Titan.
    pub async fn classifier(&self) -> anyhow::Result<SharedClassifier> {
        self.classifier
            .get_or_try_init(|| async {
                let (classifier, source) = omega_pipeline::load_or_bootstrap(&self.data_dir)
                    .context("loading the embedded classifier")?;
                tracing::info!(?source, "classifier ready");
                Ok::<_, anyhow::Error>(Arc::new(std::sync::RwLock::new(classifier)))
            })
            .await
            .cloned()
    }

    /// The queue backend of this process (`pipeline.queue`), opened on first use.
    pub async fn queue(&self, config: &OmegaConfig) -> anyhow::Result<Arc<dyn omega_queue::Queue>> {
        self.queue
            .get_or_try_init(|| async {
                omega_pipeline::open_queue(&config.pipeline, &config.teams, &self.data_dir)
                    .await
                    .context("opening the pipeline queues")
            })
            .await
            .cloned()
    }

    /// The ticket pipeline of this process (built on first use): the queue,
    /// the triage results, the embedded classifier, the context server and
    /// the orchestrator among `peers`.
    pub async fn pipeline(
        &self,
        config: &OmegaConfig,
        peers: &Peers,
        needed_by: RoleId,
        connection: &omega_client::Connection,
    ) -> anyhow::Result<&Pipeline> {
        self.pipeline
            .get_or_try_init(|| {
                crate::roles::ingest::build_pipeline(config, self, peers, needed_by, connection)
            })
            .await
    }

    /// The pipeline, if a role of this process built it.
    pub fn built_pipeline(&self) -> Option<&Pipeline> {
        self.pipeline.get()
    }

    /// The dashboard state of this process (built on first use).
    pub async fn dashboard(
        &self,
        config: &OmegaConfig,
        peers: &Peers,
        needed_by: RoleId,
        connection: &omega_client::Connection,
    ) -> anyhow::Result<&crate::roles::dashboard::DashboardParts> {
        self.dashboard
            .get_or_try_init(|| async {
                let pipeline = self.pipeline(config, peers, needed_by, connection).await?;
                crate::roles::dashboard::build_dashboard(
                    config, self, peers, pipeline, needed_by, connection,
                )
                .await
            })
            .await
    }

    /// Seals audit segments every 30 s and sweeps expired embedded entries
    /// every minute until `cancel` fires.
    pub fn spawn_maintenance(&self, cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
        let embedded = self.embedded.clone();
        let sealer = self.audit.spawn_sealer(std::time::Duration::from_secs(30));
        tokio::spawn(async move {
            let _sealer = AbortOnDrop(sealer);
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(e) = embedded.sweep_expired().await {
                            tracing::warn!(error = %e, "sweeping expired entries failed");
                        }
                    }
                    () = cancel.cancelled() => return,
                }
            }
        })
    }
}

/// Where the audit trail's signed head and its key live: outside the
/// segment directory, so removing segments cannot remove the evidence.
pub fn audit_head(data_dir: &Path) -> omega_audit::HeadConfig {
    omega_audit::HeadConfig::new(data_dir.join("audit.head"), data_dir.join("audit.key"))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
