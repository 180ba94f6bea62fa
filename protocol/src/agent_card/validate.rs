//! [`AgentCard::validate`]: the rules the OMEGA agent registry enforces.

use std::collections::HashSet;

use super::{AgentCard, OMEGA_EXTENSION_URI, SecurityRequirement, TenantScope};
use crate::check::{http_url, is_plain_version, non_empty, violation};
use crate::error::OmegaError;

impl AgentCard {
    /// Checks the card. Errors are [`crate::ErrorCode::SCHEMA_VIOLATION`]
    /// with `data.field` naming the offending field as a dotted path with
    /// indices (`supportedInterfaces[1].url`).
    ///
    /// Rules: non-empty name and description; `version` a plain dotted
    /// version (`1`, `1.2`, `1.2.3`, optional `-pre`/`+build`); at least one
    /// interface, each with an absolute http(s) URL, a binding and a
    /// `major.minor` protocol version; provider, documentation and icon URLs
    /// absolute; at least one default input and output mode, each a media
    /// type; skills with unique non-empty ids, names and descriptions;
    /// extension URIs non-empty and unique; security requirements naming
    /// only declared schemes; OMEGA fields with a role and a non-empty,
    /// duplicate-free tenant list.
    pub fn validate(&self) -> Result<(), OmegaError> {
        non_empty("name", &self.name)?;
        non_empty("description", &self.description)?;
        if !is_plain_version(&self.version) {
            return Err(violation(
                "version",
                format!("`{}` is not a version", self.version.escape_default()),
                "use a dotted version such as 1.0.0 (optionally -pre or +build)",
            ));
        }
        self.validate_interfaces()?;
        if let Some(provider) = &self.provider {
            non_empty("provider.organization", &provider.organization)?;
            http_url("provider.url", &provider.url)?;
        }
        if let Some(url) = &self.documentation_url {
            http_url("documentationUrl", url)?;
        }
        if let Some(url) = &self.icon_url {
            http_url("iconUrl", url)?;
        }
        media_types("defaultInputModes", &self.default_input_modes, true)?;
        media_types("defaultOutputModes", &self.default_output_modes, true)?;
        self.validate_skills()?;
        let mut uris = HashSet::new();
        for (i, ext) in self.capabilities.extensions.iter().enumerate() {
            let field = format!("capabilities.extensions[{i}].uri");
            non_empty(&field, &ext.uri)?;
            if !uris.insert(ext.uri.as_str()) {
                return Err(violation(
                    field,
                    format!("extension `{}` is declared twice", ext.uri),
                    "declare each extension once",
                ));
            }
        }
        self.check_requirements("securityRequirements", &self.security_requirements)?;
        self.validate_omega()
    }

    fn validate_interfaces(&self) -> Result<(), OmegaError> {
        if self.supported_interfaces.is_empty() {
            return Err(violation(
                "supportedInterfaces",
                "the card lists no interfaces",
                "add at least one {url, protocolBinding, protocolVersion}",
            ));
        }
        for (i, iface) in self.supported_interfaces.iter().enumerate() {
            let at = format!("supportedInterfaces[{i}]");
            http_url(&format!("{at}.url"), &iface.url)?;
            non_empty(&format!("{at}.protocolBinding"), &iface.protocol_binding)?;
            let v = &iface.protocol_version;
            let ok = v
                .split_once('.')
                .is_some_and(|(maj, min)| digits(maj) && digits(min));
            if !ok {
                return Err(violation(
                    format!("{at}.protocolVersion"),
                    format!("`{}` is not an A2A protocol version", v.escape_default()),
                    "use major.minor, e.g. 1.0",
                ));
            }
        }
        Ok(())
    }

    fn validate_skills(&self) -> Result<(), OmegaError> {
        let mut ids = HashSet::new();
        for (i, skill) in self.skills.iter().enumerate() {
            let at = format!("skills[{i}]");
            non_empty(&format!("{at}.id"), &skill.id)?;
            if !ids.insert(skill.id.as_str()) {
                return Err(violation(
                    format!("{at}.id"),
                    format!("skill id `{}` is used twice", skill.id),
                    "give every skill a unique id",
                ));
            }
            non_empty(&format!("{at}.name"), &skill.name)?;
            non_empty(&format!("{at}.description"), &skill.description)?;
            for (j, tag) in skill.tags.iter().enumerate() {
                non_empty(&format!("{at}.tags[{j}]"), tag)?;
            }
            media_types(&format!("{at}.inputModes"), &skill.input_modes, false)?;
            media_types(&format!("{at}.outputModes"), &skill.output_modes, false)?;
            self.check_requirements(
                &format!("{at}.securityRequirements"),
                &skill.security_requirements,
            )?;
        }
        Ok(())
    }

    fn check_requirements(
        &self,
        field: &str,
        requirements: &[SecurityRequirement],
    ) -> Result<(), OmegaError> {
        for (i, req) in requirements.iter().enumerate() {
            for name in req.schemes.keys() {
                if !self.security_schemes.contains_key(name) {
                    return Err(violation(
                        format!("{field}[{i}].schemes.{name}"),
                        format!("security requirement names undeclared scheme `{name}`"),
                        "declare the scheme in securitySchemes or remove the requirement",
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate_omega(&self) -> Result<(), OmegaError> {
        let Some(omega) = &self.omega else {
            if self
                .capabilities
                .extensions
                .iter()
                .any(|e| e.uri == OMEGA_EXTENSION_URI)
                && self.omega_fields().is_none()
            {
                return Err(violation(
                    "capabilities.extensions.params",
                    "the OMEGA extension's params are not valid OMEGA fields",
                    "give params {role, tier, tenants}",
                ));
            }
            return Ok(());
        };
        non_empty("omega.role", &omega.role)?;
        if let TenantScope::Only(list) = &omega.tenants {
            if list.is_empty() {
                return Err(violation(
                    "omega.tenants.only",
                    "the tenant list is empty",
                    "list at least one tenant, or use \"all\"",
                ));
            }
            let mut seen = HashSet::new();
            for (i, tenant) in list.iter().enumerate() {
                if !seen.insert(tenant) {
                    return Err(violation(
                        format!("omega.tenants.only[{i}]"),
                        format!("tenant `{tenant}` is listed twice"),
                        "list each tenant once",
                    ));
                }
            }
        }
        Ok(())
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn media_types(field: &str, modes: &[String], required: bool) -> Result<(), OmegaError> {
    if required && modes.is_empty() {
        return Err(violation(
            field,
            format!("`{field}` is empty"),
            "list at least one media type, e.g. text/plain",
        ));
    }
    for (i, mode) in modes.iter().enumerate() {
        let ok = mode
            .split_once('/')
            .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty() && !mode.contains(' '));
        if !ok {
            return Err(violation(
                format!("{field}[{i}]"),
                format!("`{}` is not a media type", mode.escape_default()),
                "use type/subtype, e.g. application/json",
            ));
        }
    }
    Ok(())
}
