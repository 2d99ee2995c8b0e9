//! Small integer statistics on minor units: medians and means rounded half-even, IQR trimming.

/// `num / den` rounded half-even (den > 0).
pub fn div_half_even(num: i128, den: i128) -> i128 {
    if den == 0 {
        return 0;
    }
    let q = num.div_euclid(den);
    let r = num.rem_euclid(den);
    match (2 * r).cmp(&den) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => {
            if q % 2 == 0 {
                q
            } else {
                q + 1
            }
        }
    }
}

/// Median of the values; the mean of the two middle values (half-even) for even counts.
pub fn median(values: &[i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        Some(sorted[mid])
    } else {
        let sum = i128::from(sorted[mid - 1]) + i128::from(sorted[mid]);
        i64::try_from(div_half_even(sum, 2)).ok()
    }
}

pub fn mean(values: &[i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
    i64::try_from(div_half_even(sum, values.len() as i128)).ok()
}

/// Values inside Tukey's fences (1.5 × IQR) when there are at least four; all otherwise.
pub fn iqr_trimmed(values: &[i64]) -> Vec<i64> {
    if values.len() < 4 {
        return values.to_vec();
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let q1 = i128::from(sorted[n / 4]);
    let q3 = i128::from(sorted[(3 * n) / 4]);
    let iqr = q3 - q1;
    let low = q1 - div_half_even(3 * iqr, 2);
    let high = q3 + div_half_even(3 * iqr, 2);
    sorted
        .into_iter()
        .filter(|v| (low..=high).contains(&i128::from(*v)))
        .collect()
}

/// Population standard deviation as a float (used for day offsets, never money).
pub fn stddev(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// Share in basis points, rounded half-even; `None` when the whole is not positive or the
/// part is negative.
pub fn share_bp(part: i128, whole: i128) -> Option<u32> {
    if whole <= 0 || part < 0 {
        return None;
    }
    u32::try_from(div_half_even(part * 10_000, whole)).ok()
}

/// Rounds a ratio for JSON output (three decimals).
pub fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_even_rounding() {
        assert_eq!(div_half_even(5, 2), 2);
        assert_eq!(div_half_even(7, 2), 4);
        assert_eq!(div_half_even(-5, 2), -2);
        assert_eq!(div_half_even(10, 3), 3);
        assert_eq!(div_half_even(11, 3), 4);
    }

    #[test]
    fn medians_and_means() {
        assert_eq!(median(&[3, 1, 2]), Some(2));
        assert_eq!(median(&[1, 2, 3, 4]), Some(2)); // 2.5 → 2 (even neighbour)
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[1, 2]), Some(2)); // 1.5 → 2
        assert_eq!(
            iqr_trimmed(&[100, 101, 99, 100, 1000]),
            vec![99, 100, 100, 101]
        );
        assert_eq!(share_bp(1, 3), Some(3333));
        assert_eq!(share_bp(-1, 3), None);
        assert_eq!(share_bp(1, 0), None);
    }
}
