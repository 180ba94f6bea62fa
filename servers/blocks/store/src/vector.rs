//! An exact, in-memory vector index: flat row-major storage and a bounded
//! heap for the top-k. Exact search over 100k entries of 256 dimensions
//! takes a few milliseconds on one core, which is what long-term memory needs.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use serde_json::Value;

use crate::{StoreError, VectorHit};

/// The dot product of two equal-length slices.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Four independent accumulators let the compiler vectorize the loop.
    let mut acc = [0.0f32; 4];
    let chunks = a.len() / 4 * 4;
    for i in (0..chunks).step_by(4) {
        acc[0] += a[i] * b[i];
        acc[1] += a[i + 1] * b[i + 1];
        acc[2] += a[i + 2] * b[i + 2];
        acc[3] += a[i + 3] * b[i + 3];
    }
    let mut sum = acc[0] + acc[1] + acc[2] + acc[3];
    for i in chunks..a.len() {
        sum += a[i] * b[i];
    }
    sum
}

/// Normalizes a vector to unit length; a zero vector stays zero.
pub(crate) fn normalized(v: &[f32]) -> Vec<f32> {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        v.iter().map(|x| x / norm).collect()
    } else {
        v.to_vec()
    }
}

/// One collection's vectors.
#[derive(Debug, Default)]
pub struct VectorIndex {
    dim: usize,
    ids: Vec<String>,
    data: Vec<f32>,
    payloads: Vec<Value>,
    /// The length of each payload's JSON text.
    payload_bytes: Vec<u64>,
    /// The sum of every entry's [`VectorIndex::entry_bytes`].
    total_bytes: u64,
    positions: HashMap<String, usize>,
}

#[derive(PartialEq)]
struct Scored(f32, usize);

impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    // Reversed so the BinaryHeap is a min-heap on score: the root is the
    // worst of the current top-k.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

impl VectorIndex {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The dimension of the stored vectors, once one is stored.
    pub fn dim(&self) -> Option<usize> {
        (!self.ids.is_empty()).then_some(self.dim)
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Bytes the collection holds: for each entry, its id's length, four
    /// bytes per dimension and its payload's JSON length.
    pub fn bytes(&self) -> u64 {
        self.total_bytes
    }

    /// The bytes one entry holds (as counted by [`VectorIndex::bytes`]).
    pub fn entry_bytes(&self, id: &str) -> Option<u64> {
        self.positions
            .get(id)
            .map(|&pos| self.sized(id, self.payload_bytes[pos]))
    }

    fn sized(&self, id: &str, payload_bytes: u64) -> u64 {
        id.len() as u64 + 4 * self.dim as u64 + payload_bytes
    }

    /// Inserts or replaces an (already normalized) vector.
    pub fn upsert(&mut self, id: &str, vector: Vec<f32>, payload: Value) -> Result<(), StoreError> {
        let payload_bytes = payload.to_string().len() as u64;
        self.upsert_sized(id, vector, payload, payload_bytes)
    }

    /// [`VectorIndex::upsert`] when the length of the payload's JSON text
    /// is already known.
    pub fn upsert_sized(
        &mut self,
        id: &str,
        vector: Vec<f32>,
        payload: Value,
        payload_bytes: u64,
    ) -> Result<(), StoreError> {
        if self.ids.is_empty() {
            self.dim = vector.len();
        }
        if vector.len() != self.dim || self.dim == 0 {
            return Err(StoreError::Invalid(format!(
                "vector has {} dimensions, the collection has {}",
                vector.len(),
                self.dim
            )));
        }
        match self.positions.get(id) {
            Some(&pos) => {
                self.data[pos * self.dim..(pos + 1) * self.dim].copy_from_slice(&vector);
                self.payloads[pos] = payload;
                self.total_bytes -= self.payload_bytes[pos];
                self.payload_bytes[pos] = payload_bytes;
                self.total_bytes += payload_bytes;
            }
            None => {
                self.positions.insert(id.to_owned(), self.ids.len());
                self.ids.push(id.to_owned());
                self.data.extend_from_slice(&vector);
                self.payloads.push(payload);
                self.payload_bytes.push(payload_bytes);
                self.total_bytes += self.sized(id, payload_bytes);
            }
        }
        Ok(())
    }

    /// Removes an entry; returns whether it existed.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(pos) = self.positions.remove(id) else {
            return false;
        };
        self.total_bytes -= self.sized(id, self.payload_bytes[pos]);
        let last = self.ids.len() - 1;
        if pos != last {
            let (dim, moved) = (self.dim, self.ids[last].clone());
            self.data
                .copy_within(last * dim..(last + 1) * dim, pos * dim);
            self.positions.insert(moved, pos);
        }
        self.ids.swap_remove(pos);
        self.payloads.swap_remove(pos);
        self.payload_bytes.swap_remove(pos);
        self.data.truncate(last * self.dim);
        true
    }

    /// The `k` most similar entries to the normalized `query`, best first.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<VectorHit>, StoreError> {
        if self.ids.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        if query.len() != self.dim {
            return Err(StoreError::Invalid(format!(
                "query has {} dimensions, the collection has {}",
                query.len(),
                self.dim
            )));
        }
        let mut heap = BinaryHeap::with_capacity(k + 1);
        for (i, row) in self.data.chunks_exact(self.dim).enumerate() {
            let score = dot(query, row);
            if heap.len() < k {
                heap.push(Scored(score, i));
            } else if let Some(worst) = heap.peek()
                && score > worst.0
            {
                heap.pop();
                heap.push(Scored(score, i));
            }
        }
        let mut hits: Vec<_> = heap.into_vec();
        hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(hits
            .into_iter()
            .map(|Scored(score, i)| VectorHit {
                id: self.ids[i].clone(),
                score,
                payload: self.payloads[i].clone(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        normalized(v)
    }

    #[test]
    fn search_is_exact_against_brute_force() {
        let mut index = VectorIndex::default();
        let mut rows = Vec::new();
        let mut seed = 7u64;
        for i in 0..500 {
            let v: Vec<f32> = (0..16)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 33) as f32 / u32::MAX as f32) - 0.25
                })
                .collect();
            let v = unit(&v);
            index
                .upsert(&format!("e{i}"), v.clone(), Value::Null)
                .unwrap();
            rows.push(v);
        }
        let query = rows[42].clone();
        let mut brute: Vec<(f32, usize)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (dot(&query, r), i))
            .collect();
        brute.sort_by(|a, b| b.0.total_cmp(&a.0));
        let hits = index.search(&query, 10).unwrap();
        let got: Vec<_> = hits.iter().map(|h| h.id.clone()).collect();
        let want: Vec<_> = brute[..10].iter().map(|(_, i)| format!("e{i}")).collect();
        assert_eq!(got, want);
        assert_eq!(got[0], "e42");
    }

    #[test]
    fn remove_keeps_other_entries_addressable() {
        let mut index = VectorIndex::default();
        index.upsert("a", unit(&[1.0, 0.0]), "A".into()).unwrap();
        index.upsert("b", unit(&[0.0, 1.0]), "B".into()).unwrap();
        index.upsert("c", unit(&[1.0, 1.0]), "C".into()).unwrap();
        assert!(index.remove("a"));
        assert!(!index.remove("a"));
        let hits = index.search(&unit(&[0.0, 1.0]), 1).unwrap();
        assert_eq!(hits[0].id, "b");
        assert_eq!(hits[0].payload, "B");
        index.upsert("c", unit(&[0.0, 1.0]), "C2".into()).unwrap();
        assert_eq!(index.len(), 2);
    }

    #[test]
    fn bytes_follow_upserts_replacements_and_removals() {
        let mut index = VectorIndex::default();
        assert_eq!(index.bytes(), 0);
        index.upsert("a", unit(&[1.0, 0.0]), "AA".into()).unwrap();
        // id 1 + 2 dimensions * 4 + `"AA"` 4.
        assert_eq!(index.entry_bytes("a"), Some(13));
        index.upsert("bb", unit(&[0.0, 1.0]), Value::Null).unwrap();
        assert_eq!(index.bytes(), 13 + 2 + 8 + 4);
        index.upsert("a", unit(&[1.0, 1.0]), "A".into()).unwrap();
        assert_eq!(index.entry_bytes("a"), Some(12));
        assert_eq!(index.bytes(), 12 + 14);
        assert!(index.remove("a"));
        assert_eq!(index.entry_bytes("a"), None);
        assert_eq!(index.bytes(), 14);
        assert!(index.remove("bb"));
        assert_eq!(index.bytes(), 0);
    }

    #[test]
    fn wrong_dimension_is_refused() {
        let mut index = VectorIndex::default();
        index.upsert("a", vec![1.0, 0.0], Value::Null).unwrap();
        assert!(matches!(
            index.upsert("b", vec![1.0], Value::Null),
            Err(StoreError::Invalid(_))
        ));
        assert!(index.search(&[1.0], 1).is_err());
    }
}
