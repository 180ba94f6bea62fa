//! The learning experiment: a classifier trained on a small seed, a stream of
//! tickets, a simulated technician correcting wrong categories; accuracy per
//! window with learning on vs off. Writes CSV and SVG into `target/`.
//!
//! ```text
//! cargo run --release -p omega-dashboard --example learning_curve -- \
//!     [--data data/tickets/it-tickets-train.csv.gz] [--seed-size 200] [--window 1000] [--limit N]
//! ```

use std::path::PathBuf;

use omega_classifier::{Target, labelled, read_labelled_csv};
use omega_dashboard::experiment::{ExperimentConfig, csv, run, svg};

fn main() -> anyhow::Result<()> {
    let mut data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../data/tickets/it-tickets-train.csv.gz");
    let mut cfg = ExperimentConfig::default();
    let mut out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../target/learning-curve");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))
        };
        match a.as_str() {
            "--data" => data = PathBuf::from(val()?),
            "--seed-size" => cfg.seed_size = val()?.parse()?,
            "--window" => cfg.window = val()?.parse()?,
            "--limit" => cfg.limit = Some(val()?.parse()?),
            "--out" => out = PathBuf::from(val()?),
            other => anyhow::bail!("unknown argument {other}; see the example's doc comment"),
        }
    }
    let records = read_labelled_csv(&data)?;
    let examples = labelled(&records, Target::Category);
    let started = std::time::Instant::now();
    let curves = run(&examples, &cfg)?;
    let secs = started.elapsed().as_secs_f64();
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("learning-curve.csv"), csv(&curves))?;
    std::fs::write(out.join("learning-curve.svg"), svg(&curves))?;
    std::fs::write(
        out.join("learning-curve.json"),
        serde_json::to_string_pretty(&curves)?,
    )?;
    println!(
        "seed {} tickets, streamed {} in {secs:.1} s",
        curves.seed_size, curves.streamed
    );
    println!("{}", csv(&curves).trim_end());
    println!(
        "overall accuracy: learning on {:.4}, off {:.4}; corrections on {}, off {}",
        curves.overall_on, curves.overall_off, curves.corrections_on, curves.corrections_off
    );
    println!("wrote {}", out.display());
    Ok(())
}
