//! The connection item's guards on the embedded table (which passes the same conformance
//! suite as DynamoDB). Concurrency is proven on dynalite by the route tests
//! (`cron-sync-banks`, `tarabut-callback`); these pin each write's condition and the item.

use std::time::Duration;

use chrono::NaiveDate;

use super::super::entity::SyncState;
use super::super::lifecycle::ERASE_SETTLE;
use super::super::mapping::shard;
use super::super::schedule::{MAX_CONSECUTIVE_FAILURES, backoff};
use super::*;
use crate::store::{GSI1, ItemExt, Key, MemoryTable};

const T0: Timestamp = Timestamp::from_millis(1_800_000_000_000);

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(T0.millis() + minutes * 60_000)
}

fn user() -> UserId {
    UserId::parse("user-1").expect("a user id")
}

fn repo() -> (Arc<MemoryTable>, ConnectionRepo) {
    let table = Arc::new(MemoryTable::new());
    (table.clone(), ConnectionRepo::new(table))
}

fn connection(id: &str, status: ConnectionStatus) -> Connection {
    Connection {
        user: user(),
        connection_id: id.into(),
        status,
        intent_id: format!("intent-{id}"),
        provider_id: None,
        consent_id: None,
        consent_expires_at: None,
        created_at: T0,
        updated_at: T0,
        last_sync_at: None,
        last_sync_status: None,
        next_sync_at: None,
        deleted_at: None,
        erase_sweep_at: None,
        sync: SyncState::default(),
    }
}

fn active(id: &str, next_sync_at: Timestamp) -> Connection {
    Connection {
        next_sync_at: Some(next_sync_at),
        ..connection(id, ConnectionStatus::Active)
    }
}

async fn raw(table: &MemoryTable, id: &str) -> crate::store::Item {
    table
        .get(&key(&user(), id), true)
        .await
        .expect("read")
        .expect("the item")
}

async fn stored(repo: &ConnectionRepo, id: &str) -> Connection {
    repo.get(&user(), id)
        .await
        .expect("read")
        .expect("the connection")
}

#[test]
fn every_status_is_stored_by_its_name_and_read_back() {
    let all = [
        ConnectionStatus::Pending,
        ConnectionStatus::Active,
        ConnectionStatus::ReauthRequired,
        ConnectionStatus::Expired,
        ConnectionStatus::Revoked,
    ];
    let names: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        ["pending", "active", "reauth_required", "expired", "revoked"]
    );
    for s in all {
        assert_eq!(ConnectionStatus::parse(s.as_str()), Some(s));
    }
    assert_eq!(ConnectionStatus::parse("Active"), None);
}

#[tokio::test]
async fn every_field_reads_back_as_saved() {
    let (table, repo) = repo();
    repo.create_pending(&connection("c-1", ConnectionStatus::Pending), at(30))
        .await
        .expect("created");
    assert_eq!(
        raw(&table, "c-1").await.n(TTL_ATTRIBUTE).expect("TTL"),
        at(30).epoch_secs()
    );
    let full = Connection {
        provider_id: Some("BHR-BANK".into()),
        consent_id: Some("consent-1".into()),
        consent_expires_at: Some(at(90 * 24 * 60)),
        updated_at: at(2),
        last_sync_at: Some(at(1)),
        last_sync_status: Some("failed".into()),
        sync: SyncState {
            resume: Some(SyncCheckpoint {
                account_id: "acc-1".into(),
                from: NaiveDate::from_ymd_opt(2025, 12, 1).expect("a date"),
                next_page: 4,
            }),
            failures: 3,
            parked_at: Some(at(5)),
        },
        ..active("c-1", at(60))
    };
    repo.save(&full).await.expect("saved");
    assert_eq!(stored(&repo, "c-1").await, full);
    let item = raw(&table, "c-1").await;
    assert_eq!(
        item.opt_n(TTL_ATTRIBUTE).expect("number"),
        None,
        "a save keeps no TTL"
    );
    // Failures are absent at zero (items from before the count read the same).
    repo.save(&active("c-1", at(60))).await.expect("saved");
    assert_eq!(
        raw(&table, "c-1").await.opt_n(FAILURES).expect("number"),
        None
    );
    assert_eq!(stored(&repo, "c-1").await.sync.failures, 0);
    // One connection per id.
    assert!(matches!(
        repo.create_pending(&connection("c-1", ConnectionStatus::Pending), at(30))
            .await,
        Err(StoreError::ConditionFailed)
    ));
}

#[tokio::test]
async fn only_live_pending_connections_count() {
    let (table, repo) = repo();
    let pending = |id: &str| connection(id, ConnectionStatus::Pending);
    repo.create_pending(&pending("live"), at(11))
        .await
        .expect("created");
    repo.create_pending(&pending("live-longer"), at(12))
        .await
        .expect("created");
    repo.create_pending(&pending("expiring-now"), at(10))
        .await
        .expect("created");
    repo.create_pending(&pending("expired"), at(9))
        .await
        .expect("created");
    repo.create_pending(&connection("active", ConnectionStatus::Active), at(60))
        .await
        .expect("created");
    // A pending item without a TTL (written by hand, or before TTLs) counts.
    table
        .put(pending("no-ttl").to_item(), None)
        .await
        .expect("written");
    // Another kind of item in the user's partition is not a connection.
    let mut other = Key::new(pk(&user()), "ACCT#a-1").item();
    other.set_s("status", "pending");
    table.put(other, None).await.expect("written");
    // live, live-longer and no-ttl; not the expired, the one expiring now, or the active one.
    assert_eq!(repo.count_pending(&user(), at(10)).await.expect("count"), 3);
    assert_eq!(repo.list(&user()).await.expect("list").len(), 6);
}

#[tokio::test]
async fn a_save_never_recreates_a_missing_or_deleted_connection() {
    let (_, repo) = repo();
    let c = active("c-1", at(60));
    assert!(matches!(
        repo.save(&c).await,
        Err(StoreError::ConditionFailed)
    ));
    assert_eq!(repo.get(&user(), "c-1").await.expect("read"), None);
    repo.create_pending(&connection("c-1", ConnectionStatus::Pending), at(30))
        .await
        .expect("created");
    repo.save(&c).await.expect("saved");
    repo.tombstone(&c, at(5)).await.expect("tombstoned");
    assert!(matches!(
        repo.save(&c).await,
        Err(StoreError::ConditionFailed)
    ));
    assert_eq!(stored(&repo, "c-1").await.status, ConnectionStatus::Revoked);
    let cp = SyncCheckpoint {
        account_id: "acc-1".into(),
        from: NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date"),
        next_page: 2,
    };
    assert!(matches!(
        repo.save_checkpoint(&user(), "c-1", &cp).await,
        Err(StoreError::ConditionFailed)
    ));
    assert!(matches!(
        repo.save_checkpoint(&user(), "c-missing", &cp).await,
        Err(StoreError::ConditionFailed)
    ));
    assert_eq!(repo.get(&user(), "c-missing").await.expect("read"), None);
}

#[tokio::test]
async fn a_checkpoint_is_stored_on_the_live_connection() {
    let (_, repo) = repo();
    repo.create_pending(&active("c-1", at(60)), at(30))
        .await
        .expect("created");
    let cp = SyncCheckpoint {
        account_id: "acc-2".into(),
        from: NaiveDate::from_ymd_opt(2025, 3, 1).expect("a date"),
        next_page: 7,
    };
    repo.save_checkpoint(&user(), "c-1", &cp)
        .await
        .expect("saved");
    assert_eq!(stored(&repo, "c-1").await.sync.resume, Some(cp));
}

#[tokio::test]
async fn one_sync_lease_at_a_time_until_it_expires() {
    let (_, repo) = repo();
    repo.create_pending(&active("c-1", at(60)), at(30))
        .await
        .expect("created");
    let lease = |id: &'static str, now: i64, until: i64| {
        let repo = repo.clone();
        async move {
            repo.lease_sync(&user(), "c-1", id, at(now), at(until))
                .await
                .expect("a lease answer")
        }
    };
    assert_eq!(lease("a", 0, 10).await, SyncLease::Held);
    assert_eq!(lease("b", 5, 15).await, SyncLease::Busy { until: at(10) });
    // Our own write applied with its answer lost: the retry finds our id.
    assert_eq!(lease("a", 1, 10).await, SyncLease::Held);
    // Expiring exactly now still runs; a moment later it is free.
    assert_eq!(lease("b", 10, 20).await, SyncLease::Busy { until: at(10) });
    assert_eq!(
        repo.lease_sync(
            &user(),
            "c-1",
            "b",
            Timestamp::from_millis(at(10).millis() + 1),
            at(20)
        )
        .await
        .expect("a lease answer"),
        SyncLease::Held
    );
    assert_eq!(lease("a", 11, 21).await, SyncLease::Busy { until: at(20) });
    // A deleted or missing connection has no lease to give.
    let c = stored(&repo, "c-1").await;
    repo.tombstone(&c, at(12)).await.expect("tombstoned");
    assert_eq!(lease("c", 100, 110).await, SyncLease::Gone);
    assert_eq!(
        repo.lease_sync(&user(), "c-missing", "a", at(0), at(10))
            .await
            .expect("a lease answer"),
        SyncLease::Gone
    );
    assert_eq!(repo.get(&user(), "c-missing").await.expect("read"), None);
}

#[tokio::test]
async fn a_failed_link_deletes_only_a_pending_connection() {
    let (_, repo) = repo();
    repo.create_pending(&connection("p", ConnectionStatus::Pending), at(30))
        .await
        .expect("created");
    repo.create_pending(&active("a", at(60)), at(30))
        .await
        .expect("created");
    repo.delete_pending(&user(), "p").await.expect("deleted");
    repo.delete_pending(&user(), "a").await.expect("left alone");
    repo.delete_pending(&user(), "missing")
        .await
        .expect("nothing to do");
    assert_eq!(repo.get(&user(), "p").await.expect("read"), None);
    assert_eq!(stored(&repo, "a").await.status, ConnectionStatus::Active);
}

#[tokio::test]
async fn a_tombstone_is_kept_thirty_days_and_swept_once_after_it_settles() {
    let (table, repo) = repo();
    repo.create_pending(&active("c-1", at(60)), at(30))
        .await
        .expect("created");
    repo.create_pending(&active("c-2", at(0)), at(30))
        .await
        .expect("created");
    let c = stored(&repo, "c-1").await;
    repo.tombstone(&c, at(5)).await.expect("tombstoned");
    let item = raw(&table, "c-1").await;
    assert_eq!(
        item.n(TTL_ATTRIBUTE).expect("TTL"),
        (at(5) + Duration::from_secs(30 * 86_400)).epoch_secs()
    );
    let tomb = stored(&repo, "c-1").await;
    assert_eq!(tomb.status, ConnectionStatus::Revoked);
    assert_eq!(tomb.deleted_at, Some(at(5)));
    assert_eq!(tomb.next_sync_at, None);
    assert_eq!(tomb.erase_sweep_at, Some(at(5) + ERASE_SETTLE));
    assert!(
        repo.due(at(1000), 10)
            .await
            .expect("due")
            .iter()
            .all(|d| d.connection_id != "c-1")
    );

    let settled = at(5) + ERASE_SETTLE;
    let before = Timestamp::from_millis(settled.millis() - 1);
    assert_eq!(
        repo.erase_sweep_due(before, 10).await.expect("sweep"),
        vec![]
    );
    assert_eq!(
        repo.erase_sweep_due(settled, 10).await.expect("sweep"),
        vec![(user(), "c-1".to_string())]
    );
    repo.erase_swept(&user(), "c-1").await.expect("swept");
    assert_eq!(
        repo.erase_sweep_due(at(1000), 10).await.expect("sweep"),
        vec![]
    );
    assert_eq!(stored(&repo, "c-1").await.erase_sweep_at, None);
    // Only a tombstone leaves an index: a live connection stays due.
    repo.erase_swept(&user(), "c-2").await.expect("left alone");
    assert_eq!(
        raw(&table, "c-2").await.s("gsi1sk").expect("indexed"),
        due_sort_key(at(0))
    );
    repo.erase_swept(&user(), "c-missing")
        .await
        .expect("nothing to do");
    assert_eq!(repo.get(&user(), "c-missing").await.expect("read"), None);
}

#[tokio::test]
async fn due_connections_come_from_every_shard_oldest_first() {
    let (table, repo) = repo();
    let mut shards = std::collections::BTreeSet::new();
    for n in 0..40 {
        let id = format!("c-{n:02}");
        shards.insert(shard(&user(), &id));
        repo.create_pending(&active(&id, at(40 - n)), at(30))
            .await
            .expect("created");
    }
    repo.create_pending(&active("c-later", at(500)), at(30))
        .await
        .expect("created");
    assert_eq!(
        shards.len(),
        DUE_SHARDS as usize,
        "40 connections use every shard"
    );
    for n in 0..40 {
        let id = format!("c-{n:02}");
        let item = raw(&table, &id).await;
        assert_eq!(
            item.s("gsi1pk").expect("indexed"),
            due_partition(shard(&user(), &id))
        );
    }
    let due = repo.due(at(100), 100).await.expect("due");
    assert_eq!(due.len(), 40, "every due connection, whichever its shard");
    let times: Vec<Timestamp> = due.iter().map(|d| d.next_sync_at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    assert_eq!(due[0].connection_id, "c-39");
    let first_three = repo.due(at(100), 3).await.expect("due");
    let ids: Vec<&str> = first_three
        .iter()
        .map(|d| d.connection_id.as_str())
        .collect();
    assert_eq!(ids, ["c-39", "c-38", "c-37"]);
    assert_eq!(
        repo.due(at(0), 100).await.expect("due").len(),
        0,
        "none due before minute 1"
    );
    // The index is the one the query reads.
    assert_eq!(
        table
            .query(&Query::partition(due_partition(shard(&user(), "c-00"))).on_index(GSI1))
            .await
            .expect("index")
            .iter()
            .filter(|i| i.s("connection_id").ok() == Some("c-00"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_take_counts_the_attempt_holds_the_connection_and_happens_once() {
    let (_, repo) = repo();
    let mut c = active("c-1", at(0));
    c.sync.failures = 2;
    repo.create_pending(&c, at(30)).await.expect("created");
    let seen = repo.due(at(0), 10).await.expect("due").remove(0);
    assert_eq!(seen.failures, 2);
    assert_eq!(
        repo.take_due(&seen, at(1)).await.expect("take"),
        Taken::ToSync
    );
    let taken = stored(&repo, "c-1").await;
    assert_eq!(taken.sync.failures, 3, "the attempt counts before the sync");
    assert_eq!(taken.next_sync_at, Some(at(1) + backoff(3)));
    assert_eq!(
        repo.due(at(1), 10).await.expect("due"),
        vec![],
        "held off the index"
    );
    // Another run that read the index before the take loses it.
    assert_eq!(
        repo.take_due(&seen, at(1)).await.expect("take"),
        Taken::Lost
    );
    assert_eq!(stored(&repo, "c-1").await.sync.failures, 3);
    // Same time, different failure count: also changed since the index was read.
    let stale = DueConnection {
        next_sync_at: at(1) + backoff(3),
        failures: 2,
        ..seen.clone()
    };
    assert_eq!(
        repo.take_due(&stale, at(2)).await.expect("take"),
        Taken::Lost
    );

    // A connection with no failures (no attribute) is taken once too.
    repo.create_pending(&active("c-0", at(0)), at(30))
        .await
        .expect("created");
    let fresh = repo.due(at(0), 10).await.expect("due").remove(0);
    assert_eq!(
        repo.take_due(&fresh, at(1)).await.expect("take"),
        Taken::ToSync
    );
    assert_eq!(
        stored(&repo, "c-0").await.next_sync_at,
        Some(at(1) + backoff(1))
    );
    assert_eq!(
        repo.take_due(&fresh, at(1)).await.expect("take"),
        Taken::Lost
    );
    // Not active any more (a reauth meanwhile): lost.
    let mut c = active("c-r", at(0));
    repo.create_pending(&c, at(30)).await.expect("created");
    let due = repo.due(at(0), 10).await.expect("due").remove(0);
    c.require_reauth(at(0));
    c.next_sync_at = Some(at(0));
    repo.save(&c).await.expect("saved");
    assert_eq!(repo.take_due(&due, at(1)).await.expect("take"), Taken::Lost);
}

#[tokio::test]
async fn too_many_failures_park_the_connection_off_the_schedule() {
    let (_, repo) = repo();
    let mut c = active("c-1", at(0));
    c.sync.failures = MAX_CONSECUTIVE_FAILURES;
    repo.create_pending(&c, at(30)).await.expect("created");
    let seen = repo.due(at(0), 10).await.expect("due").remove(0);
    assert_eq!(
        repo.take_due(&seen, at(1)).await.expect("take"),
        Taken::Parked
    );
    let parked = stored(&repo, "c-1").await;
    assert_eq!(parked.sync.parked_at, Some(at(1)));
    assert_eq!(parked.next_sync_at, None);
    assert_eq!(
        parked.sync.failures, MAX_CONSECUTIVE_FAILURES,
        "parking is not an attempt"
    );
    assert_eq!(repo.due(at(100_000), 10).await.expect("due"), vec![]);
}

/// Each user's connections live in the user's own partition: nobody lists or reads another's.
#[tokio::test]
async fn a_users_connections_are_the_users_alone() {
    let (table, repo) = repo();
    let other = UserId::parse("user-2").expect("a user id");
    repo.create_pending(&active("c-1", at(60)), at(30))
        .await
        .expect("created");
    let theirs = Connection {
        user: other.clone(),
        ..active("c-1", at(60))
    };
    repo.create_pending(&theirs, at(30)).await.expect("created");
    assert_eq!(
        table.snapshot().len(),
        2,
        "one user's connection replaced the other's"
    );
    assert_eq!(pk(&user()), "USER#user-1");
    assert_eq!(repo.list(&user()).await.expect("list").len(), 1);
    assert_eq!(repo.list(&other).await.expect("list"), vec![theirs]);
    repo.tombstone(&stored(&repo, "c-1").await, at(1))
        .await
        .expect("tombstoned");
    let still = repo
        .get(&other, "c-1")
        .await
        .expect("read")
        .expect("theirs");
    assert_eq!(still.status, ConnectionStatus::Active);
}
