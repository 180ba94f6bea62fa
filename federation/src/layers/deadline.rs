//! Per-call deadlines: every call gets one, and it travels to the next hop.

use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;
use tower::{Layer, Service};

use crate::{CallError, UpstreamCall};

/// Gives every call a deadline: the caller's own, capped at `max` from now,
/// or `default` from now when the caller gave none. The deadline is written
/// into the request (so the upstream leaf sends the remaining time on as
/// `_meta["io.omega/deadlineMs"]`) and enforced here: when it passes, the
/// inner call is dropped and the caller gets `deadline_exceeded`.
///
/// Used twice in the federation stack: around the whole call, and around
/// each attempt (a shorter cap, so a hung replica leaves time to retry on
/// another).
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    default: Duration,
    max: Duration,
}

impl DeadlineLayer {
    /// Calls without a deadline get `default`; none may exceed `max`.
    pub fn new(default: Duration, max: Duration) -> Self {
        Self {
            default: default.min(max),
            max,
        }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;
    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            layer: *self,
        }
    }
}

/// The service made by [`DeadlineLayer`].
#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    layer: DeadlineLayer,
}

impl<S> Service<UpstreamCall> for Deadline<S>
where
    S: Service<UpstreamCall, Error = CallError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = CallError;
    type Future = BoxFuture<'static, Result<S::Response, CallError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: UpstreamCall) -> Self::Future {
        let now = Instant::now();
        let cap = now + self.layer.max;
        let deadline = match req.deadline {
            Some(d) => d.min(cap),
            None => now + self.layer.default,
        };
        if deadline <= now {
            let tool = req.tool;
            return Box::pin(
                async move { Err(CallError::deadline(&format!("the call of `{tool}`"))) },
            );
        }
        req.deadline = Some(deadline);
        let tool = req.tool.clone();
        let fut = self.inner.call(req);
        Box::pin(async move {
            match tokio::time::timeout_at(deadline, fut).await {
                Ok(result) => result,
                Err(_) => Err(CallError::deadline(&format!("the call of `{tool}`"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FailureKind;
    use crate::layers::testing::{Behaviour, Scripted};
    use omega_protocol::ErrorCode;
    use serde_json::Map;
    use tower::ServiceExt;

    #[tokio::test(start_paused = true)]
    async fn default_deadline_cuts_a_hanging_call() {
        let up = Scripted::new("a", Behaviour::Hang);
        let svc = DeadlineLayer::new(Duration::from_millis(200), Duration::from_secs(5))
            .layer(up.clone());
        let start = Instant::now();
        let err = svc
            .oneshot(UpstreamCall::new("t", Map::new()))
            .await
            .unwrap_err();
        assert_eq!(err.kind, FailureKind::Deadline);
        assert_eq!(err.error.code, ErrorCode::DEADLINE_EXCEEDED);
        assert_eq!(start.elapsed(), Duration::from_millis(200));
        assert_eq!(up.calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_deadline_is_kept_but_capped() {
        let layer = DeadlineLayer::new(Duration::from_secs(1), Duration::from_secs(2));
        // An earlier caller deadline wins over the default.
        let mut call = UpstreamCall::new("t", Map::new());
        call.deadline = Some(Instant::now() + Duration::from_millis(50));
        let start = Instant::now();
        let err = layer
            .layer(Scripted::new("a", Behaviour::Hang))
            .oneshot(call)
            .await
            .unwrap_err();
        assert_eq!(err.kind, FailureKind::Deadline);
        assert_eq!(start.elapsed(), Duration::from_millis(50));
        // A later one is capped at `max`.
        let mut call = UpstreamCall::new("t", Map::new());
        call.deadline = Some(Instant::now() + Duration::from_secs(60));
        let start = Instant::now();
        layer
            .layer(Scripted::new("a", Behaviour::Hang))
            .oneshot(call)
            .await
            .unwrap_err();
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        // A fast call passes.
        let ok = layer
            .layer(Scripted::new(
                "a",
                Behaviour::Sleep(Duration::from_millis(10)),
            ))
            .oneshot(UpstreamCall::new("t", Map::new()))
            .await
            .unwrap();
        assert_eq!(ok["from"], "a");
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_reaches_the_next_hop_and_a_past_one_is_refused() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
        let probe = {
            let seen = seen.clone();
            tower::service_fn(move |req: UpstreamCall| {
                *seen.lock().unwrap() = Some(req.next_hop_meta(Instant::now()));
                async { Ok::<_, CallError>(serde_json::json!({})) }
            })
        };
        let layer = DeadlineLayer::new(Duration::from_millis(750), Duration::from_secs(5));
        layer
            .layer(probe.clone())
            .oneshot(UpstreamCall::new("t", Map::new()))
            .await
            .unwrap();
        let meta = seen.lock().unwrap().take().unwrap();
        assert_eq!(meta[crate::DEADLINE_META_KEY], 750);

        let mut late = UpstreamCall::new("t", Map::new());
        late.deadline = Some(Instant::now());
        let err = layer.layer(probe).oneshot(late).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::Deadline);
        assert!(seen.lock().unwrap().is_none(), "a late call is never sent");
    }
}
