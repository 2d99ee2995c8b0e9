//! The limits that protect the shared Tarabut quota, on the local DynamoDB (docs/architecture.md
//! §3.8): the per-user sync interval and the per-connection sync lease, each one conditional
//! write, including when DynamoDB applies the write and the answer is lost.

use std::sync::Arc;
use std::time::Duration;

use shared::banking::{ConnectionRepo, SyncLease};
use shared::quota::{Claim, LimitRepo};
use shared::store::{DynamoTable, Table};
use shared::testkit::faults::{Faults, FaultyTable};
use shared::testkit::{ALICE, DynamoEnv, TestEnv, dynamo_table, user};
use shared::time::{Clock, SystemClock};

const MINUTE: Duration = Duration::from_secs(60);

/// Every write is applied and its answer lost; the SDK's retry then answers (and, being a
/// conditional write, fails against the write it made itself).
fn answers_lost(table: Arc<DynamoTable>) -> Arc<dyn Table> {
    Arc::new(FaultyTable::new(
        table,
        Faults {
            ambiguous_write: 1.0,
            ambiguous_retried: 1.0,
            ..Faults::default()
        },
        11,
    ))
}

#[tokio::test]
async fn one_user_sync_per_interval_whoever_asks() {
    let table = Arc::new(dynamo_table().await);
    // Two Lambda processes: two repositories over the same table.
    let (a, b) = (LimitRepo::new(table.clone()), LimitRepo::new(table.clone()));
    let alice = user(ALICE);
    let now = SystemClock.now();
    assert_eq!(
        a.claim(&alice, "sync", "a1", now, MINUTE).await.unwrap(),
        Claim::Granted
    );
    let later = now + Duration::from_secs(20);
    assert_eq!(
        b.claim(&alice, "sync", "b1", later, MINUTE).await.unwrap(),
        Claim::Wait(Duration::from_secs(40))
    );
    // Another kind and another user have their own slots.
    assert_eq!(
        b.claim(&alice, "balances", "b2", later, MINUTE)
            .await
            .unwrap(),
        Claim::Granted
    );
    assert_eq!(
        b.claim(&user("bob"), "sync", "b3", later, MINUTE)
            .await
            .unwrap(),
        Claim::Granted
    );
    assert_eq!(
        b.claim(&alice, "sync", "b4", now + MINUTE, MINUTE)
            .await
            .unwrap(),
        Claim::Granted,
        "allowed again once the interval has passed"
    );
}

#[tokio::test]
async fn a_claim_whose_answer_was_lost_is_still_ours_and_only_ours() {
    let table = Arc::new(dynamo_table().await);
    let lossy = LimitRepo::new(answers_lost(table.clone()));
    let alice = user(ALICE);
    let now = SystemClock.now();
    assert_eq!(
        lossy
            .claim(&alice, "sync", "mine", now, MINUTE)
            .await
            .unwrap(),
        Claim::Granted,
        "our own write, read back"
    );
    let other = LimitRepo::new(table.clone());
    assert!(matches!(
        other
            .claim(&alice, "sync", "theirs", now, MINUTE)
            .await
            .unwrap(),
        Claim::Wait(_)
    ));
    assert!(matches!(
        lossy
            .claim(&alice, "sync", "mine-again", now, MINUTE)
            .await
            .unwrap(),
        Claim::Wait(_)
    ));
}

async fn linked() -> (DynamoEnv, String) {
    let env = TestEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    (env, id)
}

#[tokio::test]
async fn one_sync_lease_per_connection_until_it_expires_or_the_result_is_saved() {
    let (env, id) = linked().await;
    let alice = user(ALICE);
    let (a, b) = (
        ConnectionRepo::new(env.table.clone()),
        ConnectionRepo::new(env.table.clone()),
    );
    let now = SystemClock.now();
    let until = now + MINUTE;
    assert_eq!(
        a.lease_sync(&alice, &id, "a", now, until).await.unwrap(),
        SyncLease::Held
    );
    assert_eq!(
        b.lease_sync(&alice, &id, "b", now + Duration::from_secs(30), until)
            .await
            .unwrap(),
        SyncLease::Busy { until }
    );
    // Expired: its holder died.
    assert_eq!(
        b.lease_sync(
            &alice,
            &id,
            "b",
            until + Duration::from_millis(1),
            until + MINUTE
        )
        .await
        .unwrap(),
        SyncLease::Held
    );
    // The holder's save ends it at once.
    let conn = a.get(&alice, &id).await.unwrap().unwrap();
    b.save(&conn).await.unwrap();
    assert_eq!(
        a.lease_sync(&alice, &id, "a2", until, until + MINUTE)
            .await
            .unwrap(),
        SyncLease::Held
    );
    // A deleted connection has no lease to give.
    a.tombstone(&conn, now).await.unwrap();
    assert_eq!(
        b.lease_sync(&alice, &id, "b2", until + MINUTE * 5, until + MINUTE * 6)
            .await
            .unwrap(),
        SyncLease::Gone
    );
}

#[tokio::test]
async fn a_lease_whose_answer_was_lost_is_still_ours() {
    let (env, id) = linked().await;
    let alice = user(ALICE);
    let lossy = ConnectionRepo::new(answers_lost(env.table.clone()));
    let now = SystemClock.now();
    assert_eq!(
        lossy
            .lease_sync(&alice, &id, "mine", now, now + MINUTE)
            .await
            .unwrap(),
        SyncLease::Held
    );
    let other = ConnectionRepo::new(env.table.clone());
    assert_eq!(
        other
            .lease_sync(&alice, &id, "theirs", now, now + MINUTE)
            .await
            .unwrap(),
        SyncLease::Busy {
            until: now + MINUTE
        }
    );
}
