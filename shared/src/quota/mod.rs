//! Limits that protect the Tarabut quota every user shares (one client credential for all):
//! a per-user minimum interval between the syncs a user triggers, and one sync of a connection
//! at a time (the lease on the connection item, `banking::connection`). Both are conditional
//! writes, so they hold across Lambda processes (docs/architecture.md §3.8).

mod repo;

use std::time::Duration;

pub use repo::{Claim, LimitRepo};

use crate::AppState;
use crate::error::UseCaseError;
use crate::identity::UserId;

/// What a user triggers, limited separately: a sync of transactions (`POST /tarabut/sync`,
/// `POST /finance/refresh`, `refresh=true` on insights) or live balances
/// (`POST /finance/refresh-balances`, a lighter call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSync {
    Transactions,
    Balances,
}

impl UserSync {
    fn kind(self) -> &'static str {
        match self {
            UserSync::Transactions => "sync",
            UserSync::Balances => "balances",
        }
    }
}

/// Claims the user's next sync of `what`, or fails with `TooManyRequests` and how long to
/// wait. An interval of zero (configuration) turns the limit off.
pub async fn claim_user_sync(
    state: &AppState,
    user: &UserId,
    what: UserSync,
) -> Result<(), UseCaseError> {
    let interval = state.config.user_sync_interval;
    if interval.is_zero() {
        return Ok(());
    }
    let claim_id = uuid::Uuid::new_v4().simple().to_string();
    let claimed = state
        .limits
        .claim(user, what.kind(), &claim_id, state.clock.now(), interval)
        .await?;
    match claimed {
        Claim::Granted => Ok(()),
        Claim::Wait(wait) => Err(UseCaseError::TooManyRequests {
            retry_after: round_up_to_secs(wait),
        }),
    }
}

/// `Retry-After` is in whole seconds: never tell a client to come back before it may.
fn round_up_to_secs(d: Duration) -> Duration {
    let secs = d.as_millis().div_ceil(1000).max(1);
    Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_round_up_to_a_whole_second() {
        assert_eq!(
            round_up_to_secs(Duration::from_millis(1)),
            Duration::from_secs(1)
        );
        assert_eq!(round_up_to_secs(Duration::ZERO), Duration::from_secs(1));
        assert_eq!(
            round_up_to_secs(Duration::from_millis(59_001)),
            Duration::from_secs(60)
        );
        assert_eq!(
            round_up_to_secs(Duration::from_secs(60)),
            Duration::from_secs(60)
        );
    }
}
