//! The caller's connections: list them (`GET /finance/connections`), delete one (revoke the
//! consent at Tarabut, then erase its data: `DELETE /finance/connections/{id}`) or all of them
//! (`DELETE /finance/connections`).

use std::collections::HashMap;

use serde::Serialize;

use crate::AppState;
use crate::banking::{Connection, ConnectionStatus};
use crate::erasure;
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
    let now = state.clock.now();
    let mut views: Vec<ConnectionView> = connections
        .into_iter()
        .filter(|c| c.deleted_at.is_none())
        .map(|c| ConnectionView {
            accounts: per_connection.get(&c.connection_id).copied().unwrap_or(0),
            // A consent past its date is expired even before the schedule marks it (a parked
            // connection, or one not due yet).
            status: if c.status == ConnectionStatus::Active && c.consent_expired(now) {
                ConnectionStatus::Expired.as_str()
            } else {
                c.status.as_str()
            },
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

/// Revokes the consent at Tarabut by consent id (404 there = already revoked), writes the
/// tombstone (from then on no read shows the connection's data), then erases its accounts,
/// transactions and balances (docs/architecture.md §3.7). A Tarabut failure leaves everything
/// in place (502). Repeating it erases again (a sync running meanwhile may have written) and
/// answers the same.
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
    if conn.deleted_at.is_none() {
        revoke(state, &conn, deadline).await?;
        state
            .connections
            .tombstone(&conn, state.clock.now())
            .await?;
    }
    let erased = erasure::erase_connection_data(state, user, connection_id).await?;
    tracing::info!(
        connection = connection_id,
        accounts = erased.accounts,
        transactions = erased.transactions,
        balances = erased.balances,
        "connection deleted"
    );
    Ok(())
}

/// `DELETE /finance/connections`: every connection of the caller deleted as [`delete`] does
/// (consent revoked, tombstone, data erased, with the same guarantee while syncs run), then
/// the user's Tarabut token. One failing revocation does not stop the others; the answer is
/// then that failure, and a retry finishes the job (everything here is idempotent). What
/// remains is stated in docs/architecture.md §3.7.
pub async fn delete_all(
    state: &AppState,
    user: &UserId,
    deadline: Deadline,
) -> Result<usize, UseCaseError> {
    let mut failure = None;
    let mut deleted = 0;
    for conn in state.connections.list(user).await? {
        match delete(state, user, &conn.connection_id, deadline).await {
            Ok(()) => deleted += 1,
            Err(e) => {
                tracing::warn!(connection = %conn.connection_id, error = %e, "erase-all: connection not deleted");
                failure = Some(e);
            }
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    // Last: revocations above needed it. A sweep that needs one later mints a new token.
    state.tokens.forget(user).await?;
    Ok(deleted)
}

/// Revokes the connection's consent at Tarabut, if it has one that is not already revoked.
async fn revoke(
    state: &AppState,
    conn: &Connection,
    deadline: Deadline,
) -> Result<(), UseCaseError> {
    let Some(consent_id) = conn.consent_id.as_deref() else {
        return Ok(());
    };
    if conn.status == ConnectionStatus::Revoked {
        return Ok(());
    }
    let revoked = state
        .tokens
        .call(&conn.user, deadline, |token| async move {
            state
                .tarabut()
                .revoke_consent(&token, consent_id, deadline)
                .await
        })
        .await;
    match revoked {
        Ok(Revoked::Now) | Ok(Revoked::AlreadyGone) => Ok(()),
        // A consent Tarabut already considers expired/revoked cannot be revoked again.
        Err(CallError::Tarabut(TarabutError::Forbidden)) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "revoking the consent failed; nothing deleted");
            Err(UseCaseError::Upstream(format!("revoke consent: {e}")))
        }
    }
}
