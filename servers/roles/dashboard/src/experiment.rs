//! The learning experiment: stream labelled tickets through the classifier,
//! with a simulated technician who corrects every wrong category, and measure
//! accuracy over the stream with learning on (each correction is a
//! [`Model::update`]) and off. Run it with
//! `cargo run --release -p omega-dashboard --example learning_curve`.

use omega_classifier::{ClassifierError, LabelledText, Model, TrainConfig, stratified_split};
use serde::Serialize;

/// Experiment settings.
#[derive(Debug, Clone)]
pub struct ExperimentConfig {
    /// Tickets in the seed training set (stratified).
    pub seed_size: usize,
    /// Tickets per accuracy window.
    pub window: usize,
    /// Stream at most this many tickets (all when `None`).
    pub limit: Option<usize>,
    /// Split seed.
    pub seed: u64,
    /// Training settings of the seed model.
    pub train: TrainConfig,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        Self {
            seed_size: 200,
            window: 1000,
            limit: None,
            seed: 42,
            train: TrainConfig::default(),
        }
    }
}

/// Accuracy of one window of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowPoint {
    /// Tickets streamed at the end of the window.
    pub end: usize,
    /// Accuracy with learning on (the model's best guess against the true label).
    pub on: f64,
    /// Accuracy with learning off.
    pub off: f64,
}

/// Both curves and totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Curves {
    /// Seed set size.
    pub seed_size: usize,
    /// Tickets streamed.
    pub streamed: usize,
    /// Accuracy of the seed model on the whole stream (learning off).
    pub overall_off: f64,
    /// Accuracy over the stream with learning on (prequential: predict, then correct).
    pub overall_on: f64,
    /// Corrections the technician made (learning on).
    pub corrections_on: usize,
    /// Corrections the technician made (learning off: the same mistakes recur).
    pub corrections_off: usize,
    /// Per window, in stream order.
    pub windows: Vec<WindowPoint>,
}

/// Runs the experiment on `data` (texts with their true categories).
pub fn run(data: &[LabelledText], cfg: &ExperimentConfig) -> Result<Curves, ClassifierError> {
    let n = data.len().max(1);
    let frac = 1.0 - (cfg.seed_size.min(n) as f64 / n as f64);
    let (seed_set, mut stream) = stratified_split(data, frac.clamp(0.0, 0.999_999), cfg.seed);
    if let Some(l) = cfg.limit {
        stream.truncate(l);
    }
    let off = Model::train(&seed_set, &cfg.train)?;
    let mut on = off.clone();
    let window = cfg.window.max(1);
    let (mut right_on, mut right_off, mut w_on, mut w_off, mut in_window) = (0, 0, 0, 0, 0);
    let (mut corr_on, mut corr_off) = (0, 0);
    let mut windows = Vec::new();
    for (i, ex) in stream.iter().enumerate() {
        let guess_off = off.predict(&ex.text).top_label().to_owned();
        let ok_off = guess_off == ex.label;
        let guess_on = on.predict(&ex.text).top_label().to_owned();
        let ok_on = guess_on == ex.label;
        if !ok_on {
            // The technician corrects the category; the shadow agent teaches the model.
            on.update(&ex.text, &ex.label)?;
            corr_on += 1;
        }
        corr_off += usize::from(!ok_off);
        right_on += usize::from(ok_on);
        right_off += usize::from(ok_off);
        w_on += usize::from(ok_on);
        w_off += usize::from(ok_off);
        in_window += 1;
        if in_window == window || i + 1 == stream.len() {
            windows.push(WindowPoint {
                end: i + 1,
                on: w_on as f64 / in_window as f64,
                off: w_off as f64 / in_window as f64,
            });
            (w_on, w_off, in_window) = (0, 0, 0);
        }
    }
    let s = stream.len().max(1) as f64;
    Ok(Curves {
        seed_size: seed_set.len(),
        streamed: stream.len(),
        overall_off: right_off as f64 / s,
        overall_on: right_on as f64 / s,
        corrections_on: corr_on,
        corrections_off: corr_off,
        windows,
    })
}

/// The curves as CSV: `tickets,accuracy_learning_on,accuracy_learning_off`.
pub fn csv(c: &Curves) -> String {
    let mut out = String::from("tickets,accuracy_learning_on,accuracy_learning_off\n");
    for w in &c.windows {
        out.push_str(&format!("{},{:.4},{:.4}\n", w.end, w.on, w.off));
    }
    out
}

/// A standalone SVG line plot of both curves.
pub fn svg(c: &Curves) -> String {
    let (w, h, l, r, t, b) = (720.0, 400.0, 60.0, 20.0, 40.0, 50.0);
    let max_x = c.windows.last().map_or(1, |p| p.end).max(1) as f64;
    let lo = c
        .windows
        .iter()
        .flat_map(|p| [p.on, p.off])
        .fold(1.0f64, f64::min);
    let lo = ((lo * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    let x = |v: f64| l + v / max_x * (w - l - r);
    let y = |v: f64| t + (1.0 - (v - lo) / (1.0 - lo)) * (h - t - b);
    let path = |f: fn(&WindowPoint) -> f64| {
        c.windows
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.end as f64), y(f(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <title>Accuracy over the ticket stream, learning on vs off</title>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{l}\" y=\"22\" font-size=\"15\">Accuracy per {} tickets after a {}-ticket seed (learning on: {:.3}, off: {:.3})</text>\n",
        c.windows.first().map_or(0, |p| p.end),
        c.seed_size,
        c.overall_on,
        c.overall_off
    );
    let mut g = lo;
    while g <= 1.0001 {
        s.push_str(&format!(
            "<line x1=\"{l}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{g:.1}</text>\n",
            w - r,
            l - 6.0,
            y(g) + 4.0,
            y = y(g)
        ));
        g += 0.1;
    }
    s.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">tickets streamed ({})</text>\n",
        (l + w - r) / 2.0,
        h - 12.0,
        c.streamed
    ));
    s.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"{}\"/>\n",
        path(|p| p.on)
    ));
    s.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#c62828\" stroke-width=\"2\" stroke-dasharray=\"6 4\" points=\"{}\"/>\n",
        path(|p| p.off)
    ));
    s.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" fill=\"#1565c0\">learning on</text><text x=\"{}\" y=\"{}\" fill=\"#c62828\">learning off</text>\n</svg>\n",
        w - 200.0,
        h - 70.0,
        w - 110.0,
        h - 70.0
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic tickets with a vocabulary the 200-ticket seed covers only
    /// partly: learning from corrections must help on the rest.
    #[test]
    fn learning_on_beats_off_when_the_seed_misses_words() {
        let cats = ["Access", "Hardware", "Storage", "Purchase"];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let vocab: Vec<Vec<String>> = (0..4)
            .map(|_| {
                (0..150)
                    .map(|_| {
                        (0..7)
                            .map(|_| (b'a' + (next() % 26) as u8) as char)
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let mut data = Vec::new();
        for i in 0..6000usize {
            let c = i % 4;
            let a = &vocab[c][(next() % 150) as usize];
            let b = &vocab[c][(next() % 150) as usize];
            data.push(LabelledText::new(format!("{a} {b} please help"), cats[c]));
        }
        let cfg = ExperimentConfig {
            seed_size: 200,
            window: 1000,
            seed: 1,
            ..ExperimentConfig::default()
        };
        let c = run(&data, &cfg).unwrap();
        assert_eq!(c.streamed, 5800);
        assert!(c.overall_on > c.overall_off + 0.1, "{c:?}");
        assert!(c.corrections_on < c.corrections_off);
        let last = c.windows.last().unwrap();
        assert!(last.on > last.off, "{last:?}");
        assert!(csv(&c).lines().count() == c.windows.len() + 1);
        assert!(svg(&c).contains("<polyline"));
    }
}
