//! Storage traits for OMEGA servers (key-value with TTL, documents, vectors) with embedded and Redis backends.
