//! The Redis backend for sessions and the hot cache.
//!
//! Keys are `omega:{scope prefix}{namespace}:{key}`; TTLs are Redis's own
//! (`SET … PX`). The connection manager reconnects on its own after Redis
//! comes back; while it is away every call fails fast with
//! [`StoreError::Unavailable`] instead of hanging.

use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::{KvStore, Scope, StoreError};

/// Connection settings for [`RedisKv`].
#[derive(Debug, Clone)]
pub struct RedisKvConfig {
    /// `redis://host:port/db` (or `rediss://` for TLS).
    pub url: String,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long to wait for a reply before reporting the backend unavailable.
    pub response_timeout: Duration,
}

impl RedisKvConfig {
    /// Settings for `url` with timeouts suited to an interactive tool call.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(2),
        }
    }
}

/// Key-value storage on Redis.
#[derive(Clone)]
pub struct RedisKv {
    conn: ConnectionManager,
    url: String,
}

impl std::fmt::Debug for RedisKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisKv").field("url", &self.url).finish()
    }
}

fn unavailable(url: &str, err: redis::RedisError) -> StoreError {
    if err.is_io_error()
        || err.is_timeout()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
    {
        StoreError::Unavailable(format!("Redis at {url} is unreachable: {err}"))
    } else {
        StoreError::Backend(format!("Redis at {url} failed: {err}"))
    }
}

impl RedisKv {
    /// Connects to Redis. Fails with a clear error when Redis cannot be
    /// reached now, so a misconfigured deployment stops at start.
    pub async fn connect(config: RedisKvConfig) -> Result<Self, StoreError> {
        let client = redis::Client::open(config.url.as_str()).map_err(|e| {
            StoreError::Invalid(format!("`{}` is not a valid Redis URL: {e}", config.url))
        })?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.response_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let conn = tokio::time::timeout(
            config.connect_timeout + Duration::from_millis(500),
            ConnectionManager::new_with_config(client, manager_config),
        )
        .await
        .map_err(|_| {
            StoreError::Unavailable(format!(
                "Redis at {} did not answer within {:?}; is it running?",
                config.url, config.connect_timeout
            ))
        })?
        .map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot connect to Redis at {}: {e}; is it running?",
                config.url
            ))
        })?;
        let kv = Self {
            conn,
            url: config.url,
        };
        kv.ping().await?;
        Ok(kv)
    }

    fn key(scope: &Scope, ns: &str, key: &str) -> String {
        format!("omega:{}", scope.key(ns, key))
    }
}

#[async_trait]
impl KvStore for RedisKv {
    async fn get(&self, scope: &Scope, ns: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.clone();
        conn.get(Self::key(scope, ns, key))
            .await
            .map_err(|e| unavailable(&self.url, e))
    }

    async fn put(
        &self,
        scope: &Scope,
        ns: &str,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let key = Self::key(scope, ns, key);
        let result: Result<(), _> = match ttl {
            Some(ttl) => {
                conn.pset_ex(key, value, ttl.as_millis().max(1) as u64)
                    .await
            }
            None => conn.set(key, value).await,
        };
        result.map_err(|e| unavailable(&self.url, e))
    }

    async fn delete(&self, scope: &Scope, ns: &str, key: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let removed: u64 = conn
            .del(Self::key(scope, ns, key))
            .await
            .map_err(|e| unavailable(&self.url, e))?;
        Ok(removed > 0)
    }

    async fn purge(&self, scope: &Scope) -> Result<u64, StoreError> {
        let mut conn = self.conn.clone();
        let pattern = format!("omega:{}*", scope.prefix());
        let mut cursor: u64 = 0;
        let mut removed = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut conn)
                .await
                .map_err(|e| unavailable(&self.url, e))?;
            if !keys.is_empty() {
                let n: u64 = conn
                    .del(keys)
                    .await
                    .map_err(|e| unavailable(&self.url, e))?;
                removed += n;
            }
            if next == 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(|e| unavailable(&self.url, e))?;
        Ok(())
    }
}
