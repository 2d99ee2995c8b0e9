//! The connection's item: `USER#<user>` / `CONN#<connectionId>`; active ones carry the sparse
//! index attributes (`gsi1pk`/`gsi1sk`) that make them due for the cron, and so do deleted ones
//! until the cron's last erasure of their data.

use super::entity::{Connection, ConnectionStatus, DueConnection};
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
        })
    }
}

fn user_of(item: &Item) -> Result<UserId, StoreError> {
    UserId::parse(item.s("user_id")?)
        .ok_or_else(|| StoreError::Corrupt("connection user_id".into()))
}
