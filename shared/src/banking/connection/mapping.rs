//! The connection's item: `USER#<user>` / `CONN#<connectionId>`; active ones carry the sparse
//! index attributes (`gsi1pk`/`gsi1sk`) that make them due for the cron, and so do deleted ones
//! until the cron's last erasure of their data.

use super::entity::{Connection, ConnectionStatus, DueConnection, SyncCheckpoint, SyncState};
use crate::identity::UserId;
use crate::store::{Item, ItemExt, Key, StoreError};
use crate::time::Timestamp;

/// Shards of the due index, so the cron's reads spread over partitions.
pub const DUE_SHARDS: u32 = 8;

pub fn pk(user: &UserId) -> String {
    format!("USER#{}", user.as_str())
}

pub fn key(user: &UserId, connection_id: &str) -> Key {
    Key::new(pk(user), format!("CONN#{connection_id}"))
}

pub(super) fn shard(user: &UserId, connection_id: &str) -> u32 {
    // FNV-1a: stable across processes and versions (std's hasher is randomly seeded).
    let mut h: u32 = 0x811c_9dc5;
    for b in user
        .as_str()
        .bytes()
        .chain([b'#'])
        .chain(connection_id.bytes())
    {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % DUE_SHARDS
}

/// The index partition of deleted connections whose data the scheduled run erases once more.
pub const ERASE_SWEEP_PARTITION: &str = "ERASESWEEP";

pub fn due_partition(shard: u32) -> String {
    format!("DUE#{shard:02}")
}

/// Index sort key: zero-padded epoch ms so string order is time order.
pub fn due_sort_key(at: Timestamp) -> String {
    format!("{:013}", at.millis().max(0))
}

impl Connection {
    pub(super) fn to_item(&self) -> Item {
        let mut item = key(&self.user, &self.connection_id).item();
        item.set_s("user_id", self.user.as_str());
        item.set_s("connection_id", &self.connection_id);
        item.set_s("status", self.status.as_str());
        item.set_s("intent_id", &self.intent_id);
        item.set_opt_s("provider_id", self.provider_id.clone());
        item.set_opt_s("consent_id", self.consent_id.clone());
        item.set_opt_time("consent_expires_at", self.consent_expires_at);
        item.set_time("created_at", self.created_at);
        item.set_time("updated_at", self.updated_at);
        item.set_opt_time("last_sync_at", self.last_sync_at);
        item.set_opt_s("last_sync_status", self.last_sync_status.clone());
        item.set_opt_time("deleted_at", self.deleted_at);
        if let Some(cp) = &self.sync.resume {
            set_checkpoint(&mut item, cp);
        }
        // Absent when zero: items written before the count existed read the same.
        if self.sync.failures > 0 {
            item.set_n(FAILURES, i64::from(self.sync.failures));
        }
        item.set_opt_time("parked_at", self.sync.parked_at);
        if let (ConnectionStatus::Active, Some(next)) = (self.status, self.next_sync_at) {
            item.set_time("next_sync_at", next);
            item.set_s(
                "gsi1pk",
                due_partition(shard(&self.user, &self.connection_id)),
            );
            item.set_s("gsi1sk", due_sort_key(next));
        }
        if let (Some(_), Some(sweep_at)) = (self.deleted_at, self.erase_sweep_at) {
            item.set_time("erase_sweep_at", sweep_at);
            item.set_s("gsi1pk", ERASE_SWEEP_PARTITION);
            item.set_s("gsi1sk", due_sort_key(sweep_at));
        }
        item
    }

    pub(super) fn from_item(item: &Item) -> Result<Connection, StoreError> {
        let status = item.s("status")?;
        Ok(Connection {
            user: user_of(item)?,
            connection_id: item.s("connection_id")?.to_string(),
            status: ConnectionStatus::parse(status)
                .ok_or_else(|| StoreError::Corrupt(format!("connection status {status:?}")))?,
            intent_id: item.s("intent_id")?.to_string(),
            provider_id: item.opt_s("provider_id")?.map(str::to_string),
            consent_id: item.opt_s("consent_id")?.map(str::to_string),
            consent_expires_at: item.opt_time("consent_expires_at")?,
            created_at: item.time("created_at")?,
            updated_at: item.time("updated_at")?,
            last_sync_at: item.opt_time("last_sync_at")?,
            last_sync_status: item.opt_s("last_sync_status")?.map(str::to_string),
            next_sync_at: item.opt_time("next_sync_at")?,
            deleted_at: item.opt_time("deleted_at")?,
            erase_sweep_at: item.opt_time("erase_sweep_at")?,
            sync: SyncState {
                resume: checkpoint_of(item)?,
                failures: failures_of(item)?,
                parked_at: item.opt_time("parked_at")?,
            },
        })
    }
}

impl DueConnection {
    /// From an item of the due index (projected attributes only).
    pub(super) fn from_index_item(item: &Item) -> Result<DueConnection, StoreError> {
        Ok(DueConnection {
            user: user_of(item)?,
            connection_id: item.s("connection_id")?.to_string(),
            next_sync_at: item.time("next_sync_at")?,
            failures: failures_of(item)?,
        })
    }
}

/// The checkpoint's attributes (`resume_account`, `resume_from`, `resume_page`).
pub(super) fn set_checkpoint(item: &mut Item, cp: &SyncCheckpoint) {
    item.set_s("resume_account", &cp.account_id);
    item.set_s("resume_from", cp.from.to_string());
    item.set_n("resume_page", i64::from(cp.next_page));
}

fn checkpoint_of(item: &Item) -> Result<Option<SyncCheckpoint>, StoreError> {
    let Some(page) = item.opt_n("resume_page")? else {
        return Ok(None);
    };
    let corrupt = |what: &str| StoreError::Corrupt(format!("connection checkpoint {what}"));
    Ok(Some(SyncCheckpoint {
        account_id: item.s("resume_account")?.to_string(),
        from: item
            .s("resume_from")?
            .parse()
            .map_err(|_| corrupt("resume_from"))?,
        next_page: u32::try_from(page).map_err(|_| corrupt("resume_page"))?,
    }))
}

/// The consecutive-failure count's attribute.
pub(super) const FAILURES: &str = "sync_failures";

fn failures_of(item: &Item) -> Result<u32, StoreError> {
    let n = item.opt_n(FAILURES)?.unwrap_or(0);
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("{FAILURES} {n}")))
}

fn user_of(item: &Item) -> Result<UserId, StoreError> {
    UserId::parse(item.s("user_id")?)
        .ok_or_else(|| StoreError::Corrupt("connection user_id".into()))
}
