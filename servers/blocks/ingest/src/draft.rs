//! The shared last step of every platform's normalization.

use chrono::{DateTime, Utc};
use omega_protocol::{
    Attachment, OmegaError, Priority, SourceFields, SourcePlatform, TenantId, Ticket,
};

use crate::errors::{invalid, missing};
use crate::html::strip_html;
use crate::pseudonym::Pseudonymizer;
use crate::time::parse_datetime;

/// A value and the payload field it came from (for error messages).
pub(crate) type Sourced<'a> = (Option<&'a str>, &'a str);

/// Everything a platform module extracted, before validation.
pub(crate) struct Draft<'a> {
    pub platform: SourcePlatform,
    pub tenant: &'a TenantId,
    pub external_id: &'a str,
    pub title: Sourced<'a>,
    pub title_hint: &'a str,
    pub body: Option<&'a str>,
    pub requester: Option<String>,
    pub created_at: Sourced<'a>,
    pub updated_at: Sourced<'a>,
    pub priority_raw: Option<&'a str>,
    pub priority_map: fn(&str) -> Option<Priority>,
    pub status: Option<&'a str>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub attachments: Vec<Attachment>,
}

impl Draft<'_> {
    /// Validates and builds the ticket.
    pub fn build(self, pseudonymizer: &dyn Pseudonymizer) -> Result<Ticket, OmegaError> {
        let p = self.platform;
        let (title_raw, title_field) = self.title;
        let title = title_raw.map(one_line).unwrap_or_default();
        if title.is_empty() {
            return Err(missing(p, title_field, self.title_hint));
        }
        let created = date(p, self.created_at)?;
        let updated = date(p, self.updated_at)?;
        let (created_at, updated_at) = match (created, updated) {
            (Some(c), Some(u)) => (c, u.max(c)),
            (Some(c), None) => (c, c),
            (None, Some(u)) => (u, u),
            (None, None) => {
                return Err(missing(
                    p,
                    self.created_at.1,
                    "the ticket needs its creation or last update time; add it to the payload",
                ));
            }
        };
        let requester = self
            .requester
            .filter(|r| !r.trim().is_empty())
            .map(|r| pseudonymizer.pseudonym(self.tenant, &r));
        let priority_raw = self.priority_raw.map(str::trim).filter(|s| !s.is_empty());
        Ok(Ticket {
            id: Ticket::make_id(p, self.external_id),
            tenant: self.tenant.clone(),
            source: p,
            external_id: self.external_id.to_owned(),
            title,
            body: self.body.map(strip_html).unwrap_or_default(),
            requester,
            created_at,
            updated_at,
            priority: priority_raw.and_then(self.priority_map),
            source_fields: SourceFields {
                priority: priority_raw.map(str::to_owned),
                status: self.status.map(str::to_owned),
                category: self.category,
            },
            tags: self.tags,
            attachments: self.attachments,
        })
    }
}

fn date(p: SourcePlatform, (raw, field): Sourced<'_>) -> Result<Option<DateTime<Utc>>, OmegaError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_datetime(s).map(Some).ok_or_else(|| {
            invalid(
                p,
                field,
                format!("`{field}` = `{}` is not a date-time", s.escape_default()),
            )
            .with_hint("use ISO 8601 (2024-03-01T10:15:00Z) or YYYY-MM-DD hh:mm:ss in UTC")
        }),
    }
}

/// A title: HTML stripped, whitespace collapsed to single spaces.
fn one_line(raw: &str) -> String {
    strip_html(raw)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
