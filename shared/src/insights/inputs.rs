//! Stored items → the engine's inputs.

use std::time::Duration;

use chrono::NaiveDate;

use super::{TarabutSalary, TarabutSalaryPayment};
use crate::AppState;
use crate::banking::{AccountRecord, StoredTransaction};
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::money::{Currency, Money};
use crate::time::{Deadline, Timestamp};
use insights_engine::{
    Account, AccountKind, BalanceReading, BalanceType, BookingStatus, Country, SalaryReport,
    Transaction,
};

pub(super) struct Loaded {
    pub accounts: Vec<Account>,
    pub transactions: Vec<Transaction>,
}

/// The caller's accounts on connections not deleted and their transactions booked on
/// `[from, to]`. Rows a sync wrote after a delete are never shown (§3.7).
pub(super) async fn load(
    state: &AppState,
    user: &UserId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Loaded, UseCaseError> {
    let records = crate::erasure::visible_accounts(state, user).await?;
    let visible: std::collections::HashSet<&str> =
        records.iter().map(|r| r.account_id.as_str()).collect();
    let stored = state.transactions.range(user, from, to).await?;
    Ok(Loaded {
        accounts: records.iter().map(account).collect(),
        transactions: stored
            .into_iter()
            .filter(|t| visible.contains(t.account_id.as_str()))
            .map(transaction)
            .collect(),
    })
}

pub(crate) fn account(r: &AccountRecord) -> Account {
    let kind = match r
        .product_type
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("currentaccount" | "current" | "account") => AccountKind::Current,
        Some("savings" | "savingsaccount") => AccountKind::Savings,
        Some("creditcard" | "card") => AccountKind::CreditCard,
        Some("loan" | "mortgage" | "finance") => AccountKind::Loan,
        _ => AccountKind::Other,
    };
    Account {
        account_id: r.account_id.clone(),
        currency: r.currency,
        kind,
        country: country(r.iban.as_deref(), r.currency),
        iban: r.iban.clone(),
        name: r.description.clone(),
    }
}

/// The bank's country from the IBAN prefix, else from the currency.
fn country(iban: Option<&str>, currency: Currency) -> Country {
    match iban
        .map(|i| i.get(..2).unwrap_or("").to_ascii_uppercase())
        .as_deref()
    {
        Some("BH") => return Country::BH,
        Some("SA") => return Country::SA,
        Some("AE") => return Country::AE,
        _ => {}
    }
    match currency.code() {
        "BHD" => Country::BH,
        "SAR" => Country::SA,
        "AED" => Country::AE,
        _ => Country::Other,
    }
}

pub(crate) fn transaction(t: StoredTransaction) -> Transaction {
    Transaction {
        status: if t.status.eq_ignore_ascii_case("pending") {
            BookingStatus::Pending
        } else {
            BookingStatus::Booked
        },
        account_id: t.account_id,
        transaction_id: t.transaction_id,
        booked_at: t.booked_at,
        amount: t.amount,
        description: t.description,
        transaction_type: t.transaction_type,
        sub_transaction_type: t.sub_transaction_type,
        category_group: t.category_group,
        category_name: t.category_name,
        merchant_name: t.merchant_name,
        merchant_category_code: t.merchant_category_code,
        counterparty_iban: None,
    }
}

fn balance_type(s: &str) -> BalanceType {
    match s.to_ascii_lowercase().as_str() {
        "interimbooked" => BalanceType::InterimBooked,
        "closingbooked" => BalanceType::ClosingBooked,
        "expected" => BalanceType::Expected,
        "interimavailable" => BalanceType::InterimAvailable,
        "closingavailable" => BalanceType::ClosingAvailable,
        _ => BalanceType::Other,
    }
}

/// Balance history's inputs for `[from, to)`, read around the window and not over the user's
/// whole history: the accounts; per account the snapshots [`BalanceRepo::around`] the window
/// (the last before it, those inside, the first after it within `horizon`) and its latest
/// balance where that is one of them (it outlives the snapshots, which expire); and the
/// transactions from the day before `from` to `context_after` days past the latest reading
/// used after the window, which the engine walks back from.
///
/// [`BalanceRepo::around`]: crate::banking::BalanceRepo::around
pub(super) async fn balance_history(
    state: &AppState,
    user: &UserId,
    (from, to): (NaiveDate, NaiveDate),
    horizon: chrono::Duration,
    context_after: chrono::Duration,
) -> Result<(Loaded, Vec<BalanceReading>), UseCaseError> {
    let records = crate::erasure::visible_accounts(state, user).await?;
    // UTC midnights: the accounts' days (UTC+3, UTC+4) start before them, so `start` takes a
    // day more and `end` is past the window's last local day.
    let midnight = |d: NaiveDate| Timestamp::from(d.and_time(chrono::NaiveTime::MIN).and_utc());
    let (start, end) = (midnight(from - chrono::Duration::days(1)), midnight(to));
    let horizon_std = horizon.to_std().unwrap_or_default();
    let mut readings = Vec::new();
    let mut last_day = to;
    for r in &records {
        let snapshots = state
            .balances
            .around(user, &r.account_id, start, end, horizon_std)
            .await?;
        let after_found = snapshots.iter().any(|s| s.at >= end);
        let mut mine: Vec<BalanceReading> = snapshots
            .into_iter()
            .map(|s| BalanceReading {
                kind: balance_type(&s.balance_type),
                at: s.at.to_datetime(),
                amount: s.amount,
                account_id: s.account_id,
            })
            .collect();
        if let (Some(amount), Some(at)) = (r.balance, r.balance_at) {
            let wanted = at < end || (!after_found && at <= end + horizon_std);
            let duplicate = mine.iter().any(|x| x.at == at.to_datetime());
            if wanted && !duplicate {
                mine.push(BalanceReading {
                    account_id: r.account_id.clone(),
                    kind: balance_type(r.balance_type.as_deref().unwrap_or("")),
                    amount,
                    at: at.to_datetime(),
                });
            }
        }
        for x in mine.iter().filter(|x| x.at >= end.to_datetime()) {
            last_day = last_day.max(x.at.date_naive());
        }
        readings.extend(mine);
    }
    let stored = state
        .transactions
        .range(
            user,
            from - chrono::Duration::days(1),
            last_day + context_after,
        )
        .await?;
    let visible: std::collections::HashSet<&str> =
        records.iter().map(|r| r.account_id.as_str()).collect();
    let loaded = Loaded {
        accounts: records.iter().map(account).collect(),
        transactions: stored
            .into_iter()
            .filter(|t| visible.contains(t.account_id.as_str()))
            .map(transaction)
            .collect(),
    };
    Ok((loaded, readings))
}

/// Tarabut's `/insights/v1/salary` through the token manager, given at most 3 seconds.
pub(super) async fn tarabut_salary(
    state: &AppState,
    user: &UserId,
    ours: &SalaryReport,
    deadline: Deadline,
) -> TarabutSalary {
    let budget = deadline.min(Deadline::after(Duration::from_secs(3)));
    let answer = state
        .tokens
        .call(user, budget, |token| async move {
            state.tarabut().salary(&token, 3, budget).await
        })
        .await;
    let Ok(salaries) = answer else {
        return TarabutSalary {
            available: false,
            payments: Vec::new(),
            agrees: None,
        };
    };
    let payments: Vec<TarabutSalaryPayment> = salaries
        .iter()
        .filter_map(|s| {
            let currency = Currency::from_code(s.salary_amount.currency.trim()).ok()?;
            let amount = Money::parse_unsigned(&s.salary_amount.value, currency)
                .ok()?
                .money;
            Some(TarabutSalaryPayment {
                amount,
                booking_date: s.booking_date_time.date_naive(),
            })
        })
        .collect();
    let agrees = ours
        .primary
        .as_ref()
        .zip(payments.iter().max_by_key(|p| p.booking_date))
        .map(|(p, latest)| {
            let same_currency = p.amount.currency() == latest.amount.currency();
            let diff = (p.amount.minor() - latest.amount.minor()).unsigned_abs();
            let close_amount = same_currency && diff * 20 <= p.amount.minor().unsigned_abs();
            let close_date = (p.last_paid_date - latest.booking_date).num_days().abs() <= 3;
            close_amount && close_date
        });
    TarabutSalary {
        available: true,
        payments,
        agrees,
    }
}
