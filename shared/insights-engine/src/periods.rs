//! Calendar months of a half-open query range `[from, to)`, clipped to the range.

use chrono::NaiveDate;
use serde::Serialize;

use super::calendar::{month_index, month_start};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthPeriod {
    pub month: i32,
    /// First day in the period (inclusive).
    pub from: NaiveDate,
    /// First day after the period (exclusive).
    pub to: NaiveDate,
    /// The query range cuts this month: its figures cover only part of it.
    pub partial: bool,
}

/// The months overlapping `[from, to)`, in order. Expects a validated range.
pub fn months_in(from: NaiveDate, to: NaiveDate) -> Vec<MonthPeriod> {
    let mut periods = Vec::new();
    if from >= to {
        return periods;
    }
    let last = month_index(to.pred_opt().unwrap_or(to));
    for month in month_index(from)..=last {
        let start = month_start(month);
        let end = month_start(month + 1);
        let clipped_from = start.max(from);
        let clipped_to = end.min(to);
        periods.push(MonthPeriod {
            month,
            from: clipped_from,
            to: clipped_to,
            partial: clipped_from != start || clipped_to != end,
        });
    }
    periods
}

/// Index of the period holding `date` (periods from `months_in`).
pub fn period_of(periods: &[MonthPeriod], date: NaiveDate) -> Option<usize> {
    let first = periods.first()?;
    let index = usize::try_from(month_index(date) - first.month).ok()?;
    periods
        .get(index)
        .filter(|p| p.from <= date && date < p.to)
        .map(|_| index)
}

/// "2025-01" for a month index.
pub fn month_label(month: i32) -> String {
    month_start(month).format("%Y-%m").to_string()
}

/// The period header every monthly report repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodHeader {
    pub month: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub is_partial: bool,
}

impl From<&MonthPeriod> for PeriodHeader {
    fn from(p: &MonthPeriod) -> Self {
        PeriodHeader {
            month: month_label(p.month),
            from: p.from,
            to: p.to,
            is_partial: p.partial,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months_are_clipped_and_flagged() {
        let periods = months_in(d(2025, 1, 15), d(2025, 3, 1));
        assert_eq!(periods.len(), 2);
        assert_eq!(
            (periods[0].from, periods[0].to, periods[0].partial),
            (d(2025, 1, 15), d(2025, 2, 1), true)
        );
        assert_eq!(
            (periods[1].from, periods[1].to, periods[1].partial),
            (d(2025, 2, 1), d(2025, 3, 1), false)
        );
        assert_eq!(period_of(&periods, d(2025, 2, 28)), Some(1));
        assert_eq!(period_of(&periods, d(2025, 1, 14)), None);
        assert_eq!(period_of(&periods, d(2025, 3, 1)), None);
        assert_eq!(month_label(periods[0].month), "2025-01");
    }

    #[test]
    fn a_range_across_years_has_every_month_once() {
        let periods = months_in(d(2024, 11, 1), d(2025, 2, 10));
        let labels: Vec<_> = periods.iter().map(|p| month_label(p.month)).collect();
        assert_eq!(labels, ["2024-11", "2024-12", "2025-01", "2025-02"]);
        assert!(periods[3].partial && !periods[0].partial);
    }
}
