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
    /// Appends without blocking, then waits (asynchronously) for the group
    /// commit that makes the record durable.
    fn record(&self, event: AuditEvent) -> BoxFuture<'_, Result<u64, AuditError>> {
        let appended = self.append(event);
        Box::pin(async move {
            let seq = appended?;
            self.wait_durable(seq).await?;
            Ok(seq)
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
