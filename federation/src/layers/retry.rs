//! Retries with a retry budget, for calls where a retry is safe.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tower::retry::Policy;
use tower::retry::budget::{Budget, TpsBudget};

use crate::{CallError, FailureKind, UpstreamCall, all_failed};

/// Retry settings (`[federation.retry]`; defined in `omega-config`).
pub use omega_config::federation::RetryConfig;

/// The retry policy: a failed call is retried when
///
/// - it was never sent (shed, circuit open), or it failed in a way that may
///   have reached the upstream *and* the call is idempotent;
/// - attempts remain, the deadline has not passed, and the shared
///   [`TpsBudget`] allows a retry (so retries cannot multiply load during an
///   outage).
///
/// The upstream that failed is added to [`UpstreamCall::avoid`], so the
/// balancer tries another replica.
#[derive(Clone)]
pub struct RetryPolicy {
    config: RetryConfig,
    budget: Arc<TpsBudget>,
    attempt: u32,
}

impl std::fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("config", &self.config)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl RetryPolicy {
    /// A policy with its own budget (share the policy by cloning it).
    pub fn new(config: RetryConfig) -> Self {
        let budget = TpsBudget::new(
            Duration::from_secs(10),
            config.budget_min_per_sec,
            config.budget_ratio.clamp(0.0, 1000.0),
        );
        Self {
            config,
            budget: Arc::new(budget),
            attempt: 1,
        }
    }

    fn should_retry(&self, req: &UpstreamCall, err: &CallError) -> bool {
        let safe = match err.kind {
            FailureKind::NotSent => true,
            FailureKind::Failed | FailureKind::Deadline => req.idempotent,
            FailureKind::Answered => false,
        };
        // A retry must have time left after its backoff.
        safe && self.attempt < self.config.max_attempts
            && req
                .deadline
                .is_none_or(|d| Instant::now() + self.delay() < d)
    }

    fn delay(&self) -> Duration {
        self.config.backoff * 2u32.saturating_pow(self.attempt - 1)
    }
}

impl<Res> Policy<UpstreamCall, Res, CallError> for RetryPolicy {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        req: &mut UpstreamCall,
        result: &mut Result<Res, CallError>,
    ) -> Option<Self::Future> {
        let err = match result {
            Ok(_) => {
                self.budget.deposit();
                return None;
            }
            Err(err) => err,
        };
        if !self.should_retry(req, err) || !self.budget.withdraw() {
            // Final failure: after several attempts, name every cause.
            if !req.failures.is_empty() && err.kind != FailureKind::Answered {
                let mut causes = std::mem::take(&mut req.failures);
                causes.push(err.clone());
                *err = CallError::new(err.kind, all_failed(&format!("`{}`", req.tool), &causes));
            }
            return None;
        }
        req.failures.push(err.clone());
        if let Some(up) = &err.upstream
            && !req.avoid.contains(up)
        {
            req.avoid.push(up.clone());
        }
        let delay = self.delay();
        self.attempt += 1;
        tracing::debug!(tool = %req.tool, attempt = self.attempt, upstream = ?err.upstream, "retrying");
        Some(tokio::time::sleep(delay))
    }

    fn clone_request(&mut self, req: &UpstreamCall) -> Option<UpstreamCall> {
        Some(req.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testing::{Behaviour, Scripted};
    use tower::Layer;
    use tower::ServiceExt;
    use tower::retry::RetryLayer;

    fn call(idempotent: bool) -> UpstreamCall {
        let mut c = UpstreamCall::new("t", serde_json::Map::new());
        c.idempotent = idempotent;
        c
    }

    fn policy(max_attempts: u32, min_per_sec: u32) -> RetryPolicy {
        RetryPolicy::new(RetryConfig {
            max_attempts,
            budget_ratio: 0.0,
            budget_min_per_sec: min_per_sec,
            backoff: Duration::from_millis(10),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn retries_failures_only_for_idempotent_calls() {
        let up = Scripted::new("a", Behaviour::Fail(FailureKind::Failed));
        let svc = RetryLayer::new(policy(3, 100)).layer(up.clone());
        let start = Instant::now();
        let err = svc.clone().oneshot(call(true)).await.unwrap_err();
        assert_eq!(up.calls(), 3);
        assert_eq!(err.error.code, omega_protocol::ErrorCode::UPSTREAM_FAILED);
        let causes = &err.error.data.extra.as_ref().unwrap()["causes"];
        assert_eq!(causes.as_array().unwrap().len(), 3, "each attempt is named");
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(10 + 20),
            "backoff doubles"
        );
        svc.clone().oneshot(call(false)).await.unwrap_err();
        assert_eq!(
            up.calls(),
            4,
            "a non-idempotent call that may have run is not retried"
        );
        // Never sent: safe to retry even when not idempotent.
        up.set(Behaviour::Fail(FailureKind::NotSent));
        svc.clone().oneshot(call(false)).await.unwrap_err();
        assert_eq!(up.calls(), 7);
        // An answer meant for the caller is never retried.
        up.set(Behaviour::Fail(FailureKind::Answered));
        svc.oneshot(call(true)).await.unwrap_err();
        assert_eq!(up.calls(), 8);
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_caps_retries() {
        // No ratio and a reserve of 1 retry per second (over a 10 s window):
        // the budget holds 10 retries, then refuses.
        let up = Scripted::new("a", Behaviour::Fail(FailureKind::NotSent));
        let svc = RetryLayer::new(policy(2, 1)).layer(up.clone());
        for _ in 0..30 {
            svc.clone().oneshot(call(true)).await.unwrap_err();
        }
        let retries = up.calls() - 30;
        assert!(
            (1..=10).contains(&retries),
            "{retries} retries for 30 failing calls"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_retry_after_the_deadline_and_the_failed_upstream_is_avoided() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let svc = {
            let seen = seen.clone();
            tower::service_fn(move |req: UpstreamCall| {
                seen.lock().unwrap().push(req.avoid.clone());
                async { Err::<(), _>(CallError::deadline("x").at("http://a")) }
            })
        };
        let svc = RetryLayer::new(policy(3, 100)).layer(svc);
        let mut c = call(true);
        c.deadline = Some(Instant::now() + Duration::from_millis(15));
        svc.oneshot(c).await.unwrap_err();
        let seen = seen.lock().unwrap();
        // First try, one retry after 10 ms with http://a avoided; a second
        // retry would wait 20 ms but only 5 ms are left, so none is made.
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(seen[0].is_empty());
        assert_eq!(seen[1], vec!["http://a".to_string()]);
    }
}
