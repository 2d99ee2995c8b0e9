//! How a connection moves on after a sync or a delete: what changes, decided here once. Pure.

use std::time::Duration;

use super::entity::{Connection, ConnectionStatus};
use crate::time::Timestamp;

/// Next scheduled sync after a good one, and after a failed one.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(12 * 3600);
pub const RETRY_INTERVAL: Duration = Duration::from_secs(30 * 60);
/// Tombstones only answer repeated DELETEs; 30 days is plenty.
pub const TOMBSTONE_KEPT: Duration = Duration::from_secs(30 * 86_400);

impl Connection {
    /// A sync succeeded at `now`: due again after the interval.
    pub fn synced(&mut self, now: Timestamp) {
        self.last_sync_at = Some(now);
        self.last_sync_status = Some("ok".into());
        self.next_sync_at = Some(now + SYNC_INTERVAL);
        self.updated_at = now;
        self.sync.resume = None;
    }

    /// A sync failed: due again sooner.
    pub fn sync_failed(&mut self, now: Timestamp) {
        self.last_sync_status = Some("failed".into());
        self.next_sync_at = Some(now + RETRY_INTERVAL);
        self.updated_at = now;
    }

    /// The consent is revoked or expired: off the schedule until the user links again.
    pub fn require_reauth(&mut self, now: Timestamp) {
        self.status = ConnectionStatus::ReauthRequired;
        self.last_sync_status = Some("reauth_required".into());
        self.next_sync_at = None;
        self.updated_at = now;
        // A new consent starts its history afresh.
        self.sync.resume = None;
    }

    /// The user deleted it: what stays is a revoked tombstone, off the schedule.
    pub fn tombstoned(&self, now: Timestamp) -> Connection {
        Connection {
            status: ConnectionStatus::Revoked,
            deleted_at: Some(now),
            updated_at: now,
            next_sync_at: None,
            sync: Default::default(),
            ..self.clone()
        }
    }
}
