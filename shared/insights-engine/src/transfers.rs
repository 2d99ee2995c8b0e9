//! Own-account transfer matching (Maybe `auto_transfer_matchable.rb`): an outflow and an inflow
//! in two different accounts of the user, at most 4 days apart, with equal amounts in the same
//! currency or a ratio within [0.95, 1.05] across pegged currencies. Greedy by smallest date
//! gap, each row used once. Candidates come from indexes (exact amount, and log-scaled USD
//! buckets across currencies), so matching stays near-linear.

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::fx::{approx_usd, convert_decimal};
use super::ledger::Ledger;
use crate::money::Currency;

pub const MAX_GAP_DAYS: i32 = 4;

/// Bucket width of 5 % on a log scale: a ratio in [0.95, 1.05] is at most two buckets away.
fn usd_bucket(minor: i64, currency: Currency) -> Option<i32> {
    let usd = approx_usd(minor.checked_abs()?, currency)?;
    if !usd.is_finite() || usd <= 0.0 {
        return None;
    }
    Some((usd.ln() / 1.05f64.ln()).floor() as i32)
}

/// Days window of sorted (day, row) entries.
fn window(entries: &[(i32, u32)], day: i32) -> &[(i32, u32)] {
    let lo = entries.partition_point(|(d, _)| *d < day - MAX_GAP_DAYS);
    let hi = entries.partition_point(|(d, _)| *d <= day + MAX_GAP_DAYS);
    &entries[lo..hi]
}

/// Ratio deviation |credit / converted debit − 1| in parts per million, when within 5 %.
fn cross_ratio_ppm(
    debit: i64,
    debit_ccy: Currency,
    credit: i64,
    credit_ccy: Currency,
) -> Option<i64> {
    let converted = convert_decimal(i128::from(debit).abs(), debit_ccy, credit_ccy)?;
    if converted.is_zero() {
        return None;
    }
    let credit_value =
        Decimal::try_from_i128_with_scale(i128::from(credit), credit_ccy.exponent()).ok()?;
    let ratio = credit_value.checked_div(converted)?;
    let low = Decimal::new(95, 2);
    let high = Decimal::new(105, 2);
    if ratio < low || ratio > high {
        return None;
    }
    let deviation = (ratio - Decimal::ONE).abs() * Decimal::from(1_000_000);
    i64::try_from(deviation.trunc()).ok()
}

/// Returns matched (debit row, credit row) pairs. `eligible` marks rows that may be a leg.
pub fn match_pairs(ledger: &Ledger<'_>, eligible: &[bool]) -> Vec<(u32, u32)> {
    let rows = &ledger.rows;
    let mut exact: FxHashMap<(Currency, i64), Vec<(i32, u32)>> = FxHashMap::default();
    let mut cross: FxHashMap<i32, Vec<(i32, u32)>> = FxHashMap::default();
    for (i, row) in rows.iter().enumerate() {
        if !eligible[i] || row.minor >= 0 {
            continue;
        }
        let currency = row.currency;
        let Some(abs) = row.minor.checked_abs() else {
            continue;
        };
        exact
            .entry((currency, abs))
            .or_default()
            .push((row.day, i as u32));
        if let Some(bucket) = usd_bucket(row.minor, currency) {
            cross.entry(bucket).or_default().push((row.day, i as u32));
        }
    }

    // (gap days, cross-currency?, ratio ppm, credit, debit): sorted, then taken greedily.
    let mut candidates: Vec<(i32, bool, i64, u32, u32)> = Vec::new();
    for (c, credit) in rows.iter().enumerate() {
        if !eligible[c] || credit.minor <= 0 {
            continue;
        }
        let currency = credit.currency;
        if let Some(list) = exact.get(&(currency, credit.minor)) {
            for &(day, d) in window(list, credit.day) {
                if rows[d as usize].account != credit.account {
                    candidates.push(((day - credit.day).abs(), false, 0, c as u32, d));
                }
            }
        }
        let Some(bucket) = usd_bucket(credit.minor, currency) else {
            continue;
        };
        for b in bucket - 2..=bucket + 2 {
            let Some(list) = cross.get(&b) else {
                continue;
            };
            for &(day, d) in window(list, credit.day) {
                let debit = &rows[d as usize];
                let debit_ccy = debit.currency;
                if debit.account == credit.account || debit_ccy == currency {
                    continue;
                }
                if let Some(ppm) = cross_ratio_ppm(debit.minor, debit_ccy, credit.minor, currency) {
                    candidates.push(((day - credit.day).abs(), true, ppm, c as u32, d));
                }
            }
        }
    }
    candidates.sort_unstable();
    let mut used = vec![false; rows.len()];
    let mut pairs = Vec::new();
    for (_, _, _, credit, debit) in candidates {
        if used[credit as usize] || used[debit as usize] {
            continue;
        }
        used[credit as usize] = true;
        used[debit as usize] = true;
        pairs.push((debit, credit));
    }
    pairs
}
