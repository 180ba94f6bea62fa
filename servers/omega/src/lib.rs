//! The `omega` binary's library and OMEGA's composition root: every role
//! ([`role::RoleId`]) is built from a [`role::RoleContext`] by its
//! [`role::Role`] implementation in [`roles`], and [`up::start`] binds,
//! builds and serves a list of them the same way for `omega up` (every
//! role, one process) and `omega serve <role>` (one role).

pub mod backends;
pub mod cli;
pub mod demo;
pub mod remote;
pub mod role;
pub mod roles;
pub mod security;
pub mod up;
