//! A circuit breaker per upstream: closed → open after N consecutive
//! failures → half-open after a cool-off (one probe call) → closed when the
//! probe succeeds, open again when it fails.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use omega_protocol::{ErrorCode, OmegaError};
use serde_json::json;
use tokio::time::Instant;
use tower::{Layer, Service};

use crate::{CallError, FailureKind};

/// Circuit breaker settings (`[federation.breaker]`; defined in `omega-config`).
pub use omega_config::federation::BreakerConfig;

/// The state of a circuit, as observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Calls flow.
    Closed,
    /// Calls are refused until the cool-off ends.
    Open,
    /// The cool-off ended; the next call is a probe.
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// The shared state of one upstream's circuit.
#[derive(Debug)]
pub struct Breaker {
    name: Arc<str>,
    config: BreakerConfig,
    state: Mutex<State>,
}

/// What a call was admitted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    Normal,
    Probe,
}

impl Breaker {
    /// A closed circuit for the upstream `name`.
    pub fn new(name: impl Into<Arc<str>>, config: BreakerConfig) -> Self {
        Self {
            name: name.into(),
            config: BreakerConfig {
                failure_threshold: config.failure_threshold.max(1),
                ..config
            },
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    /// The current state (an open circuit whose cool-off ended reads as half-open).
    pub fn state(&self) -> CircuitState {
        match &*self.state.lock().expect("breaker lock") {
            State::Closed { .. } => CircuitState::Closed,
            State::Open { until } if Instant::now() < *until => CircuitState::Open,
            State::Open { .. } | State::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    /// Whether a call now would be let through (without taking the probe).
    pub fn admits(&self) -> bool {
        match &*self.state.lock().expect("breaker lock") {
            State::Closed { .. } => true,
            State::Open { until } => Instant::now() >= *until,
            State::HalfOpen { probing } => !probing,
        }
    }

    fn admit(&self) -> Result<Admission, CallError> {
        let mut state = self.state.lock().expect("breaker lock");
        let now = Instant::now();
        match &*state {
            State::Closed { .. } => return Ok(Admission::Normal),
            State::Open { until } if now >= *until => {}
            State::HalfOpen { probing: false } => {}
            State::Open { until } => {
                let left = until.saturating_duration_since(now);
                return Err(self.refusal(Some(left)));
            }
            State::HalfOpen { probing: true } => return Err(self.refusal(None)),
        }
        tracing::info!(upstream = %self.name, "circuit half-open: sending a probe");
        *state = State::HalfOpen { probing: true };
        Ok(Admission::Probe)
    }

    fn refusal(&self, retry_after: Option<Duration>) -> CallError {
        let mut extra = json!({"circuit": "open", "upstream": &*self.name});
        if let Some(left) = retry_after {
            extra["retryAfterMs"] = json!(left.as_millis() as u64);
        }
        CallError::new(
            FailureKind::NotSent,
            OmegaError::new(
                ErrorCode::UPSTREAM_FAILED,
                format!(
                    "the circuit to {} is open after repeated failures",
                    self.name
                ),
            )
            .with_hint("another replica is used when one is available; retry later")
            .with_extra(extra),
        )
        .at(&self.name)
    }

    fn record(&self, admission: Admission, outcome: Option<bool>) {
        let mut state = self.state.lock().expect("breaker lock");
        match (outcome, &mut *state) {
            // Neutral (cancelled, or refused before reaching the upstream):
            // a probe slot is released, nothing else changes.
            (None, State::HalfOpen { probing }) if admission == Admission::Probe => {
                *probing = false;
            }
            (None, _) => {}
            (Some(true), s) => {
                if !matches!(s, State::Closed { .. }) {
                    tracing::info!(upstream = %self.name, "circuit closed: the upstream recovered");
                }
                *s = State::Closed { failures: 0 };
            }
            (Some(false), State::Closed { failures }) => {
                *failures += 1;
                if *failures >= self.config.failure_threshold {
                    tracing::warn!(
                        upstream = %self.name,
                        failures = *failures,
                        cool_off_ms = self.config.cool_off.as_millis() as u64,
                        "circuit opened"
                    );
                    *state = State::Open {
                        until: Instant::now() + self.config.cool_off,
                    };
                }
            }
            (Some(false), s @ State::HalfOpen { .. }) => {
                tracing::warn!(upstream = %self.name, "probe failed: circuit open again");
                *s = State::Open {
                    until: Instant::now() + self.config.cool_off,
                };
            }
            // A call admitted before the circuit opened failed late: the
            // circuit is already open, its cool-off stands.
            (Some(false), State::Open { .. }) => {}
        }
    }
}

/// Records the outcome of an admitted call; a dropped (cancelled) call is neutral.
struct Ticket {
    breaker: Arc<Breaker>,
    admission: Admission,
    done: bool,
}

impl Ticket {
    fn finish(mut self, outcome: Option<bool>) {
        self.done = true;
        self.breaker.record(self.admission, outcome);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.done {
            self.breaker.record(self.admission, None);
        }
    }
}

/// Wraps a service with a shared [`Breaker`].
#[derive(Debug, Clone)]
pub struct CircuitBreakerLayer {
    breaker: Arc<Breaker>,
}

impl CircuitBreakerLayer {
    /// A layer guarding with `breaker`.
    pub fn new(breaker: Arc<Breaker>) -> Self {
        Self { breaker }
    }
}

impl<S> Layer<S> for CircuitBreakerLayer {
    type Service = CircuitBreaker<S>;
    fn layer(&self, inner: S) -> CircuitBreaker<S> {
        CircuitBreaker {
            inner,
            breaker: self.breaker.clone(),
        }
    }
}

/// The service made by [`CircuitBreakerLayer`].
#[derive(Debug, Clone)]
pub struct CircuitBreaker<S> {
    inner: S,
    breaker: Arc<Breaker>,
}

impl<S> CircuitBreaker<S> {
    /// The breaker's shared state.
    pub fn breaker(&self) -> &Arc<Breaker> {
        &self.breaker
    }
}

impl<S, R> Service<R> for CircuitBreaker<S>
where
    S: Service<R, Error = CallError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = CallError;
    type Future = BoxFuture<'static, Result<S::Response, CallError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let admission = match self.breaker.admit() {
            Ok(a) => a,
            Err(e) => return Box::pin(async move { Err(e) }),
        };
        let ticket = Ticket {
            breaker: self.breaker.clone(),
            admission,
            done: false,
        };
        let fut = self.inner.call(req);
        Box::pin(async move {
            let result = fut.await;
            let outcome = match &result {
                Ok(_) => Some(true),
                Err(e) if e.counts_against_upstream() => Some(false),
                Err(e) if e.kind == FailureKind::Answered => Some(true),
                Err(_) => None,
            };
            ticket.finish(outcome);
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UpstreamCall;
    use crate::layers::testing::{Behaviour, Scripted};
    use tower::ServiceExt;

    fn call() -> UpstreamCall {
        UpstreamCall::new("t", serde_json::Map::new())
    }

    #[tokio::test(start_paused = true)]
    async fn opens_half_opens_and_closes() {
        let breaker = Arc::new(Breaker::new(
            "http://a",
            BreakerConfig {
                failure_threshold: 3,
                cool_off: Duration::from_secs(10),
            },
        ));
        let up = Scripted::new("a", Behaviour::Fail(FailureKind::Failed));
        let svc = CircuitBreakerLayer::new(breaker.clone()).layer(up.clone());
        for _ in 0..3 {
            assert_eq!(breaker.state(), CircuitState::Closed);
            let e = svc.clone().oneshot(call()).await.unwrap_err();
            assert_eq!(e.kind, FailureKind::Failed);
        }
        assert_eq!(breaker.state(), CircuitState::Open);
        assert!(!breaker.admits());
        // Open: refused without reaching the upstream.
        let e = svc.clone().oneshot(call()).await.unwrap_err();
        assert_eq!(e.kind, FailureKind::NotSent);
        assert_eq!(e.error.data.extra.as_ref().unwrap()["circuit"], "open");
        assert_eq!(e.error.data.extra.as_ref().unwrap()["retryAfterMs"], 10_000);
        assert_eq!(up.calls(), 3);
        // After the cool-off a probe goes through; it fails: open again.
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        svc.clone().oneshot(call()).await.unwrap_err();
        assert_eq!(up.calls(), 4);
        assert_eq!(breaker.state(), CircuitState::Open);
        // Next probe succeeds: closed.
        tokio::time::advance(Duration::from_secs(10)).await;
        up.set(Behaviour::Ok);
        svc.clone().oneshot(call()).await.unwrap();
        assert_eq!(breaker.state(), CircuitState::Closed);
        svc.oneshot(call()).await.unwrap();
        assert_eq!(up.calls(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn only_one_probe_at_a_time_and_answers_count_as_health() {
        let breaker = Arc::new(Breaker::new(
            "b",
            BreakerConfig {
                failure_threshold: 1,
                cool_off: Duration::from_secs(1),
            },
        ));
        let up = Scripted::new("b", Behaviour::Fail(FailureKind::Deadline));
        let svc = CircuitBreakerLayer::new(breaker.clone()).layer(up.clone());
        svc.clone().oneshot(call()).await.unwrap_err();
        assert_eq!(breaker.state(), CircuitState::Open);
        tokio::time::advance(Duration::from_secs(1)).await;
        up.set(Behaviour::Sleep(Duration::from_millis(100)));
        let probe = tokio::spawn(svc.clone().oneshot(call()));
        tokio::task::yield_now().await;
        let e = svc.clone().oneshot(call()).await.unwrap_err();
        assert_eq!(e.kind, FailureKind::NotSent, "second call during the probe");
        probe.await.unwrap().unwrap();
        assert_eq!(breaker.state(), CircuitState::Closed);
        // A tool-level error is the upstream answering: it does not count.
        up.set(Behaviour::Fail(FailureKind::Answered));
        for _ in 0..5 {
            svc.clone().oneshot(call()).await.unwrap_err();
        }
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_probe_frees_the_probe_slot() {
        let breaker = Arc::new(Breaker::new(
            "c",
            BreakerConfig {
                failure_threshold: 1,
                cool_off: Duration::from_secs(1),
            },
        ));
        let up = Scripted::new("c", Behaviour::Fail(FailureKind::Failed));
        let svc = CircuitBreakerLayer::new(breaker.clone()).layer(up.clone());
        svc.clone().oneshot(call()).await.unwrap_err();
        tokio::time::advance(Duration::from_secs(1)).await;
        up.set(Behaviour::Hang);
        let _ = tokio::time::timeout(Duration::from_millis(1), svc.clone().oneshot(call())).await;
        assert!(breaker.admits(), "the dropped probe released its slot");
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
    }
}
