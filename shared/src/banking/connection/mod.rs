//! A bank connection: the entity and its statuses (`entity.rs`), how a sync or a delete moves
//! it on (`lifecycle.rs`, pure), when the cron tries again or gives up (`schedule.rs`, pure), its item in the table (`mapping.rs`), and its repository (`repo.rs`).

mod entity;
mod lifecycle;
mod mapping;
mod repo;
pub mod schedule;

pub use entity::{
    Connection, ConnectionStatus, DueConnection, SyncCheckpoint, SyncLease, SyncState,
};
pub use lifecycle::{ERASE_SETTLE, SYNC_INTERVAL, TOMBSTONE_KEPT};
pub use mapping::{DUE_SHARDS, due_partition, due_sort_key, key, pk};
pub use repo::{ConnectionRepo, Taken};
