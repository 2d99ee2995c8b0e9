//! Consecutive failures in the due index, on the local DynamoDB: every take counts (so a run
//! that crashes mid-sync counts too), the next try backs off exponentially, a good sync resets
//! the count, and after 8 failures in a row the connection is parked off the schedule, visible
//! in the connection list, until a sync the user triggers succeeds.

use std::time::Duration;

use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use shared::connections;
use shared::scheduled_sync::{CronSummary, FailedRun};
use shared::store::{Item, ItemExt};
use shared::sync::{SyncRequest, sync_one};
use shared::testkit::{
    ALICE, DynamoEnv, Event, TestEnv, TestTable, connection_item, deadline, user,
};
use shared::time::{Clock, SystemClock, Timestamp};

const MINUTE: i64 = 60_000;
/// The wait after the k-th failure in a row (k = 1..=8), in minutes: 15 min doubling, capped
/// at the 12 h of a good sync.
const BACKOFF_MINUTES: [i64; 8] = [15, 30, 60, 120, 240, 480, 720, 720];

fn now() -> Timestamp {
    SystemClock.now()
}

/// The run's summary, whether the run succeeded or failed (a run whose only sync fails is a
/// failed run: the summary comes with the error).
async fn run<T: TestTable>(env: &TestEnv<T>) -> CronSummary {
    let event = Event::load("cron-sync-banks").0;
    let result = cron_sync_banks::handle(
        env.state.clone(),
        LambdaEvent::new(event, Context::default()),
    )
    .await;
    match result {
        Ok(summary) => summary,
        Err(error) => {
            let failed = error
                .downcast_ref::<FailedRun>()
                .unwrap_or_else(|| panic!("the run broke instead of reporting: {error}"));
            failed.summary.clone()
        }
    }
}

async fn item<T: TestTable>(env: &TestEnv<T>, id: &str) -> Item {
    connection_item(&env.dump().await, ALICE, id).clone()
}

fn failures(conn: &Item) -> i64 {
    conn.opt_n("sync_failures").unwrap().unwrap_or(0)
}

/// Alice's connection in the list (as `GET /finance/connections` answers it).
async fn listed<T: TestTable>(env: &TestEnv<T>, id: &str) -> Value {
    let list = connections::list(&env.state, &user(ALICE)).await.unwrap();
    let list = serde_json::to_value(&list).unwrap();
    list["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["connectionId"] == id)
        .cloned()
        .unwrap()
}

/// A run that takes the connection and then dies (panic = abort, out of memory) never reports:
/// the take alone must count. Eight such takes, each backing off further, and the next run
/// parks the connection instead of syncing it.
#[tokio::test]
async fn a_take_without_a_completion_counts_and_backs_off_until_parked() {
    let env = DynamoEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    for (k, minutes) in (1..=8).zip(BACKOFF_MINUTES) {
        env.make_due(ALICE, &id).await;
        let due = env.state.connections.due(now(), 10).await.unwrap();
        assert_eq!(due.len(), 1);
        let at = now();
        // The run "crashes" right after its take: no sync, no report.
        env.state.connections.take_due(&due[0], at).await.unwrap();
        let conn = item(&env, &id).await;
        assert_eq!(failures(&conn), k, "take {k}");
        assert_eq!(
            conn.n("next_sync_at").unwrap() - at.millis(),
            minutes * MINUTE,
            "the hold after take {k}"
        );
        assert_eq!(
            conn.s("gsi1sk").unwrap(),
            format!("{:013}", conn.n("next_sync_at").unwrap())
        );
    }
    env.make_due(ALICE, &id).await;
    env.control.reset_counters().await;
    let summary = run(&env).await;
    assert_eq!(summary.synced + summary.failed, 0, "{summary:?}");
    assert_eq!(
        env.control.calls("transactions").await,
        0,
        "a parked connection is not synced"
    );
    let conn = item(&env, &id).await;
    assert_eq!(conn.s("status").unwrap(), "active");
    assert_eq!(failures(&conn), 8);
    assert!(conn.opt_n("parked_at").unwrap().is_some(), "{conn:?}");
    assert!(
        !conn.contains_key("gsi1pk") && !conn.contains_key("next_sync_at"),
        "off the schedule"
    );
    assert!(
        env.state
            .connections
            .due(now() + Duration::from_secs(86_400 * 30), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let view = listed(&env, &id).await;
    assert_eq!(view["consecutiveFailures"], 8, "{view}");
    assert!(view["parkedAt"].is_string(), "{view}");
}

/// Syncs that fail (Tarabut answering 503 throughout) count the same way, the wait growing
/// after each; the eighth parks the connection. A sync the user triggers then succeeds: the
/// count is reset, the connection is back on the schedule, the list shows it.
#[tokio::test]
async fn failed_syncs_back_off_and_park_and_a_user_sync_unparks() {
    let env = DynamoEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control
        .fault(json!({"endpoint": "transactions", "status": 503}))
        .await;
    let mut waits = Vec::new();
    for k in 1..=8 {
        env.make_due(ALICE, &id).await;
        let before = now();
        let summary = run(&env).await;
        assert_eq!(summary.failed, 1, "run {k}: {summary:?}");
        let conn = item(&env, &id).await;
        assert_eq!(failures(&conn), k, "run {k}");
        assert_eq!(conn.s("last_sync_status").unwrap(), "failed");
        if k < 8 {
            let wait = conn.n("next_sync_at").unwrap() - before.millis();
            let expected = BACKOFF_MINUTES[(k - 1) as usize] * MINUTE;
            assert!(
                wait >= expected && wait < expected + MINUTE,
                "run {k}: due again in {wait} ms, not {expected}"
            );
            waits.push(wait);
        }
    }
    assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
    let conn = item(&env, &id).await;
    assert!(
        conn.opt_n("parked_at").unwrap().is_some(),
        "parked after 8: {conn:?}"
    );
    assert!(!conn.contains_key("gsi1pk"));
    let view = listed(&env, &id).await;
    assert_eq!(view["consecutiveFailures"], 8, "{view}");
    assert!(view["parkedAt"].is_string(), "{view}");

    env.control.clear_faults().await;
    sync_one(
        &env.state,
        &user(ALICE),
        SyncRequest {
            connection_id: id.clone(),
        },
        deadline(),
    )
    .await
    .expect("the user's sync succeeds");
    let conn = item(&env, &id).await;
    assert_eq!(failures(&conn), 0);
    assert!(!conn.contains_key("parked_at"));
    assert!(conn.contains_key("gsi1pk"), "back on the schedule");
    assert!(conn.time("next_sync_at").unwrap() > now() + Duration::from_secs(11 * 3600));
    let view = listed(&env, &id).await;
    assert_eq!(view["consecutiveFailures"], 0, "{view}");
    assert!(view["parkedAt"].is_null(), "{view}");
}

/// A good scheduled sync after failures resets the count and the normal 12 h interval applies.
#[tokio::test]
async fn a_good_sync_resets_the_count() {
    let env = DynamoEnv::on_dynamodb().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control
        .fault(json!({"endpoint": "transactions", "status": 503, "count": 8}))
        .await;
    for _ in 0..2 {
        env.make_due(ALICE, &id).await;
        assert_eq!(run(&env).await.failed, 1);
    }
    assert_eq!(failures(&item(&env, &id).await), 2);
    env.make_due(ALICE, &id).await;
    assert_eq!(run(&env).await.synced, 1);
    let conn = item(&env, &id).await;
    assert_eq!(failures(&conn), 0);
    assert_eq!(conn.s("last_sync_status").unwrap(), "ok");
    assert!(conn.time("next_sync_at").unwrap() > now() + Duration::from_secs(11 * 3600));
}
