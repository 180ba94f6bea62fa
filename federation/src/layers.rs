//! Resilience as tower layers, each configurable and tested on a virtual
//! clock.
//!
//! A federated call passes this stack (outermost first):
//!
//! ```text
//! Shed (federation-wide in-flight limit: `overloaded`, never a queue)
//!  └─ Deadline (whole call: caller's deadline capped by config)
//!      └─ Retry (TPS budget; NotSent always, Failed/Deadline only if idempotent)
//!          └─ Balance (power of two choices on in-flight calls, skips open circuits
//!             │        and replicas that already failed this call)
//!             └─ per replica: CircuitBreaker ─ Deadline (per attempt) ─ Shed ─ MCP upstream
//! ```
//!
//! Every layer speaks [`UpstreamCall`](crate::UpstreamCall) and
//! [`CallError`](crate::CallError), so a retry or a breaker decides on the
//! [`FailureKind`](crate::FailureKind), never on message text.

mod balance;
mod breaker;
mod deadline;
mod retry;
mod shed;

pub use balance::{Balance, Endpoint};
pub use breaker::{Breaker, BreakerConfig, CircuitBreaker, CircuitBreakerLayer, CircuitState};
pub use deadline::{Deadline, DeadlineLayer};
pub use retry::{RetryConfig, RetryPolicy};
pub use shed::{InFlight, Shed, ShedLayer};

#[cfg(test)]
pub(crate) mod testing {
    //! A scripted upstream for layer tests.

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use futures::future::BoxFuture;
    use serde_json::{Value, json};

    use crate::{CallError, FailureKind, UpstreamCall};
    use omega_protocol::{ErrorCode, OmegaError};

    /// What the fake upstream does with each call.
    #[derive(Clone, Copy, Debug)]
    pub enum Behaviour {
        Ok,
        Hang,
        Sleep(Duration),
        Fail(FailureKind),
    }

    /// A service answering by script, counting calls.
    #[derive(Clone)]
    pub struct Scripted {
        pub name: &'static str,
        pub calls: Arc<AtomicUsize>,
        pub behaviour: Arc<std::sync::Mutex<Behaviour>>,
    }

    impl Scripted {
        pub fn new(name: &'static str, b: Behaviour) -> Self {
            Self {
                name,
                calls: Arc::default(),
                behaviour: Arc::new(std::sync::Mutex::new(b)),
            }
        }
        pub fn set(&self, b: Behaviour) {
            *self.behaviour.lock().unwrap() = b;
        }
        pub fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    impl tower::Service<UpstreamCall> for Scripted {
        type Response = Value;
        type Error = CallError;
        type Future = BoxFuture<'static, Result<Value, CallError>>;
        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), CallError>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn call(&mut self, _req: UpstreamCall) -> Self::Future {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let b = *self.behaviour.lock().unwrap();
            let name = self.name;
            Box::pin(async move {
                match b {
                    Behaviour::Ok => Ok(json!({"from": name})),
                    Behaviour::Hang => futures::future::pending().await,
                    Behaviour::Sleep(d) => {
                        tokio::time::sleep(d).await;
                        Ok(json!({"from": name}))
                    }
                    Behaviour::Fail(kind) => Err(CallError::new(
                        kind,
                        OmegaError::new(ErrorCode::UPSTREAM_FAILED, format!("{name} failed")),
                    )),
                }
            })
        }
    }
}
