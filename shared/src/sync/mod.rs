//! The use-cases behind the routes: linking a bank, syncing, refreshing, deleting, and the
//! scheduled sync. They know nothing of HTTP.

pub mod connection;
mod consent;
pub mod cron;
pub mod link;
pub mod manage;

pub use connection::{Scope, SyncOutcome, SyncSummary, load_connection, sync_connection};
