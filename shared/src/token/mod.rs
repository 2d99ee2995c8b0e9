//! The token manager (DESIGN §4): one Tarabut token per user, refreshed before it expires,
//! with concurrent Lambda invocations coordinated through a lease on the token item
//! (DynamoDB conditional writes), not an in-process mutex.

mod cache;
mod manager;
pub mod policy;
mod record;
mod repo;

use std::time::Duration;

pub use manager::{CallError, TokenManager};
pub use policy::{AccessToken, Decision, TokenPolicy};
pub use record::{Lease, TokenRecord};
pub use repo::TokenRepo;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No valid token could be had before the deadline, or minting is backing off after
    /// failures: answer 503 with `Retry-After`.
    #[error("no valid Tarabut token could be had in time")]
    Unavailable { retry_after: Duration },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The token endpoint refused us outright (bad client credentials, say): not a matter of
    /// waiting.
    #[error("minting a Tarabut token failed: {0}")]
    Mint(crate::tarabut::TarabutError),
}

/// Wall-clock epoch milliseconds: stored times are compared across machines (Lambda hosts
/// keep NTP time; leases are seconds long, skew is milliseconds).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
