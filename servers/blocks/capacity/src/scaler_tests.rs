//! Hand-computed traces on a virtual clock. Times in the traces are seconds;
//! each expected count is worked out in the comment beside it.

use super::*;

const S: u64 = 1000;

/// The seed's triage team: 0-10, messageCount 5, activation 0,
/// cooldownPeriod 300 s, pollingInterval 30 s, HPA tolerance 0.1, window 300 s.
fn triage() -> ScalerSettings {
    ScalerSettings {
        min_replicas: 0,
        max_replicas: 10,
        message_count: 5,
        activation_message_count: 0,
        cooldown_ms: 300 * S,
        polling_ms: 30 * S,
        hpa: HpaBehavior::default(),
    }
}

/// Runs `(t_secs, depth, expected_replicas, expected_reason)` steps.
fn run(settings: ScalerSettings, steps: &[(u64, u64, u32, Reason)]) {
    let mut scaler = Scaler::new(settings);
    for &(t, depth, want, reason) in steps {
        let d = scaler.observe(t * S, depth);
        assert_eq!(
            (d.replicas, d.reason),
            (want, reason),
            "at t={t}s depth={depth}: {d:?}"
        );
        assert_eq!(d.next_poll_ms, t * S + settings.polling_ms);
    }
}

#[test]
fn seed_example_depth_25_gives_5_replicas() {
    run(
        triage(),
        &[
            // 0 replicas, 25 > activation 0 -> KEDA activates to max(0,1) = 1;
            // HPA: ratio 25/(5*1) = 5, |1-5| > 0.1 -> ceil(25/5) = 5.
            (0, 25, 5, Reason::Activated),
        ],
    );
}

#[test]
fn activation_threshold_must_be_exceeded() {
    let settings = ScalerSettings {
        activation_message_count: 3,
        ..triage()
    };
    run(
        settings,
        &[
            // 3 > 3 is false: stays idle at 0.
            (0, 3, 0, Reason::Idle),
            (30, 0, 0, Reason::Idle),
            // 4 > 3: activate to 1; HPA ratio 4/5 = 0.8, |0.2| > 0.1 -> ceil(4/5) = 1.
            (60, 4, 1, Reason::Activated),
        ],
    );
}

#[test]
fn cooldown_then_scale_to_zero() {
    run(
        triage(),
        &[
            // activate to 1, HPA ceil(10/5) = 2. lastActive = 0.
            (0, 10, 2, Reason::Activated),
            // Empty queue: HPA raw = ceil(0/5) = 0, but the sample 2@0 is in the
            // window (0 > t-300), so it holds 2. KEDA: 0+300 < t is false.
            (30, 0, 2, Reason::Stabilizing),
            (150, 0, 2, Reason::Stabilizing),
            (270, 0, 2, Reason::Stabilizing),
            // t=300: the window is (0, 300], sample 2@0 drops out, all others are 0
            // -> HPA wants 0, clamped to its floor max(min,1) = 1. KEDA: 300 < 300 false.
            (300, 0, 1, Reason::ScaledDown),
            // t=330: lastActive 0 + cooldown 300 = 300 < 330 -> KEDA scales to zero.
            (330, 0, 0, Reason::ScaledToZero),
            (360, 0, 0, Reason::Idle),
        ],
    );
}

#[test]
fn a_blip_restarts_the_cooldown() {
    run(
        triage(),
        &[
            (0, 5, 1, Reason::Activated), // 1, HPA ceil(5/5) = 1
            (30, 0, 1, Reason::CoolingDown),
            // depth 1 is active: lastActive = 60. HPA ratio 1/5 = 0.2 -> ceil(1/5) = 1.
            (60, 1, 1, Reason::Steady),
            (330, 0, 1, Reason::CoolingDown), // 60+300 = 360 < 330? no
            (360, 0, 1, Reason::CoolingDown), // 360 < 360? no
            (390, 0, 0, Reason::ScaledToZero), // 360 < 390
        ],
    );
}

#[test]
fn max_clamp() {
    run(
        triage(),
        &[
            // ceil(1000/5) = 200, clamped to maxReplicas 10.
            (0, 1000, 10, Reason::Activated),
            // Still 10: raw 200 again, clamp 10.
            (30, 600, 10, Reason::Steady),
        ],
    );
}

#[test]
fn tolerance_keeps_the_count() {
    run(
        triage(),
        &[
            (0, 25, 5, Reason::Activated), // ceil(25/5) = 5
            // ratio 27/(5*5) = 1.08, |1-1.08| = 0.08 <= 0.1 -> keep 5.
            (30, 27, 5, Reason::WithinTolerance),
            // ratio 23/25 = 0.92, |0.08| <= 0.1 -> keep 5.
            (60, 23, 5, Reason::WithinTolerance),
            // ratio 28/25 = 1.12, |0.12| > 0.1 -> ceil(28/5) = 6 (scale-up is immediate).
            (90, 28, 6, Reason::ScaledUp),
        ],
    );
}

#[test]
fn scale_down_is_stabilized_over_the_window() {
    run(
        triage(),
        &[
            (0, 25, 5, Reason::Activated), // raw 5 @0
            (30, 30, 6, Reason::ScaledUp), // ratio 30/25 = 1.2 -> ceil(30/5) = 6, raw 6 @30
            // ratio 10/30 = 0.33 -> raw ceil(10/5) = 2, but max over (t-300, t] includes 6@30.
            (60, 10, 6, Reason::Stabilizing),
            (300, 10, 6, Reason::Stabilizing),
            // t=330: window (30, 330] excludes 6@30; holds raw 2s only -> 2.
            (330, 10, 2, Reason::ScaledDown),
        ],
    );
}

#[test]
fn min_replicas_above_zero_never_reaches_zero() {
    let settings = ScalerSettings {
        min_replicas: 2,
        ..triage()
    };
    run(
        settings,
        &[
            // Starts at min 2. HPA: ratio 0/(5*2) = 0 -> raw 0 -> floor max(2,1) = 2.
            (0, 0, 2, Reason::Steady),
            (600, 0, 2, Reason::Steady),
            // ratio 50/10 = 5 -> ceil(50/5) = 10.
            (630, 50, 10, Reason::ScaledUp),
        ],
    );
}

#[test]
fn next_poll_is_reported() {
    let mut scaler = Scaler::new(triage());
    assert!(scaler.is_due(0));
    let d = scaler.observe(0, 0);
    assert_eq!(d.next_poll_ms, 30 * S);
    assert!(!scaler.is_due(29 * S));
    assert!(scaler.is_due(30 * S));
}

#[test]
fn from_team_converts_seconds() {
    let team = omega_config::TeamsConfig::default().teams[0].clone();
    let s = ScalerSettings::from_team(&team);
    assert_eq!(
        (s.max_replicas, s.message_count, s.cooldown_ms, s.polling_ms),
        (10, 5, 300_000, 30_000)
    );
}

#[test]
fn overrides_replace_only_the_timings() {
    let teams = omega_config::TeamsConfig::default();
    let team = teams.team("triage").unwrap();
    let s = ScalerSettings::from_team_with(team, &CapacityOverrides::default());
    assert_eq!(s, ScalerSettings::from_team(team));
    assert_eq!(
        (s.polling_ms, s.cooldown_ms, s.max_replicas, s.message_count),
        (30_000, 300_000, 10, 5)
    );
    let o = CapacityOverrides {
        polling_interval_ms: Some(50),
        cooldown_ms: Some(200),
        scale_down_window_ms: Some(0),
    };
    let s = ScalerSettings::from_team_with(team, &o);
    assert_eq!(
        (
            s.polling_ms,
            s.cooldown_ms,
            s.hpa.scale_down_window_ms,
            s.max_replicas,
            s.hpa.tolerance
        ),
        (50, 200, 0, 10, 0.1)
    );
    // A zero polling interval would spin: it is raised to 1 ms.
    let zero = CapacityOverrides {
        polling_interval_ms: Some(0),
        ..CapacityOverrides::default()
    };
    assert_eq!(ScalerSettings::from_team_with(team, &zero).polling_ms, 1);
}
