//! `GET /accountInformation/v2/accounts` and `.../{accountId}/balances[/refresh]`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::Utc;
use serde::Serialize;

use super::authorize_account;
use super::views::{AccountView, BalanceView, balances};
use crate::error::ApiError;
use crate::faults::{Endpoint, gate};
use crate::state::{ProviderAccess, SharedState};
use crate::wire::timestamp;

#[derive(Serialize)]
pub struct AccountsResponse {
    accounts: Vec<AccountView>,
}

/// The user's accounts under ACTIVE consents, each once, listing the ACTIVE consents covering it.
pub async fn list(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Json<AccountsResponse>, ApiError> {
    gate(&state, Endpoint::Accounts).await?;
    let user = state.authenticate(&headers)?;
    let now = Utc::now();
    let universe = state.universe(&user);
    let consents_by_provider: BTreeMap<_, _> = {
        let store = state.store();
        crate::data::ProviderId::ALL
            .into_iter()
            .filter_map(|p| match store.provider_access(&user, p, now) {
                ProviderAccess::Active(consents) => Some((p, consents)),
                _ => None,
            })
            .collect()
    };
    let accounts = universe
        .accounts
        .iter()
        .filter_map(|a| {
            let consents = consents_by_provider.get(&a.kind.provider())?;
            Some(AccountView::new(a, consents, &state.base_url, now))
        })
        .collect();
    Ok(Json(AccountsResponse { accounts }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancesMeta {
    last_balances_update_datetime: String,
}

#[derive(Serialize)]
pub struct BalancesResponse {
    balances: Vec<BalanceView>,
    meta: BalancesMeta,
}

async fn balances_of(
    state: SharedState,
    headers: HeaderMap,
    account_id: String,
    endpoint: Endpoint,
) -> Result<Json<BalancesResponse>, ApiError> {
    gate(&state, endpoint).await?;
    let user = state.authenticate(&headers)?;
    let now = Utc::now();
    let access = authorize_account(&state, &user, &account_id, now)?;
    Ok(Json(BalancesResponse {
        balances: balances(access.account(), now),
        meta: BalancesMeta {
            last_balances_update_datetime: timestamp(now),
        },
    }))
}

pub async fn balances_cached(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
) -> Result<Json<BalancesResponse>, ApiError> {
    balances_of(state, headers, account_id, Endpoint::Balances).await
}

/// The live variant; demo data has no daily-sync lag, so it answers the same figures.
pub async fn balances_refresh(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
) -> Result<Json<BalancesResponse>, ApiError> {
    balances_of(state, headers, account_id, Endpoint::BalancesRefresh).await
}
