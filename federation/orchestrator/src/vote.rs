//! Classification answers: reading a label and confidence out of a Titan's
//! message, and combining several answers by vote.

use std::collections::BTreeMap;

use crate::config::Vote;

/// A classification read from one Titan's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Ballot {
    /// The Titan that answered.
    pub titan: String,
    /// Its label, `None` when it abstained.
    pub label: Option<String>,
    /// Its confidence in `[0, 1]`.
    pub confidence: f64,
}

/// Reads `{"category"|"label": <string|null>, "confidence": <0..1>}` from a
/// model's answer. The object may be wrapped in a Markdown code fence or
/// surrounded by prose; the first `{` to the last `}` is parsed.
pub fn parse_classification(content: &str) -> Result<(Option<String>, f64), String> {
    let start = content.find('{');
    let end = content.rfind('}');
    let (Some(start), Some(end)) = (start, end) else {
        return Err("the answer holds no JSON object with a category and confidence".into());
    };
    if end < start {
        return Err("the answer holds no JSON object with a category and confidence".into());
    }
    let value: serde_json::Value = serde_json::from_str(&content[start..=end])
        .map_err(|e| format!("the answer's JSON object does not parse: {e}"))?;
    let label = match value.get("category").or_else(|| value.get("label")) {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(serde_json::Value::Null) | None => None,
        Some(serde_json::Value::String(_)) => None,
        Some(other) => return Err(format!("category {other} is not a string")),
    };
    let confidence = value
        .get("confidence")
        .and_then(serde_json::Value::as_f64)
        .ok_or("the answer has no numeric confidence")?;
    if !(confidence.is_finite() && (0.0..=1.0).contains(&confidence)) {
        return Err(format!("confidence {confidence} is outside [0, 1]"));
    }
    Ok((label, confidence))
}

/// The outcome of a vote.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    /// The winning label (`None` when every ballot abstained).
    pub label: Option<String>,
    /// Combined confidence in `[0, 1]`: the winners' summed confidence
    /// divided by the number of ballots (dissent and abstention lower it).
    pub confidence: f64,
    /// Titans that voted for the winner, most confident first.
    pub winners: Vec<String>,
}

/// Combines ballots. `Majority` picks the label with most votes (ties: the
/// higher summed confidence, then the alphabetically first label);
/// `ConfidenceWeighted` the label with the highest summed confidence (ties:
/// more votes, then alphabetical). With no ballots the result abstains
/// with confidence 0.
pub fn tally(vote: Vote, ballots: &[Ballot]) -> Tally {
    let mut by_label: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    for b in ballots {
        if let Some(l) = &b.label {
            let e = by_label.entry(l.as_str()).or_default();
            e.0 += 1;
            e.1 += b.confidence;
        }
    }
    let best = by_label.iter().max_by(|(la, a), (lb, b)| {
        let primary = match vote {
            Vote::Majority => a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)),
            Vote::ConfidenceWeighted => a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)),
        };
        // Reverse the label order so that the alphabetically first wins ties.
        primary.then(lb.cmp(la))
    });
    let Some((label, (_, weight))) = best else {
        let confidence = ballots.iter().map(|b| b.confidence).fold(0.0, f64::max);
        return Tally {
            label: None,
            confidence,
            winners: Vec::new(),
        };
    };
    let mut winners: Vec<&Ballot> = ballots
        .iter()
        .filter(|b| b.label.as_deref() == Some(*label))
        .collect();
    winners.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.titan.cmp(&b.titan))
    });
    Tally {
        label: Some((*label).to_owned()),
        confidence: (weight / ballots.len() as f64).clamp(0.0, 1.0),
        winners: winners.into_iter().map(|b| b.titan.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(titan: &str, label: Option<&str>, confidence: f64) -> Ballot {
        Ballot {
            titan: titan.into(),
            label: label.map(str::to_owned),
            confidence,
        }
    }

    #[test]
    fn parses_fenced_and_plain_answers() {
        assert_eq!(
            parse_classification(r#"{"category": "network", "confidence": 0.9}"#).unwrap(),
            (Some("network".into()), 0.9)
        );
        assert_eq!(
            parse_classification(
                "Sure:\n```json\n{\"label\": \"email\", \"confidence\": 0.5}\n```"
            )
            .unwrap(),
            (Some("email".into()), 0.5)
        );
        assert_eq!(
            parse_classification(r#"{"category": null, "confidence": 0.1}"#).unwrap(),
            (None, 0.1)
        );
        assert!(parse_classification("network").is_err());
        assert!(parse_classification(r#"{"category": "x"}"#).is_err());
        assert!(parse_classification(r#"{"category": "x", "confidence": 7}"#).is_err());
        assert!(parse_classification(r#"{"category": 3, "confidence": 0.2}"#).is_err());
    }

    #[test]
    fn majority_and_weighted_can_disagree() {
        let ballots = [
            b("a", Some("network"), 0.4),
            b("b", Some("network"), 0.4),
            b("c", Some("email"), 0.95),
        ];
        let m = tally(Vote::Majority, &ballots);
        assert_eq!(m.label.as_deref(), Some("network"));
        assert_eq!(m.winners, ["a", "b"]);
        assert!((m.confidence - 0.8 / 3.0).abs() < 1e-12);
        let w = tally(Vote::ConfidenceWeighted, &ballots);
        assert_eq!(w.label.as_deref(), Some("email"));
        assert_eq!(w.winners, ["c"]);
        assert!((w.confidence - 0.95 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn ties_and_abstentions() {
        let ballots = [b("a", Some("zeta"), 0.5), b("b", Some("alpha"), 0.5)];
        assert_eq!(
            tally(Vote::Majority, &ballots).label.as_deref(),
            Some("alpha")
        );
        let ballots = [b("a", None, 0.3), b("b", None, 0.2)];
        let t = tally(Vote::Majority, &ballots);
        assert_eq!(t.label, None);
        assert_eq!(t.confidence, 0.3);
        assert_eq!(tally(Vote::Majority, &[]).confidence, 0.0);
        // An abstention lowers the winner's confidence.
        let t = tally(Vote::Majority, &[b("a", Some("x"), 0.9), b("b", None, 0.9)]);
        assert!((t.confidence - 0.45).abs() < 1e-12);
    }
}
