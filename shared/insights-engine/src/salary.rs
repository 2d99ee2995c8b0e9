//! Salary detection (docs/insight-algorithms.md §6): the recurring engine on credits into current
//! and savings accounts with salary tolerances (15 % amounts, paid up to 10 days early before a
//! holiday, 10 days' grace in the UAE under WPS, 7 elsewhere), grouped by payer and, for banks that
//! label salaries generically, by payroll keyword per account.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::calendar::{check_date, day_number, month_index, month_start};
use super::error::InsightsError;
use super::flow::FlowKind;
use super::fx::approx_usd;
use super::input::{Account, AccountKind, Country, Transaction};
use super::keywords::{Markers, PAYROLL_WORDS};
use super::ledger::DataQuality;
use super::prepared::Prepared;
use super::recurring::{
    Anchor, Direction, Frequency, Occurrence, Params, Stream, StreamStatus, default_amount_floor,
    detect,
};
use super::stats::{iqr_trimmed, mean, median, round3};
use super::text::{phrase_tokens, title_case};
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
    monthly_median: FxHashMap<Currency, i64>,
    total: FxHashMap<Currency, i128>,
}

fn inflow_stats(prepared: &Prepared<'_>, rows: &[usize]) -> InflowStats {
    let mut monthly: BTreeMap<(Currency, i32), i128> = BTreeMap::new();
    let mut total: FxHashMap<Currency, i128> = FxHashMap::default();
    for &i in rows {
        let row = &prepared.ledger.rows[i];
        let currency = row.currency;
        *monthly
            .entry((currency, month_index(row.date)))
            .or_default() += i128::from(row.minor);
        *total.entry(currency).or_default() += i128::from(row.minor);
    }
    let mut per_currency: FxHashMap<Currency, Vec<i64>> = FxHashMap::default();
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
        if !taken[i] && prepared.cps.info[i].markers.contains(Markers::PAYROLL) {
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

/// How much each piece of evidence counts towards a stream's confidence (they sum to 1).
struct ConfidenceWeights {
    cadence_fit: f64,
    amount_fit: f64,
    longevity: f64,
    keyword: f64,
    magnitude: f64,
}

const CONFIDENCE_WEIGHTS: ConfidenceWeights = ConfidenceWeights {
    cadence_fit: 0.35,
    amount_fit: 0.20,
    longevity: 0.15,
    keyword: 0.20,
    magnitude: 0.10,
};

/// Keyword score when a row carries a payroll or pension word.
const KEYWORD_SCORE_PAYROLL: f64 = 1.0;
/// Keyword score when no row does but the payer looks like an organisation.
const KEYWORD_SCORE_ORGANISATION: f64 = 0.5;
/// Months of payments that give full longevity.
const FULL_LONGEVITY_MONTHS: f64 = 6.0;
/// Confidence labels: high from 0.75, medium from 0.5.
const HIGH_CONFIDENCE: f64 = 0.75;
const MEDIUM_CONFIDENCE: f64 = 0.5;
/// A salary needs this confidence and this many months of payments.
const MIN_CONFIDENCE: f64 = 0.5;
const MIN_MONTHS_COVERED: u32 = 2;
/// Without a payroll word or an organisation as payer, a monthly stream is a salary only from
/// this share of the median monthly inflow.
const DOMINANT_INFLOW_SHARE: f64 = 0.5;

/// One group of credits being searched for salaries: its account, payer key and the detection
/// inputs, shared by every stream found in it.
struct Group<'g, 'p> {
    prepared: &'g Prepared<'p>,
    stats: &'g InflowStats,
    owner: &'p Account,
    account: u32,
    /// Payer key; `None` for the payroll-keyword group.
    key: Option<u32>,
    params: Params,
}

fn candidates_for(
    prepared: &Prepared<'_>,
    stats: &InflowStats,
    account: u32,
    key: Option<u32>,
    rows: &[usize],
    today: NaiveDate,
) -> Vec<SalaryCandidate> {
    let owner = prepared.ledger.accounts[account as usize];
    let quality = match key {
        Some(_) => f64::from(prepared.cps.info[rows[0]].quality) / 100.0,
        None => 0.8,
    };
    let group = Group {
        prepared,
        stats,
        owner,
        account,
        key,
        params: Params {
            country: owner.country,
            direction: Direction::Inflow,
            amount_ratio: SALARY_AMOUNT_RATIO,
            amount_floor: default_amount_floor(owner.currency.exponent()),
            early_days: EARLY_PAYMENT_DAYS,
            late_days: grace_days(owner.country),
            frequencies: SALARY_FREQUENCIES,
            quality,
        },
    };
    detect(occurrences_of(prepared, rows), &group.params, today)
        .into_iter()
        .filter_map(|stream| build_candidate(&group, stream))
        .collect()
}

/// The amount figures of a stream, from its primary (one per cycle) payments.
struct Amounts {
    /// Median of the last three payments.
    amount: i64,
    /// Mean after trimming outliers (IQR) and a pro-rated first month.
    average: i64,
    last: i64,
    change: Option<AmountChange>,
}

impl Amounts {
    fn of(stream: &Stream, primary_dates: &[NaiveDate], currency: Currency) -> Option<Amounts> {
        let amounts = stream.primary_amounts();
        let overall = median(&amounts)?;
        let tol = ((overall as f64) * SALARY_AMOUNT_RATIO).round() as i64;
        // A lower first payment is a pro-rated joining month: left out of the amount figures.
        let stats_amounts: &[i64] = if amounts.len() >= 3 && amounts[0] < overall - tol {
            &amounts[1..]
        } else {
            &amounts
        };
        let last_three = &amounts[amounts.len().saturating_sub(3)..];
        let amount = median(last_three)?;
        Some(Amounts {
            amount,
            average: mean(&iqr_trimmed(stats_amounts)).unwrap_or(amount),
            last: *amounts.last()?,
            change: amount_change(&amounts, primary_dates, currency),
        })
    }
}

/// What the rows' keyword markers say about the payer.
struct KeywordEvidence {
    /// Rows with a payroll or pension word.
    hits: u32,
    organisation: bool,
    pension: bool,
}

impl KeywordEvidence {
    fn of(prepared: &Prepared<'_>, rows: &[u32]) -> KeywordEvidence {
        let mut evidence = KeywordEvidence {
            hits: 0,
            organisation: false,
            pension: false,
        };
        for &r in rows {
            let markers = prepared.cps.info[r as usize].markers;
            if markers.contains(Markers::PAYROLL) || markers.contains(Markers::PENSION) {
                evidence.hits += 1;
            }
            evidence.organisation |= markers.contains(Markers::ORGANISATION);
            evidence.pension |= markers.contains(Markers::PENSION);
        }
        evidence
    }

    fn score(&self) -> f64 {
        if self.hits > 0 {
            KEYWORD_SCORE_PAYROLL
        } else if self.organisation {
            KEYWORD_SCORE_ORGANISATION
        } else {
            0.0
        }
    }
}

/// Calendar months with a payment (cycles for a monthly stream).
fn months_covered(stream: &Stream, primary_dates: &[NaiveDate]) -> u32 {
    if stream.frequency == Frequency::Monthly {
        stream.cycles_covered
    } else {
        let mut months: Vec<i32> = primary_dates.iter().map(|d| month_index(*d)).collect();
        months.dedup();
        months.len() as u32
    }
}

/// The stream's monthly equivalent as a share of the currency's median monthly inflow, 0..1.
fn magnitude(stats: &InflowStats, currency: Currency, amount: i64, frequency: Frequency) -> f64 {
    let monthly_inflow = stats.monthly_median.get(&currency).copied().unwrap_or(0);
    let monthly_amount = match frequency {
        Frequency::Weekly => amount.saturating_mul(52) / 12,
        Frequency::Biweekly => amount.saturating_mul(26) / 12,
        Frequency::SemiMonthly => amount.saturating_mul(2),
        _ => amount,
    };
    if monthly_inflow > 0 {
        (monthly_amount as f64 / monthly_inflow as f64).min(1.0)
    } else {
        0.0
    }
}

/// The stream's rows as a share of the currency's external inflow over the window, 0..1.
fn share_of_inflow(group: &Group<'_, '_>, rows: &[u32]) -> f64 {
    let ledger = &group.prepared.ledger;
    let stream_total: i128 = rows
        .iter()
        .map(|&r| i128::from(ledger.rows[r as usize].minor))
        .sum();
    let inflow_total = group
        .stats
        .total
        .get(&group.owner.currency)
        .copied()
        .unwrap_or(0);
    if inflow_total > 0 {
        (stream_total as f64 / inflow_total as f64).min(1.0)
    } else {
        0.0
    }
}

fn confidence(stream: &Stream, longevity: f64, keyword_score: f64, magnitude: f64) -> f64 {
    let w = &CONFIDENCE_WEIGHTS;
    w.cadence_fit * stream.cadence_fit
        + w.amount_fit * stream.amount_fit
        + w.longevity * longevity
        + w.keyword * keyword_score
        + w.magnitude * magnitude
}

fn confidence_label(confidence: f64) -> ConfidenceLabel {
    if confidence >= HIGH_CONFIDENCE {
        ConfidenceLabel::High
    } else if confidence >= MEDIUM_CONFIDENCE {
        ConfidenceLabel::Medium
    } else {
        ConfidenceLabel::Low
    }
}

fn salary_status(stream: &Stream) -> SalaryStatus {
    match (stream.misses_now, stream.status) {
        (0, StreamStatus::Mature) => SalaryStatus::Mature,
        (0, _) => SalaryStatus::EarlyDetection,
        (1, _) => SalaryStatus::Late,
        _ => SalaryStatus::Stopped,
    }
}

/// The next due date after the last paid cycle and the ones missed since (`Some(None)` once
/// stopped); `None` when the stream has no primary payment.
fn next_expected_date(
    stream: &Stream,
    status: SalaryStatus,
    country: Country,
) -> Option<Option<NaiveDate>> {
    let last_cycle = stream
        .cycles
        .iter()
        .zip(&stream.primary)
        .filter(|(_, p)| **p)
        .map(|(c, _)| *c)
        .next_back()?;
    Some((status != SalaryStatus::Stopped).then(|| {
        stream.schedule.shifted(
            last_cycle + 1 + stream.misses_now as i32,
            country,
            stream.shift,
        )
    }))
}

/// Employer and payer key of a stream: the most common label with payroll words removed, and
/// the group's key (or the account's payroll-keyword group).
fn payer_names(group: &Group<'_, '_>, rows: &[u32]) -> (String, String) {
    let prepared = group.prepared;
    let first_row = rows.first().copied().unwrap_or(0) as usize;
    let label_row = most_common_label_row(prepared, rows).unwrap_or(first_row);
    let employer = employer_name(&prepared.cps.label(&prepared.ledger, label_row));
    let payer_key = match group.key {
        Some(k) => prepared.cps.keys.name(k).to_owned(),
        None => format!("salary-keyword:{}", group.owner.account_id),
    };
    (employer, payer_key)
}

fn build_candidate(group: &Group<'_, '_>, stream: Stream) -> Option<SalaryCandidate> {
    let ledger = &group.prepared.ledger;
    let currency = group.owner.currency;
    let rows: Vec<u32> = stream
        .occurrences
        .iter()
        .flat_map(|o| o.rows.iter().copied())
        .collect();
    let primary_dates: Vec<NaiveDate> = stream
        .occurrences
        .iter()
        .zip(&stream.primary)
        .filter(|(_, p)| **p)
        .map(|(o, _)| o.date)
        .collect();
    let amounts = Amounts::of(&stream, &primary_dates, currency)?;
    let keywords = KeywordEvidence::of(group.prepared, &rows);
    let keyword_score = keywords.score();
    let months_covered = months_covered(&stream, &primary_dates);
    let longevity = (f64::from(months_covered) / FULL_LONGEVITY_MONTHS).min(1.0);
    let magnitude = magnitude(group.stats, currency, amounts.amount, stream.frequency);
    let confidence = confidence(&stream, longevity, keyword_score, magnitude);
    let status = salary_status(&stream);
    let next_expected_date = next_expected_date(&stream, status, group.params.country)?;
    // Without a payroll word or an organisation as payer, only a dominant monthly inflow
    // counts as a salary: a monthly transfer from a relative stays a regular income source.
    let salary_like = keyword_score > 0.0
        || (magnitude >= DOMINANT_INFLOW_SHARE && stream.frequency == Frequency::Monthly);
    let qualifies =
        salary_like && months_covered >= MIN_MONTHS_COVERED && confidence >= MIN_CONFIDENCE;
    let (employer, payer_key) = payer_names(group, &rows);
    let transaction_ids = rows
        .iter()
        .map(|&r| ledger.rows[r as usize].tx.transaction_id.clone())
        .collect();
    let amount = amounts.amount;
    let usd =
        approx_usd(amount, currency).unwrap_or(amount as f64 / currency.minor_per_major() as f64);
    let stream_out = SalaryStream {
        employer,
        payer_key,
        account_id: group.owner.account_id.clone(),
        income_type: if keywords.pension {
            SalaryIncomeType::Pension
        } else {
            SalaryIncomeType::Salary
        },
        amount: Money::from_minor(amount, currency),
        average_amount: Money::from_minor(amounts.average, currency),
        last_amount: Money::from_minor(amounts.last, currency),
        cadence: stream.frequency,
        anchor: stream.anchor.clone(),
        first_paid_date: stream.first_date,
        last_paid_date: stream.last_date,
        next_expected_date,
        next_expected_window_days: stream.window_days,
        grace_days: group.params.late_days as u32,
        status,
        confidence: round3(confidence),
        confidence_label: confidence_label(confidence),
        evidence: SalaryEvidence {
            occurrences: stream.occurrences.len() as u32,
            months_covered,
            cadence_fit: round3(stream.cadence_fit),
            amount_fit: round3(stream.amount_fit),
            keyword_hits: keywords.hits,
            organisation_payer: keywords.organisation,
            share_of_inflow: round3(share_of_inflow(group, &rows)),
            missed_payments: stream.missed_in_history,
        },
        amount_change: amounts.change,
        transaction_ids,
    };
    Some(SalaryCandidate {
        stream: stream_out,
        account: group.account,
        key: group.key,
        rows,
        qualifies,
        mature: stream.status == StreamStatus::Mature,
        frequency: stream.frequency,
        rank: confidence * usd,
    })
}

/// Removed from labels with the payroll words, though not one itself: banks write "SALARY
/// CREDIT". As a payroll keyword it would mark every "CREDIT CARD PAYMENT"; fingerprints drop
/// it already (a noise word), so this catches merchant names as written.
const LABEL_ONLY_WORDS: &[&str] = &["Credit"];

/// The payroll phrases as words of a label: title-cased as written (merchant names) and in
/// canonical form (fingerprint labels, e.g. "أجور" → "اجور").
fn payroll_label_phrases() -> Vec<Vec<String>> {
    let mut phrases: Vec<Vec<String>> = Vec::new();
    for word in PAYROLL_WORDS {
        for form in [title_case(word), title_case(&phrase_tokens(word).join(" "))] {
            let words: Vec<String> = form.split(' ').map(str::to_owned).collect();
            if !phrases.contains(&words) {
                phrases.push(words);
            }
        }
    }
    phrases.extend(LABEL_ONLY_WORDS.iter().map(|w| vec![(*w).to_owned()]));
    phrases
}

/// The payer's name from a stream label: payroll words removed, unless nothing else is left.
fn employer_name(label: &str) -> String {
    let phrases = payroll_label_phrases();
    let words: Vec<&str> = label.split(' ').filter(|word| !word.is_empty()).collect();
    let mut kept: Vec<&str> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let matched = phrases.iter().find(|phrase| {
            words.len() - i >= phrase.len()
                && phrase
                    .iter()
                    .zip(&words[i..])
                    .all(|(want, have)| want == have)
        });
        match matched {
            Some(phrase) => i += phrase.len(),
            None => {
                kept.push(words[i]);
                i += 1;
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::employer_name;

    #[test]
    fn employer_name_drops_payroll_words_as_labels_write_them() {
        // Fingerprint labels (title-cased canonical tokens) and merchant names as written.
        assert_eq!(employer_name("Salary Gulf Trading Wll"), "Gulf Trading Wll");
        assert_eq!(employer_name("Monthly Pay Acme Trading"), "Acme Trading");
        assert_eq!(employer_name("اجور شركه خليج"), "شركه خليج");
        assert_eq!(employer_name("أجور الشركة"), "الشركة");
        // Only the whole phrase: "Pay" alone names a payer.
        assert_eq!(employer_name("Stc Pay"), "Stc Pay");
        // Nor the first word of a phrase at the end of the label.
        assert_eq!(employer_name("Acme Monthly"), "Acme Monthly");
        // Nothing left: the label stays.
        assert_eq!(employer_name("Salary Credit"), "Salary Credit");
        assert_eq!(employer_name("راتب"), "راتب");
    }
}
