//! The recurring-stream engine (docs/insight-algorithms.md §5), shared by income regularity, salary
//! detection and the recurring report: cadence hypotheses with tolerances, amount fit, score and
//! gates, EARLY_DETECTION / MATURE / TOMBSTONED statuses, activity and the next expected date from
//! an anchored day of month with per-country weekend shifts.

use chrono::NaiveDate;
use serde::Serialize;

use super::calendar::{WeekendShift, day_number, month_index};
use super::input::Country;
use super::schedule::{
    DayRule, Schedule, best_day_anchor, best_residue, best_semi_anchor, span_distance, span_offset,
};
use super::stats::{iqr_trimmed, mean, median, stddev};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Frequency {
    Weekly,
    Biweekly,
    SemiMonthly,
    Monthly,
    Quarterly,
    Annually,
}

impl Frequency {
    fn min_occurrences(self) -> usize {
        match self {
            Frequency::Weekly | Frequency::Biweekly | Frequency::SemiMonthly => 4,
            Frequency::Monthly | Frequency::Quarterly => 3,
            Frequency::Annually => 2,
        }
    }

    /// Tie-break priority (higher wins): MONTHLY > SEMI_MONTHLY > BIWEEKLY > WEEKLY >
    /// QUARTERLY > ANNUALLY.
    fn priority(self) -> u8 {
        match self {
            Frequency::Monthly => 6,
            Frequency::SemiMonthly => 5,
            Frequency::Biweekly => 4,
            Frequency::Weekly => 3,
            Frequency::Quarterly => 2,
            Frequency::Annually => 1,
        }
    }

    /// Median raw interval (days) for which the hypothesis is worth testing.
    fn plausible_interval(self, days: i32) -> bool {
        match self {
            Frequency::Weekly => (5..=9).contains(&days),
            Frequency::Biweekly => (11..=17).contains(&days),
            Frequency::SemiMonthly => (10..=20).contains(&days),
            Frequency::Monthly => (20..=45).contains(&days),
            Frequency::Quarterly => (70..=115).contains(&days),
            Frequency::Annually => (330..=400).contains(&days),
        }
    }
}

/// How a stream's due day is defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Anchor {
    DayOfMonth { day: u32 },
    LastBusinessDay,
    SemiMonthly { first: u32, second: u32 },
    Weekday { weekday: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamStatus {
    EarlyDetection,
    Mature,
    Tombstoned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inflow,
    Outflow,
}

/// One payment event: usually one row; same-day rows merged when the caller asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub date: NaiveDate,
    /// Magnitude in minor units (positive for both directions).
    pub amount: i64,
    pub rows: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub country: Country,
    pub direction: Direction,
    /// Amount tolerance as a share of the median (0.10 generic, 0.15 salary).
    pub amount_ratio: f64,
    /// Amount tolerance floor in minor units.
    pub amount_floor: i64,
    /// Days a day-of-month payment may come before / after its business-day span.
    pub early_days: i32,
    pub late_days: i32,
    pub frequencies: &'static [Frequency],
    /// Counterparty key quality, 0..1.
    pub quality: f64,
}

pub const ALL_FREQUENCIES: &[Frequency] = &[
    Frequency::Weekly,
    Frequency::Biweekly,
    Frequency::SemiMonthly,
    Frequency::Monthly,
    Frequency::Quarterly,
    Frequency::Annually,
];

pub const CADENCE_GATE: f64 = 0.75;
pub const AMOUNT_GATE: f64 = 0.75;
pub const SCORE_GATE: f64 = 0.78;
pub const EARLY_SCORE: f64 = 0.60;

/// A detected stream with everything the reports need.
#[derive(Debug, Clone)]
pub struct Stream {
    pub frequency: Frequency,
    pub schedule: Schedule,
    pub anchor: Anchor,
    pub status: StreamStatus,
    pub is_active: bool,
    /// One expected occurrence missed (still active for MATURE streams).
    pub late: bool,
    /// Expected occurrences missed since the last one, as of today (capped at 3).
    pub misses_now: u32,
    pub occurrences: Vec<Occurrence>,
    /// Per occurrence: the one counted for its cycle (extras are bonuses/duplicates).
    pub primary: Vec<bool>,
    pub cycles: Vec<i32>,
    pub cadence_fit: f64,
    pub amount_fit: f64,
    pub score: f64,
    pub variable_amount: bool,
    pub median_amount: i64,
    pub average_amount: i64,
    pub last_amount: i64,
    pub min_amount: i64,
    pub max_amount: i64,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub next_expected: Option<NaiveDate>,
    /// Standard deviation of day offsets, rounded up, at least 2.
    pub window_days: u32,
    pub cycles_covered: u32,
    pub missed_in_history: u32,
    pub shift: WeekendShift,
}

impl Stream {
    pub fn primary_amounts(&self) -> Vec<i64> {
        self.occurrences
            .iter()
            .zip(&self.primary)
            .filter(|(_, p)| **p)
            .map(|(o, _)| o.amount)
            .collect()
    }
}

struct Fit {
    frequency: Frequency,
    schedule: Schedule,
    cycles: Vec<i32>,
    primary: Vec<bool>,
    cadence_fit: f64,
    amount_fit: f64,
    variable_amount: bool,
    score: f64,
    median_error: i32,
    primaries: usize,
    missed: u32,
    status: Option<StreamStatus>,
}

fn amount_tolerance(median: i64, params: &Params) -> i64 {
    let ratio = (median.unsigned_abs() as f64 * params.amount_ratio).round() as i64;
    ratio.max(params.amount_floor)
}

/// Share of amounts close to the overall median or to their local median of three, so one
/// step change (pay rise, price change) does not break a stream while scattered amounts do.
fn amount_fit(amounts: &[i64], params: &Params) -> (f64, i64) {
    let Some(overall) = median(amounts) else {
        return (0.0, 0);
    };
    let tol = amount_tolerance(overall, params);
    let n = amounts.len();
    let fitting = (0..n)
        .filter(|&i| {
            let a = amounts[i];
            if (a - overall).abs() <= tol {
                return true;
            }
            if n < 3 {
                return false;
            }
            let start = i.saturating_sub(1).min(n - 3);
            let local = median(&amounts[start..start + 3]).unwrap_or(overall);
            (a - local).abs() <= amount_tolerance(local, params)
        })
        .count();
    (fitting as f64 / n as f64, overall)
}

fn schedule_for(frequency: Frequency, occurrences: &[Occurrence], country: Country) -> Schedule {
    let dates: Vec<NaiveDate> = occurrences.iter().map(|o| o.date).collect();
    match frequency {
        Frequency::Weekly | Frequency::Biweekly => {
            let period = if frequency == Frequency::Weekly {
                7
            } else {
                14
            };
            let days: Vec<i32> = dates.iter().map(|d| day_number(*d)).collect();
            Schedule::Days {
                period,
                residue: best_residue(&days, period),
            }
        }
        Frequency::SemiMonthly => {
            let (first, second) = best_semi_anchor(&dates);
            Schedule::Semi { first, second }
        }
        Frequency::Monthly | Frequency::Quarterly | Frequency::Annually => {
            let step = match frequency {
                Frequency::Monthly => 1,
                Frequency::Quarterly => 3,
                _ => 12,
            };
            let last_business_day = dates.len() >= 3
                && dates
                    .iter()
                    .all(|d| *d == super::calendar::last_business_day(month_index(*d), country));
            let rule = if last_business_day {
                DayRule::LastBusinessDay
            } else {
                DayRule::Day(best_day_anchor(&dates, country))
            };
            // The phase is the month of the first occurrence's nearest due date.
            let monthly = Schedule::Months {
                step: 1,
                phase: 0,
                rule,
            };
            let phase = dates
                .first()
                .map(|d| monthly.nearest_cycle(*d, country))
                .unwrap_or(0);
            Schedule::Months { step, phase, rule }
        }
    }
}

fn tolerance_days(frequency: Frequency, params: &Params) -> (i32, i32) {
    match frequency {
        Frequency::Weekly => (1, 1),
        Frequency::Biweekly => (2, 2),
        Frequency::SemiMonthly => (3, 3),
        Frequency::Monthly => (params.early_days, params.late_days),
        Frequency::Quarterly => (7, 7),
        Frequency::Annually => (10, 10),
    }
}

fn evaluate(frequency: Frequency, occurrences: &[Occurrence], params: &Params) -> Fit {
    let country = params.country;
    let schedule = schedule_for(frequency, occurrences, country);
    let (early, late) = tolerance_days(frequency, params);
    let n = occurrences.len();
    let cycles: Vec<i32> = occurrences
        .iter()
        .map(|o| schedule.nearest_cycle(o.date, country))
        .collect();
    let offsets: Vec<i32> = occurrences
        .iter()
        .zip(&cycles)
        .map(|(o, c)| span_offset(day_number(o.date), schedule.due_span(*c, country)))
        .collect();
    let on_schedule: Vec<bool> = offsets.iter().map(|o| -early <= *o && *o <= late).collect();
    // One primary per cycle: the closest to its due span, then the larger amount, then the
    // earlier date.
    let mut primary = vec![false; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && cycles[j + 1] == cycles[i] {
            j += 1;
        }
        let best = (i..=j)
            .min_by_key(|&k| (offsets[k].abs(), -occurrences[k].amount, k))
            .unwrap_or(i);
        primary[best] = true;
        i = j + 1;
    }
    let primaries: Vec<usize> = (0..n).filter(|&k| primary[k]).collect();
    let mut matched = 0usize;
    let mut missed = 0u32;
    for pair in primaries.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let step = cycles[b] - cycles[a];
        if on_schedule[a] && on_schedule[b] && (1..=3).contains(&step) {
            matched += 1;
            missed += (step - 1) as u32;
        }
    }
    let cadence_fit = if n > 1 {
        matched as f64 / (n - 1) as f64
    } else {
        0.0
    };
    let amounts: Vec<i64> = primaries.iter().map(|&k| occurrences[k].amount).collect();
    let (mut fit_amount, overall) = amount_fit(&amounts, params);
    let variable_amount = fit_amount < AMOUNT_GATE
        && cadence_fit >= CADENCE_GATE
        && params.quality >= 0.95
        && overall > 0
        && amounts.iter().all(|a| {
            // In i128: twice an amount near i64::MAX does not fit an i64.
            let (a, overall) = (i128::from(*a), i128::from(overall));
            a * 2 >= overall && a <= overall * 2
        });
    if !fit_amount.is_finite() {
        fit_amount = 0.0;
    }
    let score = 0.65 * cadence_fit + 0.25 * fit_amount + 0.10 * params.quality;
    let median_error = median(
        &primaries
            .iter()
            .map(|&k| i64::from(offsets[k].abs()))
            .collect::<Vec<_>>(),
    )
    .unwrap_or(0) as i32;
    let amount_ok = fit_amount >= AMOUNT_GATE || variable_amount;
    let enough = primaries.len() >= frequency.min_occurrences();
    let status = if enough && cadence_fit >= CADENCE_GATE && amount_ok && score >= SCORE_GATE {
        Some(StreamStatus::Mature)
    } else if (primaries.len() >= 2 && !enough && cadence_fit >= CADENCE_GATE && amount_ok)
        || (enough && (EARLY_SCORE..SCORE_GATE).contains(&score))
    {
        Some(StreamStatus::EarlyDetection)
    } else {
        None
    };
    Fit {
        frequency,
        schedule,
        cycles,
        primary,
        cadence_fit,
        amount_fit: fit_amount,
        variable_amount,
        score,
        median_error,
        primaries: primaries.len(),
        missed,
        status,
    }
}

fn status_rank(status: Option<StreamStatus>) -> u8 {
    match status {
        Some(StreamStatus::Mature) => 2,
        Some(_) => 1,
        None => 0,
    }
}

/// Best cadence for one group of occurrences (sorted by date), if any is recurring.
fn best_fit(occurrences: &[Occurrence], params: &Params) -> Option<Fit> {
    if occurrences.len() < 2 {
        return None;
    }
    let mut intervals: Vec<i64> = occurrences
        .windows(2)
        .map(|w| (w[1].date - w[0].date).num_days())
        .filter(|d| *d > 0)
        .collect();
    intervals.sort_unstable();
    let typical = median(&intervals).unwrap_or(0);
    let typical = i32::try_from(typical).unwrap_or(i32::MAX);
    let mut best: Option<Fit> = None;
    for &frequency in params.frequencies {
        if !frequency.plausible_interval(typical) {
            continue;
        }
        let fit = evaluate(frequency, occurrences, params);
        if fit.status.is_none() {
            continue;
        }
        let better = match &best {
            None => true,
            Some(b) => {
                let key = |f: &Fit| {
                    (
                        status_rank(f.status),
                        f.score,
                        f.cadence_fit,
                        -f.median_error,
                        f.primaries,
                        f.frequency.priority(),
                    )
                };
                let (a, c) = (key(&fit), key(b));
                a.0.cmp(&c.0)
                    .then(a.1.total_cmp(&c.1))
                    .then(a.2.total_cmp(&c.2))
                    .then(a.3.cmp(&c.3))
                    .then(a.4.cmp(&c.4))
                    .then(a.5.cmp(&c.5))
                    .is_gt()
            }
        };
        if better {
            best = Some(fit);
        }
    }
    best
}

/// Splits occurrences into amount clusters: sorted by amount, a new cluster starts when the
/// gap to the cluster's median exceeds the tolerance. Each cluster is returned by date.
fn amount_clusters(occurrences: &[Occurrence], params: &Params) -> Vec<Vec<Occurrence>> {
    let mut by_amount: Vec<&Occurrence> = occurrences.iter().collect();
    by_amount.sort_by_key(|o| (o.amount, o.date));
    let mut clusters: Vec<Vec<&Occurrence>> = Vec::new();
    for occurrence in by_amount {
        // Amounts arrive in ascending order, so a cluster's median is its middle element.
        let start_new = match clusters.last() {
            None => true,
            Some(cluster) => {
                let m = cluster[cluster.len() / 2].amount;
                occurrence.amount - m > amount_tolerance(m, params)
            }
        };
        if start_new {
            clusters.push(vec![occurrence]);
        } else if let Some(cluster) = clusters.last_mut() {
            cluster.push(occurrence);
        }
    }
    clusters
        .into_iter()
        .map(|cluster| {
            let mut owned: Vec<Occurrence> = cluster.into_iter().cloned().collect();
            owned.sort_by(|a, b| a.date.cmp(&b.date).then(a.rows.cmp(&b.rows)));
            owned
        })
        .collect()
}

/// Detects the recurring streams in one group (same account, currency, direction and
/// counterparty). Occurrences must be sorted by date. An unsplit MATURE stream wins; else
/// the amount clusters that are MATURE on their own; else the unsplit early detection.
pub fn detect(occurrences: Vec<Occurrence>, params: &Params, today: NaiveDate) -> Vec<Stream> {
    let whole = best_fit(&occurrences, params);
    if whole
        .as_ref()
        .is_some_and(|f| f.status == Some(StreamStatus::Mature))
    {
        return whole
            .map(|f| finish(f, occurrences, params, today))
            .into_iter()
            .collect();
    }
    let clusters = amount_clusters(&occurrences, params);
    if clusters.len() >= 2 {
        let mature: Vec<Stream> = clusters
            .into_iter()
            .filter_map(|cluster| {
                let fit = best_fit(&cluster, params)?;
                (fit.status == Some(StreamStatus::Mature))
                    .then(|| finish(fit, cluster, params, today))
            })
            .collect();
        if !mature.is_empty() {
            return mature;
        }
    }
    whole
        .map(|f| finish(f, occurrences, params, today))
        .into_iter()
        .collect()
}

fn weekday_name(date: NaiveDate) -> String {
    date.format("%A").to_string()
}

fn finish(fit: Fit, occurrences: Vec<Occurrence>, params: &Params, today: NaiveDate) -> Stream {
    let country = params.country;
    let schedule = fit.schedule;
    let primary_idx: Vec<usize> = (0..occurrences.len()).filter(|&k| fit.primary[k]).collect();
    let amounts: Vec<i64> = primary_idx.iter().map(|&k| occurrences[k].amount).collect();
    let median_amount = median(&amounts).unwrap_or(0);
    let average_amount = mean(&iqr_trimmed(&amounts)).unwrap_or(median_amount);
    let last = *primary_idx.last().unwrap_or(&0);
    let last_cycle = fit.cycles.get(last).copied().unwrap_or(0);

    // Weekend rule learned from history: paid before or after a due date on a weekend.
    let (mut earlier, mut later) = (0, 0);
    for &k in &primary_idx {
        let nominal = schedule.nominal(fit.cycles[k], country);
        if country.is_weekend(nominal)
            && matches!(schedule, Schedule::Months { .. } | Schedule::Semi { .. })
        {
            if occurrences[k].date < nominal {
                earlier += 1;
            } else if occurrences[k].date > nominal {
                later += 1;
            }
        }
    }
    let shift = if earlier > later {
        WeekendShift::Earlier
    } else if later > earlier {
        WeekendShift::Later
    } else if params.direction == Direction::Inflow {
        WeekendShift::Earlier
    } else {
        WeekendShift::Later
    };

    // Misses as of today: cycles after the last one whose late bound has passed.
    let (_, late_tol) = tolerance_days(fit.frequency, params);
    let today_day = day_number(today);
    let mut misses_now = 0u32;
    let mut next_cycle = last_cycle + 1;
    while misses_now < 3 {
        let (_, high) = schedule.due_span(next_cycle, country);
        if high + late_tol < today_day {
            misses_now += 1;
            next_cycle += 1;
        } else {
            break;
        }
    }
    let status = match fit.status {
        Some(StreamStatus::EarlyDetection) if misses_now >= 1 => StreamStatus::Tombstoned,
        Some(status) => status,
        None => StreamStatus::Tombstoned,
    };
    let is_active = match status {
        StreamStatus::Mature => misses_now < 2,
        StreamStatus::EarlyDetection => true,
        StreamStatus::Tombstoned => false,
    };
    let next_expected = is_active.then(|| schedule.shifted(next_cycle, country, shift));

    let offsets: Vec<f64> = primary_idx
        .iter()
        .map(|&k| {
            let due = schedule.shifted(fit.cycles[k], country, shift);
            (occurrences[k].date - due).num_days() as f64
        })
        .collect();
    let window_days = (stddev(&offsets).ceil() as u32).max(2);
    let anchor = match schedule {
        Schedule::Days { .. } => Anchor::Weekday {
            weekday: weekday_name(occurrences[last].date),
        },
        Schedule::Semi { first, second } => Anchor::SemiMonthly { first, second },
        Schedule::Months {
            rule: DayRule::Day(day),
            ..
        } => Anchor::DayOfMonth { day },
        Schedule::Months {
            rule: DayRule::LastBusinessDay,
            ..
        } => Anchor::LastBusinessDay,
    };
    let mut covered: Vec<i32> = primary_idx.iter().map(|&k| fit.cycles[k]).collect();
    covered.dedup();
    let first_date = occurrences.first().map(|o| o.date).unwrap_or(today);
    let last_date = occurrences.last().map(|o| o.date).unwrap_or(today);
    let _ = span_distance;
    Stream {
        frequency: fit.frequency,
        schedule,
        anchor,
        status,
        is_active,
        late: status == StreamStatus::Mature && misses_now == 1,
        misses_now,
        primary: fit.primary,
        cycles: fit.cycles,
        cadence_fit: fit.cadence_fit,
        amount_fit: fit.amount_fit,
        score: fit.score,
        variable_amount: fit.variable_amount,
        median_amount,
        average_amount,
        last_amount: amounts.last().copied().unwrap_or(0),
        min_amount: amounts.iter().copied().min().unwrap_or(0),
        max_amount: amounts.iter().copied().max().unwrap_or(0),
        first_date,
        last_date,
        next_expected,
        window_days,
        cycles_covered: covered.len() as u32,
        missed_in_history: fit.missed,
        shift,
        occurrences,
    }
}

/// Amount floor for the tolerance: one major unit for three-decimal currencies (1.000 BHD),
/// five for two-decimal ones (5.00 SAR/AED), 500 for zero-decimal ones.
pub fn default_amount_floor(exponent: u32) -> i64 {
    match exponent {
        3 => 1_000,
        2 => 500,
        0 => 500,
        e => 10_i64.pow(e.min(6)),
    }
}
