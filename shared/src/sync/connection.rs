//! Syncing one connection: accounts (when asked or unknown), then per account incremental
//! transactions (page by page with a checkpoint: `history.rs`) and balances.

use std::time::Duration;

use serde::Serialize;

use super::consent::consent_accounts;
use super::history::{HistoryError, sync_transactions};
use crate::AppState;
use crate::banking::balances::pick_balance;
use crate::banking::{
    AccountRecord, BalanceSnapshot, Connection, ConnectionStatus, SyncCheckpoint, SyncLease,
};
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::metrics;
use crate::store::StoreError;
use crate::tarabut::{self, TarabutError};
use crate::time::{Deadline, Timestamp};
use crate::token::CallError;

/// No Lambda runs longer: a sync lease never needs to outlast it.
const LONGEST_RUN: Duration = Duration::from_secs(15 * 60);
/// Beyond the holder's deadline: time to save its result.
const LEASE_MARGIN: Duration = Duration::from_secs(10);
/// What a caller turned away by a running sync is told to wait, at most.
const RETRY_RUNNING: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Transactions and cached balances of the accounts already known.
    Transactions,
    /// The account list first (picking up new accounts), then as `Transactions`.
    Full,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SyncSummary {
    pub connection_id: String,
    pub status: &'static str,
    pub accounts: usize,
    pub new_transactions: usize,
    /// Rows Tarabut sent that could not be read (unknown currency, bad amount): logged.
    pub skipped_transactions: usize,
    pub synced_at: String,
}

/// What a sync found.
#[derive(Debug)]
pub enum SyncOutcome {
    Synced(SyncSummary),
    /// The consent is revoked or expired: the connection is now `reauth_required`.
    ReauthRequired {
        connection_id: String,
    },
    /// The consent reached its expiry date: the connection is now `expired`, nothing synced.
    Expired {
        connection_id: String,
    },
    /// The user deleted the connection while it synced: what the sync wrote is erased again.
    Deleted {
        connection_id: String,
    },
}

/// Loads one of the caller's connections; unknown, foreign, malformed or deleted ids are all
/// the same 404.
pub async fn load_connection(
    state: &AppState,
    user: &UserId,
    connection_id: &str,
) -> Result<Connection, UseCaseError> {
    if !valid_id(connection_id) {
        return Err(UseCaseError::NotFound("connection"));
    }
    match state.connections.get(user, connection_id).await? {
        Some(c) if c.deleted_at.is_none() => Ok(c),
        _ => Err(UseCaseError::NotFound("connection")),
    }
}

/// Ids we issue are UUIDs; anything far off is not one of ours.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Syncs an active connection. A revoked or expired consent (403 from Tarabut, or the account
/// list saying so) turns it `reauth_required`.
pub async fn sync_connection(
    state: &AppState,
    mut conn: Connection,
    scope: Scope,
    deadline: Deadline,
) -> Result<SyncOutcome, UseCaseError> {
    match conn.status {
        ConnectionStatus::Active => {}
        ConnectionStatus::Pending => {
            return Err(UseCaseError::Conflict(
                "the connection is not linked yet".into(),
            ));
        }
        ConnectionStatus::ReauthRequired => {
            return Ok(SyncOutcome::ReauthRequired {
                connection_id: conn.connection_id,
            });
        }
        ConnectionStatus::Expired => {
            return Ok(SyncOutcome::Expired {
                connection_id: conn.connection_id,
            });
        }
        ConnectionStatus::Revoked => return Err(UseCaseError::NotFound("connection")),
    }
    let connection_id = conn.connection_id.clone();
    if conn.consent_expired(state.clock.now()) {
        // Tarabut would refuse it: no call is made, the connection leaves the schedule.
        conn.expire(state.clock.now());
        return Ok(match record(state, &conn).await? {
            true => SyncOutcome::Expired { connection_id },
            false => SyncOutcome::Deleted { connection_id },
        });
    }
    take_lease(state, &conn, deadline).await?;
    // Follows the checkpoint the run stores, so a failed run keeps where it got to.
    let mut resume = conn.sync.resume.clone();
    let recorded = match run(state, &conn, scope, &mut resume, deadline).await {
        Ok((summary, synced_at)) => {
            metrics::sync_succeeded();
            // The time the answer reports is the time stored.
            conn.synced(synced_at);
            record(state, &conn)
                .await?
                .then_some(SyncOutcome::Synced(summary))
        }
        Err(SyncFailure::ConsentGone) => {
            tracing::info!(connection = %conn.connection_id, "consent revoked or expired: reauth required");
            conn.require_reauth(state.clock.now());
            record(state, &conn)
                .await?
                .then_some(SyncOutcome::ReauthRequired {
                    connection_id: connection_id.clone(),
                })
        }
        Err(SyncFailure::Other(e)) => {
            metrics::sync_failed();
            let progressed = resume.is_some() && resume != conn.sync.resume;
            conn.sync.resume = resume;
            conn.sync_failed(state.clock.now(), progressed);
            match record(state, &conn).await {
                Ok(true) => return Err(e),
                Ok(false) => None,
                Err(save_err) => {
                    tracing::warn!(error = %save_err, "could not record the failed sync");
                    return Err(e);
                }
            }
        }
    };
    match recorded {
        Some(outcome) => Ok(outcome),
        None => {
            // Deleted while this sync ran: what it wrote meanwhile goes too (§3.7).
            let user = conn.user.clone();
            crate::erasure::erase_connection_data(state, &user, &connection_id).await?;
            Ok(SyncOutcome::Deleted { connection_id })
        }
    }
}

/// One sync of a connection at a time (docs/architecture.md §3.8): the lease lasts the
/// caller's deadline, at most a Lambda's longest run, plus a margin; the result's save ends it.
async fn take_lease(
    state: &AppState,
    conn: &Connection,
    deadline: Deadline,
) -> Result<(), UseCaseError> {
    let lease_id = uuid::Uuid::new_v4().simple().to_string();
    let now = state.clock.now();
    let until = now + deadline.remaining().min(LONGEST_RUN) + LEASE_MARGIN;
    let taken = state
        .connections
        .lease_sync(&conn.user, &conn.connection_id, &lease_id, now, until)
        .await?;
    match taken {
        SyncLease::Held => Ok(()),
        SyncLease::Busy { until } => Err(UseCaseError::SyncRunning {
            // The lease bounds the other sync; most end within seconds.
            retry_after: until
                .since(now)
                .clamp(Duration::from_secs(1), RETRY_RUNNING),
        }),
        SyncLease::Gone => Err(UseCaseError::NotFound("connection")),
    }
}

/// Records the sync's result; `false` when the user deleted the connection meanwhile.
async fn record(state: &AppState, conn: &Connection) -> Result<bool, UseCaseError> {
    match state.connections.save(conn).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

enum SyncFailure {
    ConsentGone,
    Other(UseCaseError),
}

impl From<UseCaseError> for SyncFailure {
    fn from(e: UseCaseError) -> Self {
        SyncFailure::Other(e)
    }
}

impl From<StoreError> for SyncFailure {
    fn from(e: StoreError) -> Self {
        SyncFailure::Other(e.into())
    }
}

impl From<HistoryError> for SyncFailure {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::Call(e) => e.into(),
            other => SyncFailure::Other(other.into()),
        }
    }
}

impl From<CallError> for SyncFailure {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Tarabut(TarabutError::Forbidden) => SyncFailure::ConsentGone,
            other => SyncFailure::Other(other.into()),
        }
    }
}

async fn run(
    state: &AppState,
    conn: &Connection,
    scope: Scope,
    resume: &mut Option<SyncCheckpoint>,
    deadline: Deadline,
) -> Result<(SyncSummary, Timestamp), SyncFailure> {
    let user = &conn.user;
    let mut accounts = state
        .accounts
        .list_for_connection(user, &conn.connection_id)
        .await?;
    if scope == Scope::Full || accounts.is_empty() {
        accounts = refresh_accounts(state, conn, accounts, deadline).await?;
    }
    let fetched = sync_transactions(state, conn, &mut accounts, resume, deadline).await?;
    let mut snapshots = Vec::new();
    for account in &mut accounts {
        let balances = state
            .tokens
            .call(user, deadline, |token| {
                let id = account.account_id.clone();
                async move { state.tarabut().balances(&token, &id, false, deadline).await }
            })
            .await?;
        if let Some(snapshot) =
            record_balance(account, &balances.balances, "sync", state.clock.now())
        {
            snapshots.push(snapshot);
        }
    }
    state.accounts.put_all(&accounts).await?;
    state.balances.put_all(&snapshots).await?;
    let synced_at = state.clock.now();
    let summary = SyncSummary {
        connection_id: conn.connection_id.clone(),
        status: "active",
        accounts: accounts.len(),
        new_transactions: fetched.new,
        skipped_transactions: fetched.skipped,
        synced_at: synced_at.to_rfc3339(),
    };
    Ok((summary, synced_at))
}

/// Reads the account list, keeps the accounts of this connection's consent (new ones too),
/// and fails with `ConsentGone` when Tarabut reports the consent revoked or expired.
async fn refresh_accounts(
    state: &AppState,
    conn: &Connection,
    known: Vec<AccountRecord>,
    deadline: Deadline,
) -> Result<Vec<AccountRecord>, SyncFailure> {
    let listed = state
        .tokens
        .call(&conn.user, deadline, |token| async move {
            state.tarabut().accounts(&token, deadline).await
        })
        .await?;
    let found = consent_accounts(conn, &listed, known, state.clock.now());
    if found.gone {
        return Err(SyncFailure::ConsentGone);
    }
    Ok(found.accounts)
}

/// Updates the account's latest balance and returns the snapshot to store.
pub(crate) fn record_balance(
    account: &mut AccountRecord,
    balances: &[tarabut::Balance],
    source: &str,
    fetched_at: Timestamp,
) -> Option<BalanceSnapshot> {
    let (amount, kind, at) = match pick_balance(balances) {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(account = %account.account_id, error = %e, "unreadable balance skipped");
            return None;
        }
    };
    let at = at.unwrap_or(fetched_at);
    account.balance = Some(amount);
    account.balance_type = Some(kind.clone());
    account.balance_at = Some(at);
    Some(BalanceSnapshot {
        user: account.user.clone(),
        connection_id: account.connection_id.clone(),
        account_id: account.account_id.clone(),
        amount,
        balance_type: kind,
        at,
        source: source.to_string(),
    })
}
