//! `GET /insights/v1/salary?months=N`: salary credits of the user's consented current and
//! savings accounts in the last N complete months plus the current partial month.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use chrono::{Datelike, Utc};
use serde::Serialize;

use crate::data::calendar::Month;
use crate::data::model::ProductType;
use crate::error::ApiError;
use crate::faults::{Endpoint, gate};
use crate::money::decimal_text;
use crate::request::query_map;
use crate::state::{ProviderAccess, SharedState};
use crate::wire::{midnight, timestamp};

const DEFAULT_MONTHS: i64 = 3;
const MAX_MONTHS: i64 = 12;

#[derive(Serialize)]
pub struct SalaryAmount {
    /// A decimal string with the currency's digits, unlike the numbers of the AIS endpoints.
    value: String,
    currency: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SalaryView {
    salary_amount: SalaryAmount,
    booking_date_time: String,
    month_indicator: u32,
}

#[derive(Serialize)]
pub struct SalaryResponse {
    salaries: Vec<SalaryView>,
}

pub async fn list(
    State(state): State<SharedState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<SalaryResponse>, ApiError> {
    gate(&state, Endpoint::Salary).await?;
    let user = state.authenticate(&headers)?;
    let months = match query_map(&uri)?.get("months") {
        None => DEFAULT_MONTHS,
        Some(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|m| (1..=MAX_MONTHS).contains(m))
            .ok_or_else(|| {
                ApiError::bad_request(format!("months must be an integer within 1..={MAX_MONTHS}"))
            })?,
    };
    let now = Utc::now();
    let universe = state.universe(&user);
    let since = Month::from_key(Month::of(universe.today).key() - months).first();
    let store = state.store();
    let mut salaries: Vec<_> = universe
        .accounts
        .iter()
        .filter(|a| a.kind.product() != ProductType::CreditCard)
        .filter(|a| {
            matches!(
                store.provider_access(&user, a.kind.provider(), now),
                ProviderAccess::Active(_)
            )
        })
        .flat_map(|a| {
            a.transactions
                .iter()
                .filter(|t| t.txn_type == "Salary" && t.booking_date >= since)
                .map(move |t| (t.booking_date, a.kind.currency(), t.amount_minor))
        })
        .collect();
    drop(store);
    salaries.sort_by_key(|(date, _, _)| *date);
    Ok(Json(SalaryResponse {
        salaries: salaries
            .into_iter()
            .map(|(date, currency, minor)| SalaryView {
                salary_amount: SalaryAmount {
                    value: decimal_text(minor, currency.digits()),
                    currency: currency.code(),
                },
                booking_date_time: timestamp(midnight(date)),
                month_indicator: date.month(),
            })
            .collect(),
    }))
}
