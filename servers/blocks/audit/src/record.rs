//! Audit records, their canonical bytes and their hash chain.

use chrono::{DateTime, Utc};
use omega_protocol::{ErrorCode, TenantId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the very first record: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How an audited action ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase", deny_unknown_fields)]
pub enum Outcome {
    /// The action succeeded.
    Ok,
    /// Policy refused the action.
    Denied {
        /// The stable error code the caller saw.
        code: ErrorCode,
    },
    /// The action failed.
    Error {
        /// The stable error code the caller saw.
        code: ErrorCode,
    },
}

/// An event to audit: a record before the log gives it a sequence number,
/// a timestamp and its hashes.
///
/// **No personal data.** `actor`, `target` and `details` are kept for years on
/// write-once storage where nothing can be erased. Put identifiers there
/// (SPIFFE ids, pseudonyms from `omega-privacy`, ticket ids, tool names,
/// counts), never names, e-mail addresses, phone numbers or ticket text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditEvent {
    /// Who acted: a SPIFFE id, service name or pseudonym.
    pub actor: String,
    /// What kind of principal acted (`service`, `employee`, `operator`,
    /// `anonymous`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_kind: Option<String>,
    /// The tenant the action was for, when there is one.
    #[serde(default)]
    pub tenant: Option<TenantId>,
    /// What was done: a tool's name (for tool calls, whose `target` is the
    /// role that served it), `route`, `triage.decided`, `employee.accept`,
    /// `admin.erase`, ...
    pub action: String,
    /// What it was done to: a tool name, ticket id, pseudonym, ...
    pub target: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Structured, PII-free details.
    #[serde(default)]
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// An event with outcome [`Outcome::Ok`], no tenant and no details.
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        Self {
            actor: actor.into(),
            actor_kind: None,
            tenant: None,
            action: action.into(),
            target: target.into(),
            outcome: Outcome::Ok,
            details: serde_json::Value::Null,
        }
    }

    /// Sets the kind of principal that acted.
    pub fn actor_kind(mut self, kind: impl Into<String>) -> Self {
        self.actor_kind = Some(kind.into());
        self
    }

    /// Sets the tenant.
    pub fn tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Sets the outcome.
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Sets the details.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// One entry of the audit log, as stored (one JSON line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditRecord {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// When the log accepted the event.
    pub at: DateTime<Utc>,
    /// Who acted.
    pub actor: String,
    /// What kind of principal acted, when known. Absent (not `null`) when
    /// unknown, so records written before this field hash the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_kind: Option<String>,
    /// The tenant, when there is one.
    #[serde(default)]
    pub tenant: Option<TenantId>,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Structured, PII-free details.
    #[serde(default)]
    pub details: serde_json::Value,
    /// Hex SHA-256 of the previous record ([`GENESIS_HASH`] for seq 1).
    pub prev_hash: String,
    /// Hex SHA-256 of this record's canonical bytes.
    pub hash: String,
}

impl AuditRecord {
    /// Builds the record for `event` at `seq`, chained to `prev_hash`.
    pub fn seal(seq: u64, at: DateTime<Utc>, event: AuditEvent, prev_hash: String) -> Self {
        let mut record = Self {
            seq,
            at,
            actor: event.actor,
            actor_kind: event.actor_kind,
            tenant: event.tenant,
            action: event.action,
            target: event.target,
            outcome: event.outcome,
            details: event.details,
            prev_hash,
            hash: String::new(),
        };
        record.hash = record.compute_hash();
        record
    }

    /// The canonical bytes the hash covers: the record as JSON without `hash`,
    /// object keys sorted at every level, no insignificant whitespace.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut value = serde_json::to_value(self).expect("an audit record serializes");
        if let serde_json::Value::Object(map) = &mut value {
            map.remove("hash");
        }
        let mut out = Vec::with_capacity(256);
        write_canonical(&value, &mut out);
        out
    }

    /// Hex SHA-256 of [`Self::canonical_bytes`].
    pub fn compute_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }
}

/// Writes `value` as JSON with sorted object keys and no whitespace.
fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, k).expect("strings serialize");
                out.push(b':');
                write_canonical(&map[k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out);
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar).expect("scalars serialize"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> AuditRecord {
        let event = AuditEvent::new("spiffe://omega/ns/x/sa/triage", "tool.call", "ticket.get")
            .tenant(TenantId::parse("acme").unwrap())
            .outcome(Outcome::Denied {
                code: ErrorCode::FORBIDDEN,
            })
            .details(serde_json::json!({"z": 1, "a": {"y": [1, 2], "b": null}}));
        AuditRecord::seal(1, Utc::now(), event, GENESIS_HASH.to_owned())
    }

    #[test]
    fn hash_survives_a_json_round_trip_and_detects_edits() {
        let r = record();
        let line = serde_json::to_string(&r).unwrap();
        let back: AuditRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(back.compute_hash(), r.hash);
        let mut edited = back.clone();
        edited.target = "ticket.delete".into();
        assert_ne!(edited.compute_hash(), r.hash);
    }

    #[test]
    fn actor_kind_is_hashed_when_set_and_absent_when_not() {
        let r = record();
        let text = String::from_utf8(r.canonical_bytes()).unwrap();
        assert!(!text.contains("actorKind"), "{text}");
        let event = AuditEvent::new("spiffe://omega/ns/x/sa/triage", "tool.call", "t")
            .actor_kind("service");
        let with = AuditRecord::seal(1, r.at, event, GENESIS_HASH.to_owned());
        let text = String::from_utf8(with.canonical_bytes()).unwrap();
        assert!(text.contains(r#""actorKind":"service""#), "{text}");
        let mut edited = with.clone();
        edited.actor_kind = Some("operator".into());
        assert_ne!(edited.compute_hash(), with.hash);
    }

    #[test]
    fn canonical_bytes_sort_keys_and_omit_hash() {
        let r = record();
        let text = String::from_utf8(r.canonical_bytes()).unwrap();
        assert!(
            text.contains(r#""details":{"a":{"b":null,"y":[1,2]},"z":1}"#),
            "{text}"
        );
        assert!(!text.contains("\"hash\""), "{text}");
        assert!(
            text.contains(r#""outcome":{"code":-32009,"status":"denied"}"#),
            "{text}"
        );
    }
}
