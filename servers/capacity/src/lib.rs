//! The capacity manager's scaler: KEDA's rules applied to queue depth, on a virtual clock.
//!
//! [`Scaler`] decides one team's replica count from each queue-depth poll
//! with KEDA's activation / cooldown rules and the HPA's tolerance and
//! scale-down stabilisation (see the `scaler` module docs for the exact model
//! and why the in-process manager applies the HPA rules too).
//! [`CapacityManager`] holds one scaler per configured team and records every
//! decision, so the dashboard can draw workers per team over time.
//!
//! Pure: no I/O, no clock. Time is passed in as milliseconds on the
//! caller's clock, which makes every rule testable on a virtual clock.

mod manager;
mod scaler;

pub use manager::{CapacityError, CapacityManager, TeamDecision};
pub use scaler::{Decision, HpaBehavior, Reason, Scaler, ScalerSettings};
