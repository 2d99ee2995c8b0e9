//! Connection items in the table: created once, saved only while not deleted, tombstoned on
//! delete, and taken from the due index by one cron run at a time.

use std::sync::Arc;

use super::entity::{Connection, ConnectionStatus, DueConnection, SyncCheckpoint};
use super::lifecycle::TOMBSTONE_KEPT;
use super::mapping::{DUE_SHARDS, FAILURES, due_partition, due_sort_key, key, pk, set_checkpoint};
use super::schedule::{TakeDecision, on_take};
use crate::identity::UserId;
use crate::store::{Cond, ItemExt, Query, SortKey, StoreError, Table, Update, Value};
use crate::time::Timestamp;

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

    /// Stores where a running sync has got to, unless the connection was deleted meanwhile
    /// (`ConditionFailed` then: the sync must stop, its data is being erased).
    pub async fn save_checkpoint(
        &self,
        user: &UserId,
        connection_id: &str,
        cp: &SyncCheckpoint,
    ) -> Result<(), StoreError> {
        let cond = Cond::exists("pk").and(Cond::not_exists("deleted_at"));
        let mut attrs = crate::store::Item::new();
        set_checkpoint(&mut attrs, cp);
        let updates: Vec<Update> = attrs
            .into_iter()
            .map(|(name, value)| Update::set(&name, value))
            .collect();
        self.table
            .update(&key(user, connection_id), &updates, Some(&cond))
            .await
    }

    /// Deletes a connection whose linking failed, only while it is still pending (a late
    /// callback must not remove a connection that became active meanwhile).
    pub async fn delete_pending(
        &self,
        user: &UserId,
        connection_id: &str,
    ) -> Result<(), StoreError> {
        let cond = Cond::eq(
            "status",
            Value::S(ConnectionStatus::Pending.as_str().into()),
        );
        match self
            .table
            .delete(&key(user, connection_id), Some(&cond))
            .await
        {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Writes a tombstone (status revoked, deleted_at, TTL) in place of the connection.
    pub async fn tombstone(&self, c: &Connection, now: Timestamp) -> Result<(), StoreError> {
        let mut item = c.tombstoned(now).to_item();
        item.set_ttl(now + TOMBSTONE_KEPT);
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
    pub async fn due(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<DueConnection>, StoreError> {
        let mut due = Vec::new();
        for s in 0..DUE_SHARDS {
            let q = Query::partition(due_partition(s))
                .on_index(crate::store::GSI1)
                .sort(SortKey::LessOrEqual(due_sort_key(now)))
                .limit(limit);
            for item in self.table.query(&q).await? {
                due.push(DueConnection::from_index_item(&item)?);
            }
        }
        due.sort_by_key(|d| d.next_sync_at);
        due.truncate(limit);
        Ok(due)
    }

    /// Takes a due connection for one cron run, if it is still the one the index showed
    /// (same `next_sync_at` and failure count: overlapping cron runs, or a slow index, cannot
    /// both take it). The take counts as an attempt before the sync runs, so a run that dies
    /// mid-sync is counted; it holds the connection for the attempt's backoff (`schedule.rs`),
    /// which is also the wait if the attempt never reports. A connection with too many
    /// failures in a row is parked instead.
    pub async fn take_due(&self, d: &DueConnection, now: Timestamp) -> Result<Taken, StoreError> {
        let unchanged_failures = if d.failures == 0 {
            Cond::not_exists(FAILURES).or(Cond::eq(FAILURES, Value::N(0)))
        } else {
            Cond::eq(FAILURES, Value::N(i64::from(d.failures)))
        };
        let cond = Cond::eq("next_sync_at", Value::N(d.next_sync_at.millis()))
            .and(Cond::eq("status", Value::S("active".into())))
            .and(unchanged_failures);
        let (updates, taken) = match on_take(d.failures) {
            TakeDecision::Sync { hold } => {
                let until = now + hold;
                (
                    vec![
                        Update::increment(FAILURES, 1),
                        Update::set("next_sync_at", Value::N(until.millis())),
                        Update::set("gsi1sk", Value::S(due_sort_key(until))),
                    ],
                    Taken::ToSync,
                )
            }
            TakeDecision::Park => (
                vec![
                    Update::set("parked_at", Value::N(now.millis())),
                    Update::remove("next_sync_at"),
                    Update::remove("gsi1pk"),
                    Update::remove("gsi1sk"),
                ],
                Taken::Parked,
            ),
        };
        let r = self
            .table
            .update(&key(&d.user, &d.connection_id), &updates, Some(&cond))
            .await;
        match r {
            Ok(()) => Ok(taken),
            Err(StoreError::ConditionFailed) => Ok(Taken::Lost),
            Err(e) => Err(e),
        }
    }
}

/// How a take from the due index ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// This run syncs it now.
    ToSync,
    /// Too many failures in a row: parked, not synced.
    Parked,
    /// Another run took it, or it changed since the index was read.
    Lost,
}
