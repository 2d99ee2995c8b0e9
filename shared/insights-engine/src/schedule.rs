//! Expected dates of a recurring stream: fixed day steps (weekly, biweekly) or anchored days of
//! month (monthly, quarterly, annually, semi-monthly, last business day). Every expected date
//! is recomputed from the anchor, never from the previous clamped date.

use chrono::{Datelike, NaiveDate};

use super::calendar::{
    WeekendShift, anchored_date, day_number, from_day_number, last_business_day, month_index,
    next_business_day, previous_business_day, shift_for_weekend,
};
use super::input::Country;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRule {
    Day(u32),
    LastBusinessDay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every `period` days; cycle k is due on day number `residue + k·period`.
    Days { period: i32, residue: i32 },
    /// Every `step` months from month index `phase`.
    Months {
        step: i32,
        phase: i32,
        rule: DayRule,
    },
    /// Twice a month on days `first` < `second`; cycle = month·2 + half.
    Semi { first: u32, second: u32 },
}

impl Schedule {
    /// The nominal (unshifted) due date of a cycle.
    pub fn nominal(&self, cycle: i32, country: Country) -> NaiveDate {
        match *self {
            Schedule::Days { period, residue } => from_day_number(residue + cycle * period),
            Schedule::Months { step, phase, rule } => {
                let month = phase + cycle * step;
                match rule {
                    DayRule::Day(day) => anchored_date(month, day),
                    DayRule::LastBusinessDay => last_business_day(month, country),
                }
            }
            Schedule::Semi { first, second } => {
                let month = cycle.div_euclid(2);
                let day = if cycle.rem_euclid(2) == 0 {
                    first
                } else {
                    second
                };
                anchored_date(month, day)
            }
        }
    }

    /// Whether weekends move the due date (day-of-month schedules only).
    fn shifts_for_weekends(&self) -> bool {
        !matches!(self, Schedule::Days { .. })
    }

    /// The business-day span around a nominal date: a due date on a weekend may be paid on
    /// the business day before or after it.
    pub fn due_span(&self, cycle: i32, country: Country) -> (i32, i32) {
        let nominal = self.nominal(cycle, country);
        if self.shifts_for_weekends() {
            (
                day_number(previous_business_day(nominal, country)),
                day_number(next_business_day(nominal, country)),
            )
        } else {
            let day = day_number(nominal);
            (day, day)
        }
    }

    /// Due date after the weekend shift the stream has shown (or the default).
    pub fn shifted(&self, cycle: i32, country: Country, shift: WeekendShift) -> NaiveDate {
        let nominal = self.nominal(cycle, country);
        if self.shifts_for_weekends() {
            shift_for_weekend(nominal, country, shift)
        } else {
            nominal
        }
    }

    /// The cycle whose due span is nearest to `day` (ties: the earlier cycle).
    pub fn nearest_cycle(&self, date: NaiveDate, country: Country) -> i32 {
        let day = day_number(date);
        let guess = match *self {
            Schedule::Days { period, residue } => {
                return (day - residue + period / 2).div_euclid(period);
            }
            Schedule::Months { step, phase, .. } => (month_index(date) - phase).div_euclid(step),
            Schedule::Semi { first, second } => {
                let half = i32::from(date.day() >= (first + second) / 2);
                month_index(date) * 2 + half
            }
        };
        let mut best = (i32::MAX, guess);
        for cycle in guess - 2..=guess + 2 {
            let distance = span_distance(day, self.due_span(cycle, country));
            if distance < best.0 {
                best = (distance, cycle);
            }
        }
        best.1
    }
}

/// Days from `day` to the span (0 inside it).
pub fn span_distance(day: i32, (low, high): (i32, i32)) -> i32 {
    if day < low {
        low - day
    } else if day > high {
        day - high
    } else {
        0
    }
}

/// Signed days from the span (negative = early, positive = late, 0 inside).
pub fn span_offset(day: i32, (low, high): (i32, i32)) -> i32 {
    if day < low {
        day - low
    } else if day > high {
        day - high
    } else {
        0
    }
}

/// Occurrences per day of month (index 1..=31).
fn day_histogram(dates: &[NaiveDate]) -> [u32; 32] {
    let mut histogram = [0u32; 32];
    for date in dates {
        histogram[date.day() as usize] += 1;
    }
    histogram
}

/// Distance between two days of month on a 31-day circle (so the 30th and the 1st are close).
fn circular_days(a: u32, b: u32) -> u32 {
    let d = a.abs_diff(b);
    d.min(31 - d.min(31))
}

fn histogram_cost(histogram: &[u32; 32], anchors: &[u32]) -> u64 {
    (1..=31u32)
        .map(|day| {
            let nearest = anchors
                .iter()
                .map(|a| circular_days(day, *a))
                .min()
                .unwrap_or(0);
            u64::from(histogram[day as usize]) * u64::from(nearest)
        })
        .sum()
}

/// Picks the day-of-month anchor that best explains the dates (the circular median of
/// docs/insight-algorithms.md §5). A day histogram gives the circular median; the days around it
/// are then measured against the clamped, weekend-shifted due dates, so 31 → Feb 28 and Thursday
/// pay days for a Friday 27th count as exact. Ties: more exact hits, then the smaller day.
pub fn best_day_anchor(dates: &[NaiveDate], country: Country) -> u32 {
    let histogram = day_histogram(dates);
    let median = (1..=31u32)
        .min_by_key(|c| (histogram_cost(&histogram, &[*c]), *c))
        .unwrap_or(1);
    let mut best = (i64::MAX, i64::MAX, 1u32);
    for offset in -3i32..=3 {
        let anchor = (median as i32 - 1 + offset).rem_euclid(31) as u32 + 1;
        let schedule = Schedule::Months {
            step: 1,
            phase: 0,
            rule: DayRule::Day(anchor),
        };
        let mut cost = 0i64;
        let mut exact = 0i64;
        for date in dates {
            let cycle = schedule.nearest_cycle(*date, country);
            let day = day_number(*date);
            cost += i64::from(span_distance(day, schedule.due_span(cycle, country)));
            if day_number(schedule.nominal(cycle, country)) == day {
                exact += 1;
            }
        }
        let candidate = (cost, -exact, anchor);
        if candidate < best {
            best = candidate;
        }
    }
    best.2
}

/// Best pair of semi-monthly days (13–17 days apart), by circular distance of the days of
/// month.
pub fn best_semi_anchor(dates: &[NaiveDate]) -> (u32, u32) {
    let histogram = day_histogram(dates);
    let mut best = (u64::MAX, 1u32, 15u32);
    for first in 1..=18u32 {
        for second in first + 13..=(first + 17).min(31) {
            let cost = histogram_cost(&histogram, &[first, second]);
            if (cost, first, second) < best {
                best = (cost, first, second);
            }
        }
    }
    (best.1, best.2)
}

/// Best residue for a fixed day period.
pub fn best_residue(days: &[i32], period: i32) -> i32 {
    let mut best = (i64::MAX, 0);
    for residue in 0..period {
        let cost: i64 = days
            .iter()
            .map(|day| {
                let r = (day - residue).rem_euclid(period);
                i64::from(r.min(period - r))
            })
            .sum();
        if cost < best.0 {
            best = (cost, residue);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn month_end_anchor_is_found_and_never_drifts() {
        let dates = [
            d(2025, 1, 31),
            d(2025, 2, 28),
            d(2025, 3, 31),
            d(2025, 4, 30),
        ];
        assert_eq!(best_day_anchor(&dates, Country::Other), 31);
        let schedule = Schedule::Months {
            step: 1,
            phase: month_index(d(2025, 1, 1)),
            rule: DayRule::Day(31),
        };
        let due: Vec<_> = (0..4)
            .map(|c| schedule.nominal(c, Country::Other))
            .collect();
        assert_eq!(due, dates);
        assert_eq!(schedule.nearest_cycle(d(2025, 3, 2), Country::Other), 1); // near Feb 28
    }

    #[test]
    fn weekend_shifted_paydays_still_anchor_on_the_27th() {
        // 2025: Jun 27 is a Friday (paid Thu 26th in BH), Sep 27 a Saturday (paid Thu 25th).
        let dates = [
            d(2025, 5, 27),
            d(2025, 6, 26),
            d(2025, 7, 27),
            d(2025, 8, 27),
            d(2025, 9, 25),
        ];
        assert_eq!(best_day_anchor(&dates, Country::BH), 27);
    }

    #[test]
    fn residues_and_semi_monthly_anchors() {
        let days: Vec<i32> = (0..6).map(|k| 739_000 + 3 + 7 * k).collect();
        assert_eq!(best_residue(&days, 7), (739_003i32).rem_euclid(7));
        let dates = [
            d(2025, 1, 1),
            d(2025, 1, 15),
            d(2025, 2, 1),
            d(2025, 2, 15),
            d(2025, 3, 1),
        ];
        assert_eq!(best_semi_anchor(&dates), (1, 15));
    }
}
