//! [`Pipeline`]: the shared state of the ingest endpoint and every worker.

use std::path::Path;
use std::sync::{Arc, RwLock};

use omega_classifier::Classifier;
use omega_client::{ContextClient, McpClient, OrchestratorClient};
use omega_config::{QueueBackend, TeamsConfig};
use omega_privacy::{Pseudonymizer, Redactor};
use omega_protocol::{TenantId, Ticket, TriageResult};
use omega_queue::{EmbeddedQueue, Lease, Message, Queue, RedisQueue, RedisQueueConfig};
use omega_store::{DocStore, Scope};

use crate::config::{PipelineConfig, queues};
use crate::error::PipelineError;
use crate::messages::TicketMessage;
use crate::worker::Stage;

/// The embedded classifier, shared by the roles of one process.
pub type SharedClassifier = Arc<RwLock<Classifier>>;

/// The document collection triage results are stored in (per tenant, id = ticket id).
pub const RESULTS: &str = "triage-results";

/// Everything a [`Pipeline`] needs.
pub struct PipelineDeps {
    /// Pipeline settings.
    pub config: PipelineConfig,
    /// The teams (triage and classification are run here).
    pub teams: TeamsConfig,
    /// The queue backend (see [`open_queue`]).
    pub queue: Arc<dyn Queue>,
    /// Where triage results are stored.
    pub results: Arc<dyn DocStore>,
    /// The embedded classifier (see [`crate::load_or_bootstrap`]), shared
    /// with whatever else in the process uses it (the local Titan), so a
    /// correction taught here is seen there.
    pub classifier: SharedClassifier,
    /// MCP client of the context server; `None` triages without similar tickets.
    pub context: Option<Arc<McpClient>>,
    /// The orchestrator that decides a ticket's category (its configured
    /// strategy over the Titans; the local Titan by default). `None`
    /// classifies with the embedded classifier in this process.
    pub orchestrator: Option<OrchestratorClient>,
    /// Master secret of the requester pseudonyms (see [`load_or_create_secret`]).
    pub pseudonym_secret: Vec<u8>,
}

pub(crate) struct Inner {
    pub cfg: Arc<PipelineConfig>,
    pub teams: TeamsConfig,
    pub queue: Arc<dyn Queue>,
    pub results: Arc<dyn DocStore>,
    pub classifier: SharedClassifier,
    pub context: Option<ContextClient>,
    pub orchestrator: Option<OrchestratorClient>,
    pub capacity: omega_capacity::CapacityView,
    pub pseudonymizer: Pseudonymizer,
    pub redactor: Redactor,
}

/// The ticket pipeline: ingest endpoint, normalizer, router, triage and
/// classification teams. Cheap to clone.
#[derive(Clone)]
pub struct Pipeline(pub(crate) Arc<Inner>);

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").finish_non_exhaustive()
    }
}

impl Pipeline {
    /// Checks the configuration and builds the pipeline (starts nothing).
    pub fn new(deps: PipelineDeps) -> Result<Self, PipelineError> {
        deps.config
            .validate(&deps.teams)
            .map_err(PipelineError::Config)?;
        let pseudonymizer = Pseudonymizer::new(&deps.pseudonym_secret)
            .map_err(|e| PipelineError::Config(e.to_string()))?;
        let placeholder = TenantId::parse("omega").map_err(|e| PipelineError::Config(e.message))?;
        Ok(Self(Arc::new(Inner {
            cfg: Arc::new(deps.config),
            teams: deps.teams,
            queue: deps.queue,
            results: deps.results,
            classifier: deps.classifier,
            context: deps.context.map(|c| ContextClient::new(c, placeholder)),
            orchestrator: deps.orchestrator,
            capacity: omega_capacity::CapacityView::default(),
            pseudonymizer,
            redactor: Redactor::new(),
        })))
    }

    /// The settings.
    pub fn config(&self) -> Arc<PipelineConfig> {
        self.0.cfg.clone()
    }

    /// The teams.
    pub fn teams(&self) -> &TeamsConfig {
        &self.0.teams
    }

    /// Workers per team and the scaler's decisions, for the teams this
    /// process runs.
    pub fn capacity(&self) -> &omega_capacity::CapacityView {
        &self.0.capacity
    }

    /// The queue backend.
    pub fn queue(&self) -> &Arc<dyn Queue> {
        &self.0.queue
    }

    /// The stored triage result of a ticket (`{platform}:{external id}`).
    pub async fn triage_result(
        &self,
        tenant: &TenantId,
        ticket_id: &str,
    ) -> Result<Option<TriageResult>, PipelineError> {
        let doc = self
            .0
            .results
            .get_doc(&Scope::Tenant(tenant.clone()), RESULTS, ticket_id)
            .await?;
        Ok(doc.and_then(|v| serde_json::from_value(v).ok()))
    }

    /// Sends a ticket an employee reopened to the classification team.
    pub async fn reopen(&self, ticket: Ticket) -> Result<(), PipelineError> {
        let id = format!(
            "{}@reopen@{}",
            ticket.id,
            chrono::Utc::now().timestamp_millis()
        );
        let msg = TicketMessage {
            ticket,
            delivery_id: String::new(),
            reason: Some("reopened".into()),
        };
        self.enqueue(queues::CLASSIFY, id, &msg.ticket.tenant.clone(), &msg)
            .await
    }

    /// Teaches the classifier a corrected category (online update; not saved
    /// until [`Pipeline::save_classifier`]).
    pub fn learn(&self, text: &str, category: &str) -> Result<(), PipelineError> {
        let mut c = self.0.classifier.write().unwrap_or_else(|e| e.into_inner());
        c.category.update(text, category)?;
        Ok(())
    }

    /// Saves the classifier into `{data_dir}/classifier/`.
    pub fn save_classifier(&self, data_dir: &Path) -> Result<(), PipelineError> {
        let c = self
            .0
            .classifier
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        crate::model::save(&c, &crate::model::model_dir(data_dir))
    }

    pub(crate) async fn enqueue<T: serde::Serialize>(
        &self,
        queue: &str,
        id: String,
        tenant: &TenantId,
        body: &T,
    ) -> Result<(), PipelineError> {
        let payload = serde_json::to_value(body)
            .map_err(|e| PipelineError::Config(format!("cannot encode message: {e}")))?;
        self.0
            .queue
            .enqueue(queue, Message::new(id, tenant.as_str(), payload))
            .await?;
        Ok(())
    }

    /// Runs one stage on one leased message. `Err` is the reason kept with the nack.
    pub(crate) async fn handle(&self, stage: Stage, lease: &Lease) -> Result<(), String> {
        match stage {
            Stage::Normalize => crate::ingest::split(self, lease).await,
            Stage::Route => self.route(lease).await,
            Stage::Triage => {
                let msg: TicketMessage = decode(lease)?;
                self.triage(&msg).await
            }
            Stage::Classify => {
                let msg: TicketMessage = decode(lease)?;
                self.reclassify(&msg).await
            }
        }
    }

    /// A pseudonymizer for the ingest endpoint's validation step.
    pub(crate) fn pseudonym(&self, tenant: &TenantId, identity: &str) -> String {
        self.0.pseudonymizer.pseudonym(tenant, identity)
    }

    /// `ticket-normalized` → `ticket-triage`.
    async fn route(&self, lease: &Lease) -> Result<(), String> {
        let msg: TicketMessage = decode(lease)?;
        self.enqueue(
            queues::TRIAGE,
            lease.message.id.clone(),
            &msg.ticket.tenant.clone(),
            &msg,
        )
        .await
        .map_err(|e| e.to_string())
    }
}

fn decode<T: serde::de::DeserializeOwned>(lease: &Lease) -> Result<T, String> {
    serde_json::from_value(lease.message.payload.clone())
        .map_err(|e| format!("message on {} is not readable: {e}", lease.queue))
}

/// Opens the queue backend `teams.queueBackend` names: the embedded queue in
/// `{data_dir}/queue/`, or Redis Streams at `pipeline.redisUrl`.
pub async fn open_queue(
    cfg: &PipelineConfig,
    teams: &TeamsConfig,
    data_dir: &Path,
) -> Result<Arc<dyn Queue>, PipelineError> {
    match teams.queue_backend {
        QueueBackend::Embedded => {
            let dir = data_dir.join("queue");
            std::fs::create_dir_all(&dir).map_err(PipelineError::io("create", &dir))?;
            let dir2 = dir.clone();
            let settings = crate::config::queue_settings(cfg);
            let q = tokio::task::spawn_blocking(move || EmbeddedQueue::open(dir2, settings))
                .await
                .map_err(|e| PipelineError::Config(format!("opening the queue panicked: {e}")))??;
            Ok(Arc::new(q))
        }
        QueueBackend::RedisStreams => {
            let q = RedisQueue::connect(RedisQueueConfig {
                url: cfg.redis_url.clone(),
                key_prefix: cfg.redis_key_prefix.clone(),
                queues: crate::config::queue_settings(cfg),
                ..RedisQueueConfig::default()
            })
            .await?;
            Ok(Arc::new(q))
        }
        other => Err(PipelineError::Config(format!(
            "teams.queueBackend {other:?} is not supported by the in-process pipeline; use embedded or redis-streams"
        ))),
    }
}

/// Reads the pseudonym master secret from `{data_dir}/pseudonym.key`, creating
/// it on first start (see [`load_or_create_key`]).
pub fn load_or_create_secret(data_dir: &Path) -> Result<Vec<u8>, PipelineError> {
    load_or_create_key(&data_dir.join("pseudonym.key"))
}

/// Reads the secret key at `path`, or creates one there on first use: 32
/// random bytes as hex.
///
/// The key's directory is made private (created `0700`, a wider existing
/// one tightened) and the key file is written with mode `0600` from its
/// creation: to a temporary `0600` file that is fsynced and then linked
/// into place, so a crash never leaves a partial key, and a key another
/// process created meanwhile is kept and used, not replaced (see
/// [`omega_store::files`]). An existing key file open to other users is
/// tightened to `0600`. A key file that cannot be read is an error, never a
/// reason to make a new key; an empty one is refused.
pub fn load_or_create_key(path: &Path) -> Result<Vec<u8>, PipelineError> {
    use omega_store::files;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        files::ensure_private_dir(dir).map_err(PipelineError::io("prepare", dir))?;
    }
    if let Some(key) = read_key(path)? {
        return Ok(key);
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| PipelineError::Config(format!("no randomness: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if files::create_private_atomic(path, hex.as_bytes())
        .map_err(PipelineError::io("create", path))?
    {
        return Ok(hex.into_bytes());
    }
    // Another process created the key first: use its key.
    read_key(path)?.ok_or_else(|| {
        PipelineError::Config(format!(
            "key file {} vanished while it was created",
            path.display()
        ))
    })
}

/// The trimmed key at `path`, `None` when there is no file.
fn read_key(path: &Path) -> Result<Option<Vec<u8>>, PipelineError> {
    let Some(bytes) =
        omega_store::files::read_private_file(path).map_err(PipelineError::io("read", path))?
    else {
        return Ok(None);
    };
    let key = bytes.trim_ascii();
    if key.is_empty() {
        return Err(PipelineError::Config(format!(
            "key file {} is empty; remove it to have a new key created",
            path.display()
        )));
    }
    Ok(Some(key.to_vec()))
}
