//! The same pipeline on Redis Streams (the real Redis at 127.0.0.1:6379).

use std::time::Duration;

use omega_config::{QueueBackend, TeamsConfig};
use omega_pipeline::{PipelineConfig, queues};
use omega_protocol::SourcePlatform;
use omega_queue::{RedisQueue, RedisQueueConfig};

use crate::{Harness, config, fixture, kaseya_ticket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_flow_through_redis_streams() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("omega:pipeline-test:{}", uuid::Uuid::new_v4().simple());
    let cfg = PipelineConfig {
        redis_key_prefix: prefix.clone(),
        ..config()
    };
    let teams = TeamsConfig {
        queue_backend: QueueBackend::RedisStreams,
        ..TeamsConfig::default()
    };
    let h = Harness::open(dir.path(), cfg, teams).await;
    let running = h.pipeline.start(&h.cancel);
    let z = fixture("zendesk/ticket_created_event.json");
    assert_eq!(
        h.post(SourcePlatform::Zendesk, "application/json", &z)
            .await
            .0,
        202
    );
    let k = kaseya_ticket(
        901,
        "Shared drive almost full",
        "The projects network drive is at 98 percent capacity.",
    );
    assert_eq!(
        h.post(SourcePlatform::KaseyaBms, "application/json", &k)
            .await
            .0,
        202
    );
    // A duplicate delivery is recognized by the Redis backend too.
    let again = h
        .post(SourcePlatform::KaseyaBms, "application/json", &k)
        .await;
    assert_eq!(again.1["duplicates"].as_u64(), Some(1), "{}", again.1);
    for id in ["zendesk:5158", "kaseya-bms:901"] {
        h.wait_result(id, Duration::from_secs(20)).await;
    }
    running.stop().await;
    assert_eq!(
        h.depth(queues::RAW).await + h.depth(queues::TRIAGE).await,
        0
    );
    h.shutdown();
    let q = RedisQueue::connect(RedisQueueConfig {
        key_prefix: prefix,
        ..RedisQueueConfig::default()
    })
    .await
    .unwrap();
    for name in [
        queues::RAW,
        queues::NORMALIZED,
        queues::TRIAGE,
        queues::CLASSIFY,
        queues::AUTO_ACTION,
        queues::NEEDS_REVIEW,
    ] {
        q.purge(name).await.unwrap();
    }
}
