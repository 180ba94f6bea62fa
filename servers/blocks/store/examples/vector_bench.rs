//! Exact vector search at scale: loads N entries of 256 dimensions into
//! the embedded index and measures search latency, checking every answer
//! against a brute-force scan.
//!
//! `cargo run --release -p omega-store --example vector_bench -- [N]` (default 100000)

use std::time::Instant;

use omega_store::{VectorIndex, dot};
use serde_json::Value;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dim = 256;
    let mut seed = 42u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as f32 / u32::MAX as f32) - 0.25
    };
    let mut rows = Vec::with_capacity(n);
    let mut index = VectorIndex::default();
    let started = Instant::now();
    for i in 0..n {
        let v: Vec<f32> = (0..dim).map(|_| next()).collect();
        let norm = dot(&v, &v).sqrt();
        let v: Vec<f32> = v.iter().map(|x| x / norm).collect();
        index
            .upsert(&format!("e{i}"), v.clone(), Value::Null)
            .expect("upsert");
        rows.push(v);
    }
    println!(
        "loaded {n} x {dim} in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let mut latencies = Vec::new();
    for q in 0..50 {
        let query = &rows[(q * 7919) % n];
        let t = Instant::now();
        let hits = index.search(query, 10).expect("search");
        latencies.push(t.elapsed());
        let mut brute: Vec<(f32, usize)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (dot(query, r), i))
            .collect();
        brute.sort_by(|a, b| b.0.total_cmp(&a.0));
        let want: Vec<String> = brute[..10].iter().map(|(_, i)| format!("e{i}")).collect();
        let got: Vec<String> = hits.into_iter().map(|h| h.id).collect();
        assert_eq!(got, want, "search must be exact");
    }
    latencies.sort();
    println!(
        "top-10 search over {n}: p50 {:.2} ms, p99 {:.2} ms (50 queries, all exact)",
        latencies[latencies.len() / 2].as_secs_f64() * 1e3,
        latencies[latencies.len() * 99 / 100].as_secs_f64() * 1e3
    );
}
