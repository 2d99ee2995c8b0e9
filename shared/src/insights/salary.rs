//! Salary detection (insights.md §6): the recurring engine on credits into current and
//! savings accounts with salary tolerances (15 % amounts, paid up to 10 days early before a
//! holiday, 10 days' grace in the UAE under WPS, 7 elsewhere), grouped by payer and, for
//! banks that label salaries generically, by payroll keyword per account.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::calendar::{check_date, day_number, month_index, month_start};
use super::error::InsightsError;
use super::fasthash::FastMap;
use super::flow::FlowKind;
use super::fx::approx_usd;
use super::input::{Account, AccountKind, Country, Transaction};
use super::keywords::Markers;
use super::ledger::DataQuality;
use super::prepared::Prepared;
use super::recurring::{
    Anchor, Direction, Frequency, Occurrence, Params, Stream, StreamStatus, default_amount_floor,
    detect,
};
use super::stats::{iqr_trimmed, mean, median, round3};
use crate::money::{Currency, Money};

/// Months of history searched, before the current partial month.
pub const WINDOW_MONTHS: i32 = 12;
pub const EARLY_PAYMENT_DAYS: i32 = 10;
pub const SALARY_AMOUNT_RATIO: f64 = 0.15;
const SALARY_FREQUENCIES: &[Frequency] = &[
    Frequency::Monthly,
    Frequency::SemiMonthly,
    Frequency::Biweekly,
    Frequency::Weekly,
];

/// Days after the due date before a salary counts as missed: UAE WPS treats salaries more
/// than 10 days late as late; 7 elsewhere.
pub fn grace_days(country: Country) -> i32 {
    match country {
        Country::AE => 10,
        _ => 7,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SalaryStatus {
    EarlyDetection,
    Mature,
    Late,
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfidenceLabel {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SalaryIncomeType {
    Salary,
    Pension,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SalaryReport {
    pub as_of: NaiveDate,
    /// A current (not stopped) salary with enough evidence.
    pub detected: bool,
    pub primary: Option<SalaryStream>,
    /// Second job, spouse's salary into a joint account, pensions.
    pub others: Vec<SalaryStream>,
    pub data_quality: DataQuality,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SalaryStream {
    pub employer: String,
    pub payer_key: String,
    pub account_id: String,
    pub income_type: SalaryIncomeType,
    /// Median of the last three payments.
    pub amount: Money,
    /// Mean after trimming outliers (IQR) and a pro-rated first month.
    pub average_amount: Money,
    pub last_amount: Money,
    pub cadence: Frequency,
    pub anchor: Anchor,
    pub first_paid_date: NaiveDate,
    pub last_paid_date: NaiveDate,
    pub next_expected_date: Option<NaiveDate>,
    pub next_expected_window_days: u32,
    pub grace_days: u32,
    pub status: SalaryStatus,
    pub confidence: f64,
    pub confidence_label: ConfidenceLabel,
    pub evidence: SalaryEvidence,
    pub amount_change: Option<AmountChange>,
    pub transaction_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SalaryEvidence {
    pub occurrences: u32,
    pub months_covered: u32,
    pub cadence_fit: f64,
    pub amount_fit: f64,
    pub keyword_hits: u32,
    pub organisation_payer: bool,
    /// Share of the account currency's external inflow over the window, 0..1.
    pub share_of_inflow: f64,
    pub missed_payments: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AmountChange {
    pub new_amount: Money,
    pub previous_amount: Money,
    pub changed_on: NaiveDate,
}

/// A detected salary-like stream with the rows it explains (used by the income insight).
pub(crate) struct SalaryCandidate {
    pub stream: SalaryStream,
    pub account: u32,
    /// Payer key the stream is grouped by; `None` for the payroll-keyword group.
    pub key: Option<u32>,
    pub rows: Vec<u32>,
    pub qualifies: bool,
    /// The engine found a MATURE stream (regular income).
    pub mature: bool,
    pub frequency: Frequency,
    rank: f64,
}

/// External inflow per currency and calendar month over the window.
struct InflowStats {
    monthly_median: FastMap<Currency, i64>,
    total: FastMap<Currency, i128>,
}

fn inflow_stats(prepared: &Prepared<'_>, rows: &[usize]) -> InflowStats {
    let mut monthly: BTreeMap<(Currency, i32), i128> = BTreeMap::new();
    let mut total: FastMap<Currency, i128> = FastMap::default();
    for &i in rows {
        let row = &prepared.ledger.rows[i];
        let currency = row.currency;
        *monthly
            .entry((currency, month_index(row.date)))
            .or_default() += i128::from(row.minor);
        *total.entry(currency).or_default() += i128::from(row.minor);
    }
    let mut per_currency: FastMap<Currency, Vec<i64>> = FastMap::default();
    for ((currency, _), sum) in monthly {
        per_currency
            .entry(currency)
            .or_default()
            .push(i64::try_from(sum).unwrap_or(i64::MAX));
    }
    InflowStats {
        monthly_median: per_currency
            .into_iter()
            .filter_map(|(c, v)| Some((c, median(&v)?)))
            .collect(),
        total,
    }
}

/// Smallest credit considered a salary, before the 5 %-of-inflow rule.
fn salary_floor(currency: Currency) -> i64 {
    let major = match currency.code() {
        "BHD" | "KWD" | "OMR" | "JOD" => 50,
        "SAR" | "AED" | "QAR" => 500,
        "USD" | "EUR" | "GBP" | "CHF" => 130,
        _ => 0,
    };
    major * currency.minor_per_major()
}

fn occurrences_of(prepared: &Prepared<'_>, rows: &[usize]) -> Vec<Occurrence> {
    // Rows arrive in canonical (date) order; same-day credits from one payer are one salary
    // event (basic + allowance).
    let mut out: Vec<Occurrence> = Vec::new();
    for &i in rows {
        let row = &prepared.ledger.rows[i];
        match out.last_mut() {
            Some(last) if last.date == row.date => {
                last.amount = last.amount.saturating_add(row.minor);
                last.rows.push(i as u32);
            }
            _ => out.push(Occurrence {
                date: row.date,
                amount: row.minor,
                rows: vec![i as u32],
            }),
        }
    }
    out
}

/// Detects salary streams as of `today` (shared with the income insight).
pub(crate) fn detect_salaries(prepared: &Prepared<'_>, today: NaiveDate) -> Vec<SalaryCandidate> {
    let ledger = &prepared.ledger;
    let window_start = month_start(month_index(today) - WINDOW_MONTHS);
    let range = prepared.day_range(day_number(window_start), day_number(today) + 1);
    let salary_account = |account: u32| {
        matches!(
            ledger.accounts[account as usize].kind,
            AccountKind::Current | AccountKind::Savings | AccountKind::Other
        )
    };
    let mut inflows = Vec::new();
    let mut credits = Vec::new();
    for i in range {
        let row = &ledger.rows[i];
        if row.minor <= 0 || !salary_account(row.account) {
            continue;
        }
        match prepared.flows.kind[i] {
            FlowKind::Income => {
                inflows.push(i);
                credits.push(i);
            }
            FlowKind::CashDeposit => inflows.push(i),
            _ => {}
        }
    }
    let stats = inflow_stats(prepared, &inflows);
    let big_enough = |i: usize| {
        let row = &ledger.rows[i];
        let currency = row.currency;
        let five_percent = stats.monthly_median.get(&currency).copied().unwrap_or(0) / 20;
        row.minor >= salary_floor(currency).max(five_percent)
    };
    let credits: Vec<usize> = credits.into_iter().filter(|&i| big_enough(i)).collect();

    // Pass 1: by payer key.
    let mut by_payer: BTreeMap<(u32, u32), Vec<usize>> = BTreeMap::new();
    for &i in &credits {
        let info = &prepared.cps.info[i];
        if let Some(key) = info.key.filter(|_| info.quality >= 80) {
            by_payer
                .entry((ledger.rows[i].account, key))
                .or_default()
                .push(i);
        }
    }
    let mut candidates = Vec::new();
    let mut taken = vec![false; ledger.rows.len()];
    for ((account, key), rows) in by_payer {
        for candidate in candidates_for(prepared, &stats, account, Some(key), &rows, today) {
            if candidate.qualifies {
                for &r in &candidate.rows {
                    taken[r as usize] = true;
                }
            }
            candidates.push(candidate);
        }
    }
    // Pass 2: payroll-keyword credits per account whose payer text varies.
    let mut by_keyword: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for &i in &credits {
        if !taken[i] && prepared.cps.info[i].markers.has(Markers::PAYROLL) {
            by_keyword
                .entry(ledger.rows[i].account)
                .or_default()
                .push(i);
        }
    }
    for (account, rows) in by_keyword {
        candidates.extend(candidates_for(
            prepared, &stats, account, None, &rows, today,
        ));
    }
    candidates
}

fn candidates_for(
    prepared: &Prepared<'_>,
    stats: &InflowStats,
    account: u32,
    key: Option<u32>,
    rows: &[usize],
    today: NaiveDate,
) -> Vec<SalaryCandidate> {
    let ledger = &prepared.ledger;
    let owner = ledger.accounts[account as usize];
    let quality = match key {
        Some(_) => f64::from(prepared.cps.info[rows[0]].quality) / 100.0,
        None => 0.8,
    };
    let params = Params {
        country: owner.country,
        direction: Direction::Inflow,
        amount_ratio: SALARY_AMOUNT_RATIO,
        amount_floor: default_amount_floor(owner.currency.exponent()),
        early_days: EARLY_PAYMENT_DAYS,
        late_days: grace_days(owner.country),
        frequencies: SALARY_FREQUENCIES,
        quality,
    };
    detect(occurrences_of(prepared, rows), &params, today)
        .into_iter()
        .filter_map(|stream| build_candidate(prepared, stats, owner, account, key, stream, &params))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn build_candidate(
    prepared: &Prepared<'_>,
    stats: &InflowStats,
    owner: &Account,
    account: u32,
    key: Option<u32>,
    stream: Stream,
    params: &Params,
) -> Option<SalaryCandidate> {
    let ledger = &prepared.ledger;
    let currency = owner.currency;
    let rows: Vec<u32> = stream
        .occurrences
        .iter()
        .flat_map(|o| o.rows.iter().copied())
        .collect();
    let amounts = stream.primary_amounts();
    let primary_dates: Vec<NaiveDate> = stream
        .occurrences
        .iter()
        .zip(&stream.primary)
        .filter(|(_, p)| **p)
        .map(|(o, _)| o.date)
        .collect();
    let overall = median(&amounts)?;
    let tol = ((overall as f64) * SALARY_AMOUNT_RATIO).round() as i64;
    // A lower first payment is a pro-rated joining month: left out of the amount figures.
    let stats_amounts: Vec<i64> = if amounts.len() >= 3 && amounts[0] < overall - tol {
        amounts[1..].to_vec()
    } else {
        amounts.clone()
    };
    let last_three = &amounts[amounts.len().saturating_sub(3)..];
    let amount = median(last_three)?;
    let average = mean(&iqr_trimmed(&stats_amounts)).unwrap_or(amount);
    let last_amount = *amounts.last()?;
    let amount_change = amount_change(&amounts, &primary_dates, currency);

    let mut keyword_hits = 0u32;
    let mut organisation = false;
    let mut pension = false;
    for &r in &rows {
        let markers = prepared.cps.info[r as usize].markers;
        if markers.has(Markers::PAYROLL) || markers.has(Markers::PENSION) {
            keyword_hits += 1;
        }
        organisation |= markers.has(Markers::ORGANISATION);
        pension |= markers.has(Markers::PENSION);
    }
    let keyword_score = if keyword_hits > 0 {
        1.0
    } else if organisation {
        0.5
    } else {
        0.0
    };
    let months_covered = if stream.frequency == Frequency::Monthly {
        stream.cycles_covered
    } else {
        let mut months: Vec<i32> = primary_dates.iter().map(|d| month_index(*d)).collect();
        months.dedup();
        months.len() as u32
    };
    let longevity = (f64::from(months_covered) / 6.0).min(1.0);
    let monthly_inflow = stats.monthly_median.get(&currency).copied().unwrap_or(0);
    let monthly_amount = match stream.frequency {
        Frequency::Weekly => amount.saturating_mul(52) / 12,
        Frequency::Biweekly => amount.saturating_mul(26) / 12,
        Frequency::SemiMonthly => amount.saturating_mul(2),
        _ => amount,
    };
    let magnitude = if monthly_inflow > 0 {
        (monthly_amount as f64 / monthly_inflow as f64).min(1.0)
    } else {
        0.0
    };
    let stream_total: i128 = rows
        .iter()
        .map(|&r| i128::from(ledger.rows[r as usize].minor))
        .sum();
    let inflow_total = stats.total.get(&currency).copied().unwrap_or(0);
    let share_of_inflow = if inflow_total > 0 {
        (stream_total as f64 / inflow_total as f64).min(1.0)
    } else {
        0.0
    };
    let confidence = 0.35 * stream.cadence_fit
        + 0.20 * stream.amount_fit
        + 0.15 * longevity
        + 0.20 * keyword_score
        + 0.10 * magnitude;
    let confidence_label = if confidence >= 0.75 {
        ConfidenceLabel::High
    } else if confidence >= 0.5 {
        ConfidenceLabel::Medium
    } else {
        ConfidenceLabel::Low
    };
    let status = match (stream.misses_now, stream.status) {
        (0, StreamStatus::Mature) => SalaryStatus::Mature,
        (0, _) => SalaryStatus::EarlyDetection,
        (1, _) => SalaryStatus::Late,
        _ => SalaryStatus::Stopped,
    };
    let last_cycle = stream
        .cycles
        .iter()
        .zip(&stream.primary)
        .filter(|(_, p)| **p)
        .map(|(c, _)| *c)
        .next_back()?;
    let next_expected_date = (status != SalaryStatus::Stopped).then(|| {
        stream.schedule.shifted(
            last_cycle + 1 + stream.misses_now as i32,
            params.country,
            stream.shift,
        )
    });
    // Without a payroll word or an organisation as payer, only a dominant monthly inflow
    // counts as a salary: a monthly transfer from a relative stays a regular income source.
    let salary_like =
        keyword_score > 0.0 || (magnitude >= 0.5 && stream.frequency == Frequency::Monthly);
    let qualifies = salary_like && months_covered >= 2 && confidence >= 0.5;
    let first_row = rows.first().copied().unwrap_or(0) as usize;
    let label_row = most_common_label_row(prepared, &rows).unwrap_or(first_row);
    let employer = employer_name(&prepared.cps.label(ledger, label_row));
    let payer_key = match key {
        Some(k) => prepared.cps.keys.name(k).to_owned(),
        None => format!("salary-keyword:{}", owner.account_id),
    };
    let transaction_ids = rows
        .iter()
        .map(|&r| ledger.rows[r as usize].tx.transaction_id.clone())
        .collect();
    let usd =
        approx_usd(amount, currency).unwrap_or(amount as f64 / currency.minor_per_major() as f64);
    let stream_out = SalaryStream {
        employer,
        payer_key,
        account_id: owner.account_id.clone(),
        income_type: if pension {
            SalaryIncomeType::Pension
        } else {
            SalaryIncomeType::Salary
        },
        amount: Money::from_minor(amount, currency),
        average_amount: Money::from_minor(average, currency),
        last_amount: Money::from_minor(last_amount, currency),
        cadence: stream.frequency,
        anchor: stream.anchor.clone(),
        first_paid_date: stream.first_date,
        last_paid_date: stream.last_date,
        next_expected_date,
        next_expected_window_days: stream.window_days,
        grace_days: params.late_days as u32,
        status,
        confidence: round3(confidence),
        confidence_label,
        evidence: SalaryEvidence {
            occurrences: stream.occurrences.len() as u32,
            months_covered,
            cadence_fit: round3(stream.cadence_fit),
            amount_fit: round3(stream.amount_fit),
            keyword_hits,
            organisation_payer: organisation,
            share_of_inflow: round3(share_of_inflow),
            missed_payments: stream.missed_in_history,
        },
        amount_change,
        transaction_ids,
    };
    Some(SalaryCandidate {
        stream: stream_out,
        account,
        key,
        rows,
        qualifies,
        mature: stream.status == StreamStatus::Mature,
        frequency: stream.frequency,
        rank: confidence * usd,
    })
}

/// Words that say "salary", not who pays it (title-cased or Arabic, as labels are written).
const PAYROLL_WORDS: &[&str] = &[
    "Salary",
    "Salaries",
    "Sal",
    "Payroll",
    "Wps",
    "Wages",
    "Wage",
    "Credit",
    "راتب",
    "رواتب",
    "مرتب",
];

/// The payer's name from a stream label: payroll words removed, unless nothing else is left.
fn employer_name(label: &str) -> String {
    let kept: Vec<&str> = label
        .split(' ')
        .filter(|word| !word.is_empty() && !PAYROLL_WORDS.contains(word))
        .collect();
    if kept.is_empty() {
        label.to_owned()
    } else {
        kept.join(" ")
    }
}

/// The row whose display label is the most frequent in the stream (ties: earliest row).
fn most_common_label_row(prepared: &Prepared<'_>, rows: &[u32]) -> Option<usize> {
    let mut votes: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for &r in rows {
        let label = prepared.cps.label(&prepared.ledger, r as usize);
        let entry = votes.entry(label).or_insert((0, r));
        entry.0 += 1;
    }
    votes
        .into_values()
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(_, r)| r as usize)
}

/// A new pay level: the last two payments agree, and the run of payments at that level
/// differs by more than 15 % from the three payments before it.
fn amount_change(amounts: &[i64], dates: &[NaiveDate], currency: Currency) -> Option<AmountChange> {
    let n = amounts.len();
    if n < 3 {
        return None;
    }
    let within = |a: i64, level: i64| {
        ((a - level).abs() as f64) <= (level.abs() as f64) * SALARY_AMOUNT_RATIO
    };
    let level = median(&amounts[n - 2..])?;
    if !within(amounts[n - 2], amounts[n - 1]) {
        return None;
    }
    let mut start = n - 2;
    while start > 0 && within(amounts[start - 1], level) {
        start -= 1;
    }
    if start == 0 {
        return None;
    }
    let previous = median(&amounts[start.saturating_sub(3)..start])?;
    if within(level, previous) {
        return None;
    }
    Some(AmountChange {
        new_amount: Money::from_minor(level, currency),
        previous_amount: Money::from_minor(previous, currency),
        changed_on: *dates.get(start)?,
    })
}

/// Salary detection across the user's current and savings accounts, as of `today`.
pub fn salary(
    accounts: &[Account],
    transactions: &[Transaction],
    today: NaiveDate,
) -> Result<SalaryReport, InsightsError> {
    check_date(today)?;
    let prepared = Prepared::new(accounts, transactions);
    let candidates = detect_salaries(&prepared, today);
    let mut qualifying: Vec<SalaryCandidate> =
        candidates.into_iter().filter(|c| c.qualifies).collect();
    // Highest confidence × amount first; payer key and account break ties.
    qualifying.sort_by(|a, b| {
        b.rank
            .total_cmp(&a.rank)
            .then_with(|| a.stream.payer_key.cmp(&b.stream.payer_key))
            .then_with(|| a.account.cmp(&b.account))
            .then_with(|| a.stream.first_paid_date.cmp(&b.stream.first_paid_date))
    });
    let current = qualifying
        .iter()
        .position(|c| {
            c.stream.status != SalaryStatus::Stopped
                && c.stream.income_type == SalaryIncomeType::Salary
        })
        .or_else(|| {
            qualifying
                .iter()
                .position(|c| c.stream.status != SalaryStatus::Stopped)
        })
        .or(if qualifying.is_empty() { None } else { Some(0) });
    let primary = current.map(|i| qualifying.remove(i).stream);
    let detected = primary
        .as_ref()
        .is_some_and(|p| p.status != SalaryStatus::Stopped);
    Ok(SalaryReport {
        as_of: today,
        detected,
        primary,
        others: qualifying.into_iter().map(|c| c.stream).collect(),
        data_quality: prepared.ledger.quality,
    })
}
