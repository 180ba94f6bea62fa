//! Integration tests for omega-privacy: realistic ticket text.

mod proptests;
mod tickets;
