//! The capacity manager: KEDA's rules applied to queue depth, and the team
//! runtime every scaled team runs on.
//!
//! [`Scaler`] decides one team's replica count from each queue-depth poll
//! with KEDA's activation / cooldown rules and the HPA's tolerance and
//! scale-down stabilisation (see the `scaler` module docs for the exact model
//! and why the in-process manager applies the HPA rules too).
//! [`CapacityManager`] holds one scaler per configured team and records every
//! decision, so a recorded depth trace can be replayed. Both are pure: no
//! I/O, no clock; time is passed in as milliseconds on the caller's clock,
//! which makes every rule testable on a virtual clock.
//!
//! With the `runtime` feature (default), [`Team`] runs a team for real: it
//! polls its queue's depth on the wall clock, feeds the [`Scaler`], and keeps
//! that many workers ([`Workers`]) leasing, handling ([`MessageHandler`]),
//! acking and nacking messages of an `omega_queue::Queue`; [`CapacityView`]
//! shows the workers per team and every decision. The pipeline's triage and
//! classification teams and the dashboard's shadow and analytics teams all
//! run on it.

mod manager;
#[cfg(feature = "runtime")]
mod runtime;
mod scaler;
#[cfg(feature = "runtime")]
mod view;

pub use manager::{CapacityError, CapacityManager, TeamDecision};
#[cfg(feature = "runtime")]
pub use runtime::{MessageHandler, Running, Team, WorkerSettings, Workers, handler_fn};
pub use scaler::{Decision, HpaBehavior, Reason, Scaler, ScalerSettings};
#[cfg(feature = "runtime")]
pub use view::CapacityView;
