//! Redis Streams backend: one stream and consumer group per queue, Lua scripts for atomic moves.
//!
//! - enqueue: `SET NX [EX window]` dedupe key and `XADD`, in one script;
//! - lease: expired leases (sorted set of deadlines) and due retries (sorted set) are moved back
//!   into the stream, then `XREADGROUP ... >` hands out new entries and records their deadlines;
//! - ack: `XACK` + `XDEL`, only if the caller still holds the lease;
//! - nack / expiry: the entry is acked and the message re-added with its delivery counter raised,
//!   after a backoff, or to `<queue>.dlq` when out of attempts (see [`scripts`] for the layout);
//! - depth: `XLEN` minus live leases, `ZCARD` of the delay set, `XLEN` of the dead-letter stream,
//!   and the age of the stream's head entry.
//!
//! Time comes from Redis (`TIME`), so consumers on hosts with skewed clocks agree on deadlines.

mod scripts;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use omega_store::redact_url;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Value};
use serde::{Deserialize, Serialize};

use self::scripts::Scripts;
use crate::error::{QueueError, Result};
use crate::queue::Queue;
use crate::types::{
    DLQ_SUFFIX, EnqueueOutcome, Lease, Message, NackOutcome, QueueSettings, QueueStats, dlq_name,
    validate_queue_name,
};

/// Settings of the Redis backend. Its `Debug` hides the URL's credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RedisQueueConfig {
    /// Redis URL, e.g. `redis://127.0.0.1:6379`, with credentials if Redis needs them
    /// (`redis://user:password@host:6379`); errors and logs show it without them
    /// ([`omega_store::redact_url`]).
    pub url: String,
    /// Prefix of every key (default `omega:q`).
    pub key_prefix: String,
    /// Consumer group name (default `omega`).
    pub group: String,
    /// How long to wait for the first connection, in milliseconds (default 2000).
    pub connect_timeout_ms: u64,
    /// Per-queue behaviour.
    pub queues: QueueSettings,
}

impl Default for RedisQueueConfig {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379".into(),
            key_prefix: "omega:q".into(),
            group: "omega".into(),
            connect_timeout_ms: 2000,
            queues: QueueSettings::default(),
        }
    }
}

impl std::fmt::Debug for RedisQueueConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueueConfig")
            .field("url", &redact_url(&self.url))
            .field("key_prefix", &self.key_prefix)
            .field("group", &self.group)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("queues", &self.queues)
            .finish()
    }
}

/// A queue backed by Redis Streams. Cheap to clone.
#[derive(Clone)]
pub struct RedisQueue {
    conn: ConnectionManager,
    cfg: Arc<RedisQueueConfig>,
    scripts: Arc<Scripts>,
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue")
            .field("url", &redact_url(&self.cfg.url))
            .field("key_prefix", &self.cfg.key_prefix)
            .finish_non_exhaustive()
    }
}

/// Keys of one queue.
struct Keys {
    stream: String,
    leases: String,
    owner: String,
    delayed: String,
    base: String,
}

impl RedisQueue {
    /// Connects to Redis; fails with [`QueueError::RedisUnavailable`] naming the URL if Redis
    /// cannot be reached within `connectTimeoutMs`.
    pub async fn connect(cfg: RedisQueueConfig) -> Result<Self> {
        let unavailable = |source| QueueError::RedisUnavailable {
            url: redact_url(&cfg.url),
            source,
        };
        let client = redis::Client::open(cfg.url.as_str()).map_err(unavailable)?;
        let timeout = Duration::from_millis(cfg.connect_timeout_ms.max(1));
        let mcfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_number_of_retries(1);
        let mut conn = ConnectionManager::new_with_config(client, mcfg)
            .await
            .map_err(unavailable)?;
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        tracing::info!(url = %redact_url(&cfg.url), prefix = %cfg.key_prefix, "redis queue connected");
        Ok(Self {
            conn,
            cfg: Arc::new(cfg),
            scripts: Arc::new(Scripts::new()),
        })
    }

    fn keys(&self, queue: &str) -> Keys {
        let tag = queue.strip_suffix(DLQ_SUFFIX).unwrap_or(queue);
        let base = format!("{}:{{{tag}}}:{queue}", self.cfg.key_prefix);
        Keys {
            stream: format!("{base}:s"),
            leases: format!("{base}:l"),
            owner: format!("{base}:o"),
            delayed: format!("{base}:d"),
            base,
        }
    }

    fn id_key(&self, queue: &str, kind: &str, tenant: &str, id: &str) -> String {
        format!(
            "{}:{kind}:{}:{tenant}:{id}",
            self.keys(queue).base,
            tenant.len()
        )
    }

    /// Deletes every key of `queue` and its dead-letter queue, dedupe keys and done markers
    /// included (SCAN + DEL). For tests, benchmarks and tooling; never on a live queue.
    pub async fn purge(&self, queue: &str) -> Result<()> {
        validate_queue_name(queue)?;
        let mut conn = self.conn.clone();
        for q in [queue.to_owned(), dlq_name(queue)] {
            let pattern = format!("{}:*", self.keys(&q).base);
            let mut cursor: u64 = 0;
            loop {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut conn)
                    .await?;
                if !keys.is_empty() {
                    let _: () = conn.del(keys).await?;
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(())
    }

    /// Deletes the dedupe key and done marker of one message id (tests and replay tooling).
    pub async fn forget_id(&self, queue: &str, tenant: &str, id: &str) -> Result<()> {
        let mut conn = self.conn.clone();
        let _: () = conn
            .del(&[
                self.id_key(queue, "k", tenant, id),
                self.id_key(queue, "x", tenant, id),
            ])
            .await?;
        Ok(())
    }

    fn parse(lease: &Lease) -> Result<(&str, &str)> {
        lease
            .token
            .strip_prefix("r:")
            .and_then(|t| t.split_once(' '))
            .ok_or_else(|| QueueError::ForeignLease {
                token: lease.token.clone(),
            })
    }

    fn lost(lease: &Lease) -> QueueError {
        QueueError::LeaseLost {
            queue: lease.queue.clone(),
            id: lease.message.id.clone(),
        }
    }
}

fn text(v: &Value) -> Result<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).map_err(|e| corrupt(&e)),
        Value::SimpleString(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        other => Err(corrupt(&format!("expected a string, got {other:?}"))),
    }
}

fn int(v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => text(other)?.parse().map_err(|e| corrupt(&e)),
    }
}

fn corrupt(e: &dyn std::fmt::Display) -> QueueError {
    QueueError::Corrupt(e.to_string())
}

/// Builds a message from a stream entry's flat field list.
fn message(flat: &Value) -> Result<Message> {
    let Value::Array(items) = flat else {
        return Err(corrupt(&"stream entry fields are not an array"));
    };
    let mut m = Message::new("", "", serde_json::Value::Null);
    let mut prior = 0u32;
    for pair in items.chunks(2) {
        let [k, v] = pair else { break };
        let v = text(v)?;
        match text(k)?.as_str() {
            "id" => m.id = v,
            "tenant" => m.tenant = v,
            "p" => m.payload = serde_json::from_str(&v).map_err(|e| corrupt(&e))?,
            "a" => prior = v.parse().map_err(|e| corrupt(&e))?,
            "r" => m.failures = serde_json::from_str(&v).map_err(|e| corrupt(&e))?,
            "t" => m.enqueued_at_ms = v.parse().map_err(|e| corrupt(&e))?,
            _ => {}
        }
    }
    m.attempts = prior + 1;
    Ok(m)
}

#[async_trait]
impl Queue for RedisQueue {
    async fn enqueue(&self, queue: &str, msg: Message) -> Result<EnqueueOutcome> {
        validate_queue_name(queue)?;
        msg.validate()?;
        let k = self.keys(queue);
        let window = self
            .cfg
            .queues
            .options(queue)
            .dedupe_window_secs
            .unwrap_or(0);
        let payload = serde_json::to_string(&msg.payload).map_err(|e| corrupt(&e))?;
        let mut conn = self.conn.clone();
        let added: i64 = self
            .scripts
            .enqueue
            .key(&k.stream)
            .key(self.id_key(queue, "k", &msg.tenant, &msg.id))
            .arg(&self.cfg.group)
            .arg(window)
            .arg(&msg.id)
            .arg(&msg.tenant)
            .arg(payload)
            .invoke_async(&mut conn)
            .await?;
        Ok(if added == 1 {
            EnqueueOutcome::Enqueued
        } else {
            EnqueueOutcome::Duplicate
        })
    }

    async fn lease(
        &self,
        queue: &str,
        consumer: &str,
        max: usize,
        lease_duration: Duration,
    ) -> Result<Vec<Lease>> {
        validate_queue_name(queue)?;
        let k = self.keys(queue);
        let dlq = self.keys(&dlq_name(queue));
        let opts = self.cfg.queues.options(queue);
        let token = uuid::Uuid::new_v4().simple().to_string();
        let mut conn = self.conn.clone();
        let reply: Value = self
            .scripts
            .lease
            .key(&k.stream)
            .key(&k.leases)
            .key(&k.owner)
            .key(&k.delayed)
            .key(&dlq.stream)
            .arg(&self.cfg.group)
            .arg(consumer)
            .arg(max)
            .arg(lease_duration.as_millis() as u64)
            .arg(opts.max_attempts)
            .arg(token)
            .invoke_async(&mut conn)
            .await?;
        let Value::Array(items) = reply else {
            return Err(corrupt(&"lease reply is not an array"));
        };
        let deadline = items.first().map(int).transpose()?.unwrap_or(0) as u64;
        let mut out = Vec::new();
        for e in items[1..].chunks(3) {
            let [eid, who, fields] = e else {
                return Err(corrupt(&"lease reply has a partial entry"));
            };
            out.push(Lease {
                queue: queue.to_owned(),
                consumer: consumer.to_owned(),
                message: message(fields)?,
                expires_at_ms: deadline,
                token: format!("r:{} {}", text(eid)?, text(who)?),
            });
        }
        Ok(out)
    }

    async fn extend_lease(&self, lease: &Lease, lease_duration: Duration) -> Result<Lease> {
        let (eid, who) = Self::parse(lease)?;
        let k = self.keys(&lease.queue);
        let mut conn = self.conn.clone();
        let deadline: i64 = self
            .scripts
            .extend
            .key(&k.leases)
            .key(&k.owner)
            .arg(eid)
            .arg(who)
            .arg(lease_duration.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        if deadline == 0 {
            return Err(Self::lost(lease));
        }
        Ok(Lease {
            expires_at_ms: deadline as u64,
            ..lease.clone()
        })
    }

    async fn ack(&self, lease: &Lease) -> Result<()> {
        let (eid, who) = Self::parse(lease)?;
        let k = self.keys(&lease.queue);
        let mut conn = self.conn.clone();
        let ok: i64 = self
            .scripts
            .ack
            .key(&k.stream)
            .key(&k.leases)
            .key(&k.owner)
            .arg(&self.cfg.group)
            .arg(eid)
            .arg(who)
            .invoke_async(&mut conn)
            .await?;
        if ok == 1 {
            Ok(())
        } else {
            Err(Self::lost(lease))
        }
    }

    async fn nack(&self, lease: &Lease, reason: &str) -> Result<NackOutcome> {
        let (eid, who) = Self::parse(lease)?;
        let k = self.keys(&lease.queue);
        let dlq = self.keys(&dlq_name(&lease.queue));
        let opts = self.cfg.queues.options(&lease.queue);
        let delay = opts.backoff(lease.message.attempts);
        let reason = crate::types::cut_reason(reason);
        let mut conn = self.conn.clone();
        let (status, attempts): (i64, i64) = self
            .scripts
            .nack
            .key(&k.stream)
            .key(&k.leases)
            .key(&k.owner)
            .key(&k.delayed)
            .key(&dlq.stream)
            .arg(&self.cfg.group)
            .arg(eid)
            .arg(who)
            .arg(reason)
            .arg(delay.as_millis() as u64)
            .arg(opts.max_attempts)
            .invoke_async(&mut conn)
            .await?;
        let attempts = attempts as u32;
        match status {
            1 => Ok(NackOutcome::Retry { delay, attempts }),
            2 => {
                tracing::warn!(queue = %lease.queue, id = %lease.message.id, tenant = %lease.message.tenant, attempts, "message dead-lettered");
                Ok(NackOutcome::DeadLettered { attempts })
            }
            _ => Err(Self::lost(lease)),
        }
    }

    async fn depth(&self, queue: &str) -> Result<QueueStats> {
        validate_queue_name(queue)?;
        let k = self.keys(queue);
        let dlq = self.keys(&dlq_name(queue));
        let mut conn = self.conn.clone();
        let (ready, leased, delayed, dead, age): (i64, i64, i64, i64, i64) = self
            .scripts
            .depth
            .key(&k.stream)
            .key(&k.leases)
            .key(&k.delayed)
            .key(&dlq.stream)
            .invoke_async(&mut conn)
            .await?;
        Ok(QueueStats {
            ready: ready.max(0) as u64,
            leased: leased.max(0) as u64,
            delayed: delayed.max(0) as u64,
            dead_lettered: dead.max(0) as u64,
            oldest_age_ms: (age >= 0).then_some(age as u64),
        })
    }

    async fn mark_done(&self, queue: &str, tenant: &str, id: &str) -> Result<()> {
        validate_queue_name(queue)?;
        let key = self.id_key(queue, "x", tenant, id);
        let mut conn = self.conn.clone();
        let now = crate::types::now_ms();
        let _: () = match self.cfg.queues.options(queue).dedupe_window_secs {
            Some(secs) => conn.set_ex(key, now, secs.max(1)).await?,
            None => conn.set(key, now).await?,
        };
        Ok(())
    }

    async fn is_done(&self, queue: &str, tenant: &str, id: &str) -> Result<bool> {
        validate_queue_name(queue)?;
        let mut conn = self.conn.clone();
        Ok(conn.exists(self.id_key(queue, "x", tenant, id)).await?)
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Child, Command, Stdio};

    use super::*;

    const SECRET: &str = "hunter2";

    /// A private `redis-server` that only lets `user` in, with password `hunter2`; killed on drop.
    struct PasswordRedis(Child);

    impl PasswordRedis {
        fn start(port: u16) -> Self {
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--user", "default", "off"])
                .args(["--user", "user", "on", ">hunter2", "~*", "&*", "+@all"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server must be installed");
            let server = Self(child);
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return server;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            panic!("redis-server did not start on port {port}");
        }
    }

    impl Drop for PasswordRedis {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    }

    fn assert_hidden(what: &str, text: &str) {
        assert!(!text.contains(SECRET), "{what} shows the password: {text}");
    }

    #[tokio::test]
    async fn an_unreachable_redis_is_named_without_its_password() {
        let cfg = RedisQueueConfig {
            url: "redis://user:hunter2@127.0.0.1:1/".into(),
            connect_timeout_ms: 500,
            ..RedisQueueConfig::default()
        };
        assert_hidden("the config's Debug", &format!("{cfg:?}"));
        let err = RedisQueue::connect(cfg).await.unwrap_err();
        assert!(
            matches!(err, QueueError::RedisUnavailable { .. }),
            "{err:?}"
        );
        let display = err.to_string();
        assert_hidden("Display", &display);
        assert_hidden("Debug", &format!("{err:?}"));
        assert!(
            display.contains("redis://<redacted>@127.0.0.1:1/"),
            "{display}"
        );

        let cfg = RedisQueueConfig {
            url: "redis://user:hunter2@host:notaport/".into(),
            ..RedisQueueConfig::default()
        };
        let err = RedisQueue::connect(cfg).await.unwrap_err();
        assert_hidden("an invalid URL's error", &format!("{err} {err:?}"));
    }

    /// The ingest, team and capacity roles report the queue's error as their readiness reason
    /// (`queue.depth(..).map_err(|e| e.to_string())`): once Redis is gone it holds no password.
    #[tokio::test]
    async fn readiness_after_losing_redis_hides_the_password() {
        let port = free_port();
        let server = PasswordRedis::start(port);
        let q = RedisQueue::connect(RedisQueueConfig {
            url: format!("redis://user:hunter2@127.0.0.1:{port}/"),
            key_prefix: format!("omega-redact-{port}:q"),
            ..RedisQueueConfig::default()
        })
        .await
        .unwrap();
        q.depth("ticket-raw").await.unwrap();
        assert_hidden("RedisQueue's Debug", &format!("{q:?}"));

        drop(server);
        let reason = q.depth("ticket-raw").await.map_err(|e| e.to_string());
        let reason = reason.unwrap_err();
        assert_hidden("the readiness reason", &reason);
        let err = q.depth("ticket-raw").await.unwrap_err();
        assert_hidden("a call's Debug", &format!("{err:?}"));
    }
}
