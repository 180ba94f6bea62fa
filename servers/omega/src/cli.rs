//! Command-line interface.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::role::{RoleId, Scaling, TeamId, TitanId};
use crate::up;

/// OMEGA: a federation of AI agents over MSP support tickets.
///
/// `omega up` runs everything in one process on embedded storage;
/// `omega serve <role>` runs one role, as a production deployment does.
#[derive(Debug, Parser)]
#[command(name = "omega", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Without it, built-in defaults are used:
    /// embedded storage under --data-dir and tenants demo, acme and globex.
    #[arg(long, global = true, env = "OMEGA_CONFIG")]
    pub config: Option<PathBuf>,

    /// Directory for embedded storage, endpoints.json and (later) certificates.
    #[arg(long, global = true, env = "OMEGA_DATA_DIR", default_value = ".omega")]
    pub data_dir: PathBuf,

    /// Log as JSON lines instead of human-readable text (filter with OMEGA_LOG).
    #[arg(long, global = true)]
    pub log_json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every role in one process on loopback, write <data-dir>/endpoints.json
    /// and print the endpoints. Stops cleanly on Ctrl-C.
    Up(UpArgs),
    /// Run one role.
    Serve(ServeArgs),
    /// Render the AKS or Container Apps deployment, or price it.
    #[command(subcommand)]
    Deploy(DeployCommand),
    /// Check a configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Work with the tamper-evident audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Train or evaluate the embedded ticket classifier.
    #[command(subcommand)]
    Classifier(ClassifierCommand),
    /// Check whether a server or agent can join an OMEGA federation: prints a
    /// report citing requirement ids (conformance/REQUIREMENTS.md) and can
    /// write JUnit XML. Exit code 0 when every check passes.
    Conformance(omega_conformance::CheckArgs),
}

/// `omega classifier` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClassifierCommand {
    /// Build the model from a ticket-history export: a CSV (or .csv.gz) with
    /// columns `text,category` and optionally `priority`.
    Train {
        /// The labelled CSV.
        csv: PathBuf,
        /// Where to write the model (default: <data-dir>/classifier).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print accuracy, macro-F1 and the confusion matrix of the trained model
    /// on any labelled CSV.
    Eval {
        /// The labelled CSV.
        csv: PathBuf,
        /// The model directory (default: <data-dir>/classifier).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `omega config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (defaults filled in, secrets
    /// redacted), or every error with its path. Exit code 1 on errors.
    Check {
        /// The omega.toml to check.
        file: PathBuf,
    },
}

/// `omega audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every audit segment's hash chain against the signed head
    /// (`<data-dir>/audit.head`, key `<data-dir>/audit.key`); exits non-zero
    /// and names the segment and record when anything was edited, removed,
    /// reordered or cut off the end.
    Verify {
        /// The audit directory (default: <data-dir>/audit).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// `omega deploy` subcommands.
#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// Write manifests for a target to a folder (nothing is written when the
    /// configuration is invalid).
    Render {
        /// `aks` or `container-apps`.
        #[arg(long, default_value = "aks")]
        target: String,
        /// Output folder; files go to <out>/<target>/.
        #[arg(long, default_value = "deploy/rendered")]
        out: PathBuf,
        /// Override `teams.queueBackend` (`azure-servicebus`, `redis-streams`,
        /// `nats-jetstream`); the embedded queue cannot be deployed.
        #[arg(long)]
        queue_backend: Option<String>,
    },
    /// Print the monthly cost of the rendered deployment.
    Cost {
        /// `aks` or `container-apps`.
        #[arg(long, default_value = "aks")]
        target: String,
        /// A queue-depth trace CSV (`t_secs,team,depth`) to estimate the dynamic tier.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Assumed load: tickets per hour (with --processing-secs).
        #[arg(long)]
        tickets_per_hour: Option<f64>,
        /// Assumed load: worker-seconds per ticket (with --tickets-per-hour).
        #[arg(long)]
        processing_secs: Option<f64>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `omega up` flags.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Address to listen on.
    #[arg(long, env = "OMEGA_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// First port: roles listen on consecutive ports from here (context,
    /// agent-registry, mcp-registry, federation, ingest, dashboard). 0 picks free ports.
    #[arg(long, default_value_t = 7700)]
    pub port_base: u16,
    /// Post the bundled sample tickets from all four platforms and print
    /// each ticket's triage (teams poll every 0.5 s instead of 30 s).
    #[arg(long)]
    pub demo: bool,
}

/// `omega serve` flags.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The role to run.
    #[arg(value_enum)]
    pub role: RoleArg,
    /// Address to listen on (0.0.0.0 in a container).
    #[arg(long, env = "OMEGA_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free port).
    #[arg(long, env = "OMEGA_PORT", default_value_t = 7700)]
    pub port: u16,
    /// For `serve team`: which team's workers to run.
    #[arg(long, value_enum, required_if_eq("role", "team"))]
    pub team: Option<TeamId>,
    /// Accepted Host headers, comma-separated; `*` disables the check.
    /// Overrides `server.allowedHosts` from the configuration.
    #[arg(long, env = "OMEGA_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
}

/// Roles `omega serve` can run (the names the deployment uses).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Sessions, cache, semantic memory and ticket context.
    Context,
    /// Agent cards, heartbeats and discovery.
    AgentRegistry,
    /// MCP server records and the registry REST API.
    McpRegistry,
    /// The federation core (JSON-RPC at /rpc, MCP gateway at /mcp).
    Federation,
    /// Strategies over the Titans and budgets per tenant.
    Orchestrator,
    /// The local Titan (the embedded classifier).
    TitanLocal,
    /// The OpenAI Titan (`[titans.gpt]`, key in OPENAI_API_KEY by default).
    TitanGpt,
    /// The Anthropic Titan (`[titans.claude]`, ANTHROPIC_API_KEY).
    TitanClaude,
    /// The Google Gemini Titan (`[titans.gemini]`, GEMINI_API_KEY).
    TitanGemini,
    /// The xAI Titan (`[titans.grok]`, XAI_API_KEY).
    TitanGrok,
    /// The Augment Titan (`[titans.augment]`, the Auggie CLI).
    TitanAugment,
    /// Queue depths and the replicas KEDA's rules ask for.
    CapacityManager,
    /// Webhook ingestion plus the pipeline's normalizer and router.
    Ingest,
    /// The MSP employee dashboard.
    Dashboard,
    /// One team's workers (`--team triage|classification|shadow|analytics`), as KEDA scales them.
    Team,
}

impl RoleArg {
    /// The role, with `team` for `serve team`.
    pub fn role(self, team: Option<TeamId>) -> anyhow::Result<RoleId> {
        Ok(match self {
            RoleArg::Context => RoleId::Context,
            RoleArg::AgentRegistry => RoleId::AgentRegistry,
            RoleArg::McpRegistry => RoleId::McpRegistry,
            RoleArg::Federation => RoleId::Federation,
            RoleArg::Orchestrator => RoleId::Orchestrator,
            RoleArg::TitanLocal => RoleId::Titan(TitanId::Local),
            RoleArg::TitanGpt => RoleId::Titan(TitanId::Gpt),
            RoleArg::TitanClaude => RoleId::Titan(TitanId::Claude),
            RoleArg::TitanGemini => RoleId::Titan(TitanId::Gemini),
            RoleArg::TitanGrok => RoleId::Titan(TitanId::Grok),
            RoleArg::TitanAugment => RoleId::Titan(TitanId::Augment),
            RoleArg::CapacityManager => RoleId::CapacityManager,
            RoleArg::Ingest => RoleId::Ingest,
            RoleArg::Dashboard => RoleId::Dashboard,
            RoleArg::Team => RoleId::Team(team.context("`omega serve team` needs --team")?),
        })
    }
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Config(ConfigCommand::Check { file }) = &cli.command {
        let config = omega_config::OmegaConfig::load(file)?;
        print!("{}", config.effective_toml_redacted());
        return Ok(());
    }
    let mut config = match &cli.config {
        Some(path) => omega_config::OmegaConfig::load(path)?,
        None => omega_config::OmegaConfig::default(),
    };
    if let Command::Serve(args) = &cli.command
        && !args.allowed_hosts.is_empty()
    {
        config.server.allowed_hosts = args.allowed_hosts.clone();
    }
    match cli.command {
        Command::Up(args) => {
            // omega up secures its roles unless the file says otherwise.
            config
                .server
                .tls
                .get_or_insert(omega_config::TlsSettings::Dev);
            if args.demo {
                crate::demo::prepare(&mut config);
            }
            let roles = up::up_roles(&config);
            up::run(
                config,
                &cli.data_dir,
                args.host,
                up::Ports::Base(args.port_base),
                &roles,
                Scaling::InProcess,
                args.demo,
            )
            .await
        }
        Command::Serve(args) => {
            let role = args.role.role(args.team)?;
            if config.server.tls.is_none() {
                tracing::warn!(
                    "no [server.tls] in the configuration: serving plain HTTP to anonymous callers; \
                     set [server.tls] mode = \"files\" (a deployment) or \"dev\""
                );
            }
            up::run(
                config,
                &cli.data_dir,
                args.host,
                up::Ports::Single(args.port),
                &[role],
                Scaling::External,
                false,
            )
            .await
        }
        Command::Config(_) => Ok(()),
        Command::Deploy(cmd) => deploy(config, cmd),
        Command::Classifier(cmd) => classifier(&cli.data_dir, cmd),
        Command::Conformance(args) => match omega_conformance::run_check(args).await {
            0 => Ok(()),
            code => std::process::exit(code),
        },
        Command::Audit(AuditCommand::Verify { dir }) => {
            let dir = dir.unwrap_or_else(|| cli.data_dir.join("audit"));
            let head = crate::backends::audit_head(&cli.data_dir);
            let report = omega_audit::verify_trail(&dir, &head.path, &head.key_path, false)?;
            println!("{report}");
            if report.is_ok() {
                Ok(())
            } else {
                Err(anyhow::anyhow!(
                    "the audit trail in {} fails verification",
                    dir.display()
                ))
            }
        }
    }
}

fn parse_target(raw: &str) -> anyhow::Result<omega_deploy::Target> {
    raw.parse()
        .map_err(|_| anyhow::anyhow!("unknown target `{raw}`: use `aks` or `container-apps`"))
}

fn deploy(mut config: omega_config::OmegaConfig, cmd: DeployCommand) -> anyhow::Result<()> {
    match cmd {
        DeployCommand::Render {
            target,
            out,
            queue_backend,
        } => {
            if let Some(backend) = queue_backend {
                config.teams.queue_backend = serde_json::from_value(serde_json::Value::String(backend.clone()))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "unknown queue backend `{backend}`: use azure-servicebus, redis-streams or nats-jetstream"
                        )
                    })?;
            }
            let args = omega_deploy::cli::RenderArgs {
                target: parse_target(&target)?,
                out,
            };
            let report = omega_deploy::cli::render_command(&config, &config.deploy, &args)?;
            println!("{}", omega_deploy::cli::summary(&report));
        }
        DeployCommand::Cost {
            target,
            trace,
            tickets_per_hour,
            processing_secs,
            json,
        } => {
            let args = omega_deploy::cli::CostArgs {
                target: Some(parse_target(&target)?),
                trace,
                tickets_per_hour,
                processing_secs,
                json,
            };
            println!(
                "{}",
                omega_deploy::cli::cost_command(&config, &config.deploy, &args)?
            );
        }
    }
    Ok(())
}

fn classifier(data_dir: &std::path::Path, cmd: ClassifierCommand) -> anyhow::Result<()> {
    use omega_classifier::{Model, Target, TrainConfig, evaluate, labelled, read_labelled_csv};
    match cmd {
        ClassifierCommand::Train { csv, out } => {
            let out = out.unwrap_or_else(|| data_dir.join("classifier"));
            let records = read_labelled_csv(&csv)?;
            std::fs::create_dir_all(&out)?;
            let started = std::time::Instant::now();
            let config = TrainConfig::default();
            let category = Model::train(&labelled(&records, Target::Category), &config)?;
            category.save(out.join("category.model"))?;
            println!(
                "category model: {} examples, {} labels, trained in {:.1} s",
                records.len(),
                category.labels().len(),
                started.elapsed().as_secs_f64()
            );
            if records.iter().any(|r| r.priority.is_some()) {
                let priority = Model::train(&labelled(&records, Target::Priority), &config)?;
                priority.save(out.join("priority.model"))?;
                println!("priority model: {} labels", priority.labels().len());
            }
            println!("saved to {}", out.display());
        }
        ClassifierCommand::Eval { csv, model, json } => {
            let dir = model.unwrap_or_else(|| data_dir.join("classifier"));
            let category = Model::load(dir.join("category.model")).map_err(|e| {
                anyhow::anyhow!("{e}; train a model first with `omega classifier train <csv>`")
            })?;
            let records = read_labelled_csv(&csv)?;
            let report = evaluate(&category, &labelled(&records, Target::Category));
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
            }
        }
    }
    Ok(())
}
