//! Erasure that sticks (docs/architecture.md §3.7), on the local DynamoDB: a DELETE while a
//! slow sync runs, and what a sync that died after writing leaves behind. After the DELETE's
//! 204 no read shows the connection's data, and no item of it is left once the writing sync
//! ends, or at the latest at the first scheduled run `ERASE_SETTLE` after the delete.

use std::sync::Arc;
use std::time::Duration;

use chrono::Days;
use serde_json::{Value, json};
use shared::AppState;
use shared::banking::connection::ERASE_SETTLE;
use shared::connections;
use shared::error::UseCaseError;
use shared::insights::{self, gulf_today};
use shared::store::{Item, ItemExt, Table};
use shared::sync::{self, SyncRequest};
use shared::testkit::{
    ALICE, CAROL, DynamoEnv, GatedTable, TestEnv, TestTable, deadline, test_config, test_state,
    user,
};
use shared::time::{Clock, ManualClock, SystemClock};

/// What the app shows `sub`: its connections, and the spending and balance-history insights
/// over the last 90 days, as JSON.
async fn shown(state: &AppState, sub: &str) -> Value {
    let today = gulf_today();
    let range = json!({
        "from": (today - Days::new(90)).to_string(),
        "to": (today + Days::new(1)).to_string(),
    });
    let user = user(sub);
    let list = connections::list(state, &user).await.expect("list");
    let spending = insights::spending(
        state,
        &user,
        serde_json::from_value(range.clone()).expect("params"),
        deadline(),
    )
    .await
    .expect("spending");
    let history = insights::balance_history(
        state,
        &user,
        serde_json::from_value(range).expect("params"),
        deadline(),
    )
    .await
    .expect("balance history");
    json!({
        "connections": serde_json::to_value(&list).expect("json"),
        "spending": serde_json::to_value(&spending).expect("json"),
        "balanceHistory": serde_json::to_value(&history).expect("json"),
    })
}

/// The data items of connection `id`: accounts, transactions, balance snapshots (not its own
/// item, its intent binding or the user's token).
fn data_of(items: &[Item], id: &str) -> Vec<Item> {
    items
        .iter()
        .filter(|i| i.opt_s("connection_id").ok().flatten() == Some(id))
        .filter(|i| {
            let (pk, sk) = (i.s("pk").unwrap_or(""), i.s("sk").unwrap_or(""));
            !pk.starts_with("INTENT#") && !sk.starts_with("CONN#")
        })
        .cloned()
        .collect()
}

/// What a user with nothing linked is shown: what a deleted connection must leave.
async fn shown_to_nobody(state: &AppState) -> Value {
    shown(state, CAROL).await
}

#[tokio::test]
async fn a_delete_during_a_slow_sync_leaves_nothing_shown_and_nothing_stored() {
    let env = TestEnv::on_dynamodb().await;
    // Linked, but the first sync could not fetch transactions: the next sync writes a year.
    env.control
        .fault(json!({"endpoint": "transactions", "status": 500}))
        .await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control.clear_faults().await;
    let nothing = shown_to_nobody(&env.state).await;

    // Another Lambda syncs it, slowly: Tarabut takes 300 ms a call. Its writes wait at a gate
    // once it has fetched, and the user deletes then: the sync's writes land after the
    // DELETE's erasure, as a slow sync's do.
    let gated = Arc::new(GatedTable::closed((*env.table).clone()));
    let syncing = Arc::new(test_state(
        test_config(env.table.name(), env.sandbox.base_url(), &[]),
        gated.clone(),
        Arc::new(SystemClock),
    ));
    env.control.reset_counters().await;
    env.control
        .fault(json!({"endpoint": "transactions", "latencyMs": 300}))
        .await;
    let conn = id.clone();
    let sync = tokio::spawn(async move {
        sync::sync_one(
            &syncing,
            &user(ALICE),
            SyncRequest {
                connection_id: conn,
            },
            deadline(),
        )
        .await
    });
    // Its first page fetched, the sync is about to save it.
    gated.until_a_write_waits().await;
    assert!(env.control.calls("transactions").await >= 1);
    connections::delete(&env.state, &user(ALICE), &id, deadline())
        .await
        .expect("delete: 204");
    assert_eq!(
        shown(&env.state, ALICE).await,
        nothing,
        "shown after the 204"
    );
    gated.open();
    assert_eq!(
        shown(&env.state, ALICE).await,
        nothing,
        "shown while the sync writes"
    );

    let synced = sync.await.expect("sync task");
    assert!(
        matches!(synced, Err(UseCaseError::NotFound("connection"))),
        "the sync learns the connection is gone: {synced:?}"
    );
    let left = data_of(&env.dump().await, &id);
    assert!(
        left.is_empty(),
        "{} items left after the sync ended",
        left.len()
    );
    assert_eq!(shown(&env.state, ALICE).await, nothing);
}

/// A sync that wrote after the DELETE's erasure and died before it could notice.
async fn leftovers_of_a_dead_sync(env: &DynamoEnv, items: &[Item]) {
    for item in items {
        env.table.put(item.clone(), None).await.expect("put");
    }
}

#[tokio::test]
async fn what_a_dead_sync_left_is_never_shown_and_is_erased_by_a_repeated_delete_or_the_schedule() {
    let clock = Arc::new(ManualClock::at(SystemClock.now()));
    let table = <shared::store::DynamoTable as TestTable>::fresh().await;
    let env = TestEnv::on_clock(table, &[], clock.clone()).await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let data = data_of(&env.dump().await, &id);
    assert!(data.len() > 10);
    let nothing = shown_to_nobody(&env.state).await;
    connections::delete(&env.state, &user(ALICE), &id, deadline())
        .await
        .expect("delete");
    assert!(data_of(&env.dump().await, &id).is_empty());

    // A repeated DELETE erases again.
    leftovers_of_a_dead_sync(&env, &data).await;
    assert_eq!(shown(&env.state, ALICE).await, nothing);
    connections::delete(&env.state, &user(ALICE), &id, deadline())
        .await
        .expect("repeated delete");
    assert!(data_of(&env.dump().await, &id).is_empty());

    // Left again: hidden until the scheduled run erases it, once no sync that loaded the
    // connection before the delete can still be running.
    leftovers_of_a_dead_sync(&env, &data).await;
    let early = shared::scheduled_sync::run(env.state.clone(), deadline(), None)
        .await
        .expect("cron");
    assert_eq!(early.erasure_sweep.connections, 0, "too early: {early:?}");
    assert_eq!(data_of(&env.dump().await, &id).len(), data.len());
    assert_eq!(shown(&env.state, ALICE).await, nothing);

    clock.advance(ERASE_SETTLE + Duration::from_secs(1));
    let swept = shared::scheduled_sync::run(env.state.clone(), deadline(), None)
        .await
        .expect("cron");
    assert_eq!(swept.erasure_sweep.connections, 1, "{swept:?}");
    assert_eq!(swept.erasure_sweep.leftovers, data.len());
    assert!(data_of(&env.dump().await, &id).is_empty());
    let again = shared::scheduled_sync::run(env.state.clone(), deadline(), None)
        .await
        .expect("cron");
    assert_eq!(again.erasure_sweep.connections, 0, "swept once: {again:?}");
}
