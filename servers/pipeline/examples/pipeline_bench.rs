//! Placeholder so the workspace parses; the pipeline engineer is writing the real benchmark.
fn main() {}
