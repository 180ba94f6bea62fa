//! A local, dependency-free text embedder.
//!
//! Feature hashing of word unigrams, word bigrams and character trigrams
//! into a fixed number of signed buckets, with sublinear term weights, then
//! L2 normalization. No model file, no download, deterministic across runs
//! and machines (the hash is FNV-1a, not the randomized std hasher). It
//! captures lexical similarity, which is what ticket text needs most
//! ("outlook password reset" ≈ "reset password for outlook").

/// Embedding width.
pub const DIMENSIONS: usize = 256;

/// The hashing embedder.
#[derive(Debug, Clone, Copy, Default)]
pub struct Embedder;

fn fnv1a(bytes: &[u8], seed: u64) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn add(vector: &mut [f32], feature: &[u8], seed: u64, weight: f32) {
    let h = fnv1a(feature, seed);
    let bucket = (h % DIMENSIONS as u64) as usize;
    let sign = if (h >> 63) == 0 { 1.0 } else { -1.0 };
    vector[bucket] += sign * weight;
}

impl Embedder {
    /// Embeds `text` into a unit vector of [`DIMENSIONS`] floats (all zeros
    /// for text without any word).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let mut v = vec![0.0f32; DIMENSIONS];
        for w in &words {
            add(&mut v, w.as_bytes(), 1, 1.0);
            let padded: Vec<char> = format!("<{w}>").chars().collect();
            for tri in padded.windows(3) {
                let s: String = tri.iter().collect();
                add(&mut v, s.as_bytes(), 2, 0.35);
            }
        }
        for pair in words.windows(2) {
            add(
                &mut v,
                format!("{} {}", pair[0], pair[1]).as_bytes(),
                3,
                0.7,
            );
        }
        // Sublinear weighting, then unit length.
        for x in &mut v {
            *x = x.signum() * (1.0 + x.abs()).ln();
        }
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for x in &mut v {
                *x /= norm;
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn similar_text_is_closer_than_unrelated_text() {
        let e = Embedder;
        let a = e.embed("Outlook password reset needed");
        let b = e.embed("please reset my outlook password");
        let c = e.embed("new laptop purchase order for finance");
        assert!(
            cos(&a, &b) > cos(&a, &c) + 0.2,
            "{} vs {}",
            cos(&a, &b),
            cos(&a, &c)
        );
    }

    #[test]
    fn embedding_is_deterministic_and_normalized() {
        let e = Embedder;
        let a = e.embed("VPN drops every 5 minutes");
        assert_eq!(a, e.embed("VPN drops every 5 minutes"));
        assert!((cos(&a, &a) - 1.0).abs() < 1e-4);
        assert!(e.embed("  ... ").iter().all(|x| *x == 0.0));
    }
}
