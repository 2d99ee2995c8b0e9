//! How a connection moves on after a sync or a delete: what changes, decided here once. Pure.

use std::time::Duration;

use super::entity::{Connection, ConnectionStatus, SyncState};
use super::schedule::{AfterFailure, after_failure};
use crate::time::Timestamp;

/// Next scheduled sync after a good one (after a failed one: `schedule::backoff`).
pub const SYNC_INTERVAL: Duration = Duration::from_secs(12 * 3600);
/// Tombstones only answer repeated DELETEs; 30 days is plenty.
pub const TOMBSTONE_KEPT: Duration = Duration::from_secs(30 * 86_400);
/// How long after a delete a sync that loaded the connection before it may still write: no
/// Lambda runs longer than 15 minutes, plus a margin for clock differences between machines.
/// The scheduled run erases the connection's data once more after this (§3.7).
pub const ERASE_SETTLE: Duration = Duration::from_secs(20 * 60);

impl Connection {
    /// A sync succeeded at `now`: due again after the interval.
    pub fn synced(&mut self, now: Timestamp) {
        self.last_sync_at = Some(now);
        self.last_sync_status = Some("ok".into());
        self.next_sync_at = Some(now + SYNC_INTERVAL);
        self.updated_at = now;
        self.sync = SyncState::default();
    }

    /// A sync failed: due again after the backoff of its failures in a row, or parked after
    /// too many. A run that moved its checkpoint on made progress (a long history read over
    /// several runs): its count starts again, so progress never parks a connection.
    pub fn sync_failed(&mut self, now: Timestamp, progressed: bool) {
        self.last_sync_status = Some("failed".into());
        self.updated_at = now;
        if progressed {
            self.sync.failures = 0;
        }
        match after_failure(self.sync.failures, self.sync.parked_at.is_some()) {
            AfterFailure::RetryIn(wait) => self.next_sync_at = Some(now + wait),
            AfterFailure::Park => {
                self.next_sync_at = None;
                self.sync.parked_at = self.sync.parked_at.or(Some(now));
            }
        }
    }

    /// Whether the consent's expiry date has passed at `now` (Tarabut would refuse it).
    pub fn consent_expired(&self, now: Timestamp) -> bool {
        self.consent_expires_at.is_some_and(|at| at <= now)
    }

    /// The consent reached its expiry date: off the schedule for good (linking again makes a
    /// new connection). Distinct from reauth_required (Tarabut refused it before its date)
    /// and from revoked (the user deleted it).
    pub fn expire(&mut self, now: Timestamp) {
        self.status = ConnectionStatus::Expired;
        self.next_sync_at = None;
        self.updated_at = now;
        self.sync = SyncState::default();
    }

    /// The consent is revoked or expired: off the schedule until the user links again.
    pub fn require_reauth(&mut self, now: Timestamp) {
        self.status = ConnectionStatus::ReauthRequired;
        self.last_sync_status = Some("reauth_required".into());
        self.next_sync_at = None;
        self.updated_at = now;
        // A new consent starts its history and its count afresh.
        self.sync = SyncState::default();
    }

    /// The user deleted it: what stays is a revoked tombstone, off the schedule.
    pub fn tombstoned(&self, now: Timestamp) -> Connection {
        Connection {
            status: ConnectionStatus::Revoked,
            deleted_at: Some(now),
            updated_at: now,
            next_sync_at: None,
            erase_sweep_at: Some(now + ERASE_SETTLE),
            sync: Default::default(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::UserId;

    const NOW: Timestamp = Timestamp::from_millis(1_800_000_000_000);

    fn active(failures: u32) -> Connection {
        Connection {
            user: UserId::parse("u").unwrap(),
            connection_id: "c".into(),
            status: ConnectionStatus::Active,
            intent_id: "i".into(),
            provider_id: None,
            consent_id: Some("consent".into()),
            consent_expires_at: None,
            created_at: Timestamp::EPOCH,
            updated_at: Timestamp::EPOCH,
            last_sync_at: None,
            last_sync_status: None,
            next_sync_at: Some(NOW),
            deleted_at: None,
            erase_sweep_at: None,
            sync: SyncState {
                failures,
                ..SyncState::default()
            },
        }
    }

    #[test]
    fn a_failure_backs_off_by_its_count_and_the_eighth_parks() {
        let mut c = active(3);
        c.sync_failed(NOW, false);
        assert_eq!(c.next_sync_at, Some(NOW + Duration::from_secs(3600)));
        let mut c = active(8);
        c.sync_failed(NOW, false);
        assert_eq!((c.next_sync_at, c.sync.parked_at), (None, Some(NOW)));
    }

    #[test]
    fn progress_restarts_the_count_and_success_clears_everything() {
        let mut c = active(8);
        c.sync_failed(NOW, true);
        assert_eq!(c.sync.failures, 0);
        assert_eq!(c.next_sync_at, Some(NOW + Duration::from_secs(15 * 60)));
        let mut c = active(8);
        c.sync.parked_at = Some(NOW);
        c.synced(NOW);
        assert_eq!(c.sync, SyncState::default());
        assert_eq!(c.next_sync_at, Some(NOW + SYNC_INTERVAL));
    }

    /// The documented periods (docs/architecture.md §3.6, §3.7).
    #[test]
    fn the_periods_are_twelve_hours_thirty_days_and_twenty_minutes() {
        assert_eq!(SYNC_INTERVAL, Duration::from_secs(43_200));
        assert_eq!(TOMBSTONE_KEPT, Duration::from_secs(2_592_000));
        assert_eq!(ERASE_SETTLE, Duration::from_secs(1_200));
    }

    #[test]
    fn a_good_sync_records_itself_and_a_failed_one_too() {
        let later = NOW + Duration::from_secs(60);
        let mut c = active(2);
        c.synced(later);
        assert_eq!(c.last_sync_at, Some(later));
        assert_eq!(c.last_sync_status.as_deref(), Some("ok"));
        assert_eq!(c.updated_at, later);
        let mut c = active(0);
        c.sync_failed(later, false);
        assert_eq!(c.last_sync_status.as_deref(), Some("failed"));
        assert_eq!(c.updated_at, later);
        assert_eq!(c.last_sync_at, None, "a failure is not a sync");
        assert_eq!(c.next_sync_at, Some(later + Duration::from_secs(15 * 60)));
    }

    #[test]
    fn a_consent_expires_at_its_date() {
        let mut c = active(0);
        assert!(!c.consent_expired(NOW), "no date, no expiry");
        c.consent_expires_at = Some(NOW);
        assert!(c.consent_expired(NOW));
        assert!(c.consent_expired(NOW + Duration::from_secs(1)));
        assert!(!c.consent_expired(Timestamp::from_millis(NOW.millis() - 1)));
    }

    #[test]
    fn expiry_and_reauth_take_the_connection_off_the_schedule() {
        let later = NOW + Duration::from_secs(60);
        let mut c = active(3);
        c.expire(later);
        assert_eq!(c.status, ConnectionStatus::Expired);
        assert_eq!((c.next_sync_at, c.updated_at), (None, later));
        assert_eq!(c.sync, SyncState::default());
        let mut c = active(3);
        c.require_reauth(later);
        assert_eq!(c.status, ConnectionStatus::ReauthRequired);
        assert_eq!(c.last_sync_status.as_deref(), Some("reauth_required"));
        assert_eq!((c.next_sync_at, c.updated_at), (None, later));
        assert_eq!(c.sync, SyncState::default());
    }

    #[test]
    fn a_tombstone_keeps_the_identity_and_schedules_the_last_erasure() {
        let later = NOW + Duration::from_secs(60);
        let c = active(3);
        let tomb = c.tombstoned(later);
        assert_eq!(
            tomb,
            Connection {
                status: ConnectionStatus::Revoked,
                deleted_at: Some(later),
                updated_at: later,
                next_sync_at: None,
                erase_sweep_at: Some(later + Duration::from_secs(1_200)),
                sync: SyncState::default(),
                ..c
            }
        );
    }
}
