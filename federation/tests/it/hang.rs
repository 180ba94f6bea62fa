//! A replica that hangs: the deadline cuts its calls, its circuit opens,
//! traffic moves to the other replica, and after the cool-off a probe finds
//! it healthy again and the circuit closes.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use omega_federation::layers::CircuitState;
use omega_protocol::ErrorCode;
use serde_json::json;

use crate::support::{TestAgent, World};

#[tokio::test]
async fn hang_deadline_open_fallback_half_open_recover() {
    let w = World::start().await;
    let a = TestAgent::start("a").await;
    let b = TestAgent::start("b").await;
    w.register(&a, "hang-skill").await;
    w.register(&b, "hang-skill").await;
    // `whoami` is not read-only, so a failed call is not retried: each call
    // shows exactly what happened to it.
    let route =
        json!({"tenant": "acme", "skill": "hang-skill", "method": "whoami", "arguments": {}});

    // Healthy: both replicas serve.
    for _ in 0..20 {
        w.rpc("federation.route", route.clone()).await.unwrap();
    }
    assert!(
        a.calls() > 0 && b.calls() > 0,
        "{} / {}",
        a.calls(),
        b.calls()
    );

    // a hangs. Calls that land there hit the 300 ms attempt deadline; after
    // two of them its circuit opens and every call goes to b.
    a.ctl.hang.store(true, Ordering::SeqCst);
    let mut deadline_errors = 0;
    for _ in 0..40 {
        let started = Instant::now();
        match w.rpc("federation.route", route.clone()).await {
            Ok(out) => assert_eq!(out["from"], "b"),
            Err(e) => {
                assert_eq!(e["code"], ErrorCode::DEADLINE_EXCEEDED.0, "{e}");
                let took = started.elapsed();
                assert!(
                    took >= Duration::from_millis(290) && took < Duration::from_millis(1500),
                    "{took:?}"
                );
                deadline_errors += 1;
            }
        }
    }
    assert_eq!(deadline_errors, 2, "the circuit opens after 2 failures");
    let breaker = w.state.pool().breaker(&a.url).expect("a was called");
    assert_eq!(breaker.state(), CircuitState::Open);
    let a_calls = a.calls();
    for _ in 0..10 {
        let out = w.rpc("federation.route", route.clone()).await.unwrap();
        assert_eq!(out["from"], "b");
    }
    assert_eq!(
        a.calls(),
        a_calls,
        "no call reaches a while its circuit is open"
    );

    // a recovers; after the cool-off (600 ms) a probe goes to it and closes the circuit.
    a.ctl.hang.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    let mut reached_a = false;
    for _ in 0..40 {
        let out = w.rpc("federation.route", route.clone()).await.unwrap();
        if out["from"] == "a" {
            reached_a = true;
            break;
        }
    }
    assert!(reached_a, "the half-open circuit lets a probe through");
    assert_eq!(breaker.state(), CircuitState::Closed);
}
