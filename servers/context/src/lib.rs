//! The context server: sessions, hot cache, long-term semantic memory and ticket context as MCP tools.
