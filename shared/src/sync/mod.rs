//! Syncing the caller's banks: one connection's accounts, transactions and balances
//! ([`connection`]), what the user triggers (`POST /tarabut/sync`, `/finance/refresh`,
//! `/finance/refresh-balances`: [`mod@refresh`]), and the pure reading of a consent's account
//! list (`consent.rs`), shared with linking.

pub mod connection;
pub(crate) mod consent;
mod history;
pub mod pages;
pub mod refresh;

pub use connection::{Scope, SyncOutcome, SyncSummary, load_connection, sync_connection};
pub(crate) use refresh::refresh_claimed;
pub use refresh::{
    LiveBalance, LiveBalances, RefreshItem, RefreshRequest, RefreshResponse, SyncRequest, refresh,
    refresh_balances, sync_one,
};
