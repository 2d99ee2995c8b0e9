//! Erasure that sticks (docs/architecture.md §3.7). A sync may run for minutes and writes
//! accounts, transactions and balances without a condition on the connection (DynamoDB cannot
//! condition a write on another item outside a transaction), so a DELETE cannot stop it from
//! writing. Instead:
//! - the tombstone is written first, and every read shows only the data of accounts whose
//!   connection is not deleted ([`visible_accounts`]): after the DELETE's 204 nothing of the
//!   connection shows, whatever is still being written;
//! - the data is erased by the DELETE, again by any sync or refresh that finds the connection
//!   deleted when it records its result, and a last time by the scheduled run
//!   ([`sweep`]) once [`ERASE_SETTLE`] has passed, when no sync that loaded the connection
//!   before the delete can still be running (no Lambda runs longer than 15 minutes).

use std::collections::HashSet;

use serde::Serialize;

use crate::AppState;
pub use crate::banking::connection::ERASE_SETTLE;
use crate::banking::{AccountRecord, Connection};
use crate::error::UseCaseError;
use crate::identity::UserId;
use crate::store::StoreError;

/// Most deleted connections one scheduled run erases a last time.
const SWEEP_PER_RUN: usize = 200;

/// What one erasure removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    pub accounts: usize,
    pub transactions: usize,
    pub balances: usize,
}

/// The caller's accounts on connections that are not deleted: the only accounts any read
/// shows, and the only ones whose transactions and balances it shows.
pub async fn visible_accounts(
    state: &AppState,
    user: &UserId,
) -> Result<Vec<AccountRecord>, StoreError> {
    visible_accounts_where(state, user, |_| true).await
}

/// [`visible_accounts`] of only the connections `keep` accepts (the same two Queries).
pub async fn visible_accounts_where(
    state: &AppState,
    user: &UserId,
    keep: impl Fn(&Connection) -> bool,
) -> Result<Vec<AccountRecord>, StoreError> {
    let live: HashSet<String> = state
        .connections
        .list(user)
        .await?
        .into_iter()
        .filter(|c| c.deleted_at.is_none() && keep(c))
        .map(|c| c.connection_id)
        .collect();
    let mut accounts = state.accounts.list(user).await?;
    accounts.retain(|a| live.contains(&a.connection_id));
    Ok(accounts)
}

/// Erases the accounts of `connection_id` and the transactions and balances written through
/// it or held by its accounts, except those of an account another live connection of the user
/// still holds (the same bank linked again). Idempotent; safe to repeat at any time after the
/// tombstone.
pub async fn erase_connection_data(
    state: &AppState,
    user: &UserId,
    connection_id: &str,
) -> Result<Erased, StoreError> {
    let live_others: HashSet<String> = state
        .connections
        .list(user)
        .await?
        .into_iter()
        .filter(|c| c.deleted_at.is_none() && c.connection_id != connection_id)
        .map(|c| c.connection_id)
        .collect();
    let (accounts, others): (Vec<_>, Vec<_>) = state
        .accounts
        .list(user)
        .await?
        .into_iter()
        .partition(|a| a.connection_id == connection_id);
    let still_held: HashSet<String> = others
        .into_iter()
        .filter(|a| live_others.contains(&a.connection_id))
        .map(|a| a.account_id)
        .collect();
    let account_ids: HashSet<String> = accounts
        .iter()
        .map(|a| a.account_id.clone())
        .filter(|id| !still_held.contains(id))
        .collect();
    let scope = ErasureScope {
        connection_id,
        account_ids: &account_ids,
        still_held: &still_held,
    };
    let covers = |conn: &str, account: &str| scope.covers(conn, account);
    let transactions = state.transactions.delete_matching(user, covers).await?;
    let balances = state.balances.delete_matching(user, covers).await?;
    state.accounts.delete_all(&accounts).await?;
    Ok(Erased {
        accounts: accounts.len(),
        transactions,
        balances,
    })
}

/// After a write that was not conditioned on its connections (live balances): erases again
/// the data of those of `connection_ids` deleted meanwhile, and returns their ids.
pub async fn erase_if_deleted(
    state: &AppState,
    user: &UserId,
    connection_ids: &HashSet<String>,
) -> Result<HashSet<String>, StoreError> {
    let deleted: HashSet<String> = state
        .connections
        .list(user)
        .await?
        .into_iter()
        .filter(|c| c.deleted_at.is_some() && connection_ids.contains(&c.connection_id))
        .map(|c| c.connection_id)
        .collect();
    for id in &deleted {
        erase_connection_data(state, user, id).await?;
    }
    Ok(deleted)
}

/// Which transactions and balance snapshots an erasure removes: those written through the
/// connection (a sync that died before writing its accounts leaves only these) or of its
/// accounts, unless another live connection holds the account.
struct ErasureScope<'a> {
    connection_id: &'a str,
    account_ids: &'a HashSet<String>,
    still_held: &'a HashSet<String>,
}

impl ErasureScope<'_> {
    fn covers(&self, connection_id: &str, account_id: &str) -> bool {
        (connection_id == self.connection_id || self.account_ids.contains(account_id))
            && !self.still_held.contains(account_id)
    }
}

/// What the scheduled run's last erasures did.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ErasureSweep {
    /// Deleted connections erased a last time.
    pub connections: usize,
    /// Items still found then: written by a sync that was running when the user deleted.
    pub leftovers: usize,
}

/// The scheduled run's last erasure of each connection deleted more than [`ERASE_SETTLE`]
/// ago. A failure leaves the connection in the index for the next run.
pub async fn sweep(state: &AppState) -> Result<ErasureSweep, UseCaseError> {
    let due = state
        .connections
        .erase_sweep_due(state.clock.now(), SWEEP_PER_RUN)
        .await?;
    let mut summary = ErasureSweep::default();
    for (user, connection_id) in due {
        let erased = erase_connection_data(state, &user, &connection_id).await?;
        let found = erased.accounts + erased.transactions + erased.balances;
        if found > 0 {
            tracing::warn!(
                connection = %connection_id,
                accounts = erased.accounts,
                transactions = erased.transactions,
                balances = erased.balances,
                "erased what a sync wrote after the connection was deleted"
            );
        }
        state.connections.erase_swept(&user, &connection_id).await?;
        summary.connections += 1;
        summary.leftovers += found;
    }
    Ok(summary)
}
