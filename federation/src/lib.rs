//! The OMEGA federation core (routing across agents and Titans).
//!
//! This crate is filled by a later issue; it holds no code yet.
