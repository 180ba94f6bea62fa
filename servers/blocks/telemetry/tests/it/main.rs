//! Integration tests of omega-telemetry.

mod hops;
