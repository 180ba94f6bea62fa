//! The server stack shared by every OMEGA role: listener, middleware, tenant scoping and the MCP tool transport.
