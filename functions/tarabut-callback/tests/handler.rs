//! GET /tarabut/callback driven by `events/tarabut-callback.json` against a fresh in-memory
//! table and an in-process Tarabut sandbox. The route is unauthenticated and always answers a
//! 302 to the app.

use std::collections::HashMap;

use serde_json::json;
use shared::banking::connection::{DUE_SHARDS, SYNC_INTERVAL, due_partition, due_sort_key};
use shared::linking::{self, ConnectRequest, ConnectResponse};
use shared::store::{Item, ItemExt, Update, Value as Attr};
use shared::testkit::{
    ALICE, Answer, Bank, Event, TestEnv, TestTable, balances, connection_item, deadline,
    transactions, user, with_pk, with_sk_prefix,
};

shared::handler_test_helpers!(tarabut_callback::handle);

const EVENT: &str = "tarabut-callback";

const APP: &str = "https://app.example.test/linked";

/// Connects Alice (the use-case, as the connect route does) and answers Tarabut's connect
/// page like a browser: the redirect's query pairs.
async fn consent<T: TestTable>(
    env: &TestEnv<T>,
    approve: bool,
) -> (ConnectResponse, Vec<(String, String)>) {
    let created = linking::connect(
        &env.state,
        &user(ALICE),
        ConnectRequest {
            provider_id: Some("BLUE".into()),
            ..ConnectRequest::default()
        },
        deadline(),
    )
    .await
    .unwrap();
    let pairs = env
        .control
        .answer_connect(&created.connect_url, approve, None)
        .await;
    (created, pairs)
}

fn callback_event(pairs: &[(String, String)]) -> Event {
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Event::load(EVENT).query(&pairs)
}

/// The redirect's query, after checking it is a bare 302 to the app.
fn redirect_query(answer: &Answer) -> HashMap<String, String> {
    assert_eq!(answer.status, 302, "{}", answer.text);
    assert!(answer.text.is_empty());
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let location = answer.header("location").expect("a location");
    let (base, query) = location.split_once('?').expect("a query");
    assert_eq!(base, APP);
    query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

async fn refused_callback(env: &TestEnv, event: Event, code: &str) {
    let before = env.dump().await;
    let query = redirect_query(&call(env, &event).await);
    assert_eq!(
        query.get("status").map(String::as_str),
        Some("error"),
        "{query:?}"
    );
    assert_eq!(
        query.get("error").map(String::as_str),
        Some(code),
        "{query:?}"
    );
    assert!(!query.contains_key("connectionId"), "{query:?}");
    assert_eq!(
        env.dump().await,
        before,
        "a refused callback changed the table"
    );
}

fn binding<'a>(items: &'a [Item], intent_id: &str) -> &'a Item {
    with_pk(items, &format!("INTENT#{intent_id}"))[0]
}

// ---- success ----

#[tokio::test]
async fn an_approved_consent_activates_the_connection_and_stores_its_data() {
    let env = TestEnv::with_stopped_clock().await;
    let now = env.state.clock.now();
    let (created, pairs) = consent(&env, true).await;
    let query = redirect_query(&call(&env, &callback_event(&pairs)).await);
    assert_eq!(query["status"], "connected");
    assert_eq!(query["connectionId"], created.connection_id);
    assert!(!query.contains_key("error"));

    // What Tarabut reports: the intent's consent, and the accounts that consent covers.
    let token = env.token_of(ALICE).await;
    let intent = env
        .state
        .tarabut()
        .get_intent(&token, &created.intent_id, deadline())
        .await
        .unwrap();
    let consent_id = intent.consent_id.expect("Tarabut reports the consent");
    let bank = Bank::read(&env, ALICE).await;
    let bank_accounts = bank.accounts_of(&consent_id);

    let id = &created.connection_id;
    let dump = env.dump().await;
    let conn = connection_item(&dump, ALICE, id);
    assert_eq!(conn.s("status").unwrap(), "active");
    assert_eq!(conn.s("consent_id").unwrap(), consent_id);
    assert_eq!(conn.s("provider_id").unwrap(), "BLUE");
    assert_eq!(
        conn.n("consent_expires_at").unwrap(),
        bank.consent_expiry(&consent_id).millis(),
        "the consent's earliest expiry in Tarabut's account list"
    );
    // The first sync ran: it is recorded and the cron will come back later.
    assert_eq!(conn.s("last_sync_status").unwrap(), "ok");
    assert_eq!(conn.n("last_sync_at").unwrap(), now.millis());
    let next = now + SYNC_INTERVAL;
    assert_eq!(conn.n("next_sync_at").unwrap(), next.millis());
    assert_eq!(
        conn.s("gsi1pk").unwrap(),
        due_partition(due_shard(ALICE, id))
    );
    assert_eq!(conn.s("gsi1sk").unwrap(), due_sort_key(next));
    assert_eq!(
        binding(&dump, &created.intent_id).n("consumed_at").unwrap(),
        now.millis()
    );

    let accounts = with_sk_prefix(&dump, &format!("USER#{ALICE}"), &format!("ACCT#{id}#"));
    let stored_accounts: Vec<&str> = accounts
        .iter()
        .map(|a| a.s("account_id").unwrap())
        .collect();
    assert_eq!(stored_accounts, bank_accounts, "the consent's accounts");
    for a in &accounts {
        assert_eq!(a.s("connection_id").unwrap(), id);
        assert_eq!(a.s("currency").unwrap(), "BHD");
        assert_eq!(
            a.n("balance_minor").unwrap(),
            bank.balance_minor(a.s("account_id").unwrap()),
            "{a:?}"
        );
    }
    let stored = transactions(&dump, ALICE);
    let mut stored_ids: Vec<(String, String)> = stored
        .iter()
        .map(|t| {
            (
                t.s("account_id").unwrap().to_string(),
                t.s("transaction_id").unwrap().to_string(),
            )
        })
        .collect();
    stored_ids.sort();
    assert_eq!(
        stored_ids,
        bank.transaction_ids(&bank_accounts),
        "every transaction of the consent's accounts, once"
    );
    assert!(stored.iter().all(|t| t.s("connection_id").unwrap() == id));
    assert_eq!(balances(&dump, ALICE).len(), accounts.len());
}

/// The due-index shard of a connection: FNV-1a of `<user>#<connectionId>`, modulo the shard
/// count (stable across processes and versions, `shared::banking::connection::mapping`).
fn due_shard(sub: &str, connection_id: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in format!("{sub}#{connection_id}").bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % DUE_SHARDS
}

#[tokio::test]
async fn tarabuts_tg_intent_id_name_is_understood() {
    let env = TestEnv::start().await;
    let (created, pairs) = consent(&env, true).await;
    let renamed: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| {
            if k == "intentId" {
                ("tgIntentId".into(), v)
            } else {
                (k, v)
            }
        })
        .collect();
    let query = redirect_query(&call(&env, &callback_event(&renamed)).await);
    assert_eq!(query["status"], "connected");
    assert_eq!(query["connectionId"], created.connection_id);
}

#[tokio::test]
async fn replaying_a_successful_callback_changes_nothing() {
    let env = TestEnv::start().await;
    let (_, pairs) = consent(&env, true).await;
    assert_eq!(call(&env, &callback_event(&pairs)).await.status, 302);
    env.control.reset_counters().await;
    refused_callback(&env, callback_event(&pairs), "already_used").await;
    assert_eq!(env.control.calls("get_intent").await, 0);
}

// ---- refusals ----

#[tokio::test]
async fn the_fixtures_unknown_intent_is_an_error_redirect() {
    let env = TestEnv::start().await;
    // An unrelated pending connection, which must stay as it is.
    consent(&env, true).await;
    refused_callback(&env, Event::load(EVENT), "unknown_intent").await;
}

#[tokio::test]
async fn a_denied_consent_redirects_with_failed_and_drops_the_pending_connection() {
    let env = TestEnv::with_stopped_clock().await;
    let (created, pairs) = consent(&env, false).await;
    assert!(
        pairs.contains(&("status".into(), "FAILED".into())),
        "{pairs:?}"
    );
    let query = redirect_query(&call(&env, &callback_event(&pairs)).await);
    assert_eq!(query["status"], "failed");
    assert_eq!(query["connectionId"], created.connection_id);
    assert_eq!(query["error"], "access_denied");
    let dump = env.dump().await;
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "CONN#").is_empty());
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "ACCT#").is_empty());
    assert_eq!(
        binding(&dump, &created.intent_id).n("consumed_at").unwrap(),
        env.state.clock.now().millis()
    );
    // Neither a replay nor a forged success can bring it back.
    refused_callback(&env, callback_event(&pairs), "already_used").await;
    let forged = [
        ("intentId".to_string(), created.intent_id.clone()),
        ("status".to_string(), "SUCCESSFUL".to_string()),
    ];
    refused_callback(&env, callback_event(&forged), "already_used").await;
}

#[tokio::test]
async fn an_expired_intent_binding_changes_nothing() {
    let env = TestEnv::start().await;
    let (created, pairs) = consent(&env, true).await;
    let past = Attr::N(1_000);
    env.state
        .table
        .update(
            &shared::banking::intents::key(&created.intent_id),
            &[Update::set("expires_at", past)],
            None,
        )
        .await
        .unwrap();
    refused_callback(&env, callback_event(&pairs), "expired_intent").await;
}

#[tokio::test]
async fn missing_malformed_or_repeated_intent_ids_change_nothing() {
    let env = TestEnv::start().await;
    let (created, _) = consent(&env, true).await;
    let id = created.intent_id.as_str();
    let long = "a".repeat(500);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("status", "SUCCESSFUL")],
        vec![("intentId", ""), ("status", "SUCCESSFUL")],
        vec![("intentId", "a#b"), ("status", "SUCCESSFUL")],
        vec![("intentId", &long), ("status", "SUCCESSFUL")],
        vec![("intentId", id), ("intentId", id), ("status", "SUCCESSFUL")],
        vec![
            ("intentId", id),
            ("status", "SUCCESSFUL"),
            ("status", "SUCCESSFUL"),
        ],
    ];
    for pairs in cases {
        eprintln!("case: {pairs:?}");
        refused_callback(&env, Event::load(EVENT).query(&pairs), "invalid_request").await;
    }
    refused_callback(&env, Event::load(EVENT).query(&[]), "invalid_request").await;
}

#[tokio::test]
async fn a_success_tarabut_does_not_confirm_activates_nothing() {
    let env = TestEnv::start().await;
    // Alice never approved: the intent is still pending at Tarabut.
    let created = connect_only(&env).await;
    let forged = [
        ("intentId".to_string(), created.intent_id.clone()),
        ("status".to_string(), "SUCCESSFUL".to_string()),
    ];
    let query = redirect_query(&call(&env, &callback_event(&forged)).await);
    assert_eq!(query["status"], "error");
    assert_eq!(query["error"], "consent_not_confirmed");
    let dump = env.dump().await;
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "CONN#").is_empty());
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "ACCT#").is_empty());
}

#[tokio::test]
async fn a_tarabut_failure_while_confirming_activates_nothing() {
    let env = TestEnv::start().await;
    let (_, pairs) = consent(&env, true).await;
    env.control
        .fault(json!({"endpoint": "get_intent", "status": 500}))
        .await;
    let query = redirect_query(&call(&env, &callback_event(&pairs)).await);
    assert_eq!(query["status"], "error");
    assert_eq!(query["error"], "server_error");
    let dump = env.dump().await;
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "ACCT#").is_empty());
    // The pending connection is dropped, not left half-linked.
    assert!(with_sk_prefix(&dump, &format!("USER#{ALICE}"), "CONN#").is_empty());
}

/// Connects Alice without answering Tarabut's connect page.
async fn connect_only(env: &TestEnv) -> ConnectResponse {
    linking::connect(
        &env.state,
        &user(ALICE),
        ConnectRequest::default(),
        deadline(),
    )
    .await
    .unwrap()
}

// ---- concurrency ----

/// Eight copies of one callback at the same moment, on the local DynamoDB (real network
/// latency interleaves them): the intent is consumed once, by a conditional write, so exactly
/// one activates the connection and Tarabut is asked about it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callbacks_for_one_intent_activate_it_once() {
    let env = TestEnv::on_dynamodb().await;
    let (_, pairs) = consent(&env, true).await;
    env.control.reset_counters().await;
    let event = callback_event(&pairs);
    let answers = (0..8).map(|_| {
        let (state, request) = (env.state.clone(), event.request());
        tokio::spawn(async move { tarabut_callback::handle(&state, request).await })
    });
    let mut statuses = Vec::new();
    for a in answers.collect::<Vec<_>>() {
        let answer = Answer::read(a.await.unwrap().unwrap());
        let query = redirect_query(&answer);
        statuses.push(
            query
                .get("error")
                .cloned()
                .unwrap_or(query["status"].clone()),
        );
    }
    statuses.sort();
    let mut expected = vec!["already_used".to_string(); 7];
    expected.push("connected".into());
    assert_eq!(statuses, expected);
    assert_eq!(
        env.control.calls("get_intent").await,
        1,
        "Tarabut asked once"
    );
}
