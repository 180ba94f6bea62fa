//! End-to-end tests of the federation: real registries (in-process `omega`
//! roles), real MCP agents on the stack, the federation served over HTTP.
#![allow(missing_docs)]

mod gateway;
mod hang;
mod rpc;
mod support;
