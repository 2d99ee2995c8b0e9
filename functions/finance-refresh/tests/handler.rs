//! POST /finance/refresh driven by `events/finance-refresh.json` against a fresh in-memory
//! table and an in-process Tarabut sandbox.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shared::AppState;
use shared::linking::{self, ConnectRequest};
use shared::store::ItemExt;
use shared::testkit::{
    ALICE, Answer, BOB, Event, TestEnv, TestTable, assert_problem, connection_item, deadline,
    dynamo_table, test_config, test_state, user, with_sk_prefix,
};
use shared::time::{Clock, ManualClock, SystemClock};

shared::handler_test_helpers!(finance_refresh::handle);

const EVENT: &str = "finance-refresh";

fn refresh_event(sub: &str, body: &str) -> Event {
    Event::load(EVENT).user(sub).body(body)
}

async fn refreshed(env: &TestEnv, event: &Event) -> Vec<Value> {
    let answer = call(env, event).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    answer.json()["connections"].as_array().unwrap().clone()
}

fn item_of<'a>(items: &'a [Value], id: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["connectionId"] == id)
        .unwrap_or_else(|| panic!("{id} not in {items:?}"))
}

/// Drops the stored accounts of a connection, as if Tarabut had added them since the link.
async fn forget_accounts(env: &TestEnv, id: &str) {
    let accounts = env
        .state
        .accounts
        .list_for_connection(&user(ALICE), id)
        .await
        .unwrap();
    env.state.accounts.delete_all(&accounts).await.unwrap();
}

// ---- happy paths ----

#[tokio::test]
async fn refreshes_every_active_connection_without_a_connection_id() {
    let env = TestEnv::start().await;
    let blue = env.link(&user(ALICE), "BLUE").await;
    let red = env.link(&user(ALICE), "RED").await;
    // Neither a pending connection nor Bob's is refreshed.
    linking::connect(
        &env.state,
        &user(ALICE),
        ConnectRequest::default(),
        deadline(),
    )
    .await
    .unwrap();
    let bobs = env.link(&user(BOB), "BLUE").await;
    forget_accounts(&env, &blue).await;

    for body in ["{}", ""] {
        let items = refreshed(&env, &refresh_event(ALICE, body)).await;
        assert_eq!(items.len(), 2, "{items:?}");
        for id in [&blue, &red] {
            let item = item_of(&items, id);
            assert_eq!(item["status"], "active", "{item}");
            assert_eq!(item["accounts"], 2, "{item}");
            assert!(item["newTransactions"].is_u64(), "{item}");
            assert!(item["syncedAt"].is_string(), "{item}");
            assert!(item.get("error").is_none(), "{item}");
        }
    }
    // The accounts Tarabut lists are stored again (a full refresh picks up new accounts).
    let dump = env.dump().await;
    assert_eq!(
        with_sk_prefix(&dump, &format!("USER#{ALICE}"), &format!("ACCT#{blue}#")).len(),
        2
    );
    let bobs_conn = connection_item(&dump, BOB, &bobs);
    let alices_conn = connection_item(&dump, ALICE, &blue);
    assert!(bobs_conn.n("last_sync_at").unwrap() < alices_conn.n("last_sync_at").unwrap());
}

#[tokio::test]
async fn refreshes_only_the_named_connection() {
    let env = TestEnv::start().await;
    let blue = env.link(&user(ALICE), "BLUE").await;
    let red = env.link(&user(ALICE), "RED").await;
    let before = env.dump().await;
    let body = json!({ "connectionId": blue }).to_string();
    let items = refreshed(&env, &refresh_event(ALICE, &body)).await;
    assert_eq!(items.len(), 1);
    assert_eq!(item_of(&items, &blue)["status"], "active");
    let after = env.dump().await;
    assert!(
        connection_item(&after, ALICE, &blue)
            .n("last_sync_at")
            .unwrap()
            > connection_item(&before, ALICE, &blue)
                .n("last_sync_at")
                .unwrap()
    );
    assert_eq!(
        connection_item(&after, ALICE, &red),
        connection_item(&before, ALICE, &red)
    );
}

#[tokio::test]
async fn an_expired_consent_does_not_stop_the_other_connections() {
    let env = TestEnv::start().await;
    let blue = env.link(&user(ALICE), "BLUE").await;
    let red = env.link(&user(ALICE), "RED").await;
    env.control
        .expire_consent(&env.consent_of(ALICE, &blue).await)
        .await;
    let items = refreshed(&env, &refresh_event(ALICE, "{}")).await;
    assert_eq!(item_of(&items, &blue)["status"], "reauth_required");
    assert_eq!(item_of(&items, &red)["status"], "active");
    let dump = env.dump().await;
    assert_eq!(
        connection_item(&dump, ALICE, &blue).s("status").unwrap(),
        "reauth_required"
    );
    assert_eq!(
        connection_item(&dump, ALICE, &red)
            .s("last_sync_status")
            .unwrap(),
        "ok"
    );
    // The reauth_required connection is no longer refreshed with the others.
    let items = refreshed(&env, &refresh_event(ALICE, "{}")).await;
    assert_eq!(items.len(), 1);
}

#[tokio::test]
async fn a_failing_connection_does_not_stop_the_others() {
    let env = TestEnv::start().await;
    let blue = env.link(&user(ALICE), "BLUE").await;
    let red = env.link(&user(ALICE), "RED").await;
    // The first account list asked for fails through all its attempts; the next one works.
    env.control
        .fault(json!({"endpoint": "accounts", "status": 503, "count": 4}))
        .await;
    let items = refreshed(&env, &refresh_event(ALICE, "{}")).await;
    // Connections are refreshed one after the other: whichever came first failed.
    let mut statuses: Vec<&str> = [&blue, &red]
        .iter()
        .map(|id| item_of(&items, id)["status"].as_str().unwrap())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["active", "failed"], "{items:?}");
    let failed = items.iter().find(|i| i["status"] == "failed").unwrap();
    assert!(!failed["error"].as_str().unwrap().is_empty());
    let dump = env.dump().await;
    let failed_id = failed["connectionId"].as_str().unwrap();
    let conn = connection_item(&dump, ALICE, failed_id);
    assert_eq!(
        conn.s("status").unwrap(),
        "active",
        "a failure is not a reauth"
    );
    assert_eq!(conn.s("last_sync_status").unwrap(), "failed");
}

// ---- refusals change nothing ----

#[tokio::test]
async fn a_pending_connection_is_409() {
    let env = TestEnv::start().await;
    let pending = linking::connect(
        &env.state,
        &user(ALICE),
        ConnectRequest::default(),
        deadline(),
    )
    .await
    .unwrap()
    .connection_id;
    let body = json!({ "connectionId": pending }).to_string();
    let problem = refused(&env, refresh_event(ALICE, &body), 409).await;
    assert_eq!(problem["type"], "/problems/conflict");
}

#[tokio::test]
async fn missing_or_empty_claims_are_401() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    env.control.reset_counters().await;
    for file in ["no-claims", "empty-sub"] {
        let event = Event::load(&format!("negative/{EVENT}.{file}"));
        let problem = refused(&env, event, 401).await;
        assert_eq!(problem["type"], "/problems/unauthenticated");
    }
    assert_eq!(env.control.calls("accounts").await, 0);
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let bodies = [
        "{\"connectionId\": ".to_string(),        // malformed JSON
        "connectionId=x".to_string(),             // malformed JSON
        r#"{"connectionId": 42}"#.to_string(),    // wrong type
        r#"{"connectionId": ["x"]}"#.to_string(), // wrong type
        "42".to_string(),                         // wrong type
        json!({"connectionId": id, "all": true}).to_string(), // unknown field
        json!({"userId": ALICE}).to_string(),     // unknown field
    ];
    env.control.reset_counters().await;
    for body in bodies {
        let problem = refused(&env, refresh_event(ALICE, &body), 400).await;
        assert_eq!(problem["type"], "/problems/bad-request", "{body}");
    }
    assert_eq!(env.control.calls("accounts").await, 0);
}

#[tokio::test]
async fn an_oversized_body_is_413_and_another_content_type_415() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let huge = json!({ "connectionId": id, "pad": "x".repeat(65 * 1024) }).to_string();
    refused(&env, refresh_event(ALICE, &huge), 413).await;
    let body = json!({ "connectionId": id }).to_string();
    let text = refresh_event(ALICE, &body).header("content-type", "text/plain");
    let problem = refused(&env, text, 415).await;
    assert_eq!(problem["type"], "/problems/unsupported-media-type");
}

#[tokio::test]
async fn unknown_foreign_and_malformed_connection_ids_are_404() {
    let env = TestEnv::start().await;
    let alices = env.link(&user(ALICE), "BLUE").await;
    env.control.reset_counters().await;
    let unknown = json!({ "connectionId": "0d6f4a52-3c1e-4b8a-9f1e-2b7c9d1a5e33" }).to_string();
    refused(&env, refresh_event(ALICE, &unknown), 404).await;
    let foreign = json!({ "connectionId": alices }).to_string();
    let problem = refused(&env, refresh_event(BOB, &foreign), 404).await;
    assert_eq!(problem["type"], "/problems/not-found");
    for id in ["a#b", &"a".repeat(500), "", "CONN#x"] {
        let body = json!({ "connectionId": id }).to_string();
        refused(&env, refresh_event(ALICE, &body), 404).await;
    }
    assert_eq!(env.control.calls("accounts").await, 0);
}

// ---- the shared Tarabut quota ----

/// Twenty Lambda processes refreshing one user at once: one refresh reaches Tarabut, the other
/// nineteen are told when to come back; an interval later the user may refresh again.
#[tokio::test]
async fn twenty_concurrent_refreshes_of_one_user_cost_tarabut_one_refresh() {
    const LIMITED: &[(&str, &str)] = &[("USER_SYNC_MIN_INTERVAL_SECS", "60")];
    let clock = Arc::new(ManualClock::at(SystemClock.now()));
    let env = TestEnv::on_clock(dynamo_table().await, LIMITED, clock.clone()).await;
    env.link_demo_banks(&user(ALICE)).await;
    let processes: Vec<Arc<AppState>> = (0..20)
        .map(|_| {
            let config = test_config(env.table.name(), env.sandbox.base_url(), LIMITED);
            Arc::new(test_state(config, env.table.clone(), clock.clone()))
        })
        .collect();
    // What one refresh of both banks costs at Tarabut.
    env.control.reset_counters().await;
    assert_eq!(call(&env, &refresh_event(ALICE, "{}")).await.status, 200);
    let one_refresh = env.control.counters().await["calls"].clone();
    assert!(
        one_refresh["transactions"].as_u64().unwrap() >= 4,
        "{one_refresh}"
    );
    clock.advance(Duration::from_secs(60));

    env.control.reset_counters().await;
    let tasks: Vec<_> = processes
        .into_iter()
        .map(|state| {
            tokio::spawn(async move {
                let request = refresh_event(ALICE, "{}").request();
                Answer::read(finance_refresh::handle(&state, request).await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let ok = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for refused in answers.iter().filter(|a| a.status != 200) {
        let problem = assert_problem(refused, 429);
        assert_eq!(problem["type"], "/problems/too-many-requests");
        let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "Retry-After {retry}");
    }
    assert_eq!(
        env.control.counters().await["calls"],
        one_refresh,
        "Tarabut saw exactly one refresh"
    );

    clock.advance(Duration::from_secs(60));
    assert_eq!(call(&env, &refresh_event(ALICE, "{}")).await.status, 200);
}
