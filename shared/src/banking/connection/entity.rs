//! The connection entity: one bank consent of one user, and where it stands.

use chrono::NaiveDate;

use crate::identity::UserId;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStatus {
    Pending,
    Active,
    ReauthRequired,
    /// Its consent reached its expiry date: never synced again; linking again renews it.
    Expired,
    Revoked,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Pending => "pending",
            ConnectionStatus::Active => "active",
            ConnectionStatus::ReauthRequired => "reauth_required",
            ConnectionStatus::Expired => "expired",
            ConnectionStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<ConnectionStatus> {
        Some(match s {
            "pending" => ConnectionStatus::Pending,
            "active" => ConnectionStatus::Active,
            "reauth_required" => ConnectionStatus::ReauthRequired,
            "expired" => ConnectionStatus::Expired,
            "revoked" => ConnectionStatus::Revoked,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub user: UserId,
    pub connection_id: String,
    pub status: ConnectionStatus,
    pub intent_id: String,
    pub provider_id: Option<String>,
    pub consent_id: Option<String>,
    pub consent_expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_sync_at: Option<Timestamp>,
    /// `ok`, `failed` or `reauth_required`.
    pub last_sync_status: Option<String>,
    /// When the cron should sync it next (active connections only).
    pub next_sync_at: Option<Timestamp>,
    /// Set when the user deleted it: the item stays as a tombstone so a repeated DELETE
    /// answers 204, and expires through TTL.
    pub deleted_at: Option<Timestamp>,
    /// A deleted connection's last erasure, by the scheduled run, is due at this time: once
    /// every sync that could have loaded the connection before the delete has ended
    /// (docs/architecture.md §3.7). Cleared when done.
    pub erase_sweep_at: Option<Timestamp>,
    /// Where an interrupted sync resumes, and the failures in a row.
    pub sync: SyncState,
}

/// The scheduled sync's bookkeeping on a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncState {
    /// The next page of an account's history that an interrupted run did not save.
    pub resume: Option<SyncCheckpoint>,
    /// Scheduled attempts in a row that did not end in a good sync (a take counts before the
    /// sync runs, so a crash counts): `schedule.rs`.
    pub failures: u32,
    /// Set when the cron gave up after too many failures: off the schedule until a sync the
    /// user triggers succeeds.
    pub parked_at: Option<Timestamp>,
}

/// A sync's place in one account's history: the query it was reading (`from`) and the next
/// page to read. Page numbers only mean something for the same query, so `from` is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCheckpoint {
    pub account_id: String,
    pub from: NaiveDate,
    pub next_page: u32,
}

/// A connection the cron found due: enough to load it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueConnection {
    pub user: UserId,
    pub connection_id: String,
    pub next_sync_at: Timestamp,
    /// Failures in a row so far (`SyncState::failures`).
    pub failures: u32,
}

/// What taking a connection's sync lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncLease {
    /// Ours until it expires or our result is saved.
    Held,
    /// Another sync holds it until then.
    Busy { until: Timestamp },
    /// The connection is deleted (or gone).
    Gone,
}
