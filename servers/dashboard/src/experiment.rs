//! The learning experiment (placeholder, filled below).
