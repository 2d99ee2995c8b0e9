//! The caller's connections: list, delete (revoke + erase), refresh, live balances.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::connection::{Scope, SyncOutcome, load_connection, record_balance, sync_connection};
use crate::AppState;
use crate::banking::{AccountRecord, ConnectionStatus, iso_ms};
use crate::deadline::Deadline;
use crate::error::AppError;
use crate::identity::UserId;
use crate::money::Money;
use crate::tarabut::{Revoked, TarabutError};
use crate::token::{CallError, now_ms};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    pub connection_id: String,
    pub status: &'static str,
    pub provider_id: Option<String>,
    pub accounts: usize,
    pub consent_expires_at: Option<String>,
    pub last_sync_at: Option<String>,
    pub last_sync_status: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Serialize)]
pub struct ConnectionList {
    pub connections: Vec<ConnectionView>,
}

pub async fn list(state: &AppState, user: &UserId) -> Result<ConnectionList, AppError> {
    let connections = state.connections.list(user).await?;
    let mut per_connection: HashMap<String, usize> = HashMap::new();
    for a in state.accounts.list(user).await? {
        *per_connection.entry(a.connection_id).or_default() += 1;
    }
    let mut views: Vec<ConnectionView> = connections
        .into_iter()
        .filter(|c| c.deleted_at.is_none())
        .map(|c| ConnectionView {
            accounts: per_connection.get(&c.connection_id).copied().unwrap_or(0),
            status: c.status.as_str(),
            provider_id: c.provider_id,
            consent_expires_at: c.consent_expires_at.map(iso_ms),
            last_sync_at: c.last_sync_at.map(iso_ms),
            last_sync_status: c.last_sync_status,
            created_at: iso_ms(c.created_at),
            connection_id: c.connection_id,
        })
        .collect();
    views.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    Ok(ConnectionList { connections: views })
}

/// Revokes the consent at Tarabut by consent id (404 there = already revoked), then erases
/// the connection's accounts, transactions and balances and leaves a tombstone. A Tarabut
/// failure leaves everything in place (502). Repeating it answers the same.
pub async fn delete(
    state: &AppState,
    user: &UserId,
    connection_id: &str,
    deadline: Deadline,
) -> Result<(), AppError> {
    if !super::connection::valid_id(connection_id) {
        return Err(AppError::NotFound("connection"));
    }
    let Some(conn) = state.connections.get(user, connection_id).await? else {
        return Err(AppError::NotFound("connection"));
    };
    if conn.deleted_at.is_some() {
        return Ok(());
    }
    if let Some(consent_id) = conn.consent_id.as_deref()
        && conn.status != ConnectionStatus::Revoked
    {
        let revoked = state
            .tokens
            .call(user, deadline, |token| async move {
                state
                    .tarabut()
                    .revoke_consent(&token, consent_id, deadline)
                    .await
            })
            .await;
        match revoked {
            Ok(Revoked::Now) | Ok(Revoked::AlreadyGone) => {}
            // A consent Tarabut already considers expired/revoked cannot be revoked again.
            Err(CallError::Tarabut(TarabutError::Forbidden)) => {}
            Err(e) => {
                tracing::warn!(error = %e, "revoking the consent failed; nothing deleted");
                return Err(AppError::Upstream(format!("revoke consent: {e}")));
            }
        }
    }
    let (accounts, others): (Vec<_>, Vec<_>) = state
        .accounts
        .list(user)
        .await?
        .into_iter()
        .partition(|a| a.connection_id == connection_id);
    // The same bank linked again (say after its consent expired) holds the same bank accounts,
    // and transactions and balances are keyed by account: they stay while another of the
    // user's connections still holds the account.
    let still_held: HashSet<&str> = others.iter().map(|a| a.account_id.as_str()).collect();
    let ids: HashSet<String> = accounts
        .iter()
        .map(|a| a.account_id.clone())
        .filter(|id| !still_held.contains(id.as_str()))
        .collect();
    let transactions = state.transactions.delete_for_accounts(user, &ids).await?;
    let balances = state.balances.delete_for_accounts(user, &ids).await?;
    state.accounts.delete_all(&accounts).await?;
    state.connections.tombstone(&conn, now_ms()).await?;
    tracing::info!(
        connection = connection_id,
        accounts = accounts.len(),
        transactions,
        balances,
        "connection deleted"
    );
    Ok(())
}

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
) -> Result<super::connection::SyncSummary, AppError> {
    let conn = load_connection(state, user, request.connection_id.trim()).await?;
    match sync_connection(state, conn, Scope::Transactions, deadline).await? {
        SyncOutcome::Synced(summary) => Ok(summary),
        SyncOutcome::ReauthRequired { connection_id } => {
            Err(AppError::ReauthRequired { connection_id })
        }
    }
}

/// POST /finance/refresh: accounts (new ones too), balances and transactions of one or all
/// of the caller's active connections.
pub async fn refresh(
    state: &AppState,
    user: &UserId,
    request: RefreshRequest,
    deadline: Deadline,
) -> Result<RefreshResponse, AppError> {
    let targets = match request.connection_id.as_deref().map(str::trim) {
        Some(id) => {
            let conn = load_connection(state, user, id).await?;
            if conn.status == ConnectionStatus::Pending {
                return Err(AppError::Conflict(
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
    };
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
            Err(e) => RefreshItem {
                connection_id,
                status: "failed",
                summary: None,
                error: Some(e.problem().detail),
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
) -> Result<LiveBalances, AppError> {
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
            Ok(balances) => match record_balance(account, &balances.balances, "live") {
                Some(s) => {
                    snapshots.push(s);
                    "ok"
                }
                None => "unavailable",
            },
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
            c.require_reauth(now_ms());
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
    Ok(LiveBalances {
        accounts: out,
        refreshed_at: iso_ms(now_ms()),
    })
}

fn live_balance(account: &AccountRecord, status: &'static str) -> LiveBalance {
    LiveBalance {
        account_id: account.account_id.clone(),
        connection_id: account.connection_id.clone(),
        balance: account.balance,
        balance_type: account.balance_type.clone(),
        as_of: account.balance_at.map(iso_ms),
        status,
    }
}
