//! Checks a configuration before anything is rendered or written.

use std::collections::HashSet;

use omega_config::{OmegaConfig, QueueBackend};

use crate::{DeployConfig, DeployError, Target};

fn invalid(field: impl Into<String>, message: impl Into<String>) -> DeployError {
    DeployError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// A Kubernetes DNS label: 1-63 lowercase letters, digits and '-', starting
/// and ending with a letter or digit.
pub(crate) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    ip.parse::<std::net::Ipv4Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 32)
}

fn is_quantity(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    !digits.is_empty() && digits.parse::<f64>().is_ok_and(|v| v > 0.0)
}

/// Validates `config` and `deploy` for `target`.
pub fn validate(
    config: &OmegaConfig,
    deploy: &DeployConfig,
    target: Target,
) -> Result<(), DeployError> {
    config
        .validate()
        .map_err(|e| invalid("omega.toml", e.to_string()))?;
    if config.teams.queue_backend == QueueBackend::Embedded {
        return Err(DeployError::EmbeddedBackend { target });
    }
    for (field, value) in [
        ("deploy.registry", &deploy.registry),
        ("deploy.image", &deploy.image),
        ("deploy.tag", &deploy.tag),
        ("deploy.otelEndpoint", &deploy.otel_endpoint),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(field, "must not be empty"));
        }
    }
    for (field, ns) in [
        ("deploy.namespaces.core", &deploy.namespaces.core),
        ("deploy.namespaces.dynamic", &deploy.namespaces.dynamic),
        ("deploy.otelNamespace", &deploy.otel_namespace),
    ] {
        if !is_dns_label(ns) {
            return Err(invalid(
                field,
                format!("`{ns}` is not a DNS label (lowercase letters, digits, '-')"),
            ));
        }
    }
    if deploy.namespaces.core == deploy.namespaces.dynamic {
        return Err(invalid(
            "deploy.namespaces",
            "core and dynamic must be different namespaces",
        ));
    }
    for (field, pool) in [
        ("deploy.nodePools.alwaysOn", &deploy.node_pools.always_on),
        ("deploy.nodePools.dynamic", &deploy.node_pools.dynamic),
    ] {
        let name_ok = !pool.name.is_empty()
            && pool.name.len() <= 12
            && pool
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && pool.name.as_bytes()[0].is_ascii_lowercase();
        if !name_ok {
            return Err(invalid(
                field,
                "name must be 1-12 lowercase letters and digits, starting with a letter (AKS rule)",
            ));
        }
        if pool.max_nodes == 0 || pool.min_nodes > pool.max_nodes {
            return Err(invalid(
                field,
                "need 0 <= minNodes <= maxNodes and maxNodes >= 1",
            ));
        }
        if !is_dns_label(&pool.tier) || pool.vm_size.is_empty() {
            return Err(invalid(field, "tier must be a DNS label and vmSize set"));
        }
    }
    if deploy.node_pools.always_on.name == deploy.node_pools.dynamic.name {
        return Err(invalid(
            "deploy.nodePools",
            "the two pools need different names",
        ));
    }
    if deploy.roles.is_empty() {
        return Err(invalid(
            "deploy.roles",
            "at least one always-on role is needed",
        ));
    }
    let mut seen = HashSet::new();
    for role in &deploy.roles {
        let field = format!("deploy.roles[name = {:?}]", role.name);
        if !is_dns_label(&role.name) || role.name.len() > 40 {
            return Err(invalid(
                field,
                "name must be a DNS label of at most 40 characters",
            ));
        }
        if !seen.insert(role.name.as_str()) {
            return Err(invalid(field, "role is listed twice"));
        }
        if role.replicas == 0 {
            return Err(invalid(
                field,
                "replicas must be at least 1 (this is the always-on tier)",
            ));
        }
        if role.port == 0 {
            return Err(invalid(field, "port must be 1-65535"));
        }
        check_size(deploy, &field, &role.size_class)?;
        check_resources(
            &field,
            role.resources.as_ref().unwrap_or(&deploy.default_resources),
        )?;
    }
    let mut seen = HashSet::new();
    for team in &deploy.teams {
        let field = format!("deploy.teams[name = {:?}]", team.name);
        if config.teams.team(&team.name).is_none() {
            return Err(invalid(field, "no team of that name in teams.teams"));
        }
        if !seen.insert(team.name.as_str()) {
            return Err(invalid(field, "team is listed twice"));
        }
        if team.name.len() > 40 {
            return Err(invalid(field, "name must be at most 40 characters"));
        }
        if !(team.work_per_ticket.is_finite() && team.work_per_ticket >= 0.0) {
            return Err(invalid(field, "workPerTicket must be a number >= 0"));
        }
        check_size(deploy, &field, &team.size_class)?;
        check_resources(
            &field,
            team.resources.as_ref().unwrap_or(&deploy.default_resources),
        )?;
    }
    for team in &config.teams.teams {
        if deploy.team(&team.name).is_none() {
            return Err(invalid(
                "deploy.teams",
                format!(
                    "team `{}` has no entry: add {{ name = \"{}\", sizeClass = \"D4s_v5\", workPerTicket = 1.0 }}",
                    team.name, team.name
                ),
            ));
        }
        if team.queue.split('/').count() > 2 || team.queue.split('/').any(str::is_empty) {
            return Err(invalid(
                format!("teams.teams[name = {:?}].queue", team.name),
                "use `queue` or `topic/subscription`",
            ));
        }
    }
    check_resources("deploy.defaultResources", &deploy.default_resources)?;
    let q = &deploy.queue;
    match config.teams.queue_backend {
        QueueBackend::RedisStreams
            if q.redis_address.is_empty() || q.redis_password_secret.is_empty() =>
        {
            return Err(invalid(
                "deploy.queue",
                "redis-streams needs redisAddress and redisPasswordSecret",
            ));
        }
        QueueBackend::NatsJetstream
            if q.nats_monitoring_endpoint.is_empty()
                || q.nats_stream.is_empty()
                || !is_dns_label(&q.nats_namespace) =>
        {
            return Err(invalid(
                "deploy.queue",
                "nats-jetstream needs natsMonitoringEndpoint, natsStream and a natsNamespace DNS label",
            ));
        }
        QueueBackend::AzureServicebus if deploy.azure.service_bus_namespace.is_empty() => {
            return Err(invalid(
                "deploy.azure.serviceBusNamespace",
                "azure-servicebus needs the namespace name",
            ));
        }
        _ => {}
    }
    let net = &deploy.network;
    for (field, list) in [
        (
            "deploy.network.privateEndpointCidrs",
            &net.private_endpoint_cidrs,
        ),
        (
            "deploy.network.identityEgressCidrs",
            &net.identity_egress_cidrs,
        ),
        ("deploy.network.titanEgressCidrs", &net.titan_egress_cidrs),
    ] {
        if let Some(bad) = list.iter().find(|c| !is_cidr(c)) {
            return Err(invalid(
                field,
                format!("`{bad}` is not an IPv4 CIDR like 10.0.0.0/16"),
            ));
        }
    }
    if deploy.key_vault_secrets.iter().any(|s| s.is_empty())
        || deploy.azure.key_vault_name.is_empty()
    {
        return Err(invalid("deploy.keyVaultSecrets", "names must not be empty"));
    }
    if target == Target::ContainerApps
        && !(deploy.container_apps.cpu > 0.0 && is_quantity(&deploy.container_apps.memory))
    {
        return Err(invalid(
            "deploy.containerApps",
            "cpu must be > 0 and memory like `0.5Gi`",
        ));
    }
    let hours = deploy.prices.hours_per_month;
    if !(hours.is_finite() && hours > 0.0) {
        return Err(invalid("deploy.prices.hoursPerMonth", "must be > 0"));
    }
    Ok(())
}

fn check_size(deploy: &DeployConfig, field: &str, size: &str) -> Result<(), DeployError> {
    if deploy.prices.replica_monthly.contains_key(size) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!(
                "sizeClass `{size}` has no price in deploy.prices.replicaMonthly (known: {})",
                deploy
                    .prices
                    .replica_monthly
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

fn check_resources(field: &str, r: &omega_config::deploy::Resources) -> Result<(), DeployError> {
    for (name, q) in [
        ("cpuRequest", &r.cpu_request),
        ("memoryRequest", &r.memory_request),
        ("cpuLimit", &r.cpu_limit),
        ("memoryLimit", &r.memory_limit),
    ] {
        if !is_quantity(q) {
            return Err(invalid(
                format!("{field}.resources.{name}"),
                format!("`{q}` is not a Kubernetes quantity like 100m or 64Mi"),
            ));
        }
    }
    Ok(())
}
