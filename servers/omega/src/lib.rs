//! The `omega` binary's library: command-line interface, role wiring and
//! the `up`/`serve` runner. Tests and embedders start roles through
//! [`roles::build`] and [`up::start`].

pub mod cli;
pub mod federation_role;
pub mod loop_roles;
pub mod roles;
pub mod up;
