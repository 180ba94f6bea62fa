//! omega-deploy integration tests: rendering and schema validation, the
//! KEDA+HPA agreement on a recorded trace, the cost model, and refusal of
//! broken configurations.

mod agreement;
mod broken;
mod costs;
mod render;
mod support;
