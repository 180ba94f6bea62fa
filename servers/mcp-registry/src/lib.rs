//! The MCP registry: server records as MCP tools and the official registry REST read API.
