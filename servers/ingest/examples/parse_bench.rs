//! Placeholder so the workspace parses; the ingest engineer is writing the real benchmark.
fn main() {}
