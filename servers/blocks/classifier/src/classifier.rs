//! [`Classifier`]: the ticket classifier OMEGA embeds, a category model plus an optional
//! priority model trained by the same code.

use serde::{Deserialize, Serialize};

use crate::data::{Target, TicketRecord, labelled};
use crate::error::ClassifierError;
use crate::model::{Model, Prediction, TrainConfig};

/// Category model plus, when the training data has priorities, a priority model.
#[derive(Debug, Clone)]
pub struct Classifier {
    /// Learns the ticket category.
    pub category: Model,
    /// Learns the ticket priority; `None` when the data had fewer than two priority values.
    pub priority: Option<Model>,
}

/// Category and (when available) priority predictions for one ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketPrediction {
    /// The category prediction.
    pub category: Prediction,
    /// The priority prediction, when a priority model exists.
    pub priority: Option<Prediction>,
}

impl Classifier {
    /// Trains the category model on all records and a priority model on the records that have
    /// a priority (when at least two distinct priorities occur).
    pub fn train(records: &[TicketRecord], cfg: &TrainConfig) -> Result<Self, ClassifierError> {
        let category = Model::train(&labelled(records, Target::Category), cfg)?;
        let prio = labelled(records, Target::Priority);
        let distinct = prio
            .iter()
            .map(|p| p.label.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let priority = if distinct >= 2 {
            Some(Model::train(&prio, cfg)?)
        } else {
            None
        };
        Ok(Self { category, priority })
    }

    /// Classifies one ticket text.
    pub fn predict(&self, text: &str) -> TicketPrediction {
        TicketPrediction {
            category: self.category.predict(text),
            priority: self.priority.as_ref().map(|m| m.predict(text)),
        }
    }

    /// The model for `target`, if any.
    pub fn model(&self, target: Target) -> Option<&Model> {
        match target {
            Target::Category => Some(&self.category),
            Target::Priority => self.priority.as_ref(),
        }
    }

    /// Mutable access to the model for `target` (e.g. to apply corrections), if any.
    pub fn model_mut(&mut self, target: Target) -> Option<&mut Model> {
        match target {
            Target::Category => Some(&mut self.category),
            Target::Priority => self.priority.as_mut(),
        }
    }
}
