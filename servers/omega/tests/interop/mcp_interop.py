"""Drives OMEGA's servers with the official Python MCP SDK.

Usage: mcp_interop.py ENDPOINTS_JSON MODE
  MODE is "legacy" (2025-11-25 handshake and session) or "2026-07-28" (stateless).

For each server it lists the tools, checks that every tool has input and
output schemas, calls every tool and checks the structured results, and
checks the error cases (unknown tool, bad arguments, missing tenant).
Exits non-zero on the first failure.
"""

import asyncio
import json
import sys
import uuid

from mcp import Client
from mcp.shared.exceptions import MCPError

EXPECTED = {
    "context": {"session_put", "session_get", "session_delete", "cache_put", "cache_get",
                "memory_store", "memory_search", "ticket_record", "ticket_context"},
    "agent-registry": {"agent_register", "agent_heartbeat", "agent_deregister", "agent_list",
                       "agent_discover"},
    "mcp-registry": {"mcp_server_publish", "mcp_server_list", "mcp_server_search",
                     "mcp_server_get", "mcp_server_set_status"},
}

checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


async def ok(client, tool, args):
    result = await client.call_tool(tool, args)
    check(not result.is_error, f"{tool} failed: {result.content}")
    check(isinstance(result.structured_content, dict), f"{tool} has no structured content")
    return result.structured_content


async def err(client, tool, args, code):
    result = await client.call_tool(tool, args)
    check(result.is_error, f"{tool} {args} should fail")
    got = result.structured_content["error"]["code"]
    check(got == code, f"{tool}: expected error {code}, got {got}")
    return result.structured_content["error"]


async def context(c, mode):
    t = "acme"
    sid = f"py-{mode}-{uuid.uuid4().hex[:8]}"
    await ok(c, "session_put", {"tenant": t, "sessionId": sid, "value": {"step": 1}, "ttlSecs": 60})
    got = await ok(c, "session_get", {"tenant": t, "sessionId": sid})
    check(got["value"] == {"step": 1}, f"session value {got}")
    await err(c, "session_get", {"tenant": "globex", "sessionId": sid}, -32004)
    deleted = await ok(c, "session_delete", {"tenant": t, "sessionId": sid})
    check(deleted["deleted"] is True, "session_delete")
    await err(c, "session_get", {"tenant": t, "sessionId": sid}, -32004)
    await ok(c, "cache_put", {"tenant": t, "key": "k:" + sid, "value": [1, 2]})
    hit = await ok(c, "cache_get", {"tenant": t, "key": "k:" + sid})
    check(hit["hit"] and hit["value"] == [1, 2], f"cache hit {hit}")
    miss = await ok(c, "cache_get", {"tenant": t, "key": "absent:" + sid})
    check(miss["hit"] is False, "cache miss")
    await ok(c, "memory_store", {"tenant": t, "text": "printer on floor 3 jams with A3 paper",
                                 "metadata": {"kind": "note"}})
    found = await ok(c, "memory_search", {"tenant": t, "query": "printer jam", "k": 3})
    check(found["results"] and "printer" in found["results"][0]["text"], f"memory search {found}")
    await ok(c, "ticket_record", {"tenant": t, "ticketId": "zendesk:py-" + sid, "title": "VPN drops",
                                  "body": "vpn disconnects every hour", "category": "Access",
                                  "resolution": "updated vpn client"})
    ctx = await ok(c, "ticket_context", {"tenant": t, "title": "VPN keeps disconnecting"})
    check(any(s["ticketId"] == "zendesk:py-" + sid for s in ctx["similar"]), f"ticket context {ctx}")
    missing = await err(c, "session_get", {"sessionId": sid}, -32001)
    check(missing["data"]["field"] == "tenant", "missing tenant names the field")
    await err(c, "session_get", {"tenant": "initech", "sessionId": sid}, -32002)
    bad = await err(c, "session_put", {"tenant": t, "sessionId": sid}, -32602)
    check(bad["data"]["field"] == "value", f"bad args name the field: {bad}")


def card(name):
    return {
        "name": name,
        "description": "interop test agent",
        "version": "1.0.0",
        "supportedInterfaces": [{"url": "http://127.0.0.1:9/a2a", "protocolBinding": "JSONRPC",
                                 "protocolVersion": "1.0"}],
        "capabilities": {"streaming": True},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["application/json"],
        "skills": [{"id": "py-triage", "name": "Triage", "description": "Triage tickets",
                    "tags": ["triage"]}],
        "omega": {"role": "triage", "tier": "dynamic", "tenants": "all"},
    }


async def agent_registry(c, mode):
    reg = await ok(c, "agent_register", {"card": card(f"Py Agent {mode}")})
    aid = reg["agentId"]
    await ok(c, "agent_heartbeat", {"agentId": aid})
    listed = await ok(c, "agent_list", {"liveOnly": True})
    check(any(a["agentId"] == aid for a in listed["agents"]), "agent_list has the agent")
    found = await ok(c, "agent_discover", {"skill": "py-triage"})
    check(any(a["agentId"] == aid for a in found["agents"]), "agent_discover finds the agent")
    found = await ok(c, "agent_discover", {"capability": "streaming"})
    check(any(a["agentId"] == aid for a in found["agents"]), "discover by capability")
    gone = await ok(c, "agent_deregister", {"agentId": aid})
    check(gone["deleted"], "agent_deregister")
    await err(c, "agent_heartbeat", {"agentId": aid}, -32004)
    await err(c, "agent_register", {"card": {**card("x"), "version": ""}}, -32006)


async def mcp_registry(c, mode):
    name = f"io.github.omega-interop/py-{mode.replace('.', '-')}-{uuid.uuid4().hex[:6]}"
    record = {"name": name, "description": "Interop test server", "version": "1.0.0",
              "remotes": [{"type": "streamable-http", "url": "https://tools.example.com/mcp"}]}
    pub = await ok(c, "mcp_server_publish", {"server": record})
    check(pub["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"], "first is latest")
    await ok(c, "mcp_server_publish", {"server": {**record, "version": "1.1.0"}})
    latest = await ok(c, "mcp_server_get", {"name": name})
    check(latest["server"]["version"] == "1.1.0", "latest version")
    page = await ok(c, "mcp_server_list", {"search": name, "limit": 1})
    check(page["metadata"]["count"] == 1 and page["metadata"].get("nextCursor"), f"paging {page['metadata']}")
    hits = await ok(c, "mcp_server_search", {"query": "interop"})
    check(hits["servers"], "search finds servers")
    dep = await ok(c, "mcp_server_set_status", {"name": name, "version": "1.0.0", "status": "deprecated"})
    check(dep["_meta"]["io.modelcontextprotocol.registry/official"]["status"] == "deprecated", "status")
    await err(c, "mcp_server_publish", {"server": record}, -32017)
    await err(c, "mcp_server_publish", {"server": {**record, "name": "no-slash", "version": "9"}}, -32006)


async def run(role, url, mode):
    async with Client(url, mode=mode) as c:
        tools = (await c.list_tools()).tools
        names = {t.name for t in tools}
        check(names == EXPECTED[role], f"{role} tools: {sorted(names)}")
        for t in tools:
            check(t.input_schema.get("type") == "object", f"{t.name} input schema")
            check(t.output_schema and t.output_schema.get("type") == "object", f"{t.name} output schema")
        try:
            await c.call_tool("no_such_tool", {})
            check(False, "unknown tool must fail")
        except MCPError as e:
            check(e.error.code == -32602, f"unknown tool code {e.error.code}")
        await {"context": context, "agent-registry": agent_registry, "mcp-registry": mcp_registry}[role](c, mode)


async def main():
    endpoints = json.load(open(sys.argv[1]))
    mode = sys.argv[2]
    for role in EXPECTED:
        await run(role, endpoints[role], mode)
    print(f"{checks} passed, 0 failed")


if __name__ == "__main__":
    asyncio.run(main())
