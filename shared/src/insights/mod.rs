//! The insight routes' use cases: validate the query, optionally pull fresh data, read the
//! caller's items with keyed date-range queries, and hand them to the pure engine
//! ([`insights_engine`]). `InsightLatency` times the read and the engine, not the optional
//! refresh (its Tarabut calls have their own metric).

pub(crate) mod inputs;
pub mod query;

use std::time::Instant;

use chrono::{Duration as Days, NaiveDate, Utc};
use serde::Serialize;

use crate::AppState;
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::metrics::{self, Insight};
use crate::money::Money;
use crate::quota::{self, UserSync};
use crate::sync::{self, RefreshItem, RefreshRequest};
use crate::time::Deadline;
use inputs::Loaded;
use insights_engine::{
    self as engine, BalanceHistoryQuery, IncomeQuery, InsightsError, SpendingQuery,
};
pub use query::{BalanceHistoryParams, IncomeParams, SalaryParams, SpendingParams};

/// Extra days read before a range: refunds inherit the category of a purchase up to 90 days
/// earlier, and own-account transfers pair legs up to 4 days apart.
pub(crate) const CONTEXT_BEFORE_DAYS: i64 = 95;
pub(crate) const CONTEXT_AFTER_DAYS: i64 = 5;
/// History the recurring engine looks at for regular income and salary.
const HISTORY_DAYS: i64 = 400;
/// How far after a balance-history window its anchor (the first reading after it) is looked
/// for. A first sync reads 365 days back and stores one reading, at linking: a window in that
/// year must still reach it. The transactions read end there too.
const ANCHOR_HORIZON_DAYS: i64 = 400;

/// An insight report, with what `refresh=true` did first.
#[derive(Debug, Serialize)]
pub struct Report<T: Serialize> {
    #[serde(flatten)]
    pub report: T,
    #[serde(flatten)]
    pub refreshed: Refreshed,
}

/// What `refresh=true` did: the refresh's items, or, when the user refreshed less than the
/// minimum interval ago (§3.8), nothing: the stored data is served, with when to ask again.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refreshed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refreshed: Option<Vec<RefreshItem>>,
    /// Seconds until a refresh is allowed again; set when this one was not made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_retry_after: Option<u64>,
}

/// "Today" for the engine: the Gulf's civil date (UTC+3 covers Bahrain and Saudi Arabia; the
/// engine handles each account's own zone for its transactions).
pub fn gulf_today() -> NaiveDate {
    (Utc::now() + Days::hours(3)).date_naive()
}

fn engine_error(e: InsightsError) -> UseCaseError {
    match e {
        InsightsError::UnknownAccount(_) => UseCaseError::NotFound("account"),
        InsightsError::InvalidRange { .. }
        | InsightsError::RangeTooLong { .. }
        | InsightsError::DateOutOfRange { .. } => UseCaseError::Invalid(e.to_string()),
        other => UseCaseError::Internal(format!("insights: {other}")),
    }
}

async fn refresh_first(
    state: &AppState,
    user: &UserId,
    wanted: bool,
    deadline: Deadline,
) -> Result<Refreshed, UseCaseError> {
    if !wanted {
        return Ok(Refreshed::default());
    }
    match quota::claim_user_sync(state, user, UserSync::Transactions).await {
        Ok(()) => {}
        Err(UseCaseError::TooManyRequests { retry_after }) => {
            return Ok(Refreshed {
                refreshed: None,
                refresh_retry_after: Some(retry_after.as_secs()),
            });
        }
        Err(e) => return Err(e),
    }
    // Leave time to compute and answer after the refresh.
    let budget = deadline.less(std::time::Duration::from_secs(3));
    let r = sync::refresh_claimed(state, user, RefreshRequest::default(), budget).await?;
    Ok(Refreshed {
        refreshed: Some(r.connections),
        refresh_retry_after: None,
    })
}

/// The caller's data for `[from, to)` plus context; `account_id` must be theirs (else 404).
async fn load(
    state: &AppState,
    user: &UserId,
    from: NaiveDate,
    to: NaiveDate,
    account_id: Option<&str>,
) -> Result<Loaded, UseCaseError> {
    let loaded = inputs::load(state, user, from, to).await?;
    owned(&loaded, account_id)?;
    Ok(loaded)
}

/// A 404 unless `account_id` (when given) is one of the caller's accounts.
fn owned(loaded: &Loaded, account_id: Option<&str>) -> Result<(), UseCaseError> {
    match account_id {
        Some(id) if !loaded.accounts.iter().any(|a| a.account_id == id) => {
            Err(UseCaseError::NotFound("account"))
        }
        _ => Ok(()),
    }
}

pub async fn spending(
    state: &AppState,
    user: &UserId,
    params: SpendingParams,
    deadline: Deadline,
) -> Result<Report<engine::SpendingReport>, UseCaseError> {
    let (from, to) = query::range(params.from, params.to)?;
    let group_by = params.group_by;
    let account_id = query::account_id(params.account_id.as_deref())?;
    let refreshed = refresh_first(state, user, params.refresh.0, deadline).await?;
    let started = Instant::now();
    let data = load(
        state,
        user,
        from - Days::days(CONTEXT_BEFORE_DAYS),
        to + Days::days(CONTEXT_AFTER_DAYS),
        account_id.as_deref(),
    )
    .await?;
    let query = SpendingQuery {
        from,
        to,
        group_by,
        account_id,
    };
    let report =
        engine::spending(&data.accounts, &data.transactions, &query).map_err(engine_error)?;
    metrics::insight_latency(Insight::Spending, started.elapsed());
    Ok(Report { report, refreshed })
}

pub async fn income(
    state: &AppState,
    user: &UserId,
    params: IncomeParams,
    deadline: Deadline,
) -> Result<Report<engine::IncomeReport>, UseCaseError> {
    let (from, to) = query::range(params.from, params.to)?;
    let account_id = query::account_id(params.account_id.as_deref())?;
    let refreshed = refresh_first(state, user, params.refresh.0, deadline).await?;
    let started = Instant::now();
    let data = load(
        state,
        user,
        from.min(to - Days::days(HISTORY_DAYS)),
        to + Days::days(CONTEXT_AFTER_DAYS),
        account_id.as_deref(),
    )
    .await?;
    let query = IncomeQuery {
        from,
        to,
        account_id,
    };
    let report = engine::income(&data.accounts, &data.transactions, &query, gulf_today())
        .map_err(engine_error)?;
    metrics::insight_latency(Insight::Income, started.elapsed());
    Ok(Report { report, refreshed })
}

/// Tarabut's own salary detection, as a cross-check of ours.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TarabutSalary {
    /// False when Tarabut did not answer (or the product is not enabled).
    pub available: bool,
    pub payments: Vec<TarabutSalaryPayment>,
    /// Whether Tarabut's latest payment matches our primary salary (amount within 5 %,
    /// date within 3 days).
    pub agrees: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TarabutSalaryPayment {
    pub amount: Money,
    pub booking_date: NaiveDate,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SalaryAnswer {
    #[serde(flatten)]
    pub report: engine::SalaryReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tarabut: Option<TarabutSalary>,
}

pub async fn salary(
    state: &AppState,
    user: &UserId,
    params: SalaryParams,
    deadline: Deadline,
) -> Result<Report<SalaryAnswer>, UseCaseError> {
    let corroborate = params.corroborate.0;
    let refreshed = refresh_first(state, user, params.refresh.0, deadline).await?;
    let started = Instant::now();
    let today = gulf_today();
    let data = load(
        state,
        user,
        today - Days::days(HISTORY_DAYS),
        today + Days::days(1),
        None,
    )
    .await?;
    let report = engine::salary(&data.accounts, &data.transactions, today).map_err(engine_error)?;
    // Tarabut's corroboration below is its own call (`TarabutLatency`), not this insight's.
    metrics::insight_latency(Insight::Salary, started.elapsed());
    let tarabut = if corroborate && !data.accounts.is_empty() {
        Some(inputs::tarabut_salary(state, user, &report, deadline).await)
    } else {
        None
    };
    Ok(Report {
        report: SalaryAnswer { report, tarabut },
        refreshed,
    })
}

pub async fn balance_history(
    state: &AppState,
    user: &UserId,
    params: BalanceHistoryParams,
    deadline: Deadline,
) -> Result<Report<engine::BalanceHistoryReport>, UseCaseError> {
    let (from, to) = query::range(params.from, params.to)?;
    let account_id = query::account_id(params.account_id.as_deref())?;
    let reporting_currency = params.currency;
    let refreshed = refresh_first(state, user, params.refresh.0, deadline).await?;
    let started = Instant::now();
    let (data, readings) = inputs::balance_history(
        state,
        user,
        (from, to),
        Days::days(ANCHOR_HORIZON_DAYS),
        Days::days(CONTEXT_AFTER_DAYS),
    )
    .await?;
    owned(&data, account_id.as_deref())?;
    let query = BalanceHistoryQuery {
        from,
        to,
        account_id,
        reporting_currency,
    };
    let report = engine::balance_history(&data.accounts, &data.transactions, &readings, &query)
        .map_err(engine_error)?;
    metrics::insight_latency(Insight::BalanceHistory, started.elapsed());
    Ok(Report { report, refreshed })
}
