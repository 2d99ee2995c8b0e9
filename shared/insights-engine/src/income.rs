//! Income by source, per local calendar month and currency (docs/insight-algorithms.md §4): booked
//! credits that are income or cash deposits (own transfers, refunds, loan disbursements and card
//! repayments left out), each source typed and marked regular when the recurring engine finds a
//! MATURE inflow stream for it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::calendar::{check_date, check_range, day_number};
use super::error::InsightsError;
use super::flow::FlowKind;
use super::input::{Account, AccountKind, Transaction};
use super::keywords::Markers;
use super::ledger::DataQuality;
use super::periods::{PeriodHeader, months_in, period_of};
use super::prepared::Prepared;
use super::recurring::{
    ALL_FREQUENCIES, Direction, Frequency, Occurrence, Params, StreamStatus, default_amount_floor,
    detect,
};
use super::salary::{SalaryIncomeType, detect_salaries};
use super::stats::{iqr_trimmed, mean, median};
use crate::money::{Currency, Money};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomeQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncomeSourceType {
    Salary,
    Pension,
    Benefit,
    Profit,
    CashDeposit,
    P2p,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Regularity {
    Regular,
    Irregular,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomeReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    pub account_id: Option<String>,
    /// Sources with income in the range, largest total first.
    pub sources: Vec<IncomeSource>,
    /// Every calendar month overlapping `[from, to)`.
    pub periods: Vec<IncomePeriod>,
    /// Per currency over the whole range.
    pub totals: Vec<IncomeTotal>,
    pub data_quality: DataQuality,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomeSource {
    pub key: String,
    pub label: String,
    pub source_type: IncomeSourceType,
    pub regularity: Regularity,
    pub frequency: Option<Frequency>,
    pub currency: Currency,
    pub total: Money,
    pub count: u32,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub account_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomePeriod {
    #[serde(flatten)]
    pub period: PeriodHeader,
    pub currencies: Vec<IncomeMonth>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomeMonth {
    pub currency: Currency,
    pub total: Money,
    pub regular: Money,
    pub irregular: Money,
    pub count: u32,
    pub by_source: Vec<SourceAmount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceAmount {
    pub key: String,
    pub amount: Money,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomeTotal {
    pub currency: Currency,
    pub total: Money,
    pub regular: Money,
    pub irregular: Money,
    pub count: u32,
    /// Over the complete months of the range (months without income count as zero); absent
    /// when the range holds no complete month.
    pub monthly_mean: Option<Money>,
    /// Median of complete months after trimming outliers (IQR).
    pub monthly_median: Option<Money>,
}

/// (period, currency) → source key → (amount, count, regular).
type MonthlyBySource = BTreeMap<(usize, Currency), BTreeMap<String, (i128, u32, bool)>>;
/// currency → (total, regular, count, per period totals).
type CurrencySums = BTreeMap<Currency, (i128, i128, u32, Vec<(usize, i128)>)>;

/// Everything known about one source before output.
struct SourceAcc {
    label_rows: Vec<usize>,
    fixed_label: Option<String>,
    source_type: IncomeSourceType,
    regular: bool,
    frequency: Option<Frequency>,
    total: i128,
    count: u32,
    first: NaiveDate,
    last: NaiveDate,
    accounts: Vec<u32>,
}

/// Source of one income row.
struct SourceInfo {
    key: String,
    fixed_label: Option<String>,
    source_type: IncomeSourceType,
    regular: bool,
    frequency: Option<Frequency>,
}

fn row_type(markers: Markers, from_iban: bool) -> IncomeSourceType {
    if markers.contains(Markers::PENSION) {
        IncomeSourceType::Pension
    } else if markers.contains(Markers::BENEFIT) {
        IncomeSourceType::Benefit
    } else if markers.contains(Markers::PROFIT) {
        IncomeSourceType::Profit
    } else if markers.contains(Markers::P2P)
        || ((markers.contains(Markers::TRANSFER) || from_iban)
            && !markers.contains(Markers::ORGANISATION))
    {
        IncomeSourceType::P2p
    } else {
        IncomeSourceType::Other
    }
}

fn income_account(kind: AccountKind) -> bool {
    !matches!(kind, AccountKind::CreditCard | AccountKind::Loan)
}

/// Income per month and currency, by source.
pub fn income(
    accounts: &[Account],
    transactions: &[Transaction],
    query: &IncomeQuery,
    today: NaiveDate,
) -> Result<IncomeReport, InsightsError> {
    check_range(query.from, query.to)?;
    check_date(today)?;
    let prepared = Prepared::new(accounts, transactions);
    let ledger = &prepared.ledger;
    let account_filter = match &query.account_id {
        Some(id) => Some(
            ledger
                .account_position(id)
                .ok_or_else(|| InsightsError::UnknownAccount(id.clone()))?,
        ),
        None => None,
    };
    let is_income_row = |i: usize| {
        let row = &ledger.rows[i];
        row.minor > 0
            && income_account(ledger.account(row).kind)
            && matches!(
                prepared.flows.kind[i],
                FlowKind::Income | FlowKind::CashDeposit
            )
    };

    // Salaries (all qualifying streams, current or stopped).
    let salaries: Vec<_> = detect_salaries(&prepared, today)
        .into_iter()
        .filter(|c| c.qualifies)
        .collect();
    let mut salary_of_row: FxHashMap<u32, usize> = FxHashMap::default();
    let mut salary_of_payer: FxHashMap<(u32, u32), usize> = FxHashMap::default();
    let mut salary_of_keyword: FxHashMap<u32, usize> = FxHashMap::default();
    for (s, candidate) in salaries.iter().enumerate() {
        for &r in &candidate.rows {
            salary_of_row.entry(r).or_insert(s);
        }
        match candidate.key {
            Some(key) => salary_of_payer.entry((candidate.account, key)).or_insert(s),
            None => salary_of_keyword.entry(candidate.account).or_insert(s),
        };
    }

    // Regularity of the other payers: the generic engine over all income history to today.
    let mut groups: BTreeMap<(u32, u32), Vec<usize>> = BTreeMap::new();
    let history = prepared.day_range(i32::MIN, day_number(today) + 1);
    for i in history {
        let info = &prepared.cps.info[i];
        if prepared.flows.kind[i] != FlowKind::Income || !is_income_row(i) {
            continue;
        }
        if let Some(key) = info.key.filter(|_| info.quality >= 80) {
            groups
                .entry((ledger.rows[i].account, key))
                .or_default()
                .push(i);
        }
    }
    let mut regular_groups: FxHashMap<(u32, u32), Frequency> = FxHashMap::default();
    for ((account, key), rows) in groups {
        if rows.len() < 2 || salary_of_payer.contains_key(&(account, key)) {
            continue;
        }
        let owner = ledger.accounts[account as usize];
        let params = Params {
            country: owner.country,
            direction: Direction::Inflow,
            amount_ratio: 0.10,
            amount_floor: default_amount_floor(owner.currency.exponent()),
            early_days: 3,
            late_days: 3,
            frequencies: ALL_FREQUENCIES,
            quality: f64::from(prepared.cps.info[rows[0]].quality) / 100.0,
        };
        let occurrences = rows
            .iter()
            .map(|&i| Occurrence {
                date: ledger.rows[i].date,
                amount: ledger.rows[i].minor,
                rows: vec![i as u32],
            })
            .collect();
        if let Some(stream) = detect(occurrences, &params, today)
            .into_iter()
            .find(|s| s.status == StreamStatus::Mature)
        {
            regular_groups.insert((account, key), stream.frequency);
        }
    }

    let source_of = |i: usize| -> SourceInfo {
        let row = &ledger.rows[i];
        let info = &prepared.cps.info[i];
        let salary = salary_of_row
            .get(&(i as u32))
            .or_else(|| {
                info.key
                    .and_then(|k| salary_of_payer.get(&(row.account, k)))
            })
            .or_else(|| {
                info.markers
                    .contains(Markers::PAYROLL)
                    .then(|| salary_of_keyword.get(&row.account))
                    .flatten()
            });
        if let Some(&s) = salary {
            let stream = &salaries[s].stream;
            return SourceInfo {
                key: stream.payer_key.clone(),
                fixed_label: Some(stream.employer.clone()),
                source_type: match stream.income_type {
                    SalaryIncomeType::Salary => IncomeSourceType::Salary,
                    SalaryIncomeType::Pension => IncomeSourceType::Pension,
                },
                regular: salaries[s].mature,
                frequency: Some(salaries[s].frequency),
            };
        }
        if prepared.flows.kind[i] == FlowKind::CashDeposit {
            return SourceInfo {
                key: "cash_deposit".to_owned(),
                fixed_label: Some("Cash deposits".to_owned()),
                source_type: IncomeSourceType::CashDeposit,
                regular: false,
                frequency: None,
            };
        }
        let frequency = info
            .key
            .and_then(|k| regular_groups.get(&(row.account, k)).copied());
        SourceInfo {
            key: info
                .key
                .map(|k| prepared.cps.keys.name(k).to_owned())
                .unwrap_or_else(|| "unknown".to_owned()),
            fixed_label: info.key.is_none().then(|| "Unknown".to_owned()),
            source_type: row_type(info.markers, info.iban_key.is_some()),
            regular: frequency.is_some(),
            frequency,
        }
    };

    let periods = months_in(query.from, query.to);
    let mut sources: BTreeMap<(Currency, String), SourceAcc> = BTreeMap::new();
    let mut monthly: MonthlyBySource = BTreeMap::new();
    for i in prepared.day_range(day_number(query.from), day_number(query.to)) {
        let row = &ledger.rows[i];
        if !is_income_row(i) || account_filter.is_some_and(|a| a != row.account) {
            continue;
        }
        let Some(period) = period_of(&periods, row.date) else {
            continue;
        };
        let currency = row.currency;
        let source = source_of(i);
        let acc = sources
            .entry((currency, source.key.clone()))
            .or_insert_with(|| SourceAcc {
                label_rows: Vec::new(),
                fixed_label: source.fixed_label.clone(),
                source_type: source.source_type,
                regular: source.regular,
                frequency: source.frequency,
                total: 0,
                count: 0,
                first: row.date,
                last: row.date,
                accounts: Vec::new(),
            });
        acc.label_rows.push(i);
        acc.total += i128::from(row.minor);
        acc.count += 1;
        acc.first = acc.first.min(row.date);
        acc.last = acc.last.max(row.date);
        if !acc.accounts.contains(&row.account) {
            acc.accounts.push(row.account);
        }
        // A source's type is the most specific seen on any of its rows.
        acc.source_type = acc.source_type.min(source.source_type);
        let cell = monthly
            .entry((period, currency))
            .or_default()
            .entry(source.key)
            .or_insert((0, 0, source.regular));
        cell.0 += i128::from(row.minor);
        cell.1 += 1;
    }

    let regular_of: FxHashMap<(Currency, String), bool> = sources
        .iter()
        .map(|(k, s)| (k.clone(), s.regular))
        .collect();
    let mut out_sources = Vec::with_capacity(sources.len());
    for ((currency, key), acc) in sources {
        let label = match acc.fixed_label {
            Some(label) => label,
            None => most_common_label(&prepared, &acc.label_rows),
        };
        let mut account_ids: Vec<String> = acc
            .accounts
            .iter()
            .map(|a| ledger.accounts[*a as usize].account_id.clone())
            .collect();
        account_ids.sort();
        out_sources.push((
            acc.total,
            IncomeSource {
                key,
                label,
                source_type: acc.source_type,
                regularity: if acc.regular {
                    Regularity::Regular
                } else {
                    Regularity::Irregular
                },
                frequency: acc.frequency,
                currency,
                total: Money::try_from_minor(acc.total, currency)?,
                count: acc.count,
                first_date: acc.first,
                last_date: acc.last,
                account_ids,
            },
        ));
    }
    out_sources.sort_by(|(a_total, a), (b_total, b)| {
        b_total
            .cmp(a_total)
            .then_with(|| a.currency.cmp(&b.currency))
            .then_with(|| a.key.cmp(&b.key))
    });

    let mut out_periods: Vec<IncomePeriod> = periods
        .iter()
        .map(|p| IncomePeriod {
            period: p.into(),
            currencies: Vec::new(),
        })
        .collect();
    let mut per_currency: CurrencySums = BTreeMap::new();
    for ((period, currency), by_source) in monthly {
        let (mut total, mut regular, mut count) = (0i128, 0i128, 0u32);
        let mut rows = Vec::with_capacity(by_source.len());
        for (key, (amount, n, _)) in &by_source {
            total += amount;
            count += n;
            if regular_of
                .get(&(currency, key.clone()))
                .copied()
                .unwrap_or(false)
            {
                regular += amount;
            }
            rows.push((*amount, key.clone(), *n));
        }
        rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut by_source_out = Vec::with_capacity(rows.len());
        for (amount, key, n) in rows {
            by_source_out.push(SourceAmount {
                key,
                amount: Money::try_from_minor(amount, currency)?,
                count: n,
            });
        }
        out_periods[period].currencies.push(IncomeMonth {
            currency,
            total: Money::try_from_minor(total, currency)?,
            regular: Money::try_from_minor(regular, currency)?,
            irregular: Money::try_from_minor(total - regular, currency)?,
            count,
            by_source: by_source_out,
        });
        let entry = per_currency
            .entry(currency)
            .or_insert((0, 0, 0, Vec::new()));
        entry.0 += total;
        entry.1 += regular;
        entry.2 += count;
        entry.3.push((period, total));
    }

    let complete: Vec<usize> = (0..periods.len())
        .filter(|&p| !periods[p].partial)
        .collect();
    let mut totals = Vec::with_capacity(per_currency.len());
    for (currency, (total, regular, count, months)) in per_currency {
        let monthly_values: Vec<i64> = complete
            .iter()
            .map(|p| {
                let value = months.iter().find(|(q, _)| q == p).map_or(0, |(_, v)| *v);
                i64::try_from(value).unwrap_or(i64::MAX)
            })
            .collect();
        totals.push(IncomeTotal {
            currency,
            total: Money::try_from_minor(total, currency)?,
            regular: Money::try_from_minor(regular, currency)?,
            irregular: Money::try_from_minor(total - regular, currency)?,
            count,
            monthly_mean: mean(&monthly_values).map(|m| Money::from_minor(m, currency)),
            monthly_median: median(&iqr_trimmed(&monthly_values))
                .map(|m| Money::from_minor(m, currency)),
        });
    }

    Ok(IncomeReport {
        from: query.from,
        to: query.to,
        as_of: today,
        account_id: query.account_id.clone(),
        sources: out_sources.into_iter().map(|(_, s)| s).collect(),
        periods: out_periods,
        totals,
        data_quality: ledger.quality,
    })
}

fn most_common_label(prepared: &Prepared<'_>, rows: &[usize]) -> String {
    let mut votes: BTreeMap<String, u32> = BTreeMap::new();
    for &r in rows {
        *votes
            .entry(prepared.cps.label(&prepared.ledger, r))
            .or_default() += 1;
    }
    // Most votes; ties keep the alphabetically first label.
    votes
        .into_iter()
        .fold((String::new(), 0u32), |best, (label, n)| {
            if n > best.1 { (label, n) } else { best }
        })
        .0
}
