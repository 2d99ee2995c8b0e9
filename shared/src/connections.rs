//! The caller's connections: list them (`GET /finance/connections`) and delete one (revoke the
//! consent at Tarabut, then erase its data: `DELETE /finance/connections/{id}`).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::AppState;
use crate::banking::ConnectionStatus;
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::tarabut::{Revoked, TarabutError};
use crate::time::{Deadline, Timestamp};
use crate::token::CallError;

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
    /// Scheduled syncs in a row that did not succeed (0 after a good one).
    pub consecutive_failures: u32,
    /// When the scheduled sync gave up after too many failures; `null` while it is on the
    /// schedule. A sync the user triggers that succeeds puts it back.
    pub parked_at: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Serialize)]
pub struct ConnectionList {
    pub connections: Vec<ConnectionView>,
}

pub async fn list(state: &AppState, user: &UserId) -> Result<ConnectionList, UseCaseError> {
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
            consent_expires_at: c.consent_expires_at.map(Timestamp::to_rfc3339),
            last_sync_at: c.last_sync_at.map(Timestamp::to_rfc3339),
            last_sync_status: c.last_sync_status,
            consecutive_failures: c.sync.failures,
            parked_at: c.sync.parked_at.map(Timestamp::to_rfc3339),
            created_at: c.created_at.to_rfc3339(),
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
) -> Result<(), UseCaseError> {
    if !crate::sync::connection::valid_id(connection_id) {
        return Err(UseCaseError::NotFound("connection"));
    }
    let Some(conn) = state.connections.get(user, connection_id).await? else {
        return Err(UseCaseError::NotFound("connection"));
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
                return Err(UseCaseError::Upstream(format!("revoke consent: {e}")));
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
    state
        .connections
        .tombstone(&conn, state.clock.now())
        .await?;
    tracing::info!(
        connection = connection_id,
        accounts = accounts.len(),
        transactions,
        balances,
        "connection deleted"
    );
    Ok(())
}
