//! [`McpServerRecord::validate`]: the official registry's publishing rules.

use super::{Argument, McpServerRecord, Package, Transport};
use crate::check::{http_url, is_version_range, non_empty, violation};
use crate::error::OmegaError;

/// Longest `description` and `title` the official schema accepts, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 100;

const ICON_MIME_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/jpg",
    "image/svg+xml",
    "image/webp",
];

impl McpServerRecord {
    /// Checks the record. Errors are [`crate::ErrorCode::SCHEMA_VIOLATION`]
    /// with `data.field` naming the field (`packages[0].version`).
    ///
    /// Rules: `name` matches `^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$` and is 3-200
    /// characters; `description` 1-100 characters; `title`, when given, 1-100;
    /// `version` non-empty, at most 255 characters and not a range (`^1.0`,
    /// `~1`, `>=1`, `1.x`, `latest`); URLs absolute http(s); icons HTTPS with a
    /// known MIME type; at least one package or remote; package versions
    /// concrete, `fileSha256` 64 lowercase hex digits (required for `mcpb`);
    /// HTTP transports with a URL; named arguments with a name.
    pub fn validate(&self) -> Result<(), OmegaError> {
        check_name(&self.name)?;
        length("description", &self.description)?;
        if let Some(title) = &self.title {
            length("title", title)?;
        }
        check_version("version", &self.version)?;
        if self.version.len() > 255 {
            return Err(violation(
                "version",
                "version is longer than 255 characters",
                "use a short version such as 1.0.2",
            ));
        }
        if let Some(url) = &self.website_url {
            http_url("websiteUrl", url)?;
        }
        if let Some(repo) = &self.repository {
            http_url("repository.url", &repo.url)?;
            non_empty("repository.source", &repo.source)?;
            if let Some(sub) = &repo.subfolder
                && (sub.starts_with('/') || sub.split('/').any(|p| p == ".."))
            {
                return Err(violation(
                    "repository.subfolder",
                    format!("`{sub}` is not a clean relative path"),
                    "give a path relative to the repository root, without `..`",
                ));
            }
        }
        for (i, icon) in self.icons.iter().enumerate() {
            let at = format!("icons[{i}]");
            if !icon.src.starts_with("https://") || icon.src.len() > 255 {
                return Err(violation(
                    format!("{at}.src"),
                    "icon src is not an HTTPS URL of at most 255 characters",
                    "serve the icon over https:// with a short URL",
                ));
            }
            http_url(&format!("{at}.src"), &icon.src)?;
            if let Some(mime) = &icon.mime_type
                && !ICON_MIME_TYPES.contains(&mime.as_str())
            {
                return Err(violation(
                    format!("{at}.mimeType"),
                    format!("`{mime}` is not an accepted icon type"),
                    format!("use one of {}", ICON_MIME_TYPES.join(", ")),
                ));
            }
        }
        if self.packages.is_empty() && self.remotes.is_empty() {
            return Err(violation(
                "packages",
                "the record has neither packages nor remotes",
                "add a package (npm, pypi, oci, ...) or a remote endpoint",
            ));
        }
        for (i, package) in self.packages.iter().enumerate() {
            check_package(&format!("packages[{i}]"), package)?;
        }
        for (i, remote) in self.remotes.iter().enumerate() {
            http_url(&format!("remotes[{i}].url"), &remote.url)?;
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), OmegaError> {
    let ok = (3..=200).contains(&name.len())
        && name.split_once('/').is_some_and(|(ns, server)| {
            !ns.is_empty()
                && !server.is_empty()
                && ns
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                && server
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(violation(
            "name",
            format!(
                "`{}` is not a reverse-DNS server name",
                name.escape_default()
            ),
            "use namespace/server with one slash, e.g. io.github.acme/weather",
        ))
    }
}

fn length(field: &str, value: &str) -> Result<(), OmegaError> {
    non_empty(field, value)?;
    let chars = value.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(violation(
            field,
            format!(
                "`{field}` has {chars} characters; at most {MAX_DESCRIPTION_CHARS} are allowed"
            ),
            format!(
                "shorten `{field}` to one sentence of at most {MAX_DESCRIPTION_CHARS} characters"
            ),
        ));
    }
    Ok(())
}

fn check_version(field: &str, version: &str) -> Result<(), OmegaError> {
    non_empty(field, version)?;
    if is_version_range(version) {
        return Err(violation(
            field,
            format!(
                "`{}` is a version range or tag, not a version",
                version.escape_default()
            ),
            "give one concrete version such as 1.0.2",
        ));
    }
    Ok(())
}

fn check_package(at: &str, package: &Package) -> Result<(), OmegaError> {
    non_empty(&format!("{at}.registryType"), &package.registry_type)?;
    non_empty(&format!("{at}.identifier"), &package.identifier)?;
    if let Some(version) = &package.version {
        check_version(&format!("{at}.version"), version)?;
    }
    if let Some(url) = &package.registry_base_url {
        http_url(&format!("{at}.registryBaseUrl"), url)?;
    }
    match &package.file_sha256 {
        Some(hash)
            if hash.len() != 64
                || !hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            return Err(violation(
                format!("{at}.fileSha256"),
                "fileSha256 is not 64 lowercase hex digits",
                "give the SHA-256 of the package file in lowercase hex",
            ));
        }
        None if package.registry_type == "mcpb" => {
            return Err(violation(
                format!("{at}.fileSha256"),
                "an mcpb package needs fileSha256",
                "add the SHA-256 of the .mcpb file",
            ));
        }
        _ => {}
    }
    match &package.transport {
        Transport::Stdio => {}
        Transport::StreamableHttp(http) | Transport::Sse(http) => {
            non_empty(&format!("{at}.transport.url"), &http.url)?;
        }
    }
    let args = [
        ("runtimeArguments", &package.runtime_arguments),
        ("packageArguments", &package.package_arguments),
    ];
    for (list, arguments) in args {
        for (i, arg) in arguments.iter().enumerate() {
            let field = format!("{at}.{list}[{i}]");
            match arg {
                Argument::Named(named) => non_empty(&format!("{field}.name"), &named.name)?,
                Argument::Positional(pos)
                    if pos.value_hint.is_none() && pos.input.value.is_none() =>
                {
                    return Err(violation(
                        field,
                        "a positional argument has neither valueHint nor value",
                        "give the argument a valueHint or a value",
                    ));
                }
                Argument::Positional(_) => {}
            }
        }
    }
    for (i, env) in package.environment_variables.iter().enumerate() {
        non_empty(&format!("{at}.environmentVariables[{i}].name"), &env.name)?;
    }
    Ok(())
}
