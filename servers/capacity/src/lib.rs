//! The capacity manager's scaler: KEDA's rules applied to queue depth, on a virtual clock.
