//! The common library of every function: everything a route does, in layers. A route's whole
//! behaviour is one hop from its `functions/<name>/src/lib.rs`: the handler reads the request
//! with [`http`], calls one use case, and shapes the answer.
//!
//! # Layout
//!
//! **Use cases** (what the user is served; they know nothing of HTTP and fail with
//! [`error::UseCaseError`]):
//! - [`linking`]: connect a bank (the Tarabut intent) and Tarabut's redirect back (callback).
//! - [`connections`]: list the caller's connections, delete one (revoke, then erase).
//! - [`accounts`], [`transactions`]: the caller's accounts, and their transactions a page at
//!   a time behind an authenticated cursor.
//! - [`erasure`]: erasure that sticks while syncs run: reads hide a deleted connection's data,
//!   and its data is erased again by the sync that raced the delete and by the schedule.
//! - [`sync`]: sync one connection; what the user triggers (sync, refresh, live balances).
//! - [`scheduled_sync`]: the EventBridge-scheduled sync of every due connection.
//! - [`insights`]: the insight routes over the pure engine (crate `insights_engine`).
//! - [`export`]: a copy of everything held for the caller, written to S3, handed out by URL.
//! - [`quota`]: limits that protect the shared Tarabut quota (per-user sync interval).
//! - [`audit`]: the audit trail of every access to and change of a user's banking data.
//!
//! **HTTP glue**: [`http`] reads the caller, body and query of an API Gateway event and is the
//! one place errors become RFC 9457 problem details.
//!
//! **The token manager**: [`token`], one Tarabut token per user refreshed ahead of expiry and
//! coordinated across Lambda invocations by a lease on the token item
//! (`docs/token-protocol.md`); its decision is the pure [`token::policy`].
//!
//! **Adapters** (I/O): [`store`] (the item-level `Table` trait, DynamoDB and in-memory),
//! [`banking`] (typed records and repositories over the table), [`tarabut`] (the HTTP client).
//!
//! **Foundation**: [`config`], [`time`] (timestamps, the clock, deadlines), [`identity`],
//! [`secret`], [`secrets`] (read at init from Secrets Manager), [`telemetry`] (logs) and
//! [`metrics`] (CloudWatch EMF lines), [`money`] (re-exported from the engine crate), and
//! [`state::AppState`], built once per cold start.
//!
//! Design notes: `docs/architecture.md` (routes, data model, adding a route).

pub mod accounts;
pub mod audit;
pub mod banking;
pub mod config;
pub mod connections;
pub mod erasure;
pub mod error;
pub mod export;
pub mod http;
pub mod identity;
pub mod insights;
pub mod linking;
pub mod metrics;
pub mod quota;
pub mod scheduled_sync;
pub mod secret;
pub mod secrets;
pub mod state;
pub mod store;
pub mod sync;
pub mod tarabut;
pub mod telemetry;
pub mod time;
pub mod token;
pub mod transactions;

#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

pub use insights_engine::money;
pub use state::AppState;
