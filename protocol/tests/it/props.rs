//! Property tests: any well-formed Ticket and TriageResult survive JSON.

use chrono::{DateTime, TimeZone, Utc};
use omega_protocol::*;
use proptest::prelude::*;

fn tenant() -> impl Strategy<Value = TenantId> {
    "[a-z0-9][a-z0-9_-]{0,20}".prop_map(|s| TenantId::parse(&s).unwrap())
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| Utc.timestamp_opt(secs, nanos).unwrap())
}

fn priority() -> impl Strategy<Value = Priority> {
    prop::sample::select(Priority::ALL.to_vec())
}

fn platform() -> impl Strategy<Value = SourcePlatform> {
    prop::sample::select(vec![
        SourcePlatform::KaseyaBms,
        SourcePlatform::Zendesk,
        SourcePlatform::Servicenow,
        SourcePlatform::Salesforce,
        SourcePlatform::Omega,
    ])
}

fn ticket() -> impl Strategy<Value = Ticket> {
    (
        (
            tenant(),
            platform(),
            "[0-9A-Za-z-]{1,12}",
            ".{0,40}",
            ".{0,200}",
        ),
        (
            proptest::option::of("[a-z0-9_]{4,16}"),
            time(),
            time(),
            proptest::option::of(priority()),
        ),
        (
            proptest::option::of(".{0,10}"),
            proptest::collection::vec("[a-z-]{1,10}", 0..4),
            proptest::collection::vec(
                (
                    ".{1,20}",
                    proptest::option::of("[a-z]+/[a-z]+"),
                    proptest::option::of(any::<u64>()),
                ),
                0..3,
            ),
        ),
    )
        .prop_map(
            |(
                (tenant, source, ext, title, body),
                (requester, created, updated, pri),
                (sp, tags, att),
            )| Ticket {
                id: Ticket::make_id(source, &ext),
                tenant,
                source,
                external_id: ext,
                title,
                body,
                requester,
                created_at: created,
                updated_at: updated,
                priority: pri,
                source_fields: SourceFields {
                    priority: sp,
                    status: None,
                    category: None,
                },
                tags,
                attachments: att
                    .into_iter()
                    .map(|(file_name, content_type, size_bytes)| Attachment {
                        file_name,
                        content_type,
                        size_bytes,
                    })
                    .collect(),
            },
        )
}

fn action_kind() -> impl Strategy<Value = ActionKind> {
    prop::sample::select(vec![
        ActionKind::ResetPassword,
        ActionKind::UnlockAccount,
        ActionKind::GrantAccess,
        ActionKind::RevokeAccess,
        ActionKind::RestartService,
        ActionKind::Escalate,
        ActionKind::AssignQueue,
        ActionKind::RequestInfo,
        ActionKind::OrderHardware,
        ActionKind::ReplyTemplate,
        ActionKind::Other,
    ])
}

fn decision<T: std::fmt::Debug + Clone + 'static>(
    value: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Decision<T>> {
    (proptest::option::of(value), 0.0f64..=1.0, any::<bool>()).prop_map(
        |(value, confidence, abstain)| {
            if abstain || value.is_none() {
                Decision::abstain(value, confidence).unwrap()
            } else {
                Decision::new(value, confidence).unwrap()
            }
        },
    )
}

fn triage_result() -> impl Strategy<Value = TriageResult> {
    (
        (
            "[a-z]+:[0-9]{1,8}",
            tenant(),
            decision("[a-z/]{1,20}"),
            decision(priority()),
        ),
        proptest::collection::vec((action_kind(), ".{1,60}", any::<bool>()), 0..4),
        proptest::collection::vec(
            (
                "[a-z]+:[0-9]{1,8}",
                -1.0f64..=1.0,
                proptest::option::of("[a-z/]{1,20}"),
                proptest::option::of(".{0,40}"),
            ),
            0..4,
        ),
        (
            prop::sample::select(vec![
                DeciderKind::Agent,
                DeciderKind::Titan,
                DeciderKind::LocalModel,
                DeciderKind::Employee,
            ]),
            "[a-z0-9-]{1,20}",
            ".{0,120}",
            time(),
        ),
    )
        .prop_map(
            |(
                (ticket_id, tenant, category, priority),
                actions,
                similar,
                (kind, name, rationale, at),
            )| {
                TriageResult {
                    ticket_id,
                    tenant,
                    category,
                    priority,
                    suggested_actions: actions
                        .into_iter()
                        .map(|(kind, description, automatic)| SuggestedAction {
                            kind,
                            description,
                            automatic,
                        })
                        .collect(),
                    similar_tickets: similar
                        .into_iter()
                        .map(|(ticket_id, score, category, resolution)| SimilarTicket {
                            ticket_id,
                            score,
                            category,
                            resolution,
                        })
                        .collect(),
                    decided_by: DecidedBy { kind, name },
                    rationale,
                    decided_at: at,
                }
            },
        )
}

proptest! {
    #[test]
    fn ticket_round_trips(t in ticket()) {
        let text = serde_json::to_string(&t).unwrap();
        let back: Ticket = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, t);
    }

    #[test]
    fn triage_result_round_trips_and_validates(r in triage_result()) {
        // Descriptions from `.{1,60}` may be whitespace only; validation
        // must then name that field, never accept it silently.
        let blank = r.suggested_actions.iter().position(|a| a.description.trim().is_empty());
        match (r.validate(), blank) {
            (Ok(()), None) => {}
            (Err(e), Some(i)) => {
                let expected = format!("suggestedActions[{i}].description");
                prop_assert_eq!(e.data.field.as_deref(), Some(expected.as_str()));
            }
            (res, blank) => prop_assert!(false, "validate {:?} with blank action {:?}", res, blank),
        }
        let text = serde_json::to_string(&r).unwrap();
        let back: TriageResult = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, r);
    }
}
