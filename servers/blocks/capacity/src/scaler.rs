//! One team's scaler: KEDA's activation and scale-to-zero rules plus the
//! HorizontalPodAutoscaler's 1..n rules, evaluated at each poll.
//!
//! # Model
//!
//! On AKS the decision is split between two controllers:
//!
//! * **KEDA** polls the queue every `pollingInterval`. The scaler is *active*
//!   when `depth > activationMessageCount`. An active scaler at zero replicas
//!   is scaled to `max(minReplicaCount, 1)`. An inactive scaler with
//!   `minReplicaCount == 0` is scaled to zero once
//!   `lastActiveTime + cooldownPeriod` is strictly before now (KEDA's
//!   comparison). With `activationMessageCount == 0` (the seed default)
//!   "inactive" is exactly "depth == 0", so the team reaches zero only after
//!   the queue has been empty at every poll for longer than the cooldown.
//! * **The HPA** owns 1..n. For an `AverageValue` external metric it computes
//!   `ratio = depth / (messageCount * current)`; when `|1 - ratio| <= tolerance`
//!   (0.1) it keeps `current`, otherwise it wants `ceil(depth / messageCount)`.
//!   Scale-down is stabilised: the HPA takes the highest raw recommendation
//!   made within the window (300 s by default, samples strictly newer than
//!   `now - window`); scale-up is immediate (window 0). The result is then
//!   clamped to `[max(minReplicaCount, 1), maxReplicaCount]`. The HPA does
//!   nothing while the target is at zero.
//!
//! # Decision: the in-process manager applies the HPA rules too
//!
//! `omega up` has no HPA, but the in-process manager applies the same HPA
//! rules so that a team behaves the same on one machine and on AKS, and so
//! that a recorded depth trace gives the same replica counts in both (the
//! deploy crate's agreement test replays a trace through this scaler and
//! through a KEDA+HPA model read back from the rendered `ScaledObject`).
//!
//! The model assumes the HPA syncs at the poll instants and reads the
//! metric KEDA polled (the renderer sets `useCachedMetrics: true`), and that
//! no HPA rate policy limits a step (the renderer sets policies that allow
//! the whole range in one period).

use std::collections::VecDeque;

use omega_config::TeamConfig;
use omega_config::pipeline::CapacityOverrides;
use serde::Serialize;

/// The HPA part of the rules (KEDA hands 1..n to the HPA).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaBehavior {
    /// Relative change below which the HPA keeps the current count (0.1).
    pub tolerance: f64,
    /// Scale-down stabilisation window in milliseconds (300 000).
    pub scale_down_window_ms: u64,
}

impl Default for HpaBehavior {
    fn default() -> Self {
        Self {
            tolerance: 0.1,
            scale_down_window_ms: 300_000,
        }
    }
}

/// Everything a [`Scaler`] needs, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalerSettings {
    /// Fewest replicas (0 allows scale to zero).
    pub min_replicas: u32,
    /// Most replicas.
    pub max_replicas: u32,
    /// Target messages per replica (at least 1).
    pub message_count: u32,
    /// Depth above which the scaler is active.
    pub activation_message_count: u32,
    /// KEDA `cooldownPeriod`, in milliseconds.
    pub cooldown_ms: u64,
    /// KEDA `pollingInterval`, in milliseconds (at least 1).
    pub polling_ms: u64,
    /// The HPA rules for 1..n.
    pub hpa: HpaBehavior,
}

impl ScalerSettings {
    /// Settings for a configured team with the default HPA behaviour.
    pub fn from_team(team: &TeamConfig) -> Self {
        Self {
            min_replicas: team.min_replicas,
            max_replicas: team.max_replicas,
            message_count: team.message_count.max(1),
            activation_message_count: team.activation_message_count,
            cooldown_ms: team.cooldown_secs.saturating_mul(1000),
            polling_ms: team.polling_interval_secs.max(1).saturating_mul(1000),
            hpa: HpaBehavior::default(),
        }
    }

    /// Settings for a configured team with the timing overrides applied
    /// (polling interval, cooldown and scale-down window; for tests and
    /// demos). Unset overrides keep the team's values.
    pub fn from_team_with(team: &TeamConfig, overrides: &CapacityOverrides) -> Self {
        let base = Self::from_team(team);
        Self {
            polling_ms: overrides
                .polling_interval_ms
                .unwrap_or(base.polling_ms)
                .max(1),
            cooldown_ms: overrides.cooldown_ms.unwrap_or(base.cooldown_ms),
            hpa: HpaBehavior {
                scale_down_window_ms: overrides
                    .scale_down_window_ms
                    .unwrap_or(base.hpa.scale_down_window_ms),
                ..base.hpa
            },
            ..base
        }
    }
}

/// Why the replica count is what it is after one observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// At zero and the depth is not above the activation threshold.
    Idle,
    /// Was at zero; the depth crossed the activation threshold.
    Activated,
    /// The HPA scaled up.
    ScaledUp,
    /// The HPA scaled down.
    ScaledDown,
    /// The HPA change would be within tolerance, so the count is kept.
    WithinTolerance,
    /// A lower count is wanted but a higher recommendation is still inside
    /// the scale-down stabilisation window.
    Stabilizing,
    /// Inactive, waiting for the cooldown before scaling to zero.
    CoolingDown,
    /// Inactive for longer than the cooldown: scaled to zero.
    ScaledToZero,
    /// The count already matches what is wanted.
    Steady,
}

/// The outcome of one observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// When the observation was made (ms on the caller's clock).
    pub at_ms: u64,
    /// The observed queue depth.
    pub depth: u64,
    /// Replicas before the decision.
    pub previous: u32,
    /// Replicas after the decision.
    pub replicas: u32,
    /// Why.
    pub reason: Reason,
    /// When the next poll is due.
    pub next_poll_ms: u64,
}

/// One team's scaler. Pure: time is an argument, no I/O.
#[derive(Debug, Clone)]
pub struct Scaler {
    settings: ScalerSettings,
    replicas: u32,
    last_active_ms: Option<u64>,
    /// Raw HPA recommendations `(at_ms, replicas)`, oldest first.
    recommendations: VecDeque<(u64, u32)>,
    next_poll_ms: u64,
}

impl Scaler {
    /// A scaler starting at `minReplicas`, with its first poll due at time 0.
    pub fn new(settings: ScalerSettings) -> Self {
        Self {
            settings,
            replicas: settings.min_replicas,
            last_active_ms: None,
            recommendations: VecDeque::new(),
            next_poll_ms: 0,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &ScalerSettings {
        &self.settings
    }

    /// Current replicas.
    pub fn replicas(&self) -> u32 {
        self.replicas
    }

    /// When the next poll is due (ms).
    pub fn next_poll_ms(&self) -> u64 {
        self.next_poll_ms
    }

    /// Whether a poll is due at `now_ms`.
    pub fn is_due(&self, now_ms: u64) -> bool {
        now_ms >= self.next_poll_ms
    }

    /// Applies one depth observation made at `now_ms` and returns the decision.
    /// Callers should observe when [`Scaler::is_due`]; an early observation is
    /// still evaluated and moves the next poll to `now + pollingInterval`.
    pub fn observe(&mut self, now_ms: u64, depth: u64) -> Decision {
        let s = self.settings;
        let previous = self.replicas;
        let active = depth > u64::from(s.activation_message_count);
        if active {
            self.last_active_ms = Some(now_ms);
        }
        let mut activated = false;
        // KEDA's part: 0 <-> 1 and the floor.
        if self.replicas == 0 {
            if active {
                self.replicas = s.min_replicas.max(1);
                activated = true;
            }
        } else if !active && s.min_replicas == 0 {
            let cooled = match self.last_active_ms {
                None => true,
                Some(t) => t.saturating_add(s.cooldown_ms) < now_ms,
            };
            if cooled {
                self.replicas = 0;
                self.next_poll_ms = now_ms.saturating_add(s.polling_ms);
                return self.decision(now_ms, depth, previous, Reason::ScaledToZero);
            }
        }
        if self.replicas < s.min_replicas {
            self.replicas = s.min_replicas;
        }
        self.next_poll_ms = now_ms.saturating_add(s.polling_ms);
        if self.replicas == 0 {
            return self.decision(now_ms, depth, previous, Reason::Idle);
        }
        // The HPA's part: 1..n.
        let (hpa, held) = self.hpa_step(now_ms, depth);
        let before_hpa = self.replicas;
        self.replicas = hpa;
        let reason = if activated {
            Reason::Activated
        } else if hpa > before_hpa {
            Reason::ScaledUp
        } else if hpa < before_hpa {
            Reason::ScaledDown
        } else if held == Held::Tolerance {
            Reason::WithinTolerance
        } else if held == Held::Window {
            Reason::Stabilizing
        } else if !active && s.min_replicas == 0 {
            Reason::CoolingDown
        } else {
            Reason::Steady
        };
        self.decision(now_ms, depth, previous, reason)
    }

    fn decision(&self, at_ms: u64, depth: u64, previous: u32, reason: Reason) -> Decision {
        Decision {
            at_ms,
            depth,
            previous,
            replicas: self.replicas,
            reason,
            next_poll_ms: self.next_poll_ms,
        }
    }

    /// One HPA evaluation at `now_ms` with `self.replicas >= 1`.
    fn hpa_step(&mut self, now_ms: u64, depth: u64) -> (u32, Held) {
        let s = self.settings;
        let current = self.replicas;
        let target = f64::from(s.message_count);
        let ratio = depth as f64 / (target * f64::from(current));
        let (raw, within) = if (1.0 - ratio).abs() <= s.hpa.tolerance {
            (current, true)
        } else {
            (ceil_div(depth, u64::from(s.message_count)), false)
        };
        // Stabilisation: highest raw recommendation strictly inside the window.
        let cutoff = now_ms.checked_sub(s.hpa.scale_down_window_ms);
        let mut down = raw;
        for &(at, rec) in &self.recommendations {
            if cutoff.is_none_or(|c| at > c) {
                down = down.max(rec);
            }
        }
        let mut rec = current.max(raw); // scale-up window 0: up-recommendation is `raw`
        rec = rec.min(down);
        self.recommendations.push_back((now_ms, raw));
        while let Some(&(at, _)) = self.recommendations.front() {
            if cutoff.is_some_and(|c| at <= c) {
                self.recommendations.pop_front();
            } else {
                break;
            }
        }
        let clamped = rec.clamp(s.min_replicas.max(1), s.max_replicas.max(1));
        let held = if within {
            Held::Tolerance
        } else if raw < current && clamped > raw.max(s.min_replicas.max(1)) {
            Held::Window
        } else {
            Held::No
        };
        (clamped, held)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    No,
    Tolerance,
    Window,
}

/// `ceil(a / b)` saturated to `u32` (`b >= 1`).
fn ceil_div(a: u64, b: u64) -> u32 {
    let q = a.div_ceil(b.max(1));
    u32::try_from(q).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[path = "scaler_tests.rs"]
mod tests;
