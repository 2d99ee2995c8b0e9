//! POST /tarabut/sync driven by `events/tarabut-sync.json` against a fresh table on the local
//! DynamoDB and an in-process Tarabut sandbox.

// The helper block is the same in every function's handler tests; not every file uses all of it.
#![allow(dead_code)]

use lambda_http::{Body, Response};
use serde_json::{Value, json};
use shared::identity::UserId;
use shared::store::{Item, ItemExt};
use shared::testkit::{Event, TestEnv};

// ---- helpers (the same block in every function's handler tests) ----

const EVENT: &str = "tarabut-sync";
/// The `sub` of the event files.
const ALICE: &str = "user-7f3c1a2e";
const BOB: &str = "user-b0b";

struct Answer {
    status: u16,
    content_type: String,
    headers: lambda_http::http::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn call(env: &TestEnv, event: &Event) -> Answer {
    let response = tarabut_sync::handle(&env.state, event.request())
        .await
        .expect("the handler answers every request");
    answer(response)
}

fn answer(response: Response<Body>) -> Answer {
    let text = String::from_utf8(response.body().as_ref().to_vec()).unwrap();
    assert_no_secrets(&text);
    for value in response.headers().values() {
        assert_no_secrets(value.to_str().unwrap());
    }
    let answer = Answer {
        status: response.status().as_u16(),
        content_type: String::new(),
        headers: response.headers().clone(),
        text,
    };
    Answer {
        content_type: answer
            .header("content-type")
            .unwrap_or_default()
            .to_string(),
        ..answer
    }
}

/// No client secret, access token, panic or source location ever reaches a client.
fn assert_no_secrets(text: &str) {
    for needle in ["sandbox-secret", "sbx_", "panicked", "backtrace", ".rs:"] {
        assert!(!text.contains(needle), "{needle:?} in a response: {text}");
    }
}

/// An RFC 9457 problem with exactly `type`, `title`, `status`, `detail`.
fn assert_problem(answer: &Answer, status: u16) -> Value {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(answer.content_type, "application/problem+json");
    let problem = answer.json();
    let mut keys: Vec<&str> = problem
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["detail", "status", "title", "type"], "{problem}");
    assert!(problem["type"].as_str().unwrap().starts_with("/problems/"));
    assert!(!problem["title"].as_str().unwrap().is_empty());
    assert_eq!(problem["status"], status);
    assert!(!problem["detail"].as_str().unwrap().is_empty());
    problem
}

/// Sends a bad request: a 4xx problem, and not one item of the table changed.
async fn refused_without_change(env: &TestEnv, event: Event, status: u16) -> Value {
    // Shown only when the test fails: which case it was.
    eprintln!(
        "case: body {} path {}",
        event.0["body"], event.0["pathParameters"]
    );
    let before = env.dump().await;
    let answer = call(env, &event).await;
    let problem = assert_problem(&answer, status);
    assert_eq!(
        env.dump().await,
        before,
        "a refused request changed the table"
    );
    problem
}

fn user(sub: &str) -> UserId {
    UserId::parse(sub).unwrap()
}

fn with_pk<'a>(items: &'a [Item], pk: &str) -> Vec<&'a Item> {
    items.iter().filter(|i| i.s("pk").unwrap() == pk).collect()
}

fn with_sk_prefix<'a>(items: &'a [Item], pk: &str, prefix: &str) -> Vec<&'a Item> {
    with_pk(items, pk)
        .into_iter()
        .filter(|i| i.s("sk").unwrap().starts_with(prefix))
        .collect()
}

fn connection_item<'a>(items: &'a [Item], sub: &str, id: &str) -> &'a Item {
    with_sk_prefix(items, &format!("USER#{sub}"), &format!("CONN#{id}"))
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no connection item {id}"))
}

fn transactions<'a>(items: &'a [Item], sub: &str) -> Vec<&'a Item> {
    with_pk(items, &format!("USER#{sub}#TXN"))
}

fn balances<'a>(items: &'a [Item], sub: &str) -> Vec<&'a Item> {
    with_pk(items, &format!("USER#{sub}#BAL"))
}

fn sync_event(sub: &str, connection_id: &str) -> Event {
    Event::load(EVENT)
        .user(sub)
        .body(&json!({ "connectionId": connection_id }).to_string())
}

// ---- happy path ----

/// Links BLUE for Alice while Tarabut's transaction endpoint fails, so the callback's first
/// sync stores no transaction and the route's sync has all of them to fetch.
async fn linked_without_transactions(env: &TestEnv) -> String {
    env.control
        .fault(json!({"endpoint": "transactions", "status": 500}))
        .await;
    let id = env.link(&user(ALICE), "BLUE").await;
    env.control.clear_faults().await;
    assert!(transactions(&env.dump().await, ALICE).is_empty());
    id
}

#[tokio::test]
async fn syncs_the_connection_and_stores_transactions_and_balances() {
    let env = TestEnv::start().await;
    let id = linked_without_transactions(&env).await;
    let accounts_before = with_sk_prefix(
        &env.dump().await,
        &format!("USER#{ALICE}"),
        &format!("ACCT#{id}#"),
    )
    .len();
    assert!(accounts_before > 0);

    let answer = call(&env, &sync_event(ALICE, &id)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    let summary = answer.json();
    assert_eq!(summary["connectionId"], id.as_str());
    assert_eq!(summary["status"], "active");
    assert_eq!(summary["accounts"], accounts_before);
    let new = summary["newTransactions"].as_u64().unwrap();
    assert!(new > 0, "{summary}");
    let synced_at = summary["syncedAt"].as_str().unwrap();
    assert!(
        synced_at.ends_with('Z') && synced_at.contains('T'),
        "{synced_at}"
    );

    let dump = env.dump().await;
    let stored = transactions(&dump, ALICE);
    assert_eq!(
        stored.len() as u64,
        new,
        "every new transaction is one item"
    );
    for t in &stored {
        assert_eq!(t.s("connection_id").unwrap(), id);
        assert!(t.n("amount_minor").is_ok());
        assert_eq!(t.s("currency").unwrap(), "BHD");
        // `<bookingDate>#<accountId>#<transactionId>`: deterministic, so re-syncs overwrite.
        let sk = t.s("sk").unwrap();
        let account = t.s("account_id").unwrap();
        assert!(sk[10..].starts_with(&format!("#{account}#")), "{sk}");
    }
    // One balance snapshot per account, and the account carries the latest balance.
    assert_eq!(balances(&dump, ALICE).len(), accounts_before);
    for account in with_sk_prefix(&dump, &format!("USER#{ALICE}"), &format!("ACCT#{id}#")) {
        assert!(account.n("balance_minor").is_ok(), "{account:?}");
        assert!(account.s("last_booking_date").is_ok(), "{account:?}");
    }
    let conn = connection_item(&dump, ALICE, &id);
    assert_eq!(conn.s("status").unwrap(), "active");
    assert_eq!(conn.s("last_sync_status").unwrap(), "ok");
    assert!(conn.n("last_sync_at").is_ok());
}

#[tokio::test]
async fn a_second_sync_finds_nothing_new_and_stores_no_duplicate() {
    let env = TestEnv::start().await;
    let id = linked_without_transactions(&env).await;
    let first = call(&env, &sync_event(ALICE, &id)).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let count = transactions(&env.dump().await, ALICE).len();
    assert!(count > 0);

    let second = call(&env, &sync_event(ALICE, &id)).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.json()["newTransactions"], 0);
    assert_eq!(transactions(&env.dump().await, ALICE).len(), count);
}

#[tokio::test]
async fn an_expired_consent_is_409_reauth_required_and_marks_the_connection() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let dump = env.dump().await;
    let consent = connection_item(&dump, ALICE, &id).s("consent_id").unwrap();
    env.control.expire_consent(consent).await;

    let answer = call(&env, &sync_event(ALICE, &id)).await;
    let problem = assert_problem(&answer, 409);
    assert_eq!(problem["type"], "/problems/reauth-required");
    let after = env.dump().await;
    let conn = connection_item(&after, ALICE, &id);
    assert_eq!(conn.s("status").unwrap(), "reauth_required");
    assert!(
        conn.opt_s("gsi1pk").unwrap().is_none(),
        "no longer due for the cron"
    );
    // A repeat answers the same, without asking Tarabut again.
    env.control.reset_counters().await;
    assert_problem(&call(&env, &sync_event(ALICE, &id)).await, 409);
    assert_eq!(env.control.calls("transactions").await, 0);
}

#[tokio::test]
async fn a_pending_connection_is_409_and_changes_nothing() {
    let env = TestEnv::start().await;
    let created = shared::sync::link::connect(
        &env.state,
        &user(ALICE),
        shared::sync::link::ConnectRequest::default(),
        shared::deadline::Deadline::after(std::time::Duration::from_secs(30)),
    )
    .await
    .unwrap();
    let problem =
        refused_without_change(&env, sync_event(ALICE, &created.connection_id), 409).await;
    assert_eq!(problem["type"], "/problems/conflict");
}

// ---- bad input writes nothing ----

#[tokio::test]
async fn missing_or_empty_claims_are_401() {
    let env = TestEnv::start().await;
    env.link(&user(ALICE), "BLUE").await;
    for file in ["no-claims", "empty-sub"] {
        let event = Event::load(&format!("negative/{EVENT}.{file}"));
        let problem = refused_without_change(&env, event, 401).await;
        assert_eq!(problem["type"], "/problems/unauthenticated");
    }
    refused_without_change(&env, Event::load(EVENT).no_claims(), 401).await;
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let bodies = [
        "{\"connectionId\": ".to_string(),       // malformed JSON
        "not json".to_string(),                  // malformed JSON
        r#"{"connectionId": 42}"#.to_string(),   // wrong type
        r#"{"connectionId": null}"#.to_string(), // wrong type
        "{}".to_string(),                        // missing required field
        String::new(),                           // no body at all
        json!({"connectionId": id, "extra": 1}).to_string(), // unknown field
        json!({"connectionid": id}).to_string(), // wrong case = unknown field
    ];
    for body in bodies {
        let problem = refused_without_change(&env, Event::load(EVENT).body(&body), 400).await;
        assert_eq!(problem["type"], "/problems/bad-request", "{body}");
    }
}

/// serde's derive reads a struct from a JSON array positionally, so `["<id>"]` is taken as
/// `{"connectionId": "<id>"}` and syncs that connection. An array is not the documented
/// object: it must be refused like any other wrong type.
#[tokio::test]
async fn a_json_array_body_is_400_not_a_positional_object() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let positional = json!([id]).to_string();
    refused_without_change(&env, Event::load(EVENT).body(&positional), 400).await;
    refused_without_change(&env, Event::load(EVENT).body(r#"["x"]"#), 400).await;
}

#[tokio::test]
async fn an_oversized_body_is_413_and_another_content_type_415() {
    let env = TestEnv::start().await;
    let id = env.link(&user(ALICE), "BLUE").await;
    let huge = json!({ "connectionId": id, "pad": "x".repeat(65 * 1024) }).to_string();
    refused_without_change(&env, sync_event(ALICE, &id).body(&huge), 413).await;
    let text = sync_event(ALICE, &id).header("content-type", "text/plain");
    let problem = refused_without_change(&env, text, 415).await;
    assert_eq!(problem["type"], "/problems/unsupported-media-type");
}

#[tokio::test]
async fn unknown_foreign_and_malformed_connection_ids_are_404() {
    let env = TestEnv::start().await;
    let alices = env.link(&user(ALICE), "BLUE").await;
    // The fixture's own id was never created.
    refused_without_change(&env, Event::load(EVENT), 404).await;
    // Alice's connection, asked for by Bob.
    let problem = refused_without_change(&env, sync_event(BOB, &alices), 404).await;
    assert_eq!(problem["type"], "/problems/not-found");
    for id in ["a#b", &"a".repeat(500), "", " ", "../x", "CONN#x"] {
        refused_without_change(&env, sync_event(ALICE, id), 404).await;
    }
}
