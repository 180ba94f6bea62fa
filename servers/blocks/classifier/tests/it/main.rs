//! Integration tests of omega-classifier: synthetic data, CSV files, persistence and a sample of
//! the real IT ticket data when it is present.

mod csv_files;
mod persistence;
mod real_sample;
mod synthetic;

use omega_classifier::{FeatureConfig, LabelledText, TrainConfig};

/// Deterministic synthetic tickets: each label has its own vocabulary, every text also carries
/// shared filler words, so a bag-of-words model can learn them but not from filler alone.
pub fn synthetic(n_per_label: usize, seed: u64) -> Vec<LabelledText> {
    let vocab: [(&str, &[&str]); 4] = [
        (
            "Hardware",
            &[
                "laptop", "screen", "keyboard", "printer", "monitor", "battery", "mouse", "dock",
            ],
        ),
        (
            "Access",
            &[
                "password",
                "login",
                "account",
                "locked",
                "vpn",
                "mfa",
                "permission",
                "reset",
            ],
        ),
        (
            "Purchase",
            &[
                "order", "invoice", "quote", "purchase", "vendor", "license", "budget", "po",
            ],
        ),
        (
            "HR Support",
            &[
                "leave",
                "payroll",
                "holiday",
                "contract",
                "maternity",
                "benefits",
                "salary",
                "onboarding",
            ],
        ),
    ];
    let filler = [
        "please", "help", "thanks", "hi", "urgent", "today", "team", "issue", "regards", "need",
    ];
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut out = Vec::new();
    for i in 0..n_per_label {
        for (label, words) in vocab {
            let mut text = Vec::new();
            for _ in 0..3 {
                text.push(words[next(words.len())]);
            }
            for _ in 0..4 {
                text.push(filler[next(filler.len())]);
            }
            // One word from another label's vocabulary as noise in a third of the texts.
            if i % 3 == 0 {
                let other = vocab[next(vocab.len())].1;
                text.push(other[next(other.len())]);
            }
            out.push(LabelledText::new(text.join(" "), label));
        }
    }
    out
}

/// A small, fast configuration for tests in debug builds.
pub fn small_config() -> TrainConfig {
    TrainConfig {
        features: FeatureConfig {
            hash_bits: 16,
            ..FeatureConfig::default()
        },
        ..TrainConfig::default()
    }
}
