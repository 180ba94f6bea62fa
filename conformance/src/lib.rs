//! OMEGA conformance: checks that a server or agent can join an OMEGA federation.
//!
//! This crate is filled by a later issue; it holds no code yet.
