//! What the user triggers: `POST /tarabut/sync` (one connection's transactions and balances),
//! `POST /finance/refresh` (accounts, balances and transactions of one or all connections) and
//! `POST /finance/refresh-balances` (live balances of every account).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::connection::{Scope, SyncOutcome, load_connection, record_balance, sync_connection};
use crate::AppState;
use crate::banking::{AccountRecord, Connection, ConnectionStatus};
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::money::Money;
use crate::quota::{self, UserSync};
use crate::tarabut::TarabutError;
use crate::time::{Deadline, Timestamp};
use crate::token::CallError;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncRequest {
    pub connection_id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    pub connection_id: Option<String>,
}

/// One connection's result in a refresh of several: a failure of one never stops the rest.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshItem {
    pub connection_id: String,
    pub status: &'static str,
    #[serde(flatten)]
    pub summary: Option<super::connection::SyncSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RefreshResponse {
    pub connections: Vec<RefreshItem>,
}

/// POST /tarabut/sync: one connection, transactions and balances.
pub async fn sync_one(
    state: &AppState,
    user: &UserId,
    request: SyncRequest,
    deadline: Deadline,
) -> Result<super::connection::SyncSummary, UseCaseError> {
    let conn = load_connection(state, user, request.connection_id.trim()).await?;
    quota::claim_user_sync(state, user, UserSync::Transactions).await?;
    match sync_connection(state, conn, Scope::Transactions, deadline).await? {
        SyncOutcome::Synced(summary) => Ok(summary),
        SyncOutcome::ReauthRequired { connection_id } => {
            Err(UseCaseError::ReauthRequired { connection_id })
        }
        SyncOutcome::Expired { connection_id } => {
            Err(UseCaseError::ConsentExpired { connection_id })
        }
        SyncOutcome::Deleted { .. } => Err(UseCaseError::NotFound("connection")),
    }
}

/// POST /finance/refresh: accounts (new ones too), balances and transactions of one or all
/// of the caller's active connections, at most once per the user's sync interval.
pub async fn refresh(
    state: &AppState,
    user: &UserId,
    request: RefreshRequest,
    deadline: Deadline,
) -> Result<RefreshResponse, UseCaseError> {
    let targets = targets(state, user, request).await?;
    quota::claim_user_sync(state, user, UserSync::Transactions).await?;
    refresh_targets(state, targets, deadline).await
}

/// [`refresh`] for a caller that has claimed the user's sync already (`refresh=true`).
pub(crate) async fn refresh_claimed(
    state: &AppState,
    user: &UserId,
    request: RefreshRequest,
    deadline: Deadline,
) -> Result<RefreshResponse, UseCaseError> {
    let targets = targets(state, user, request).await?;
    refresh_targets(state, targets, deadline).await
}

/// The connections a refresh covers: the one asked for (404 unless the caller's), or every
/// active one.
async fn targets(
    state: &AppState,
    user: &UserId,
    request: RefreshRequest,
) -> Result<Vec<Connection>, UseCaseError> {
    Ok(match request.connection_id.as_deref().map(str::trim) {
        Some(id) => {
            let conn = load_connection(state, user, id).await?;
            if conn.status == ConnectionStatus::Pending {
                return Err(UseCaseError::Conflict(
                    "the connection is not linked yet".into(),
                ));
            }
            vec![conn]
        }
        None => state
            .connections
            .list(user)
            .await?
            .into_iter()
            .filter(|c| c.deleted_at.is_none() && c.status == ConnectionStatus::Active)
            .collect(),
    })
}

async fn refresh_targets(
    state: &AppState,
    targets: Vec<Connection>,
    deadline: Deadline,
) -> Result<RefreshResponse, UseCaseError> {
    let mut items = Vec::new();
    for conn in targets {
        let connection_id = conn.connection_id.clone();
        let item = match sync_connection(state, conn, Scope::Full, deadline).await {
            Ok(SyncOutcome::Synced(s)) => RefreshItem {
                connection_id,
                status: "active",
                summary: Some(s),
                error: None,
            },
            Ok(SyncOutcome::ReauthRequired { .. }) => RefreshItem {
                connection_id,
                status: "reauth_required",
                summary: None,
                error: None,
            },
            Ok(SyncOutcome::Expired { .. }) => RefreshItem {
                connection_id,
                status: "expired",
                summary: None,
                error: None,
            },
            Ok(SyncOutcome::Deleted { .. }) => RefreshItem {
                connection_id,
                status: "deleted",
                summary: None,
                error: None,
            },
            Err(e @ UseCaseError::SyncRunning { .. }) => RefreshItem {
                connection_id,
                status: "sync_running",
                summary: None,
                error: Some(e.public_detail()),
            },
            Err(e) => RefreshItem {
                connection_id,
                status: "failed",
                summary: None,
                error: Some(e.public_detail()),
            },
        };
        items.push(item);
    }
    Ok(RefreshResponse { connections: items })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveBalance {
    pub account_id: String,
    pub connection_id: String,
    pub balance: Option<Money>,
    pub balance_type: Option<String>,
    pub as_of: Option<String>,
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveBalances {
    pub accounts: Vec<LiveBalance>,
    pub refreshed_at: String,
}

/// POST /finance/refresh-balances: live balances of every account of the caller's active
/// connections, one snapshot item per account.
pub async fn refresh_balances(
    state: &AppState,
    user: &UserId,
    deadline: Deadline,
) -> Result<LiveBalances, UseCaseError> {
    quota::claim_user_sync(state, user, UserSync::Balances).await?;
    let connections = state.connections.list(user).await?;
    let active: HashMap<String, _> = connections
        .into_iter()
        .filter(|c| c.deleted_at.is_none() && c.status == ConnectionStatus::Active)
        .map(|c| (c.connection_id.clone(), c))
        .collect();
    let mut accounts = state.accounts.list(user).await?;
    accounts.retain(|a| active.contains_key(&a.connection_id));
    let mut out = Vec::new();
    let mut snapshots = Vec::new();
    let mut reauth: HashSet<String> = HashSet::new();
    for account in &mut accounts {
        if reauth.contains(&account.connection_id) {
            // Its consent is gone (another account of the connection said so): the account is
            // still listed, with its last known balance, without asking Tarabut again.
            out.push(live_balance(account, "reauth_required"));
            continue;
        }
        let id = account.account_id.clone();
        let live = state
            .tokens
            .call(user, deadline, |token| {
                let id = id.clone();
                async move { state.tarabut().balances(&token, &id, true, deadline).await }
            })
            .await;
        let status = match live {
            Ok(balances) => {
                match record_balance(account, &balances.balances, "live", state.clock.now()) {
                    Some(s) => {
                        snapshots.push(s);
                        "ok"
                    }
                    None => "unavailable",
                }
            }
            Err(CallError::Tarabut(TarabutError::Forbidden)) => {
                reauth.insert(account.connection_id.clone());
                "reauth_required"
            }
            Err(e) => {
                tracing::warn!(account = %account.account_id, error = %e, "live balance failed");
                "failed"
            }
        };
        out.push(live_balance(account, status));
    }
    for connection_id in &reauth {
        if let Some(conn) = active.get(connection_id) {
            let mut c = conn.clone();
            c.require_reauth(state.clock.now());
            if let Err(e) = state.connections.save(&c).await {
                tracing::warn!(error = %e, "could not mark the connection reauth_required");
            }
        }
    }
    let refreshed: Vec<_> = accounts
        .into_iter()
        .filter(|a| !reauth.contains(&a.connection_id))
        .collect();
    state.accounts.put_all(&refreshed).await?;
    state.balances.put_all(&snapshots).await?;
    // A connection deleted while its balances were fetched: what was just written goes too,
    // and the answer does not show it (§3.7).
    let written: HashSet<String> = active.keys().cloned().collect();
    let deleted = crate::erasure::erase_if_deleted(state, user, &written).await?;
    out.retain(|b| !deleted.contains(&b.connection_id));
    Ok(LiveBalances {
        accounts: out,
        refreshed_at: state.clock.now().to_rfc3339(),
    })
}

fn live_balance(account: &AccountRecord, status: &'static str) -> LiveBalance {
    LiveBalance {
        account_id: account.account_id.clone(),
        connection_id: account.connection_id.clone(),
        balance: account.balance,
        balance_type: account.balance_type.clone(),
        as_of: account.balance_at.map(Timestamp::to_rfc3339),
        status,
    }
}
