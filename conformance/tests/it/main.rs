//! Integration tests for omega-conformance (one binary, one module per behaviour).

mod official;
