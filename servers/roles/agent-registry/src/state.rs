//! Registry storage and liveness.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use omega_protocol::{AgentCard, OmegaError, TenantId};
use omega_store::{DocStore, Scope};
use serde::{Deserialize, Serialize};

use crate::types::AgentInstance;

const AGENTS: &str = "agents";

/// What the registry stores per instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredAgent {
    pub card: AgentCard,
    pub registered_at_ms: i64,
    pub last_heartbeat_ms: i64,
    /// The identity (`Caller::id`) that registered the agent; `None` for
    /// agents stored before the registry recorded owners. Internal: never
    /// returned by a tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// The agent registry's state: its document store and the liveness expiry.
pub struct RegistryState {
    docs: Arc<dyn DocStore>,
    expiry: Duration,
    now: Box<dyn Fn() -> DateTime<Utc> + Send + Sync>,
}

impl std::fmt::Debug for RegistryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryState")
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}

fn ms_to_rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// Index entries for discovery: skill ids and tags, capabilities, role.
fn index_entries(card: &AgentCard) -> Vec<(&'static str, String)> {
    let mut entries = Vec::new();
    for skill in &card.skills {
        entries.push(("skill", skill.id.clone()));
        for tag in &skill.tags {
            entries.push(("skill", tag.clone()));
        }
    }
    let caps = &card.capabilities;
    if caps.streaming == Some(true) {
        entries.push(("capability", "streaming".to_owned()));
    }
    if caps.push_notifications == Some(true) {
        entries.push(("capability", "pushNotifications".to_owned()));
    }
    for ext in &caps.extensions {
        entries.push(("capability", ext.uri.clone()));
    }
    if let Some(fields) = card.omega_fields() {
        entries.push(("capability", format!("role:{}", fields.role)));
    }
    entries.sort();
    entries.dedup();
    entries
}

impl RegistryState {
    /// A registry on `docs` where instances expire `expiry` after their last heartbeat.
    pub fn new(docs: Arc<dyn DocStore>, expiry: Duration) -> Self {
        Self {
            docs,
            expiry,
            now: Box::new(Utc::now),
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.now = Box::new(now);
        self
    }

    pub(crate) fn now_ms(&self) -> i64 {
        (self.now)().timestamp_millis()
    }

    pub(crate) fn expiry(&self) -> Duration {
        self.expiry
    }

    pub(crate) fn live_until(&self, last_heartbeat_ms: i64) -> String {
        ms_to_rfc3339(last_heartbeat_ms + self.expiry.as_millis() as i64)
    }

    fn is_live(&self, stored: &StoredAgent, now_ms: i64) -> bool {
        now_ms - stored.last_heartbeat_ms <= self.expiry.as_millis() as i64
    }

    pub(crate) async fn put(&self, id: &str, stored: &StoredAgent) -> Result<(), OmegaError> {
        let body = serde_json::to_value(stored).map_err(|e| OmegaError::internal(e.to_string()))?;
        let index = index_entries(&stored.card);
        let index: Vec<(&str, String)> = index.iter().map(|(k, v)| (*k, v.clone())).collect();
        self.docs
            .put_doc(&Scope::Global, AGENTS, id, &body, &index)
            .await?;
        Ok(())
    }

    pub(crate) async fn get(&self, id: &str) -> Result<Option<StoredAgent>, OmegaError> {
        match self.docs.get_doc(&Scope::Global, AGENTS, id).await? {
            Some(body) => serde_json::from_value(body)
                .map(Some)
                .map_err(|e| OmegaError::internal(format!("stored agent {id} is unreadable: {e}"))),
            None => Ok(None),
        }
    }

    pub(crate) async fn delete(&self, id: &str) -> Result<bool, OmegaError> {
        Ok(self.docs.delete_doc(&Scope::Global, AGENTS, id).await?)
    }

    fn instance(&self, id: String, stored: StoredAgent, now_ms: i64) -> AgentInstance {
        AgentInstance {
            live: self.is_live(&stored, now_ms),
            agent_id: id,
            registered_at: ms_to_rfc3339(stored.registered_at_ms),
            last_heartbeat: ms_to_rfc3339(stored.last_heartbeat_ms),
            card: stored.card,
        }
    }

    fn keep(&self, inst: &AgentInstance, live_only: bool, tenant: Option<&TenantId>) -> bool {
        (!live_only || inst.live)
            && tenant.is_none_or(|t| inst.card.omega_fields().is_none_or(|f| f.tenants.allows(t)))
    }

    /// Every instance, filtered.
    pub(crate) async fn list(
        &self,
        live_only: bool,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<AgentInstance>, OmegaError> {
        let now = self.now_ms();
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .docs
                .list_docs(&Scope::Global, AGENTS, after.as_deref(), 500)
                .await?;
            let done = page.len() < 500;
            for doc in page {
                after = Some(doc.id.clone());
                let stored: StoredAgent = serde_json::from_value(doc.body).map_err(|e| {
                    OmegaError::internal(format!("stored agent is unreadable: {e}"))
                })?;
                let inst = self.instance(doc.id, stored, now);
                if self.keep(&inst, live_only, tenant) {
                    out.push(inst);
                }
            }
            if done {
                return Ok(out);
            }
        }
    }

    /// Live instances with index entry `index = value`.
    pub(crate) async fn find_live(
        &self,
        index: &str,
        value: &str,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<AgentInstance>, OmegaError> {
        let now = self.now_ms();
        let docs = self
            .docs
            .find_docs(&Scope::Global, AGENTS, index, value)
            .await?;
        let mut out = Vec::new();
        for doc in docs {
            let stored: StoredAgent = serde_json::from_value(doc.body)
                .map_err(|e| OmegaError::internal(format!("stored agent is unreadable: {e}")))?;
            let inst = self.instance(doc.id, stored, now);
            if self.keep(&inst, true, tenant) {
                out.push(inst);
            }
        }
        Ok(out)
    }
}
