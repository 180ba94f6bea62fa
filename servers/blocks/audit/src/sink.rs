//! [`AuditSink`]: what servers call to audit an action.

use std::sync::Mutex;

use crate::blob::BoxFuture;
use crate::error::AuditError;
use crate::log::AuditLog;
use crate::record::AuditEvent;

/// Where servers send audit events. Object-safe: hold an `Arc<dyn AuditSink>`.
pub trait AuditSink: Send + Sync {
    /// Records `event` durably; resolves to its seq.
    fn record(&self, event: AuditEvent) -> BoxFuture<'_, Result<u64, AuditError>>;
}

impl AuditSink for AuditLog {
    fn record(&self, event: AuditEvent) -> BoxFuture<'_, Result<u64, AuditError>> {
        let log = self.clone();
        Box::pin(async move {
            // The fsync blocks; keep it off the async worker threads.
            tokio::task::spawn_blocking(move || log.append(event))
                .await
                .map_err(|e| AuditError::Stopped {
                    reason: format!("append task failed: {e}"),
                })?
        })
    }
}

/// An in-memory sink for tests of code that audits.
#[derive(Debug, Default)]
pub struct MemoryAuditSink {
    events: Mutex<Vec<AuditEvent>>,
}

impl MemoryAuditSink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events recorded so far, in order.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().expect("sink lock").clone()
    }
}

impl AuditSink for MemoryAuditSink {
    fn record(&self, event: AuditEvent) -> BoxFuture<'_, Result<u64, AuditError>> {
        let mut events = self.events.lock().expect("sink lock");
        events.push(event);
        let seq = events.len() as u64;
        Box::pin(async move { Ok(seq) })
    }
}
