//! Connection items in the table: created once, saved only while not deleted, tombstoned on
//! delete, and taken from the due index by one cron run at a time.

use std::sync::Arc;

use super::entity::{Connection, ConnectionStatus, DueConnection, SyncCheckpoint, SyncLease};
use super::lifecycle::TOMBSTONE_KEPT;
use super::mapping::{
    DUE_SHARDS, ERASE_SWEEP_PARTITION, FAILURES, due_partition, due_sort_key, key, pk,
    set_checkpoint,
};
use super::schedule::{TakeDecision, on_take};
use crate::identity::UserId;
use crate::store::{
    Cond, ItemExt, Query, SortKey, StoreError, TTL_ATTRIBUTE, Table, Update, Value,
};
use crate::time::Timestamp;

#[derive(Clone)]
pub struct ConnectionRepo {
    table: Arc<dyn Table>,
}

impl ConnectionRepo {
    pub fn new(table: Arc<dyn Table>) -> ConnectionRepo {
        ConnectionRepo { table }
    }

    /// Creates a new pending connection that expires (TTL) at `expires` unless a completion
    /// replaces it first ([`ConnectionRepo::save`] writes no TTL); refuses to overwrite an
    /// existing id.
    pub async fn create_pending(
        &self,
        c: &Connection,
        expires: Timestamp,
    ) -> Result<(), StoreError> {
        let mut item = c.to_item();
        item.set_ttl(expires);
        self.table.put(item, Some(&Cond::not_exists("pk"))).await
    }

    /// The user's pending connections not yet past their expiry (DynamoDB removes expired
    /// items only eventually; the in-memory table never does).
    pub async fn count_pending(&self, user: &UserId, now: Timestamp) -> Result<usize, StoreError> {
        let items = self
            .table
            .query(&Query::partition(pk(user)).sort(SortKey::BeginsWith("CONN#".into())))
            .await?;
        let mut pending = 0;
        for item in &items {
            let live = item
                .opt_n(TTL_ATTRIBUTE)?
                .is_none_or(|at| at > now.epoch_secs());
            if item.s("status")? == ConnectionStatus::Pending.as_str() && live {
                pending += 1;
            }
        }
        Ok(pending)
    }

    /// Replaces the item (status changes, sync results). Guarded on the item still existing
    /// and not being deleted meanwhile.
    pub async fn save(&self, c: &Connection) -> Result<(), StoreError> {
        let cond = Cond::exists("pk").and(Cond::not_exists("deleted_at"));
        self.table.put(c.to_item(), Some(&cond)).await
    }

    /// One sync of a connection at a time, across processes: takes the sync lease on the
    /// connection item until `until` unless another holder's lease still runs. The holder's
    /// final [`ConnectionRepo::save`] releases it (a put writes no lease). An expired lease is
    /// judged by the taker's clock: machines that disagree by seconds take it seconds early,
    /// which costs a second set of Tarabut calls, never data.
    pub async fn lease_sync(
        &self,
        user: &UserId,
        connection_id: &str,
        lease_id: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<SyncLease, StoreError> {
        let key = key(user, connection_id);
        let cond = Cond::exists("pk").and(Cond::not_exists("deleted_at")).and(
            Cond::not_exists("sync_lease_until")
                .or(Cond::lt("sync_lease_until", Value::N(now.millis()))),
        );
        let r = self
            .table
            .update(
                &key,
                &[
                    Update::set("sync_lease_id", Value::S(lease_id.to_string())),
                    Update::set("sync_lease_until", Value::N(until.millis())),
                ],
                Some(&cond),
            )
            .await;
        match r {
            Ok(()) => Ok(SyncLease::Held),
            Err(StoreError::ConditionFailed) => {
                // Applied with its answer lost, the SDK's retry fails against our own lease:
                // the id read back tells.
                let Some(item) = self.table.get(&key, true).await? else {
                    return Ok(SyncLease::Gone);
                };
                if item.opt_time("deleted_at")?.is_some() {
                    return Ok(SyncLease::Gone);
                }
                if item.opt_s("sync_lease_id")? == Some(lease_id) {
                    return Ok(SyncLease::Held);
                }
                Ok(SyncLease::Busy {
                    until: item.opt_time("sync_lease_until")?.unwrap_or(now),
                })
            }
            Err(e) => Err(e),
        }
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

    /// Deleted connections whose last erasure is due at `now` (user, connection id), oldest
    /// first.
    pub async fn erase_sweep_due(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(UserId, String)>, StoreError> {
        let q = Query::partition(ERASE_SWEEP_PARTITION)
            .on_index(crate::store::GSI1)
            .sort(SortKey::LessOrEqual(due_sort_key(now)))
            .limit(limit);
        self.table
            .query(&q)
            .await?
            .iter()
            .map(|item| {
                let c = Connection::from_item(item)?;
                Ok((c.user, c.connection_id))
            })
            .collect()
    }

    /// The deleted connection's last erasure is done: off the sweep index. Only a tombstone is
    /// touched (an item that is not one is left alone).
    pub async fn erase_swept(&self, user: &UserId, connection_id: &str) -> Result<(), StoreError> {
        let r = self
            .table
            .update(
                &key(user, connection_id),
                &[
                    Update::remove("erase_sweep_at"),
                    Update::remove("gsi1pk"),
                    Update::remove("gsi1sk"),
                ],
                Some(&Cond::exists("deleted_at")),
            )
            .await;
        match r {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
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

#[cfg(test)]
#[path = "repo_tests.rs"]
mod tests;
