//! Placeholder so the workspace parses; the dashboard engineer is writing the real experiment.
fn main() {}
