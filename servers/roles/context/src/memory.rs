//! Long-term memory and ticket history on the vector store.

use chrono::Utc;
use omega_protocol::{OmegaError, TenantId};
use omega_store::Scope;
use serde_json::{Map, Value, json};

use crate::quota::{Entry, Quota, vector_bytes};
use crate::state::{ContextState, check_id};
use crate::types::*;

pub(crate) const MEMORY: &str = "memory";
pub(crate) const TICKETS: &str = "tickets";

fn non_empty(field: &str, text: &str) -> Result<(), OmegaError> {
    if text.trim().is_empty() {
        return Err(
            OmegaError::invalid_params(format!("`{field}` must not be empty")).with_field(field),
        );
    }
    Ok(())
}

fn k_or(field: &str, k: Option<u32>, default: u32, max: u32) -> Result<usize, OmegaError> {
    match k {
        None => Ok(default as usize),
        Some(k) if (1..=max).contains(&k) => Ok(k as usize),
        Some(k) => Err(
            OmegaError::invalid_params(format!("`{field}` is {k}; use 1..={max}"))
                .with_field(field),
        ),
    }
}

pub(crate) async fn store(
    state: &ContextState,
    quota: &Quota,
    tenant: TenantId,
    input: MemoryStore,
) -> Result<MemoryStored, OmegaError> {
    non_empty("text", &input.text)?;
    let id = match input.id {
        Some(id) => {
            check_id("id", &id, 128)?;
            id
        }
        None => uuid::Uuid::now_v7().to_string(),
    };
    let payload = json!({
        "text": input.text,
        "metadata": input.metadata,
        "storedAt": Utc::now().to_rfc3339(),
    });
    let text = payload.to_string();
    state.check_size("text", text.len())?;
    let vector = state.embedder.embed(&input.text);
    let entry = Entry::Vector {
        collection: MEMORY,
        id: &id,
    };
    let bytes = vector_bytes(&id, vector.len(), &text);
    let scope = Scope::Tenant(tenant.clone());
    quota
        .write(state, &tenant, entry, bytes, async {
            Ok(state
                .vectors
                .upsert(&scope, MEMORY, &id, &vector, &payload)
                .await?)
        })
        .await?;
    Ok(MemoryStored { id })
}

fn matches(metadata: &Map<String, Value>, filter: &Map<String, Value>) -> bool {
    filter.iter().all(|(k, v)| metadata.get(k) == Some(v))
}

pub(crate) async fn search(
    state: &ContextState,
    tenant: TenantId,
    input: MemorySearch,
) -> Result<MemoryResults, OmegaError> {
    non_empty("query", &input.query)?;
    let k = k_or("k", input.k, 5, 100)?;
    let vector = state.embedder.embed(&input.query);
    // With a filter, over-fetch so that filtering still leaves k hits.
    let fetch = if input.filter.is_empty() { k } else { k * 20 };
    let hits = state
        .vectors
        .search(&Scope::Tenant(tenant), MEMORY, &vector, fetch)
        .await?;
    let results = hits
        .into_iter()
        .filter_map(|hit| {
            let metadata = hit.payload.get("metadata")?.as_object()?.clone();
            matches(&metadata, &input.filter).then(|| MemoryHit {
                id: hit.id,
                score: hit.score,
                text: hit.payload["text"].as_str().unwrap_or_default().to_owned(),
                metadata,
            })
        })
        .take(k)
        .collect();
    Ok(MemoryResults { results })
}

pub(crate) async fn record_ticket(
    state: &ContextState,
    quota: &Quota,
    tenant: TenantId,
    input: TicketRecord,
) -> Result<TicketRecorded, OmegaError> {
    check_id("ticketId", &input.ticket_id, 256)?;
    non_empty("title", &input.title)?;
    let payload = json!({
        "title": input.title,
        "category": input.category,
        "resolution": input.resolution,
    });
    state.check_size("ticket", payload.to_string().len() + input.body.len())?;
    let vector = state
        .embedder
        .embed(&format!("{}\n{}", input.title, input.body));
    let entry = Entry::Vector {
        collection: TICKETS,
        id: &input.ticket_id,
    };
    let bytes = vector_bytes(&input.ticket_id, vector.len(), &payload.to_string());
    let scope = Scope::Tenant(tenant.clone());
    quota
        .write(state, &tenant, entry, bytes, async {
            Ok(state
                .vectors
                .upsert(&scope, TICKETS, &input.ticket_id, &vector, &payload)
                .await?)
        })
        .await?;
    Ok(TicketRecorded {
        ticket_id: input.ticket_id,
    })
}

pub(crate) async fn ticket_context(
    state: &ContextState,
    tenant: TenantId,
    input: TicketContextQuery,
) -> Result<TicketContext, OmegaError> {
    non_empty("title", &input.title)?;
    let k = k_or("k", input.k, 5, 50)?;
    let vector = state
        .embedder
        .embed(&format!("{}\n{}", input.title, input.body));
    let hits = state
        .vectors
        .search(&Scope::Tenant(tenant), TICKETS, &vector, k + 1)
        .await?;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let similar = hits
        .into_iter()
        .filter(|hit| Some(&hit.id) != input.exclude_ticket_id.as_ref())
        .take(k)
        .map(|hit| SimilarPastTicket {
            ticket_id: hit.id,
            score: hit.score,
            title: text(&hit.payload["title"]).unwrap_or_default(),
            category: text(&hit.payload["category"]),
            resolution: text(&hit.payload["resolution"]),
        })
        .collect();
    Ok(TicketContext { similar })
}
