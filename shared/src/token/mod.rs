//! Placeholder filled by the token-manager work.
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no valid Tarabut token could be had in time")]
    Unavailable { retry_after: Duration },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Mint(#[from] crate::tarabut::TarabutError),
}
