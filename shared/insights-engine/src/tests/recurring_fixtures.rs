//! Recurring engine fixtures.

use crate::input::Country;
use crate::recurring::{
    ALL_FREQUENCIES, Anchor, Direction, Frequency, Occurrence, Params, StreamStatus,
    default_amount_floor, detect,
};

use super::builders::date;

fn params() -> Params {
    Params {
        country: Country::BH,
        direction: Direction::Outflow,
        amount_ratio: 0.10,
        amount_floor: default_amount_floor(3),
        early_days: 3,
        late_days: 3,
        frequencies: ALL_FREQUENCIES,
        quality: 1.0,
    }
}

fn occurrences(rows: &[(&str, i64)]) -> Vec<Occurrence> {
    rows.iter()
        .enumerate()
        .map(|(i, (d, amount))| Occurrence {
            date: date(d),
            amount: *amount,
            rows: vec![i as u32],
        })
        .collect()
}

#[test]
fn month_end_subscription_on_the_31st_never_drifts() {
    // 4.500 BHD charged on the last day: Jan 31, Feb 28, Mar 31, Apr 30, May 31 (a Saturday,
    // still charged: the card network bills on weekends).
    let occ = occurrences(&[
        ("2025-01-31", 4_500),
        ("2025-02-28", 4_500),
        ("2025-03-31", 4_500),
        ("2025-04-30", 4_500),
        ("2025-05-31", 4_500),
    ]);
    let streams = detect(occ, &params(), date("2025-06-05"));
    assert_eq!(streams.len(), 1);
    let s = &streams[0];
    assert_eq!(s.frequency, Frequency::Monthly);
    assert_eq!(s.anchor, Anchor::DayOfMonth { day: 31 });
    assert_eq!(s.status, StreamStatus::Mature);
    assert!(s.is_active);
    // Next: June has 30 days → Jun 30 (a Monday), not the 28th a month-step from Feb would give.
    assert_eq!(s.next_expected, Some(date("2025-06-30")));
    // And July goes back to the 31st (anchored, not accumulated).
    assert_eq!(
        s.schedule.nominal(s.cycles[4] + 2, Country::BH),
        date("2025-07-31")
    );
    assert_eq!(s.cadence_fit, 1.0);
    assert_eq!(s.median_amount, 4_500);
}

#[test]
fn volatile_weekly_groceries_are_not_a_stream() {
    let amounts = [12_400, 31_050, 8_900, 22_750, 15_300, 40_100, 9_800, 27_600];
    let rows: Vec<(String, i64)> = amounts
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("2025-03-{:02}", 1 + i * 3), *a))
        .collect();
    let refs: Vec<(&str, i64)> = rows.iter().map(|(d, a)| (d.as_str(), *a)).collect();
    let streams = detect(occurrences(&refs), &params(), date("2025-04-01"));
    assert!(
        streams.iter().all(|s| s.status != StreamStatus::Mature),
        "{streams:?}"
    );
}

#[test]
fn two_subscriptions_from_one_merchant_split_by_amount() {
    // Same merchant, same day each month: 0.990 and 4.990 BHD.
    let mut rows = Vec::new();
    for m in 1..=5 {
        rows.push((format!("2025-{m:02}-12"), 990));
        rows.push((format!("2025-{m:02}-12"), 4_990));
    }
    let refs: Vec<(&str, i64)> = rows.iter().map(|(d, a)| (d.as_str(), *a)).collect();
    let streams = detect(occurrences(&refs), &params(), date("2025-05-20"));
    let mut medians: Vec<i64> = streams.iter().map(|s| s.median_amount).collect();
    medians.sort();
    assert_eq!(medians, vec![990, 4_990]);
    assert!(streams.iter().all(|s| s.status == StreamStatus::Mature));
}

#[test]
fn early_detection_then_tombstoned_when_the_next_one_is_missed() {
    let occ = occurrences(&[("2025-01-10", 20_000), ("2025-02-10", 20_000)]);
    let streams = detect(occ.clone(), &params(), date("2025-02-20"));
    assert_eq!(streams[0].status, StreamStatus::EarlyDetection);
    assert_eq!(streams[0].next_expected, Some(date("2025-03-10")));
    // Mar 10 + 3 days passed without a charge.
    let streams = detect(occ, &params(), date("2025-03-20"));
    assert_eq!(streams[0].status, StreamStatus::Tombstoned);
    assert!(!streams[0].is_active);
    assert_eq!(streams[0].next_expected, None);
}

#[test]
fn weekly_and_annual_cadences() {
    // Sundays from Mar 2 to Apr 6 2025.
    let weekly: Vec<(String, i64)> = (0..6)
        .map(|k| {
            (
                (date("2025-03-02") + chrono::Duration::days(7 * k)).to_string(),
                3_000,
            )
        })
        .collect();
    let refs: Vec<(&str, i64)> = weekly.iter().map(|(d, a)| (d.as_str(), *a)).collect();
    let streams = detect(occurrences(&refs), &params(), date("2025-04-08"));
    assert_eq!(streams[0].frequency, Frequency::Weekly);
    assert_eq!(streams[0].next_expected, Some(date("2025-04-13")));
    // Annual: MATURE with two occurrences.
    let annual = occurrences(&[("2023-09-01", 120_000), ("2024-09-02", 120_000)]);
    let streams = detect(annual, &params(), date("2025-01-01"));
    assert_eq!(streams[0].frequency, Frequency::Annually);
    assert_eq!(streams[0].status, StreamStatus::Mature);
}

/// Amounts near `i64::MAX` (found by `no_input_makes_the_engine_panic`): the variable-amount
/// rule doubles them, which overflowed an i64 and panicked.
#[test]
fn the_variable_amount_rule_does_not_overflow_on_huge_amounts() {
    let occ = occurrences(&[
        ("2024-11-24", i64::MAX),
        ("2024-12-27", 3_074_457_345_618_258_602),
    ]);
    let streams = detect(occ, &params(), date("2025-01-05"));
    // Median (half-even) 6 148 914 691 236 517 204 = 2 × the smaller amount, and the larger
    // is under twice the median: both within ×0.5–×2, so a variable amount.
    assert_eq!(streams.len(), 1);
    assert!(streams[0].variable_amount);
}
