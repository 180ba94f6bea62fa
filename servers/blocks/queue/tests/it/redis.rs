//! The behaviour suite on the Redis Streams backend, against the real Redis at 127.0.0.1:6379.

use std::sync::Arc;

use omega_queue::{Queue, QueueError, RedisQueue, RedisQueueConfig};

pub struct Harness {
    q: Arc<RedisQueue>,
    pub name: String,
}

impl Harness {
    pub async fn new() -> Self {
        let cfg = RedisQueueConfig {
            key_prefix: "omega-test:q".into(),
            // Bounded so dedupe keys of test runs expire on their own.
            queues: crate::suite::settings(Some(120)),
            ..RedisQueueConfig::default()
        };
        let q = RedisQueue::connect(cfg)
            .await
            .expect("Redis at 127.0.0.1:6379");
        let name = format!("t-{}", uuid::Uuid::new_v4().simple());
        q.purge(&name).await.unwrap();
        Self {
            q: Arc::new(q),
            name,
        }
    }
    pub fn queue(&self) -> Arc<dyn Queue> {
        self.q.clone()
    }
    pub async fn cleanup(self) {
        self.q.purge(&self.name).await.unwrap();
    }
}

behaviour_tests!(Harness);

#[tokio::test]
async fn unreachable_redis_names_the_url() {
    let cfg = RedisQueueConfig {
        url: "redis://127.0.0.1:1".into(),
        connect_timeout_ms: 500,
        ..RedisQueueConfig::default()
    };
    let e = RedisQueue::connect(cfg).await.unwrap_err();
    assert!(matches!(e, QueueError::RedisUnavailable { .. }), "{e}");
    assert!(e.to_string().contains("redis://127.0.0.1:1"), "{e}");
}
