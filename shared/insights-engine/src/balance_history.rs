//! Daily end-of-day balances per account, reconstructed backwards from a booked balance at its own
//! timestamp (docs/insight-algorithms.md §8), with older readings as extra anchors whose gaps are
//! shown as explicit adjustments, and a daily total in one reporting currency via the GCC pegs.
//!
//! Identity that holds for every returned day of an account:
//! `balance(d) = balance(d − 1) + flows(d) + adjustment(d)`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::calendar::{check_range, day_number, from_day_number, in_supported_years, local_date};
use super::error::InsightsError;
use super::fx::{approx_usd, can_convert, convert_decimal, to_money};
use super::input::{Account, AccountKind, BalanceReading, BalanceType, Transaction};
use super::ledger::{DataQuality, Ledger};
use crate::money::{Currency, Money, MoneyError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceHistoryQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub account_id: Option<String>,
    /// Currency of the daily total; default: the currency of the largest account, else BHD.
    #[serde(default)]
    pub reporting_currency: Option<Currency>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceHistoryReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub account_id: Option<String>,
    pub reporting_currency: Currency,
    pub accounts: Vec<AccountHistory>,
    /// One entry per day in `[from, to)`; empty when no account has a balance.
    pub totals: Vec<TotalPoint>,
    /// Accounts whose currency has no peg to the reporting currency: not in the totals.
    pub unconverted: Vec<UnconvertedAccount>,
    /// Accounts without any usable balance reading: no series, not in the totals.
    pub missing_balance: Vec<String>,
    /// Readings whose currency differs from their account's, or that name no known account.
    pub readings_ignored: u32,
    pub data_quality: DataQuality,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountHistory {
    pub account_id: String,
    pub currency: Currency,
    pub kind: AccountKind,
    /// The booked balance the series is built from (the latest reading).
    pub anchor: Option<AnchorInfo>,
    /// Built from an available balance minus pending rows: an estimate.
    pub estimated: bool,
    /// Date-only rows fall on an anchor's day: assumed already in that balance.
    pub anchor_time_uncertain: bool,
    /// First day known from transactions or a reading; earlier days are flagged.
    pub coverage_start: Option<NaiveDate>,
    /// Every day of `[from, to)` exactly once (empty without an anchor).
    pub points: Vec<BalancePoint>,
    /// Differences between an older reading and the balance derived from the later one.
    pub adjustments: Vec<Adjustment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnchorInfo {
    pub balance_type: BalanceType,
    pub at: DateTime<Utc>,
    pub date: NaiveDate,
    pub amount: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PointSource {
    /// The day of the latest booked reading.
    Anchor,
    /// The day of an older reading.
    Snapshot,
    Derived,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancePoint {
    pub date: NaiveDate,
    /// End-of-day booked balance, holder's view (a card owing money is negative).
    pub balance: Money,
    /// Σ signed booked transactions of the day.
    pub flows: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<Money>,
    pub source: PointSource,
    pub before_coverage: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Adjustment {
    pub date: NaiveDate,
    /// Unexplained change: the later balance's chain minus the reading (e.g. −10.000 for a
    /// missing 10.000 debit after the reading).
    pub amount: Money,
    pub reading_at: DateTime<Utc>,
    pub reading_balance: Money,
    pub derived_balance: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TotalPoint {
    pub date: NaiveDate,
    /// All converted accounts (cards and loans count negative).
    pub total: Money,
    /// Current and savings accounts only.
    pub cash: Money,
    pub accounts_included: u32,
    /// Some included account is estimated or before its coverage on this day.
    pub estimated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnconvertedAccount {
    pub account_id: String,
    pub currency: Currency,
}

/// A reading usable as an anchor, in minor units of the account currency.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    kind: BalanceType,
    at: DateTime<Utc>,
    day: i32,
    value: i64,
}

fn booked_priority(kind: BalanceType) -> Option<u8> {
    match kind {
        BalanceType::InterimBooked => Some(0),
        BalanceType::ClosingBooked => Some(1),
        _ => None,
    }
}

fn available_priority(kind: BalanceType) -> Option<u8> {
    match kind {
        BalanceType::InterimAvailable => Some(0),
        BalanceType::ClosingAvailable => Some(1),
        BalanceType::Expected => Some(2),
        _ => None,
    }
}

/// Per-account day flows with prefix sums: `cumulative(d)` = Σ rows dated ≤ d.
struct DayFlows {
    days: Vec<i32>,
    sums: Vec<i128>,
    prefix: Vec<i128>,
}

impl DayFlows {
    fn cumulative(&self, day: i32) -> i128 {
        let n = self.days.partition_point(|d| *d <= day);
        if n == 0 { 0 } else { self.prefix[n - 1] }
    }

    fn on(&self, day: i32) -> i128 {
        match self.days.binary_search(&day) {
            Ok(i) => self.sums[i],
            Err(_) => 0,
        }
    }
}

struct Series {
    history: AccountHistory,
    /// Per returned day: balance in minor units, and whether it is an estimate.
    values: Vec<(i128, bool)>,
}

/// Daily balance history per account and in total.
pub fn balance_history(
    accounts: &[Account],
    transactions: &[Transaction],
    balances: &[BalanceReading],
    query: &BalanceHistoryQuery,
) -> Result<BalanceHistoryReport, InsightsError> {
    check_range(query.from, query.to)?;
    let ledger = Ledger::new(accounts, transactions);
    let selected: Vec<u32> = match &query.account_id {
        Some(id) => vec![
            ledger
                .account_position(id)
                .ok_or_else(|| InsightsError::UnknownAccount(id.clone()))?,
        ],
        None => (0..ledger.accounts.len() as u32).collect(),
    };
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); ledger.accounts.len()];
    for (i, row) in ledger.rows.iter().enumerate() {
        rows_of[row.account as usize].push(i);
    }
    let mut pending_of: Vec<Vec<usize>> = vec![Vec::new(); ledger.accounts.len()];
    for (i, row) in ledger.pending.iter().enumerate() {
        pending_of[row.account as usize].push(i);
    }
    let mut readings_of: Vec<Vec<&BalanceReading>> = vec![Vec::new(); ledger.accounts.len()];
    let mut readings_ignored = 0u32;
    for reading in balances {
        match ledger.account_position(&reading.account_id) {
            Some(a) if reading.amount.currency() == ledger.accounts[a as usize].currency => {
                readings_of[a as usize].push(reading)
            }
            _ => readings_ignored += 1,
        }
    }

    let from_day = day_number(query.from);
    let to_day = day_number(query.to);
    let mut series = Vec::new();
    let mut missing_balance = Vec::new();
    for &a in &selected {
        let account = ledger.accounts[a as usize];
        match account_series(
            &ledger,
            a,
            &rows_of[a as usize],
            &pending_of[a as usize],
            &readings_of[a as usize],
            from_day,
            to_day,
        )? {
            Some(s) => series.push(s),
            None => {
                missing_balance.push(account.account_id.clone());
                series.push(Series {
                    history: AccountHistory {
                        account_id: account.account_id.clone(),
                        currency: account.currency,
                        kind: account.kind,
                        anchor: None,
                        estimated: false,
                        anchor_time_uncertain: false,
                        coverage_start: None,
                        points: Vec::new(),
                        adjustments: Vec::new(),
                    },
                    values: Vec::new(),
                });
            }
        }
    }

    let reporting = query
        .reporting_currency
        .unwrap_or_else(|| default_reporting(&series));
    let mut unconverted = Vec::new();
    let mut included: Vec<&Series> = Vec::new();
    for s in &series {
        if s.values.is_empty() {
            continue;
        }
        if can_convert(s.history.currency, reporting) {
            included.push(s);
        } else {
            unconverted.push(UnconvertedAccount {
                account_id: s.history.account_id.clone(),
                currency: s.history.currency,
            });
        }
    }
    let totals = if included.is_empty() {
        Vec::new()
    } else {
        totals(&included, reporting, query.from, to_day - from_day)?
    };
    Ok(BalanceHistoryReport {
        from: query.from,
        to: query.to,
        account_id: query.account_id.clone(),
        reporting_currency: reporting,
        accounts: series.into_iter().map(|s| s.history).collect(),
        totals,
        unconverted,
        missing_balance,
        readings_ignored,
        data_quality: ledger.quality,
    })
}

/// The currency of the account with the largest balance (by USD value), else BHD.
fn default_reporting(series: &[Series]) -> Currency {
    let mut best: Option<(f64, Currency)> = None;
    for s in series {
        let Some(anchor) = &s.history.anchor else {
            continue;
        };
        let Some(usd) = approx_usd(anchor.amount.minor(), anchor.amount.currency()) else {
            continue;
        };
        let size = usd.abs();
        if best.is_none_or(|(b, _)| size > b) {
            best = Some((size, s.history.currency));
        }
    }
    best.map(|(_, c)| c).unwrap_or_else(bhd)
}

fn bhd() -> Currency {
    // A constant of the money table, not input.
    Currency::from_code("BHD").expect("BHD is in the ISO 4217 table")
}

fn account_series(
    ledger: &Ledger<'_>,
    account: u32,
    rows: &[usize],
    pending: &[usize],
    readings: &[&BalanceReading],
    from_day: i32,
    to_day: i32,
) -> Result<Option<Series>, InsightsError> {
    let owner = ledger.accounts[account as usize];
    let currency = owner.currency;
    // Day flows.
    let mut days: Vec<i32> = Vec::new();
    let mut sums: Vec<i128> = Vec::new();
    for &i in rows {
        let row = &ledger.rows[i];
        if days.last() == Some(&row.day) {
            if let Some(last) = sums.last_mut() {
                *last += i128::from(row.minor);
            }
        } else {
            days.push(row.day);
            sums.push(i128::from(row.minor));
        }
    }
    let mut running = 0i128;
    let prefix: Vec<i128> = sums
        .iter()
        .map(|s| {
            running += s;
            running
        })
        .collect();
    let flows = DayFlows { days, sums, prefix };

    // Anchors: booked readings; else available ones less pending rows (estimated).
    let usable = |r: &&&BalanceReading| in_supported_years(local_date(r.at, owner.country));
    let mut anchors: Vec<(u8, Anchor)> = readings
        .iter()
        .filter(usable)
        .filter_map(|r| {
            Some((
                booked_priority(r.kind)?,
                Anchor {
                    kind: r.kind,
                    at: r.at,
                    day: day_number(local_date(r.at, owner.country)),
                    value: r.amount.minor(),
                },
            ))
        })
        .collect();
    let mut estimated = false;
    if anchors.is_empty() {
        estimated = true;
        anchors = readings
            .iter()
            .filter(usable)
            .filter_map(|r| {
                let priority = available_priority(r.kind)?;
                let pending_sum: i128 = pending
                    .iter()
                    .map(|&p| &ledger.pending[p])
                    .filter(|p| p.tx.booked_at <= r.at)
                    .map(|p| i128::from(p.minor))
                    .sum();
                let value = i64::try_from(i128::from(r.amount.minor()) - pending_sum).ok()?;
                Some((
                    priority,
                    Anchor {
                        kind: r.kind,
                        at: r.at,
                        day: day_number(local_date(r.at, owner.country)),
                        value,
                    },
                ))
            })
            .collect();
    }
    if anchors.is_empty() {
        return Ok(None);
    }
    // One reading per instant: the preferred type, then the smaller amount.
    anchors.sort_by_key(|(p, a)| (a.at, *p, a.value));
    anchors.dedup_by(|later, earlier| later.1.at == earlier.1.at);
    let anchors: Vec<Anchor> = anchors.into_iter().map(|(_, a)| a).collect();

    // Rows on an anchor's day booked after the reading are not in it; date-only rows are
    // assumed to be.
    let mut uncertain = false;
    let after: Vec<i128> = anchors
        .iter()
        .map(|anchor| {
            let lo = rows.partition_point(|&i| ledger.rows[i].day < anchor.day);
            let hi = rows.partition_point(|&i| ledger.rows[i].day <= anchor.day);
            rows[lo..hi]
                .iter()
                .map(|&i| &ledger.rows[i])
                .filter(|row| {
                    if row.date_only {
                        uncertain = true;
                        false
                    } else {
                        row.tx.booked_at > anchor.at
                    }
                })
                .map(|row| i128::from(row.minor))
                .sum()
        })
        .collect();
    // EOD(d) under anchor i = base_i + cumulative(d).
    let bases: Vec<i128> = anchors
        .iter()
        .zip(&after)
        .map(|(anchor, after)| i128::from(anchor.value) - (flows.cumulative(anchor.day) - after))
        .collect();
    let n = anchors.len();
    let mut adjustments_by_day: BTreeMap<i32, i128> = BTreeMap::new();
    let mut adjustments = Vec::new();
    for j in 0..n.saturating_sub(1) {
        let delta = bases[j + 1] - bases[j];
        if delta == 0 {
            continue;
        }
        *adjustments_by_day.entry(anchors[j].day).or_default() += delta;
        let at_reading = flows.cumulative(anchors[j].day) - after[j];
        adjustments.push(Adjustment {
            date: from_day_number(anchors[j].day),
            amount: Money::try_from_minor(delta, currency)?,
            reading_at: anchors[j].at,
            reading_balance: Money::from_minor(anchors[j].value, currency),
            derived_balance: Money::try_from_minor(bases[j + 1] + at_reading, currency)?,
        });
    }
    let anchor_days: Vec<i32> = anchors.iter().map(|a| a.day).collect();
    let primary = anchors[n - 1];
    let first_row_day = flows.days.first().copied();
    let coverage_start = match first_row_day {
        Some(d) => d.min(anchor_days[0]),
        None => anchor_days[0],
    };

    let mut points = Vec::with_capacity((to_day - from_day).max(0) as usize);
    let mut values = Vec::with_capacity(points.capacity());
    let mut cumulative = flows.cumulative(from_day - 1);
    for day in from_day..to_day {
        let day_flows = flows.on(day);
        cumulative += day_flows;
        let governing = anchor_days.partition_point(|d| *d <= day).min(n - 1);
        let balance = bases[governing] + cumulative;
        let before_coverage = day < coverage_start;
        let source = if day == primary.day {
            PointSource::Anchor
        } else if anchor_days.contains(&day) {
            PointSource::Snapshot
        } else {
            PointSource::Derived
        };
        let adjustment = adjustments_by_day
            .get(&day)
            .map(|a| Money::try_from_minor(*a, currency))
            .transpose()?;
        points.push(BalancePoint {
            date: from_day_number(day),
            balance: Money::try_from_minor(balance, currency)?,
            flows: Money::try_from_minor(day_flows, currency)?,
            adjustment,
            source,
            before_coverage,
        });
        values.push((balance, estimated || before_coverage));
    }
    Ok(Some(Series {
        history: AccountHistory {
            account_id: owner.account_id.clone(),
            currency,
            kind: owner.kind,
            anchor: Some(AnchorInfo {
                balance_type: primary.kind,
                at: primary.at,
                date: from_day_number(primary.day),
                amount: Money::from_minor(primary.value, currency),
            }),
            estimated,
            anchor_time_uncertain: uncertain,
            coverage_start: Some(from_day_number(coverage_start)),
            points,
            adjustments,
        },
        values,
    }))
}

fn totals(
    included: &[&Series],
    reporting: Currency,
    from: NaiveDate,
    days: i32,
) -> Result<Vec<TotalPoint>, InsightsError> {
    let mut out = Vec::with_capacity(days.max(0) as usize);
    for d in 0..days.max(0) as usize {
        // Sum per currency first, convert once per currency.
        let mut total_by_ccy: BTreeMap<Currency, i128> = BTreeMap::new();
        let mut cash_by_ccy: BTreeMap<Currency, i128> = BTreeMap::new();
        let mut estimated = false;
        for s in included {
            let (value, est) = s.values[d];
            estimated |= est;
            *total_by_ccy.entry(s.history.currency).or_default() += value;
            if matches!(s.history.kind, AccountKind::Current | AccountKind::Savings) {
                *cash_by_ccy.entry(s.history.currency).or_default() += value;
            }
        }
        let convert = |sums: &BTreeMap<Currency, i128>| -> Result<Money, MoneyError> {
            let mut exact = Decimal::ZERO;
            for (currency, minor) in sums {
                let value =
                    convert_decimal(*minor, *currency, reporting).ok_or(MoneyError::Overflow)?;
                exact = exact.checked_add(value).ok_or(MoneyError::Overflow)?;
            }
            to_money(exact, reporting)
        };
        out.push(TotalPoint {
            date: from + Duration::days(d as i64),
            total: convert(&total_by_ccy)?,
            cash: convert(&cash_by_ccy)?,
            accounts_included: included.len() as u32,
            estimated,
        });
    }
    Ok(out)
}
