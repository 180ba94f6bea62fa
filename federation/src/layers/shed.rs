//! Concurrency limit with load shedding: a call over the limit is refused at
//! once with `overloaded`; nothing waits in a queue.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use omega_protocol::{ErrorCode, OmegaError};
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::{Layer, Service};

use crate::{CallError, FailureKind};

/// A shared in-flight limit. Cheap to clone; clones share the count.
#[derive(Debug, Clone)]
pub struct InFlight {
    what: Arc<str>,
    max: usize,
    permits: Arc<Semaphore>,
}

impl InFlight {
    /// At most `max` calls to `what` at once (`max` 0 is taken as 1).
    pub fn new(what: impl Into<Arc<str>>, max: usize) -> Self {
        let max = max.max(1);
        Self {
            what: what.into(),
            max,
            permits: Arc::new(Semaphore::new(max)),
        }
    }

    /// A slot, or the `overloaded` error when every slot is taken.
    pub fn try_acquire(&self) -> Result<OwnedSemaphorePermit, CallError> {
        self.permits.clone().try_acquire_owned().map_err(|_| {
            CallError::new(
                FailureKind::NotSent,
                OmegaError::new(
                    ErrorCode::OVERLOADED,
                    format!(
                        "{} is at its limit of {} calls in flight",
                        self.what, self.max
                    ),
                )
                .with_hint("retry with backoff")
                .with_extra(json!({"limit": self.max})),
            )
        })
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.max - self.permits.available_permits()
    }
}

/// Wraps a service with an [`InFlight`] limit.
#[derive(Debug, Clone)]
pub struct ShedLayer {
    limit: InFlight,
}

impl ShedLayer {
    /// Shares `limit` between every service this layer wraps.
    pub fn new(limit: InFlight) -> Self {
        Self { limit }
    }
}

impl<S> Layer<S> for ShedLayer {
    type Service = Shed<S>;
    fn layer(&self, inner: S) -> Shed<S> {
        Shed {
            inner,
            limit: self.limit.clone(),
        }
    }
}

/// The service made by [`ShedLayer`].
#[derive(Debug, Clone)]
pub struct Shed<S> {
    inner: S,
    limit: InFlight,
}

impl<S, R> Service<R> for Shed<S>
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
        match self.limit.try_acquire() {
            Ok(permit) => {
                let fut = self.inner.call(req);
                Box::pin(async move {
                    let out = fut.await;
                    drop(permit);
                    out
                })
            }
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UpstreamCall;
    use crate::layers::testing::{Behaviour, Scripted};
    use std::time::Duration;
    use tower::ServiceExt;

    #[tokio::test(start_paused = true)]
    async fn over_the_limit_is_refused_at_once_and_slots_come_back() {
        let up = Scripted::new("a", Behaviour::Sleep(Duration::from_millis(100)));
        let limit = InFlight::new("the test upstream", 2);
        let svc = ShedLayer::new(limit.clone()).layer(up.clone());
        let call = || UpstreamCall::new("t", serde_json::Map::new());
        let a = tokio::spawn(svc.clone().oneshot(call()));
        let b = tokio::spawn(svc.clone().oneshot(call()));
        tokio::task::yield_now().await;
        assert_eq!(limit.in_flight(), 2);
        let start = tokio::time::Instant::now();
        let err = svc.clone().oneshot(call()).await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::ZERO, "refused without waiting");
        assert_eq!(err.kind, FailureKind::NotSent);
        assert_eq!(err.error.code, ErrorCode::OVERLOADED);
        assert_eq!(up.calls(), 2, "the refused call never reached the upstream");
        a.await.unwrap().unwrap();
        b.await.unwrap().unwrap();
        assert_eq!(limit.in_flight(), 0);
        svc.oneshot(call()).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_call_gives_its_slot_back() {
        let limit = InFlight::new("x", 1);
        let svc = ShedLayer::new(limit.clone()).layer(Scripted::new("a", Behaviour::Hang));
        let call = UpstreamCall::new("t", serde_json::Map::new());
        let _ = tokio::time::timeout(Duration::from_millis(5), svc.clone().oneshot(call)).await;
        assert_eq!(limit.in_flight(), 0);
    }
}
