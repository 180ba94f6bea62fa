//! Benchmark helpers: a closed-loop MCP load generator over keep-alive
//! HTTP/1.1 connections, and latency statistics.

pub mod load;
