//! The user's banking data in the table (docs/architecture.md §5): connections, intent bindings, accounts,
//! transactions and balance snapshots, each with its keys and its repository.

pub mod accounts;
pub mod balances;
pub mod connection;
pub mod intents;
pub mod transactions;

pub use accounts::{AccountRecord, AccountRepo};
pub use balances::{BalanceRepo, BalanceSnapshot};
pub use connection::{
    Connection, ConnectionRepo, ConnectionStatus, DueConnection, SyncCheckpoint, SyncLease,
    SyncState, Taken,
};
pub use intents::{IntentBinding, IntentRepo, LinkState};
pub use transactions::{StoredTransaction, TransactionRepo};
