//! Labelled examples, the ticket CSV reader and a stratified split.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ClassifierError;
use crate::rng::SplitMix64;

/// One training or evaluation example: a ticket text and the label it should get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelledText {
    /// The ticket text (title and body).
    pub text: String,
    /// The expected label (a category, a priority, ...).
    pub label: String,
}

impl LabelledText {
    /// A new example.
    pub fn new(text: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            label: label.into(),
        }
    }
}

/// Which column of a ticket a model learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    /// The ticket category (`category` column).
    Category,
    /// The ticket priority (`priority` column).
    Priority,
}

impl Target {
    /// The CSV column name of this target.
    pub fn column(self) -> &'static str {
        match self {
            Self::Category => "category",
            Self::Priority => "priority",
        }
    }
}

/// One row of a ticket CSV file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketRecord {
    /// The ticket text.
    pub text: String,
    /// The ticket category.
    pub category: String,
    /// The ticket priority, when the file has a `priority` column and the cell is not empty.
    pub priority: Option<String>,
}

impl TicketRecord {
    /// This record as an example for `target`; `None` when the record has no value for it.
    pub fn labelled(&self, target: Target) -> Option<LabelledText> {
        let label = match target {
            Target::Category => Some(&self.category),
            Target::Priority => self.priority.as_ref(),
        }?;
        Some(LabelledText::new(self.text.clone(), label.clone()))
    }
}

/// The examples for `target` in `records`, skipping records without a value for it.
pub fn labelled(records: &[TicketRecord], target: Target) -> Vec<LabelledText> {
    records.iter().filter_map(|r| r.labelled(target)).collect()
}

/// Reads a ticket CSV file (`.csv`, or gzip-compressed `.csv.gz`) with a header row naming the
/// columns `text` and `category` and optionally `priority` (other columns are ignored).
///
/// Quoted fields may contain commas, quotes (doubled) and newlines. Errors name the line and column.
pub fn read_labelled_csv(path: impl AsRef<Path>) -> Result<Vec<TicketRecord>, ClassifierError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| ClassifierError::Io {
        action: "open",
        path: path.to_path_buf(),
        source,
    })?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    parse_csv(reader, path)
}

fn csv_error(path: &Path, line: u64, column: &str, message: impl Into<String>) -> ClassifierError {
    ClassifierError::Csv {
        path: path.to_path_buf(),
        line,
        column: column.to_owned(),
        message: message.into(),
    }
}

fn map_csv_error(
    path: &Path,
    headers: Option<&csv::StringRecord>,
    err: csv::Error,
) -> ClassifierError {
    let column_of = |field: u64| {
        headers
            .and_then(|h| h.get(field as usize))
            .map_or_else(|| format!("#{}", field + 1), str::to_owned)
    };
    match err.kind() {
        csv::ErrorKind::Io(e) => ClassifierError::Io {
            action: "read",
            path: path.to_path_buf(),
            source: std::io::Error::new(e.kind(), e.to_string()),
        },
        csv::ErrorKind::Utf8 { pos, err } => csv_error(
            path,
            pos.as_ref().map_or(0, csv::Position::line),
            &column_of(err.field() as u64),
            "field is not valid UTF-8; save the file as UTF-8",
        ),
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => csv_error(
            path,
            pos.as_ref().map_or(0, csv::Position::line),
            "*",
            format!(
                "record has {len} fields but the header has {expected_len}; quote fields that contain commas"
            ),
        ),
        _ => csv_error(path, 0, "*", err.to_string()),
    }
}

/// Parses CSV text from `reader`; `path` is only used in error messages.
pub(crate) fn parse_csv(
    reader: impl Read,
    path: &Path,
) -> Result<Vec<TicketRecord>, ClassifierError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| map_csv_error(path, None, e))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let text_col = find("text").ok_or_else(|| {
        csv_error(
            path,
            1,
            "text",
            "header has no `text` column (expected `text,category[,priority]`)",
        )
    })?;
    let cat_col = find("category").ok_or_else(|| {
        csv_error(
            path,
            1,
            "category",
            "header has no `category` column (expected `text,category[,priority]`)",
        )
    })?;
    let prio_col = find("priority");
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(map_csv_error(path, Some(&headers), e)),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let text = record.get(text_col).unwrap_or_default().trim();
        let category = record.get(cat_col).unwrap_or_default().trim();
        if category.is_empty() {
            return Err(csv_error(
                path,
                line,
                "category",
                "category is empty; every row needs a category",
            ));
        }
        let priority = prio_col
            .and_then(|c| record.get(c))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        out.push(TicketRecord {
            text: text.to_owned(),
            category: category.to_owned(),
            priority,
        });
    }
    Ok(out)
}

/// Splits `data` into `(train, test)` so that every label keeps (about) the same share in both
/// parts; `test_fraction` of each label goes to the test part. Deterministic for a given `seed`.
pub fn stratified_split(
    data: &[LabelledText],
    test_fraction: f64,
    seed: u64,
) -> (Vec<LabelledText>, Vec<LabelledText>) {
    let (train_idx, test_idx) =
        stratified_indices(data.iter().map(|d| d.label.as_str()), test_fraction, seed);
    (
        train_idx.into_iter().map(|i| data[i].clone()).collect(),
        test_idx.into_iter().map(|i| data[i].clone()).collect(),
    )
}

/// Index version of [`stratified_split`]: returns `(train, test)` indices, each sorted.
pub(crate) fn stratified_indices<'a>(
    labels: impl Iterator<Item = &'a str>,
    test_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.enumerate() {
        by_label.entry(l).or_default().push(i);
    }
    let mut rng = SplitMix64::new(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    let frac = test_fraction.clamp(0.0, 1.0);
    for idx in by_label.values_mut() {
        rng.shuffle(idx);
        let n_test = (idx.len() as f64 * frac).round() as usize;
        test.extend_from_slice(&idx[..n_test]);
        train.extend_from_slice(&idx[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<TicketRecord>, ClassifierError> {
        parse_csv(s.as_bytes(), Path::new("t.csv"))
    }

    #[test]
    fn quoted_fields_with_commas_newlines_and_quotes() {
        let rows = parse("text,category,priority\n\"printer, 3rd floor\nbroken \"\"again\"\"\",Hardware,high\nvpn down,Access,\n")
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "printer, 3rd floor\nbroken \"again\"");
        assert_eq!(rows[0].priority.as_deref(), Some("high"));
        assert_eq!(rows[1].category, "Access");
        assert_eq!(rows[1].priority, None);
        assert_eq!(labelled(&rows, Target::Priority).len(), 1);
        assert_eq!(
            labelled(&rows, Target::Category)[1],
            LabelledText::new("vpn down", "Access")
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        match parse("text,label\nx,y\n") {
            Err(ClassifierError::Csv {
                line: 1, column, ..
            }) => assert_eq!(column, "category"),
            other => panic!("unexpected {other:?}"),
        }
        match parse("text,category\na,b\nc,\n") {
            Err(ClassifierError::Csv {
                line: 3, column, ..
            }) => assert_eq!(column, "category"),
            other => panic!("unexpected {other:?}"),
        }
        match parse("text,category\na,b\nc,d,e\n") {
            Err(e @ ClassifierError::Csv { line: 3, .. }) => {
                assert!(e.to_string().contains("3 fields"))
            }
            other => panic!("unexpected {other:?}"),
        }
        match parse_csv(&b"text,category\na,\xff\xfe\n"[..], Path::new("t.csv")) {
            Err(ClassifierError::Csv {
                line: 2, column, ..
            }) => assert_eq!(column, "category"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn stratified_split_keeps_label_shares() {
        let data: Vec<_> = (0..100)
            .map(|i| LabelledText::new(format!("t{i}"), if i % 4 == 0 { "a" } else { "b" }))
            .collect();
        let (train, test) = stratified_split(&data, 0.2, 42);
        assert_eq!(train.len() + test.len(), 100);
        assert_eq!(test.iter().filter(|d| d.label == "a").count(), 5);
        assert_eq!(test.iter().filter(|d| d.label == "b").count(), 15);
        let (train2, _) = stratified_split(&data, 0.2, 42);
        assert_eq!(train, train2);
        let (train3, _) = stratified_split(&data, 0.2, 43);
        assert_ne!(train, train3);
    }
}
