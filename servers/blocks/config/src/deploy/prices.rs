//! Monthly prices used by the cost model.

use std::collections::BTreeMap;

use crate::QueueBackend;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Prices per month, in US dollars.
///
/// The defaults are the seed design's figures, not Azure list prices: the
/// seed charges per replica by size class (D8s_v5 $100, D4s_v5 $75,
/// D2s_v5 $25 a month, i.e. the share of a node one replica occupies) and
/// lists the managed services at fixed monthly prices. Replace them with
/// your negotiated prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PriceTable {
    /// Monthly price of one replica running all month, by size class.
    pub replica_monthly: BTreeMap<String, f64>,
    /// Hours in a billing month (730).
    pub hours_per_month: f64,
    /// Managed services.
    pub managed: Vec<ManagedService>,
}

/// One managed Azure service at a fixed monthly price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManagedService {
    /// Service name.
    pub name: String,
    /// Tier description.
    pub tier: String,
    /// Price per month.
    pub monthly: f64,
    /// Charged only when the teams use this queue backend.
    #[serde(default)]
    pub only_for_backend: Option<QueueBackend>,
}

impl Default for PriceTable {
    fn default() -> Self {
        let svc =
            |name: &str, tier: &str, monthly: f64, only: Option<QueueBackend>| ManagedService {
                name: name.into(),
                tier: tier.into(),
                monthly,
                only_for_backend: only,
            };
        Self {
            replica_monthly: [("D8s_v5", 100.0), ("D4s_v5", 75.0), ("D2s_v5", 25.0)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            hours_per_month: 730.0,
            managed: vec![
                svc("Cosmos DB", "Standard, 1000 RU/s", 600.0, None),
                svc("Azure Cache for Redis", "Premium P1 (6GB)", 250.0, None),
                svc("Azure AI Search", "Basic", 75.0, None),
                svc(
                    "Azure Service Bus",
                    "Premium",
                    700.0,
                    Some(QueueBackend::AzureServicebus),
                ),
                svc("Azure Blob Storage", "1TB Hot + 5TB Cool", 100.0, None),
                svc("Azure Monitor", "Standard", 200.0, None),
            ],
        }
    }
}
