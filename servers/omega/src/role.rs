//! The role is the unit of composition: every server OMEGA runs is a
//! [`Role`], built from a [`RoleContext`] into [`RoleParts`] the same way
//! by `omega up` (every role, one process) and `omega serve <role>` (one).

use std::collections::BTreeMap;
use std::fmt;

use anyhow::Context as _;
use futures::future::BoxFuture;
use omega_config::OmegaConfig;
use omega_protocol::AgentCard;
use omega_stack::{McpOptions, RoleApp};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::backends::Backends;

/// A Titan served by its own role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TitanId {
    /// The embedded classifier (always available, no key).
    Local,
    /// OpenAI.
    Gpt,
    /// Anthropic.
    Claude,
    /// Google Gemini.
    Gemini,
    /// xAI.
    Grok,
    /// Augment (Auggie CLI).
    Augment,
}

impl TitanId {
    /// Every Titan.
    pub const ALL: [TitanId; 6] = [
        TitanId::Local,
        TitanId::Gpt,
        TitanId::Claude,
        TitanId::Gemini,
        TitanId::Grok,
        TitanId::Augment,
    ];

    /// The Titan's routing name (`local`, `gpt`, ...).
    pub fn name(self) -> &'static str {
        match self {
            TitanId::Local => "local",
            TitanId::Gpt => "gpt",
            TitanId::Claude => "claude",
            TitanId::Gemini => "gemini",
            TitanId::Grok => "grok",
            TitanId::Augment => "augment",
        }
    }
}

/// An agent team, scaled by queue depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum TeamId {
    /// Classifies, prioritizes and routes new tickets (`ticket-triage`).
    Triage,
    /// Decides the tickets triage abstained on (`ticket-classify`).
    Classification,
    /// Learns from what employees do with tickets (`employee-activity`).
    Shadow,
    /// Reports on the ticket flow (`analytics-jobs`).
    Analytics,
}

impl TeamId {
    /// Every team.
    pub const ALL: [TeamId; 4] = [
        TeamId::Triage,
        TeamId::Classification,
        TeamId::Shadow,
        TeamId::Analytics,
    ];

    /// The team's name in `teams` of omega.toml.
    pub fn name(self) -> &'static str {
        match self {
            TeamId::Triage => "triage",
            TeamId::Classification => "classification",
            TeamId::Shadow => "shadow",
            TeamId::Analytics => "analytics",
        }
    }
}

/// Every role OMEGA serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleId {
    /// Sessions, cache, semantic memory, ticket context.
    Context,
    /// Agent cards, heartbeats and discovery.
    AgentRegistry,
    /// MCP server records.
    McpRegistry,
    /// One Titan: its MCP `titan_call` tool and its A2A agent.
    Titan(TitanId),
    /// Strategies over the Titans, budgets per tenant.
    Orchestrator,
    /// JSON-RPC routing and the MCP gateway.
    Federation,
    /// Queue depths and the replicas KEDA's rules ask for, per team.
    CapacityManager,
    /// Webhooks from the four PSA platforms, normalizer and router.
    Ingest,
    /// One team's workers.
    Team(TeamId),
    /// The employee dashboard.
    Dashboard,
}

impl RoleId {
    /// Every role, in the order `omega up` builds them: a role comes after
    /// the peers it connects to while it is built.
    pub fn all() -> Vec<RoleId> {
        let mut all = vec![RoleId::Context, RoleId::AgentRegistry, RoleId::McpRegistry];
        all.extend(TitanId::ALL.map(RoleId::Titan));
        all.extend([RoleId::Orchestrator, RoleId::Federation, RoleId::Ingest]);
        all.extend(TeamId::ALL.map(RoleId::Team));
        all.extend([RoleId::CapacityManager, RoleId::Dashboard]);
        all
    }

    /// The role's name: in endpoints.json, logs, `omega serve <name>` and
    /// the deployment (teams: `team-<team>`).
    pub fn name(self) -> String {
        match self {
            RoleId::Context => "context".into(),
            RoleId::AgentRegistry => "agent-registry".into(),
            RoleId::McpRegistry => "mcp-registry".into(),
            RoleId::Titan(t) => format!("titan-{}", t.name()),
            RoleId::Orchestrator => "orchestrator".into(),
            RoleId::Federation => "federation".into(),
            RoleId::CapacityManager => "capacity-manager".into(),
            RoleId::Ingest => "ingest".into(),
            RoleId::Team(t) => format!("team-{}", t.name()),
            RoleId::Dashboard => "dashboard".into(),
        }
    }

    /// The port offset from `--port-base` in `omega up` (stable, so the
    /// first six keep their historic ports 7700..7705).
    pub fn port_offset(self) -> u16 {
        match self {
            RoleId::Context => 0,
            RoleId::AgentRegistry => 1,
            RoleId::McpRegistry => 2,
            RoleId::Federation => 3,
            RoleId::Ingest => 4,
            RoleId::Dashboard => 5,
            RoleId::Orchestrator => 6,
            RoleId::CapacityManager => 7,
            RoleId::Titan(t) => 8 + t as u16,
            RoleId::Team(t) => 14 + t as u16,
        }
    }

    /// The path of the role's main endpoint (printed and in endpoints.json).
    pub fn path(self) -> &'static str {
        match self {
            RoleId::Ingest => "/ingest",
            RoleId::Dashboard => "/dashboard",
            _ => "/mcp",
        }
    }

    /// The `peers` key in omega.toml naming where this role runs.
    pub fn peer_key(self) -> String {
        match self {
            RoleId::Context => "peers.context".into(),
            RoleId::AgentRegistry => "peers.agentRegistry".into(),
            RoleId::McpRegistry => "peers.mcpRegistry".into(),
            RoleId::Titan(t) => format!("peers.titans.{}", t.name()),
            RoleId::Orchestrator => "peers.orchestrator".into(),
            RoleId::Federation => "peers.federation".into(),
            RoleId::Ingest => "peers.ingest".into(),
            other => format!("peers.{}", other.name()),
        }
    }

    /// The role's builder.
    pub fn role(self) -> &'static dyn Role {
        crate::roles::role_of(self)
    }
}

impl fmt::Display for RoleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Where each peer role is reached (base URLs, `http://host:port`).
#[derive(Debug, Clone, Default)]
pub struct Peers(BTreeMap<RoleId, String>);

impl Peers {
    /// Peers from configuration (`peers` in omega.toml).
    pub fn from_config(config: &OmegaConfig) -> Self {
        let p = &config.peers;
        let mut map = BTreeMap::new();
        for (role, url) in [
            (RoleId::Context, &p.context),
            (RoleId::AgentRegistry, &p.agent_registry),
            (RoleId::McpRegistry, &p.mcp_registry),
            (RoleId::Orchestrator, &p.orchestrator),
            (RoleId::Federation, &p.federation),
            (RoleId::Ingest, &p.ingest),
        ] {
            if let Some(url) = url {
                map.insert(role, url.trim_end_matches('/').to_owned());
            }
        }
        for t in TitanId::ALL {
            if let Some(url) = p.titans.get(t.name()) {
                map.insert(RoleId::Titan(t), url.trim_end_matches('/').to_owned());
            }
        }
        Self(map)
    }

    /// Sets (or replaces) where `role` runs.
    pub fn insert(&mut self, role: RoleId, base_url: String) {
        self.0.insert(role, base_url);
    }

    /// The base URL of `role`, if known.
    pub fn get(&self, role: RoleId) -> Option<&str> {
        self.0.get(&role).map(String::as_str)
    }

    /// The base URL of `role`, or an error naming the setting that supplies it.
    pub fn require(&self, role: RoleId, needed_by: RoleId) -> anyhow::Result<&str> {
        self.get(role).with_context(|| {
            format!(
                "the {needed_by} role needs the {role} role: run it in this process (omega up) \
                 or set `{}` in omega.toml",
                role.peer_key()
            )
        })
    }

    /// The MCP endpoint of `role` (`<base>/mcp`).
    pub fn mcp_url(&self, role: RoleId, needed_by: RoleId) -> anyhow::Result<String> {
        Ok(format!("{}/mcp", self.require(role, needed_by)?))
    }

    /// Every known Titan role and its base URL.
    pub fn titans(&self) -> impl Iterator<Item = (TitanId, &str)> {
        self.0.iter().filter_map(|(r, url)| match r {
            RoleId::Titan(t) => Some((*t, url.as_str())),
            _ => None,
        })
    }
}

/// Everything a role is built from.
pub struct RoleContext<'a> {
    /// The role being built.
    pub role: RoleId,
    /// The whole configuration (each role reads its own section).
    pub config: &'a OmegaConfig,
    /// The backends of this process (stores, queue, models).
    pub backends: &'a Backends,
    /// Where the role's peers run.
    pub peers: &'a Peers,
    /// This role's own base URL (for agent cards).
    pub self_url: String,
    /// The stack options every role shares: limits, Host check, metrics and
    /// the identity slot (authenticator and authorizer).
    pub mcp: McpOptions,
    /// Fires when the process shuts down.
    pub cancel: CancellationToken,
    /// Who scales the teams.
    pub scaling: Scaling,
    /// How this role calls its peers (its client certificate under TLS).
    pub connection: omega_client::Connection,
}

impl RoleContext<'_> {
    /// An MCP client of the peer `role`, with this role's credentials.
    pub async fn mcp_client(&self, role: RoleId) -> anyhow::Result<omega_client::McpClient> {
        let url = self.peers.mcp_url(role, self.role)?;
        omega_client::McpClient::over(
            &self.connection,
            &url,
            omega_client::McpVersion::V2026_07_28,
        )
        .await
        .with_context(|| {
            format!(
                "the {} role cannot reach the {role} role at {url}",
                self.role
            )
        })
    }
}

/// Who decides how many workers a team runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaling {
    /// This process: the capacity runtime applies KEDA's rules to the
    /// queue depth and runs 0..max workers (`omega up`).
    InProcess,
    /// KEDA scales the pods; each runs a fixed number of workers
    /// (`omega serve team`).
    External,
}

/// A stop hook: runs at shutdown, before the HTTP server stops.
pub type StopHook = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// What a role is made of once built.
pub struct RoleParts {
    /// Its HTTP application (always through the shared stack).
    pub app: RoleApp,
    /// Background tasks that end when the context's cancel token fires.
    pub tasks: Vec<JoinHandle<()>>,
    /// Stop hooks (workers that finish their batch), run at shutdown.
    pub stops: Vec<StopHook>,
    /// The agent card to keep registered (with heartbeats) while the role
    /// runs; deregistered at shutdown.
    pub card: Option<AgentCard>,
    /// Extra lines `omega up` prints after the endpoints.
    pub notes: Vec<String>,
}

impl RoleParts {
    /// Parts with just an application.
    pub fn app(app: RoleApp) -> Self {
        Self {
            app,
            tasks: Vec::new(),
            stops: Vec::new(),
            card: None,
            notes: Vec::new(),
        }
    }

    /// Adds an agent card to register.
    pub fn with_card(mut self, card: AgentCard) -> Self {
        self.card = Some(card);
        self
    }
}

/// One server of OMEGA.
pub trait Role: Send + Sync {
    /// Builds the role. Fails with an error naming the missing setting when
    /// a peer or a secret it needs is absent; never panics.
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>>;
}
