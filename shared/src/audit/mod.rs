//! The audit trail (docs/architecture.md §3.10): one item per access to or change of a user's
//! banking data — every read route, sync, delete, erase-all and export — saying who, what,
//! which connection or account, when and under which API request id. Never any financial
//! content. Items expire after `AUDIT_RETENTION_DAYS` through TTL, survive erase-all, and are
//! part of the user's export.

mod repo;

pub use repo::{AuditRecord, AuditRepo};

use crate::AppState;
use crate::error::UseCaseError;
use crate::identity::UserId;

/// What was done. The names are the audit items' `action` values: stable, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ListConnections,
    DeleteConnection,
    DeleteAllConnections,
    Sync,
    Refresh,
    RefreshBalances,
    ScheduledSync,
    Spending,
    Income,
    Salary,
    BalanceHistory,
    ListAccounts,
    ListTransactions,
    Export,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ListConnections => "connections.list",
            Action::DeleteConnection => "connection.delete",
            Action::DeleteAllConnections => "connections.delete_all",
            Action::Sync => "connection.sync",
            Action::Refresh => "connections.refresh",
            Action::RefreshBalances => "balances.refresh",
            Action::ScheduledSync => "connection.scheduled_sync",
            Action::Spending => "insights.spending",
            Action::Income => "insights.income",
            Action::Salary => "insights.salary",
            Action::BalanceHistory => "insights.balance_history",
            Action::ListAccounts => "accounts.list",
            Action::ListTransactions => "transactions.list",
            Action::Export => "export",
        }
    }
}

/// One audited event, before it is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event<'a> {
    pub connection_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    /// The API Gateway request id (or the Lambda request id of a scheduled run).
    pub request_id: Option<&'a str>,
}

/// Records a read before its answer leaves: if the access cannot be recorded, the data is not
/// served (the caller gets a 500 and may retry).
pub async fn read(
    state: &AppState,
    user: &UserId,
    action: Action,
    event: Event<'_>,
) -> Result<(), UseCaseError> {
    let at = state.clock.now();
    state
        .audit
        .append(user, action, &event, at)
        .await
        .map_err(UseCaseError::from)
}

/// Records a change that has happened (a sync, a delete): it is not undone when the record
/// cannot be written, which is logged at ERROR for the operator instead.
pub async fn change(state: &AppState, user: &UserId, action: Action, event: Event<'_>) {
    let at = state.clock.now();
    if let Err(e) = state.audit.append(user, action, &event, at).await {
        tracing::error!(action = action.as_str(), error = %e, "audit record not written");
    }
}
