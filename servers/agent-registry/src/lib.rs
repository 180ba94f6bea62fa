//! The agent registry: A2A agent cards, heartbeats and discovery as MCP tools.
