//! Integration tests for omega-conformance (one binary, one module per behaviour).

mod fake;
mod official;
mod suite;
