//! The normalized ticket: one shape for tickets from every PSA platform.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::TenantId;

/// The PSA platform a ticket came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SourcePlatform {
    /// Kaseya BMS.
    KaseyaBms,
    /// Zendesk Support.
    Zendesk,
    /// ServiceNow ITSM.
    Servicenow,
    /// Salesforce Service Cloud.
    Salesforce,
    /// Created inside OMEGA (demo data, tests, manual entry).
    Omega,
}

impl SourcePlatform {
    /// The platform's path segment in `POST /ingest/{platform}/{tenant}`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KaseyaBms => "kaseya-bms",
            Self::Zendesk => "zendesk",
            Self::Servicenow => "servicenow",
            Self::Salesforce => "salesforce",
            Self::Omega => "omega",
        }
    }

    /// Parses a path segment.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::KaseyaBms,
            Self::Zendesk,
            Self::Servicenow,
            Self::Salesforce,
            Self::Omega,
        ]
        .into_iter()
        .find(|p| p.as_str() == raw)
    }
}

/// OMEGA's one priority scale. Each platform's scheme maps onto it; the
/// source value is kept in [`SourceFields::priority`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum Priority {
    /// Critical: service down, many users, act now.
    P1,
    /// High: major impact, act within hours.
    P2,
    /// Medium: normal work.
    P3,
    /// Low: requests, questions, no urgency.
    P4,
}

impl Priority {
    /// All priorities, highest first.
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    /// `"P1"`..`"P4"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::P1 => "P1",
            Self::P2 => "P2",
            Self::P3 => "P3",
            Self::P4 => "P4",
        }
    }
}

/// The platform's own values, kept as given (never interpreted here).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceFields {
    /// The platform's priority, e.g. `"urgent"`, `"1 - Critical"`, `"High"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// The platform's status, e.g. `"open"`, `"2"` (In Progress), `"New"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The platform's category or type, e.g. `"incident"`, `"Hardware"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// Metadata of one attachment. Contents are never stored by OMEGA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// File name as given by the platform.
    pub file_name: String,
    /// MIME type, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Size in bytes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

/// A ticket normalized from any platform. Holds no PII: the requester is a
/// keyed pseudonym and the text has been redacted before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    /// OMEGA's id: `{platform}:{externalId}`, unique within the tenant.
    pub id: String,
    /// The tenant the ticket belongs to.
    pub tenant: TenantId,
    /// Where the ticket came from.
    pub source: SourcePlatform,
    /// The platform's own ticket id or number.
    pub external_id: String,
    /// Title or subject line.
    pub title: String,
    /// Description as plain text (HTML stripped).
    pub body: String,
    /// Pseudonymous requester id (HMAC of the platform identity), never a name or email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    /// When the ticket was created on the platform.
    pub created_at: DateTime<Utc>,
    /// When the ticket was last updated on the platform.
    pub updated_at: DateTime<Utc>,
    /// The platform priority mapped onto OMEGA's scale, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// The platform's own priority, status and category values.
    #[serde(default)]
    pub source_fields: SourceFields,
    /// Tags or labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Attachment metadata.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

impl Ticket {
    /// Builds OMEGA's ticket id from the platform and its external id.
    pub fn make_id(source: SourcePlatform, external_id: &str) -> String {
        format!("{}:{external_id}", source.as_str())
    }

    /// Title and body joined, the text classifiers and embedders read.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.title, self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_round_trip_their_path_segment() {
        for p in [
            SourcePlatform::KaseyaBms,
            SourcePlatform::Zendesk,
            SourcePlatform::Servicenow,
            SourcePlatform::Salesforce,
            SourcePlatform::Omega,
        ] {
            assert_eq!(SourcePlatform::parse(p.as_str()), Some(p));
            let json = serde_json::to_value(p).unwrap();
            assert_eq!(json, p.as_str());
        }
        assert_eq!(SourcePlatform::parse("jira"), None);
    }
}
