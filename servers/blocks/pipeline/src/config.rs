//! The pipeline's configuration lives in `omega-config` (`[pipeline]` in
//! `omega.toml`); this module adds what needs the queue crate.

use std::collections::BTreeMap;

use omega_queue::{QueueOptions, QueueSettings};

pub use omega_config::pipeline::{CapacityOverrides, PipelineConfig, queues};

/// Queue behaviour for every pipeline queue, from the pipeline settings.
pub fn queue_settings(cfg: &PipelineConfig) -> QueueSettings {
    QueueSettings {
        default: QueueOptions {
            max_attempts: cfg.max_attempts.max(1),
            backoff_base_ms: cfg.backoff_base_ms,
            backoff_max_ms: cfg.backoff_max_ms,
            dedupe_window_secs: None,
        },
        queues: BTreeMap::new(),
    }
}
