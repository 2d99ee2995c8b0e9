//! Connection items: `USER#<user>` / `CONN#<connectionId>`; active ones carry the sparse
//! index attributes that make them due for the cron.

use std::sync::Arc;

use crate::identity::UserId;
use crate::store::{Cond, Item, ItemExt, Key, Query, SortKey, StoreError, Table, Update, Value};

/// Next scheduled sync after a good one, and after a failed one.
pub const SYNC_INTERVAL_MS: i64 = 12 * 3_600_000;
pub const RETRY_INTERVAL_MS: i64 = 30 * 60_000;

/// Shards of the due index, so the cron's reads spread over partitions.
pub const DUE_SHARDS: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStatus {
    Pending,
    Active,
    ReauthRequired,
    Revoked,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Pending => "pending",
            ConnectionStatus::Active => "active",
            ConnectionStatus::ReauthRequired => "reauth_required",
            ConnectionStatus::Revoked => "revoked",
        }
    }

    fn parse(s: &str) -> Result<ConnectionStatus, StoreError> {
        Ok(match s {
            "pending" => ConnectionStatus::Pending,
            "active" => ConnectionStatus::Active,
            "reauth_required" => ConnectionStatus::ReauthRequired,
            "revoked" => ConnectionStatus::Revoked,
            other => return Err(StoreError::Corrupt(format!("connection status {other:?}"))),
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
    pub consent_expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_sync_at: Option<i64>,
    /// `ok`, `failed` or `reauth_required`.
    pub last_sync_status: Option<String>,
    /// When the cron should sync it next (active connections only).
    pub next_sync_at: Option<i64>,
    /// Set when the user deleted it: the item stays as a tombstone so a repeated DELETE
    /// answers 204, and expires through TTL.
    pub deleted_at: Option<i64>,
}

pub fn pk(user: &UserId) -> String {
    format!("USER#{}", user.as_str())
}

pub fn key(user: &UserId, connection_id: &str) -> Key {
    Key::new(pk(user), format!("CONN#{connection_id}"))
}

fn shard(user: &UserId, connection_id: &str) -> u32 {
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

pub fn due_partition(shard: u32) -> String {
    format!("DUE#{shard:02}")
}

/// Index sort key: zero-padded epoch ms so string order is time order.
pub fn due_sort_key(at: i64) -> String {
    format!("{:013}", at.max(0))
}

/// The connection's life after a sync: what changes, decided here once.
impl Connection {
    /// A sync succeeded at `now`: due again after the interval.
    pub fn synced(&mut self, now: i64) {
        self.last_sync_at = Some(now);
        self.last_sync_status = Some("ok".into());
        self.next_sync_at = Some(now + SYNC_INTERVAL_MS);
        self.updated_at = now;
    }

    /// A sync failed: due again sooner.
    pub fn sync_failed(&mut self, now: i64) {
        self.last_sync_status = Some("failed".into());
        self.next_sync_at = Some(now + RETRY_INTERVAL_MS);
        self.updated_at = now;
    }

    /// The consent is revoked or expired: off the schedule until the user links again.
    pub fn require_reauth(&mut self, now: i64) {
        self.status = ConnectionStatus::ReauthRequired;
        self.last_sync_status = Some("reauth_required".into());
        self.next_sync_at = None;
        self.updated_at = now;
    }
}

impl Connection {
    fn to_item(&self) -> Item {
        let mut item = key(&self.user, &self.connection_id).item();
        item.set_s("user_id", self.user.as_str());
        item.set_s("connection_id", &self.connection_id);
        item.set_s("status", self.status.as_str());
        item.set_s("intent_id", &self.intent_id);
        item.set_opt_s("provider_id", self.provider_id.clone());
        item.set_opt_s("consent_id", self.consent_id.clone());
        item.set_opt_n("consent_expires_at", self.consent_expires_at);
        item.set_n("created_at", self.created_at);
        item.set_n("updated_at", self.updated_at);
        item.set_opt_n("last_sync_at", self.last_sync_at);
        item.set_opt_s("last_sync_status", self.last_sync_status.clone());
        item.set_opt_n("deleted_at", self.deleted_at);
        if let (ConnectionStatus::Active, Some(next)) = (self.status, self.next_sync_at) {
            item.set_n("next_sync_at", next);
            item.set_s(
                "gsi1pk",
                due_partition(shard(&self.user, &self.connection_id)),
            );
            item.set_s("gsi1sk", due_sort_key(next));
        }
        item
    }

    fn from_item(item: &Item) -> Result<Connection, StoreError> {
        let user = UserId::parse(item.s("user_id")?)
            .ok_or_else(|| StoreError::Corrupt("connection user_id".into()))?;
        Ok(Connection {
            user,
            connection_id: item.s("connection_id")?.to_string(),
            status: ConnectionStatus::parse(item.s("status")?)?,
            intent_id: item.s("intent_id")?.to_string(),
            provider_id: item.opt_s("provider_id")?.map(str::to_string),
            consent_id: item.opt_s("consent_id")?.map(str::to_string),
            consent_expires_at: item.opt_n("consent_expires_at")?,
            created_at: item.n("created_at")?,
            updated_at: item.n("updated_at")?,
            last_sync_at: item.opt_n("last_sync_at")?,
            last_sync_status: item.opt_s("last_sync_status")?.map(str::to_string),
            next_sync_at: item.opt_n("next_sync_at")?,
            deleted_at: item.opt_n("deleted_at")?,
        })
    }
}

/// A connection the cron found due: enough to load it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueConnection {
    pub user: UserId,
    pub connection_id: String,
    pub next_sync_at: i64,
}

#[derive(Clone)]
pub struct ConnectionRepo {
    table: Arc<dyn Table>,
}

impl ConnectionRepo {
    pub fn new(table: Arc<dyn Table>) -> ConnectionRepo {
        ConnectionRepo { table }
    }

    /// Creates a new connection; refuses to overwrite an existing id.
    pub async fn create(&self, c: &Connection) -> Result<(), StoreError> {
        self.table
            .put(c.to_item(), Some(&Cond::not_exists("pk")))
            .await
    }

    /// Replaces the item (status changes, sync results). Guarded on the item still existing
    /// and not being deleted meanwhile.
    pub async fn save(&self, c: &Connection) -> Result<(), StoreError> {
        let cond = Cond::exists("pk").and(Cond::not_exists("deleted_at"));
        self.table.put(c.to_item(), Some(&cond)).await
    }

    /// Deletes a connection whose linking failed, only while it is still pending (a late
    /// callback must not remove a connection that became active meanwhile).
    pub async fn delete_pending(&self, c: &Connection) -> Result<(), StoreError> {
        let cond = Cond::eq(
            "status",
            Value::S(ConnectionStatus::Pending.as_str().into()),
        );
        match self
            .table
            .delete(&key(&c.user, &c.connection_id), Some(&cond))
            .await
        {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Writes a tombstone (status revoked, deleted_at, TTL) in place of the connection.
    pub async fn tombstone(&self, c: &Connection, now: i64) -> Result<(), StoreError> {
        let mut t = c.clone();
        t.status = ConnectionStatus::Revoked;
        t.deleted_at = Some(now);
        t.updated_at = now;
        t.next_sync_at = None;
        let mut item = t.to_item();
        // Tombstones only answer repeated DELETEs; 30 days is plenty.
        item.set_n("expires_at_s", now / 1000 + 30 * 86_400);
        self.table.put(item, None).await
    }

    pub async fn get(
        &self,
        user: &UserId,
        connection_id: &str,
    ) -> Result<Option<Connection>, StoreError> {
        self.table
            .get(&key(user, connection_id), true)
            .await?
            .map(|i| Connection::from_item(&i))
            .transpose()
    }

    /// All of the user's connections, tombstones included.
    pub async fn list(&self, user: &UserId) -> Result<Vec<Connection>, StoreError> {
        self.table
            .query(&Query::partition(pk(user)).sort(SortKey::BeginsWith("CONN#".into())))
            .await?
            .iter()
            .map(Connection::from_item)
            .collect()
    }

    /// Connections due at `now`, oldest first, across the index shards.
    pub async fn due(&self, now: i64, limit: usize) -> Result<Vec<DueConnection>, StoreError> {
        let mut due = Vec::new();
        for s in 0..DUE_SHARDS {
            let q = Query::partition(due_partition(s))
                .on_index(crate::store::GSI1)
                .sort(SortKey::LessOrEqual(due_sort_key(now)))
                .limit(limit);
            for item in self.table.query(&q).await? {
                let user = UserId::parse(item.s("user_id")?)
                    .ok_or_else(|| StoreError::Corrupt("connection user_id".into()))?;
                due.push(DueConnection {
                    user,
                    connection_id: item.s("connection_id")?.to_string(),
                    next_sync_at: item.n("next_sync_at")?,
                });
            }
        }
        due.sort_by_key(|d| d.next_sync_at);
        due.truncate(limit);
        Ok(due)
    }

    /// Takes a due connection for one cron run: moves its next sync to `hold_until` if it is
    /// still the one the index showed. Overlapping cron runs (or a slow index) cannot both
    /// take it. `false` when someone else took it or it changed.
    pub async fn take_due(&self, d: &DueConnection, hold_until: i64) -> Result<bool, StoreError> {
        let cond = Cond::eq("next_sync_at", Value::N(d.next_sync_at))
            .and(Cond::eq("status", Value::S("active".into())));
        let r = self
            .table
            .update(
                &key(&d.user, &d.connection_id),
                &[
                    Update::set("next_sync_at", Value::N(hold_until)),
                    Update::set("gsi1sk", Value::S(due_sort_key(hold_until))),
                ],
                Some(&cond),
            )
            .await;
        match r {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
