//! Where shadow agents keep learning patterns, and how corrections reach the
//! classifier.
//!
//! [`ContextMemory`] stores patterns in the context server's long-term memory
//! (`memory_store` / `memory_search`); [`LocalMemory`] keeps them in the
//! process (for tests and single-machine demos without a context server).

use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use omega_classifier::{Classifier, Model};
use omega_client::ContextClient;
use omega_protocol::TenantId;
use serde_json::Value;

use crate::DashboardError;

/// A stored pattern found by a search.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryHit {
    /// Similarity, higher is closer.
    pub score: f64,
    /// The stored text.
    pub text: String,
    /// The stored metadata.
    pub metadata: Value,
}

/// Long-term memory of learning patterns, per tenant.
#[async_trait]
pub trait LearningMemory: Send + Sync + 'static {
    /// Stores a pattern; returns its id.
    async fn store(
        &self,
        tenant: &TenantId,
        text: &str,
        metadata: Value,
    ) -> Result<String, DashboardError>;
    /// The `k` patterns closest to `query`.
    async fn search(
        &self,
        tenant: &TenantId,
        query: &str,
        k: u32,
    ) -> Result<Vec<MemoryHit>, DashboardError>;
}

/// The context server's long-term memory.
#[derive(Clone)]
pub struct ContextMemory {
    client: ContextClient,
}

impl ContextMemory {
    /// Over a context client (any tenant; each call names its own).
    pub fn new(client: ContextClient) -> Self {
        Self { client }
    }
}

impl std::fmt::Debug for ContextMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContextMemory")
    }
}

#[async_trait]
impl LearningMemory for ContextMemory {
    async fn store(
        &self,
        tenant: &TenantId,
        text: &str,
        metadata: Value,
    ) -> Result<String, DashboardError> {
        self.client
            .for_tenant(tenant.clone())
            .memory_store(text, metadata)
            .await
            .map_err(|e| DashboardError::Context(e.to_string()))
    }

    async fn search(
        &self,
        tenant: &TenantId,
        query: &str,
        k: u32,
    ) -> Result<Vec<MemoryHit>, DashboardError> {
        let hits = self
            .client
            .for_tenant(tenant.clone())
            .memory_search(query, k)
            .await
            .map_err(|e| DashboardError::Context(e.to_string()))?;
        Ok(hits
            .into_iter()
            .map(|h| MemoryHit {
                score: h.get("score").and_then(Value::as_f64).unwrap_or(0.0),
                text: h
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                metadata: h.get("metadata").cloned().unwrap_or(Value::Null),
            })
            .collect())
    }
}

/// In-process memory with word-overlap (Jaccard) search.
#[derive(Debug, Default)]
pub struct LocalMemory {
    entries: Mutex<Vec<(TenantId, String, Value)>>,
}

fn words(s: &str) -> std::collections::BTreeSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .collect()
}

#[async_trait]
impl LearningMemory for LocalMemory {
    async fn store(
        &self,
        tenant: &TenantId,
        text: &str,
        metadata: Value,
    ) -> Result<String, DashboardError> {
        let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        e.push((tenant.clone(), text.to_owned(), metadata));
        Ok(format!("local-{}", e.len()))
    }

    async fn search(
        &self,
        tenant: &TenantId,
        query: &str,
        k: u32,
    ) -> Result<Vec<MemoryHit>, DashboardError> {
        let q = words(query);
        let e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut hits: Vec<MemoryHit> = e
            .iter()
            .filter(|(t, _, _)| t == tenant)
            .map(|(_, text, meta)| {
                let w = words(text);
                let inter = q.intersection(&w).count() as f64;
                let union = q.union(&w).count().max(1) as f64;
                MemoryHit {
                    score: inter / union,
                    text: text.clone(),
                    metadata: meta.clone(),
                }
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(k as usize);
        Ok(hits)
    }
}

/// Where category corrections teach the embedded classifier (the pipeline's
/// `Pipeline::learn` in a full deployment).
pub trait CorrectionSink: Send + Sync + 'static {
    /// Teaches that `text` is `category`.
    fn learn(&self, text: &str, category: &str) -> Result<(), DashboardError>;
    /// Corrections applied so far.
    fn updates(&self) -> u64;
}

/// A shared classifier updated in place.
#[derive(Clone, Debug)]
pub struct SharedClassifier(pub Arc<RwLock<Classifier>>);

impl CorrectionSink for SharedClassifier {
    fn learn(&self, text: &str, category: &str) -> Result<(), DashboardError> {
        let mut c = self.0.write().unwrap_or_else(|e| e.into_inner());
        c.category
            .update(text, category)
            .map_err(|e| DashboardError::Classifier(e.to_string()))
    }

    fn updates(&self) -> u64 {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .category
            .updates()
    }
}

/// A shared category model updated in place.
#[derive(Clone, Debug)]
pub struct SharedModel(pub Arc<RwLock<Model>>);

impl CorrectionSink for SharedModel {
    fn learn(&self, text: &str, category: &str) -> Result<(), DashboardError> {
        let mut m = self.0.write().unwrap_or_else(|e| e.into_inner());
        m.update(text, category)
            .map_err(|e| DashboardError::Classifier(e.to_string()))
    }

    fn updates(&self) -> u64 {
        self.0.read().unwrap_or_else(|e| e.into_inner()).updates()
    }
}
