//! Typed async clients for every OMEGA server.
//!
//! This crate is filled by a later issue; it holds no code yet.
