//! Spending by category or merchant, per local calendar month and currency
//! (docs/insight-algorithms.md §3). Refunds are netted into the group of what they refund (signed,
//! never `abs`); transfers between the user's accounts, card repayments and loan disbursements are
//! left out and reported in `excluded`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::calendar::{check_range, day_number};
use super::categorize::category_of;
use super::counterparty::KeySource;
use super::error::InsightsError;
use super::flow::FlowKind;
use super::input::{Account, Transaction};
use super::ledger::DataQuality;
use super::periods::{PeriodHeader, months_in, period_of};
use super::prepared::Prepared;
use super::stats::share_bp;
use super::taxonomy::Category;
use super::text::title_case;
use crate::money::{Currency, Money, MoneyError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupBy {
    Category,
    Merchant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpendingQuery {
    /// First local date included.
    pub from: NaiveDate,
    /// First local date excluded.
    pub to: NaiveDate,
    pub group_by: GroupBy,
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpendingReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: GroupBy,
    pub account_id: Option<String>,
    /// Every calendar month overlapping `[from, to)`, in order.
    pub periods: Vec<SpendingPeriod>,
    pub data_quality: DataQuality,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpendingPeriod {
    #[serde(flatten)]
    pub period: PeriodHeader,
    /// One entry per currency with any spending or excluded flow, by currency code.
    pub currencies: Vec<CurrencySpending>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrencySpending {
    pub currency: Currency,
    /// Σ group nets = gross − refunds. May be negative.
    pub total: Money,
    /// Σ |debits| counted as spending.
    pub gross: Money,
    /// Σ refund credits.
    pub refunds: Money,
    pub count: u32,
    /// Sorted by net, largest first, then key.
    pub groups: Vec<SpendingGroup>,
    pub excluded: ExcludedFlows,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpendingGroup {
    /// Category id, or the counterparty key for merchants ("unknown" without one).
    pub key: String,
    pub label: String,
    /// gross − refunds, signed (a refund larger than the month's purchases shows negative).
    pub net: Money,
    pub gross: Money,
    pub refunds: Money,
    pub count: u32,
    /// Share of a positive total, in basis points; absent for negative nets.
    pub share_bp: Option<u32>,
}

/// Flows that are not spending, totalled so the user can see what was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExcludedFlows {
    pub internal_transfers: FlowTotal,
    pub card_payments: FlowTotal,
    pub loan_disbursements: FlowTotal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowTotal {
    pub count: u32,
    /// Money out, as a positive amount.
    pub outflow: Money,
    pub inflow: Money,
}

#[derive(Default, Clone, Copy)]
struct Sums {
    gross: i128,
    refunds: i128,
    count: u32,
}

#[derive(Default, Clone, Copy)]
struct FlowSums {
    count: u32,
    outflow: i128,
    inflow: i128,
}

impl FlowSums {
    fn add(&mut self, minor: i64) {
        self.count += 1;
        if minor < 0 {
            self.outflow -= i128::from(minor);
        } else {
            self.inflow += i128::from(minor);
        }
    }

    fn to_total(self, currency: Currency) -> Result<FlowTotal, MoneyError> {
        Ok(FlowTotal {
            count: self.count,
            outflow: Money::try_from_minor(self.outflow, currency)?,
            inflow: Money::try_from_minor(self.inflow, currency)?,
        })
    }
}

#[derive(Default)]
struct CurrencyAcc {
    groups: FxHashMap<GroupKey, Sums>,
    excluded: [FlowSums; 3],
}

/// A group: a category, a counterparty key, or no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum GroupKey {
    Category(Category),
    Key(u32),
    Unknown,
}

/// Spending per month and currency, grouped by category or merchant.
pub fn spending(
    accounts: &[Account],
    transactions: &[Transaction],
    query: &SpendingQuery,
) -> Result<SpendingReport, InsightsError> {
    check_range(query.from, query.to)?;
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
    let periods = months_in(query.from, query.to);
    let mut acc: Vec<BTreeMap<Currency, CurrencyAcc>> =
        (0..periods.len()).map(|_| BTreeMap::new()).collect();
    // Merchant labels: the most frequent display label per key.
    let mut label_votes: FxHashMap<(u32, LabelSource), u32> = FxHashMap::default();

    let range = prepared.day_range(day_number(query.from), day_number(query.to));
    for i in range {
        let row = &ledger.rows[i];
        if row.minor == 0 || account_filter.is_some_and(|a| a != row.account) {
            continue;
        }
        let Some(period) = period_of(&periods, row.date) else {
            continue;
        };
        let currency = row.currency;
        let kind = prepared.flows.kind[i];
        let excluded_slot = match kind {
            FlowKind::InternalTransfer => Some(0),
            FlowKind::CardPayment => Some(1),
            FlowKind::LoanDisbursement => Some(2),
            _ => None,
        };
        if let Some(slot) = excluded_slot {
            acc[period].entry(currency).or_default().excluded[slot].add(row.minor);
            continue;
        }
        if !kind.is_spending() {
            continue;
        }
        let key = match query.group_by {
            GroupBy::Category => {
                GroupKey::Category(category_of(ledger, &prepared.cps, &prepared.flows, i))
            }
            GroupBy::Merchant => {
                // A linked refund nets against the merchant it refunds.
                let source = prepared.flows.refund_of[i].map_or(i, |p| p as usize);
                match prepared.cps.info[source].key {
                    Some(key) => {
                        *label_votes
                            .entry((key, label_source(&prepared, source)))
                            .or_default() += 1;
                        GroupKey::Key(key)
                    }
                    None => GroupKey::Unknown,
                }
            }
        };
        let sums = acc[period]
            .entry(currency)
            .or_default()
            .groups
            .entry(key)
            .or_default();
        sums.count += 1;
        if row.minor < 0 {
            sums.gross -= i128::from(row.minor);
        } else {
            sums.refunds += i128::from(row.minor);
        }
    }

    let labels = merchant_labels(&prepared, label_votes);
    let mut out_periods = Vec::with_capacity(periods.len());
    for (period, currencies) in periods.iter().zip(acc) {
        let mut out_currencies = Vec::with_capacity(currencies.len());
        for (currency, acc) in currencies {
            out_currencies.push(currency_report(&prepared, &labels, currency, acc)?);
        }
        out_periods.push(SpendingPeriod {
            period: period.into(),
            currencies: out_currencies,
        });
    }
    Ok(SpendingReport {
        from: query.from,
        to: query.to,
        group_by: query.group_by,
        account_id: query.account_id.clone(),
        periods: out_periods,
        data_quality: ledger.quality,
    })
}

/// What decides a row's display label, without reading its strings again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum LabelSource {
    Merchant(u32),
    Fingerprint(u32),
    MaskedIban,
}

fn label_source(prepared: &Prepared<'_>, i: usize) -> LabelSource {
    let info = &prepared.cps.info[i];
    match info.key_source {
        KeySource::Merchant => LabelSource::Merchant(info.merchant_label.unwrap_or(0)),
        KeySource::Description => LabelSource::Fingerprint(info.key.unwrap_or(0)),
        KeySource::Iban => match info.desc_key {
            Some(desc) if info.desc_quality >= 80 => LabelSource::Fingerprint(desc),
            _ => LabelSource::MaskedIban,
        },
    }
}

fn merchant_labels(
    prepared: &Prepared<'_>,
    votes: FxHashMap<(u32, LabelSource), u32>,
) -> FxHashMap<u32, String> {
    let mut best: FxHashMap<u32, (u32, String)> = FxHashMap::default();
    for ((key, source), count) in votes {
        let label = match source {
            LabelSource::Merchant(id) => prepared.cps.labels.name(id).to_owned(),
            LabelSource::Fingerprint(id) => {
                title_case(prepared.cps.keys.name(id).get(2..).unwrap_or(""))
            }
            LabelSource::MaskedIban => {
                let iban = prepared.cps.keys.name(key).get(2..).unwrap_or("");
                let tail = iban.get(iban.len().saturating_sub(4)..).unwrap_or("");
                format!("IBAN ••••{tail}")
            }
        };
        let entry = best.entry(key).or_insert((0, String::new()));
        // Most votes wins; ties keep the alphabetically first label.
        if count > entry.0 || (count == entry.0 && label < entry.1) {
            *entry = (count, label);
        }
    }
    best.into_iter().map(|(k, (_, label))| (k, label)).collect()
}

fn currency_report(
    prepared: &Prepared<'_>,
    labels: &FxHashMap<u32, String>,
    currency: Currency,
    acc: CurrencyAcc,
) -> Result<CurrencySpending, InsightsError> {
    let mut gross = 0i128;
    let mut refunds = 0i128;
    let mut count = 0u32;
    for sums in acc.groups.values() {
        gross += sums.gross;
        refunds += sums.refunds;
        count += sums.count;
    }
    let total = gross - refunds;
    let mut groups = Vec::with_capacity(acc.groups.len());
    for (key, sums) in acc.groups {
        let (key_text, label) = match key {
            GroupKey::Category(category) => (category.id().to_owned(), category.label().to_owned()),
            GroupKey::Key(id) => (
                prepared.cps.keys.name(id).to_owned(),
                labels.get(&id).cloned().unwrap_or_default(),
            ),
            GroupKey::Unknown => ("unknown".to_owned(), "Unknown".to_owned()),
        };
        let net = sums.gross - sums.refunds;
        groups.push((
            net,
            SpendingGroup {
                key: key_text,
                label,
                net: Money::try_from_minor(net, currency)?,
                gross: Money::try_from_minor(sums.gross, currency)?,
                refunds: Money::try_from_minor(sums.refunds, currency)?,
                count: sums.count,
                share_bp: share_bp(net, total),
            },
        ));
    }
    groups.sort_by(|(net_a, a), (net_b, b)| net_b.cmp(net_a).then_with(|| a.key.cmp(&b.key)));
    let [transfers, cards, loans] = acc.excluded;
    Ok(CurrencySpending {
        currency,
        total: Money::try_from_minor(total, currency)?,
        gross: Money::try_from_minor(gross, currency)?,
        refunds: Money::try_from_minor(refunds, currency)?,
        count,
        groups: groups.into_iter().map(|(_, g)| g).collect(),
        excluded: ExcludedFlows {
            internal_transfers: transfers.to_total(currency)?,
            card_payments: cards.to_total(currency)?,
            loan_disbursements: loans.to_total(currency)?,
        },
    })
}
