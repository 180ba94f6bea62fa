//! Integration tests for omega-conformance (one binary, one module per behaviour).

mod fake;
mod official;
mod suite;

/// Every MCP endpoint `omega up` serves: the roles' `/mcp` URLs, and the
/// dashboard's MCP tools at `/mcp` beside `/dashboard` (ingest has none).
pub fn mcp_endpoints(omega: &omega::up::Process) -> Vec<(String, String)> {
    omega
        .endpoints
        .iter()
        .filter_map(|(role, url)| match role.as_str() {
            "ingest" => None,
            name if name.ends_with("/agent-card") => None,
            "dashboard" => Some((role.clone(), url.replace("/dashboard", "/mcp"))),
            _ => Some((role.clone(), url.clone())),
        })
        .collect()
}
