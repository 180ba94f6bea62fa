//! One-vs-rest linear SVMs (L2-regularised, squared hinge loss) trained by dual coordinate
//! descent, and passive-aggressive online steps for corrections.
//!
//! All classes are trained in one sweep over the data: the weights are stored feature-major
//! (`w[feature * k + class]`), so one pass over a sample's features yields every class score.

use crate::features::SparseVec;
use crate::rng::SplitMix64;

/// Value of the implicit bias feature (regularised like the other weights, as in LIBLINEAR).
const BIAS: f32 = 1.0;

/// Linear scores `w_k . x + b_k` for `k` classes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinearModel {
    pub(crate) classes: usize,
    pub(crate) weights: Vec<f32>,
    pub(crate) bias: Vec<f32>,
}

/// Solver settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SolverParams {
    pub(crate) c: f64,
    pub(crate) max_epochs: u32,
    pub(crate) tolerance: f64,
    pub(crate) seed: u64,
    pub(crate) balanced: bool,
}

impl LinearModel {
    /// A zero model.
    pub(crate) fn zeros(classes: usize, dims: usize) -> Self {
        Self {
            classes,
            weights: vec![0.0; classes * dims],
            bias: vec![0.0; classes],
        }
    }

    /// Raw margins of `x` into `out` (length `classes`).
    pub(crate) fn scores_into(&self, x: &SparseVec, out: &mut [f32]) {
        let k = self.classes;
        out.copy_from_slice(&self.bias);
        for v in out.iter_mut() {
            *v *= BIAS;
        }
        for (&i, &v) in x.idx.iter().zip(&x.val) {
            let row = &self.weights[i as usize * k..i as usize * k + k];
            for (o, w) in out.iter_mut().zip(row) {
                *o += w * v;
            }
        }
    }

    /// Raw margins of `x`.
    pub(crate) fn scores(&self, x: &SparseVec) -> Vec<f32> {
        let mut out = vec![0.0; self.classes];
        self.scores_into(x, &mut out);
        out
    }

    fn add(&mut self, x: &SparseVec, deltas: &[f32], with_bias: bool) {
        let k = self.classes;
        for (&i, &v) in x.idx.iter().zip(&x.val) {
            let row = &mut self.weights[i as usize * k..i as usize * k + k];
            for (w, d) in row.iter_mut().zip(deltas) {
                *w += d * v;
            }
        }
        if with_bias {
            for (b, d) in self.bias.iter_mut().zip(deltas) {
                *b += d * BIAS;
            }
        }
    }

    /// Trains one-vs-rest SVMs on `xs` with class indices `ys` by dual coordinate descent.
    /// Returns the model and the number of epochs run.
    pub(crate) fn train(
        xs: &[SparseVec],
        ys: &[usize],
        classes: usize,
        dims: usize,
        p: SolverParams,
    ) -> (Self, u32) {
        let mut model = Self::zeros(classes, dims);
        let n = xs.len();
        // Per-class C (balanced: inversely proportional to class frequency, as in scikit-learn).
        let mut counts = vec![0usize; classes];
        ys.iter().for_each(|&y| counts[y] += 1);
        // For each class k, positives get C_pos[k] and negatives C (one-vs-rest weighting).
        let c_pos: Vec<f64> = counts
            .iter()
            .map(|&c| {
                if p.balanced && c > 0 {
                    p.c * n as f64 / (classes as f64 * c as f64)
                } else {
                    p.c
                }
            })
            .collect();
        let mut alpha = vec![0f32; n * classes];
        let qii: Vec<f32> = xs.iter().map(|x| x.norm_sq() + BIAS * BIAS).collect();
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = SplitMix64::new(p.seed);
        let mut scores = vec![0f32; classes];
        let mut deltas = vec![0f32; classes];
        let mut epochs = 0;
        for epoch in 0..p.max_epochs {
            epochs = epoch + 1;
            rng.shuffle(&mut order);
            let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
            for &i in &order {
                let x = &xs[i];
                model.scores_into(x, &mut scores);
                let mut any = false;
                for k in 0..classes {
                    let pos = ys[i] == k;
                    let y = if pos { 1.0 } else { -1.0 };
                    let c = if pos { c_pos[k] } else { p.c };
                    let d = (0.5 / c) as f32;
                    let a = &mut alpha[i * classes + k];
                    let g = y * scores[k] - 1.0 + *a * d;
                    let pg = if *a == 0.0 { g.min(0.0) } else { g };
                    pg_max = pg_max.max(f64::from(pg));
                    pg_min = pg_min.min(f64::from(pg));
                    deltas[k] = 0.0;
                    if pg.abs() > 1e-12 {
                        let old = *a;
                        *a = (old - g / (qii[i] + d)).max(0.0);
                        deltas[k] = (*a - old) * y;
                        any = true;
                    }
                }
                if any {
                    model.add(x, &deltas, true);
                }
            }
            tracing::trace!(
                epoch,
                gap = pg_max - pg_min,
                "dual coordinate descent epoch"
            );
            if pg_max - pg_min < p.tolerance {
                break;
            }
        }
        (model, epochs)
    }

    /// One passive-aggressive (PA-I) step per class towards label `y` for sample `x`: each class
    /// margin moves to at least 1 on its side (clipped by `aggressiveness`). The bias is left alone
    /// so that a single correction does not shift every other prediction.
    pub(crate) fn pa_step(&mut self, x: &SparseVec, y: usize, aggressiveness: f32) {
        let norm = x.norm_sq();
        if norm <= 0.0 {
            return;
        }
        let scores = self.scores(x);
        let deltas: Vec<f32> = scores
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                let sign = if k == y { 1.0 } else { -1.0 };
                let loss = (1.0 - sign * s).max(0.0);
                sign * (loss / norm).min(aggressiveness)
            })
            .collect();
        self.add(x, &deltas, false);
    }

    /// Adds a class with zero weights (re-laying out the feature-major table).
    pub(crate) fn add_class(&mut self) {
        let k = self.classes;
        let dims = self.weights.len() / k.max(1);
        let mut w = Vec::with_capacity(dims * (k + 1));
        for row in self.weights.chunks_exact(k.max(1)) {
            w.extend_from_slice(row);
            w.push(0.0);
        }
        if k == 0 {
            w.resize(dims, 0.0);
        }
        self.weights = w;
        self.bias.push(0.0);
        self.classes += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sv(pairs: &[(u32, f32)]) -> SparseVec {
        let n: f32 = pairs.iter().map(|p| p.1 * p.1).sum::<f32>().sqrt();
        SparseVec {
            idx: pairs.iter().map(|p| p.0).collect(),
            val: pairs.iter().map(|p| p.1 / n).collect(),
        }
    }

    fn argmax(v: &[f32]) -> usize {
        v.iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .unwrap()
    }

    #[test]
    fn separates_three_classes() {
        let xs = vec![
            sv(&[(0, 1.0), (3, 0.2)]),
            sv(&[(1, 1.0), (3, 0.2)]),
            sv(&[(2, 1.0), (3, 0.2)]),
            sv(&[(0, 1.0)]),
        ];
        let ys = vec![0, 1, 2, 0];
        let p = SolverParams {
            c: 1.0,
            max_epochs: 50,
            tolerance: 0.01,
            seed: 1,
            balanced: false,
        };
        let (m, epochs) = LinearModel::train(&xs, &ys, 3, 8, p);
        assert!(epochs >= 1);
        for (x, &y) in xs.iter().zip(&ys) {
            assert_eq!(argmax(&m.scores(x)), y);
        }
    }

    #[test]
    fn pa_step_flips_prediction_and_add_class_keeps_scores() {
        let mut m = LinearModel::zeros(2, 8);
        let x = sv(&[(1, 1.0), (2, 1.0)]);
        m.weights[2] = 1.0; // feature 1, class 0
        assert_eq!(argmax(&m.scores(&x)), 0);
        m.pa_step(&x, 1, 10.0);
        let s = m.scores(&x);
        assert_eq!(argmax(&s), 1);
        assert!(s[1] >= 0.99 && s[0] <= -0.99, "{s:?}");
        let before = m.scores(&x);
        m.add_class();
        let after = m.scores(&x);
        assert_eq!(&after[..2], &before[..]);
        assert_eq!(after[2], 0.0);
    }
}
