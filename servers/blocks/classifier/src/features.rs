//! Hashed TF-IDF features: word unigrams and bigrams plus character n-grams inside words.
//!
//! Hashing (instead of a vocabulary) keeps the feature space fixed, so online updates can use words
//! never seen in training. The hash is a fixed FNV-1a variant with a final mix, stable across
//! platforms and releases, because saved models depend on it.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::ClassifierError;

/// How texts become feature vectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FeatureConfig {
    /// The feature space has `2^hashBits` buckets (12..=24).
    pub hash_bits: u8,
    /// Longest word n-gram (1 = unigrams, 2 = unigrams and bigrams, up to 3).
    pub word_ngrams: u8,
    /// Shortest character n-gram inside a space-padded word; 0 disables character n-grams.
    pub char_min: u8,
    /// Longest character n-gram inside a space-padded word.
    pub char_max: u8,
    /// Weight of the character block relative to the word block (each block is L2-normalised first).
    pub char_weight: f32,
    /// Use `1 + ln(tf)` instead of raw term frequency.
    pub sublinear_tf: bool,
    /// The first this-many words (usually the ticket title) also count as separate "lead word"
    /// features; 0 disables.
    pub lead_words: u8,
    /// Also count word pairs one word apart (`a _ c`).
    pub skip_bigrams: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            hash_bits: 20,
            word_ngrams: 2,
            char_min: 2,
            char_max: 5,
            char_weight: 1.0,
            sublinear_tf: true,
            lead_words: 6,
            skip_bigrams: false,
        }
    }
}

impl FeatureConfig {
    pub(crate) fn validate(&self) -> Result<(), ClassifierError> {
        let bad = |m: &str| Err(ClassifierError::InvalidConfig(m.to_owned()));
        if !(12..=24).contains(&self.hash_bits) {
            return bad("features.hashBits must be between 12 and 24");
        }
        if !(1..=3).contains(&self.word_ngrams) {
            return bad("features.wordNgrams must be 1, 2 or 3");
        }
        if self.char_min != 0 && (self.char_min > self.char_max || self.char_max > 8) {
            return bad(
                "features.charMin must be <= features.charMax <= 8 (or charMin = 0 to disable)",
            );
        }
        if !(self.char_weight.is_finite() && self.char_weight >= 0.0) {
            return bad("features.charWeight must be a finite number >= 0");
        }
        Ok(())
    }

    /// Number of hash buckets.
    pub fn dims(&self) -> usize {
        1 << self.hash_bits
    }
}

/// A sparse vector: sorted, distinct indices and their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SparseVec {
    pub(crate) idx: Vec<u32>,
    pub(crate) val: Vec<f32>,
}

impl SparseVec {
    pub(crate) fn norm_sq(&self) -> f32 {
        self.val.iter().map(|v| v * v).sum()
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const NS_WORD: u64 = 0x1;
const NS_BIGRAM: u64 = 0x2;
const NS_TRIGRAM: u64 = 0x3;
const NS_CHAR: u64 = 0x4;
const NS_SKIP: u64 = 0x5;
const NS_LEAD: u64 = 0x6;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    let mut h = FNV_OFFSET ^ seed.wrapping_mul(FNV_PRIME);
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    mix(h)
}

/// The full 64-bit hash of a word (used for buckets and for the known-word set).
pub(crate) fn word_hash(word: &str) -> u64 {
    fnv(word.as_bytes(), NS_WORD)
}

/// Lower-cased alphanumeric tokens of at least two characters (or one digit).
pub(crate) fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| {
            !t.is_empty() && (t.chars().nth(1).is_some() || t.chars().all(|c| c.is_ascii_digit()))
        })
        .map(str::to_lowercase)
        .collect()
}

/// Turns texts into L2-normalised TF-IDF vectors; holds the IDF table and the known words.
#[derive(Debug, Clone)]
pub(crate) struct Featurizer {
    pub(crate) config: FeatureConfig,
    /// IDF per bucket (buckets never seen in training get the maximum IDF).
    pub(crate) idf: Vec<f32>,
    /// 64-bit hashes of the word unigrams seen in training or updates.
    pub(crate) known_words: HashSet<u64>,
}

/// Raw term counts of one text: the word block and the character block, and word coverage.
pub(crate) struct RawCounts {
    words: SparseVec,
    chars: SparseVec,
    pub(crate) word_hashes: Vec<u64>,
}

fn count_sorted(mut buckets: Vec<u32>) -> SparseVec {
    buckets.sort_unstable();
    let mut out = SparseVec::default();
    for b in buckets {
        if out.idx.last() == Some(&b) {
            *out.val.last_mut().expect("non-empty") += 1.0;
        } else {
            out.idx.push(b);
            out.val.push(1.0);
        }
    }
    out
}

impl Featurizer {
    /// Counts the features of `text`.
    pub(crate) fn raw_counts(config: &FeatureConfig, text: &str) -> RawCounts {
        let tokens = tokenize(text);
        let shift = 64 - u32::from(config.hash_bits);
        let bucket = |h: u64| (h >> shift) as u32;
        let word_hashes: Vec<u64> = tokens.iter().map(|t| word_hash(t)).collect();
        let mut words = Vec::with_capacity(tokens.len() * usize::from(config.word_ngrams));
        words.extend(word_hashes.iter().map(|&h| bucket(h)));
        if config.word_ngrams >= 2 {
            for w in word_hashes.windows(2) {
                words.push(bucket(mix(w[0].rotate_left(17) ^ w[1] ^ NS_BIGRAM)));
            }
        }
        if config.skip_bigrams {
            for w in word_hashes.windows(3) {
                words.push(bucket(mix(w[0].rotate_left(41) ^ w[2] ^ NS_SKIP)));
            }
        }
        for &h in word_hashes.iter().take(usize::from(config.lead_words)) {
            words.push(bucket(mix(h ^ NS_LEAD)));
        }
        if config.word_ngrams >= 3 {
            for w in word_hashes.windows(3) {
                words.push(bucket(mix(w[0].rotate_left(29)
                    ^ w[1].rotate_left(13)
                    ^ w[2]
                    ^ NS_TRIGRAM)));
            }
        }
        let mut chars = Vec::new();
        if config.char_min > 0 {
            let (lo, hi) = (usize::from(config.char_min), usize::from(config.char_max));
            let mut buf: Vec<u8> = Vec::with_capacity(64);
            let mut bounds: Vec<usize> = Vec::with_capacity(64);
            for t in &tokens {
                buf.clear();
                bounds.clear();
                buf.push(b' ');
                for (i, _) in t.char_indices() {
                    bounds.push(i + 1);
                }
                buf.extend_from_slice(t.as_bytes());
                buf.push(b' ');
                // Character start offsets in `buf`, plus the trailing space and the end.
                bounds.insert(0, 0);
                bounds.push(buf.len() - 1);
                bounds.push(buf.len());
                let n_chars = bounds.len() - 1;
                for n in lo..=hi.min(n_chars) {
                    for s in 0..=(n_chars - n) {
                        chars.push(bucket(fnv(&buf[bounds[s]..bounds[s + n]], NS_CHAR)));
                    }
                }
            }
        }
        RawCounts {
            words: count_sorted(words),
            chars: count_sorted(chars),
            word_hashes,
        }
    }

    /// Fits IDF and the known words on `texts`; returns the featurizer and the raw counts.
    pub(crate) fn fit(config: FeatureConfig, texts: &[&str]) -> (Self, Vec<RawCounts>) {
        let dims = config.dims();
        let mut df = vec![0u32; dims];
        let mut known_words = HashSet::new();
        let raws: Vec<RawCounts> = texts.iter().map(|t| Self::raw_counts(&config, t)).collect();
        for r in &raws {
            for &i in r.words.idx.iter().chain(&r.chars.idx) {
                df[i as usize] += 1;
            }
            known_words.extend(r.word_hashes.iter().copied());
        }
        let n = texts.len() as f32;
        let idf = df
            .iter()
            .map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
            .collect();
        (
            Self {
                config,
                idf,
                known_words,
            },
            raws,
        )
    }

    fn weigh(&self, block: &mut SparseVec, scale: f32) {
        for (i, v) in block.idx.iter().zip(block.val.iter_mut()) {
            let tf = if self.config.sublinear_tf {
                1.0 + v.ln()
            } else {
                *v
            };
            *v = tf * self.idf[*i as usize];
        }
        let norm = block.norm_sq().sqrt();
        if norm > 0.0 {
            let f = scale / norm;
            block.val.iter_mut().for_each(|v| *v *= f);
        }
    }

    /// The TF-IDF vector for raw counts (unit L2 norm unless empty).
    pub(crate) fn vectorize(&self, raw: RawCounts) -> SparseVec {
        let RawCounts {
            mut words,
            mut chars,
            ..
        } = raw;
        self.weigh(&mut words, 1.0);
        self.weigh(&mut chars, self.config.char_weight);
        // Merge the two sorted blocks, summing hash collisions.
        let mut out = SparseVec {
            idx: Vec::with_capacity(words.idx.len() + chars.idx.len()),
            val: Vec::with_capacity(words.idx.len() + chars.idx.len()),
        };
        let (mut a, mut b) = (0, 0);
        while a < words.idx.len() || b < chars.idx.len() {
            let take_a =
                b >= chars.idx.len() || (a < words.idx.len() && words.idx[a] <= chars.idx[b]);
            let (i, v) = if take_a {
                a += 1;
                (words.idx[a - 1], words.val[a - 1])
            } else {
                b += 1;
                (chars.idx[b - 1], chars.val[b - 1])
            };
            if out.idx.last() == Some(&i) {
                *out.val.last_mut().expect("non-empty") += v;
            } else {
                out.idx.push(i);
                out.val.push(v);
            }
        }
        let norm = out.norm_sq().sqrt();
        if norm > 0.0 {
            out.val.iter_mut().for_each(|v| *v /= norm);
        }
        out
    }

    /// The vector of `text` and the fraction of its words seen before (1.0 for no words: callers
    /// treat an empty vector separately).
    pub(crate) fn transform(&self, text: &str) -> (SparseVec, f64) {
        let raw = Self::raw_counts(&self.config, text);
        let total = raw.word_hashes.len();
        let known = raw
            .word_hashes
            .iter()
            .filter(|h| self.known_words.contains(h))
            .count();
        let coverage = if total == 0 {
            1.0
        } else {
            known as f64 / total as f64
        };
        (self.vectorize(raw), coverage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_lowercases_and_drops_single_letters() {
        assert_eq!(
            tokenize("VPN down, a 5 x-ray!"),
            vec!["vpn", "down", "5", "ray"]
        );
        assert!(tokenize("  ,.; ").is_empty());
    }

    #[test]
    fn vectors_are_unit_and_deterministic() {
        let cfg = FeatureConfig::default();
        let (f, _) = Featurizer::fit(
            cfg,
            &["printer broken", "password reset please", "new laptop"],
        );
        let (v, cov) = f.transform("printer broken again");
        assert!((v.norm_sq() - 1.0).abs() < 1e-4);
        assert!(v.idx.windows(2).all(|w| w[0] < w[1]));
        assert!((cov - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(v, f.transform("printer broken again").0);
        assert_ne!(v, f.transform("password reset").0);
        let (e, _) = f.transform("");
        assert!(e.idx.is_empty());
    }

    #[test]
    fn char_ngrams_can_be_disabled() {
        let cfg = FeatureConfig {
            char_min: 0,
            lead_words: 0,
            ..FeatureConfig::default()
        };
        let raw = Featurizer::raw_counts(&cfg, "alpha beta gamma");
        assert_eq!(raw.chars.idx.len(), 0);
        assert_eq!(raw.words.val.iter().sum::<f32>(), 5.0); // 3 unigrams + 2 bigrams
        let lead = FeatureConfig {
            char_min: 0,
            lead_words: 2,
            ..FeatureConfig::default()
        };
        let raw = Featurizer::raw_counts(&lead, "alpha beta gamma");
        assert_eq!(raw.words.val.iter().sum::<f32>(), 7.0); // plus 2 lead words
        let with = Featurizer::raw_counts(&FeatureConfig::default(), "alpha beta gamma");
        assert!(with.chars.idx.len() > 10);
    }
}
