//! The Redis backend for sessions and the hot cache.
//!
//! Keys are `omega:{scope prefix}{namespace}:{key}`; TTLs are Redis's own
//! (`SET … PX`). The connection manager reconnects on its own after Redis
//! comes back; while it is away every call fails fast with
//! [`StoreError::Unavailable`] instead of hanging.
//!
//! The URL may carry a password (`redis://user:pw@host`): it is handed to
//! the Redis client only, and every error message and `Debug` rendering
//! shows it through [`redact_url`], so `/readyz` and the logs never do.

use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::{KvStore, Scope, StoreError, redact_url};

/// Connection settings for [`RedisKv`]. Its `Debug` hides the URL's
/// credentials.
#[derive(Clone)]
pub struct RedisKvConfig {
    /// `redis://host:port/db` (or `rediss://` for TLS), with credentials if
    /// Redis needs them (`redis://user:password@host:port/db`).
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

impl std::fmt::Debug for RedisKvConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisKvConfig")
            .field("url", &redact_url(&self.url))
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .finish()
    }
}

/// Key-value storage on Redis.
#[derive(Clone)]
pub struct RedisKv {
    conn: ConnectionManager,
    /// The URL without its credentials ([`redact_url`]), for messages.
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
        let shown = redact_url(&config.url);
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| StoreError::Invalid(format!("`{shown}` is not a valid Redis URL: {e}")))?;
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
                "Redis at {shown} did not answer within {:?}; is it running?",
                config.connect_timeout
            ))
        })?
        .map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot connect to Redis at {shown}: {e}; is it running?"
            ))
        })?;
        let kv = Self { conn, url: shown };
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

    async fn namespace_bytes(&self, scope: &Scope, ns: &str) -> Result<u64, StoreError> {
        // SCAN the namespace's keys, then STRLEN them in one pipeline per
        // batch. Scope prefixes and namespaces hold no glob characters.
        let mut conn = self.conn.clone();
        let base = Self::key(scope, ns, "");
        let pattern = format!("{base}*");
        let mut cursor: u64 = 0;
        let mut bytes = 0u64;
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
                let mut pipe = redis::pipe();
                for key in &keys {
                    pipe.strlen(key);
                }
                let lengths: Vec<u64> = pipe
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| unavailable(&self.url, e))?;
                for (key, len) in keys.iter().zip(lengths) {
                    // A key that expired since the SCAN reads as length 0.
                    if len > 0 {
                        bytes += (key.len() - base.len()) as u64 + len;
                    }
                }
            }
            if next == 0 {
                return Ok(bytes);
            }
            cursor = next;
        }
    }

    async fn entry_bytes(
        &self,
        scope: &Scope,
        ns: &str,
        key: &str,
    ) -> Result<Option<u64>, StoreError> {
        let mut conn = self.conn.clone();
        let physical = Self::key(scope, ns, key);
        let (exists, len): (bool, u64) = redis::pipe()
            .exists(&physical)
            .strlen(&physical)
            .query_async(&mut conn)
            .await
            .map_err(|e| unavailable(&self.url, e))?;
        Ok(exists.then_some((key.len() as u64) + len))
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Child, Command, Stdio};

    use super::*;

    const SECRET: &str = "hunter2";

    /// A private `redis-server` that only lets `user` in, with password
    /// `hunter2`; killed on drop.
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

    fn assert_hidden(what: &str, text: &str) {
        assert!(!text.contains(SECRET), "{what} shows the password: {text}");
    }

    #[tokio::test]
    async fn an_unreachable_redis_is_named_without_its_password() {
        let config = RedisKvConfig::new("redis://user:hunter2@127.0.0.1:1/");
        assert_hidden("the config's Debug", &format!("{config:?}"));
        let err = RedisKv::connect(config).await.unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        let (display, debug) = (err.to_string(), format!("{err:?}"));
        assert_hidden("Display", &display);
        assert_hidden("Debug", &debug);
        assert!(
            display.contains("redis://<redacted>@127.0.0.1:1/"),
            "{display}"
        );
        // What a role's `/readyz` and an MCP error would carry.
        let omega: omega_protocol::OmegaError = err.into();
        assert_hidden("the OMEGA error", &format!("{omega:?}"));
    }

    #[tokio::test]
    async fn an_invalid_url_is_shown_without_its_password() {
        for url in [
            "redis://user:hunter2@",
            "redis://user:hunter2@host:notaport/",
        ] {
            let err = RedisKv::connect(RedisKvConfig::new(url)).await.unwrap_err();
            assert!(matches!(err, StoreError::Invalid(_)), "{url}: {err:?}");
            assert_hidden("Display", &err.to_string());
            assert_hidden("Debug", &format!("{err:?}"));
        }
    }

    /// The readiness probe of a role over Redis reports `ping`'s error
    /// (`kv.ping().await.map_err(|e| e.to_string())`): once Redis is gone it
    /// names the server without the password.
    #[tokio::test]
    async fn readiness_after_losing_redis_hides_the_password() {
        let port = omega_testkit::free_port();
        let server = PasswordRedis::start(port);
        let url = format!("redis://user:hunter2@127.0.0.1:{port}/");
        let kv = RedisKv::connect(RedisKvConfig::new(&url)).await.unwrap();
        kv.ping().await.unwrap();
        assert_hidden("RedisKv's Debug", &format!("{kv:?}"));

        drop(server);
        let reason = kv.ping().await.map_err(|e| e.to_string()).unwrap_err();
        assert_hidden("the readiness reason", &reason);
        assert!(
            reason.contains(&format!("redis://<redacted>@127.0.0.1:{port}/")),
            "{reason}"
        );
        let err = kv.get(&Scope::Global, "ns", "k").await.unwrap_err();
        assert_hidden("a call's error", &format!("{err} {err:?}"));
    }
}
