//! Load balancing across replicas: power of two choices on calls in flight,
//! skipping replicas whose circuit is open.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use serde_json::Value;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

use crate::layers::Breaker;
use crate::{CallError, FailureKind, UpstreamCall, all_failed};

/// One replica behind a [`Balance`].
#[derive(Clone)]
pub struct Endpoint {
    id: Arc<str>,
    breaker: Option<Arc<Breaker>>,
    in_flight: Arc<AtomicUsize>,
    service: BoxCloneSyncService<UpstreamCall, Value, CallError>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("id", &self.id)
            .field("in_flight", &self.in_flight.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// A replica named `id` (its URL) served by `service`; `breaker` is the
    /// circuit guarding it, consulted before choosing it.
    pub fn new<S>(id: impl Into<Arc<str>>, breaker: Option<Arc<Breaker>>, service: S) -> Self
    where
        S: Service<UpstreamCall, Response = Value, Error = CallError>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        Self {
            id: id.into(),
            breaker,
            in_flight: Arc::default(),
            service: BoxCloneSyncService::new(service),
        }
    }

    /// The replica's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Calls in flight to this replica.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    fn admits(&self) -> bool {
        self.breaker.as_ref().is_none_or(|b| b.admits())
    }
}

/// Chooses a replica for each call: two candidates drawn at random among
/// those whose circuit admits calls and that have not already failed this
/// call, the one with fewer calls in flight wins. A hung replica collects
/// in-flight calls, so it stops being chosen even before its circuit opens.
#[derive(Clone, Debug)]
pub struct Balance {
    what: Arc<str>,
    endpoints: Arc<[Endpoint]>,
    seed: Arc<AtomicU64>,
}

impl Balance {
    /// Balances calls for `what` (used in errors) across `endpoints`.
    pub fn new(what: impl Into<Arc<str>>, endpoints: Vec<Endpoint>) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9_7f4a_7c15, |d| d.as_nanos() as u64)
            | 1;
        Self {
            what: what.into(),
            endpoints: endpoints.into(),
            seed: Arc::new(AtomicU64::new(seed)),
        }
    }

    /// A pseudo-random number (xorshift; quality is not a concern here).
    fn next_random(&self) -> u64 {
        let mut x = self.seed.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.store(x, Ordering::Relaxed);
        x
    }

    fn choose(&self, avoid: &[String]) -> Result<&Endpoint, CallError> {
        let admitted: Vec<&Endpoint> = self.endpoints.iter().filter(|e| e.admits()).collect();
        let fresh: Vec<&Endpoint> = admitted
            .iter()
            .copied()
            .filter(|e| !avoid.iter().any(|a| **a == *e.id))
            .collect();
        let pool = if fresh.is_empty() { admitted } else { fresh };
        match pool.len() {
            0 => Err(CallError::new(
                FailureKind::NotSent,
                all_failed(
                    &self.what,
                    &self
                        .endpoints
                        .iter()
                        .map(|e| {
                            CallError::new(
                                FailureKind::NotSent,
                                omega_protocol::OmegaError::new(
                                    omega_protocol::ErrorCode::UPSTREAM_FAILED,
                                    "circuit open after repeated failures",
                                ),
                            )
                            .at(&e.id)
                        })
                        .collect::<Vec<_>>(),
                ),
            )),
            1 => Ok(pool[0]),
            n => {
                let r = self.next_random();
                let a = (r % n as u64) as usize;
                let b = ((r >> 32) % (n as u64 - 1)) as usize;
                let b = if b >= a { b + 1 } else { b };
                let (ea, eb) = (pool[a], pool[b]);
                Ok(if eb.in_flight() < ea.in_flight() {
                    eb
                } else {
                    ea
                })
            }
        }
    }
}

struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Service<UpstreamCall> for Balance {
    type Response = Value;
    type Error = CallError;
    type Future = BoxFuture<'static, Result<Value, CallError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        // Readiness is decided per call (a replica that cannot take it is
        // skipped or sheds), so the balancer never holds callers back.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: UpstreamCall) -> Self::Future {
        if self.endpoints.is_empty() {
            let what = self.what.clone();
            return Box::pin(async move {
                Err(CallError::new(
                    FailureKind::NotSent,
                    omega_protocol::OmegaError::new(
                        omega_protocol::ErrorCode::NO_LIVE_AGENT,
                        format!("no replica serves {what}"),
                    ),
                ))
            });
        }
        let endpoint = match self.choose(&req.avoid) {
            Ok(e) => e,
            Err(e) => return Box::pin(async move { Err(e) }),
        };
        endpoint.in_flight.fetch_add(1, Ordering::Relaxed);
        let guard = InFlightGuard(endpoint.in_flight.clone());
        let id = endpoint.id.clone();
        let svc = endpoint.service.clone();
        Box::pin(async move {
            let out = svc.oneshot(req).await.map_err(|e| e.at(&id));
            drop(guard);
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testing::{Behaviour, Scripted};
    use crate::layers::{BreakerConfig, CircuitBreakerLayer};
    use std::time::Duration;
    use tower::Layer;

    fn call() -> UpstreamCall {
        UpstreamCall::new("t", serde_json::Map::new())
    }

    #[tokio::test(start_paused = true)]
    async fn spreads_load_and_avoids_the_busy_replica() {
        let a = Scripted::new("a", Behaviour::Sleep(Duration::from_millis(10)));
        let b = Scripted::new("b", Behaviour::Sleep(Duration::from_millis(10)));
        let bal = Balance::new(
            "test",
            vec![
                Endpoint::new("a", None, a.clone()),
                Endpoint::new("b", None, b.clone()),
            ],
        );
        for _ in 0..200 {
            bal.clone().oneshot(call()).await.unwrap();
        }
        assert!(
            a.calls() > 50 && b.calls() > 50,
            "{} / {}",
            a.calls(),
            b.calls()
        );
        // A hung replica keeps its calls in flight; once one call is stuck
        // there, new calls go to the other.
        a.set(Behaviour::Hang);
        b.set(Behaviour::Ok);
        let mut stuck = Vec::new();
        while bal.endpoints[0].in_flight() == 0 {
            stuck.push(tokio::spawn(bal.clone().oneshot(call())));
            tokio::task::yield_now().await;
            assert!(stuck.len() < 100, "replica a is never chosen");
        }
        // Let the calls that went to b finish.
        tokio::time::sleep(Duration::from_millis(1)).await;
        let hung_calls = a.calls();
        for _ in 0..50 {
            let out = bal.clone().oneshot(call()).await.unwrap();
            assert_eq!(out["from"], "b");
        }
        assert_eq!(a.calls(), hung_calls);
        stuck.iter().for_each(|t| t.abort());
    }

    #[tokio::test(start_paused = true)]
    async fn skips_open_circuits_and_avoided_replicas() {
        let breaker = Arc::new(Breaker::new(
            "a",
            BreakerConfig {
                failure_threshold: 1,
                cool_off: Duration::from_secs(5),
            },
        ));
        let a = Scripted::new("a", Behaviour::Fail(FailureKind::Failed));
        let b = Scripted::new("b", Behaviour::Ok);
        let bal = Balance::new(
            "test",
            vec![
                Endpoint::new(
                    "a",
                    Some(breaker.clone()),
                    CircuitBreakerLayer::new(breaker.clone()).layer(a.clone()),
                ),
                Endpoint::new("b", None, b.clone()),
            ],
        );
        let mut avoid_b = call();
        avoid_b.avoid = vec!["b".into()];
        let err = bal.clone().oneshot(avoid_b).await.unwrap_err();
        assert_eq!(err.upstream.as_deref(), Some("a"));
        assert!(!breaker.admits());
        // With a's circuit open, even a call avoiding b goes to b.
        let mut avoid_b = call();
        avoid_b.avoid = vec!["b".into()];
        assert_eq!(bal.clone().oneshot(avoid_b).await.unwrap()["from"], "b");
        for _ in 0..20 {
            assert_eq!(bal.clone().oneshot(call()).await.unwrap()["from"], "b");
        }
        assert_eq!(a.calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn every_circuit_open_names_each_replica() {
        let mk = |name: &'static str| {
            let br = Arc::new(Breaker::new(
                name,
                BreakerConfig {
                    failure_threshold: 1,
                    cool_off: Duration::from_secs(5),
                },
            ));
            let up = Scripted::new(name, Behaviour::Fail(FailureKind::Failed));
            Endpoint::new(
                name,
                Some(br.clone()),
                CircuitBreakerLayer::new(br).layer(up),
            )
        };
        let bal = Balance::new("skill `x`", vec![mk("a"), mk("b")]);
        for _ in 0..2 {
            let mut c = call();
            c.avoid = vec!["a".into(), "b".into()];
            let _ = bal.clone().oneshot(c).await;
        }
        // Both may not have been tried yet; drive until both are open.
        for _ in 0..10 {
            let _ = bal.clone().oneshot(call()).await;
        }
        let err = bal.oneshot(call()).await.unwrap_err();
        assert_eq!(err.error.code, omega_protocol::ErrorCode::UPSTREAM_FAILED);
        let causes = &err.error.data.extra.as_ref().unwrap()["causes"];
        assert_eq!(causes.as_array().unwrap().len(), 2);
        assert_eq!(causes[0]["upstream"], "a");
        assert_eq!(causes[1]["upstream"], "b");
    }
}
