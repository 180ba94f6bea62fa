//! Requirement ids and sentences, read from `conformance/REQUIREMENTS.md`
//! (compiled in, so the report and the document cannot drift apart).

const DOCUMENT: &str = include_str!("../REQUIREMENTS.md");

/// One requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// `MCP-01`, `FED-04`, ...
    pub id: &'static str,
    /// The sentence.
    pub text: &'static str,
}

/// Every requirement, in document order.
pub fn all() -> Vec<Requirement> {
    DOCUMENT
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("- **")?;
            let (id, text) = rest.split_once("** ")?;
            Some(Requirement {
                id,
                text: text.trim(),
            })
        })
        .collect()
}

/// The requirement `id`.
///
/// # Panics
/// When `id` is not in REQUIREMENTS.md: a check citing an unlisted id is a bug
/// the unit tests catch.
pub fn get(id: &str) -> Requirement {
    all()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("requirement {id} is not listed in conformance/REQUIREMENTS.md"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sentences_present() {
        let all = all();
        assert!(all.len() >= 14, "{all:?}");
        for (i, r) in all.iter().enumerate() {
            assert!(!r.text.is_empty(), "{} has no sentence", r.id);
            assert!(all[..i].iter().all(|o| o.id != r.id), "{} twice", r.id);
        }
        assert!(get("FED-04").text.contains("tenant"));
    }
}
