//! Tests against real Redis servers: the machine's own at 127.0.0.1:6379, and
//! private `redis-server` processes this test starts and kills to check
//! start-up and mid-run failures.

use std::time::Duration;

use omega_store::{KvStore, RedisKv, RedisKvConfig, StoreError};

use omega_testkit::{RedisProcess, free_port};

use crate::tenant;

const SHARED: &str = "redis://127.0.0.1:6379/";

#[tokio::test]
async fn values_ttls_and_scoped_purge_on_real_redis() {
    let kv = RedisKv::connect(RedisKvConfig::new(SHARED)).await.unwrap();
    let run = format!("redis-it-{}", std::process::id());
    let (a, b) = (tenant(&format!("{run}-a")), tenant(&format!("{run}-b")));
    kv.put(&a, "session", "s1", b"one", None).await.unwrap();
    kv.put(&b, "session", "s1", b"two", None).await.unwrap();
    kv.put(&a, "cache", "c", b"x", Some(Duration::from_millis(60)))
        .await
        .unwrap();
    assert_eq!(
        kv.get(&a, "session", "s1").await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    assert_eq!(
        kv.get(&b, "session", "s1").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(kv.get(&a, "cache", "c").await.unwrap(), None);
    assert_eq!(kv.purge(&a).await.unwrap(), 1);
    assert_eq!(kv.get(&a, "session", "s1").await.unwrap(), None);
    assert_eq!(
        kv.get(&b, "session", "s1").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert!(kv.delete(&b, "session", "s1").await.unwrap());
}

#[tokio::test]
async fn unreachable_at_start_is_a_clear_error() {
    let port = free_port();
    let err = RedisKv::connect(RedisKvConfig::new(format!("redis://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("127.0.0.1:{port}")) && text.contains("running"),
        "{text}"
    );

    let err = RedisKv::connect(RedisKvConfig::new("not-a-url"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a valid Redis URL"), "{err}");
}

#[tokio::test]
async fn lost_mid_run_reports_errors_and_recovers() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let server = RedisProcess::start(port);
    let kv = RedisKv::connect(RedisKvConfig::new(&url)).await.unwrap();
    let t = tenant("acme");
    kv.put(&t, "session", "s", b"v", None).await.unwrap();

    drop(server);
    // Every call now fails fast with `Unavailable`, never panics or hangs.
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let err = kv.get(&t, "session", "s").await.unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    let _server = RedisProcess::start(port);
    // The connection manager reconnects by itself; the (empty) new server answers.
    let mut recovered = false;
    for _ in 0..50 {
        if kv.put(&t, "session", "s", b"again", None).await.is_ok() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "store did not recover after Redis came back");
    assert_eq!(
        kv.get(&t, "session", "s").await.unwrap().as_deref(),
        Some(&b"again"[..])
    );
}

#[tokio::test]
async fn stored_bytes_are_counted_per_tenant_and_namespace_on_real_redis() {
    let kv = RedisKv::connect(RedisKvConfig::new(SHARED)).await.unwrap();
    let run = format!("redis-bytes-{}", std::process::id());
    let (a, b) = (tenant(&format!("{run}-a")), tenant(&format!("{run}-b")));
    kv.put(&a, "session", "s1", b"12345", None).await.unwrap();
    kv.put(&a, "session", "s22", b"1", None).await.unwrap();
    kv.put(&a, "cache", "c", b"123", Some(Duration::from_millis(80)))
        .await
        .unwrap();
    kv.put(&b, "session", "s1", b"xxxxxxxx", None)
        .await
        .unwrap();
    assert_eq!(kv.namespace_bytes(&a, "session").await.unwrap(), 7 + 4);
    assert_eq!(kv.namespace_bytes(&a, "cache").await.unwrap(), 4);
    assert_eq!(kv.namespace_bytes(&b, "session").await.unwrap(), 10);
    assert_eq!(kv.entry_bytes(&a, "session", "s1").await.unwrap(), Some(7));
    assert_eq!(kv.entry_bytes(&a, "session", "none").await.unwrap(), None);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(kv.namespace_bytes(&a, "cache").await.unwrap(), 0);
    assert_eq!(kv.entry_bytes(&a, "cache", "c").await.unwrap(), None);
    kv.purge(&a).await.unwrap();
    kv.purge(&b).await.unwrap();
    assert_eq!(kv.namespace_bytes(&a, "session").await.unwrap(), 0);
}
