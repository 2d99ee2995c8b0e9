//! The token manager (docs/token-protocol.md): one Tarabut token per user, refreshed before it expires,
//! with concurrent Lambda invocations coordinated through a lease on the token item
//! (DynamoDB conditional writes), not an in-process mutex.

mod cache;
mod endpoint;
mod manager;
pub mod policy;
mod record;
mod repo;

use std::time::Duration;

pub use endpoint::TokenEndpoint;
pub use manager::{CallError, TokenManager};
pub use policy::{AccessToken, ClaimGuard, Decision};
pub use record::{Lease, TokenRecord};
pub use repo::{NewToken, TokenRepo};

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
