//! Confidence calibration: a softmax over SVM margins with a temperature fitted on held-out data,
//! and the expected calibration error (ECE) used to report how well it worked.

/// `softmax(scores / temperature)`.
pub(crate) fn softmax(scores: &[f32], temperature: f64) -> Vec<f64> {
    let t = temperature.max(1e-6);
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f64> = scores
        .iter()
        .map(|&s| ((f64::from(s) - f64::from(max)) / t).exp())
        .collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Mean negative log-likelihood of `labels` under `softmax(margins / t)`.
fn nll(margins: &[Vec<f32>], labels: &[usize], t: f64) -> f64 {
    let total: f64 = margins
        .iter()
        .zip(labels)
        .map(|(m, &y)| -softmax(m, t)[y].max(1e-12).ln())
        .sum();
    total / margins.len().max(1) as f64
}

/// The temperature minimising the held-out negative log-likelihood (golden-section search on
/// `ln t` over `[0.01, 100]`). Returns 1.0 for empty input.
pub(crate) fn fit_temperature(margins: &[Vec<f32>], labels: &[usize]) -> f64 {
    if margins.is_empty() {
        return 1.0;
    }
    let f = |log_t: f64| nll(margins, labels, log_t.exp());
    let (mut a, mut b) = (0.01f64.ln(), 100f64.ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp()
}

/// Expected calibration error over `bins` equal-width confidence bins: the weighted mean gap
/// between confidence and accuracy. Input: `(confidence, correct)` pairs.
pub fn expected_calibration_error(points: &[(f64, bool)], bins: usize) -> f64 {
    let bins = bins.max(1);
    let mut conf = vec![0f64; bins];
    let mut hits = vec![0f64; bins];
    let mut count = vec![0usize; bins];
    for &(c, ok) in points {
        let b = ((c.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        conf[b] += c;
        hits[b] += f64::from(u8::from(ok));
        count[b] += 1;
    }
    let n = points.len().max(1) as f64;
    (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| (conf[b] - hits[b]).abs() / n)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_temperature_flattens() {
        let p = softmax(&[2.0, 0.0, -1.0], 1.0);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let hot = softmax(&[2.0, 0.0, -1.0], 0.1);
        let cold = softmax(&[2.0, 0.0, -1.0], 10.0);
        assert!(hot[0] > p[0] && p[0] > cold[0]);
    }

    #[test]
    fn fitted_temperature_tracks_reliability() {
        // Margins always 1 apart; when the top class is right 90% of the time the fitted
        // temperature must make the top probability about 0.9, and lower when right only 60%.
        let margins: Vec<Vec<f32>> = (0..100).map(|_| vec![1.0, 0.0]).collect();
        let right90: Vec<usize> = (0..100).map(|i| usize::from(i % 10 == 0)).collect();
        let right60: Vec<usize> = (0..100).map(|i| usize::from(i % 10 < 4)).collect();
        let p90 = softmax(&margins[0], fit_temperature(&margins, &right90))[0];
        let p60 = softmax(&margins[0], fit_temperature(&margins, &right60))[0];
        assert!((p90 - 0.9).abs() < 0.01, "{p90}");
        assert!((p60 - 0.6).abs() < 0.01, "{p60}");
    }

    #[test]
    fn ece_zero_when_calibrated_and_large_when_overconfident() {
        let calibrated: Vec<(f64, bool)> = (0..10).map(|i| (0.75, i % 4 != 0)).collect();
        assert!(expected_calibration_error(&calibrated, 10) < 0.051);
        let over: Vec<(f64, bool)> = (0..10).map(|i| (0.99, i % 2 == 0)).collect();
        assert!((expected_calibration_error(&over, 10) - 0.49).abs() < 1e-9);
    }
}
