//! The user's banking data in the table (DESIGN §5): connections, intent bindings, accounts,
//! transactions and balance snapshots, each with its keys and its repository.

pub mod accounts;
pub mod balances;
pub mod connections;
pub mod intents;
pub mod transactions;

pub use accounts::{AccountRecord, AccountRepo};
pub use balances::{BalanceRepo, BalanceSnapshot};
pub use connections::{Connection, ConnectionRepo, ConnectionStatus};
pub use intents::{IntentBinding, IntentRepo};
pub use transactions::{StoredTransaction, TransactionRepo};

/// Epoch milliseconds as RFC 3339 (UTC, milliseconds) for API answers.
pub fn iso_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
